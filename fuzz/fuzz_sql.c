/*
** fuzz_sql.c - libFuzzer target: arbitrary bytes as a trace's events.bin,
** queried through the extension in an in-memory SQLite database.
**
** The extension's sources are compiled into this program with SQLITE_CORE,
** so their sqlite3_* calls go straight to libsqlite3, and sqlite3_atf_init
** registers the tables on a fresh connection for every input (no state
** carries over from one input to the next).
**
** Each input is written to a temporary pid directory in two steps: a prefix
** first, queried so that the connection caches the mapping and builds the
** block index, then the rest appended, as a tracer appends to a live trace;
** the queries after that see the grown file through an extended index.
**
** SQL errors are expected (damaged input); crashes, leaks and undefined
** behaviour are not. Beyond that the results are held against each other:
** every constraint the table takes over (offset =, IN, ranges, ts, event_id,
** thread_id, kind) must give the rows of the same query with the constraint
** hidden from the table (the condition applied outside the table), see
*same_result; count(*), point lookups
** and LIMIT/OFFSET must agree with a framing scan.
*/
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "fuzz_common.h"

int sqlite3_atf_init(sqlite3 *db, char **err_msg,
                     const sqlite3_api_routines *api);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_trace_init("fuzz-sql");
  return 0;
}

/* ---- running a query ---------------------------------------------------- */

/* What a query gave: its outcome and its first column, as integers. */
typedef struct result {
  int rc; /* SQLITE_DONE, or the error */
  size_t rows;
  int64_t *col0;
  size_t cap;
} result;

static void result_free(result *r) { free(r->col0); }

/* A bind value: an integer, a real, a text or NULL. */
typedef struct bind {
  char type; /* 'i', 'r', 't', 'n' */
  int64_t i;
  double r;
  const char *t;
} bind;

#define I(v) ((bind){'i', (v), 0, NULL})
#define R(v) ((bind){'r', 0, (v), NULL})
#define T(v) ((bind){'t', 0, 0, (v)})

/* Where the bytes of every value read go, so that reading them stays. */
static volatile unsigned sink;

/* Runs SQL with ?1 = the trace directory and ?2... = BINDS, reading every
** column of every row (so that anything handed to SQLite is touched). */
static result run(sqlite3 *db, const char *sql, const bind *binds,
                  int n_binds) {
  result r;
  sqlite3_stmt *st = NULL;
  memset(&r, 0, sizeof r);
  FUZZ_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
             "cannot prepare %s: %s", sql, sqlite3_errmsg(db));
  sqlite3_bind_text(st, 1, fuzz_trace_dir, -1, SQLITE_STATIC);
  for (int i = 0; i < n_binds; i++) {
    const bind *b = &binds[i];
    if (b->type == 'i') sqlite3_bind_int64(st, i + 2, b->i);
    if (b->type == 'r') sqlite3_bind_double(st, i + 2, b->r);
    if (b->type == 't') sqlite3_bind_text(st, i + 2, b->t, -1, SQLITE_STATIC);
  }
  unsigned sum = 0;
  while ((r.rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      const unsigned char *p = NULL;
      int type = sqlite3_column_type(st, c);
      if (type == SQLITE_TEXT) p = sqlite3_column_text(st, c);
      if (type == SQLITE_BLOB) p = sqlite3_column_blob(st, c);
      if (p)
        for (int k = 0, n = sqlite3_column_bytes(st, c); k < n; k++)
          sum += p[k];
    }
    if (r.rows == r.cap) {
      r.cap = r.cap ? 2 * r.cap : 16;
      r.col0 = realloc(r.col0, r.cap * sizeof *r.col0);
      FUZZ_CHECK(r.col0, "out of memory in the fuzzer");
    }
    r.col0[r.rows++] = sqlite3_column_int64(st, 0);
  }
  if (r.rc != SQLITE_DONE) {
    const char *msg = sqlite3_errmsg(db);
    FUZZ_CHECK(msg && *msg, "%s: error %d without a message", sql, r.rc);
    /* The one kind of error a query may give here is an SQL error. */
    FUZZ_CHECK(r.rc == SQLITE_ERROR, "%s: rc %d (%s)", sql, r.rc, msg);
  }
  sqlite3_finalize(st);
  sink += sum;
  return r;
}

