/*
** events_vtab.c - atf_events: one row per event of an ATF v4 trace, streamed
** from the memory-mapped events.bin with no import step.
**
** Usage:
**
**   SELECT kind, count(*) FROM atf_events('traces/s1/pid_4242') GROUP BY 1;
**   SELECT * FROM atf_events('traces/s1/pid_4242/events.bin')
**    WHERE offset IN (0, 104);
**   CREATE VIRTUAL TABLE temp.ev USING atf_events('traces/s1/pid_4242');
**
** The argument is a pid_* directory, or the path of its events.bin or
** trace.json. Columns (DESIGN.md section 2; values in events_row.c):
**
**   offset            INTEGER  byte offset of the record's length prefix;
**                              also the rowid
**   size              INTEGER  bytes of the record, prefix included
**   event_id          INTEGER
**   thread_id         INTEGER
**   ts                INTEGER  seconds * 1e9 + nanos; NULL without timestamp
**   kind              TEXT     trace_start, trace_end, function_call,
**                              function_return, signal_delivery; or NULL
**   symbol, address            call, return
**   registers         TEXT     call, return, signal: JSON object of registers
**   stack             BLOB     call
**   signal_number, signal_name signal
**   exit_code                  trace_end
**   executable_path, args (JSON array), operating_system, cpu_architecture
**                              trace_start
**   trace             HIDDEN   the trace argument
**   options           HIDDEN   an optional second argument: 'skip_corrupt'
**                              leaves out records that do not decode (as
**                              atf_check reports them) instead of failing
**
** What the table does with a query, so that narrow questions stay fast on
** large files:
**   - offset/rowid =, IN, >, >=, <, <= seek through the block index (a
**     binary search, then framing within one block): no scan, and an offset
**     that is not a record start matches nothing;
**   - ts and event_id ranges skip every block whose min/max cannot match;
**   - thread_id and kind = and IN are tested on the decoded header, before
**     any other column is decoded;
**   - LIMIT and OFFSET are applied here, OFFSET by jumping whole blocks when
**     nothing else filters;
**   - only the columns a query uses are decoded (count(*) only frames).
** Rows come in ascending offset order, so ORDER BY offset costs nothing.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "events_vtab.h"
#include "vtab_util.h"
SQLITE_EXTENSION_INIT3

static const char SCHEMA[] =
    "CREATE TABLE x(offset INTEGER, size INTEGER, event_id INTEGER, "
    "thread_id INTEGER, ts INTEGER, kind TEXT, symbol TEXT, address INTEGER, "
    "registers TEXT, stack BLOB, signal_number INTEGER, signal_name TEXT, "
    "exit_code INTEGER, executable_path TEXT, args TEXT, "
    "operating_system TEXT, cpu_architecture TEXT, trace HIDDEN, "
    "options HIDDEN)";

/*
** The plan. Each constraint the table takes has a slot; idxNum has bit
** (1 << slot) set for each slot used, and xFilter's argv holds one value per
** used slot, in slot order. Range slots come in the order = > >= < <=.
*/
enum {
  S_TRACE,     /* trace = ?: the table-valued argument */
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
  S_OPTIONS,   /* options = ?: the second table-valued argument */
  N_SLOTS
};
/* Further idxNum bits, taking no argv (after the N_SLOTS slot bits): */
#define IDX_OFFSET_IN (1 << (N_SLOTS + 0)) /* S_OFFSET_EQ's value: IN list */
#define IDX_THREAD_IN (1 << (N_SLOTS + 1)) /* S_THREAD_EQ's value: IN list */
#define IDX_KIND_IN (1 << (N_SLOTS + 2))   /* S_KIND_EQ's value: IN list */
#define IDX_HEADER (1 << (N_SLOTS + 3))    /* a column past offset/size used */
_Static_assert(N_SLOTS + 4 <= 31, "the plan must fit idxNum");
#define SLOT(s) (1 << (s))
#define RANGE_SLOTS(first) (0x1f << (first)) /* =, >, >=, <, <= */

