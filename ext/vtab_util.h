/*
** vtab_util.h - pieces both virtual tables share: the trace argument, errors,
** values that must not reach SQLite as TEXT unless they are UTF-8, and the
** extension's read counters.
*/
#ifndef ATF_VTAB_UTIL_H
#define ATF_VTAB_UTIL_H

#include <sqlite3ext.h>

#include "atf_reader.h"
#include "trace_cache.h"

/* What a module is registered with, per connection: its CREATE TABLE
** statement and the connection's open traces. */
typedef struct atf_module_aux {
  const char *schema;
  trace_cache cache;
} atf_module_aux;

/* Registers MODULE as NAME with a fresh atf_module_aux, freed (traces
** unmapped) when the connection closes. */
int vtab_register(sqlite3 *db, const char *name, const sqlite3_module *module,
                  const char *schema);

/* The vtab every module uses: the trace given to CREATE VIRTUAL TABLE, if
** any (a table-valued call passes it to xFilter instead). */
typedef struct atf_vtab {
  sqlite3_vtab base;
  char *trace;
  char *options; /* a second argument, for tables that take options */
  atf_module_aux *aux;
  sqlite3 *db; /* the connection, for its limits */
} atf_vtab;

/* xConnect and xCreate of every module (AUX: its atf_module_aux). Accepts at
 *most one argument, the trace, and marks the table
 ** SQLITE_VTAB_DIRECTONLY: it reads files, so only SQL the user writes
 ** directly may use it, never a view or trigger of a stranger's schema. */
int vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                 sqlite3_vtab **out, char **err_msg);
int vtab_disconnect(sqlite3_vtab *vtab);

/* A copy of a CREATE VIRTUAL TABLE argument with SQL quotes removed
** ('it''s' -> it's), from sqlite3_malloc; NULL when out of memory. */
char *vtab_dequote(const char *arg);

/* The trace xFilter should read: the table-valued argument if the plan took
** one (HAS_ARG, in ARG), else the created table's. NULL, with the vtab's
** error set, when there is none. */
const char *vtab_trace_arg(sqlite3_vtab *vtab, const char *table, int has_arg,
                           sqlite3_value *arg);

/* Sets the vtab's error message to "<table>: <what went wrong>". */
void vtab_set_error(sqlite3_vtab *vtab, const char *table,
                    const atf_error *err);

/* xBestIndex of a table whose only input is its trace argument (hidden
** column TRACE_COLUMN): takes trace = ? as argv[0] and sets idxNum to 1;
** a created table keeps its own trace and leaves the constraint to SQLite.
** ROWS and COST are the estimates when the trace is known (a plan without
** it costs 1e6 times more). SQLITE_CONSTRAINT when the argument is not
** usable yet. */
int vtab_plan_trace_only(sqlite3_vtab *vtab, sqlite3_index_info *info,
                         int trace_column, double rows, double cost);

/* Sets the result to BYTES as TEXT when it is valid UTF-8, and as a BLOB of
** the same bytes when it is not, so nothing is lost or mangled. */
void vtab_result_text(sqlite3_context *ctx, atf_bytes bytes);

/* Process-wide counters of the work the tables did, for atf_stats(): how
** many records were framed (length prefix read), and how many event headers
** and payloads were decoded. Cursors add their counts when a scan ends. */
void vtab_stats_add(sqlite3_uint64 records, sqlite3_uint64 headers,
                    sqlite3_uint64 payloads);
void vtab_stats_get(sqlite3_uint64 *records, sqlite3_uint64 *headers,
                    sqlite3_uint64 *payloads);

#endif
