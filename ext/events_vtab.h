/* events_vtab.h - the atf_events table-valued function (events_vtab.c). */
#ifndef ATF_EVENTS_VTAB_H
#define ATF_EVENTS_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int events_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
