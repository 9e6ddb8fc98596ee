/*
** test_sql_differential.c - atf_events against SQLite itself: a query over
** atf_events(T) must return exactly what the same query returns over a
** plain table holding the same rows with the same declared types.
**
** For each trace (generated ones, one with records left out by
** skip_corrupt, and one made of edge values) the reference table is filled
** with SELECT * FROM atf_events(T) (make_reference_table, sqltest.h), then
** a seeded generator (query_gen.c) makes queries that run on both sides
** (every other one on a table made by CREATE VIRTUAL TABLE on the same
** trace); the answers are compared value by value, storage class included
** (sql_result.c). Order counts where the query fixes it (a total ORDER BY)
** and for an unordered scan of one table without OR, whose rows atf_events
** promises in file order (the reference: rowid order = offset order);
** otherwise rows are compared as multisets. An error must be an error on
** both sides.
**
** A failure is shrunk (LIMIT, ORDER BY, select list, WHERE subtrees, IN
** list elements dropped while the same kind of difference remains) and
** printed with the
** trace, the query and both answers; failures whose shrunk queries differ
** only in literals are one class, printed in full once.
**
** CTest runs a fixed seed set. A long run:
**   test_sql_differential --queries 100000 [--seed N] [--trace NAME]
**                         [--only I] [--verbose]
** prints the figures: queries per shape and per feature, failures per
** class. --only I reruns the query a failure names.
*/
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "atf_gen.h"
#include "check.h"
#include "edge_trace.h"
#include "query_gen.h"
#include "sql_result.h"
#include "sqltest.h"

/* ---- the traces -------------------------------------------------------- */

typedef struct trace_case {
  const char *name;
  int v2; /* an ATF v2 trace: rows by timestamp, not in offset order */
  char dir[700];
  char table[96];     /* the table-valued call, as the queries name it */
  char create[900];   /* CREATE VIRTUAL TABLE temp.ev on the same trace */
  const char *tested; /* what this query tests: table, or temp.ev */
} trace_case;

/* SQLDIFF_DIR/GROUP/NAME: traces stay in the build tree for reproduction;
** each test case writes its own, so that CTest can run them in parallel. */
static void trace_dir(trace_case *tc, const char *group, const char *name) {
  char parent[600];
  tc->name = name;
  tc->v2 = 0;
  snprintf(parent, sizeof parent, "%s/%s", SQLDIFF_DIR, group);
  mkdir(SQLDIFF_DIR, 0777);
  mkdir(parent, 0777);
  snprintf(tc->dir, sizeof tc->dir, "%s/%s", parent, name);
  snprintf(tc->table, sizeof tc->table, "atf_events(?1)");
  tc->tested = NULL;
}

/* The created table over the same trace and options as TC->table. */
static void set_create(trace_case *tc) {
  char *sql = sqlite3_mprintf(
      "CREATE VIRTUAL TABLE temp.ev USING atf_events(%Q%s)", tc->dir,
      strstr(tc->table, "skip_corrupt") ? ", 'skip_corrupt'" : "");
  snprintf(tc->create, sizeof tc->create, "%s", sql);
  sqlite3_free(sql);
}

typedef struct gen_spec {
  const char *name;
  uint64_t seed, events;
  uint32_t threads;
  int with_signal, skip_corrupt;
  int64_t corrupt_record;
  uint64_t tear_bytes;
} gen_spec;

static const gen_spec generated_traces[] = {
    {"gen7", 7, 1500, 4, 1, 0, -1, 0},
    {"gen31_torn", 31, 700, 1, 0, 0, -1, 3},
    {"gen99", 99, 4000, 7, 1, 0, -1, 0}, /* 4 index blocks */
    {"gen41_skip_corrupt", 41, 2500, 3, 1, 1, 1500, 0},
};

static int make_generated(trace_case *tc, const char *group,
                          const gen_spec *s) {
  atf_gen_options o;
  trace_dir(tc, group, s->name);
  atf_gen_options_default(&o);
  o.seed = s->seed;
  o.events = s->events;
  o.threads = s->threads;
  o.with_signal = s->with_signal;
  o.corrupt_record = s->corrupt_record;
  o.tear_bytes = s->tear_bytes;
  if (s->skip_corrupt)
    snprintf(tc->table, sizeof tc->table, "atf_events(?1, 'skip_corrupt')");
  return atf_gen_write(tc->dir, &o, NULL, NULL);
}

/* The events of generated_traces[0] written as ATF v2 (atf_gen_write_v2):
** function ids, depths, detail records, a manifest's symbol table. */
static int make_v2(trace_case *tc, const char *group) {
  atf_gen_options o;
  trace_dir(tc, group, "gen7_v2");
  tc->v2 = 1;
  atf_gen_options_default(&o);
  o.seed = 7;
  o.events = 3000;
  o.threads = 4;
  o.stack_max = 128; /* every stack fits v2's window */
  return atf_gen_write_v2(tc->dir, &o, NULL);
}

static int make_edge(trace_case *tc, const char *group, int with_int64_min) {
  trace_dir(tc, group, with_int64_min ? "edge_int64_min" : "edge");
  return edge_trace_write(tc->dir, with_int64_min, NULL, NULL);
}

