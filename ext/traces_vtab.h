/* traces_vtab.h - the atf_traces table-valued function (traces_vtab.c). */
#ifndef ATF_TRACES_VTAB_H
#define ATF_TRACES_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int traces_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
