/*
** calls_bench.c - the call tables (issue 8) against what a user writes today
** without them, in the same process:
** - atf_calls' count(*), sum(dur), max(depth) against a window-function
**   query over atf_events that pairs calls with returns;
** - atf_functions against the same statistics computed by SQL over a plain
**   table already holding atf_calls' rows (in memory, indexed on
**   parent_offset);
** - the call checkpoints (built once through the reader API: time, size),
**   then atf_stack at random events and one call by offset.
** The SQL baselines read at most --baseline-max-mb of the trace (past it
** they take minutes and gigabytes): their ratio is then per byte read.
*/
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Random events for atf_stack, calls for the lookups by offset. */
#define STACK_QUERIES 200u

/*
** Pairing calls with returns in SQL, as a user writes it today: per thread, a
** running sum of +1 per call and -1 per return gives each event its nesting
** level (a call's depth is the level before it, a return's the level after
** it); a call's return is then the next event at the same level on the same
** thread (partitions of thread and depth, in file order), if that is a
** return. Exact for well-nested traces without unwinding (every return closes
** the innermost open call); with unwinding, orphan returns or lost records
** the levels drift and the pairs are wrong, which atf_calls' pairing rules
** handle. Open calls get no duration, as in atf_calls. %s: an optional bound
** on the offsets read.
*/
static const char *const WINDOW_SQL =
    "WITH e AS ("
    " SELECT offset, thread_id, kind, ts,"
    "  sum(CASE kind WHEN 'function_call' THEN 1 ELSE -1 END)"
    "   OVER (PARTITION BY thread_id ORDER BY offset"
    "         ROWS UNBOUNDED PRECEDING)"
    "  - (kind = 'function_call') AS depth"
    " FROM atf_events(?1)"
    " WHERE kind IN ('function_call', 'function_return')%s),"
    " p AS ("
    " SELECT kind, depth, lead(kind) OVER w AS next_kind,"
    "  lead(ts) OVER w - ts AS dur"
    " FROM e WINDOW w AS (PARTITION BY thread_id, depth ORDER BY offset))"
    " SELECT count(*),"
    " sum(CASE WHEN next_kind = 'function_return' THEN dur END), max(depth)"
    " FROM p WHERE kind = 'function_call'";

static const char *const CALLS_SQL =
    "SELECT count(*), sum(dur), max(depth) FROM atf_calls(?1)";

/* Whether the baselines read the whole trace; else the bound for ?2. */
static int baseline_whole(const bench *b) {
  return b->file_bytes <= b->baseline_max_bytes;
}

static int same3(const sqlite3_int64 *a, const int *an, const sqlite3_int64 *c,
                 const int *cn) {
  for (int i = 0; i < 3; i++)
    if (an[i] != cn[i] || (!an[i] && a[i] != c[i])) return 0;
  return 1;
}

int measure_calls(bench *b) {
  char sql[2048], note[256];
  sqlite3_int64 calls[3], win[3];
  int calls_null[3], win_null[3];
  long faults = 0;
  int whole = baseline_whole(b);
  uint64_t win_bytes = whole ? b->file_bytes : b->baseline_max_bytes;

  if (time_one_row(b, CALLS_SQL, &b->calls_s, &faults, calls, calls_null, 3) !=
      0)
    return -1;
  snprintf(sql, sizeof sql, WINDOW_SQL, whole ? "" : " AND offset < ?2");
  {
    sqlite3_stmt *st;
    double t;
    int rc;
    if (prepare(b, sql, &st) != 0) return -1;
    if (!whole) sqlite3_bind_int64(st, 2, (sqlite3_int64)win_bytes);
    /* Once: it takes seconds a million events, and its spread is small
    ** next to the ratio. */
    t = now_s();
    rc = sqlite3_step(st);
    b->window_s = now_s() - t;
    if (rc != SQLITE_ROW) {
      sql_fail(b, "window-function pairing");
      sqlite3_finalize(st);
      return -1;
    }
    for (int i = 0; i < 3; i++) {
      win[i] = sqlite3_column_int64(st, i);
      win_null[i] = sqlite3_column_type(st, i) == SQLITE_NULL;
    }
    sqlite3_finalize(st);
  }
  snprintf(note, sizeof note,
           "best of 1; pairs by nesting level (exact for well-nested traces "
           "without unwinding)%s",
           whole ? "" : "; first --baseline-max-mb of the trace only");
  print_row("calls: window-function query", b->window_s, win_bytes, 0, NAN,
            NULL, note);
  /* Per byte: the baseline may have read a prefix only. */
  b->window_per_byte_ratio =
      (b->window_s / (double)win_bytes) / (b->calls_s / (double)b->file_bytes);
  snprintf(note, sizeof note,
           "%s: %.1fx faster per byte; count %lld, sum(dur) %lld, "
           "max(depth) %lld%s",
           CALLS_SQL, b->window_per_byte_ratio, (long long)calls[0],
           (long long)calls[1], (long long)calls[2],
           !whole ? ""
           : same3(calls, calls_null, win, win_null)
               ? "; same as the window query"
               : "; DIFFERENT from the window "
                 "query (not well nested?)");
  print_row("calls: atf_calls", b->calls_s, b->file_bytes, 0,
            1.0 / b->window_per_byte_ratio, "window query", note);
  print_plan(b, CALLS_SQL);
  return 0;
}

