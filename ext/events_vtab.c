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
** trace.json. Columns (DESIGN.md section 2):
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
**
** A payload column of the event's own kind holds the protobuf default when
** the field is absent; a payload column of another kind is NULL. Unsigned
** 64-bit values are the INTEGER with the same 64 bits. Text that is not valid
** UTF-8 comes back as a BLOB of the same bytes.
**
** Constraints on offset/rowid become seeks, LIMIT/OFFSET are applied here
** when SQLite hands them over, rows come in ascending offset order (so ORDER
** BY offset costs nothing), and only the columns a query uses are decoded.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "events_vtab.h"
#include "vtab_util.h"
SQLITE_EXTENSION_INIT3

enum {
  COL_OFFSET,
  COL_SIZE,
  COL_EVENT_ID,
  COL_THREAD_ID,
  COL_TS,
  COL_KIND,
  COL_SYMBOL,
  COL_ADDRESS,
  COL_REGISTERS,
  COL_STACK,
  COL_SIGNAL_NUMBER,
  COL_SIGNAL_NAME,
  COL_EXIT_CODE,
  COL_EXECUTABLE_PATH,
  COL_ARGS,
  COL_OPERATING_SYSTEM,
  COL_CPU_ARCHITECTURE,
  COL_TRACE
};

static const char SCHEMA[] =
    "CREATE TABLE x(offset INTEGER, size INTEGER, event_id INTEGER, "
    "thread_id INTEGER, ts INTEGER, kind TEXT, symbol TEXT, address INTEGER, "
    "registers TEXT, stack BLOB, signal_number INTEGER, signal_name TEXT, "
    "exit_code INTEGER, executable_path TEXT, args TEXT, "
    "operating_system TEXT, cpu_architecture TEXT, trace HIDDEN)";

/* Which event kinds each payload column belongs to. */
#define KIND_BIT(k) (1u << ((k)-ATF_KIND_TRACE_START))
#define CALL_RETURN                                                            \
  (KIND_BIT(ATF_KIND_FUNCTION_CALL) | KIND_BIT(ATF_KIND_FUNCTION_RETURN))
static unsigned column_kinds(int column) {
  switch (column) {
  case COL_SYMBOL:
  case COL_ADDRESS: return CALL_RETURN;
  case COL_REGISTERS: return CALL_RETURN | KIND_BIT(ATF_KIND_SIGNAL_DELIVERY);
  case COL_STACK: return KIND_BIT(ATF_KIND_FUNCTION_CALL);
  case COL_SIGNAL_NUMBER:
  case COL_SIGNAL_NAME: return KIND_BIT(ATF_KIND_SIGNAL_DELIVERY);
  case COL_EXIT_CODE: return KIND_BIT(ATF_KIND_TRACE_END);
  default: return KIND_BIT(ATF_KIND_TRACE_START);
  }
}

/*
** idxNum bits, set by xBestIndex and read by xFilter. Each bit marked (argv)
** takes one argv value, in the order of the bits:
*/
#define IDX_TRACE 0x001     /* (argv) trace = ?, the table-valued argument */
#define IDX_OFFSET_EQ 0x002 /* (argv) offset = ? */
#define IDX_OFFSET_IN 0x004 /* with IDX_OFFSET_EQ: the value is an IN list */
#define IDX_OFFSET_GT 0x008 /* (argv) offset > ? */
#define IDX_OFFSET_GE 0x010 /* (argv) offset >= ? */
#define IDX_OFFSET_LT 0x020 /* (argv) offset < ? */
#define IDX_OFFSET_LE 0x040 /* (argv) offset <= ? */
#define IDX_LIMIT 0x080     /* (argv) LIMIT ? */
#define IDX_SKIP 0x100      /* (argv) OFFSET ?: rows to skip */
#define IDX_HEADER 0x200    /* a column beyond offset/size is used: decode */