/* A constraint the table takes must not change what the query means. The
** query without it (PLAIN) decodes the header of every record in range;
** with it (PUSHED) the table may skip records it can rule out, so it can
** get past a damaged record that PLAIN fails on (damage is found when what
** needs it is decoded), never the other way round. So: PLAIN's rows are a
** prefix of PUSHED's, and PLAIN succeeding means PUSHED succeeds with the
** same rows. */
static void same_result(const result *pushed, const result *plain,
                        const char *what) {
  FUZZ_CHECK(plain->rc != SQLITE_DONE || pushed->rc == SQLITE_DONE,
             "%s: fails (%d) with the constraint taken by the table, "
             "succeeds without",
             what, pushed->rc);
  FUZZ_CHECK(
      plain->rows <= pushed->rows &&
          (plain->rows == 0 || memcmp(pushed->col0, plain->col0,
                                      plain->rows * sizeof *plain->col0) == 0),
      "%s: %zu rows with the constraint taken by the table, %zu "
      "without, or other rows",
      what, pushed->rows, plain->rows);
  FUZZ_CHECK(plain->rc != SQLITE_DONE || pushed->rows == plain->rows,
             "%s: %zu rows with the constraint taken by the table, %zu "
             "without",
             what, pushed->rows, plain->rows);
}

/* Runs a query twice: with WHERE a condition the table may take over, and
** with the same condition applied outside a subquery that it cannot be
** pushed into (LIMIT -1), where SQLite tests it row by row. (Writing +ts
** instead would drop the column's INTEGER affinity, and ts < '12' would
** then mean something else.) */
static void compare_pushdown(sqlite3 *db, const char *where, const bind *binds,
                             int n_binds) {
  char a[512], b[512];
  snprintf(a, sizeof a, "SELECT offset FROM atf_events(?1) WHERE %s", where);
  snprintf(b, sizeof b,
           "SELECT offset FROM (SELECT offset, ts, event_id, thread_id, kind "
           "FROM atf_events(?1) LIMIT -1) WHERE %s",
           where);
  result pushed = run(db, a, binds, n_binds);
  result plain = run(db, b, binds, n_binds);
  same_result(&pushed, &plain, a);
  result_free(&pushed);
  result_free(&plain);
}

/* ---- the queries -------------------------------------------------------- */

static int contains(const result *r, int64_t v) {
  for (size_t i = 0; i < r->rows; i++)
    if (r->col0[i] == v) return 1;
  return 0;
}

/* Input-controlled numbers: 8 bytes from the end of the input. */
static uint64_t tail_u64(const uint8_t *data, size_t size, size_t k) {
  uint64_t v = 0;
  if (size < 8 * (k + 1)) return k * 7919;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)data[size - 8 * (k + 1) + i] << (8 * i);
  return v;
}