static const char *const slot_names[N_SLOTS] = {
    "trace",      "offset=",    "offset>",   "offset>=",   "offset<",
    "offset<=",   "ts=",        "ts>",       "ts>=",       "ts<",
    "ts<=",       "event_id=",  "event_id>", "event_id>=", "event_id<",
    "event_id<=", "thread_id=", "kind=",     "limit",      "skip",
    "options"};

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

static int events_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
  events_cursor *c = sqlite3_malloc64(sizeof *c);
  (void)vtab;
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->eof = 1;
  *out = &c->base;
  return SQLITE_OK;
}

static trace_cache *cache_of(events_cursor *c) {
  return &((atf_vtab *)c->base.pVtab)->aux->cache;
}

/* Ends the current query: counters flushed, the trace released. */
static void end_query(events_cursor *c) {
  vtab_stats_add(c->it.records_read, c->headers, c->payloads);
  c->it.records_read = c->headers = c->payloads = 0;
  trace_cache_release(cache_of(c), c->entry);
  c->entry = NULL;
  c->index = NULL;
  sqlite3_free(c->trace);
  sqlite3_free(c->options);
  sqlite3_free(c->targets);
  sqlite3_free(c->threads);
  c->trace = c->options = NULL;
  c->targets = c->threads = NULL;
}

static int events_close(sqlite3_vtab_cursor *base) {
  events_cursor *c = (events_cursor *)base;
  end_query(c);
  sqlite3_free(c->regs);
  sqlite3_free(c->regs_scratch);
  json_free(&c->json);
  sqlite3_free(c);
  return SQLITE_OK;
}

/*
** xBestIndex. Takes every constraint it has a slot for (see the enum), one
** per slot; a second constraint of the same slot is left to SQLite. A trace
** argument that is not usable yet makes the plan unusable. LIMIT and OFFSET
** are taken only when every other constraint is taken here and the order
** is the table's, since rows counted here must be exactly the rows SQLite
** returns. ORDER BY offset/rowid ascending is consumed (file order), and
** colUsed beyond offset/size sets IDX_HEADER. idxStr spells the plan for
** EXPLAIN QUERY PLAN.
*/
static int events_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
  atf_vtab *vtab = (atf_vtab *)base;
  int chosen[N_SLOTS]; /* constraint index per slot, or -1 */
  int idx = 0, all_taken = 1, n_args = 0;
  const atf_index *index = NULL;
  double rows;
  sqlite3_str *desc;
  for (int s = 0; s < N_SLOTS; s++)
    chosen[s] = -1;

  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    int s = k->iColumn == COL_TRACE     ? S_TRACE
            : k->iColumn == COL_OPTIONS ? S_OPTIONS
                                        : slot_for(k->iColumn, k->op);
    /* The arguments are = constraints on the hidden columns. A created
    ** table has its own: a trace = ? in a WHERE is then a filter on the
    ** hidden column, which SQLite tests. */
    if ((s == S_TRACE || s == S_OPTIONS) &&
        (k->op != SQLITE_INDEX_CONSTRAINT_EQ || vtab->trace))
      s = -1;
    /* kind names are compared byte for byte: another collation (NOCASE)
    ** is left to SQLite. */
    if (s == S_KIND_EQ &&
        sqlite3_stricmp(sqlite3_vtab_collation(info, i), "BINARY") != 0)
      s = -1;
    if ((s == S_TRACE || s == S_OPTIONS) && !k->usable)
      return SQLITE_CONSTRAINT; /* an argument not known yet */
    if (s < 0 || !k->usable || chosen[s] >= 0) {
      if (s != S_LIMIT && s != S_SKIP) all_taken = 0;
      continue;
    }
    chosen[s] = i;
  }
  if (info->nOrderBy == 1 &&
      (info->aOrderBy[0].iColumn == COL_OFFSET ||
       info->aOrderBy[0].iColumn == -1) &&
      !info->aOrderBy[0].desc)
    info->orderByConsumed = 1;
  if (!all_taken || (info->nOrderBy > 0 && !info->orderByConsumed))
    chosen[S_LIMIT] = chosen[S_SKIP] = -1;

  for (int s = 0; s < N_SLOTS; s++) {
    if (chosen[s] < 0) continue;
    idx |= SLOT(s);
    info->aConstraintUsage[chosen[s]].argvIndex = ++n_args;
    info->aConstraintUsage[chosen[s]].omit = 1;
  }
