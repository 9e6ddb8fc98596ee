/*
** events_vtab.c - atf_events: one row per event of an ATF v4 trace, streamed
** from the memory-mapped events.bin with no import step.
**
** Usage:
**
**   SELECT kind, count(*) FROM atf_events('traces/s1/pid_4242') GROUP BY 1;
**   SELECT * FROM atf_events('traces/s1/pid_4242/events.bin')
**    WHERE offset IN (0, 104);
**   SELECT * FROM atf_events('traces/s1/pid_4242', 'skip_corrupt');
**   CREATE VIRTUAL TABLE temp.ev USING atf_events('traces/s1/pid_4242');
**
** Arguments (vtab.h): the trace, a pid_* directory or the path of its
** events.bin or trace.json; optionally options, words separated by commas
** or spaces: 'skip_corrupt' leaves out records that do not decode (as
** atf_check reports them) instead of failing.
**
** Columns (events_row.h; DESIGN.md section 2):
**
**   offset            INTEGER  byte offset of the record's length prefix;
**                              also the rowid
**   size              INTEGER  bytes of the record, prefix included
**   event_id          INTEGER  (uint64 bits)
**   thread_id         INTEGER
**   ts                INTEGER  ns: seconds * 1e9 + nanos; NULL without one
**   kind              TEXT     trace_start, trace_end, function_call,
**                              function_return, signal_delivery; or NULL
**   symbol, address            call, return
**   registers         TEXT     call, return, signal: JSON object
**   stack             BLOB     call
**   signal_number, signal_name signal
**   exit_code                  trace_end
**   executable_path, args (JSON array), operating_system, cpu_architecture
**                              trace_start
**   trace, options    HIDDEN   the arguments
**
** What the table does with a query, so that narrow questions stay fast on
** large files:
**   - offset/rowid =, IN, >, >=, <, <= seek through the block index (a
**     binary search, then framing within one block): no scan, and an offset
**     that is not a record start matches nothing;
**   - ts and event_id ranges skip every block whose min/max cannot match;
**   - thread_id and kind = and IN are tested on the decoded header, before
**     any other column is decoded;
**   - LIMIT and OFFSET are applied here when that is safe (see
**     limit_is_safe), OFFSET by jumping whole blocks when nothing else
**     filters;
**   - only the columns a query uses are decoded (count(*) only frames).
** Rows come in ascending offset order, so ORDER BY offset costs nothing.
** Every comparison is made as SQLite makes it on a plain table with these
** declared types (INTEGER affinity for the numbers, BINARY text): the
** same query over a table holding the same rows returns the same rows.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "events_row.h"
#include "events_v2.h"
#include "events_vtab.h"
#include "values.h"
#include "vtab.h"
SQLITE_EXTENSION_INIT3

/*
** The plan. idxNum's low VTAB_ARG_BITS are the arguments' (vtab.h). Above
** them, each constraint the table takes has a slot with a bit; xFilter's
** argv holds, after the arguments, one value per slot set, in slot order.
** Range slots come in the order = > >= < <=.
*/
enum {
  S_OFFSET_EQ, /* offset/rowid = ? (an IN list with IDX_OFFSET_IN) */
  S_OFFSET_GT,
  S_OFFSET_GE,
  S_OFFSET_LT,
  S_OFFSET_LE,
  S_TS_EQ,
  S_TS_GT,
  S_TS_GE,
  S_TS_LT,
  S_TS_LE,
  S_ID_EQ, /* event_id */
  S_ID_GT,
  S_ID_GE,
  S_ID_LT,
  S_ID_LE,
  S_THREAD_EQ, /* thread_id = ? (an IN list with IDX_THREAD_IN) */
  S_KIND_EQ,   /* kind = ? (an IN list with IDX_KIND_IN) */
  S_LIMIT,     /* LIMIT ? */
  S_SKIP,      /* OFFSET ?: rows to skip */
  N_SLOTS
};
#define SLOT(s) (1 << (VTAB_ARG_BITS + (s)))
#define RANGE_SLOTS(first)                                                     \
  (0x1f << (VTAB_ARG_BITS + (first))) /* = > >= < <=                           \
                                       */
/* Further idxNum bits, taking no argv: the value of the = slot of offset,
** ts, event_id, thread_id or kind is an IN list handed over whole
** (sqlite3_vtab_in), so that one xFilter returns the rows of every value
** in file order; and IDX_HEADER, a column past offset and size is used. */
#define FLAG(n) (1 << (VTAB_ARG_BITS + N_SLOTS + (n)))
#define IDX_OFFSET_IN FLAG(0)
#define IDX_TS_IN FLAG(1)
#define IDX_ID_IN FLAG(2)
#define IDX_THREAD_IN FLAG(3)
#define IDX_KIND_IN FLAG(4)
#define IDX_HEADER FLAG(5)
_Static_assert(VTAB_ARG_BITS + N_SLOTS + 6 <= 31, "the plan must fit idxNum");

static const char *const slot_names[N_SLOTS] = {
    "offset=",    "offset>",   "offset>=",   "offset<",   "offset<=",
    "ts=",        "ts>",       "ts>=",       "ts<",       "ts<=",
    "event_id=",  "event_id>", "event_id>=", "event_id<", "event_id<=",
    "thread_id=", "kind=",     "limit",      "skip"};

