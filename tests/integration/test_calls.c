/*
** test_calls.c - behaviours of the call tables beyond their rows (which
** tests/calls compares with an independent oracle): interruption of their
** long passes, orphan returns in atf_check, arguments of atf_stack.
*/
#include <inttypes.h>
#include <sqlite3.h>

#include "atf_gen.h"
#include "check.h"
#include "sqltest.h"
#include "testutil.h"

static const char *generated(uint64_t seed, uint64_t events, int orphans,
                             char *dir, size_t cap) {
  atf_gen_options o;
  atf_gen_options_default(&o);
  o.seed = seed;
  o.events = events;
  o.orphan_percent = (uint32_t)orphans;
  snprintf(dir, cap, "%s/pid_%" PRIu64, temp_dir(), seed);
  if (atf_gen_write(dir, &o, NULL, NULL) != 0) exit(2);
  return dir;
}

static int64_t stat_of(sqlite3 *db, const char *name) {
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT atf_stats() ->> '%s'", name);
  return query_int(db, sql, NULL);
}

/* The first time SQLite asks (at its first instruction), the statement is
** interrupted: before the table's long pass has begun, which must then
** notice it by itself. */
typedef struct once {
  sqlite3 *db;
  int fired;
} once;

static int interrupt_once(void *user) {
  once *o = user;
  if (!o->fired) {
    o->fired = 1;
    sqlite3_interrupt(o->db);
  }
  return 0;
}

/* A long pass inside one xFilter (a walk of every call, an index build,
** atf_check) stops when the statement is interrupted, long before its end:
** SQLite 3.40 gives the table no way to ask but to step a statement. */
static void calls__long_pass_interrupted__then_stops_early(void) {
  static const char *const queries[] = {
      "SELECT count(*) FROM atf_functions(?1)",
      "SELECT count(*) FROM atf_threads(?1)",
      "SELECT count(*) FROM atf_check(?1)"};
  char dir[600];
  sqlite3 *db = open_db();
  generated(3, 200000, 0, dir, sizeof dir);
  for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
    sqlite3_stmt *st;
    int64_t framed = stat_of(db, "records_framed");
    once o = {db, 0};
    CHECK(sqlite3_prepare_v2(db, queries[i], -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, dir, -1, SQLITE_TRANSIENT);
    /* After the prepare: its reading of the schema runs statements too. */
    sqlite3_progress_handler(db, 1, interrupt_once, &o);
    CHECK(sqlite3_step(st) == SQLITE_INTERRUPT);
    sqlite3_finalize(st);
    sqlite3_progress_handler(db, 0, NULL, NULL);
    /* Well before the 200,000 records: the first check stopped it. */
    CHECK(stat_of(db, "records_framed") - framed < 20000);
    /* And the next query runs whole. */
    CHECK(query_int(db, queries[i], dir) > 0);
    CHECK(stat_of(db, "records_framed") - framed >= 200000);
  }
  sqlite3_close(db);
}

/* atf_check warns of each orphan return, as many as atf_threads counts. */
static void check__orphan_returns__then_one_warning_each(void) {
  char dir[600];
  sqlite3 *db = open_db();
  int64_t counted;
  generated(4, 20000, 3, dir, sizeof dir);
  counted =
      query_int(db, "SELECT sum(orphan_returns) FROM atf_threads(?1)", dir);
  CHECK(counted > 0);
  CHECK_I64(query_int(db,
                      "SELECT count(*) FROM atf_check(?1) WHERE code = "
                      "'orphan_return' AND severity = 'warning'",
                      dir),
            counted);
  /* Each at the offset of a return. */
  CHECK_I64(query_int(db,
                      "SELECT count(*) FROM atf_check(?1) c JOIN "
                      "atf_events(?1) e ON e.offset = c.offset WHERE c.code "
                      "= 'orphan_return' AND e.kind = 'function_return'",
                      dir),
            counted);
  sqlite3_close(db);
}

/* atf_stack's `at`: NULL gives no rows, anything but a record start is an
** error naming it, and a created table checks its trace. */
static void stack__at_argument__then_checked(void) {
  char dir[600], sql[1400];
  sqlite3 *db = open_db();
  generated(5, 2000, 0, dir, sizeof dir);
  CHECK_STR(query_text(db, "SELECT count(*) FROM atf_stack(?1, NULL)", dir),
            "0");
  CHECK(strstr(query_text(db, "SELECT count(*) FROM atf_stack(?1, 1)", dir),
               "byte offset 1 is not the start of a record") != NULL);
  CHECK(strstr(query_text(db, "SELECT count(*) FROM atf_stack(?1, 'x')", dir),
               "at must be the offset of an event") != NULL);
  CHECK(strstr(query_text(db, "SELECT count(*) FROM atf_stack(?1)", dir),
               "no event given") != NULL);
  /* WHERE at = acts as the argument. */
  CHECK_STR(query_text(db,
                       "SELECT count(*) FROM atf_stack(?1) WHERE at = (SELECT "
                       "max(offset) FROM atf_calls(?1) WHERE depth = 2)",
                       dir),
            "3");
  snprintf(sql, sizeof sql,
           "CREATE VIRTUAL TABLE temp.s USING atf_stack('%s/nope')", dir);
  CHECK(strstr(query_text(db, sql, NULL), "No such file") != NULL);
  sqlite3_close(db);
}

