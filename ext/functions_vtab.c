/*
** functions_vtab.c - atf_functions: one row per symbol, where the time
** went, from one walk of the calls (reader: atf_functions).
**
** Usage:
**
**   SELECT symbol, calls, total_dur, self_dur, p99_dur
**     FROM atf_functions('traces/s1/pid_4242') ORDER BY self_dur DESC;
**   SELECT * FROM atf_functions('t') WHERE thread_id = 3;  -- one thread
**
** Arguments: the trace; optionally options ('skip_corrupt').
**
** Columns (durations in ns, over the calls that have one: returned and
** unwound, negative ones from a jumping clock as they are):
**
**   symbol          TEXT     as atf_calls.symbol; calls without one share ''
**   calls           INTEGER  its calls
**   returned        INTEGER  those that returned
**   threads         INTEGER  distinct threads it ran on
**   total_dur       INTEGER  sum of dur, recursion counted once (a call
**                            inside an open call of the same symbol on its
**                            thread adds nothing); REAL beyond 64 bits; NULL
**                            when no call adds to it
**   self_dur        INTEGER  sum of self_dur over calls that have one; REAL
**                            beyond 64 bits; NULL when none has
**   min_dur, max_dur INTEGER exact; NULL when no call has a dur
**   avg_dur         REAL     exact sum / count
**   p50_dur, p90_dur, p99_dur
**                   INTEGER  nearest-rank percentiles, within 1% (a
**                            log-bucketed histogram: reader/sketch.c)
**   trace, options  HIDDEN   the arguments
**   thread_id       HIDDEN   a filter: = or IN restricts the walk to those
**                            threads (NULL in the rows)
**
** Rows come in order of each symbol's first call. The walk runs in xFilter
** (interruptible); memory grows with the symbols, not with the calls.
*/
#include <string.h>

#include "functions_vtab.h"
#include "vtab.h"
#include "walk_query.h"
SQLITE_EXTENSION_INIT3

enum {
  F_SYMBOL,
  F_CALLS,
  F_RETURNED,
  F_THREADS,
  F_TOTAL_DUR,
  F_SELF_DUR,
  F_MIN_DUR,
  F_AVG_DUR,
  F_MAX_DUR,
  F_P50_DUR,
  F_P90_DUR,
  F_P99_DUR,
  F_TRACE,
  F_OPTIONS,
  F_THREAD_ID /* after the arguments: table-valued arguments fill the
                 hidden columns in order */
};

static const char SCHEMA[] =
    "CREATE TABLE x(symbol TEXT, calls INTEGER, returned INTEGER, "
    "threads INTEGER, total_dur INTEGER, self_dur INTEGER, min_dur INTEGER, "
    "avg_dur REAL, max_dur INTEGER, p50_dur INTEGER, p90_dur INTEGER, "
    "p99_dur INTEGER, trace HIDDEN, options HIDDEN, thread_id HIDDEN)";

static const char *const functions_options[] = {"skip_corrupt", NULL};

typedef struct functions_cursor {
  vtab_cursor base;
  walk_query q;
  atf_functions *fns;
  atf_function_stats row;
  size_t n, i;
} functions_cursor;

/* xBestIndex: the arguments, then thread_id = or IN (walk_query.h). */
static int functions_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  return walk_query_best_index(vtab, info, F_THREAD_ID, 100);
}

static void functions_reset(vtab_cursor *base, int closing) {
  functions_cursor *c = (functions_cursor *)base;
  walk_query_end(&c->q, base, closing);
  atf_functions_free(c->fns);
  c->fns = NULL;
  c->n = c->i = 0;
}

/* The whole walk: every call handed to the statistics. */
static int aggregate(functions_cursor *c) {
  atf_error err;
  atf_call call;
  atf_status rc;
  if (!(c->fns = atf_functions_new())) return SQLITE_NOMEM;
  atf_functions_attach(c->fns, atf_walker_pairing(c->q.walker));
  while ((rc = atf_walker_next(c->q.walker, &call, &err)) == ATF_OK)
    if ((rc = atf_functions_add(c->fns, &call, &err)) != ATF_OK) break;
  if (rc != ATF_END) return vtab_reader_error(c->base.base.pVtab, &err);
  return SQLITE_OK;
}

static void load_row(functions_cursor *c) {
  if (c->i < c->n) atf_functions_get(c->fns, c->i, &c->row);
  c->base.eof = c->i >= c->n;
}

/* xFilter: argv holds the arguments, then thread_id (WALK_THREAD). */
static int functions_filter(sqlite3_vtab_cursor *base, int idx_num,
                            const char *idx_str, int argc,
                            sqlite3_value **argv) {
  functions_cursor *c = (functions_cursor *)base;
  unsigned options;
  int rc, run;
  (void)idx_str;
  (void)argc;
  functions_reset(&c->base, 0);
  c->base.eof = 1;
  rc = walk_query_begin(&c->q, &c->base, idx_num, argv, &options, &run);
  if (rc != SQLITE_OK || !run || (rc = aggregate(c)) != SQLITE_OK) return rc;
  c->n = atf_functions_count(c->fns);
  load_row(c);
  return SQLITE_OK;
}

static int functions_next(sqlite3_vtab_cursor *base) {
  functions_cursor *c = (functions_cursor *)base;
  c->i++;
  load_row(c);
  return SQLITE_OK;
}

static int functions_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                            int column) {
  functions_cursor *c = (functions_cursor *)base;
  const atf_function_stats *r = &c->row;
  int timed = r->durations > 0;
  switch (column) {
  case F_SYMBOL: vtab_result_text(ctx, r->symbol); break;
  case F_CALLS: sqlite3_result_int64(ctx, (sqlite3_int64)r->calls); break;
  case F_RETURNED: sqlite3_result_int64(ctx, (sqlite3_int64)r->returned); break;
  case F_THREADS: sqlite3_result_int64(ctx, (sqlite3_int64)r->threads); break;
  case F_TOTAL_DUR:
    if (r->total_calls) vtab_result_sum(ctx, &r->total_dur);
    break;
  case F_SELF_DUR:
    if (r->self_calls) vtab_result_sum(ctx, &r->self_dur);
    break;
  case F_MIN_DUR:
    if (timed) sqlite3_result_int64(ctx, r->min_dur);
    break;
  case F_AVG_DUR:
    if (timed) sqlite3_result_double(ctx, r->avg_dur);
    break;
  case F_MAX_DUR:
    if (timed) sqlite3_result_int64(ctx, r->max_dur);
    break;
  case F_P50_DUR:
    if (timed) sqlite3_result_int64(ctx, r->p50_dur);
    break;
  case F_P90_DUR:
    if (timed) sqlite3_result_int64(ctx, r->p90_dur);
    break;
  case F_P99_DUR:
    if (timed) sqlite3_result_int64(ctx, r->p99_dur);
    break;
  case F_THREAD_ID: break; /* a filter only */
  default: vtab_result_arg(&c->base, ctx, column - F_TRACE); break;
  }
  return SQLITE_OK;
}

static int functions_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((functions_cursor *)base)->i + 1;
  return SQLITE_OK;
}

static const vtab_table functions_table = {
    .name = "atf_functions",
    .schema = SCHEMA,
    .first_arg = F_TRACE,
    .n_args = 2,
    .cursor_size = sizeof(functions_cursor),
    .reset = functions_reset,
    .options = functions_options,
};

static const sqlite3_module functions_module =
    VTAB_MODULE(functions_best_index, functions_filter, functions_next,
                functions_column, functions_rowid);

int functions_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &functions_table, &functions_module);
}