/* The values of an IN list, sorted. */
typedef struct value_set {
  sqlite3_int64 *values;
  sqlite3_int64 n;
} value_set;

static int in_set(const value_set *set, sqlite3_int64 v) {
  return !set->values || bsearch(&v, set->values, (size_t)set->n, sizeof v,
                                 values_compare_int64) != NULL;
}

typedef struct events_cursor {
  vtab_cursor base;
  trace_entry *entry;     /* the mapped file, held for the query */
  const atf_index *index; /* its block index, when the plan needs one */
  atf_iter it;
  events_row row; /* the current row */
  /* The plan (xFilter). */
  int idx_num;
  int_range offset, ts, event_id; /* rows outside are not returned */
  int filter_ts, filter_event_id; /* those two ranges restrict something */
  sqlite3_int64 *targets;         /* sorted offsets for = and IN */
  sqlite3_int64 n_targets, next_target;
  value_set ts_in, id_in; /* ts IN, event_id IN: sorted; values NULL: none */
  sqlite3_int64 *threads; /* sorted thread ids for = and IN; NULL: any */
  sqlite3_int64 n_threads;
  unsigned kinds;   /* KIND_BIT set of wanted kinds; 0: any */
  int skip_corrupt; /* option: leave out records that do not decode */
  sqlite3_int64 to_skip, to_emit; /* OFFSET and LIMIT left; to_emit < 0: all */
  size_t block;                   /* index block of the scan position */
  atf_scan_window window;         /* read-ahead of a scan */
  int is_v2;                      /* the trace is ATF v2: V2 reads it */
  events_v2 v2;
  atf_stats stats; /* work done, flushed when a query ends */
} events_cursor;

static const vtab_table events_table;

/* The options: 'skip_corrupt' leaves out records that do not decode. */
static const char *const events_options[] = {"skip_corrupt", NULL};
#define OPTION_SKIP_CORRUPT 1u

/* ---- xBestIndex --------------------------------------------------------- */

/* The slot for "COLUMN OP ?", or -1 when the table does not take it. */
static int slot_for(int column, int op) {
  int first, step;
  switch (op) {
  case SQLITE_INDEX_CONSTRAINT_EQ: step = 0; break;
  case SQLITE_INDEX_CONSTRAINT_GT: step = 1; break;
  case SQLITE_INDEX_CONSTRAINT_GE: step = 2; break;
  case SQLITE_INDEX_CONSTRAINT_LT: step = 3; break;
  case SQLITE_INDEX_CONSTRAINT_LE: step = 4; break;
#if SQLITE_VERSION_NUMBER >= 3038000
  case SQLITE_INDEX_CONSTRAINT_LIMIT: return S_LIMIT;
  case SQLITE_INDEX_CONSTRAINT_OFFSET: return S_SKIP;
#endif
  default: return -1;
  }
  switch (column) {
  case -1: /* rowid */
  case COL_OFFSET: first = S_OFFSET_EQ; break;
  case COL_TS: first = S_TS_EQ; break;
  case COL_EVENT_ID: first = S_ID_EQ; break;
  case COL_THREAD_ID: return step == 0 ? S_THREAD_EQ : -1;
  case COL_KIND: return step == 0 ? S_KIND_EQ : -1;
  default: return -1;
  }
  return first + step;
}

/* Picks one usable constraint per slot (CHOSEN[slot], or -1); a second of
** the same slot is left to SQLite. kind names are compared byte for byte,
** so kind under another collation (NOCASE) is left to SQLite too. */
static void choose_constraints(sqlite3_index_info *info, int *chosen) {
  for (int s = 0; s < N_SLOTS; s++)
    chosen[s] = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    int s = slot_for(k->iColumn, k->op);
    if (s < 0 || !k->usable || chosen[s] >= 0 ||
        info->aConstraintUsage[i].argvIndex > 0)
      continue;
    if (s == S_KIND_EQ &&
        sqlite3_stricmp(sqlite3_vtab_collation(info, i), "BINARY") != 0)
      continue;
    chosen[s] = i;
  }
}

/*
** Whether the table may apply LIMIT and OFFSET itself. The rows it counts
** must be exactly the rows SQLite returns, so: every other constraint is
** applied here (taken and omitted), the order is the table's, and SQLite
** is 3.46.0 or later. Before 3.46.0 SQLite offers LIMIT/OFFSET even when a
** WHERE term was never offered to the table (one whose two sides both read
** this table, such as `ts < event_id` or `offset = size`), and a LIMIT
** applied before that filter loses rows (check-in 72c8ed9698dd2aad,
** 2024-04-26, fixed it; test/bestindexC.test 3.x). SQLite stops reading
** after LIMIT rows by itself anyway; what the table adds is OFFSET's jump.
**
** A row-value inequality such as `(ts, size) > (?, ?)` reaches xBestIndex
** as `ts >= ?` (< as <=), and SQLite re-checks the whole row value after
** xFilter whatever omit says, yet still counts the term as used and offers
** LIMIT (seen on 3.53.2, where.c allocateIndexInfo's mNoOmit). Such a term
** cannot be told from a plain `ts >= ?` except that its right side, a
** vector, has no value: so a <= or >= whose value is unknown (a vector, a
** parameter, an expression) keeps LIMIT and OFFSET with SQLite.
*/
static int may_be_row_value(sqlite3_index_info *info, int i) {
  unsigned char op = info->aConstraint[i].op;
  if (op != SQLITE_INDEX_CONSTRAINT_LE && op != SQLITE_INDEX_CONSTRAINT_GE)
    return 0;
#if SQLITE_VERSION_NUMBER >= 3038000
  sqlite3_value *v = NULL;
  return !(sqlite3_vtab_rhs_value(info, i, &v) == SQLITE_OK && v);
#else
  return 1;
#endif
}

