/* trace_json.h - the atf_trace_json aggregate (trace_json.c). */
#ifndef ATF_TRACE_JSON_H
#define ATF_TRACE_JSON_H
#include <sqlite3ext.h>

int trace_json_register(sqlite3 *db);
#endif