/* ---- values of the trace, for the generator ---------------------------- */

/* Per column: the distinct values of the first and last 40 rows, of 40
** rows spread by a fixed hash, and the column's min and max. */
static void fill_pools(sqlite3 *db, pools *p) {
  memset(p, 0, sizeof *p);
  p->rows = query_int(db, "SELECT count(*) FROM ref", NULL);
  for (int c = 0; c < N_COLUMNS; c++) {
    const char *col = column_names[c];
    sqlite3_stmt *st;
    size_t cap = 0;
    char *sql = sqlite3_mprintf(
        "SELECT v FROM (SELECT %s AS v FROM ref WHERE rowid IN (SELECT rowid "
        "FROM ref ORDER BY rowid LIMIT 40) OR rowid IN (SELECT rowid FROM ref "
        "ORDER BY rowid DESC LIMIT 40) OR rowid IN (SELECT rowid FROM ref "
        "ORDER BY (rowid * 2654435761) %% 1000003 LIMIT 40) UNION SELECT "
        "min(%s) FROM ref UNION SELECT max(%s) FROM ref) "
        "WHERE length(v) IS NULL OR length(CAST(v AS BLOB)) <= 300 ORDER BY v",
        col, col, col);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
      fprintf(stderr, "pools: %s\n", sqlite3_errmsg(db));
      exit(2);
    }
    sqlite3_free(sql);
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (p->n[c] == cap) {
        cap = cap ? 2 * cap : 64;
        p->values[c] = realloc(p->values[c], cap * sizeof *p->values[c]);
        if (!p->values[c]) exit(2);
      }
      p->values[c][p->n[c]++] = sqlval_from_column(st, 0);
    }
    sqlite3_finalize(st);
  }
}

static void free_pools(pools *p) {
  for (int c = 0; c < N_COLUMNS; c++) {
    for (size_t i = 0; i < p->n[c]; i++)
      sqlval_free(&p->values[c][i]);
    free(p->values[c]);
  }
}

/* ---- figures and failure classes --------------------------------------- */

typedef struct failure_class {
  char *skeleton;
  verdict kind;
  long count;
} failure_class;

typedef struct run_stats {
  long queries, shape[N_SHAPES], shape_failed[N_SHAPES];
  long with_limit, with_or, with_params, ordered, mixed, created;
  long verdicts[4], both_errors, over_budget, shrink_queries, load_failures;
  failure_class *classes;
  size_t n_classes;
  int verbose;
} run_stats;

static run_stats stats;

/* Counts a failure in its class; returns whether the class is new. */
static int count_class(const char *skeleton, verdict kind) {
  for (size_t i = 0; i < stats.n_classes; i++)
    if (stats.classes[i].kind == kind &&
        strcmp(stats.classes[i].skeleton, skeleton) == 0) {
      stats.classes[i].count++;
      return 0;
    }
  stats.classes =
      realloc(stats.classes, (stats.n_classes + 1) * sizeof *stats.classes);
  if (!stats.classes) exit(2);
  stats.classes[stats.n_classes].skeleton = sqlite3_mprintf("%s", skeleton);
  stats.classes[stats.n_classes].kind = kind;
  stats.classes[stats.n_classes++].count = 1;
  return 1;
}

static void print_figures(void) {
  printf("queries: %ld (ordered comparison %ld, multiset %ld)\n", stats.queries,
         stats.ordered, stats.queries - stats.ordered);
  printf("  per shape:");
  for (int s = 0; s < N_SHAPES; s++)
    printf(" %s %ld (failed %ld)%s", shape_names[s], stats.shape[s],
           stats.shape_failed[s], s + 1 < N_SHAPES ? "," : "\n");
  printf("  with LIMIT %ld, with OR %ld, with parameters %ld, reading the "
         "reference too (subquery or join) %ld, on a created table %ld\n",
         stats.with_limit, stats.with_or, stats.with_params, stats.mixed,
         stats.created);
  printf("  same %ld (both errors %ld), rows differ %ld, order differs %ld, "
         "error on one side %ld; over the step budget (not compared) %ld; "
         "queries run while shrinking %ld; traces that did not load %ld\n",
         stats.verdicts[SAME], stats.both_errors, stats.verdicts[ROWS_DIFFER],
         stats.verdicts[ORDER_DIFFERS], stats.verdicts[ERROR_ONE_SIDE],
         stats.over_budget, stats.shrink_queries, stats.load_failures);
  if (stats.n_classes) {
    printf("failure classes (shrunk query, literals as #): %zu\n",
           stats.n_classes);
    for (size_t i = 0; i < stats.n_classes; i++)
      printf("  %6ld  %-17s %s\n", stats.classes[i].count,
             verdict_name(stats.classes[i].kind), stats.classes[i].skeleton);
  }
  fflush(stdout);
}

/* ---- running one query on both sides ----------------------------------- */

/* A statement's budget: SQLite calls this every 1000 VM steps. */
static long budget_left;
static int budget_handler(void *unused) {
  (void)unused;
  return --budget_left < 0;
}
#define BUDGET_CALLS 20000 /* 20M VM steps */