typedef struct events_cursor {
  sqlite3_vtab_cursor base;
  /* The open trace, kept across xFilter calls while the file is unchanged. */
  char *trace;
  atf_map map;
  atf_iter it;
  /* The current row. */
  atf_record rec;
  atf_event ev;
  atf_payload payload;
  int have_header, have_payload, eof;
  /* What xFilter asked for. */
  int idx_num;
  sqlite3_int64 lo, hi;   /* offsets that may match: [lo, hi] */
  sqlite3_int64 *targets; /* sorted offsets for = and IN */
  sqlite3_int64 n_targets, next_target;
  sqlite3_int64 to_skip, to_emit; /* OFFSET and LIMIT left; to_emit < 0: all */
  /* Buffers reused across rows to render registers. */
  atf_register *regs;
  uint32_t *regs_scratch;
  uint32_t regs_cap;
  /* Work done, flushed to the process-wide counters at the end of a scan. */
  sqlite3_uint64 headers, payloads;
} events_cursor;

static int events_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
  events_cursor *c = sqlite3_malloc64(sizeof *c);
  (void)vtab;
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->eof = 1;
  *out = &c->base;
  return SQLITE_OK;
}

/* Adds this scan's work to the counters behind atf_stats(). */
static void flush_stats(events_cursor *c) {
  vtab_stats_add(c->it.records_read, c->headers, c->payloads);
  c->it.records_read = c->headers = c->payloads = 0;
}

static int events_close(sqlite3_vtab_cursor *base) {
  events_cursor *c = (events_cursor *)base;
  flush_stats(c);
  atf_map_close(&c->map);
  sqlite3_free(c->trace);
  sqlite3_free(c->targets);
  sqlite3_free(c->regs);
  sqlite3_free(c->regs_scratch);
  sqlite3_free(c);
  return SQLITE_OK;
}

/*
** xBestIndex. Offers SQLite one plan for whatever the query gives:
**   - trace = ? (the table-valued argument) -> IDX_TRACE; a trace argument
**     that is there but not usable yet makes the plan unusable;
**   - offset/rowid =, IN, >, >=, <, <= -> IDX_OFFSET_*: seeks;
**   - LIMIT and OFFSET -> IDX_LIMIT, IDX_SKIP, taken only when every other
**     constraint is consumed here and the order is ours, since rows counted
**     here must be exactly the rows SQLite returns;
**   - ORDER BY offset/rowid ascending is consumed: it is file order;
**   - colUsed beyond offset/size -> IDX_HEADER.
** idxStr spells the bits for EXPLAIN QUERY PLAN.
*/
static int events_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  /* The constraint chosen for each argv-taking bit, in bit order: trace,
  ** offset =, >, >=, <, <=, LIMIT, OFFSET. */
  int chosen[8];
  int idx = 0, all_consumed = 1, n_args = 0;
  double cost = 1e6, rows = 1e6;
  sqlite3_str *desc;
  (void)vtab;
  for (size_t b = 0; b < sizeof chosen / sizeof chosen[0]; b++)
    chosen[b] = -1;

  int trace = vtab_find_eq(info, COL_TRACE);
  if (trace == -2) return SQLITE_CONSTRAINT;
  if (trace >= 0) idx |= IDX_TRACE, chosen[0] = trace;

  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    int bit = 0, slot = -1;
    if (i == trace) continue;
    if (!k->usable) {
      all_consumed = 0;
      continue;
    }
    if (k->iColumn == COL_OFFSET || k->iColumn == -1) {
      switch (k->op) {
      case SQLITE_INDEX_CONSTRAINT_EQ: bit = IDX_OFFSET_EQ, slot = 1; break;
      case SQLITE_INDEX_CONSTRAINT_GT: bit = IDX_OFFSET_GT, slot = 2; break;
      case SQLITE_INDEX_CONSTRAINT_GE: bit = IDX_OFFSET_GE, slot = 3; break;
      case SQLITE_INDEX_CONSTRAINT_LT: bit = IDX_OFFSET_LT, slot = 4; break;
      case SQLITE_INDEX_CONSTRAINT_LE: bit = IDX_OFFSET_LE, slot = 5; break;
      }
    }
#if SQLITE_VERSION_NUMBER >= 3038000
    if (k->op == SQLITE_INDEX_CONSTRAINT_LIMIT) bit = IDX_LIMIT, slot = 6;
    if (k->op == SQLITE_INDEX_CONSTRAINT_OFFSET) bit = IDX_SKIP, slot = 7;
