/*
** test_exact.c - the wrong answers issue 7 listed, one test each: the query
** over atf_events against the same query over a plain table holding the
** same rows (SQLite is the reference), and against the answer the issue
** states. Traces: a generated one, and a small hand-built one with the
** values that broke exactness (REALs near 2^63 and above 2^53).
*/
#include <inttypes.h>
#include <sqlite3.h>

#include "atf_gen.h"
#include "check.h"
#include "sqltest.h"
#include "testutil.h"

#include <sys/stat.h>

static const char *generated_trace(void) {
  static char dir[600];
  atf_gen_options o;
  if (dir[0]) return dir;
  atf_gen_options_default(&o);
  o.seed = 7;
  o.events = 5000;
  o.threads = 4;
  snprintf(dir, sizeof dir, "%s/pid_7", temp_dir());
  if (atf_gen_write(dir, &o, NULL, NULL) != 0) exit(2);
  return dir;
}

/* An event: id, thread, timestamp as nanoseconds, and a call of SYMBOL. */
static void event(pb_buf *file, uint64_t id, int32_t thread, int64_t ts_ns,
                  const char *symbol) {
  pb_buf body = {0}, ts = {0}, call = {0};
  int64_t s = ts_ns / 1000000000, n = ts_ns % 1000000000;
  if (n < 0) s -= 1, n += 1000000000;
  pb_uint(&body, 1, id);
  pb_uint(&body, 2, (uint64_t)(int64_t)thread);
  pb_uint(&ts, 1, (uint64_t)s);
  pb_uint(&ts, 2, (uint64_t)n);
  pb_msg(&body, 3, &ts);
  pb_str(&call, 1, symbol);
  pb_msg(&body, 12, &call);
  pb_record(file, &body);
}

/* Rows whose event_id and ts are REALs' neighbours: 9.21e18 is
** 9210000000000000000 exactly; 1.7e18 is 1700000000000000000 exactly. */
static const char *edge_trace(void) {
  static char dir[600];
  pb_buf file = {0};
  if (dir[0]) return dir;
  event(&file, 9210000000000000000ull, 1, 1699999999999999999, "a");
  event(&file, 9210000000000000001ull, 1, 1700000000000000000, "b");
  event(&file, 9209999999999999999ull, 2, 1700000000000000001, "c");
  event(&file, 1, 2, -1, "d");
  snprintf(dir, sizeof dir, "%s/pid_edge", temp_dir());
  mkdir(dir, 0777);
  write_file(dir, "events.bin", file.data, file.len);
  return dir;
}

/* Every row of QUERY (with ?1 the trace, and {T} the table) as text, over
** atf_events(TRACE) and over a plain table holding the same rows. */
static void both(const char *trace, const char *query, char *got,
                 char *reference) {
  sqlite3 *db = open_db();
  char *sql;
  sqlite3_stmt *st;
  /* The plain table: atf_events' declared types, its rows. */
  sql = sqlite3_mprintf(
      "CREATE TABLE ref(offset INTEGER, size INTEGER, event_id INTEGER, "
      "thread_id INTEGER, ts INTEGER, kind TEXT, symbol TEXT, address INTEGER, "
      "registers TEXT, stack BLOB, signal_number INTEGER, signal_name TEXT, "
      "exit_code INTEGER, executable_path TEXT, args TEXT, "
      "operating_system TEXT, cpu_architecture TEXT, function_id INTEGER, "
      "call_depth INTEGER, os_thread_id INTEGER);"
      "INSERT INTO ref SELECT * FROM atf_events(%Q);",
      trace);
  CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_free(sql);
  for (int side = 0; side < 2; side++) {
    char *out = side ? reference : got, *q;
    const char *from = side ? "ref" : "atf_events(?1)";
    size_t len = 0;
    /* {T} is the table. */
    const char *at = strstr(query, "{T}");
    q = sqlite3_mprintf("%.*s%s%s", (int)(at - query), query, from, at + 3);
    out[0] = 0;
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
      snprintf(out, 4096, "ERROR %s", sqlite3_errmsg(db));
    } else {
      int rc;
      sqlite3_bind_text(st, 1, trace, -1, SQLITE_TRANSIENT);
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        len += (size_t)snprintf(out + len, 4096 - len, "%s;", v ? v : "NULL");
      }
      if (rc != SQLITE_DONE)
        snprintf(out, 4096, "ERROR %s", sqlite3_errmsg(db));
      sqlite3_finalize(st);
    }
    sqlite3_free(q);
  }
  sqlite3_close(db);
}

