/*
** threads_vtab.c - atf_threads: one row per thread of a trace, in order of
** first appearance, from one walk of its calls.
**
** Usage:
**
**   SELECT * FROM atf_threads('traces/s1/pid_4242');
**   SELECT thread_id FROM atf_threads('t') WHERE open_calls > 0;  -- crashed
**
** Arguments: the trace; optionally options ('skip_corrupt').
**
** Columns:
**
**   thread_id       INTEGER
**   events          INTEGER  events of the thread, every kind
**   calls           INTEGER  its function_call events
**   first_ts        INTEGER  ns: ts of its first event that has one, in
**   last_ts         INTEGER  file order, and of its last; NULL when none has
**   max_depth       INTEGER  the largest depth of its calls; NULL without any
**   open_calls      INTEGER  calls still open at the end of the trace
**   orphan_returns  INTEGER  returns that matched no open call
**   signals         INTEGER  its signal_delivery events
**   trace, options  HIDDEN   the arguments
**
** thread_id = and IN restrict the walk to those threads. The walk runs in
** xFilter (interruptible); memory: one entry per thread, the open calls.
*/
#include <string.h>

#include "threads_vtab.h"
#include "vtab.h"
#include "walk_query.h"
SQLITE_EXTENSION_INIT3

enum {
  T_THREAD_ID,
  T_EVENTS,
  T_CALLS,
  T_FIRST_TS,
  T_LAST_TS,
  T_MAX_DEPTH,
  T_OPEN_CALLS,
  T_ORPHAN_RETURNS,
  T_SIGNALS,
  T_TRACE,
  T_OPTIONS
};

static const char SCHEMA[] =
    "CREATE TABLE x(thread_id INTEGER, events INTEGER, calls INTEGER, "
    "first_ts INTEGER, last_ts INTEGER, max_depth INTEGER, "
    "open_calls INTEGER, orphan_returns INTEGER, signals INTEGER, "
    "trace HIDDEN, options HIDDEN)";

static const char *const threads_options[] = {"skip_corrupt", NULL};

typedef struct threads_cursor {
  vtab_cursor base;
  walk_query q;
  const atf_pairing *pairing; /* the finished walk's */
  size_t n, i;
} threads_cursor;

/* xBestIndex: the arguments, then thread_id = or IN (walk_query.h). */
static int threads_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  return walk_query_best_index(vtab, info, T_THREAD_ID, 16);
}

static void threads_reset(vtab_cursor *base, int closing) {
  threads_cursor *c = (threads_cursor *)base;
  walk_query_end(&c->q, base, closing);
  c->pairing = NULL;
  c->n = c->i = 0;
}

/* xFilter: argv holds the arguments, then thread_id (WALK_THREAD). The
** whole walk runs here; the rows are the walk's threads. */
static int threads_filter(sqlite3_vtab_cursor *base, int idx_num,
                          const char *idx_str, int argc, sqlite3_value **argv) {
  threads_cursor *c = (threads_cursor *)base;
  unsigned options;
  atf_error err;
  int rc, run;
  (void)idx_str;
  (void)argc;
  threads_reset(&c->base, 0);
  c->base.eof = 1;
  rc = walk_query_begin(&c->q, &c->base, idx_num, argv, &options, &run);
  if (rc != SQLITE_OK || !run) return rc;
  /* Drained, not finished: the stacks stay, so open_calls is what was open
  ** at the end. */
  if (atf_walker_drain(c->q.walker, &err) != ATF_OK)
    return vtab_reader_error(base->pVtab, &err);
  c->pairing = atf_walker_pairing(c->q.walker);
  c->n = atf_pairing_thread_count(c->pairing);
  c->base.eof = c->n == 0;
  return SQLITE_OK;
}

static int threads_next(sqlite3_vtab_cursor *base) {
  threads_cursor *c = (threads_cursor *)base;
  c->base.eof = ++c->i >= c->n;
  return SQLITE_OK;
}

static int threads_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                          int column) {
  threads_cursor *c = (threads_cursor *)base;
  const atf_thread_stats *t = atf_pairing_thread(c->pairing, c->i);
  switch (column) {
  case T_THREAD_ID: sqlite3_result_int64(ctx, t->thread_id); break;
  case T_EVENTS: sqlite3_result_int64(ctx, (sqlite3_int64)t->events); break;
  case T_CALLS: sqlite3_result_int64(ctx, (sqlite3_int64)t->calls); break;
  case T_FIRST_TS:
    if (t->has_ts) sqlite3_result_int64(ctx, t->first_ts);
    break;
  case T_LAST_TS:
    if (t->has_ts) sqlite3_result_int64(ctx, t->last_ts);
    break;
  case T_MAX_DEPTH:
    if (t->calls) sqlite3_result_int64(ctx, (sqlite3_int64)t->max_depth);
    break;
  case T_OPEN_CALLS:
    sqlite3_result_int64(ctx, (sqlite3_int64)t->open_calls);
    break;
  case T_ORPHAN_RETURNS:
    sqlite3_result_int64(ctx, (sqlite3_int64)t->orphan_returns);
    break;
  case T_SIGNALS: sqlite3_result_int64(ctx, (sqlite3_int64)t->signals); break;
  default: vtab_result_arg(&c->base, ctx, column - T_TRACE); break;
  }
  return SQLITE_OK;
}

static int threads_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((threads_cursor *)base)->i + 1;
  return SQLITE_OK;
}

static const vtab_table threads_table = {
    .name = "atf_threads",
    .schema = SCHEMA,
    .first_arg = T_TRACE,
    .n_args = 2,
    .cursor_size = sizeof(threads_cursor),
    .reset = threads_reset,
    .options = threads_options,
};

static const sqlite3_module threads_module =
    VTAB_MODULE(threads_best_index, threads_filter, threads_next,
                threads_column, threads_rowid);

int threads_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &threads_table, &threads_module);
}
