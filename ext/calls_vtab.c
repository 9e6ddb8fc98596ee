/*
** calls_vtab.c - atf_calls: one row per function_call event, paired with
** its return by the reader's walker (atf_reader.h, "calls"; the pairing
** rules are in the README).
**
** Usage:
**
**   SELECT symbol, dur FROM atf_calls('traces/s1/pid_4242')
**    ORDER BY dur DESC LIMIT 10;                       -- the slowest calls
**   SELECT * FROM atf_calls('t') WHERE thread_id = 3;  -- one thread
**   SELECT * FROM atf_calls('t') WHERE offset = 4711;  -- one call
**   SELECT * FROM atf_calls('t') WHERE ts BETWEEN 1700 AND 1800;  -- a window
**
** Arguments (vtab.h): the trace; optionally options: 'skip_corrupt' leaves
** out records that do not decode and pairs the rest.
**
** Columns:
**
**   offset             INTEGER  of the call event; also the rowid
**   return_offset      INTEGER  of its own return; NULL unless returned
**   thread_id          INTEGER
**   depth              INTEGER  open calls below it on its thread (0: none)
**   parent_offset      INTEGER  the enclosing call; NULL at depth 0
**   symbol, address             of the call event (as in atf_events)
**   ts                 INTEGER  ns, of the call event; NULL without one
**   end_ts             INTEGER  ns, of the return that ended it (its own,
**                               or the one that unwound it); NULL when open
**   dur                INTEGER  end_ts - ts (ns); NULL when either is NULL
**                               or it does not fit 64 bits
**   self_dur           INTEGER  dur minus the dur of its direct children;
**                               NULL when any of those is NULL
**   children           INTEGER  direct child calls, whatever their status
**   status             TEXT     'returned', 'unwound', 'open'
**   argument_registers TEXT     the call's registers, JSON (as atf_events)
**   return_registers   TEXT     its return's; NULL unless returned
**   function_id        INTEGER  ATF v2: the call's function id (NULL over v4)
**   call_depth         INTEGER  ATF v2: its depth as recorded (outermost 1)
**   trace, options     HIDDEN   the arguments
**
** Row order: a call's row comes when it closes, in file order of the
** return that closes it (the calls one return unwinds first, innermost
** first, then its own); after the last record the calls still open, thread
** by thread in order of first appearance, innermost first. ORDER BY is
** therefore never consumed. Memory: the open calls only.
*/
#include <stdlib.h>
#include <string.h>

#include "calls_vtab.h"
#include "values.h"
#include "vtab.h"
#include "walk_query.h"
SQLITE_EXTENSION_INIT3

enum {
  C_OFFSET,
  C_RETURN_OFFSET,
  C_THREAD_ID,
  C_DEPTH,
  C_PARENT_OFFSET,
  C_SYMBOL,
  C_ADDRESS,
  C_TS,
  C_END_TS,
  C_DUR,
  C_SELF_DUR,
  C_CHILDREN,
  C_STATUS,
  C_ARGUMENT_REGISTERS,
  C_RETURN_REGISTERS,
  C_FUNCTION_ID, /* ATF v2 */
  C_CALL_DEPTH,  /* ATF v2: as recorded (outermost 1) */
  C_TRACE,
  C_OPTIONS
};

static const char SCHEMA[] =
    "CREATE TABLE x(offset INTEGER, return_offset INTEGER, thread_id INTEGER, "
    "depth INTEGER, parent_offset INTEGER, symbol TEXT, address INTEGER, "
    "ts INTEGER, end_ts INTEGER, dur INTEGER, self_dur INTEGER, "
    "children INTEGER, status TEXT, argument_registers TEXT, "
    "return_registers TEXT, function_id INTEGER, call_depth INTEGER, "
    "trace HIDDEN, options HIDDEN)";

/*
** The plan: idxNum's low VTAB_ARG_BITS are the arguments'; above them:
*/
/*   WALK_THREAD, WALK_THREAD_IN   thread_id = ? or IN (walk_query.h) */
#define IDX_OFFSET (1 << (WALK_FIRST_FREE_BIT + 0)) /* offset = ? or IN */
#define IDX_OFFSET_IN (1 << (WALK_FIRST_FREE_BIT + 1))
/* ts =, >, >=, <, <= ? (one each, in that order): a time window. */
#define IDX_TS(op) (1 << (WALK_FIRST_FREE_BIT + 2 + (op)))
#define IDX_TS_ANY (0x1f << (WALK_FIRST_FREE_BIT + 2))

