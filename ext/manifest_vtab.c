/*
** manifest_vtab.c - atf_manifest: one row, what a trace's manifest says
** (trace.json for ATF v4, manifest.json for ATF v2) and what its files are
** now.
**
** Usage:
**
**   SELECT * FROM atf_manifest('traces/s1/pid_4242');
**   SELECT event_count, (SELECT count(*) FROM atf_events('traces/s1/pid_4242'))
**     FROM atf_manifest('traces/s1/pid_4242');
**
** Columns (v4 from trace.json; v2 as said):
**
**   os, arch                 TEXT     v2: of the first index.atf header
**   pid                      INTEGER  NULL when absent (v2: the pid_N
**                                     folder's N, as atf_traces gives it)
**   session_id               INTEGER  (uint64 bits) NULL when absent (v2:
*always)
**   time_start_ns            INTEGER  the writer's clock at open (v2: the
**   time_end_ns              INTEGER  ... and at finalize     manifest's, NULL
**                                                             when absent)
**   event_count              INTEGER  events the writer appended (v2: index
**                                     records in the files now)
**   bytes_written            INTEGER  NULL when absent (v2: always)
**   modules                  TEXT     JSON array: v4 as trace.json lists them
**                                     (UUIDs); v2 {module_id, path,
**                                     base_address, size, uuid} objects
**   span_count, first_event_offset, last_event_offset, events_file_size
**                            INTEGER  keys of an earlier v4 draft; NULL if
**                                     absent (v2: always)
**   events_bin_size          INTEGER  size of events.bin now; NULL if missing
**                                     (v2: always)
**   manifest                 TEXT     the whole JSON, unknown keys included
**   format                   TEXT     'atf4' or 'atf2'
**   format_version           TEXT     v2: the manifest's; v4: NULL
**   threads                  INTEGER  v2: thread_<n> directories; v4: NULL
**   trace                    HIDDEN   the trace argument
**
** A trace without its manifest (crashed, or still running) is an error that
** says so; atf_events reads such a trace all the same. A session folder is
** an error naming atf_traces.
*/
#include <stdio.h>
#include <string.h>

#include "json_buf.h"
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
  COL_FORMAT,
  COL_FORMAT_VERSION,
  COL_THREADS,
  COL_TRACE
};

static const char SCHEMA[] =
    "CREATE TABLE x(os TEXT, arch TEXT, pid INTEGER, session_id INTEGER, "
    "time_start_ns INTEGER, time_end_ns INTEGER, event_count INTEGER, "
    "bytes_written INTEGER, modules TEXT, span_count INTEGER, "
    "first_event_offset INTEGER, last_event_offset INTEGER, "
    "events_file_size INTEGER, events_bin_size INTEGER, manifest TEXT, "
    "format TEXT, format_version TEXT, threads INTEGER, trace HIDDEN)";

typedef struct manifest_cursor {
  vtab_cursor base;
  atf_manifest manifest; /* v4 */
  trace_entry *v2;       /* v2: the trace held, its manifest parsed */
  json_buf modules;      /* v2: the modules column */
  int has_events_size;
  sqlite3_int64 events_size;
} manifest_cursor;

