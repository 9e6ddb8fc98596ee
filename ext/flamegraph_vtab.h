/* flamegraph_vtab.h - the atf_flamegraph table-valued function
** (flamegraph_vtab.c). */
#ifndef ATF_FLAMEGRAPH_VTAB_H
#define ATF_FLAMEGRAPH_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int flamegraph_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