static const char *const calls_options[] = {"skip_corrupt", NULL};

typedef struct calls_cursor {
  vtab_cursor base;
  walk_query q;
  atf_call call;          /* the current row */
  int32_t one_thread;     /* the thread of the target being walked */
  sqlite3_int64 *targets; /* offset = / IN, sorted; NULL: every call */
  sqlite3_int64 n_targets, next_target;
  int window;          /* a ts window: only calls whose ts is in TS */
  int_range ts;        /* the window */
  uint64_t window_end; /* past this offset no call starts in the window */
  uint64_t pending;    /* calls of the window still open */
} calls_cursor;

/* ---- xBestIndex -------------------------------------------------------- */

/*
** xBestIndex: the arguments (vtab_plan_args), then thread_id = (or IN) and
** offset = (or IN), passed in that order after the arguments and applied
** here. A thread filter walks those threads' stacks only (the other
** threads' records are decoded to their header only); an offset names one
** call, whose thread is walked until it closes.
*/
static int calls_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  int idx, n_argv, has_trace;
  int rc = vtab_plan_args(vtab, info, &idx, &n_argv, &has_trace);
  double cost = 1e6, rows = 5e5;
  if (rc != SQLITE_OK) return rc;
  if (walk_query_plan_threads(info, C_THREAD_ID, &idx, &n_argv)) {
    rows /= 8;
    cost /= 2;
  }
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    if (!k->usable || k->op != SQLITE_INDEX_CONSTRAINT_EQ ||
        (k->iColumn != C_OFFSET && k->iColumn != -1))
      continue;
    idx |= IDX_OFFSET;
    info->aConstraintUsage[i].argvIndex = ++n_argv;
    info->aConstraintUsage[i].omit = 1;
    rows = 1;
    cost = 1e3;
#if SQLITE_VERSION_NUMBER >= 3038000
    if (sqlite3_libversion_number() >= 3038000 &&
        sqlite3_vtab_in(info, i, -1) && sqlite3_vtab_in(info, i, 1)) {
      idx |= IDX_OFFSET_IN;
      rows = 10;
      cost = 1e4;
    }
#endif
    break;
  }
  /* A ts window, without a target: one constraint of each operator. */
  if (!(idx & IDX_OFFSET)) {
    static const unsigned char ops[5] = {
        SQLITE_INDEX_CONSTRAINT_EQ, SQLITE_INDEX_CONSTRAINT_GT,
        SQLITE_INDEX_CONSTRAINT_GE, SQLITE_INDEX_CONSTRAINT_LT,
        SQLITE_INDEX_CONSTRAINT_LE};
    int chosen[5] = {-1, -1, -1, -1, -1};
    for (int i = 0; i < info->nConstraint; i++)
      for (int op = 0; op < 5; op++)
        if (info->aConstraint[i].usable &&
            info->aConstraint[i].iColumn == C_TS &&
            info->aConstraint[i].op == ops[op] && chosen[op] < 0)
          chosen[op] = i;
    for (int op = 0; op < 5; op++) {
      if (chosen[op] < 0) continue;
      idx |= IDX_TS(op);
      info->aConstraintUsage[chosen[op]].argvIndex = ++n_argv;
      info->aConstraintUsage[chosen[op]].omit = 1;
      rows /= 4;
      cost /= 4;
    }
  }
  info->idxNum = idx;
  info->estimatedRows = (sqlite3_int64)rows;
  info->estimatedCost = has_trace ? cost : 1e12;
  if ((idx & IDX_OFFSET) && !(idx & IDX_OFFSET_IN))
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  return SQLITE_OK;
}

/* ---- moving through the calls ------------------------------------------ */

static void calls_reset(vtab_cursor *base, int closing) {
  calls_cursor *c = (calls_cursor *)base;
  walk_query_end(&c->q, base, closing);
  sqlite3_free(c->targets);
  c->targets = NULL;
}

static int reader_error(calls_cursor *c, const atf_error *err) {
  return vtab_reader_error(c->base.base.pVtab, err);
}