typedef struct sides {
  char *tested_sql, *reference_sql;
  result tested, reference;
  verdict v;
  int interrupted;
} sides;

static void sides_free(sides *s) {
  sqlite3_free(s->tested_sql);
  sqlite3_free(s->reference_sql);
  result_free(&s->tested);
  result_free(&s->reference);
}

static void run_sides(sqlite3 *db, const trace_case *tc, const query *q,
                      sides *s) {
  memset(s, 0, sizeof *s);
  s->tested_sql =
      query_render(q, tc->tested, q->sub_reference ? "ref" : tc->tested,
                   q->join_reference ? "ref" : tc->tested);
  s->reference_sql = query_render(q, "ref", "ref", "ref");
  budget_left = BUDGET_CALLS;
  result_run(db, s->tested_sql, tc->dir, q->params, q->n_params, &s->tested);
  budget_left = BUDGET_CALLS;
  result_run(db, s->reference_sql, tc->dir, q->params, q->n_params,
             &s->reference);
  s->interrupted = s->tested.interrupted || s->reference.interrupted;
  s->v = s->interrupted
             ? SAME
             : result_compare(&s->tested, &s->reference, query_ordered(q));
}

/* Shrinks Q while the same kind of difference remains. */
static void shrink(sqlite3 *db, const trace_case *tc, query *q, verdict kind) {
  enum { MAX_CANDIDATES = 64 };
  query cand[MAX_CANDIDATES];
  for (int round = 0; round < 40; round++) {
    int n = query_simpler(q, cand, MAX_CANDIDATES), taken = -1;
    for (int k = 0; k < n; k++) {
      if (taken < 0 && query_valid(&cand[k])) {
        sides s;
        run_sides(db, tc, &cand[k], &s);
        stats.shrink_queries++;
        if (!s.interrupted && s.v == kind) taken = k;
        sides_free(&s);
      }
      if (k != taken) query_free(&cand[k]);
    }
    if (taken < 0) break;
    query_free(q);
    *q = cand[taken];
  }
}

static void print_params(const query *q) {
  for (int i = 0; i < q->n_params; i++) {
    char *lit = sqlval_literal(&q->params[i]);
    fprintf(stderr, "%s?%d = %s", i ? ", " : "  parameters: ", i + 2, lit);
    sqlite3_free(lit);
  }
  if (q->n_params) fputc('\n', stderr);
}

/* Reports the failure of query I (SEED) on TC: shrunk, classified, and
** printed in full when its class is new (or always with --verbose). */
static void report(sqlite3 *db, const trace_case *tc, const query *original,
                   const sides *first, uint64_t run_seed, long i) {
  query q;
  sides s;
  char *rendered, *skeleton;
  int fresh;
  query_copy(&q, original);
  shrink(db, tc, &q, first->v);
  run_sides(db, tc, &q, &s);
  if (s.v != first->v) { /* cannot happen unless the table is unstable */
    sides_free(&s);
    query_free(&q);
    query_copy(&q, original);
    run_sides(db, tc, &q, &s);
  }
  rendered = query_render(&q, tc->tested, q.sub_reference ? "ref" : tc->tested,
                          q.join_reference ? "ref" : tc->tested);
  skeleton = query_skeleton(rendered);
  fresh = count_class(skeleton, first->v);
  fprintf(stderr,
          "MISMATCH (%s) on %s, query %ld of seed %" PRIu64
          " (rerun: --trace %s --seed %" PRIu64 " --only %ld)\n",
          verdict_name(first->v), tc->name, i, run_seed, tc->name, run_seed, i);
  if (fresh || stats.verbose) {
    size_t from = result_first_difference(&s.tested, &s.reference);
    int ordered = query_ordered(&q);
    fprintf(stderr, "  trace: %s\n", tc->dir);
    if (strcmp(tc->tested, "temp.ev") == 0)
      fprintf(stderr, "  table: %s\n", tc->create);
    fprintf(stderr, "  original: %s\n", first->tested_sql);
    fprintf(stderr, "  shrunk:   %s\n", s.tested_sql);
    fprintf(stderr, "  reference: %s\n", s.reference_sql);
    print_params(&q);
    fprintf(stderr, "  compared %s\n", ordered ? "in order" : "as multisets");
    from = s.v == ROWS_DIFFER && !ordered ? 0 : from > 2 ? from - 2 : 0;
    result_print(stderr, "atf_events", &s.tested, from, 8);
    result_print(stderr, "reference ", &s.reference, from, 8);
  }
  sqlite3_free(rendered);
  sqlite3_free(skeleton);
  sides_free(&s);
  query_free(&q);
}

/* The seed of query I of a run: the run's seed and the trace mixed in. */
static uint64_t query_seed(uint64_t run_seed, const trace_case *tc, long i) {
  uint64_t h = run_seed * 0x100000001b3ull;
  for (const char *p = tc->name; *p; p++)
    h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
  return h + (uint64_t)i;
}

