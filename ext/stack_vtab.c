/*
** stack_vtab.c - atf_stack: the calls open on the thread of an event just
** after it, outermost first: the backtrace at that event.
**
** Usage:
**
**   SELECT * FROM atf_stack('traces/s1/pid_4242', 6779);
**   SELECT depth, symbol FROM atf_stack('t',
**     (SELECT offset FROM atf_events('t') WHERE kind = 'signal_delivery'));
**
** Arguments: the trace, and `at`, the offset of an event (a record start;
** anything else is an error naming it; NULL gives no rows). A call event
** is on its own stack; a return's call is not, nor the calls it unwound.
**
** Columns:
**
**   depth              INTEGER  0 for the outermost call
**   offset             INTEGER  of the call event
**   symbol, address             of the call event (as in atf_events)
**   ts                 INTEGER  ns, of the call event; NULL without one
**   argument_registers TEXT     the call's registers, JSON (as atf_events)
**   thread_id          INTEGER
**   trace, at          HIDDEN   the arguments
**
** The stacks are restored from the call checkpoint before `at` (built by one
** walk of the trace on first need, then kept with the trace) and a walk of
** one thread's records from there: a few thousand records, whatever the
** trace's size.
*/
#include <string.h>

#include "stack_vtab.h"
#include "values.h"
#include "vtab.h"
#include "walk_query.h"
SQLITE_EXTENSION_INIT3

enum {
  S_DEPTH,
  S_OFFSET,
  S_SYMBOL,
  S_ADDRESS,
  S_TS,
  S_ARGUMENT_REGISTERS,
  S_THREAD_ID,
  S_TRACE,
  S_AT
};

static const char SCHEMA[] =
    "CREATE TABLE x(depth INTEGER, offset INTEGER, symbol TEXT, "
    "address INTEGER, ts INTEGER, argument_registers TEXT, "
    "thread_id INTEGER, trace HIDDEN, at HIDDEN)";

typedef struct stack_cursor {
  vtab_cursor base;
  walk_query q;
  int32_t thread;
  const atf_call *frames; /* the walker's stack for THREAD */
  size_t n, i;
} stack_cursor;

/* xBestIndex: the arguments only (vtab_plan_args); without `at` the plan
** cannot run. */
static int stack_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  int idx, n_argv, has_trace;
  int rc = vtab_plan_args(vtab, info, &idx, &n_argv, &has_trace);
  info->idxNum = idx;
  info->estimatedRows = 20;
  info->estimatedCost = has_trace && VTAB_ARG_COUNT(idx, 1) ? 1e3 : 1e12;
  return rc;
}

static void stack_reset(vtab_cursor *base, int closing) {
  stack_cursor *c = (stack_cursor *)base;
  walk_query_end(&c->q, base, closing);
  c->frames = NULL;
  c->n = c->i = 0;
}

/* Whether *AT is the start of a record of the trace: the block index says
** where records start. The thread of its event into *THREAD. Over v2, a
** copy the call tables leave out (a twin) becomes the kept copy's rowid:
** its stack is the event's. */
static int record_start(stack_cursor *c, uint64_t *at, int32_t *thread) {
  const atf_map *map = &c->q.entry->map;
  atf_interrupt stop = vtab_interrupt(&c->base);
  const atf_index *index;
  atf_error err;
  atf_record rec;
  atf_event ev;
  atf_iter it;
  uint64_t ordinal;
  if (c->q.entry->format == ATF_FORMAT_V2) { /* a rowid */
    atf_v2_event v2;
    if (atf_v2_event_by_rowid(&c->q.entry->v2, *at, &v2, &err) != ATF_OK)
      return vtab_error(c->base.base.pVtab, SQLITE_ERROR,
                        "%s: %llu is the rowid of no event", c->q.entry->v2.dir,
                        (unsigned long long)*at);
    *thread = (int32_t)v2.slot; /* the walker's thread: the file's */
    *at = (uint64_t)v2.slot << 32 |
          atf_v2_twin_kept(atf_v2_thread_of_slot(&c->q.entry->v2, v2.slot), &v2);
    return SQLITE_OK;
  }
  if (trace_entry_index(c->q.entry, 0, &stop, &index, &err) != ATF_OK)
    return vtab_reader_error(c->base.base.pVtab, &err);
  atf_iter_init(&it, map);
  if (*at < map->size) {
    it.pos = atf_index_floor(index, *at, &ordinal);
    atf_iter_skip_to(&it, *at, NULL);
  }
  if (*at >= map->size || it.pos != *at)
    return vtab_error(c->base.base.pVtab, SQLITE_ERROR,
                      "%s: byte offset %llu is not the start of a record",
                      map->path, (unsigned long long)*at);
  if (atf_record_at(map, *at, &rec, &err) != ATF_OK ||
      atf_event_decode(&rec, &ev, &err) != ATF_OK)
    return vtab_reader_error(c->base.base.pVtab, &err);
  *thread = ev.thread_id;
  return SQLITE_OK;
}