/* Every row of SQL (?1 bound to TRACE) as text, columns joined by | and
** rows ended by ; (sqlite3_free it). An error fails the test. */
static char *all_rows(sqlite3 *db, const char *sql, const char *trace) {
  sqlite3_str *out = sqlite3_str_new(db);
  sqlite3_stmt *st;
  int rc;
  char *text;
  CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
  sqlite3_bind_text(st, 1, trace, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      const char *v = (const char *)sqlite3_column_text(st, i);
      sqlite3_str_appendf(out, "%s%c", v ? v : "NULL",
                          i + 1 < sqlite3_column_count(st) ? '|' : ';');
    }
  if (rc != SQLITE_DONE) fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
  CHECK(rc == SQLITE_DONE);
  sqlite3_finalize(st);
  text = sqlite3_str_finish(out);
  return text ? text : sqlite3_mprintf("%s", "");
}

/* Every row of SQL (?1 the trace; {T} the table) as text, over atf_calls
** and over a plain table holding its rows, compared. */
static void same_as_plain(sqlite3 *db, const char *trace, const char *sql) {
  const char *at = strstr(sql, "{T}");
  char *q[2], *got[2];
  q[0] = sqlite3_mprintf("%.*satf_calls(?1)%s", (int)(at - sql), sql, at + 3);
  q[1] = sqlite3_mprintf("%.*sref%s", (int)(at - sql), sql, at + 3);
  for (int side = 0; side < 2; side++)
    got[side] = all_rows(db, q[side], trace);
  if (strcmp(got[0], got[1]) != 0)
    fprintf(stderr, "%s\n  atf_calls: %.300s\n  plain:     %.300s\n", sql,
            got[0], got[1]);
  CHECK_STR(got[0], got[1]);
  for (int side = 0; side < 2; side++) {
    sqlite3_free(q[side]);
    sqlite3_free(got[side]);
  }
}

