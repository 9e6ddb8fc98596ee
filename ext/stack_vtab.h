/* stack_vtab.h - the atf_stack table-valued function (stack_vtab.c). */
#ifndef ATF_STACK_VTAB_H
#define ATF_STACK_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int stack_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