/* Runs N queries (or only ONLY, when >= 0) of RUN_SEED on TRACE; returns
** the number of failures. Even queries name the table-valued call, odd ones
** a table created with CREATE VIRTUAL TABLE on the same trace. */
static long run_trace(const trace_case *trace, uint64_t run_seed, long n,
                      long only) {
  sqlite3 *db = open_db();
  trace_case copy = *trace, *tc = &copy;
  const char *err = make_reference_table(db, "ref", tc->table, tc->dir);
  long failures = 0;
  pools p;
  set_create(tc);
  if (!err && sqlite3_exec(db, tc->create, NULL, NULL, NULL) != SQLITE_OK)
    err = sqlite3_errmsg(db);
  if (err) {
    fprintf(stderr,
            "MISMATCH (reference not loaded) on %s: %s\n  trace: %s\n"
            "  query: SELECT * FROM %s\n",
            tc->name, err, tc->dir, tc->table);
    stats.load_failures++;
    sqlite3_close(db);
    return 1;
  }
  fill_pools(db, &p);
  query_scans_in_rowid_order(!tc->v2);
  sqlite3_progress_handler(db, 1000, budget_handler, NULL);
  for (long i = only >= 0 ? only : 0; i < (only >= 0 ? only + 1 : n); i++) {
    query q;
    sides s;
    uint64_t seed = query_seed(run_seed, tc, i);
    tc->tested = i % 2 ? "temp.ev" : tc->table;
    query_generate(&q, seed, &p);
    run_sides(db, tc, &q, &s);
    if (s.interrupted) {
      stats.over_budget++;
    } else {
      stats.queries++;
      stats.shape[q.shape]++;
      stats.with_limit += q.limit != NULL;
      stats.with_or += strstr(s.reference_sql, ") OR (") != NULL;
      stats.with_params += q.n_params > 0;
      stats.ordered += query_ordered(&q);
      stats.mixed += strstr(s.tested_sql, "ref") != NULL;
      stats.created += i % 2;
      stats.verdicts[s.v]++;
      stats.both_errors += s.v == SAME && !s.tested.ok;
      if (only >= 0) {
        printf("%s\n", s.tested_sql);
        print_params(&q);
        result_print(stdout, "atf_events", &s.tested, 0, 20);
        result_print(stdout, "reference ", &s.reference, 0, 20);
      }
      if (s.v != SAME) {
        stats.shape_failed[q.shape]++;
        failures++;
        report(db, tc, &q, &s, run_seed, i);
      }
    }
    sides_free(&s);
    query_free(&q);
  }
  free_pools(&p);
  sqlite3_close(db);
  return failures;
}

/* The whole answer of SELECT * (and rowid) must be the same first. */
static long compare_whole_table(const trace_case *tc) {
  static const char *const selects[] = {"*", "rowid, *", "rowid, offset"};
  sqlite3 *db = open_db();
  long failures = 0;
  const char *err = make_reference_table(db, "ref", tc->table, tc->dir);
  if (err) {
    sqlite3_close(db);
    return 0; /* run_trace reports it */
  }
  trace_case copy = *tc;
  set_create(&copy);
  if (sqlite3_exec(db, copy.create, NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "MISMATCH (created table): %s: %s\n", copy.create,
            sqlite3_errmsg(db));
    failures++;
  }
  for (size_t i = 0; i < 2 * sizeof selects / sizeof selects[0]; i++) {
    char *a = sqlite3_mprintf("SELECT %s FROM %s", selects[i / 2],
                              i % 2 ? "temp.ev" : tc->table);
    char *b = sqlite3_mprintf("SELECT %s FROM ref", selects[i / 2]);
    result x, y;
    result_run(db, a, tc->dir, NULL, 0, &x);
    result_run(db, b, tc->dir, NULL, 0, &y);
    if (result_compare(&x, &y, !tc->v2) != SAME) {
      size_t from = result_first_difference(&x, &y);
      fprintf(stderr, "MISMATCH (%s) on %s: %s\n",
              verdict_name(result_compare(&x, &y, !tc->v2)), tc->name, a);
      result_print(stderr, "atf_events", &x, from, 4);
      result_print(stderr, "reference ", &y, from, 4);
      failures++;
    }
    result_free(&x);
    result_free(&y);
    sqlite3_free(a);
    sqlite3_free(b);
  }
  sqlite3_close(db);
  return failures;
}

static void stats_reset(void) {
  for (size_t i = 0; i < stats.n_classes; i++)
    sqlite3_free(stats.classes[i].skeleton);
  free(stats.classes);
  memset(&stats, 0, sizeof stats);
}

/* A CI run: QUERIES queries of each of the fixed seeds on TC. Under
** valgrind (its preload library in LD_PRELOAD: scripts/test-hardened) a
** tenth of them, each 50 times slower there: a memory error shows in any
** query, and ASan runs them all. */
static void differential_case(const trace_case *tc, long queries) {
  static const uint64_t ci_seeds[] = {1, 2, 3};
  const char *preload = getenv("LD_PRELOAD");
  long failures;
  if (preload && strstr(preload, "vgpreload")) queries /= 10;
  stats_reset();
  printf("trace %s (%s)\n", tc->name, tc->dir);
  failures = compare_whole_table(tc);
  for (size_t s = 0; s < sizeof ci_seeds / sizeof ci_seeds[0]; s++) {
    failures += run_trace(tc, ci_seeds[s], queries, -1);
    if (stats.load_failures) break; /* said once is enough */
  }
  print_figures();
  if (failures) {
    fprintf(stderr, "%ld queries gave another answer than the reference\n",
            failures);
    CHECK(!"atf_events answers as a plain table does");
  }
}

