/*
** test_cache.c - what a long-lived connection keeps of the traces it read
** (ext/trace_cache.h), seen from outside: the mappings in /proc/self/maps,
** and the plans the cost model leads SQLite to.
*/
#include <inttypes.h>
#include <sqlite3.h>

#include "atf_gen.h"
#include "check.h"
#include "sqltest.h"
#include "testutil.h"

static const char *generated_trace(uint64_t seed, uint64_t events, char *dir,
                                   size_t cap) {
  atf_gen_options o;
  atf_gen_options_default(&o);
  o.seed = seed;
  o.events = events;
  snprintf(dir, cap, "%s/pid_%" PRIu64, temp_dir(), seed);
  if (atf_gen_write(dir, &o, NULL, NULL) != 0) exit(2);
  return dir;
}

/* How many mappings of this process name a file whose path contains
** NEEDLE (deleted files show as "path (deleted)"). */
static int mappings_of(const char *needle) {
  char line[4096];
  int n = 0;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strstr(line, needle)) n++;
  fclose(f);
  return n;
}

static void cache__deleted_trace__then_unmapped_at_next_statement(void) {
  char a[600], b[600], path[700];
  sqlite3 *db = open_db();
  generated_trace(1, 2000, a, sizeof a);
  generated_trace(2, 2000, b, sizeof b);
  snprintf(path, sizeof path, "%s/events.bin", a);
  CHECK_STR(query_text(db, "SELECT count(*) FROM atf_events(?1)", a), "2000");
  CHECK(mappings_of(path) == 1); /* kept for the next query */
  CHECK(unlink(path) == 0);
  CHECK(mappings_of(path) == 1); /* "(deleted)": the disk space held */
  /* The next statement, on another trace, lets it go. */
  CHECK_STR(query_text(db, "SELECT count(*) FROM atf_events(?1)", b), "2000");
  CHECK(mappings_of(path) == 0);
  /* And the trace itself now says it is gone. */
  CHECK(strstr(query_text(db, "SELECT count(*) FROM atf_events(?1)", a),
               "No such file or directory") != NULL);
  sqlite3_close(db);
}

static void cache__replaced_trace__then_new_file_read(void) {
  char a[600], b[600], from[700], to[700];
  sqlite3 *db = open_db();
  generated_trace(3, 1000, a, sizeof a);
  generated_trace(4, 3000, b, sizeof b);
  CHECK_STR(query_text(db, "SELECT count(*) FROM atf_events(?1)", a), "1000");
  /* Replaced by a rename over it, as a safe writer does. */
  snprintf(from, sizeof from, "%s/events.bin", b);
  snprintf(to, sizeof to, "%s/events.bin", a);
  CHECK(rename(from, to) == 0);
  CHECK_STR(query_text(db, "SELECT count(*) FROM atf_events(?1)", a), "3000");
  CHECK_STR(query_text(db,
                       "SELECT count(*) FROM atf_events(?1) WHERE "
                       "offset > 0",
                       a),
            "2999"); /* the index is the new file's */
  sqlite3_close(db);
}

static void cache__many_idle_traces__then_mappings_bounded(void) {
  char dirs[12][600];
  sqlite3 *db = open_db();
  int total = 0;
  for (int i = 0; i < 12; i++) {
    generated_trace(10 + (uint64_t)i, 500, dirs[i], sizeof dirs[i]);
    CHECK_STR(query_text(db, "SELECT count(*) FROM atf_events(?1)", dirs[i]),
              "500");
  }
  for (int i = 0; i < 12; i++) {
    char path[1300];
    snprintf(path, sizeof path, "%.600s/events.bin", dirs[i]);
    total += mappings_of(path);
  }
  /* The last one used (busy until its statement ended) and at most four
  ** idle ones (TRACE_CACHE_IDLE_MAPPED). */
  CHECK(total <= 5);
  CHECK(total >= 1);
  sqlite3_close(db);
}

static void cache__idle_trace__then_unmapped_after_other_queries(void) {
  char a[600], b[600], path[700];
  sqlite3 *db = open_db();
  generated_trace(30, 500, a, sizeof a);
  generated_trace(31, 500, b, sizeof b);
  snprintf(path, sizeof path, "%s/events.bin", a);
  CHECK_STR(query_text(db, "SELECT count(*) FROM atf_events(?1)", a), "500");
  CHECK(mappings_of(path) == 1);
  for (int i = 0; i < 70; i++) /* TRACE_CACHE_IDLE_USES is 64 */
    query_text(db, "SELECT count(*) FROM atf_events(?1) WHERE offset = 0", b);
  CHECK(mappings_of(path) == 0);
  /* Used again: mapped again, same answers. */
  CHECK_STR(query_text(db, "SELECT count(*) FROM atf_events(?1)", a), "500");
  sqlite3_close(db);
}

/* The cost model follows the records a plan reads: joins seek into the
** trace, never scan it in an inner loop. */
static void plan__joins__then_seeks_not_inner_scans(void) {
  char a[600];
  sqlite3 *db = open_db();
  char sql[2048];
  const char *plan;
  generated_trace(40, 50000, a, sizeof a);
  /* Planning sees the trace's size: index it once. */
  CHECK_STR(query_text(db,
                       "SELECT count(*) FROM atf_events(?1) WHERE "
                       "offset > 0",
                       a),
            "49999");
  CHECK(sqlite3_exec(db,
                     "CREATE TEMP TABLE w(o INTEGER); INSERT INTO w VALUES "
                     "(0),(100),(200); ANALYZE temp;",
                     NULL, NULL, NULL) == SQLITE_OK);
  snprintf(sql, sizeof sql,
           "SELECT e.kind FROM w JOIN atf_events('%s') e ON e.offset = w.o", a);
  plan = plan_of(db, sql);
  if (!strstr(plan, "SCAN w; SCAN e VIRTUAL TABLE INDEX") ||
      !strstr(plan, "offset="))
    fprintf(stderr, "%s\n", plan);
  CHECK(strstr(plan, "SCAN w; SCAN e VIRTUAL TABLE INDEX") != NULL);
  CHECK(strstr(plan, "offset=") != NULL);
  /* A self-join on offset: the inner side seeks. */
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM atf_events('%s') a JOIN atf_events('%s') b "
           "ON b.offset = a.offset + a.size WHERE a.thread_id = 1001",
           a, a);
  plan = plan_of(db, sql);
  if (!strstr(plan, "SCAN b VIRTUAL TABLE INDEX") || !strstr(plan, "offset="))
    fprintf(stderr, "%s\n", plan);
  CHECK(strstr(plan, "offset=") != NULL);
  CHECK(strstr(plan, "framing-only; SCAN b") == NULL); /* not an inner scan */
  /* thread_id filters read every record: not cheaper than a scan. */
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM atf_events('%s') a, atf_events('%s') b "
           "WHERE b.thread_id = a.thread_id AND b.offset = a.offset",
           a, a);
  plan = plan_of(db, sql);
  if (!strstr(plan, "offset=")) fprintf(stderr, "%s\n", plan);
  CHECK(strstr(plan, "offset=") != NULL);
  sqlite3_close(db);
}

static const check_case cases[] = {
    CASE(cache__deleted_trace__then_unmapped_at_next_statement),
    CASE(cache__replaced_trace__then_new_file_read),
    CASE(cache__many_idle_traces__then_mappings_bounded),
    CASE(cache__idle_trace__then_unmapped_after_other_queries),
    CASE(plan__joins__then_seeks_not_inner_scans),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