/*
** atf_functions' statistics by SQL over a plain table holding atf_calls'
** rows, as a user who imported them writes it: recursion counted once in
** total_dur (a call adds nothing when a call of the same symbol is among its
** ancestors: a recursive walk from the depth-0 calls down parent_offset,
** carrying the path of hex(symbol)s), nearest-rank percentiles from
** row_number() per symbol.
*/
static const char *const FUNCTIONS_SQL =
    "WITH RECURSIVE walk(offset, path, nested) AS ("
    " SELECT offset, '/' || hex(symbol) || '/', 0 FROM calls"
    " WHERE parent_offset IS NULL"
    " UNION ALL"
    " SELECT c.offset, w.path || hex(c.symbol) || '/',"
    "  instr(w.path, '/' || hex(c.symbol) || '/') > 0"
    " FROM walk w JOIN calls c ON c.parent_offset = w.offset),"
    " ranked AS ("
    " SELECT symbol, dur,"
    "  row_number() OVER (PARTITION BY symbol ORDER BY dur) AS rn,"
    "  count(*) OVER (PARTITION BY symbol) AS n"
    " FROM calls WHERE dur IS NOT NULL),"
    " pct AS ("
    " SELECT symbol,"
    "  max(CASE WHEN rn = (n + 1) / 2 THEN dur END) AS p50,"
    "  max(CASE WHEN rn = (9 * n + 9) / 10 THEN dur END) AS p90,"
    "  max(CASE WHEN rn = (99 * n + 99) / 100 THEN dur END) AS p99"
    " FROM ranked GROUP BY symbol)"
    " SELECT c.symbol, count(*), sum(c.status = 'returned'),"
    " count(DISTINCT c.thread_id),"
    " sum(CASE WHEN NOT w.nested THEN c.dur END), sum(c.self_dur),"
    " min(c.dur), avg(c.dur), max(c.dur), p.p50, p.p90, p.p99"
    " FROM calls c JOIN walk w ON w.offset = c.offset"
    " LEFT JOIN pct p ON p.symbol IS c.symbol"
    " GROUP BY c.symbol";

/* Sums over the rows of a statistics query: calls, total_dur, self_dur
** (columns 1, 4, 5), and the rows. */
typedef struct fn_totals {
  int64_t rows, calls, total, self;
} fn_totals;

/* Steps ST to its end, REPEAT times (best time in *BEST), summing T. */
static int time_functions(bench *b, sqlite3_stmt *st, int repeat, double *best,
                          fn_totals *t) {
  *best = INFINITY;
  for (int r = 0; r < repeat; r++) {
    fn_totals x = {0, 0, 0, 0};
    double t0 = now_s();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      x.rows++;
      x.calls += sqlite3_column_int64(st, 1);
      x.total += sqlite3_column_int64(st, 4);
      x.self += sqlite3_column_int64(st, 5);
      touch_row(st, sqlite3_column_count(st));
    }
    t0 = now_s() - t0;
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return sql_fail(b, "statistics per function");
    if (t0 < *best) *best = t0;
    *t = x;
  }
  return 0;
}