#if SQLITE_VERSION_NUMBER >= 3038000
  /* IN lists arrive whole, to be walked in order (offsets) or as sets. */
  static const int in_bits[][2] = {{S_OFFSET_EQ, IDX_OFFSET_IN},
                                   {S_THREAD_EQ, IDX_THREAD_IN},
                                   {S_KIND_EQ, IDX_KIND_IN}};
  for (size_t b = 0; b < sizeof in_bits / sizeof in_bits[0]; b++) {
    int k = chosen[in_bits[b][0]];
    if (k >= 0 && sqlite3_libversion_number() >= 3038000 &&
        sqlite3_vtab_in(info, k, -1) && sqlite3_vtab_in(info, k, 1))
      idx |= in_bits[b][1];
  }
#endif
  if (info->colUsed &
      ~(((sqlite3_uint64)1 << COL_OFFSET) | ((sqlite3_uint64)1 << COL_SIZE) |
        ((sqlite3_uint64)1 << COL_TRACE) | ((sqlite3_uint64)1 << COL_OPTIONS)))
    idx |= IDX_HEADER;

    /* Row estimates from the index, when this connection has one. */
#if SQLITE_VERSION_NUMBER >= 3038000
  if (chosen[S_TRACE] >= 0 && sqlite3_libversion_number() >= 3038000) {
    sqlite3_value *v = NULL;
    if (sqlite3_vtab_rhs_value(info, chosen[S_TRACE], &v) == SQLITE_OK && v)
      index = trace_cache_peek_index(&vtab->aux->cache,
                                     (const char *)sqlite3_value_text(v));
  }
#endif
  if (!index && vtab->trace && chosen[S_TRACE] < 0)
    index = trace_cache_peek_index(&vtab->aux->cache, vtab->trace);
  rows = index ? (double)index->records + 1 : 1e6;
  if (idx & SLOT(S_OFFSET_EQ)) {
    rows = (idx & IDX_OFFSET_IN) ? 10 : 1;
    if (!(idx & IDX_OFFSET_IN)) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  }
  if (idx & (SLOT(S_OFFSET_GT) | SLOT(S_OFFSET_GE) | SLOT(S_OFFSET_LT) |
             SLOT(S_OFFSET_LE)))
    rows /= 4;
  if (idx & (SLOT(S_TS_EQ) | SLOT(S_ID_EQ))) rows /= 1000;
  if (idx & (RANGE_SLOTS(S_TS_EQ) | RANGE_SLOTS(S_ID_EQ))) rows /= 8;
  if (idx & SLOT(S_THREAD_EQ)) rows /= 8;
  if (idx & SLOT(S_KIND_EQ)) rows /= 3;
  if (rows < 1) rows = 1;
  /* Reading costs about a row each; a missing trace argument is usable
  ** only on a created table, so it must not win over one that has it. */
  info->estimatedRows = (sqlite3_int64)rows;
  info->estimatedCost = rows * ((idx & IDX_HEADER) ? 2 : 1) + 10;
  if (!(idx & SLOT(S_TRACE)) && !vtab->trace) info->estimatedCost = 1e12;
  info->idxNum = idx;

  desc = sqlite3_str_new(NULL);
  sqlite3_str_appendall(desc, (idx & SLOT(S_TRACE)) ? "trace" : "no-trace");
  for (int s = S_OFFSET_EQ; s < N_SLOTS; s++) {
    int in = (s == S_OFFSET_EQ && (idx & IDX_OFFSET_IN)) ||
             (s == S_THREAD_EQ && (idx & IDX_THREAD_IN)) ||
             (s == S_KIND_EQ && (idx & IDX_KIND_IN));
    if (!(idx & SLOT(s))) continue;
    if (in) /* "offset=" becomes "offset-in" */
      sqlite3_str_appendf(desc, " %.*s-in", (int)strlen(slot_names[s]) - 1,
                          slot_names[s]);
    else
      sqlite3_str_appendf(desc, " %s", slot_names[s]);
  }
  sqlite3_str_appendall(desc, (idx & IDX_HEADER) ? " decode" : " framing-only");
  info->idxStr = sqlite3_str_finish(desc);
  if (!info->idxStr) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

