/*
** traces_vtab.c - atf_traces: one row per trace under a folder (a session
** folder, a folder of sessions, or a trace itself), ATF v4 and v2, crashed
** and damaged ones included.
**
** Usage:
**
**   SELECT path, pid, format, finalized, event_count FROM atf_traces('s');
**   SELECT t.pid, e.kind, count(*)
**     FROM atf_traces('s') t, atf_events(t.path) e GROUP BY 1, 2;
**
** Columns:
**
**   path                    TEXT     the trace, as every other table takes it
**   session                 TEXT     the name of the folder holding it
**   pid                     INTEGER  from pid_<n>; else trace.json's pid
**   format                  TEXT     'atf4', 'atf2'; NULL: both, unreadable
**   finalized               INTEGER  1 when the writer finished it; NULL
**                                    when format is NULL
**   os, arch                TEXT
**   threads                 INTEGER  v2: thread directories; v4: NULL
**   event_count, bytes      INTEGER
**   time_start_ns, time_end_ns INTEGER
**   error                   TEXT     NULL, or why part of it cannot be read
**   root                    HIDDEN   the argument
**
** The folder is listed when the query starts (atf_traces_list: sorted by
** path, so ORDER BY path costs nothing); each row's other columns are read
** when first asked for (atf_trace_summarize), so `SELECT path` opens no
** trace. A damaged trace is a row with its error, never a failed query;
** only a root that is missing or unreadable fails.
*/
#include <string.h>

#include "traces_vtab.h"
#include "vtab.h"
SQLITE_EXTENSION_INIT3

enum {
  COL_PATH,
  COL_SESSION,
  COL_PID,
  COL_FORMAT,
  COL_FINALIZED,
  COL_OS,
  COL_ARCH,
  COL_THREADS,
  COL_EVENT_COUNT,
  COL_BYTES,
  COL_TIME_START_NS,
  COL_TIME_END_NS,
  COL_ERROR,
  COL_ROOT
};

static const char SCHEMA[] =
    "CREATE TABLE x(path TEXT, session TEXT, pid INTEGER, format TEXT, "
    "finalized INTEGER, os TEXT, arch TEXT, threads INTEGER, "
    "event_count INTEGER, bytes INTEGER, time_start_ns INTEGER, "
    "time_end_ns INTEGER, error TEXT, root HIDDEN)";

/* idxNum bit above the argument bits: ORDER BY path is consumed. */
#define PLAN_ORDERED (1 << VTAB_ARG_BITS)

typedef struct traces_cursor {
  vtab_cursor base;
  atf_trace_list list;
  size_t row;
  int summarized; /* summary is row's */
  atf_trace_summary summary;
} traces_cursor;

static void traces_reset(vtab_cursor *base, int closing) {
  traces_cursor *c = (traces_cursor *)base;
  (void)closing;
  atf_trace_list_free(&c->list);
  atf_trace_summary_free(&c->summary);
  c->summarized = 0;
  c->row = 0;
}

/* xBestIndex: the root argument (vtab.h); ORDER BY path ascending is the
** order rows come in (strcmp is BINARY). */
static int traces_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  int idx, n_argv, has_root;
  int rc = vtab_plan_args(vtab, info, &idx, &n_argv, &has_root);
  if (rc == SQLITE_OK && info->nOrderBy == 1 &&
      info->aOrderBy[0].iColumn == COL_PATH && !info->aOrderBy[0].desc) {
    info->orderByConsumed = 1;
    idx |= PLAN_ORDERED;
  }
  info->idxNum = idx;
  info->estimatedRows = 100;
  info->estimatedCost = has_root ? 1000 : 1e12;
  return rc;
}

/* CREATE VIRTUAL TABLE checks its root as a query would. */
static atf_status traces_probe(const char *root, atf_error *err) {
  atf_trace_list list;
  atf_status rc = atf_traces_list(root, 0, NULL, &list, err);
  atf_trace_list_free(&list);
  return rc;
}

static int traces_filter(sqlite3_vtab_cursor *base, int idx_num,
                         const char *idx_str, int argc, sqlite3_value **argv) {
  traces_cursor *c = (traces_cursor *)base;
  atf_interrupt stop = vtab_interrupt(&c->base);
  atf_error err;
  const char *root;
  int n, match, src;
  (void)idx_str;
  (void)argc;
  traces_reset(&c->base, 0);
  c->base.eof = 1;
  src = vtab_filter_args(&c->base, idx_num, argv, &n, &match);
  if (src != SQLITE_OK || !match) return src;
  if (!(root = vtab_trace(&c->base))) return SQLITE_ERROR;
  if (atf_traces_list(root, ATF_TRACES_MAX_DEPTH, &stop, &c->list, &err) !=
      ATF_OK)
    return vtab_reader_error(base->pVtab, &err);
  c->base.eof = c->list.count == 0;
  return SQLITE_OK;
}

