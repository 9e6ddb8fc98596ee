/*
** flamegraph_vtab.c - atf_flamegraph: one row per distinct call path, the
** folded stacks of flame graphs (flamegraph.pl, inferno, speedscope), from
** one walk of the calls folded by the reader (atf_flame).
**
** Usage:
**
**   .once stacks.folded
**   SELECT stack || ' ' || self_dur FROM atf_flamegraph('traces/s1/pid_4242');
**   SELECT * FROM atf_flamegraph('t') WHERE thread_id = 3;    -- one thread
**   SELECT * FROM atf_flamegraph('t', 'per_thread');  -- "thread 3;main;..."
**
** Arguments: the trace; optionally options, words among 'skip_corrupt'
** (leave out records that do not decode) and 'per_thread' (each thread's
** paths apart, each stack starting with a frame "thread <id>").
**
** Columns:
**
**   stack             TEXT     the symbols of the call and of the calls open
**                              below it, outermost first, joined by ';'; an
**                              empty symbol is an empty frame; ';', LF and
**                              CR inside a symbol are written %3B, %0A, %0D
**                              (the format cannot hold them); a BLOB of the
**                              same bytes when a symbol is not UTF-8
**   self_dur          INTEGER  ns: the sum of the self_dur of the path's
**                              calls, each negative one (a clock that jumped
**                              back) counted as 0; REAL beyond 64 bits
**   calls             INTEGER  calls with this path
**   negative_self_dur INTEGER  ns (<= 0): the negative self_dur left out
**   untimed           INTEGER  calls whose self_dur is unknown (a timestamp
**                              missing: theirs, their end's or a direct
**                              child's): they add nothing to self_dur
**   trace, options    HIDDEN   the arguments
**   thread_id         HIDDEN   a filter: = or IN restricts the walk to those
**                              threads; with 'per_thread' the row's thread,
**                              else NULL
**
** Calls still open at the end of the trace (a crash) end at the timestamp of
** their thread's last event in file order, so the crash path shows. Rows
** come in order of each path's first call. The walk runs in xFilter
** (interruptible); memory grows with the distinct paths, not the calls.
*/
#include "flamegraph_vtab.h"
#include "vtab.h"
#include "walk_query.h"
SQLITE_EXTENSION_INIT3

enum {
  G_STACK,
  G_SELF_DUR,
  G_CALLS,
  G_NEGATIVE_SELF_DUR,
  G_UNTIMED,
  G_TRACE,
  G_OPTIONS,
  G_THREAD_ID /* after the arguments: they fill the hidden columns in order */
};

static const char SCHEMA[] =
    "CREATE TABLE x(stack TEXT, self_dur INTEGER, calls INTEGER, "
    "negative_self_dur INTEGER, untimed INTEGER, trace HIDDEN, "
    "options HIDDEN, thread_id HIDDEN)";

static const char *const flamegraph_options[] = {"skip_corrupt", "per_thread",
                                                 NULL};
#define OPTION_PER_THREAD 2u

typedef struct flamegraph_cursor {
  vtab_cursor base;
  walk_query q;
  atf_flame *flame;
  atf_flame_path row;
  int per_thread;
  size_t n, i;
} flamegraph_cursor;

/* xBestIndex: the arguments, then thread_id = or IN (walk_query.h). */
static int flamegraph_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  return walk_query_best_index(vtab, info, G_THREAD_ID, 1000);
}

static void flamegraph_reset(vtab_cursor *base, int closing) {
  flamegraph_cursor *c = (flamegraph_cursor *)base;
  walk_query_end(&c->q, base, closing);
  atf_flame_free(c->flame);
  c->flame = NULL;
  c->n = c->i = 0;
}

/* The whole walk: every call's self time added to its path. */
static int fold(flamegraph_cursor *c) {
  atf_error err;
  atf_call call;
  atf_status rc;
  if (!(c->flame = atf_flame_new(c->per_thread))) return SQLITE_NOMEM;
  atf_flame_attach(c->flame, atf_walker_pairing(c->q.walker));
  while ((rc = atf_walker_next(c->q.walker, &call, &err)) == ATF_OK)
    if ((rc = atf_flame_add(c->flame, &call, &err)) != ATF_OK) break;
  if (rc == ATF_END) rc = atf_flame_finish(c->flame, &c->n, &err);
  if (rc != ATF_OK) return vtab_reader_error(c->base.base.pVtab, &err);
  return SQLITE_OK;
}

static void load_row(flamegraph_cursor *c) {
  if (c->i < c->n) atf_flame_get(c->flame, c->i, &c->row);
  c->base.eof = c->i >= c->n;
}

/* xFilter: argv holds the arguments, then thread_id (WALK_THREAD). Calls
** still open at the end close at their thread's last timestamp. */
static int flamegraph_filter(sqlite3_vtab_cursor *base, int idx_num,
                             const char *idx_str, int argc,
                             sqlite3_value **argv) {
  flamegraph_cursor *c = (flamegraph_cursor *)base;
  unsigned options;
  int rc, run;
  (void)idx_str;
  (void)argc;
  flamegraph_reset(&c->base, 0);
  c->base.eof = 1;
  c->q.close_at_last_ts = 1;
  rc = walk_query_begin(&c->q, &c->base, idx_num, argv, &options, &run);
  if (rc != SQLITE_OK || !run) return rc;
  c->per_thread = (options & OPTION_PER_THREAD) != 0;
  if ((rc = fold(c)) != SQLITE_OK) return rc;
  load_row(c);
  return SQLITE_OK;
}

static int flamegraph_next(sqlite3_vtab_cursor *base) {
  flamegraph_cursor *c = (flamegraph_cursor *)base;
  c->i++;
  load_row(c);
  return SQLITE_OK;
}

static int flamegraph_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                             int column) {
  flamegraph_cursor *c = (flamegraph_cursor *)base;
  const atf_flame_path *r = &c->row;
  switch (column) {
  case G_STACK: {
    atf_bytes stack;
    atf_error err;
    if (atf_flame_stack(c->flame, c->i, &stack, &err) != ATF_OK) {
      sqlite3_result_error_nomem(ctx);
      return SQLITE_NOMEM;
    }
    vtab_result_text(ctx, stack);
    break;
  }
  case G_SELF_DUR: vtab_result_sum(ctx, &r->self_dur); break;
  case G_CALLS: sqlite3_result_int64(ctx, (sqlite3_int64)r->calls); break;
  case G_NEGATIVE_SELF_DUR: vtab_result_sum(ctx, &r->negative_self_dur); break;
  case G_UNTIMED: sqlite3_result_int64(ctx, (sqlite3_int64)r->untimed); break;
  case G_THREAD_ID:
    if (c->per_thread) sqlite3_result_int64(ctx, r->thread_id);
    break;
  default: vtab_result_arg(&c->base, ctx, column - G_TRACE); break;
  }
  return SQLITE_OK;
}

static int flamegraph_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((flamegraph_cursor *)base)->i + 1;
  return SQLITE_OK;
}

static const vtab_table flamegraph_table = {
    .name = "atf_flamegraph",
    .schema = SCHEMA,
    .first_arg = G_TRACE,
    .n_args = 2,
    .cursor_size = sizeof(flamegraph_cursor),
    .reset = flamegraph_reset,
    .options = flamegraph_options,
};

static const sqlite3_module flamegraph_module =
    VTAB_MODULE(flamegraph_best_index, flamegraph_filter, flamegraph_next,
                flamegraph_column, flamegraph_rowid);

int flamegraph_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &flamegraph_table, &flamegraph_module);
}