#endif
    if (!bit || (idx & bit)) {
      /* Not ours, or a second bound of the same sort: SQLite tests it. */
      if (k->op != SQLITE_INDEX_CONSTRAINT_LIMIT &&
          k->op != SQLITE_INDEX_CONSTRAINT_OFFSET)
        all_consumed = 0;
      continue;
    }
    idx |= bit;
    chosen[slot] = i;
  }
  /* A lower and an upper bound of each kind at most: GT and GE (or LT and
  ** LE) together leave the second to SQLite. */
  if ((idx & IDX_OFFSET_GT) && (idx & IDX_OFFSET_GE))
    idx &= ~IDX_OFFSET_GE, chosen[3] = -1, all_consumed = 0;
  if ((idx & IDX_OFFSET_LT) && (idx & IDX_OFFSET_LE))
    idx &= ~IDX_OFFSET_LE, chosen[5] = -1, all_consumed = 0;

  if (info->nOrderBy == 1 &&
      (info->aOrderBy[0].iColumn == COL_OFFSET ||
       info->aOrderBy[0].iColumn == -1) &&
      !info->aOrderBy[0].desc)
    info->orderByConsumed = 1;
  if (!all_consumed || (info->nOrderBy > 0 && !info->orderByConsumed)) {
    idx &= ~(IDX_LIMIT | IDX_SKIP);
    chosen[6] = chosen[7] = -1;
  }

  for (size_t b = 0; b < sizeof chosen / sizeof chosen[0]; b++) {
    if (chosen[b] < 0) continue;
    info->aConstraintUsage[chosen[b]].argvIndex = ++n_args;
    info->aConstraintUsage[chosen[b]].omit = 1;
  }
#if SQLITE_VERSION_NUMBER >= 3038000
  if ((idx & IDX_OFFSET_EQ) && sqlite3_libversion_number() >= 3038000 &&
      sqlite3_vtab_in(info, chosen[1], -1) &&
      sqlite3_vtab_in(info, chosen[1], 1))
    idx |= IDX_OFFSET_IN;
#endif
  if (info->colUsed &
      ~(((sqlite3_uint64)1 << COL_OFFSET) | ((sqlite3_uint64)1 << COL_SIZE) |
        ((sqlite3_uint64)1 << COL_TRACE)))
    idx |= IDX_HEADER;

  if (idx & IDX_OFFSET_EQ) {
    /* Framing up to the offset, then one decode per value. */
    rows = (idx & IDX_OFFSET_IN) ? 10 : 1;
    cost = 100 * rows;
    if (!(idx & IDX_OFFSET_IN)) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  } else if (idx &
             (IDX_OFFSET_GT | IDX_OFFSET_GE | IDX_OFFSET_LT | IDX_OFFSET_LE)) {
    rows = 2.5e5;
    cost = 2.5e5;
  }
  if (!(idx & IDX_TRACE)) cost *= 1e3; /* usable, but only as a created table */
  info->estimatedCost = cost;
  info->estimatedRows = (sqlite3_int64)rows;
  info->idxNum = idx;

  desc = sqlite3_str_new(NULL);
  sqlite3_str_appendf(desc, "%s", (idx & IDX_TRACE) ? "trace" : "no-trace");
  if (idx & IDX_OFFSET_EQ)
    sqlite3_str_appendf(desc, " offset%s", (idx & IDX_OFFSET_IN) ? "-in" : "=");
  if (idx & IDX_OFFSET_GT) sqlite3_str_appendf(desc, " offset>");
  if (idx & IDX_OFFSET_GE) sqlite3_str_appendf(desc, " offset>=");
  if (idx & IDX_OFFSET_LT) sqlite3_str_appendf(desc, " offset<");
  if (idx & IDX_OFFSET_LE) sqlite3_str_appendf(desc, " offset<=");
  if (idx & IDX_LIMIT) sqlite3_str_appendf(desc, " limit");
  if (idx & IDX_SKIP) sqlite3_str_appendf(desc, " skip");
  sqlite3_str_appendf(desc, (idx & IDX_HEADER) ? " decode" : " framing-only");
  info->idxStr = sqlite3_str_finish(desc);
  if (!info->idxStr) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