static int limit_is_safe(sqlite3_index_info *info, const int *chosen) {
  if (sqlite3_libversion_number() < 3046000) return 0;
  if (info->nOrderBy > 0 && !info->orderByConsumed) return 0;
  for (int i = 0; i < info->nConstraint; i++) {
    int s = -1;
    if (i == chosen[S_LIMIT] || i == chosen[S_SKIP]) continue;
    for (int t = 0; t < N_SLOTS && s < 0; t++)
      if (chosen[t] == i) s = t;
    if (s < 0 && !(info->aConstraintUsage[i].argvIndex > 0 &&
                   info->aConstraintUsage[i].omit))
      return 0;
    if (may_be_row_value(info, i)) return 0;
  }
  return 1;
}

/* ORDER BY offset (or rowid) ascending, first: the file's order. Offsets
** are unique, so any further terms never matter. */
static void consume_order(sqlite3_index_info *info) {
  if (info->nOrderBy >= 1 &&
      (info->aOrderBy[0].iColumn == COL_OFFSET ||
       info->aOrderBy[0].iColumn == -1) &&
      !info->aOrderBy[0].desc)
    info->orderByConsumed = 1;
}

/* The trace the plan will read, when xBestIndex can know it: the created
** table's, or a table-valued argument whose value is already known. */
static const char *planned_trace(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  const char *created = ((atf_vtab *)vtab)->args[0];
  if (created) return created;
#if SQLITE_VERSION_NUMBER >= 3038000
  if (sqlite3_libversion_number() >= 3038000)
    for (int i = 0; i < info->nConstraint; i++) {
      sqlite3_value *v = NULL;
      if (info->aConstraint[i].iColumn == COL_TRACE &&
          info->aConstraintUsage[i].argvIndex == 1 &&
          sqlite3_vtab_rhs_value(info, i, &v) == SQLITE_OK && v)
        return (const char *)sqlite3_value_text(v);
    }
#else
  (void)info;
#endif
  return NULL;
}

/*
** The cost of a plan follows the records it must frame and decode, and its
** rows the selectivity of what it filters. Units: framing a record costs 1,
** decoding a header 4 more; a seek through the index 40. Without the trace
** known at planning time, or the file not yet mapped, a trace of a million
** records is assumed.
*/
static void estimate(sqlite3_vtab *vtab, sqlite3_index_info *info, int idx,
                     int has_trace) {
  double records = 1e6, read, rows, cost;
  const char *trace = planned_trace(vtab, info);
  sqlite3_uint64 known;
  int header = (idx & IDX_HEADER) != 0;
  if (trace &&
      trace_cache_records_hint(&((atf_vtab *)vtab)->conn->cache, trace, &known))
    records = (double)known;
  read = records;
  rows = records;
  if (idx & SLOT(S_OFFSET_EQ)) {
    /* Seeks: one per value, each framing half a mark's records. */
    double seeks = (idx & IDX_OFFSET_IN) ? 10 : 1;
    read = seeks * ATF_INDEX_MARK_RECORDS / 2;
    rows = seeks;
    cost = seeks * 40 + read * (header ? 5 : 1);
  } else {
    if (idx & (SLOT(S_OFFSET_GT) | SLOT(S_OFFSET_GE))) read /= 2, rows /= 2;
    if (idx & (SLOT(S_OFFSET_LT) | SLOT(S_OFFSET_LE))) read /= 2, rows /= 2;
    /* ts and event_id skip blocks by min/max: mostly increasing values
    ** make a range read a fraction of the file. */
    if (idx & (SLOT(S_TS_EQ) | SLOT(S_ID_EQ)))
      read /= 100, rows /= 1000;
    else if (idx & (RANGE_SLOTS(S_TS_EQ) | RANGE_SLOTS(S_ID_EQ)))
      read /= 4, rows /= 8;
    /* thread_id and kind are tested on every header read: they cut the
    ** rows, not the reading. */
    if (idx & SLOT(S_THREAD_EQ)) rows /= 8;
    if (idx & SLOT(S_KIND_EQ)) rows /= 3;
    header |= (idx & (SLOT(S_THREAD_EQ) | SLOT(S_KIND_EQ) |
                      RANGE_SLOTS(S_TS_EQ) | RANGE_SLOTS(S_ID_EQ))) != 0;
    cost = 40 + read * (header ? 5 : 1);
  }
  if (rows < 1) rows = 1;
  /* Without a trace the plan is usable only on a created table: it must
  ** not win over one that has the trace. */
  if (!has_trace) cost = 1e12;
  info->estimatedRows = (sqlite3_int64)rows;
  info->estimatedCost = cost;
  if ((idx & SLOT(S_OFFSET_EQ)) && !(idx & IDX_OFFSET_IN))
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
}