/* count(*), point lookups and LIMIT/OFFSET against the framing scan F. */
static void check_framing(sqlite3 *db, const result *f, size_t size,
                          uint64_t salt) {
  result r = run(db, "SELECT count(*) FROM atf_events(?1)", NULL, 0);
  FUZZ_CHECK(r.rc == f->rc, "count(*) outcome %d, framing scan %d", r.rc,
             f->rc);
  FUZZ_CHECK(r.rc != SQLITE_DONE ||
                 (r.rows == 1 && r.col0[0] == (int64_t)f->rows),
             "count(*) = %lld, framing scan has %zu rows",
             r.rows ? (long long)r.col0[0] : -1LL, f->rows);
  result_free(&r);

  /* Point lookups at record starts, inside records, and anywhere. */
  int64_t targets[8];
  int n = 0;
  if (f->rows) {
    targets[n++] = f->col0[0];
    targets[n++] = f->col0[f->rows / 2];
    targets[n++] = f->col0[f->rows - 1];
    targets[n++] = f->col0[f->rows / 2] + 1;
    targets[n++] = f->col0[salt % f->rows];
  }
  targets[n++] = (int64_t)(salt % (size + 2));
  targets[n++] = (int64_t)size;
  targets[n++] = -1;
  /* Which offsets the scan settles (a record start or none): all of them
  ** when it went to the end, else those up to its last row. */
  int64_t known_to = f->rc == SQLITE_DONE ? INT64_MAX
                     : f->rows            ? f->col0[f->rows - 1]
                                          : -1;
  for (int i = 0; i < n; i++) {
    bind b = I(targets[i]);
    r = run(db, "SELECT offset FROM atf_events(?1) WHERE offset = ?2", &b, 1);
    if (targets[i] < 0 || targets[i] <= known_to) {
      int start = contains(f, targets[i]);
      FUZZ_CHECK(r.rc == SQLITE_DONE && r.rows == (size_t)start &&
                     (!start || r.col0[0] == targets[i]),
                 "offset = %lld: outcome %d, %zu rows; a record start: %d",
                 (long long)targets[i], r.rc, r.rows, start);
    }
    result_free(&r);
    r = run(db, "SELECT * FROM atf_events(?1) WHERE rowid = ?2", &b, 1);
    FUZZ_CHECK(r.rc != SQLITE_DONE || r.rows <= 1, "rowid = %lld gave %zu rows",
               (long long)targets[i], r.rows);
    result_free(&r);
  }
  if (n >= 3) {
    bind in[3] = {I(targets[0]), I(targets[n - 3]), I(targets[3 % n])};
    compare_pushdown(db, "offset IN (?2, ?3, ?4)", in, 3);
  }

  /* LIMIT 3 OFFSET 2: rows 2..4 of the scan; a damaged record after them
  ** is not reached. */
  r = run(db, "SELECT offset FROM atf_events(?1) LIMIT 3 OFFSET 2", NULL, 0);
  if (f->rc == SQLITE_DONE || f->rows >= 5) {
    size_t want = f->rows > 2 ? (f->rows - 2 < 3 ? f->rows - 2 : 3) : 0;
    FUZZ_CHECK(r.rc == SQLITE_DONE && r.rows == want &&
                   (want == 0 ||
                    memcmp(r.col0, f->col0 + 2, want * sizeof *r.col0) == 0),
               "LIMIT 3 OFFSET 2: outcome %d, %zu rows; framing scan %zu rows",
               r.rc, r.rows, f->rows);
  }
  result_free(&r);
  if (f->rc == SQLITE_DONE) {
    bind lim[2] = {I((int64_t)(salt % 5)), I((int64_t)(salt % (f->rows + 2)))};
    r = run(db, "SELECT offset FROM atf_events(?1) LIMIT ?2 OFFSET ?3", lim, 2);
    size_t from = (size_t)lim[1].i, count = (size_t)lim[0].i;
    size_t want = from < f->rows ? f->rows - from : 0;
    if (want > count) want = count;
    FUZZ_CHECK(r.rc == SQLITE_DONE && r.rows == want &&
                   (want == 0 ||
                    memcmp(r.col0, f->col0 + from, want * sizeof *r.col0) == 0),
               "LIMIT %zu OFFSET %zu: %zu rows, expected %zu", count, from,
               r.rows, want);
    result_free(&r);
  }
}

/* Values seen in a decoding scan, to aim constraints at. */
typedef struct seen {
  int64_t ts[2], event_id[2], thread_id;
  int n_ts, n_id;
} seen;

static seen sample_values(sqlite3 *db, uint64_t salt) {
  seen s;
  memset(&s, 0, sizeof s);
  result r =
      run(db, "SELECT ts FROM atf_events(?1) WHERE +ts IS NOT NULL", NULL, 0);
  if (r.rows) {
    s.ts[0] = r.col0[salt % r.rows];
    s.ts[1] = r.col0[(salt >> 16) % r.rows];
    s.n_ts = 2;
  }
  result_free(&r);
  r = run(db, "SELECT event_id FROM atf_events(?1)", NULL, 0);
  if (r.rows) {
    s.event_id[0] = r.col0[(salt >> 8) % r.rows];
    s.event_id[1] = r.col0[(salt >> 24) % r.rows];
    s.n_id = 2;
  }
  result_free(&r);
  r = run(db, "SELECT thread_id FROM atf_events(?1)", NULL, 0);
  if (r.rows) s.thread_id = r.col0[(salt >> 32) % r.rows];
  result_free(&r);
  return s;
}

