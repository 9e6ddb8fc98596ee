/* calls_vtab.h - the atf_calls table-valued function (calls_vtab.c). */
#ifndef ATF_CALLS_VTAB_H
#define ATF_CALLS_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int calls_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