/* ---- xFilter: turning argv into the plan ------------------------------ */

/* V as an exact integer, as SQLite compares it with an INTEGER column;
** returns 0 when it equals no integer. */
static int exact_integer(sqlite3_value *v, sqlite3_int64 *out) {
  int type = sqlite3_value_numeric_type(v);
  if (type == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
    return 1;
  }
  if (type == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (d >= -9.2e18 && d <= 9.2e18 && d == floor(d)) {
      *out = (sqlite3_int64)d;
      return 1;
    }
  }
  return 0;
}

/* Narrows R by "column OP v" (OP: 0 =, 1 >, 2 >=, 3 <, 4 <=), comparing as
** SQLite compares an INTEGER column; returns 0 when nothing can match. */
static int narrow_range(int op, sqlite3_value *v, int_range *r) {
  int type = sqlite3_value_numeric_type(v);
  int lower = op == 1 || op == 2;
  sqlite3_int64 i;
  double d, bound;
  if (op == 0) {
    if (!exact_integer(v, &i)) return 0;
    if (i > r->lo) r->lo = i;
    if (i < r->hi) r->hi = i;
    return r->lo <= r->hi;
  }
  if (type == SQLITE_NULL) return 0;
  if (type == SQLITE_TEXT || type == SQLITE_BLOB)
    return !lower; /* every INTEGER sorts before text and blobs */
  if (type == SQLITE_INTEGER) {
    i = sqlite3_value_int64(v);
    if (op == 1) {
      if (i == INT64_MAX) return 0;
      i++;
    }
    if (op == 3) {
      if (i == INT64_MIN) return 0;
      i--;
    }
  } else { /* a real: the nearest integer on the inside of the bound */
    d = sqlite3_value_double(v);
    bound = op == 1   ? floor(d) + 1
            : op == 2 ? ceil(d)
            : op == 3 ? ceil(d) - 1
                      : floor(d);
    if (bound > 9.2e18) {
      if (lower) return 0;
      return r->lo <= r->hi;
    }
    if (bound < -9.2e18) {
      if (!lower) return 0;
      return r->lo <= r->hi;
    }
    i = (sqlite3_int64)bound;
  }
  if (lower && i > r->lo) r->lo = i;
  if (!lower && i < r->hi) r->hi = i;
  return r->lo <= r->hi;
}

static int compare_int64(const void *a, const void *b) {
  sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
  return (x > y) - (x < y);
}

/* Collects the integer values of ARG (one value, or an IN list) as a sorted
** array without duplicates; values that equal no integer are dropped. */
static int collect_integers(sqlite3_value *arg, int is_in, sqlite3_int64 **out,
                            sqlite3_int64 *count) {
  sqlite3_int64 cap = 4, n = 0, v;
  sqlite3_value *item = arg;
  int rc = SQLITE_OK;
  sqlite3_int64 *values = sqlite3_malloc64(cap * sizeof *values);
  if (!values) return SQLITE_NOMEM;
#if SQLITE_VERSION_NUMBER >= 3038000
  if (is_in) rc = sqlite3_vtab_in_first(arg, &item);
#endif
  while (rc == SQLITE_OK && item) {
    if (exact_integer(item, &v)) {
      if (n == cap) {
        sqlite3_int64 *grown =
            sqlite3_realloc64(values, 2 * cap * sizeof *values);
        if (!grown) {
          sqlite3_free(values);
          return SQLITE_NOMEM;
        }
        values = grown;
        cap *= 2;
      }
      values[n++] = v;
    }
    if (!is_in) break;
#if SQLITE_VERSION_NUMBER >= 3038000
    rc = sqlite3_vtab_in_next(arg, &item);
#endif
  }
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    sqlite3_free(values);
    return rc;
  }
  qsort(values, (size_t)n, sizeof *values, compare_int64);
  *count = 0;
  for (sqlite3_int64 i = 0; i < n; i++)
    if (i == 0 || values[i] != values[i - 1]) values[(*count)++] = values[i];
  *out = values;
  return SQLITE_OK;
}

