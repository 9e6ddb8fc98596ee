/* check_vtab.h - the atf_check table-valued function (check_vtab.c). */
#ifndef ATF_CHECK_VTAB_H
#define ATF_CHECK_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int check_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