/* QUERY over TRACE gives EXPECTED, and the plain table gives the same. */
static void check_exact(const char *trace, const char *query,
                        const char *expected) {
  char got[4096], reference[4096];
  both(trace, query, got, reference);
  if (strcmp(got, reference) != 0 || strcmp(got, expected) != 0)
    fprintf(stderr,
            "%s\n  atf_events: %s\n  plain:      %s\n  expected:   %s\n", query,
            got, reference, expected);
  CHECK_STR(got, reference);
  CHECK_STR(got, expected);
}

static void exact__column_vs_column_with_limit__then_filter_first(void) {
  const char *t = generated_trace();
  check_exact(t, "SELECT offset FROM {T} WHERE offset = size LIMIT 5", "");
  check_exact(t, "SELECT offset FROM {T} WHERE ts < event_id LIMIT 3", "");
  /* The 2nd-4th matching rows: the plain table says which. */
  {
    char got[4096], reference[4096];
    both(t,
         "SELECT offset FROM {T} WHERE event_id > thread_id - 37300 LIMIT 3 "
         "OFFSET 1",
         got, reference);
    CHECK_STR(got, reference);
    CHECK(got[0] != 0);
  }
}

static void exact__real_near_two_to_63__then_exact_integer(void) {
  const char *t = edge_trace();
  check_exact(t, "SELECT event_id FROM {T} WHERE event_id = 9.21e18",
              "9210000000000000000;");
  check_exact(t, "SELECT event_id FROM {T} WHERE event_id < 9.21e18",
              "9209999999999999999;1;");
  check_exact(t, "SELECT event_id FROM {T} WHERE event_id <= 9.21e18",
              "9210000000000000000;9209999999999999999;1;");
  check_exact(t, "SELECT event_id FROM {T} WHERE event_id > 9.21e18",
              "9210000000000000001;");
  check_exact(t, "SELECT event_id FROM {T} WHERE event_id >= 9.21e18",
              "9210000000000000000;9210000000000000001;");
  check_exact(t, "SELECT count(*) FROM {T} WHERE event_id < 9.3e18", "4;");
  check_exact(t, "SELECT count(*) FROM {T} WHERE event_id >= 9.3e18", "0;");
  check_exact(t, "SELECT count(*) FROM {T} WHERE ts > -9.3e18", "4;");
}

static void exact__real_above_two_to_53__then_no_rounding(void) {
  const char *t = edge_trace();
  check_exact(t, "SELECT ts FROM {T} WHERE ts < 1.7e18",
              "1699999999999999999;-1;");
  check_exact(t, "SELECT ts FROM {T} WHERE ts > 1.7e18",
              "1700000000000000001;");
  check_exact(t, "SELECT ts FROM {T} WHERE ts = 1.7e18",
              "1700000000000000000;");
  check_exact(t, "SELECT ts FROM {T} WHERE ts BETWEEN 1.7e18 AND 1.7e18",
              "1700000000000000000;");
}

static void exact__text_with_nul__then_no_kind_matches(void) {
  const char *t = generated_trace();
  check_exact(t,
              "SELECT count(*) FROM {T} WHERE kind = 'function_call' || "
              "char(0) || 'x'",
              "0;");
  check_exact(t,
              "SELECT count(*) FROM {T} WHERE kind IN ('function_call' || "
              "char(0) || 'x', 'nope')",
              "0;");
}