/* idxStr: the plan spelled for EXPLAIN QUERY PLAN, e.g.
** "trace ts>= ts<= decode". */
static int describe(sqlite3_index_info *info, int idx, int has_trace) {
  sqlite3_str *desc = sqlite3_str_new(NULL);
  sqlite3_str_appendall(desc, has_trace ? "trace" : "no-trace");
  for (int s = 0; s < N_SLOTS; s++) {
    int in = (s == S_OFFSET_EQ && (idx & IDX_OFFSET_IN)) ||
             (s == S_TS_EQ && (idx & IDX_TS_IN)) ||
             (s == S_ID_EQ && (idx & IDX_ID_IN)) ||
             (s == S_THREAD_EQ && (idx & IDX_THREAD_IN)) ||
             (s == S_KIND_EQ && (idx & IDX_KIND_IN));
    if (!(idx & SLOT(s))) continue;
    if (in) /* "offset=" becomes "offset-in" */
      sqlite3_str_appendf(desc, " %.*s-in", (int)strlen(slot_names[s]) - 1,
                          slot_names[s]);
    else
      sqlite3_str_appendf(desc, " %s", slot_names[s]);
  }
  if (VTAB_ARG_COUNT(idx, 1)) sqlite3_str_appendall(desc, " options");
  if (info->orderByConsumed) sqlite3_str_appendall(desc, " ordered");
  sqlite3_str_appendall(desc, (idx & IDX_HEADER) ? " decode" : " framing-only");
  info->idxStr = sqlite3_str_finish(desc);
  if (!info->idxStr) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

/*
** xBestIndex. The arguments first (vtab_plan_args). Then one constraint per
** slot the table has (see the enum), passed in slot order and omitted:
** the table applies it exactly. LIMIT and OFFSET only when limit_is_safe.
** IN lists on offset, thread_id and kind arrive whole (sqlite3_vtab_in).
** ORDER BY offset ascending is consumed. colUsed beyond offset and size
** sets IDX_HEADER. Cost and rows: estimate(); idxStr: describe().
*/
static int events_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  int chosen[N_SLOTS], idx, n_argv, has_trace;
  int rc = vtab_plan_args(vtab, info, &idx, &n_argv, &has_trace);
  if (rc != SQLITE_OK) return rc;
  choose_constraints(info, chosen);
  consume_order(info);
  if (!limit_is_safe(info, chosen)) chosen[S_LIMIT] = chosen[S_SKIP] = -1;
  for (int s = 0; s < N_SLOTS; s++) {
    if (chosen[s] < 0) continue;
    idx |= SLOT(s);
    info->aConstraintUsage[chosen[s]].argvIndex = ++n_argv;
    info->aConstraintUsage[chosen[s]].omit = 1;
  }
#if SQLITE_VERSION_NUMBER >= 3038000
  {
    static const int in_bits[][2] = {{S_OFFSET_EQ, IDX_OFFSET_IN},
                                     {S_TS_EQ, IDX_TS_IN},
                                     {S_ID_EQ, IDX_ID_IN},
                                     {S_THREAD_EQ, IDX_THREAD_IN},
                                     {S_KIND_EQ, IDX_KIND_IN}};
    for (size_t b = 0; b < sizeof in_bits / sizeof in_bits[0]; b++) {
      int k = chosen[in_bits[b][0]];
      if (k >= 0 && sqlite3_libversion_number() >= 3038000 &&
          sqlite3_vtab_in(info, k, -1) && sqlite3_vtab_in(info, k, 1))
        idx |= in_bits[b][1];
    }
  }
#endif
  if (info->colUsed &
      ~(((sqlite3_uint64)1 << COL_OFFSET) | ((sqlite3_uint64)1 << COL_SIZE) |
        ((sqlite3_uint64)1 << COL_TRACE) | ((sqlite3_uint64)1 << COL_OPTIONS)))
    idx |= IDX_HEADER;
  info->idxNum = idx;
  estimate(vtab, info, idx, has_trace);
  return describe(info, idx, has_trace);
}

/* ---- xFilter: turning argv into the plan ------------------------------- */

/* The KIND_BIT set of kind names in ARG (one value, or an IN list). Only a
** TEXT value of exactly a name's bytes equals it (embedded NULs included):
** the column has TEXT affinity, a BLOB never equals TEXT, and no kind name
** looks like a number. */
static int collect_kinds(sqlite3_value *arg, int is_in, unsigned *out) {
  value_list l;
  *out = 0;
  for (sqlite3_value *item = values_first(&l, arg, is_in); item;
       item = values_next(&l)) {
    const char *text;
    size_t len;
    if (sqlite3_value_type(item) != SQLITE_TEXT) continue;
    text = (const char *)sqlite3_value_text(item);
    len = (size_t)sqlite3_value_bytes(item);
    for (int k = ATF_KIND_TRACE_START; text && k <= ATF_KIND_SIGNAL_DELIVERY;
         k++) {
      const char *name = atf_kind_name((atf_kind)k);
      if (strlen(name) == len && memcmp(name, text, len) == 0)
        *out |= KIND_BIT(k);
    }
    if (text && len == 9 && memcmp(text, "exception", 9) == 0)
      *out |= KIND_BIT_EXCEPTION; /* ATF v2 */
  }
  return values_rc(&l);
}