static void manifest_reset(vtab_cursor *base, int closing) {
  manifest_cursor *c = (manifest_cursor *)base;
  atf_manifest_free(&c->manifest);
  if (c->v2) trace_cache_release(vtab_cache(base), c->v2);
  c->v2 = NULL;
  if (closing) json_free(&c->modules);
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

/* The v4 row: trace.json parsed, events.bin's size taken. */
static int filter_v4(manifest_cursor *c, const char *trace) {
  atf_trace_paths paths;
  atf_file_id events_id;
  atf_error err;
  atf_status rc = atf_trace_paths_resolve(trace, &paths, &err);
  if (rc != ATF_OK) return vtab_reader_error(c->base.base.pVtab, &err);
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
  if (rc != ATF_OK) return vtab_reader_error(c->base.base.pVtab, &err);
  return SQLITE_OK;
}

/* The modules of a v2 manifest as a JSON array, every integer exact. */
static void modules_json(json_buf *b, const atf_v2_manifest *m) {
  char hex[24];
  json_reset(b);
  json_char(b, '[');
  for (size_t i = 0; i < m->module_count; i++) {
    const atf_v2_module *mod = &m->modules[i];
    const char *path = mod->path ? mod->path : "";
    if (i) json_char(b, ',');
    json_char(b, '{');
    json_string(b, (atf_bytes){(const uint8_t *)"module_id", 9});
    json_char(b, ':');
    json_int64(b, mod->module_id);
    json_char(b, ',');
    json_string(b, (atf_bytes){(const uint8_t *)"path", 4});
    json_char(b, ':');
    json_string(b, (atf_bytes){(const uint8_t *)path, strlen(path)});
    if (mod->has_base_address) {
      snprintf(hex, sizeof hex, "0x%llx",
               (unsigned long long)mod->base_address);
      json_char(b, ',');
      json_string(b, (atf_bytes){(const uint8_t *)"base_address", 12});
      json_char(b, ':');
      json_string(b, (atf_bytes){(const uint8_t *)hex, strlen(hex)});
    }
    if (mod->has_size) {
      json_char(b, ',');
      json_string(b, (atf_bytes){(const uint8_t *)"size", 4});
      json_char(b, ':');
      json_int64(b, (int64_t)mod->size);
    }
    if (mod->uuid) {
      json_char(b, ',');
      json_string(b, (atf_bytes){(const uint8_t *)"uuid", 4});
      json_char(b, ':');
      json_string(b,
                  (atf_bytes){(const uint8_t *)mod->uuid, strlen(mod->uuid)});
    }
    json_char(b, '}');
  }
  json_char(b, ']');
}

/* The v2 row (or the error of a session folder, or of a trace without a
** readable manifest.json). */
static int filter_v2(manifest_cursor *c, const char *trace) {
  sqlite3_vtab *vtab = c->base.base.pVtab;
  const atf_v2_trace *t;
  atf_error err;
  if (trace_cache_acquire(vtab_cache(&c->base), trace, &c->v2, &err) != ATF_OK)
    return vtab_reader_error(vtab, &err);
  t = &c->v2->v2;
  if (!t->has_manifest)
    return vtab_error(vtab, SQLITE_ERROR,
                      "%s: trace not finalized: manifest.json is missing (the "
                      "tracer crashed or is still running); atf_events still "
                      "reads its events",
                      t->manifest_path);
  if (t->manifest_status != ATF_OK)
    return vtab_reader_error(vtab, &t->manifest_error);
  modules_json(&c->modules, &t->manifest);
  if (c->modules.oom) return SQLITE_NOMEM;
  return SQLITE_OK;
}

/* xFilter: argv holds the trace argument (vtab_filter_args). The trace's
** format is told first (atf_format_detect); what is not v4 goes through
** the trace cache, which also names atf_traces for a session folder. */
static int manifest_filter(sqlite3_vtab_cursor *base, int idx_num,
                           const char *idx_str, int argc,
                           sqlite3_value **argv) {
  manifest_cursor *c = (manifest_cursor *)base;
  atf_format_info info;
  atf_error err;
  const char *trace;
  int n, match, rc, v4;
  (void)idx_str;
  (void)argc;
  manifest_reset(&c->base, 0);
  c->base.eof = 1;
  c->has_events_size = 0;
  rc = vtab_filter_args(&c->base, idx_num, argv, &n, &match);
  if (rc != SQLITE_OK || !match) return rc;
  if (!(trace = vtab_trace(&c->base))) return SQLITE_ERROR;
  /* Not v4: a v2 trace, damaged or not, or a session (the cache says). */
  v4 = atf_format_detect(trace, &info, &err) == ATF_OK
           ? info.format == ATF_FORMAT_V4
           : !(info.trace_files & ATF_FILES_V2);
  atf_format_info_free(&info);
  rc = v4 ? filter_v4(c, trace) : filter_v2(c, trace);
  if (rc == SQLITE_OK) c->base.eof = 0;
  return rc;
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

static void result_known_u64(sqlite3_context *ctx, int known, uint64_t v) {
  if (known) sqlite3_result_int64(ctx, (sqlite3_int64)v);
}

static void result_name(sqlite3_context *ctx, const char *name) {
  if (name) result_string(ctx, name);
}

/* A column of the v2 row; the v4-only ones stay NULL. */
static void column_v2(manifest_cursor *c, sqlite3_context *ctx, int column) {
  const atf_v2_trace *t = &c->v2->v2;
  const atf_v2_manifest *m = &t->manifest;
  switch (column) {
  case COL_OS: result_name(ctx, atf_v2_os_name(t->os)); break;
  case COL_ARCH: result_name(ctx, atf_v2_arch_name(t->arch)); break;
  case COL_PID: {
    int64_t pid;
    if (atf_dir_pid(t->dir, &pid)) sqlite3_result_int64(ctx, pid);
    break;
  }
  case COL_TIME_START_NS: result_opt(ctx, m->time_start_ns); break;
  case COL_TIME_END_NS: result_opt(ctx, m->time_end_ns); break;
  case COL_EVENT_COUNT: result_known_u64(ctx, 1, t->records); break;
  case COL_MODULES:
    sqlite3_result_text(ctx, c->modules.data, (int)c->modules.len,
                        SQLITE_TRANSIENT);
    break;
  case COL_MANIFEST: result_string(ctx, m->json); break;
  case COL_FORMAT: result_string(ctx, "atf2"); break;
  case COL_FORMAT_VERSION: result_name(ctx, m->format_version); break;
  case COL_THREADS: result_known_u64(ctx, 1, t->thread_count); break;
  default: break;
  }
}

static int manifest_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                           int column) {
  manifest_cursor *c = (manifest_cursor *)base;
  const atf_manifest *m = &c->manifest;
  if (column == COL_TRACE) {
    vtab_result_arg(&c->base, ctx, 0);
    return SQLITE_OK;
  }
  if (c->v2) {
    column_v2(c, ctx, column);
    return SQLITE_OK;
  }
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
  case COL_FORMAT: result_string(ctx, "atf4"); break;
  default: break; /* format_version, threads: v2 only */
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