/* Bytes of the in-memory database's pages in use (freed pages of dropped
** tables are reused, so SQLite's heap does not show a new table's size). */
static int64_t db_bytes(bench *b) {
  sqlite3_stmt *st;
  int64_t n = 0;
  if (sqlite3_prepare_v2(b->db,
                         "SELECT (page_count - freelist_count) * page_size "
                         "FROM pragma_page_count(), pragma_freelist_count(), "
                         "pragma_page_size()",
                         -1, &st, NULL) != SQLITE_OK)
    return 0;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

int measure_functions(bench *b) {
  sqlite3_stmt *st;
  fn_totals fa = {0, 0, 0, 0}, fs = {0, 0, 0, 0};
  double build_s, index_s;
  char note[256];
  int whole = baseline_whole(b), rc;
  uint64_t base_bytes = whole ? b->file_bytes : b->baseline_max_bytes;
  int64_t pages0 = db_bytes(b);

  if (prepare(b, "SELECT * FROM atf_functions(?1)", &st) != 0) return -1;
  rc = time_functions(b, st, b->repeat, &b->functions_s, &fa);
  sqlite3_finalize(st);
  if (rc != 0) return -1;

  /* The plain table: what an import holds. Its build is not the baseline's
  ** time, which starts with the table in place. */
  if (prepare(b,
              whole ? "CREATE TABLE calls AS SELECT * FROM atf_calls(?1)"
                    : "CREATE TABLE calls AS SELECT * FROM atf_calls(?1) "
                      "WHERE offset < ?2",
              &st) != 0)
    return -1;
  if (!whole) sqlite3_bind_int64(st, 2, (sqlite3_int64)base_bytes);
  build_s = now_s();
  rc = sqlite3_step(st);
  build_s = now_s() - build_s;
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return sql_fail(b, "CREATE TABLE calls");
  index_s = now_s();
  if (sqlite3_exec(b->db, "CREATE INDEX calls_parent ON calls(parent_offset)",
                   NULL, NULL, NULL) != SQLITE_OK)
    return sql_fail(b, "CREATE INDEX calls_parent");
  index_s = now_s() - index_s;
  snprintf(note, sizeof note,
           "CREATE TABLE calls AS SELECT * FROM atf_calls (in memory%s) %.1f s"
           " + index on parent_offset %.1f s: %.0f MB of pages",
           whole ? "" : ", first --baseline-max-mb", build_s, index_s,
           mb((uint64_t)(db_bytes(b) - pages0)));
  printf("  %s\n", note);
  if (sqlite3_prepare_v2(b->db, FUNCTIONS_SQL, -1, &st, NULL) != SQLITE_OK)
    return sql_fail(b, "statistics by SQL");
  rc = time_functions(b, st, 1, &b->functions_sql_s, &fs);
  sqlite3_finalize(st);
  if (rc != 0) return -1;
  if (sqlite3_exec(b->db, "DROP TABLE calls", NULL, NULL, NULL) != SQLITE_OK)
    return sql_fail(b, "DROP TABLE calls");

  snprintf(note, sizeof note,
           "best of 1: calls, returned, threads, total_dur (recursion once), "
           "self_dur, min/avg/max, p50/p90/p99%s",
           whole ? "" : "; over the first --baseline-max-mb only");
  print_row("functions: SQL over plain calls", b->functions_sql_s, base_bytes,
            0, NAN, NULL, note);
  b->functions_per_byte_ratio = (b->functions_s / (double)b->file_bytes) /
                                (b->functions_sql_s / (double)base_bytes);
  snprintf(note, sizeof note,
           "%lld symbols, %lld calls; sums of calls, total_dur, self_dur %s",
           (long long)fa.rows, (long long)fa.calls,
           !whole ? "not compared"
           : fa.rows == fs.rows && fa.calls == fs.calls &&
                   fa.total == fs.total && fa.self == fs.self
               ? "same as SQL's"
               : "DIFFERENT");
  print_row("functions: atf_functions", b->functions_s, b->file_bytes, 0,
            b->functions_per_byte_ratio, "SQL over plain calls", note);
  if (whole && !(fa.rows == fs.rows && fa.calls == fs.calls &&
                 fa.total == fs.total && fa.self == fs.self)) {
    fprintf(stderr,
            "atf_bench: atf_functions and the SQL statistics differ: rows "
            "%lld/%lld, calls %lld/%lld, total_dur %lld/%lld, self_dur "
            "%lld/%lld\n",
            (long long)fa.rows, (long long)fs.rows, (long long)fa.calls,
            (long long)fs.calls, (long long)fa.total, (long long)fs.total,
            (long long)fa.self, (long long)fs.self);
    return -1;
  }
  return 0;
}

/* The call checkpoints through the reader API, as the extension builds
** them on the first atf_stack or call lookup: one walk of the whole trace.
** Time and size; the block index under them is built (and timed) first. */
int measure_checkpoints(bench *b) {
  atf_map map;
  atf_index idx;
  atf_call_index ci;
  atf_error err;
  double t_idx, t;
  char note[256];
  memset(&idx, 0, sizeof idx);
  memset(&ci, 0, sizeof ci);
  if (atf_map_open(b->events_path, &map, &err) != ATF_OK)
    return reader_fail("map", &err);
  t_idx = now_s();
  if (atf_index_update(&idx, &map, NULL, &err) != ATF_OK) {
    atf_map_close(&map);
    return reader_fail("index", &err);
  }
  t_idx = now_s() - t_idx;
  t = now_s();
  if (atf_call_index_update(&ci, &idx, &map, NULL, &err) != ATF_OK) {
    atf_index_free(&idx);
    atf_map_close(&map);
    return reader_fail("call checkpoints", &err);
  }
  b->ckpt_build_s = now_s() - t;
  b->ckpt_mb = mb(atf_call_index_bytes(&ci));
  b->index_mb = mb(idx.n_blocks * sizeof(atf_block));
  snprintf(note, sizeof note,
           "atf_call_index_update after the block index (%.3f s): %zu "
           "checkpoints every %zu blocks, %.2f MB (+ %.2f MB of block index)",
           t_idx, ci.n, ci.interval, b->ckpt_mb, b->index_mb);
  print_row("call checkpoints (reader API)", b->ckpt_build_s, b->file_bytes,
            b->events, b->ckpt_build_s / b->framing_s, "framing", note);
  atf_call_index_free(&ci);
  atf_index_free(&idx);
  atf_map_close(&map);
  return 0;
}

/* Runs ST (bound to ?2 = AT) to its end: wall and CPU milliseconds into
** *MS and *CPU_MS, rows into *ROWS, the first row's first column into
** *FIRST. */
static int one_query(bench *b, sqlite3_stmt *st, uint64_t at, double *ms,
                     double *cpu_ms, int64_t *rows, int64_t *first) {
  int rc;
  double t = now_s(), c = cpu_s();
  *rows = 0;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if ((*rows)++ == 0) *first = sqlite3_column_int64(st, 0);
    touch_row(st, sqlite3_column_count(st));
  }
  *ms = (now_s() - t) * 1e3;
  *cpu_ms = (cpu_s() - c) * 1e3;
  if (rc != SQLITE_DONE) return sql_fail(b, "lookup");
  return 0;
}

