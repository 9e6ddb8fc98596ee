/* threads_vtab.h - the atf_threads table-valued function (threads_vtab.c). */
#ifndef ATF_THREADS_VTAB_H
#define ATF_THREADS_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int threads_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