/* ---- cases ------------------------------------------------------------- */

static void sqldiff__generated_traces__then_same_answers_as_plain_table(void) {
  for (size_t i = 0; i < 3; i++) {
    trace_case tc;
    CHECK(make_generated(&tc, "generated", &generated_traces[i]) == 0);
    differential_case(&tc, 80);
  }
}

static void sqldiff__v2_trace__then_same_answers_as_plain_table(void) {
  trace_case tc;
  CHECK(make_v2(&tc, "v2") == 0);
  differential_case(&tc, 200);
}

static void
sqldiff__skip_corrupt_trace__then_same_answers_as_plain_table(void) {
  trace_case tc;
  CHECK(make_generated(&tc, "skip_corrupt", &generated_traces[3]) == 0);
  differential_case(&tc, 80);
}

static void sqldiff__edge_trace__then_same_answers_as_plain_table(void) {
  trace_case tc;
  CHECK(make_edge(&tc, "edge", 0) == 0);
  differential_case(&tc, 300);
}

static void
sqldiff__edge_trace_with_int64_min_ts__then_same_answers_as_plain_table(void) {
  trace_case tc;
  CHECK(make_edge(&tc, "edge_min", 1) == 0);
  differential_case(&tc, 100);
}

/* What each record reads back as: the values the edge trace wrote. */
static void sqldiff__edge_trace__then_reads_the_written_values(void) {
  for (int with_min = 0; with_min < 2; with_min++) {
    trace_case tc;
    edge_row *rows = NULL;
    size_t n = 0, k = 0;
    sqlite3 *db = open_db();
    sqlite3_stmt *st;
    int rc;
    trace_dir(&tc, "edge_values", with_min ? "edge_int64_min" : "edge");
    CHECK(edge_trace_write(tc.dir, with_min, &rows, &n) == 0);
    CHECK(sqlite3_prepare_v2(db,
                             "SELECT offset, size, event_id, thread_id, ts, "
                             "kind, symbol FROM atf_events(?1)",
                             -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, tc.dir, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && k < n) {
      const edge_row *e = &rows[k++];
      const char *kind = (const char *)sqlite3_column_text(st, 5);
      int sym_type = sqlite3_column_type(st, 6);
      const void *sym = sqlite3_column_blob(st, 6);
      size_t sym_len = (size_t)sqlite3_column_bytes(st, 6);
      int ok =
          (uint64_t)sqlite3_column_int64(st, 0) == e->offset &&
          (uint64_t)sqlite3_column_int64(st, 1) == e->size &&
          (uint64_t)sqlite3_column_int64(st, 2) == e->event_id &&
          sqlite3_column_int64(st, 3) == e->thread_id &&
          (e->has_ts ? sqlite3_column_type(st, 4) == SQLITE_INTEGER &&
                           sqlite3_column_int64(st, 4) == e->ts
                     : sqlite3_column_type(st, 4) == SQLITE_NULL) &&
          (e->kind ? kind && strcmp(kind, e->kind) == 0 : kind == NULL) &&
          (e->symbol
               ? sym_type == (e->symbol_utf8 ? SQLITE_TEXT : SQLITE_BLOB) &&
                     sym_len == e->symbol_len &&
                     (sym_len == 0 || memcmp(sym, e->symbol, sym_len) == 0)
               : sym_type == SQLITE_NULL);
      if (!ok) {
        fprintf(stderr,
                "%s: record %zu at offset %" PRIu64 ": read (%lld, %lld, %lld, "
                "%lld, %s, %s), written (%" PRIu64 ", %" PRIu64 ", %" PRId64
                ", %d, %s%" PRId64 ", %s)\n",
                tc.dir, k - 1, e->offset,
                (long long)sqlite3_column_int64(st, 0),
                (long long)sqlite3_column_int64(st, 1),
                (long long)sqlite3_column_int64(st, 2),
                (long long)sqlite3_column_int64(st, 3),
                sqlite3_column_type(st, 4) == SQLITE_NULL
                    ? "NULL"
                    : (const char *)sqlite3_column_text(st, 4),
                kind ? kind : "NULL", e->offset, e->size, (int64_t)e->event_id,
                e->thread_id, e->has_ts ? "" : "no ts ", e->ts,
                e->kind ? e->kind : "NULL");
        CHECK(!"a record reads back as what was written");
      }
    }
    if (rc != SQLITE_DONE) {
      fprintf(stderr, "%s: after %zu rows: %s\n", tc.dir, k,
              sqlite3_errmsg(db));
      CHECK(!"the edge trace reads to its end");
    }
    CHECK_U64(k, n);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(rows);
  }
}

/* The hidden argument columns exist on atf_events' side only: exact
** answers (issue 7). A trace or options constraint in the WHERE of a
** table-valued call is a filter; a NULL argument means no rows. */
static void sqldiff__hidden_arguments__then_filters_not_errors(void) {
  enum { NONE = -1, ALL = -2 };
  static const struct {
    const char *sql;
    int64_t expected;
  } cases[] = {
      {"SELECT count(*) FROM atf_events(?1, NULL)", 0},
      {"SELECT count(*) FROM atf_events(?1) WHERE options = NULL", 0},
      {"SELECT count(*) FROM atf_events(?1) WHERE trace = 'nope'", 0},
      {"SELECT count(*) FROM atf_events(?1) WHERE trace = NULL", 0},
      {"SELECT count(*) FROM atf_events(?1, 'skip_corrupt') WHERE options = "
       "'nope'",
       0},
      {"SELECT count(*) FROM atf_events(NULL)", 0},
      {"SELECT count(*) FROM atf_events(?1) WHERE trace IS NULL", 0},
      {"SELECT count(*) FROM atf_manifest(?1) WHERE trace = 'nope'", 0},
      {"SELECT count(*) FROM atf_manifest(?1) WHERE trace = NULL", 0},
      {"SELECT count(*) FROM atf_check(?1) WHERE trace = 'nope'", 0},
      {"SELECT count(*) FROM atf_check(?1) WHERE trace = NULL", 0},
      /* and where they do match, every row */
      {"SELECT count(*) FROM atf_events(?1) WHERE trace = ?1", ALL},
      {"SELECT count(*) FROM atf_events WHERE trace = ?1", ALL},
      {"SELECT count(*) FROM atf_events(?1, 'skip_corrupt') WHERE options = "
       "'skip_corrupt'",
       ALL},
      {"SELECT count(*) FROM atf_events(?1) WHERE options IS NULL", ALL},
      {"SELECT count(*) FROM atf_manifest(?1) WHERE trace = ?1", 1},
  };
  trace_case tc;
  sqlite3 *db = open_db();
  int64_t all;
  CHECK(make_generated(&tc, "hidden", &generated_traces[1]) == 0);
  CHECK(make_reference_table(db, "ref", tc.table, tc.dir) == NULL);
  all = query_int(db, "SELECT count(*) FROM ref", NULL);
  CHECK(all > 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char expected[32];
    const char *got = query_text(db, cases[i].sql, tc.dir);
    snprintf(expected, sizeof expected, "%" PRId64,
             cases[i].expected == ALL ? all : cases[i].expected);
    if (strcmp(got, expected) != 0) {
      fprintf(stderr,
              "MISMATCH (hidden argument) %s\n  trace: %s\n"
              "  expected %s, got %s\n",
              cases[i].sql, tc.dir, expected, got);
      check_failures++;
    }
  }
  sqlite3_close(db);
}

/* The harness itself: each kind of difference is seen, storage classes
** and bytes count, literals read back as the values they spell. */
static void sqldiff__harness__then_detects_each_kind_of_difference(void) {
  static const struct {
    const char *a, *b;
    int ordered;
    verdict expected;
  } pairs[] = {
      {"SELECT * FROM atf_events(?1)", "SELECT * FROM ref", 1, SAME},
      {"SELECT offset FROM atf_events(?1)",
       "SELECT offset FROM ref ORDER BY offset DESC", 1, ORDER_DIFFERS},
      {"SELECT offset FROM atf_events(?1)",
       "SELECT offset FROM ref ORDER BY offset DESC", 0, SAME},
      {"SELECT offset FROM atf_events(?1)",
       "SELECT offset FROM ref WHERE rowid > 0", 0, ROWS_DIFFER},
      {"SELECT 1", "SELECT 1.0", 1, ROWS_DIFFER},
      {"SELECT 'a' || char(0)", "SELECT 'a'", 1, ROWS_DIFFER},
      {"SELECT x'61'", "SELECT 'a'", 1, ROWS_DIFFER},
      {"SELECT NULL", "SELECT ''", 1, ROWS_DIFFER},
      {"SELECT nosuch FROM ref", "SELECT offset FROM ref", 1, ERROR_ONE_SIDE},
      {"SELECT nosuch FROM ref", "SELECT nosuch FROM ref", 1, SAME},
  };
  trace_case tc;
  sqlite3 *db = open_db();
  CHECK(make_generated(&tc, "harness", &generated_traces[1]) == 0);
  CHECK(make_reference_table(db, "ref", tc.table, tc.dir) == NULL);
  /* rowid is the offset in the reference, as in atf_events */
  CHECK_STR(
      query_text(db, "SELECT count(*) FROM ref WHERE rowid <> offset", NULL),
      "0");
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    result a, b;
    verdict v;
    result_run(db, pairs[i].a, tc.dir, NULL, 0, &a);
    result_run(db, pairs[i].b, tc.dir, NULL, 0, &b);
    v = result_compare(&a, &b, pairs[i].ordered);
    if (v != pairs[i].expected) {
      fprintf(stderr, "%s vs %s: %s, expected %s\n", pairs[i].a, pairs[i].b,
              verdict_name(v), verdict_name(pairs[i].expected));
      check_failures++;
    }
    result_free(&a);
    result_free(&b);
  }
  /* A changed storage class in one row of the reference is seen. */
  {
    result a, b;
    sqlite3_exec(db,
                 "UPDATE ref SET kind = CAST(kind AS BLOB) WHERE rowid = "
                 "(SELECT max(rowid) FROM ref)",
                 NULL, NULL, NULL);
    result_run(db, "SELECT * FROM atf_events(?1)", tc.dir, NULL, 0, &a);
    result_run(db, "SELECT * FROM ref", tc.dir, NULL, 0, &b);
    CHECK(result_compare(&a, &b, 0) == ROWS_DIFFER);
    CHECK_U64(result_first_difference(&a, &b), a.n_rows - 1);
    result_free(&a);
    result_free(&b);
  }
  /* Literals spell their values exactly. */
  {
    const sqlval values[] = {
        sqlval_int(INT64_MIN),
        sqlval_int(INT64_MAX),
        sqlval_real(-0.0),
        sqlval_real(9223372036854775807.0),
        sqlval_real(1e308),
        sqlval_real(4.9e-324),
        sqlval_bytes(SQLITE_TEXT, "a\0b'", 4),
        sqlval_bytes(SQLITE_TEXT, "\0", 1),
        sqlval_bytes(SQLITE_TEXT, "\xff\xfe", 2),
        sqlval_bytes(SQLITE_TEXT, "caf\xc3\xa9", 5),
        sqlval_bytes(SQLITE_BLOB, "\0\xff", 2),
        sqlval_bytes(SQLITE_BLOB, "", 0),
        sqlval_null(),
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
      char *lit = sqlval_literal(&values[i]);
      char *sql = sqlite3_mprintf("SELECT %s", lit);
      result a, b;
      result_run(db, sql, NULL, NULL, 0, &a);
      result_run(db, "SELECT ?2", NULL, &values[i], 1, &b);
      if (result_compare(&a, &b, 1) != SAME) {
        fprintf(stderr, "literal %s: %s, bound: %s\n", lit,
                a.n_rows ? a.rows[0] : a.error, b.n_rows ? b.rows[0] : "?");
        check_failures++;
      }
      result_free(&a);
      result_free(&b);
      sqlite3_free(sql);
      sqlite3_free(lit);
      sqlval_free((sqlval *)&values[i]);
    }
  }
  {
    char *s = query_skeleton("SELECT offset FROM T WHERE ts = -5 AND kind IN "
                             "('a' || char(0) || 'b', 7, ?3) LIMIT 2.5e3");
    CHECK_STR(s,
              "SELECT offset FROM T WHERE ts = # AND kind IN (#, ?) LIMIT #");
    sqlite3_free(s);
  }
  /* A failing query shrinks by its parts, IN lists element by element. */
  {
    static const char *const wanted[] = {
        "SELECT offset FROM T",
        "SELECT offset FROM T WHERE kind IN (x'00', (1 || ','))",
        "SELECT offset FROM T WHERE kind IN ('a,''b', (1 || ','))",
        "SELECT offset FROM T WHERE kind IN ('a,''b', x'00')"};
    query q, out[16];
    int n;
    memset(&q, 0, sizeof q);
    q.shape = SHAPE_SCAN;
    q.select = sqlite3_mprintf("offset");
    q.from = sqlite3_mprintf("$T");
    q.where = calloc(1, sizeof *q.where);
    q.where->op = N_LEAF;
    q.where->text = sqlite3_mprintf("kind IN ('a,''b', x'00', (1 || ','))");
    n = query_simpler(&q, out, 16);
    CHECK_I64(n, 4);
    for (int k = 0; k < n && k < 4; k++) {
      char *sql = query_render(&out[k], "T", "T", "T");
      CHECK_STR(sql, wanted[k]);
      sqlite3_free(sql);
    }
    for (int k = 0; k < n; k++)
      query_free(&out[k]);
    query_free(&q);
  }
  sqlite3_close(db);
}