/* Whether T is the start of a function_call record of a wanted thread;
** its thread into *THREAD. Offsets that are no record start are no call. */
static int target_call(calls_cursor *c, sqlite3_int64 t, int32_t *thread,
                       int *rc) {
  const atf_map *map = &c->q.entry->map;
  if (c->q.entry->format == ATF_FORMAT_V2) { /* a rowid */
    atf_v2_event ev;
    *rc = SQLITE_OK;
    if (t < 0 || atf_v2_event_by_rowid(&c->q.entry->v2, (uint64_t)t, &ev,
                                       NULL) != ATF_OK)
      return 0;
    *thread = (int32_t)ev.slot; /* the walker's thread: the file's */
    return ev.kind == ATF_V2_CALL && walk_query_wants(&c->q, *thread);
  }
  atf_interrupt stop = vtab_interrupt(&c->base);
  const atf_index *index;
  atf_error err;
  atf_record rec;
  atf_event ev;
  atf_iter it;
  uint64_t ordinal;
  *rc = SQLITE_OK;
  if (t < 0 || (uint64_t)t >= map->size) return 0;
  if (trace_entry_index(c->q.entry, 0, &stop, &index, &err) != ATF_OK) {
    *rc = reader_error(c, &err);
    return 0;
  }
  atf_iter_init(&it, map);
  it.pos = atf_index_floor(index, (uint64_t)t, &ordinal);
  if (atf_iter_skip_to(&it, (uint64_t)t, NULL) != ATF_OK ||
      it.pos != (uint64_t)t)
    return 0;
  if (atf_record_at(map, (uint64_t)t, &rec, &err) != ATF_OK)
    return 0; /* a torn last record: no row of atf_events, no call */
  if (atf_event_decode(&rec, &ev, &err) != ATF_OK) {
    if (!c->q.skip_corrupt) *rc = reader_error(c, &err);
    return 0;
  }
  *thread = ev.thread_id;
  return ev.kind == ATF_KIND_FUNCTION_CALL &&
         walk_query_wants(&c->q, ev.thread_id);
}

/* Starts the walk for the next target that is a call: its thread only,
** from the call checkpoint before it (without skip_corrupt, whose records
** left out the checkpoints do not know), until the call closes. Sets eof
** when no target is left. */
static int next_target_walk(calls_cursor *c) {
  atf_interrupt stop = vtab_interrupt(&c->base);
  const atf_call_index *calls;
  const atf_index *index;
  atf_error err;
  uint64_t from;
  int rc;
  for (; c->next_target < c->n_targets; c->next_target++) {
    sqlite3_int64 t = c->targets[c->next_target];
    if (!target_call(c, t, &c->one_thread, &rc)) {
      if (rc != SQLITE_OK) return rc;
      continue;
    }
    if ((rc = walk_query_start(&c->q, &c->base, &c->one_thread, 1)) !=
        SQLITE_OK)
      return rc;
    /* v2 (no checkpoints) and skip_corrupt walk from the start. */
    if (c->q.skip_corrupt || c->q.entry->format != ATF_FORMAT_V4)
      return SQLITE_OK;
    if (trace_entry_calls(c->q.entry, &stop, &index, &calls, &err) != ATF_OK ||
        atf_call_index_restore(calls, index, &c->q.entry->map, c->q.walker,
                               (uint64_t)t, &from, &err) != ATF_OK)
      return reader_error(c, &err);
    return SQLITE_OK;
  }
  c->base.eof = 1;
  return SQLITE_OK;
}

/* The next row: the next call the walk closes, or with targets the next
** target call (each its own walk). */
static int calls_next(sqlite3_vtab_cursor *base) {
  calls_cursor *c = (calls_cursor *)base;
  atf_error err;
  for (;;) {
    atf_status rc;
    if (!c->q.walker) {
      int src = next_target_walk(c);
      if (src != SQLITE_OK || c->base.eof) return src;
    }
    /* Past the last block that may start a call of the window, and none of
    ** its calls still open: nothing more to find. */
    if (c->window && !c->pending &&
        atf_walker_position(c->q.walker) >= c->window_end) {
      c->base.eof = 1;
      return SQLITE_OK;
    }
    rc = atf_walker_next(c->q.walker, &c->call, &err);
    if (rc == ATF_END) {
      walk_query_stop(&c->q);
      if (!c->targets) {
        c->base.eof = 1;
        return SQLITE_OK;
      }
      c->next_target++; /* left out by skip_corrupt: no row */
      continue;
    }
    if (rc != ATF_OK) return reader_error(c, &err);
    if (c->call.restored) continue;
    if (c->window) {
      if (!c->call.tag) continue; /* called outside the window */
      c->pending--;
      return SQLITE_OK;
    }
    if (!c->targets) return SQLITE_OK;
    if ((sqlite3_int64)c->call.offset == c->targets[c->next_target]) {
      c->next_target++;
      walk_query_stop(&c->q); /* c->call is a copy; the next xNext walks on */
      return SQLITE_OK;
    }
  }
}