/* The argument columns exist only on the table-valued side. */
static void exact__null_or_other_argument__then_no_rows(void) {
  const char *t = generated_trace();
  sqlite3 *db = open_db();
  static const char *const queries[] = {
      "SELECT count(*) FROM atf_events(?1, NULL)",
      "SELECT count(*) FROM atf_events(?1) WHERE options = NULL",
      "SELECT count(*) FROM atf_events(?1) WHERE trace = 'nope'",
      "SELECT count(*) FROM atf_events(?1) WHERE trace = NULL",
      "SELECT count(*) FROM atf_events(NULL)",
      "SELECT count(*) FROM atf_events(?1, 'skip_corrupt') WHERE options = "
      "'nope'",
      "SELECT count(*) FROM atf_manifest(?1) WHERE trace = 'nope'",
      "SELECT count(*) FROM atf_manifest(?1) WHERE trace = NULL",
      "SELECT count(*) FROM atf_check(?1) WHERE trace = 'nope'",
      "SELECT count(*) FROM atf_check(?1) WHERE trace = NULL"};
  for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
    const char *got = query_text(db, queries[i], t);
    if (strcmp(got, "0") != 0) fprintf(stderr, "%s: %s\n", queries[i], got);
    CHECK_STR(got, "0");
  }
  /* The same argument twice, or equal under the collation, is a match. */
  CHECK_STR(
      query_text(db, "SELECT count(*) FROM atf_events(?1) WHERE trace = ?1", t),
      "5000");
  CHECK_STR(query_text(db,
                       "SELECT count(*) FROM atf_events(?1) WHERE trace = "
                       "upper(?1) COLLATE NOCASE",
                       t),
            "5000");
  /* The argument columns hold the values given, types included. */
  CHECK_STR(query_text(db,
                       "SELECT typeof(options) || options FROM "
                       "atf_events(?1, 'skip_corrupt') LIMIT 1",
                       t),
            "textskip_corrupt");
  sqlite3_close(db);
}

static void exact__created_table__then_arguments_checked_at_create(void) {
  const char *t = generated_trace();
  sqlite3 *db = open_db();
  char *sql;
  CHECK_STR(
      query_text(db, "CREATE VIRTUAL TABLE temp.a USING atf_events", NULL),
      "ERROR: atf_events: no trace given: use atf_events('path/to/"
      "pid_dir'), or the path of its events.bin or trace.json");
  CHECK_STR(query_text(db,
                       "CREATE VIRTUAL TABLE temp.b USING "
                       "atf_events('/nonexistent/pid_1')",
                       NULL),
            "ERROR: atf_events: /nonexistent/pid_1: No such file or directory");
  /* The same message as a query gives. */
  CHECK_STR(query_text(db,
                       "SELECT count(*) FROM atf_events('/nonexistent/pid_1')",
                       NULL),
            "ERROR: atf_events: /nonexistent/pid_1: No such file or directory");
  sql = sqlite3_mprintf("CREATE VIRTUAL TABLE temp.c USING atf_events(%Q, "
                        "'skip_corupt')",
                        t);
  CHECK_STR(query_text(db, sql, NULL),
            "ERROR: atf_events: unknown option 'skip_corupt' (known: "
            "skip_corrupt)");
  sqlite3_free(sql);
  CHECK_STR(query_text(db,
                       "CREATE VIRTUAL TABLE temp.d USING "
                       "atf_manifest('/nonexistent/pid_1')",
                       NULL),
            "ERROR: atf_manifest: /nonexistent/pid_1: No such file or "
            "directory");
  /* A good one is created, and a trace = in its WHERE is a filter. */
  sql = sqlite3_mprintf("CREATE VIRTUAL TABLE temp.e USING atf_events(%Q)", t);
  CHECK_STR(query_text(db, sql, NULL), "");
  sqlite3_free(sql);
  CHECK_STR(query_text(db, "SELECT count(*) FROM e WHERE trace = 'nope'", NULL),
            "0");
  CHECK_STR(query_text(db, "SELECT count(*) FROM e", NULL), "5000");
  sqlite3_close(db);
}