static int traces_next(sqlite3_vtab_cursor *base) {
  traces_cursor *c = (traces_cursor *)base;
  atf_trace_summary_free(&c->summary);
  c->summarized = 0;
  c->base.eof = ++c->row >= c->list.count;
  return SQLITE_OK;
}

static int traces_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((traces_cursor *)base)->row + 1;
  return SQLITE_OK;
}

/* The current row's summary, read on first need. */
static int summarize(traces_cursor *c, sqlite3_context *ctx) {
  atf_interrupt stop;
  atf_error err;
  if (c->summarized) return SQLITE_OK;
  stop = vtab_interrupt(&c->base);
  if (atf_trace_summarize(&c->list.entries[c->row], &stop, &c->summary, &err) !=
      ATF_OK) {
    int rc = err.code == ATF_ERR_INTERRUPTED ? SQLITE_INTERRUPT : SQLITE_NOMEM;
    if (rc == SQLITE_NOMEM) {
      sqlite3_result_error_nomem(ctx);
    } else {
      sqlite3_result_error(ctx, "atf_traces: interrupted", -1);
      sqlite3_result_error_code(ctx, rc);
    }
    return rc;
  }
  c->summarized = 1;
  return SQLITE_OK;
}

static void result_text(sqlite3_context *ctx, const char *s) {
  atf_bytes b = {(const uint8_t *)s, s ? strlen(s) : 0};
  if (s) vtab_result_text(ctx, b); /* a name that is not UTF-8: a BLOB */
}

static void result_opt(sqlite3_context *ctx, int has, uint64_t v) {
  if (has) sqlite3_result_int64(ctx, (sqlite3_int64)v);
}

static int traces_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                         int column) {
  traces_cursor *c = (traces_cursor *)base;
  const atf_trace_entry *e = &c->list.entries[c->row];
  const atf_trace_summary *s = &c->summary;
  int rc;
  switch (column) { /* what the listing knows: no trace opened */
  case COL_PATH: result_text(ctx, e->path); return SQLITE_OK;
  case COL_SESSION: result_text(ctx, e->session); return SQLITE_OK;
  case COL_FORMAT:
    if (e->format == ATF_FORMAT_V4 || e->format == ATF_FORMAT_V2)
      result_text(ctx, atf_format_name(e->format));
    return SQLITE_OK;
  case COL_ROOT: vtab_result_arg(&c->base, ctx, 0); return SQLITE_OK;
  case COL_PID:
    if (e->has_pid) {
      sqlite3_result_int64(ctx, e->pid);
      return SQLITE_OK;
    }
    break;
  }
  if ((rc = summarize(c, ctx)) != SQLITE_OK) return rc;
  switch (column) {
  case COL_PID: result_opt(ctx, s->has_pid, (uint64_t)s->pid); break;
  case COL_FINALIZED:
    if (s->format == ATF_FORMAT_V4 || s->format == ATF_FORMAT_V2)
      sqlite3_result_int(ctx, s->finalized);
    break;
  case COL_OS: result_text(ctx, s->os); break;
  case COL_ARCH: result_text(ctx, s->arch); break;
  case COL_THREADS: result_opt(ctx, s->has_threads, s->threads); break;
  case COL_EVENT_COUNT:
    result_opt(ctx, s->has_event_count, s->event_count);
    break;
  case COL_BYTES: result_opt(ctx, s->has_bytes, s->bytes); break;
  case COL_TIME_START_NS:
    result_opt(ctx, s->has_time_start, s->time_start_ns);
    break;
  case COL_TIME_END_NS: result_opt(ctx, s->has_time_end, s->time_end_ns); break;
  case COL_ERROR: result_text(ctx, s->error); break;
  }
  return SQLITE_OK;
}

static const vtab_table traces_table = {
    .name = "atf_traces",
    .schema = SCHEMA,
    .first_arg = COL_ROOT,
    .n_args = 1,
    .cursor_size = sizeof(traces_cursor),
    .reset = traces_reset,
    .probe = traces_probe,
    .missing_arg = "no root given: use atf_traces('path/to/session'), a "
                   "folder of sessions, or one trace",
};

static const sqlite3_module traces_module = VTAB_MODULE(
    traces_best_index, traces_filter, traces_next, traces_column, traces_rowid);

int traces_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &traces_table, &traces_module);
}