/* Every pushdown of atf_calls (thread_id, offset, a ts window) gives the
** rows of the same query over a plain table holding atf_calls' rows. */
static void calls__pushdowns__then_same_rows_as_plain_table(void) {
  char dir[600], sql[512];
  sqlite3 *db = open_db();
  atf_gen_options o;
  int64_t lo, hi, mid, t, off;
  atf_gen_options_default(&o);
  o.seed = 6;
  o.events = 30000; /* 30 index blocks: checkpoints and windows matter */
  o.threads = 5;
  o.max_depth = 40;
  o.unwind_percent = 3;
  o.orphan_percent = 1;
  o.clock_jump_percent = 1;
  o.untimed_percent = 1;
  snprintf(dir, sizeof dir, "%s/pid_6", temp_dir());
  if (atf_gen_write(dir, &o, NULL, NULL) != 0) exit(2);
  {
    char *create =
        sqlite3_mprintf("CREATE TABLE ref AS SELECT * FROM atf_calls(%Q)", dir);
    CHECK(sqlite3_exec(db, create, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_free(create);
  }
  lo = query_int(db, "SELECT min(ts) FROM ref", NULL);
  hi = query_int(db, "SELECT max(ts) FROM ref", NULL);
  mid = lo + (hi - lo) / 2;
  t = query_int(db, "SELECT thread_id FROM ref LIMIT 1", NULL);
  off = query_int(db, "SELECT offset FROM ref WHERE depth = 3 LIMIT 1", NULL);
  static const char *const forms[] = {
      "SELECT * FROM {T} WHERE thread_id = %3$lld ORDER BY offset",
      "SELECT * FROM {T} WHERE thread_id IN (%3$lld, -5, %3$lld + 1) ORDER BY "
      "offset",
      "SELECT * FROM {T} WHERE offset = %4$lld",
      "SELECT * FROM {T} WHERE offset IN (%4$lld, 1, 0, (SELECT max(offset) "
      "FROM ref)) ORDER BY offset",
      "SELECT * FROM {T} WHERE ts >= %1$lld AND ts < %1$lld + 200000 ORDER BY "
      "offset",
      "SELECT * FROM {T} WHERE ts > %1$lld ORDER BY offset",
      "SELECT * FROM {T} WHERE ts <= %1$lld ORDER BY offset",
      "SELECT * FROM {T} WHERE ts BETWEEN %1$lld AND %2$lld ORDER BY offset",
      "SELECT * FROM {T} WHERE ts = %1$lld ORDER BY offset",
      "SELECT * FROM {T} WHERE ts > 1.5e18 ORDER BY offset",
      "SELECT * FROM {T} WHERE ts < '%1$lld' ORDER BY offset",
      "SELECT * FROM {T} WHERE ts >= %1$lld AND thread_id = %3$lld ORDER BY "
      "offset",
      "SELECT count(*), sum(dur), sum(children), max(depth) FROM {T} WHERE "
      "ts >= %1$lld AND ts <= %1$lld + 1000000",
  };
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    snprintf(sql, sizeof sql, forms[i], (long long)mid, (long long)hi,
             (long long)t, (long long)off);
    same_as_plain(db, dir, sql);
  }
  sqlite3_close(db);
}

/* The same seeded events written as ATF v4 and as ATF v2 (and as v2 with
** every event twice, as the tracer's two lanes write them) give the same
** calls, functions, threads and stacks. Offsets differ (a v2 offset is a
** rowid) and so do thread ids (v4 pid + t, v2 slot t): rows are compared
** by each thread's rank and in each thread's order. */
static void calls__v4_and_v2_of_same_events__then_same_answers(void) {
  static const char *const questions[] = {
      "SELECT depth, symbol, ts, end_ts, dur, self_dur, children, status, "
      "argument_registers ->> 'rdi', return_registers ->> 'r8', "
      "return_registers ->> 'rax', thread_id - (SELECT min(thread_id) FROM "
      "atf_calls(?1)) FROM atf_calls(?1) ORDER BY 12, offset",
      "SELECT * FROM atf_functions(?1) ORDER BY symbol",
      "SELECT calls, max_depth, open_calls, orphan_returns FROM "
      "atf_threads(?1) WHERE calls > 0 ORDER BY thread_id",
      "SELECT depth, symbol, ts, argument_registers ->> 'rsi' FROM "
      "atf_stack(?1, (SELECT offset FROM atf_calls(?1) WHERE depth = 6 "
      "ORDER BY ts, offset LIMIT 1 OFFSET 5))",
      "SELECT count(*), sum(dur), sum(self_dur), max(depth) FROM atf_calls(?1) "
      "WHERE ts BETWEEN (SELECT min(ts) + 1000000 FROM atf_calls(?1)) AND "
      "(SELECT min(ts) + 3000000 FROM atf_calls(?1))",
      /* atf_check's orphan returns are the ones pairing counts */
      "SELECT count(*), (SELECT sum(orphan_returns) FROM atf_threads(?1)) "
      "FROM atf_check(?1) WHERE code = 'orphan_return'"};
  /* v4; v2; v2 with twins in batches of 8 events; v2 with batches of
  ** 3,000 (6,000 records: the copies far apart, as a busy thread's). */
  char dir[4][600];
  sqlite3 *db = open_db();
  atf_gen_options o;
  atf_gen_options_default(&o);
  o.seed = 21;
  o.events = 20000;
  o.threads = 4;
  o.max_depth = 30;
  o.unwind_percent = 3;
  o.orphan_percent = 1;
  o.clock_jump_percent = 1;
  o.stack_max = 128;
  snprintf(dir[0], sizeof dir[0], "%s/v4/pid_21", temp_dir());
  snprintf(dir[1], sizeof dir[1], "%s/v2/pid_21", temp_dir());
  snprintf(dir[2], sizeof dir[2], "%s/v2twins/pid_21", temp_dir());
  snprintf(dir[3], sizeof dir[3], "%s/v2twinbatch/pid_21", temp_dir());
  if (atf_gen_write(dir[0], &o, NULL, NULL) != 0 ||
      atf_gen_write_v2(dir[1], &o, NULL) != 0)
    exit(2);
  o.v2_twins = 1;
  if (atf_gen_write_v2(dir[2], &o, NULL) != 0) exit(2);
  o.v2_twin_batch = 3000;
  if (atf_gen_write_v2(dir[3], &o, NULL) != 0) exit(2);
  CHECK(query_int(db, "SELECT count(*) FROM atf_calls(?1)", dir[0]) > 5000);
  CHECK(query_int(db, "SELECT sum(orphan_returns) FROM atf_threads(?1)",
                  dir[0]) > 10);
  for (size_t i = 0; i < sizeof questions / sizeof questions[0]; i++) {
    char *want = all_rows(db, questions[i], dir[0]);
    CHECK(want[0] != '\0' && !strstr(want, "NULL;"));
    for (int v = 1; v < 4; v++) {
      char *got = all_rows(db, questions[i], dir[v]);
      if (strcmp(got, want) != 0)
        fprintf(stderr, "%s\n  v4: %.300s\n  %s: %.300s\n", questions[i], want,
                v == 1 ? "v2" : v == 2 ? "v2 twins" : "v2 twin batches", got);
      CHECK_STR(got, want);
      sqlite3_free(got);
    }
    sqlite3_free(want);
  }
  sqlite3_close(db);
}

static const check_case cases[] = {
    CASE(calls__v4_and_v2_of_same_events__then_same_answers),
    CASE(calls__pushdowns__then_same_rows_as_plain_table),
    CASE(calls__long_pass_interrupted__then_stops_early),
    CASE(check__orphan_returns__then_one_warning_each),
    CASE(stack__at_argument__then_checked),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