static void exact__schema_refused__then_error_says_why(void) {
  sqlite3 *db = open_db();
  char *sql = sqlite3_mprintf(
      "CREATE VIRTUAL TABLE temp.a USING atf_events(%Q)", generated_trace());
  const char *got;
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 200); /* shorter than the schema */
  got = query_text(db, sql, NULL);
  if (!strstr(got, "SQLite refused the table's schema"))
    fprintf(stderr, "%s\n", got);
  CHECK(strstr(got, "atf_events: SQLite refused the table's schema") != NULL);
  sqlite3_free(sql);
  sqlite3_close(db);
}

static int64_t stat_of(sqlite3 *db, const char *name) {
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT atf_stats() ->> '%s'", name);
  return query_int(db, sql, NULL);
}

/* Torn tails and records skip_corrupt leaves out are counted where Python
** and Node users see them (atf_stats), and a statement that succeeds
** leaves no error message behind. */
static void exact__torn_tail_and_skipped_records__then_counted(void) {
  atf_gen_options o;
  char dir[600], path[700];
  sqlite3 *db = open_db();
  sqlite3_stmt *st;
  int64_t torn, skipped, unread;
  FILE *f;
  atf_gen_options_default(&o);
  o.events = 300;
  o.tear_bytes = 3;
  o.corrupt_record = 100;
  uint64_t *offsets, n;
  snprintf(dir, sizeof dir, "%s/pid_3", temp_dir());
  if (atf_gen_write(dir, &o, &offsets, &n) != 0) exit(2);
  torn = stat_of(db, "torn_tails");
  skipped = stat_of(db, "records_skipped");
  CHECK_STR(query_text(
                db, "SELECT count(*) FROM atf_events(?1, 'skip_corrupt')", dir),
            "298");
  CHECK_I64(stat_of(db, "torn_tails") - torn, 1);
  CHECK_I64(stat_of(db, "records_skipped") - skipped, 1);
  /* Framing damage under skip_corrupt: the rows stop, counted, and the
  ** statement succeeds with no message left. */
  snprintf(path, sizeof path, "%s/events.bin", dir);
  f = fopen(path, "r+b");
  CHECK(f != NULL);
  fseek(f, (long)offsets[200], SEEK_SET); /* record 200's prefix */
  fwrite("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, 11, f);
  fclose(f);
  unread = stat_of(db, "unread_tails");
  CHECK(sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM atf_events(?1, "
                           "'skip_corrupt')",
                           -1, &st, NULL) == SQLITE_OK);
  sqlite3_bind_text(st, 1, dir, -1, SQLITE_TRANSIENT);
  CHECK(sqlite3_step(st) == SQLITE_ROW);
  CHECK_I64(sqlite3_column_int64(st, 0), 199); /* 200, less the corrupt */
  CHECK(sqlite3_step(st) == SQLITE_DONE);
  CHECK(strstr(sqlite3_errmsg(db), "atf_events") == NULL);
  sqlite3_finalize(st); /* where SQLite hands a statement's message over */
  CHECK(strstr(sqlite3_errmsg(db), "atf_events") == NULL);
  CHECK_I64(stat_of(db, "unread_tails") - unread, 1);
  free(offsets);
  sqlite3_close(db);
}

static const check_case cases[] = {
    CASE(exact__column_vs_column_with_limit__then_filter_first),
    CASE(exact__real_near_two_to_63__then_exact_integer),
    CASE(exact__real_above_two_to_53__then_no_rounding),
    CASE(exact__text_with_nul__then_no_kind_matches),
    CASE(exact__null_or_other_argument__then_no_rows),
    CASE(exact__created_table__then_arguments_checked_at_create),
    CASE(exact__schema_refused__then_error_says_why),
    CASE(exact__torn_tail_and_skipped_records__then_counted),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