/* The generator: the same seed gives the same query, and the CI seeds
** reach every operator, value type and clause the test is meant to try. */
static void
sqldiff__generator__then_covers_every_operator_and_value_type(void) {
  static const char *const wanted[] = {
      " = ",
      " == ",
      " != ",
      " <> ",
      " < ",
      " <= ",
      " > ",
      " >= ",
      " IS ",
      " IS NOT ",
      " IS NULL",
      "ISNULL",
      "NOTNULL",
      " NOT NULL",
      " BETWEEN ",
      " NOT BETWEEN ",
      " IN (",
      " NOT IN (",
      " IN (SELECT ",
      " LIKE ",
      " GLOB ",
      " NOT LIKE ",
      ") AND (",
      ") OR (",
      "NOT (",
      "char(0)",
      "x'",
      "CAST(",
      "NULL",
      "9223372036854775807",
      "-9223372036854775808",
      "9.2233720368547758e+18",
      "9.21e+18",
      "1.7e+18",
      "0.5",
      "-0.5",
      "' 12 '",
      "'12abc'",
      "ORDER BY offset DESC",
      "ORDER BY rowid",
      "NULLS LAST",
      "LIMIT ",
      " OFFSET ",
      "LIMIT -",
      "LIMIT 1+2",
      "LIMIT ?",
      "LIMIT 0",
      "JOIN ref AS b",
      "JOIN ref AS b",
      "LEFT JOIN",
      "EXISTS (",
      "GROUP BY",
      "DISTINCT",
      "offset = size",
      "rowid",
      "?2",
      "a.offset",
      "b.offset > a.offset AND b.thread_id = a.thread_id"};
  trace_case tc;
  sqlite3 *db = open_db();
  pools p;
  char *all;
  sqlite3_str *s = sqlite3_str_new(NULL);
  CHECK(make_generated(&tc, "generator", &generated_traces[0]) == 0);
  CHECK(make_reference_table(db, "ref", tc.table, tc.dir) == NULL);
  fill_pools(db, &p);
  for (uint64_t seed = 1; seed <= 2; seed++)
    for (long i = 0; i < 1500; i++) {
      query q, again;
      char *a, *b;
      query_generate(&q, query_seed(seed, &tc, i), &p);
      query_generate(&again, query_seed(seed, &tc, i), &p);
      a = query_render(&q, "T", q.sub_reference ? "ref" : "T",
                       q.join_reference ? "ref" : "T");
      b = query_render(&again, "T", again.sub_reference ? "ref" : "T",
                       again.join_reference ? "ref" : "T");
      CHECK_STR(a, b);
      sqlite3_str_appendf(s, "%s\n", a);
      sqlite3_free(a);
      sqlite3_free(b);
      query_free(&q);
      query_free(&again);
    }
  all = sqlite3_str_finish(s);
  for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
    if (!strstr(all, wanted[i])) {
      fprintf(stderr, "no generated query has \"%s\"\n", wanted[i]);
      check_failures++;
    }
  sqlite3_free(all);
  free_pools(&p);
  sqlite3_close(db);
}