/* ---- moving through the file ------------------------------------------ */

static int reader_error(events_cursor *c, const atf_error *err) {
  return vtab_reader_error(c->base.base.pVtab, err);
}

/* Moves the iterator to the first record at or after OFFSET, through the
** index when there is one: a binary search, then framing within a block. */
static int seek_to(events_cursor *c, uint64_t offset) {
  atf_error err;
  atf_status rc;
  if (c->index) {
    uint64_t ordinal, start = atf_index_floor(c->index, offset, &ordinal);
    if (start > atf_iter_position(&c->it)) atf_iter_seek(&c->it, start, NULL);
  }
  rc = atf_iter_skip_to(&c->it, offset, &err);
  return rc == ATF_OK || rc == ATF_END ? SQLITE_OK : reader_error(c, &err);
}

/* Whether block B may hold a row of the ts and event_id ranges. */
static int block_may_match(const events_cursor *c, const atf_block *b) {
  if (b->flags & ATF_BLOCK_UNDECODED) return 1;
  if (c->filter_ts && (b->min_ts > b->max_ts || /* no record with a timestamp */
                       b->max_ts < c->ts.lo || b->min_ts > c->ts.hi))
    return 0;
  if (c->filter_event_id) {
    /* SQL compares event_id as the signed reading of its 64 bits. */
    int64_t lo = (int64_t)b->min_event_id, hi = (int64_t)b->max_event_id;
    if ((b->min_event_id >> 63) != (b->max_event_id >> 63))
      lo = INT64_MIN, hi = INT64_MAX; /* straddles the sign: no bound */
    if (hi < c->event_id.lo || lo > c->event_id.hi) return 0;
  }
  return 1;
}

/* At a block boundary, jumps over the blocks that cannot match. */
static void skip_blocks(events_cursor *c) {
  const atf_index *ix = c->index;
  uint64_t pos = atf_iter_position(&c->it);
  if (!ix || !(c->filter_ts || c->filter_event_id)) return;
  while (
      c->block < ix->n_blocks && ix->blocks[c->block].offset < pos &&
      (c->block + 1 == ix->n_blocks || ix->blocks[c->block + 1].offset <= pos))
    c->block++;
  if (c->block >= ix->n_blocks || ix->blocks[c->block].offset != pos) return;
  while (c->block < ix->n_blocks && !block_may_match(c, &ix->blocks[c->block]))
    c->block++;
  atf_iter_seek(&c->it,
                c->block < ix->n_blocks ? ix->blocks[c->block].offset : ix->end,
                NULL);
}

/* Reads the next record into the row, or sets eof. With targets, the next
** target that is a record start (any other offset is no record). */
static int read_record(events_cursor *c) {
  atf_error err;
  atf_record rec;
  atf_status rc;
  if (c->targets) {
    for (;;) {
      sqlite3_int64 t;
      if (c->next_target >= c->n_targets) goto done;
      t = c->targets[c->next_target++];
      if (t < c->offset.lo || t < (sqlite3_int64)atf_iter_position(&c->it))
        continue;
      if (t > c->offset.hi || (uint64_t)t >= c->it.end) goto done;
      if ((rc = seek_to(c, (uint64_t)t)) != SQLITE_OK) return rc;
      if (atf_iter_position(&c->it) == (uint64_t)t) break;
    }
  } else {
    skip_blocks(c);
  }
  rc = atf_iter_next(&c->it, &rec, &err);
  if (rc == ATF_OK) {
    if ((sqlite3_int64)rec.offset > c->offset.hi) goto done;
    events_row_start(&c->row, &rec);
    atf_map_scan_window(&c->entry->map, c->it.pos, &c->window);
    return SQLITE_OK;
  }
  if (rc != ATF_END) return reader_error(c, &err);
  if (c->it.torn_bytes) {
    c->stats.torn_tails++;
    sqlite3_log(SQLITE_WARNING,
                "atf_events: %s: torn last record at byte offset %llu "
                "(%llu bytes unread): rows stop before it",
                c->entry->map.path,
                (unsigned long long)atf_iter_position(&c->it),
                (unsigned long long)c->it.torn_bytes);
  }
done:
  atf_map_scan_end(&c->entry->map, &c->window); /* a later pass starts bare */
  c->base.eof = 1;
  return SQLITE_OK;
}

static int has_thread(const events_cursor *c, sqlite3_int64 thread) {
  return bsearch(&thread, c->threads, (size_t)c->n_threads, sizeof thread,
                 values_compare_int64) != NULL;
}