/* Opens TRACE into the cursor, reusing the mapping if it is the same trace
** and events.bin is unchanged (same device, inode, size and mtime). */
static int open_trace(events_cursor *c, const char *trace) {
  atf_trace_paths paths;
  atf_error err;
  atf_status rc;
  if (c->trace && strcmp(c->trace, trace) == 0 && c->map.path) {
    atf_file_id now;
    if (atf_file_id_read(c->map.path, &now, &err) == ATF_OK &&
        memcmp(&now, &c->map.id, sizeof now) == 0)
      return SQLITE_OK;
  }
  atf_map_close(&c->map);
  sqlite3_free(c->trace);
  c->trace = NULL;
  rc = atf_trace_paths_resolve(trace, &paths, &err);
  if (rc == ATF_OK) {
    rc = atf_map_open(paths.events_path, &c->map, &err);
    atf_trace_paths_free(&paths);
  }
  if (rc != ATF_OK) {
    vtab_set_error(c->base.pVtab, "atf_events", &err);
    return rc == ATF_ERR_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  c->trace = sqlite3_mprintf("%s", trace);
  return c->trace ? SQLITE_OK : SQLITE_NOMEM;
}

/* An offset value as SQLite would compare it with the INTEGER column:
** *OUT holds it when it is (or equals) an integer, else returns 0. */
static int exact_offset(sqlite3_value *v, sqlite3_int64 *out) {
  int type = sqlite3_value_numeric_type(v);
  if (type == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
    return 1;
  }
  if (type == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (d >= 0 && d < 9.2e18 && d == floor(d)) {
      *out = (sqlite3_int64)d;
      return 1;
    }
  }
  return 0;
}

/* Narrows [*lo, *hi] by "offset OP v"; returns 0 when nothing can match. */
static int narrow_range(int bit, sqlite3_value *v, sqlite3_int64 *lo,
                        sqlite3_int64 *hi) {
  int type = sqlite3_value_numeric_type(v);
  int lower = bit == IDX_OFFSET_GT || bit == IDX_OFFSET_GE;
  double d, bound;
  if (type == SQLITE_NULL) return 0;
  if (type == SQLITE_TEXT || type == SQLITE_BLOB)
    return !lower; /* every INTEGER sorts before text and blobs */
  if (type == SQLITE_INTEGER) {
    sqlite3_int64 i = sqlite3_value_int64(v);
    if (bit == IDX_OFFSET_GT) {
      if (i == INT64_MAX) return 0;
      i++;
    }
    if (bit == IDX_OFFSET_LT) {
      if (i == INT64_MIN) return 0;
      i--;
    }
    if (lower && i > *lo) *lo = i;
    if (!lower && i < *hi) *hi = i;
    return *lo <= *hi;
  }
  /* A real: the nearest integer on the inside of the bound. */
  d = sqlite3_value_double(v);
  if (bit == IDX_OFFSET_GT)
    bound = floor(d) + 1;
  else if (bit == IDX_OFFSET_GE)
    bound = ceil(d);
  else if (bit == IDX_OFFSET_LT)
    bound = ceil(d) - 1;
  else
    bound = floor(d);
  if (lower) {
    if (bound > 9.2e18) return 0;
    if (bound > (double)*lo) *lo = (sqlite3_int64)bound;
  } else {
    if (bound < 0) return 0;
    if (bound < (double)*hi) *hi = (sqlite3_int64)bound;
  }
  return *lo <= *hi;
}

static int compare_int64(const void *a, const void *b) {
  sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
  return (x > y) - (x < y);
}

/* Collects the = or IN values as a sorted list without duplicates. */
static int collect_targets(events_cursor *c, sqlite3_value *arg, int is_in) {
  sqlite3_int64 cap = 1, n = 0, v;
  sqlite3_value *item = arg;
  int rc = SQLITE_OK;
  c->targets = sqlite3_malloc64(sizeof *c->targets);
  if (!c->targets) return SQLITE_NOMEM;
#if SQLITE_VERSION_NUMBER >= 3038000
  if (is_in) rc = sqlite3_vtab_in_first(arg, &item);
#endif
  while (rc == SQLITE_OK && item) {
    if (exact_offset(item, &v)) {
      if (n == cap) {
        sqlite3_int64 *grown =
            sqlite3_realloc64(c->targets, 2 * cap * sizeof *c->targets);
        if (!grown) return SQLITE_NOMEM;
        c->targets = grown;
        cap *= 2;
      }
      c->targets[n++] = v;
    }
    if (!is_in) break;
#if SQLITE_VERSION_NUMBER >= 3038000
    rc = sqlite3_vtab_in_next(arg, &item);
#endif
  }
  if (rc != SQLITE_OK && rc != SQLITE_DONE) return rc;
  qsort(c->targets, (size_t)n, sizeof *c->targets, compare_int64);
  c->n_targets = 0;
  for (sqlite3_int64 i = 0; i < n; i++)
    if (i == 0 || c->targets[i] != c->targets[i - 1])
      c->targets[c->n_targets++] = c->targets[i];
  return SQLITE_OK;
}

static int reader_error(events_cursor *c, const atf_error *err) {
  vtab_set_error(c->base.pVtab, "atf_events", err);
  return err->code == ATF_ERR_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
}

/* Reads the next record into c->rec, or sets eof; in target mode, the next
** target that is a record start (any other offset is no record). */
static int read_candidate(events_cursor *c) {
  atf_error err;
  atf_status rc;
  if (c->targets) {
    for (;;) {
      sqlite3_int64 t;
      if (c->next_target >= c->n_targets) {
        c->eof = 1;
        return SQLITE_OK;
      }
      t = c->targets[c->next_target++];
      if (t < c->lo || t < (sqlite3_int64)atf_iter_position(&c->it)) continue;
      if (t > c->hi || (sqlite3_uint64)t >= c->it.end) {
        c->eof = 1;
        return SQLITE_OK;
      }
      rc = atf_iter_skip_to(&c->it, (uint64_t)t, &err);
      if (rc == ATF_ERR_VARINT) return reader_error(c, &err);
      if (rc == ATF_END) break;
      if (atf_iter_position(&c->it) == (uint64_t)t) break;
    }
  }
  rc = atf_iter_next(&c->it, &c->rec, &err);
  if (rc == ATF_OK) {
    if ((sqlite3_int64)c->rec.offset > c->hi) c->eof = 1;
    return SQLITE_OK;
  }
  if (rc != ATF_END) return reader_error(c, &err);
  if (c->it.torn_bytes)
    sqlite3_log(SQLITE_WARNING,
                "atf_events: %s: torn last record at byte offset %llu "
                "(%llu bytes unread): rows stop before it",
                c->map.path, (unsigned long long)atf_iter_position(&c->it),
                (unsigned long long)c->it.torn_bytes);
  c->eof = 1;
  return SQLITE_OK;
}

static int decode_header(events_cursor *c) {
  atf_error err;
  if (c->have_header) return SQLITE_OK;
  if (atf_event_decode(&c->rec, &c->ev, &err) != ATF_OK)
    return reader_error(c, &err);
  c->have_header = 1;
  c->headers++;
  return SQLITE_OK;
}

/* Moves to the next row: the next candidate past the rows to skip. */
static int events_next(sqlite3_vtab_cursor *base) {
  events_cursor *c = (events_cursor *)base;
  int rc;
  c->have_header = c->have_payload = 0;
  if (c->to_emit == 0) {
    c->eof = 1;
    return SQLITE_OK;
  }
  do {
    rc = read_candidate(c);
    if (rc != SQLITE_OK || c->eof) return rc;
  } while (c->to_skip > 0 && c->to_skip--);
  if (c->to_emit > 0) c->to_emit--;
  return (c->idx_num & IDX_HEADER) ? decode_header(c) : SQLITE_OK;
}

/*
** xFilter. argv holds, in this order, one value for each of these idxNum
** bits that is set (see xBestIndex): IDX_TRACE, IDX_OFFSET_EQ (with
** IDX_OFFSET_IN: an IN list), IDX_OFFSET_GT, IDX_OFFSET_GE, IDX_OFFSET_LT,
** IDX_OFFSET_LE, IDX_LIMIT, IDX_SKIP. IDX_HEADER takes none.
*/
static int events_filter(sqlite3_vtab_cursor *base, int idx_num,
                         const char *idx_str, int argc, sqlite3_value **argv) {
  events_cursor *c = (events_cursor *)base;
  const char *trace;
  int arg = 0, rc;
  (void)idx_str;
  (void)argc;
  flush_stats(c);
  sqlite3_free(c->targets);
  c->targets = NULL;
  c->n_targets = c->next_target = 0;
  c->idx_num = idx_num;
  c->lo = 0;
  c->hi = INT64_MAX;
  c->to_skip = 0;
  c->to_emit = -1;
  c->eof = 1;
  trace = vtab_trace_arg(base->pVtab, "atf_events", idx_num & IDX_TRACE,
                         (idx_num & IDX_TRACE) ? argv[0] : NULL);
  if (!trace) return SQLITE_ERROR;
  if (idx_num & IDX_TRACE) arg++;
  rc = open_trace(c, trace);
  if (rc != SQLITE_OK) return rc;
  atf_iter_init(&c->it, &c->map);

  if (idx_num & IDX_OFFSET_EQ) {
    rc = collect_targets(c, argv[arg++], idx_num & IDX_OFFSET_IN);
    if (rc != SQLITE_OK) return rc;
  }
  static const int bounds[] = {IDX_OFFSET_GT, IDX_OFFSET_GE, IDX_OFFSET_LT,
                               IDX_OFFSET_LE};
  for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++)
    if ((idx_num & bounds[b]) &&
        !narrow_range(bounds[b], argv[arg++], &c->lo, &c->hi))
      return SQLITE_OK; /* no offset can match: no rows */
  if (idx_num & IDX_LIMIT) c->to_emit = sqlite3_value_int64(argv[arg++]);
  if (idx_num & IDX_SKIP) {
    c->to_skip = sqlite3_value_int64(argv[arg++]);
    if (c->to_skip < 0) c->to_skip = 0;
  }
  if (c->to_emit < 0) c->to_emit = -1; /* a negative LIMIT is no limit */

  if (c->lo > 0 && !c->targets) {
    /* Start at the first record at or after lo, found by framing alone. */
    atf_error err;
    atf_status st = atf_iter_skip_to(&c->it, (uint64_t)c->lo, &err);
    if (st == ATF_ERR_VARINT) return reader_error(c, &err);
  }
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

static int decode_payload(events_cursor *c) {
  atf_error err;
  int rc = decode_header(c);
  if (rc != SQLITE_OK || c->have_payload) return rc;
  if (atf_payload_decode(&c->ev, &c->payload, &err) != ATF_OK)
    return reader_error(c, &err);
  c->have_payload = 1;
  c->payloads++;
  return SQLITE_OK;
}

/* Hands a finished JSON string to SQLite: TEXT, or BLOB if not UTF-8. */
static void result_json(sqlite3_context *ctx, sqlite3_str *json, int utf8) {
  int n = sqlite3_str_length(json);
  char *text = sqlite3_str_finish(json);
  if (!text) {
    sqlite3_result_error_nomem(ctx);
  } else if (utf8) {
    sqlite3_result_text(ctx, text, n, sqlite3_free);
  } else {
    sqlite3_result_blob(ctx, text, n, sqlite3_free);
  }
}

/* registers as {"rdi":1,...}: values are the signed 64-bit reading of the
** unsigned register, as everywhere else. */
static int result_registers(events_cursor *c, sqlite3_context *ctx) {
  uint32_t need = c->payload.register_count, n, i;
  atf_error err;
  sqlite3_str *json;
  int utf8 = 1;
  if (need > c->regs_cap) {
    atf_register *regs = sqlite3_realloc64(c->regs, need * sizeof *regs);
    uint32_t *scratch =
        regs ? sqlite3_realloc64(c->regs_scratch,
                                 2 * (sqlite3_uint64)need * sizeof *scratch)
             : NULL;
    if (regs) c->regs = regs;
    if (scratch) c->regs_scratch = scratch;
    if (!regs || !scratch) {
      sqlite3_result_error_nomem(ctx);
      return SQLITE_NOMEM;
    }
    c->regs_cap = need;
  }
  if (atf_registers_collect(&c->ev, c->regs, need, c->regs_scratch, &n, &err) !=
      ATF_OK)
    return reader_error(c, &err);
  json = sqlite3_str_new(NULL);
  sqlite3_str_appendchar(json, 1, '{');
  for (i = 0; i < n; i++) {
    if (i) sqlite3_str_appendchar(json, 1, ',');
    utf8 &= vtab_json_string(json, c->regs[i].name);
    sqlite3_str_appendf(json, ":%lld",
                        (long long)(sqlite3_int64)c->regs[i].value);
  }
  sqlite3_str_appendchar(json, 1, '}');
  result_json(ctx, json, utf8);
  return SQLITE_OK;
}

static void result_args(events_cursor *c, sqlite3_context *ctx) {
  atf_payload_iter it;
  atf_bytes arg;
  int utf8 = 1, first = 1;
  sqlite3_str *json = sqlite3_str_new(NULL);
  sqlite3_str_appendchar(json, 1, '[');
  atf_payload_iter_init(&c->ev, &it);
  while (atf_args_next(&it, &arg) == ATF_OK) {
    if (!first) sqlite3_str_appendchar(json, 1, ',');
    first = 0;
    utf8 &= vtab_json_string(json, arg);
  }
  sqlite3_str_appendchar(json, 1, ']');
  result_json(ctx, json, utf8);
}

static void result_blob(sqlite3_context *ctx, atf_bytes b) {
  sqlite3_result_blob64(ctx, b.len ? (const void *)b.ptr : "", b.len,
                        SQLITE_TRANSIENT);
}

static int events_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                         int column) {
  events_cursor *c = (events_cursor *)base;
  const atf_payload *p = &c->payload;
  int rc;
  switch (column) {
  case COL_OFFSET:
    sqlite3_result_int64(ctx, (sqlite3_int64)c->rec.offset);
    return SQLITE_OK;
  case COL_SIZE:
    sqlite3_result_int64(ctx, (sqlite3_int64)c->rec.size);
    return SQLITE_OK;
  case COL_TRACE:
    sqlite3_result_text(ctx, c->trace, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  rc = decode_header(c);
  if (rc != SQLITE_OK) goto fail;
  switch (column) {
  case COL_EVENT_ID:
    sqlite3_result_int64(ctx, (sqlite3_int64)c->ev.event_id);
    return SQLITE_OK;
  case COL_THREAD_ID:
    sqlite3_result_int64(ctx, c->ev.thread_id);
    return SQLITE_OK;
  case COL_TS:
    if (c->ev.has_timestamp) sqlite3_result_int64(ctx, c->ev.ts_ns);
    return SQLITE_OK;
  case COL_KIND:
    if (c->ev.kind != ATF_KIND_NONE)
      sqlite3_result_text(ctx, atf_kind_name(c->ev.kind), -1, SQLITE_STATIC);
    return SQLITE_OK;
  }
  /* A payload column: NULL unless it belongs to this event's kind. */
  if (c->ev.kind == ATF_KIND_NONE ||
      !(column_kinds(column) & KIND_BIT(c->ev.kind)))
    return SQLITE_OK;
  rc = decode_payload(c);
  if (rc != SQLITE_OK) goto fail;
  switch (column) {
  case COL_SYMBOL: vtab_result_text(ctx, p->symbol); break;
  case COL_ADDRESS: sqlite3_result_int64(ctx, (sqlite3_int64)p->address); break;
  case COL_REGISTERS: rc = result_registers(c, ctx); break;
  case COL_STACK: result_blob(ctx, p->stack); break;
  case COL_SIGNAL_NUMBER: sqlite3_result_int(ctx, p->signal_number); break;
  case COL_SIGNAL_NAME: vtab_result_text(ctx, p->signal_name); break;
  case COL_EXIT_CODE: sqlite3_result_int(ctx, p->exit_code); break;
  case COL_EXECUTABLE_PATH: vtab_result_text(ctx, p->executable_path); break;
  case COL_ARGS: result_args(c, ctx); break;
  case COL_OPERATING_SYSTEM: vtab_result_text(ctx, p->operating_system); break;
  case COL_CPU_ARCHITECTURE: vtab_result_text(ctx, p->cpu_architecture); break;
  }
  if (rc == SQLITE_OK || rc == SQLITE_NOMEM) return rc;
fail:
  /* The message is in zErrMsg; xColumn reports it through the context. */
  sqlite3_result_error(ctx,
                       c->base.pVtab->zErrMsg ? c->base.pVtab->zErrMsg
                                              : "atf_events: error",
                       -1);
  return rc;
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
  return sqlite3_create_module(db, "atf_events", &events_module,
                               (void *)SCHEMA);
}