static const check_case cases[] = {
    CASE(sqldiff__generated_traces__then_same_answers_as_plain_table),
    CASE(sqldiff__skip_corrupt_trace__then_same_answers_as_plain_table),
    CASE(sqldiff__v2_trace__then_same_answers_as_plain_table),
    CASE(sqldiff__edge_trace__then_same_answers_as_plain_table),
    CASE(
        sqldiff__edge_trace_with_int64_min_ts__then_same_answers_as_plain_table),
    CASE(sqldiff__edge_trace__then_reads_the_written_values),
    CASE(sqldiff__hidden_arguments__then_filters_not_errors),
    CASE(sqldiff__harness__then_detects_each_kind_of_difference),
    CASE(sqldiff__generator__then_covers_every_operator_and_value_type),
    {0}};

/* ---- the long run ------------------------------------------------------ */

/* Whether the reference table can be filled from TC (a trace that does
** not read is reported once, and its share of queries goes to the others). */
static int loads(const trace_case *tc) {
  sqlite3 *db = open_db();
  const char *err = make_reference_table(db, "ref", tc->table, tc->dir);
  if (err)
    fprintf(stderr, "MISMATCH (reference not loaded) on %s: %s\n  trace: %s\n",
            tc->name, err, tc->dir);
  sqlite3_close(db);
  return err == NULL;
}