/* Whether the current record passes the filters that need its header. */
static int row_passes(events_cursor *c, int *rc) {
  const atf_event *ev = &c->row.ev;
  atf_error err;
  if (!(c->filter_ts || c->filter_event_id || c->threads || c->kinds)) return 1;
  if (events_row_header(&c->row, &err) != ATF_OK) {
    *rc = reader_error(c, &err);
    return 0;
  }
  if (c->filter_ts &&
      (!ev->has_timestamp || ev->ts_ns < c->ts.lo || ev->ts_ns > c->ts.hi))
    return 0;
  if (c->filter_event_id && ((int64_t)ev->event_id < c->event_id.lo ||
                             (int64_t)ev->event_id > c->event_id.hi))
    return 0;
  if ((c->ts_in.values && !in_set(&c->ts_in, ev->ts_ns)) ||
      (c->id_in.values && !in_set(&c->id_in, (int64_t)ev->event_id)))
    return 0;
  if (c->threads && !has_thread(c, ev->thread_id)) return 0;
  if (c->kinds &&
      (ev->kind == ATF_KIND_NONE || !(c->kinds & KIND_BIT(ev->kind))))
    return 0;
  return 1;
}

/* With skip_corrupt: whether the current record decodes to its last field
** (header, payload, registers). One that does not is left out, counted
** and said so in SQLite's log; atf_check lists them. */
static int record_is_sound(events_cursor *c) {
  atf_error err;
  if (events_row_decode_all(&c->row, &err) == ATF_OK) return 1;
  c->stats.records_skipped++;
  sqlite3_log(SQLITE_WARNING, "atf_events: skip_corrupt: %s", err.message);
  return 0;
}

/* The kind bit of a v2 record's kind (0: none of the names). */
static unsigned v2_kind_bit(uint32_t kind) {
  return kind == ATF_V2_CALL        ? KIND_BIT(ATF_KIND_FUNCTION_CALL)
         : kind == ATF_V2_RETURN    ? KIND_BIT(ATF_KIND_FUNCTION_RETURN)
         : kind == ATF_V2_EXCEPTION ? KIND_BIT_EXCEPTION
                                    : 0;
}

/* Whether the current v2 record passes the plan's filters (its columns as
** events_v2.h says: no event_id, a timestamp always). */
static int v2_row_passes(const events_cursor *c) {
  const atf_v2_event *ev = &c->v2.ev;
  sqlite3_int64 ts = (sqlite3_int64)ev->ts_ns;
  if ((sqlite3_int64)ev->rowid < c->offset.lo ||
      (sqlite3_int64)ev->rowid > c->offset.hi)
    return 0;
  if (c->filter_event_id) return 0; /* NULL never compares */
  if (c->filter_ts && (ts < c->ts.lo || ts > c->ts.hi ||
                       (c->ts_in.values && !in_set(&c->ts_in, ts))))
    return 0;
  if (c->threads && !has_thread(c, ev->thread_id)) return 0;
  if (c->kinds && !(c->kinds & v2_kind_bit(ev->kind))) return 0;
  return 1;
}

/* At the end of a v2 scan, each thread file's torn tail counted and
** logged, as a v4 scan does its own. */
static void v2_torn_tails(events_cursor *c) {
  const atf_v2_trace *t = c->v2.trace;
  for (size_t i = 0; i < t->thread_count; i++) {
    const atf_v2_thread *th = &t->threads[i];
    if (th->index_status != ATF_OK || !th->index.torn_bytes) continue;
    c->stats.torn_tails++;
    sqlite3_log(SQLITE_WARNING,
                "atf_events: %s: torn last record at byte offset %llu "
                "(%llu bytes unread): rows stop before it",
                th->index_path, (unsigned long long)th->index.records_end,
                (unsigned long long)th->index.torn_bytes);
  }
}

/* events_next over a v2 trace. */
static int v2_next(events_cursor *c) {
  for (;;) {
    if (!events_v2_next(&c->v2)) {
      if (c->v2.order != EVENTS_V2_TARGETS) v2_torn_tails(c);
      c->base.eof = 1;
      return SQLITE_OK;
    }
    if (!v2_row_passes(c)) continue;
    if (c->to_skip > 0) {
      c->to_skip--;
      continue;
    }
    if (c->to_emit > 0) c->to_emit--;
    return SQLITE_OK;
  }
}

/* Moves to the next row: the next record that passes the filters, past the
** rows OFFSET skips. */
static int events_next(sqlite3_vtab_cursor *base) {
  events_cursor *c = (events_cursor *)base;
  sqlite3_vtab *vtab = base->pVtab;
  int rc = SQLITE_OK;
  atf_error err;
  if (c->to_emit == 0) {
    c->base.eof = 1;
    return SQLITE_OK;
  }
  if (c->is_v2) return v2_next(c);
  for (;;) {
    rc = read_record(c);
    if (rc != SQLITE_OK && c->skip_corrupt) {
      /* Framing damage: no record past it can be found. The rows stop,
      ** and the statement succeeds: no error message stays behind. */
      c->stats.unread_tails++;
      sqlite3_log(SQLITE_WARNING, "%s", vtab->zErrMsg);
      sqlite3_free(vtab->zErrMsg);
      vtab->zErrMsg = NULL;
      c->base.eof = 1;
      return SQLITE_OK;
    }
    if (rc != SQLITE_OK || c->base.eof) return rc;
    if (c->skip_corrupt && !record_is_sound(c)) continue;
    if (!row_passes(c, &rc)) {
      if (rc != SQLITE_OK) return rc;
      continue;
    }
    if (c->to_skip > 0) {
      c->to_skip--;
      continue;
    }
    break;
  }
  if (c->to_emit > 0) c->to_emit--;
  if ((c->idx_num & IDX_HEADER) && events_row_header(&c->row, &err) != ATF_OK)
    return reader_error(c, &err);
  return SQLITE_OK;
}

