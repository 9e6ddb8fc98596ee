/*
** manifest_vtab.c - atf_manifest: one row, what a trace's trace.json says and
** what its events.bin is now.
**
** Usage:
**
**   SELECT * FROM atf_manifest('traces/s1/pid_4242');
**   SELECT event_count, (SELECT count(*) FROM atf_events('traces/s1/pid_4242'))
**     FROM atf_manifest('traces/s1/pid_4242');
**
** Columns:
**
**   os, arch                 TEXT
**   pid                      INTEGER  NULL when absent
**   session_id               INTEGER  (uint64 bits) NULL when absent
**   time_start_ns            INTEGER  the writer's wall clock at open
**   time_end_ns              INTEGER  ... and at finalize
**   event_count              INTEGER  events the writer appended
**   bytes_written            INTEGER  NULL when absent
**   modules                  TEXT     JSON array of module UUIDs
**   span_count, first_event_offset, last_event_offset, events_file_size
**                            INTEGER  keys of an earlier draft; NULL if absent
**   events_bin_size          INTEGER  size of events.bin now; NULL if missing
**   manifest                 TEXT     the whole JSON, unknown keys included
**   trace                    HIDDEN   the trace argument
**
** A trace without trace.json (crashed, or still running) is an error that
** says so; atf_events reads such a trace all the same.
*/
#include <stdio.h>
#include <string.h>

#include "manifest_vtab.h"
#include "vtab.h"
SQLITE_EXTENSION_INIT3

enum {
  COL_OS,
  COL_ARCH,
  COL_PID,
  COL_SESSION_ID,
  COL_TIME_START_NS,
  COL_TIME_END_NS,
  COL_EVENT_COUNT,
  COL_BYTES_WRITTEN,
  COL_MODULES,
  COL_SPAN_COUNT,
  COL_FIRST_EVENT_OFFSET,
  COL_LAST_EVENT_OFFSET,
  COL_EVENTS_FILE_SIZE,
  COL_EVENTS_BIN_SIZE,
  COL_MANIFEST,
  COL_TRACE
};

static const char SCHEMA[] =
    "CREATE TABLE x(os TEXT, arch TEXT, pid INTEGER, session_id INTEGER, "
    "time_start_ns INTEGER, time_end_ns INTEGER, event_count INTEGER, "
    "bytes_written INTEGER, modules TEXT, span_count INTEGER, "
    "first_event_offset INTEGER, last_event_offset INTEGER, "
    "events_file_size INTEGER, events_bin_size INTEGER, manifest TEXT, "
    "trace HIDDEN)";

typedef struct manifest_cursor {
  vtab_cursor base;
  atf_manifest manifest;
  int has_events_size;
  sqlite3_int64 events_size;
} manifest_cursor;

static void manifest_reset(vtab_cursor *base, int closing) {
  (void)closing;
  atf_manifest_free(&((manifest_cursor *)base)->manifest);
}

/* xBestIndex: the trace argument (vtab.h) and nothing else. */
static int manifest_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  int idx, n_argv, has_trace;
  int rc = vtab_plan_args(vtab, info, &idx, &n_argv, &has_trace);
  info->idxNum = idx;
  info->estimatedRows = 1;
  info->estimatedCost = has_trace ? 1 : 1e12;
  return rc;
}