static void check_pushdowns(sqlite3 *db, const seen *s, uint64_t salt) {
  int64_t t0 = s->n_ts ? s->ts[0] : (int64_t)salt;
  int64_t t1 = s->n_ts ? s->ts[1] : (int64_t)(salt >> 3);
  int64_t lo = t0 < t1 ? t0 : t1, hi = t0 < t1 ? t1 : t0;
  bind ts[2] = {I(lo), I(hi)};
  compare_pushdown(db, "ts BETWEEN ?2 AND ?3", ts, 2);
  compare_pushdown(db, "ts = ?2", ts, 1);
  compare_pushdown(db, "ts > ?2 AND ts < ?3", ts, 2);
  bind everything[2] = {I(INT64_MIN), I(INT64_MAX)};
  compare_pushdown(db, "ts BETWEEN ?2 AND ?3", everything, 2);
  bind real[1] = {R((double)lo + 0.5)};
  compare_pushdown(db, "ts >= ?2", real, 1);
  bind text[1] = {T("12")};
  compare_pushdown(db, "ts < ?2", text, 1);
  compare_pushdown(db, "ts IS NULL", NULL, 0);

  int64_t e0 = s->n_id ? s->event_id[0] : (int64_t)(salt >> 5);
  int64_t e1 = s->n_id ? s->event_id[1] : (int64_t)(salt >> 7);
  bind ids[2] = {I(e0 < e1 ? e0 : e1), I(e0 < e1 ? e1 : e0)};
  compare_pushdown(db, "event_id BETWEEN ?2 AND ?3", ids, 2);
  compare_pushdown(db, "event_id = ?2", ids, 1);
  compare_pushdown(db, "event_id >= ?2", ids + 1, 1);

  bind thread[2] = {I(s->thread_id), I((int64_t)(int32_t)salt)};
  compare_pushdown(db, "thread_id = ?2", thread, 1);
  compare_pushdown(db, "thread_id IN (?2, ?3)", thread, 2);
  bind kinds[2] = {T("function_call"), T("signal_delivery")};
  compare_pushdown(db, "kind = ?2", kinds, 1);
  compare_pushdown(db, "kind IN (?2, ?3)", kinds, 2);

  bind offs[2] = {I((int64_t)(salt % 4096)), I((int64_t)((salt >> 12) % 8192))};
  compare_pushdown(db, "offset > ?2 AND offset <= ?3", offs, 2);
  compare_pushdown(db, "offset >= ?2 AND ts >= ?3", (bind[]){offs[0], ts[0]},
                   2);

  /* Values of other types than the column's: affinity, reals, NULL. */
  bind odd[4] = {T("3"), R(2.5), {'n', 0, 0, NULL}, T("x")};
  compare_pushdown(db, "offset = ?2", odd, 1);
  compare_pushdown(db, "offset >= ?3 AND offset < ?2", odd, 2);
  compare_pushdown(db, "ts > ?4", odd, 3);
  compare_pushdown(db, "event_id = ?2", odd, 1);
  compare_pushdown(db, "event_id < ?5", odd, 4);
  compare_pushdown(db, "thread_id = ?3", odd, 2);
  compare_pushdown(db, "kind = ?4", odd, 3);
}

/* Queries run for their own sake: decoding every column some way. */
static void run_decoding_queries(sqlite3 *db, uint64_t salt) {
  static const char *const queries[] = {
      "SELECT * FROM atf_events(?1) LIMIT 3 OFFSET 2",
      "SELECT * FROM atf_events(?1) ORDER BY offset DESC LIMIT 2",
      "SELECT registers ->> '$.rdi', args ->> '$[0]' FROM atf_events(?1)",
      "SELECT kind, count(*) FROM atf_events(?1) GROUP BY kind",
      "SELECT * FROM atf_events(?1) WHERE ts BETWEEN ?2 AND ?2 + 1000",
  };
  bind b = I((int64_t)salt);
  for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
    result r = run(db, queries[i], &b, 1);
    result_free(&r);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sqlite3 *db;
  uint64_t salt = tail_u64(data, size, 0);
  size_t cut = size ? (size_t)(tail_u64(data, size, 1) % (size + 1)) : 0;

  FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite3_open");
  FUZZ_CHECK(sqlite3_atf_init(db, NULL, NULL) == SQLITE_OK,
             "sqlite3_atf_init: %s", sqlite3_errmsg(db));

  /* A prefix first, indexed by a ts query, then the whole file. */
  fuzz_trace_write(data, cut, 0);
  if (cut < size) {
    bind all[2] = {I(INT64_MIN), I(INT64_MAX)};
    result r = run(db,
                   "SELECT count(*) FROM atf_events(?1) WHERE ts BETWEEN "
                   "?2 AND ?3",
                   all, 2);
    result_free(&r);
    fuzz_trace_write(data + cut, size - cut, 1);
  }

  result everything = run(db, "SELECT * FROM atf_events(?1)", NULL, 0);
  result framing = run(db, "SELECT offset FROM atf_events(?1)", NULL, 0);
  FUZZ_CHECK(everything.rc != SQLITE_DONE ||
                 (framing.rc == SQLITE_DONE && everything.rows == framing.rows),
             "SELECT * gave %zu rows, the framing scan %zu (outcome %d)",
             everything.rows, framing.rows, framing.rc);
  check_framing(db, &framing, size, salt);
  seen s = sample_values(db, salt);
  check_pushdowns(db, &s, salt);
  run_decoding_queries(db, salt);
  result_free(&everything);
  result_free(&framing);

  FUZZ_CHECK(sqlite3_close(db) == SQLITE_OK, "sqlite3_close: %s",
             sqlite3_errmsg(db));
  return 0;
}