/* OFFSET with nothing else to filter: jump to the last indexed record at
** or before that ordinal, then frame the rest. */
static void skip_by_ordinal(events_cursor *c) {
  uint64_t start_ordinal, start = atf_index_floor_ordinal(
                              c->index, (uint64_t)c->to_skip, &start_ordinal);
  if (start_ordinal == 0) return;
  atf_iter_seek(&c->it, start, NULL);
  c->to_skip -= (sqlite3_int64)start_ordinal;
}

/* Ends the current query: counters flushed, the trace released; the row's
** buffers are kept for the next query, unless CLOSING. */
static void events_reset(vtab_cursor *base, int closing) {
  events_cursor *c = (events_cursor *)base;
  c->stats.records_framed += c->it.records_read + c->v2.records;
  c->it.records_read = c->v2.records = 0;
  events_v2_end(&c->v2, closing);
  c->is_v2 = 0;
  stats_flush(&c->stats);
  if (c->entry) trace_cache_release(vtab_cache(base), c->entry);
  c->entry = NULL;
  c->index = NULL;
  sqlite3_free(c->targets);
  sqlite3_free(c->threads);
  sqlite3_free(c->ts_in.values);
  sqlite3_free(c->id_in.values);
  c->targets = c->threads = NULL;
  c->ts_in.values = c->id_in.values = NULL;
  if (closing) events_row_free(&c->row);
}

/* Turns the slot values of argv (from A on) into the plan; *MATCH is 0 when
** no row can match. */
static int read_plan(events_cursor *c, sqlite3_value **argv, int a,
                     int *match) {
  int idx = c->idx_num, rc = SQLITE_OK;
  int_range *ranges[] = {&c->offset, &c->ts, &c->event_id};
  *match = 1;
  for (int s = S_OFFSET_EQ; s <= S_ID_LE && rc == SQLITE_OK; s++) {
    int op = (s - S_OFFSET_EQ) % 5, column = (s - S_OFFSET_EQ) / 5;
    value_set *in = s == S_TS_EQ && (idx & IDX_TS_IN)   ? &c->ts_in
                    : s == S_ID_EQ && (idx & IDX_ID_IN) ? &c->id_in
                                                        : NULL;
    if (!(idx & SLOT(s))) continue;
    if (s == S_OFFSET_EQ) {
      rc = values_collect_integers(argv[a++], idx & IDX_OFFSET_IN, &c->targets,
                                   &c->n_targets);
    } else if (in) {
      /* An IN list: the range of its values, and each row tested. */
      rc = values_collect_integers(argv[a++], 1, &in->values, &in->n);
      if (rc == SQLITE_OK && in->n == 0) *match = 0;
      if (rc == SQLITE_OK && in->n) {
        int_range *r = ranges[column];
        if (in->values[0] > r->lo) r->lo = in->values[0];
        if (in->values[in->n - 1] < r->hi) r->hi = in->values[in->n - 1];
      }
    } else if (!values_narrow_range(op, argv[a++], ranges[column])) {
      *match = 0;
    }
  }
  if (rc == SQLITE_OK && (idx & SLOT(S_THREAD_EQ))) {
    rc = values_collect_integers(argv[a++], idx & IDX_THREAD_IN, &c->threads,
                                 &c->n_threads);
    if (rc == SQLITE_OK && c->n_threads == 0) *match = 0;
  }
  if (rc == SQLITE_OK && (idx & SLOT(S_KIND_EQ))) {
    rc = collect_kinds(argv[a++], idx & IDX_KIND_IN, &c->kinds);
    if (rc == SQLITE_OK && c->kinds == 0) *match = 0;
  }
  if (rc == SQLITE_OK && (idx & SLOT(S_LIMIT))) {
    c->to_emit = sqlite3_value_int64(argv[a++]);
    if (c->to_emit < 0) c->to_emit = -1; /* a negative LIMIT is no limit */
  }
  if (rc == SQLITE_OK && (idx & SLOT(S_SKIP))) {
    c->to_skip = sqlite3_value_int64(argv[a++]);
    if (c->to_skip < 0) c->to_skip = 0;
  }
  c->filter_ts = (idx & RANGE_SLOTS(S_TS_EQ)) != 0;
  c->filter_event_id = (idx & RANGE_SLOTS(S_ID_EQ)) != 0;
  return rc;
}