/* xFilter: argv holds the trace argument (vtab_filter_args). */
static int manifest_filter(sqlite3_vtab_cursor *base, int idx_num,
                           const char *idx_str, int argc,
                           sqlite3_value **argv) {
  manifest_cursor *c = (manifest_cursor *)base;
  atf_trace_paths paths;
  atf_file_id events_id;
  atf_error err;
  atf_status rc;
  const char *trace;
  int n, match, src;
  (void)idx_str;
  (void)argc;
  manifest_reset(&c->base, 0);
  c->base.eof = 1;
  src = vtab_filter_args(&c->base, idx_num, argv, &n, &match);
  if (src != SQLITE_OK || !match) return src;
  if (!(trace = vtab_trace(&c->base))) return SQLITE_ERROR;
  rc = atf_trace_paths_resolve(trace, &paths, &err);
  if (rc != ATF_OK) return vtab_reader_error(base->pVtab, &err);
  rc = atf_manifest_load(paths.manifest_path, &c->manifest, &err);
  if (rc == ATF_ERR_NOT_FOUND) {
    rc = err.code = ATF_ERR_MANIFEST;
    snprintf(err.message, sizeof err.message,
             "%s: trace not finalized: trace.json is missing (the tracer "
             "crashed or is still running); atf_events still reads its events",
             paths.manifest_path);
  }
  c->has_events_size =
      atf_file_id_read(paths.events_path, &events_id, NULL) == ATF_OK;
  if (c->has_events_size) c->events_size = (sqlite3_int64)events_id.size;
  atf_trace_paths_free(&paths);
  if (rc != ATF_OK) return vtab_reader_error(base->pVtab, &err);
  c->base.eof = 0;
  return SQLITE_OK;
}

static int manifest_next(sqlite3_vtab_cursor *base) {
  ((vtab_cursor *)base)->eof = 1;
  return SQLITE_OK;
}

static int manifest_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  (void)base;
  *rowid = 1;
  return SQLITE_OK;
}

static void result_opt(sqlite3_context *ctx, atf_opt_u64 v) {
  if (v.present) sqlite3_result_int64(ctx, (sqlite3_int64)v.value);
}

static void result_string(sqlite3_context *ctx, const char *s) {
  atf_bytes b = {(const uint8_t *)s, strlen(s)};
  vtab_result_text(ctx, b);
}

static int manifest_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                           int column) {
  manifest_cursor *c = (manifest_cursor *)base;
  const atf_manifest *m = &c->manifest;
  switch (column) {
  case COL_OS: result_string(ctx, m->os); break;
  case COL_ARCH: result_string(ctx, m->arch); break;
  case COL_PID:
    if (m->has_pid) sqlite3_result_int64(ctx, m->pid);
    break;
  case COL_SESSION_ID: result_opt(ctx, m->session_id); break;
  case COL_TIME_START_NS:
    sqlite3_result_int64(ctx, (sqlite3_int64)m->time_start_ns);
    break;
  case COL_TIME_END_NS:
    sqlite3_result_int64(ctx, (sqlite3_int64)m->time_end_ns);
    break;
  case COL_EVENT_COUNT:
    sqlite3_result_int64(ctx, (sqlite3_int64)m->event_count);
    break;
  case COL_BYTES_WRITTEN: result_opt(ctx, m->bytes_written); break;
  case COL_MODULES: result_string(ctx, m->modules_json); break;
  case COL_SPAN_COUNT: result_opt(ctx, m->span_count); break;
  case COL_FIRST_EVENT_OFFSET: result_opt(ctx, m->first_event_offset); break;
  case COL_LAST_EVENT_OFFSET: result_opt(ctx, m->last_event_offset); break;
  case COL_EVENTS_FILE_SIZE: result_opt(ctx, m->events_file_size); break;
  case COL_EVENTS_BIN_SIZE:
    if (c->has_events_size) sqlite3_result_int64(ctx, c->events_size);
    break;
  case COL_MANIFEST: result_string(ctx, m->json); break;
  case COL_TRACE: vtab_result_arg(&c->base, ctx, 0); break;
  }
  return SQLITE_OK;
}

static const vtab_table manifest_table = {
    .name = "atf_manifest",
    .schema = SCHEMA,
    .first_arg = COL_TRACE,
    .n_args = 1,
    .cursor_size = sizeof(manifest_cursor),
    .reset = manifest_reset,
};

static const sqlite3_module manifest_module =
    VTAB_MODULE(manifest_best_index, manifest_filter, manifest_next,
                manifest_column, manifest_rowid);

int manifest_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &manifest_table, &manifest_module);
}