/* xFilter: argv holds the arguments (vtab_filter_args): the trace, `at`. */
static int stack_filter(sqlite3_vtab_cursor *base, int idx_num,
                        const char *idx_str, int argc, sqlite3_value **argv) {
  stack_cursor *c = (stack_cursor *)base;
  sqlite3_vtab *vtab = base->pVtab;
  atf_interrupt stop = vtab_interrupt(&c->base);
  const atf_call_index *calls;
  const atf_index *index;
  sqlite3_int64 at;
  atf_error err;
  uint64_t from, start;
  int a, rc, match;
  (void)idx_str;
  (void)argc;
  stack_reset(&c->base, 0);
  c->base.eof = 1;
  rc = vtab_filter_args(&c->base, idx_num, argv, &a, &match);
  if (rc != SQLITE_OK || !match) return rc;
  if (!c->base.args[1])
    return vtab_error(vtab, SQLITE_ERROR,
                      "no event given: use atf_stack(trace, offset)");
  if (!values_exact_integer(c->base.args[1], &at) || at < 0)
    return vtab_error(vtab, SQLITE_ERROR,
                      "at must be the offset of an event (an integer), not "
                      "'%s'",
                      sqlite3_value_text(c->base.args[1]));
  start = (uint64_t)at;
  if ((rc = walk_query_acquire(&c->q, &c->base)) != SQLITE_OK ||
      (rc = record_start(c, &start, &c->thread)) != SQLITE_OK ||
      (rc = walk_query_start(&c->q, &c->base, &c->thread, 1)) != SQLITE_OK)
    return rc;
  /* v4: from the call checkpoint before it; v2: from the start of the
  ** thread's own file. */
  if ((c->q.entry->format == ATF_FORMAT_V4 &&
       (trace_entry_calls(c->q.entry, &stop, &index, &calls, &err) != ATF_OK ||
        atf_call_index_restore(calls, index, &c->q.entry->map, c->q.walker,
                               start, &from, &err) != ATF_OK)) ||
      atf_walker_advance_to(c->q.walker, start, &err) != ATF_OK)
    return vtab_reader_error(vtab, &err);
  c->n =
      atf_pairing_stack(atf_walker_pairing(c->q.walker), c->thread, &c->frames);
  c->base.eof = c->n == 0;
  return SQLITE_OK;
}

static int stack_next(sqlite3_vtab_cursor *base) {
  stack_cursor *c = (stack_cursor *)base;
  c->base.eof = ++c->i >= c->n;
  return SQLITE_OK;
}

static int stack_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                        int column) {
  stack_cursor *c = (stack_cursor *)base;
  const atf_call *k = &c->frames[c->i];
  switch (column) {
  case S_DEPTH: sqlite3_result_int64(ctx, (sqlite3_int64)k->depth); break;
  case S_OFFSET: sqlite3_result_int64(ctx, (sqlite3_int64)k->offset); break;
  case S_SYMBOL:
    if (!k->symbol_unknown) vtab_result_text(ctx, k->symbol);
    break;
  case S_ADDRESS:
    if (!k->has_function_id)
      sqlite3_result_int64(ctx, (sqlite3_int64)k->address);
    break;
  case S_TS:
    if (k->has_ts) sqlite3_result_int64(ctx, k->ts);
    break;
  case S_ARGUMENT_REGISTERS:
    return walk_query_registers(&c->q, &c->base, ctx, k->detail_offset);
  case S_THREAD_ID: sqlite3_result_int64(ctx, k->thread_id); break;
  default: vtab_result_arg(&c->base, ctx, column - S_TRACE); break;
  }
  return SQLITE_OK;
}

static int stack_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((stack_cursor *)base)->i;
  return SQLITE_OK;
}

static const vtab_table stack_table = {
    .name = "atf_stack",
    .schema = SCHEMA,
    .first_arg = S_TRACE,
    .n_args = 2,
    .cursor_size = sizeof(stack_cursor),
    .reset = stack_reset,
};

static const sqlite3_module stack_module = VTAB_MODULE(
    stack_best_index, stack_filter, stack_next, stack_column, stack_rowid);

int stack_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &stack_table, &stack_module);
}
