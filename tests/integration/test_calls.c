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

static const check_case cases[] = {
    CASE(calls__long_pass_interrupted__then_stops_early),
    CASE(check__orphan_returns__then_one_warning_each),
    CASE(stack__at_argument__then_checked),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