/* The push hook of a window's walk: a call whose ts is in the window is
** tagged 1 and counted until it closes. */
static uint64_t window_push(void *user, const atf_call *call,
                            uint64_t parent_tag) {
  calls_cursor *c = user;
  (void)parent_tag;
  if (call->restored || !call->has_ts || call->ts < c->ts.lo ||
      call->ts > c->ts.hi)
    return 0;
  c->pending++;
  return 1;
}

/* Whether block B may hold an event whose ts is in the window. */
static int block_in_window(const calls_cursor *c, const atf_block *b) {
  return (b->flags & ATF_BLOCK_UNDECODED) ||
         (b->min_ts <= b->max_ts && b->max_ts >= c->ts.lo &&
          b->min_ts <= c->ts.hi);
}

/* The walk of a ts window: from the call checkpoint before the first block
** that may hold a call of the window, until the last such block is passed
** and the window's calls have closed. Blocks hold the min/max ts of their
** events (the index's ranges); with skip_corrupt, whose records left out
** the checkpoints do not know, from the start. Sets eof when no block can
** match. */
static int start_window(calls_cursor *c) {
  atf_interrupt stop = vtab_interrupt(&c->base);
  const atf_call_index *calls;
  const atf_index *index;
  atf_error err;
  uint64_t from;
  size_t first, last;
  int rc = walk_query_start(&c->q, &c->base, c->q.threads, c->q.n_threads);
  if (rc != SQLITE_OK) return rc;
  atf_pairing_hook(atf_walker_pairing(c->q.walker), window_push, c);
  c->window_end = UINT64_MAX;
  if (c->q.skip_corrupt || c->q.entry->format == ATF_FORMAT_V2)
    return SQLITE_OK; /* the whole walk, filtered */
  if (trace_entry_index(c->q.entry, 1, &stop, &index, &err) != ATF_OK)
    return reader_error(c, &err);
  for (first = 0; first < index->n_blocks; first++)
    if (block_in_window(c, &index->blocks[first])) break;
  if (first == index->n_blocks) {
    c->base.eof = 1;
    return SQLITE_OK;
  }
  for (last = index->n_blocks - 1; last > first; last--)
    if (block_in_window(c, &index->blocks[last])) break;
  c->window_end =
      last + 1 < index->n_blocks ? index->blocks[last + 1].offset : index->end;
  if (trace_entry_calls(c->q.entry, &stop, &index, &calls, &err) != ATF_OK ||
      atf_call_index_restore(calls, index, &c->q.entry->map, c->q.walker,
                             index->blocks[first].offset, &from,
                             &err) != ATF_OK)
    return reader_error(c, &err);
  return SQLITE_OK;
}

/*
** xFilter. argv holds the arguments (vtab_filter_args), then thread_id =
** or IN (WALK_THREAD, WALK_THREAD_IN), then offset = or IN (IDX_OFFSET,
** IDX_OFFSET_IN), then the ts bounds of IDX_TS in op order (=, >, >=, <,
** <=).
*/
static int calls_filter(sqlite3_vtab_cursor *base, int idx_num,
                        const char *idx_str, int argc, sqlite3_value **argv) {
  calls_cursor *c = (calls_cursor *)base;
  unsigned options;
  int a, rc, match;
  (void)idx_str;
  (void)argc;
  calls_reset(&c->base, 0);
  c->base.eof = 1;
  c->n_targets = c->next_target = 0;
  rc = vtab_filter_args(&c->base, idx_num, argv, &a, &match);
  if (rc != SQLITE_OK || !match) return rc;
  argv += a;
  if ((rc = vtab_options(&c->base, &options)) != SQLITE_OK) return rc;
  c->q.skip_corrupt = (options & WALK_OPTION_SKIP_CORRUPT) != 0;
  if ((rc = walk_query_filter_threads(&c->q, idx_num, &argv)) != SQLITE_OK)
    return rc;
  if ((idx_num & IDX_OFFSET) &&
      (rc = values_collect_integers(*argv++, idx_num & IDX_OFFSET_IN,
                                    &c->targets, &c->n_targets)) != SQLITE_OK)
    return rc;
  c->window = (idx_num & IDX_TS_ANY) != 0;
  c->ts.lo = INT64_MIN;
  c->ts.hi = INT64_MAX;
  c->pending = 0;
  for (int op = 0; op < 5; op++)
    if ((idx_num & IDX_TS(op)) && !values_narrow_range(op, *argv++, &c->ts))
      return SQLITE_OK; /* no ts can match */
  if ((c->q.threads && c->q.n_threads == 0) ||
      (c->targets && c->n_targets == 0))
    return SQLITE_OK; /* no value can match */
  if ((rc = walk_query_acquire(&c->q, &c->base)) != SQLITE_OK) return rc;
  c->base.eof = 0;
  if (c->window)
    rc = start_window(c);
  else if (!c->targets)
    rc = walk_query_start(&c->q, &c->base, c->q.threads, c->q.n_threads);
  if (rc != SQLITE_OK || c->base.eof) return rc;
  return calls_next(base);
}