/*
** xFilter. argv holds the arguments (vtab_filter_args), then one value per
** slot set in idxNum, in slot order (see the enum): offset =/IN
** (IDX_OFFSET_IN), offset bounds, ts = and bounds, event_id = and bounds,
** thread_id =/IN (IDX_THREAD_IN), kind =/IN (IDX_KIND_IN), LIMIT, OFFSET.
** IDX_HEADER takes none. idxStr says " ordered" when the plan consumed
** ORDER BY offset: a v4 file is in that order, a v2 trace is then read
** in rowid order rather than by timestamp.
*/
static int events_filter(sqlite3_vtab_cursor *base, int idx_num,
                         const char *idx_str, int argc, sqlite3_value **argv) {
  events_cursor *c = (events_cursor *)base;
  sqlite3_vtab *vtab = base->pVtab;
  const char *trace;
  atf_error err;
  unsigned options;
  atf_interrupt stop = vtab_interrupt(&c->base);
  int a, rc, match, needs_index;
  (void)argc;
  events_reset(&c->base, 0);
  c->base.eof = 1;
  c->idx_num = idx_num;
  c->offset.lo = 0;
  c->offset.hi = c->ts.hi = c->event_id.hi = INT64_MAX;
  c->ts.lo = c->event_id.lo = INT64_MIN;
  c->n_targets = c->next_target = c->n_threads = 0;
  c->kinds = 0;
  c->to_skip = 0;
  c->to_emit = -1;
  c->block = 0;
  memset(&c->window, 0, sizeof c->window);
  c->row.stats = &c->stats;
  c->row.length_limit =
      sqlite3_limit(((atf_vtab *)vtab)->db, SQLITE_LIMIT_LENGTH, -1);

  rc = vtab_filter_args(&c->base, idx_num, argv, &a, &match);
  if (rc != SQLITE_OK || !match) return rc;
  if ((rc = vtab_options(&c->base, &options)) != SQLITE_OK) return rc;
  c->skip_corrupt = (options & OPTION_SKIP_CORRUPT) != 0;
  rc = read_plan(c, argv, a, &match);
  if (rc != SQLITE_OK || !match) return rc;
  if (!(trace = vtab_trace(&c->base))) return SQLITE_ERROR;
  if (trace_cache_acquire(vtab_cache(&c->base), trace, &c->entry, &err) !=
      ATF_OK)
    return reader_error(c, &err);
  if (c->entry->format == ATF_FORMAT_V2) {
    /* Rows by timestamp (a merge of the thread files); in rowid order when
    ** the plan promised ORDER BY offset; the rowids given for offset =. */
    c->is_v2 = 1;
    rc = events_v2_start(&c->v2, &c->entry->v2,
                         c->targets                    ? EVENTS_V2_TARGETS
                         : strstr(idx_str, " ordered") ? EVENTS_V2_ROWID
                                                       : EVENTS_V2_MERGE,
                         c->targets, c->n_targets);
    if (rc != SQLITE_OK) return rc;
    c->base.eof = 0;
    return events_next(base);
  }
  atf_iter_init(&c->it, &c->entry->map);

  /* The index serves seeks, block skipping and jumps by ordinal; a plain
  ** scan does without it. */
  needs_index = c->targets || c->offset.lo > 0 || c->filter_ts ||
                c->filter_event_id || (c->to_skip > 0 && !c->skip_corrupt);
  if (needs_index &&
      trace_entry_index(c->entry, c->filter_ts || c->filter_event_id, &stop,
                        &c->index, &err) != ATF_OK)
    return reader_error(c, &err);
  if (!c->targets && c->offset.lo > 0 &&
      (rc = seek_to(c, (uint64_t)c->offset.lo)) != SQLITE_OK)
    return rc;
  /* Jumping by ordinal counts every record: only right when every record
  ** is a row (no filter, and none left out by skip_corrupt). */
  if (c->to_skip > 0 && !c->targets && c->offset.lo == 0 && !c->threads &&
      !c->kinds && !c->filter_ts && !c->filter_event_id && !c->skip_corrupt)
    skip_by_ordinal(c);
  c->base.eof = 0;
  return events_next(base);
}

static int events_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                         int column) {
  events_cursor *c = (events_cursor *)base;
  if (column >= COL_TRACE) {
    vtab_result_arg(&c->base, ctx, column - COL_TRACE);
    return SQLITE_OK;
  }
  if (c->is_v2) return events_v2_column(&c->v2, ctx, column);
  return events_row_column(&c->row, ctx, column);
}

static int events_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  events_cursor *c = (events_cursor *)base;
  *rowid = c->is_v2 ? (sqlite3_int64)c->v2.ev.rowid
                    : (sqlite3_int64)c->row.rec.offset;
  return SQLITE_OK;
}

static const vtab_table events_table = {
    .name = "atf_events",
    .schema = EVENTS_SCHEMA,
    .first_arg = COL_TRACE,
    .n_args = 2,
    .cursor_size = sizeof(events_cursor),
    .reset = events_reset,
    .options = events_options,
};

static const sqlite3_module events_module = VTAB_MODULE(
    events_best_index, events_filter, events_next, events_column, events_rowid);

int events_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &events_table, &events_module);
}
