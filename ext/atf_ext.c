/*
** atf_ext.c - the loadable extension's entry point.
**
**   sqlite3> .load ./build/atf
**   sqlite3> SELECT kind, count(*) FROM atf_events('trace_dir') GROUP BY 1;
**
** Registers the table-valued functions atf_events (events_vtab.c),
** atf_manifest (manifest_vtab.c), atf_check (check_vtab.c), the call tables
** and atf_traces (traces_vtab.c), and two scalars:
**   atf_version()  the extension's version, e.g. '0.1.0'
**   atf_stats()    JSON of the work the tables did in this process so far
**                  (stats.h): {"records_framed":N,"headers_decoded":N,
**                  "payloads_decoded":N,"torn_tails":N,"records_skipped":N,
**                  "unread_tails":N}; the difference around a query shows
**                  what it read (a point lookup decodes one event) and what
**                  it met without failing (a torn tail, skipped records).
**
** The oldest SQLite it runs in is 3.31.0: SQLITE_VTAB_DIRECTONLY and the
** SQLITE_INNOCUOUS/SQLITE_DIRECTONLY function flags came with it (every
** other API used is older: sqlite3_str_* 3.25, xBestIndex returning
** SQLITE_CONSTRAINT 3.26). What 3.38 added (sqlite3_vtab_in, _rhs_value,
** LIMIT/OFFSET constraints) is used only when the running SQLite has it.
** An older host is refused at load, with both versions in the message.
*/
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "calls_vtab.h"
#include "check_vtab.h"
#include "demangle.h"
#include "functions_vtab.h"
#include "events_vtab.h"
#include "flamegraph_vtab.h"
#include "manifest_vtab.h"
#include "stack_vtab.h"
#include "threads_vtab.h"
#include "trace_json.h"
#include "traces_vtab.h"
#include "stats.h"
#include "vtab.h"

#ifndef ATF_VERSION
#define ATF_VERSION "0.0.0"
#endif

#define ATF_SQLITE_MIN_VERSION "3.31.0"
#define ATF_SQLITE_MIN_VERSION_NUMBER 3031000

static void version_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_text(ctx, ATF_VERSION, -1, SQLITE_STATIC);
}

static void stats_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  char *json = stats_json();
  (void)argc;
  (void)argv;
  if (!json) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, json, -1, sqlite3_free);
}

#ifdef _WIN32
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
    int sqlite3_atf_init(sqlite3 *db, char **err_msg,
                         const sqlite3_api_routines *api) {
  int rc;
  atf_conn *conn;
  SQLITE_EXTENSION_INIT2(api);
  /* The version of the SQLite that loads us, not of the headers we were
  ** built with: an older host would silently lack the DIRECTONLY guards. */
  if (sqlite3_libversion_number() < ATF_SQLITE_MIN_VERSION_NUMBER) {
    if (err_msg)
      *err_msg = sqlite3_mprintf("atf-sqlite needs SQLite %s or newer; this "
                                 "process runs SQLite %s",
                                 ATF_SQLITE_MIN_VERSION, sqlite3_libversion());
    return SQLITE_ERROR;
  }
  /* One set of open traces per connection, shared by every table. */
  if (!(conn = vtab_conn_new())) return SQLITE_NOMEM;
  rc = events_vtab_register(db, conn);
  if (rc == SQLITE_OK) rc = manifest_vtab_register(db, conn);
  if (rc == SQLITE_OK) rc = check_vtab_register(db, conn);
  if (rc == SQLITE_OK) rc = calls_vtab_register(db, conn);
  if (rc == SQLITE_OK) rc = functions_vtab_register(db, conn);
  if (rc == SQLITE_OK) rc = stack_vtab_register(db, conn);
  if (rc == SQLITE_OK) rc = threads_vtab_register(db, conn);
  if (rc == SQLITE_OK) rc = traces_vtab_register(db, conn);
  if (rc == SQLITE_OK) rc = flamegraph_vtab_register(db, conn);
  if (conn->refs == 0) sqlite3_free(conn); /* no module took it */
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "atf_version", 0,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC |
                                     SQLITE_INNOCUOUS,
                                 NULL, version_func, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "atf_stats", 0,
                                 SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                 stats_func, NULL, NULL);
  if (rc == SQLITE_OK) rc = demangle_register(db);
  if (rc == SQLITE_OK) rc = trace_json_register(db);
  return rc;
}
