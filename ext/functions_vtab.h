/* functions_vtab.h - the atf_functions table-valued function
** (functions_vtab.c). */
#ifndef ATF_FUNCTIONS_VTAB_H
#define ATF_FUNCTIONS_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int functions_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