/* The KIND_BIT set of kind names in ARG (one value, or an IN list). */
static int collect_kinds(sqlite3_value *arg, int is_in, unsigned *out) {
  sqlite3_value *item = arg;
  int rc = SQLITE_OK;
  *out = 0;
#if SQLITE_VERSION_NUMBER >= 3038000
  if (is_in) rc = sqlite3_vtab_in_first(arg, &item);
#endif
  while (rc == SQLITE_OK && item) {
    /* Only a TEXT value can equal a kind name (a BLOB never equals TEXT). */
    const char *name = sqlite3_value_type(item) == SQLITE_TEXT
                           ? (const char *)sqlite3_value_text(item)
                           : NULL;
    for (int k = ATF_KIND_TRACE_START; name && k <= ATF_KIND_SIGNAL_DELIVERY;
         k++)
      if (strcmp(name, atf_kind_name((atf_kind)k)) == 0) *out |= KIND_BIT(k);
    if (!is_in) break;
#if SQLITE_VERSION_NUMBER >= 3038000
    rc = sqlite3_vtab_in_next(arg, &item);
#endif
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int events_reader_error(events_cursor *c, const atf_error *err) {
  vtab_set_error(c->base.pVtab, "atf_events", err);
  return err->code == ATF_ERR_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
}

int events_decode_header(events_cursor *c) {
  atf_error err;
  if (c->have_header) return SQLITE_OK;
  if (atf_event_decode(&c->rec, &c->ev, &err) != ATF_OK)
    return events_reader_error(c, &err);
  c->have_header = 1;
  c->headers++;
  return SQLITE_OK;
}

/* ---- moving through the file ------------------------------------------ */

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
  return rc == ATF_OK || rc == ATF_END ? SQLITE_OK
                                       : events_reader_error(c, &err);
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

/* Reads the next record into c->rec, or sets eof. With targets, the next
** target that is a record start (any other offset is no record). */
static int read_record(events_cursor *c) {
  atf_error err;
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
  rc = atf_iter_next(&c->it, &c->rec, &err);
  if (rc == ATF_OK) {
    if ((sqlite3_int64)c->rec.offset > c->offset.hi) goto done;
    if (!c->targets) /* a scan; seeks touch a few pages only */
      atf_map_scan_window(&c->entry->map, c->it.pos, &c->window_end);
    return SQLITE_OK;
  }
  if (rc != ATF_END) return events_reader_error(c, &err);
  if (c->it.torn_bytes)
    sqlite3_log(SQLITE_WARNING,
                "atf_events: %s: torn last record at byte offset %llu "
                "(%llu bytes unread): rows stop before it",
                c->entry->map.path,
                (unsigned long long)atf_iter_position(&c->it),
                (unsigned long long)c->it.torn_bytes);
done:
  c->eof = 1;
  return SQLITE_OK;
}

static int has_thread(const events_cursor *c, sqlite3_int64 thread) {
  return bsearch(&thread, c->threads, (size_t)c->n_threads, sizeof thread,
                 compare_int64) != NULL;
}

/* Whether the current record passes the filters that need its header. */
static int row_passes(events_cursor *c, int *rc) {
  const atf_event *ev = &c->ev;
  if (!(c->filter_ts || c->filter_event_id || c->threads || c->kinds)) return 1;
  if ((*rc = events_decode_header(c)) != SQLITE_OK) return 0;
  if (c->filter_ts &&
      (!ev->has_timestamp || ev->ts_ns < c->ts.lo || ev->ts_ns > c->ts.hi))
    return 0;
  if (c->filter_event_id && ((int64_t)ev->event_id < c->event_id.lo ||
                             (int64_t)ev->event_id > c->event_id.hi))
    return 0;
  if (c->threads && !has_thread(c, ev->thread_id)) return 0;
  if (c->kinds &&
      (ev->kind == ATF_KIND_NONE || !(c->kinds & KIND_BIT(ev->kind))))
    return 0;
  return 1;
}

/* The options argument: words separated by commas or spaces. */
static int parse_options(events_cursor *c, const char *options) {
  const char *p = options;
  if (options && !(c->options = sqlite3_mprintf("%s", options)))
    return SQLITE_NOMEM;
  while (p && *p) {
    size_t n = strcspn(p, ", ");
    if (n == 12 && strncmp(p, "skip_corrupt", 12) == 0) {
      c->skip_corrupt = 1;
    } else if (n > 0) {
      sqlite3_free(c->base.pVtab->zErrMsg);
      c->base.pVtab->zErrMsg = sqlite3_mprintf(
          "atf_events: unknown option '%.*s' (known: skip_corrupt)", (int)n, p);
      return SQLITE_ERROR;
    }
    p += n;
    p += strspn(p, ", ");
  }
  return SQLITE_OK;
}

/* With skip_corrupt: whether the current record decodes to its last field
** (header, payload, registers). One that does not is left out, and said
** so in SQLite's log; atf_check lists them. */
static int record_is_sound(events_cursor *c) {
  atf_error err;
  uint32_t n;
  c->have_header = c->have_payload = 0;
  if (atf_event_decode(&c->rec, &c->ev, &err) == ATF_OK &&
      atf_payload_decode(&c->ev, &c->payload, &err) == ATF_OK &&
      events_collect_registers(c, &n, &err) == ATF_OK) {
    c->have_header = c->have_payload = 1;
    c->headers++;
    c->payloads++;
    return 1;
  }
  sqlite3_log(SQLITE_WARNING, "atf_events: skip_corrupt: %s", err.message);
  return 0;
}

/* Moves to the next row: the next record that passes the filters, past the
** rows OFFSET skips. */
static int events_next(sqlite3_vtab_cursor *base) {
  events_cursor *c = (events_cursor *)base;
  int rc = SQLITE_OK;
  if (c->to_emit == 0) {
    c->eof = 1;
    return SQLITE_OK;
  }
  for (;;) {
    c->have_header = c->have_payload = 0;
    rc = read_record(c);
    if (rc != SQLITE_OK && c->skip_corrupt) {
      /* Framing damage: no record past it can be found. The rows stop. */
      sqlite3_log(SQLITE_WARNING, "%s", c->base.pVtab->zErrMsg);
      c->eof = 1;
      return SQLITE_OK;
    }
    if (rc != SQLITE_OK || c->eof) return rc;
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
  return (c->idx_num & IDX_HEADER) ? events_decode_header(c) : SQLITE_OK;
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

/*
** xFilter. argv holds one value per slot set in idxNum, in slot order (see
** the enum): the trace, offset =/IN (IDX_OFFSET_IN), offset bounds, ts =
** and bounds, event_id = and bounds, thread_id =/IN (IDX_THREAD_IN), kind
** =/IN (IDX_KIND_IN), LIMIT, OFFSET. IDX_HEADER takes none.
*/
static int events_filter(sqlite3_vtab_cursor *base, int idx_num,
                         const char *idx_str, int argc, sqlite3_value **argv) {
  events_cursor *c = (events_cursor *)base;
  const char *trace;
  atf_error err;
  int arg = 0, rc = SQLITE_OK, needs_index;
  int_range *ranges[] = {&c->offset, &c->ts, &c->event_id};
  (void)idx_str;
  (void)argc;
  end_query(c);
  c->idx_num = idx_num;
  c->offset.lo = 0;
  c->offset.hi = c->ts.hi = c->event_id.hi = INT64_MAX;
  c->ts.lo = c->event_id.lo = INT64_MIN;
  c->n_targets = c->next_target = c->n_threads = 0;
  c->kinds = 0;
  c->skip_corrupt = 0;
  c->length_limit =
      sqlite3_limit(((atf_vtab *)base->pVtab)->db, SQLITE_LIMIT_LENGTH, -1);
  c->to_skip = 0;
  c->to_emit = -1;
  c->block = 0;
  c->window_end = 0;
  c->eof = 1;
  c->filter_ts = (idx_num & RANGE_SLOTS(S_TS_EQ)) != 0;
  c->filter_event_id = (idx_num & RANGE_SLOTS(S_ID_EQ)) != 0;

  trace = vtab_trace_arg(base->pVtab, "atf_events", idx_num & SLOT(S_TRACE),
                         (idx_num & SLOT(S_TRACE)) ? argv[arg++] : NULL);
  if (!trace) return SQLITE_ERROR;
  if (trace_cache_acquire(cache_of(c), trace, &c->entry, &err) != ATF_OK)
    return events_reader_error(c, &err);
  c->trace = sqlite3_mprintf("%s", trace);
  if (!c->trace) return SQLITE_NOMEM;
  atf_iter_init(&c->it, &c->entry->map);

  for (int s = S_OFFSET_EQ; s <= S_ID_LE && rc == SQLITE_OK; s++) {
    int op = (s - S_OFFSET_EQ) % 5, column = (s - S_OFFSET_EQ) / 5;
    if (!(idx_num & SLOT(s))) continue;
    if (s == S_OFFSET_EQ)
      rc = collect_integers(argv[arg++], idx_num & IDX_OFFSET_IN, &c->targets,
                            &c->n_targets);
    else if (!narrow_range(op, argv[arg++], ranges[column]))
      return SQLITE_OK; /* nothing can match: no rows */
  }
  if (rc == SQLITE_OK && (idx_num & SLOT(S_THREAD_EQ))) {
    rc = collect_integers(argv[arg++], idx_num & IDX_THREAD_IN, &c->threads,
                          &c->n_threads);
    if (rc == SQLITE_OK && c->n_threads == 0) return SQLITE_OK;
  }
  if (rc == SQLITE_OK && (idx_num & SLOT(S_KIND_EQ))) {
    rc = collect_kinds(argv[arg++], idx_num & IDX_KIND_IN, &c->kinds);
    if (rc == SQLITE_OK && c->kinds == 0) return SQLITE_OK;
  }
  if (rc != SQLITE_OK) return rc;
  if (idx_num & SLOT(S_LIMIT)) {
    c->to_emit = sqlite3_value_int64(argv[arg++]);
    if (c->to_emit < 0) c->to_emit = -1; /* a negative LIMIT is no limit */
  }
  if (idx_num & SLOT(S_SKIP)) {
    c->to_skip = sqlite3_value_int64(argv[arg++]);
    if (c->to_skip < 0) c->to_skip = 0;
  }
  rc = parse_options(c, (idx_num & SLOT(S_OPTIONS))
                            ? (const char *)sqlite3_value_text(argv[arg++])
                            : ((atf_vtab *)base->pVtab)->options);
  if (rc != SQLITE_OK) return rc;

  /* The index serves seeks, block skipping and jumps by ordinal; a plain
  ** scan does without it. */
  needs_index = c->targets || c->offset.lo > 0 || c->filter_ts ||
                c->filter_event_id || (c->to_skip > 0 && !c->skip_corrupt);
  if (needs_index) {
    if (trace_entry_index(c->entry, &c->index, &err) != ATF_OK)
      return events_reader_error(c, &err);
  } else {
    atf_map_advise_sequential(&c->entry->map);
  }
  if (!c->targets && c->offset.lo > 0 &&
      (rc = seek_to(c, (uint64_t)c->offset.lo)) != SQLITE_OK)
    return rc;
  /* Jumping by ordinal counts every record: only right when every record
  ** is a row (no filter, and none left out by skip_corrupt). */
  if (c->to_skip > 0 && !c->targets && c->offset.lo == 0 && !c->threads &&
      !c->kinds && !c->filter_ts && !c->filter_event_id && !c->skip_corrupt)
    skip_by_ordinal(c);
  c->eof = 0;
  return events_next(base);
}

static int events_eof(sqlite3_vtab_cursor *base) {
  return ((events_cursor *)base)->eof;
}

static int events_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = (sqlite3_int64)((events_cursor *)base)->rec.offset;
  return SQLITE_OK;
}

static sqlite3_module events_module = {
    .iVersion = 0,
    .xCreate = vtab_connect, /* same as xConnect: eponymous and CREATE */
    .xConnect = vtab_connect,
    .xBestIndex = events_best_index,
    .xDisconnect = vtab_disconnect,
    .xDestroy = vtab_disconnect,
    .xOpen = events_open,
    .xClose = events_close,
    .xFilter = events_filter,
    .xNext = events_next,
    .xEof = events_eof,
    .xColumn = events_column,
    .xRowid = events_rowid,
};

int events_vtab_register(sqlite3 *db) {
  return vtab_register(db, "atf_events", &events_module, SCHEMA);
}