/* Mean and max of N figures. */
static void mean_max(const double *v, uint32_t n, double *mean, double *max) {
  double s = 0;
  *max = 0;
  for (uint32_t i = 0; i < n; i++) {
    s += v[i];
    if (v[i] > *max) *max = v[i];
  }
  *mean = n ? s / n : NAN;
}

/* atf_stack at random events and atf_calls WHERE offset = ? at random
** calls, one prepared statement each re-bound, after a first query that
** builds the call checkpoints on this connection. */
int measure_stack(bench *b) {
  static const char *const STACK_SQL = "SELECT * FROM atf_stack(?1, ?2)";
  static const char *const CALL_SQL =
      "SELECT * FROM atf_calls(?1) WHERE offset = ?2";
  sqlite3_stmt *st, *next;
  double ms[STACK_QUERIES], cpu[STACK_QUERIES], first_ms, first_cpu;
  double cpu_mean, cpu_max;
  uint64_t calls[STACK_QUERIES];
  uint32_t n =
      b->n_sample < STACK_QUERIES + 1 ? b->n_sample : STACK_QUERIES + 1;
  uint32_t n_calls = 0;
  int64_t rows, first, depth_sum = 0;
  char note[256];
  if (n < 2) return 0;

  if (prepare(b, STACK_SQL, &st) != 0) return -1;
  /* The first: the call checkpoints are built now (and the block index, if
  ** no measure before built it). */
  if (one_query(b, st, b->sample[0], &first_ms, &first_cpu, &rows, &first) !=
      0) {
    sqlite3_finalize(st);
    return -1;
  }
  b->ckpt_first_sql_s = first_ms / 1e3;
  for (uint32_t i = 1; i < n; i++) {
    if (one_query(b, st, b->sample[i], &ms[i - 1], &cpu[i - 1], &rows,
                  &first) != 0) {
      sqlite3_finalize(st);
      return -1;
    }
    depth_sum += rows;
  }
  sqlite3_finalize(st);
  mean_max(ms, n - 1, &b->stack_ms, &b->stack_max_ms);
  mean_max(cpu, n - 1, &cpu_mean, &cpu_max);
  snprintf(note, sizeof note,
           "the first, which builds the call checkpoints on this connection");
  print_row("atf_stack, first", b->ckpt_first_sql_s, b->file_bytes, 0,
            b->ckpt_first_sql_s / b->ckpt_build_s, "checkpoints (reader)",
            note);
  snprintf(note, sizeof note,
           "%.3f ms mean, %.3f ms max over %u random events (CPU: %.3f "
           "mean, %.3f max); %.1f frames each on average",
           b->stack_ms, b->stack_max_ms, n - 1, cpu_mean, cpu_max,
           (double)depth_sum / (n - 1));
  print_row("atf_stack at a random event", b->stack_ms * (n - 1) / 1e3, 0, 0,
            NAN, NULL, note);
  print_plan(b, STACK_SQL);

  /* Random calls: the first call at or after each random event. */
  if (prepare(b,
              "SELECT offset FROM atf_events(?1) WHERE offset >= ?2 AND "
              "kind = 'function_call' LIMIT 1",
              &next) != 0)
    return -1;
  for (uint32_t i = 1; i < n; i++) {
    sqlite3_reset(next);
    sqlite3_bind_int64(next, 2, (sqlite3_int64)b->sample[i]);
    if (sqlite3_step(next) == SQLITE_ROW)
      calls[n_calls++] = (uint64_t)sqlite3_column_int64(next, 0);
  }
  sqlite3_finalize(next);
  if (prepare(b, CALL_SQL, &st) != 0) return -1;
  for (uint32_t i = 0; i < n_calls; i++) {
    if (one_query(b, st, calls[i], &ms[i], &cpu[i], &rows, &first) != 0) {
      sqlite3_finalize(st);
      return -1;
    }
    if (rows != 1 || (uint64_t)first != calls[i]) {
      fprintf(stderr,
              "atf_bench: atf_calls WHERE offset = %" PRIu64
              " gave %lld rows\n",
              calls[i], (long long)rows);
      sqlite3_finalize(st);
      return -1;
    }
  }
  sqlite3_finalize(st);
  mean_max(ms, n_calls, &b->call_at_ms, &b->call_at_max_ms);
  mean_max(cpu, n_calls, &cpu_mean, &cpu_max);
  snprintf(note, sizeof note,
           "%.3f ms mean, %.3f ms max over %u random calls (CPU: %.3f mean, "
           "%.3f max); each walks its thread until the call closes",
           b->call_at_ms, b->call_at_max_ms, n_calls, cpu_mean, cpu_max);
  print_row("one call by offset", b->call_at_ms * n_calls / 1e3, 0, 0, NAN,
            NULL, note);
  print_plan(b, CALL_SQL);
  return 0;
}