static int long_run(long queries, uint64_t seed, const char *only_trace,
                    long only) {
  trace_case traces[8];
  size_t n = 0, usable = 0;
  long failures = 0;
  int ok[8];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (size_t i = 0; i < sizeof generated_traces / sizeof generated_traces[0];
       i++)
    if (make_generated(&traces[n++], "long", &generated_traces[i]) != 0)
      return 2;
  if (make_edge(&traces[n++], "long", 0) != 0 ||
      make_edge(&traces[n++], "long", 1) != 0 || make_v2(&traces[n++], "long"))
    return 2;
  for (size_t i = 0; i < n; i++) {
    ok[i] = (!only_trace || strcmp(only_trace, traces[i].name) == 0) &&
            loads(&traces[i]);
    usable += ok[i];
    if (!ok[i] && (!only_trace || strcmp(only_trace, traces[i].name) == 0)) {
      stats.load_failures++;
      failures++;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (!ok[i]) continue;
    if (only < 0) failures += compare_whole_table(&traces[i]);
    failures += run_trace(&traces[i], seed, queries / (long)usable, only);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("seed %" PRIu64 ", %zu of %zu traces loaded, %.1f s\n", seed, usable,
         n, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  print_figures();
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  long queries = -1, only = -1;
  uint64_t seed = 1;
  const char *trace = NULL;
  setvbuf(stdout, NULL, _IOLBF, 0); /* figures and failures in order */
  if (argc < 2 || strncmp(argv[1], "--", 2) != 0)
    return check_main(argc, argv, cases);
  for (int i = 1; i < argc; i++) {
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--queries") == 0 && next)
      queries = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--seed") == 0 && next)
      seed = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--trace") == 0 && next)
      trace = argv[++i];
    else if (strcmp(argv[i], "--only") == 0 && next)
      only = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--verbose") == 0)
      stats.verbose = 1;
    else {
      fprintf(stderr,
              "usage: %s [CASE] | --queries N [--seed S] [--trace NAME] "
              "[--only I] [--verbose]\n",
              argv[0]);
      return 2;
    }
  }
  if (queries < 0) queries = 1000;
  return long_run(queries, seed, trace, only);
}