static void result_known(sqlite3_context *ctx, int known, int64_t v) {
  if (known) sqlite3_result_int64(ctx, v);
}

static void result_offset(sqlite3_context *ctx, uint64_t offset) {
  if (offset != ATF_NO_OFFSET) sqlite3_result_int64(ctx, (sqlite3_int64)offset);
}

static int calls_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                        int column) {
  calls_cursor *c = (calls_cursor *)base;
  const atf_call *k = &c->call;
  switch (column) {
  case C_OFFSET: sqlite3_result_int64(ctx, (sqlite3_int64)k->offset); break;
  case C_RETURN_OFFSET: result_offset(ctx, k->return_offset); break;
  case C_THREAD_ID: sqlite3_result_int64(ctx, k->thread_id); break;
  case C_DEPTH: sqlite3_result_int64(ctx, (sqlite3_int64)k->depth); break;
  case C_PARENT_OFFSET: result_offset(ctx, k->parent_offset); break;
  case C_SYMBOL:
    if (!k->symbol_unknown) vtab_result_text(ctx, k->symbol);
    break;
  case C_ADDRESS:
    if (!k->has_function_id) /* v2 records a function id instead */
      sqlite3_result_int64(ctx, (sqlite3_int64)k->address);
    break;
  case C_FUNCTION_ID:
    if (k->has_function_id)
      sqlite3_result_int64(ctx, (sqlite3_int64)k->function_id);
    break;
  case C_CALL_DEPTH:
    if (k->has_function_id) sqlite3_result_int64(ctx, k->call_depth);
    break;
  case C_TS: result_known(ctx, k->has_ts, k->ts); break;
  case C_END_TS: result_known(ctx, k->has_end_ts, k->end_ts); break;
  case C_DUR: result_known(ctx, k->has_dur, k->dur); break;
  case C_SELF_DUR: result_known(ctx, k->has_self_dur, k->self_dur); break;
  case C_CHILDREN: sqlite3_result_int64(ctx, (sqlite3_int64)k->children); break;
  case C_STATUS:
    sqlite3_result_text(ctx, atf_call_status_name(k->status), -1,
                        SQLITE_STATIC);
    break;
  case C_ARGUMENT_REGISTERS:
    return walk_query_registers(&c->q, &c->base, ctx, k->detail_offset);
  case C_RETURN_REGISTERS:
    if (k->status == ATF_CALL_RETURNED)
      return walk_query_registers(&c->q, &c->base, ctx,
                                  k->return_detail_offset);
    break;
  default: vtab_result_arg(&c->base, ctx, column - C_TRACE); break;
  }
  return SQLITE_OK;
}

static int calls_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((calls_cursor *)base)->call.offset;
  return SQLITE_OK;
}

static const vtab_table calls_table = {
    .name = "atf_calls",
    .schema = SCHEMA,
    .first_arg = C_TRACE,
    .n_args = 2,
    .cursor_size = sizeof(calls_cursor),
    .reset = calls_reset,
    .options = calls_options,
};

static const sqlite3_module calls_module = VTAB_MODULE(
    calls_best_index, calls_filter, calls_next, calls_column, calls_rowid);

int calls_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &calls_table, &calls_module);
}
