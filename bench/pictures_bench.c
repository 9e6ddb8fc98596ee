/*
** pictures_bench.c - how fast the picture exports are (issue 9), next to
** the baselines that bound them, in one process over one trace:
**
**   calls scan      the columns the exports read, summed (reading and
**                   pairing the calls, which every export pays)
**   atf_trace_json  the Chrome JSON of every call, as the README writes it
**   ... + args      the same with the registers as each event's args
**   json_group_array  the hand-written export of the same rows in plain SQL
**                   (json_object per call, ts / 1000.0 as a double: what
**                   atf_trace_json replaces), the baseline of the JSON
**   atf_flamegraph  the folded stacks of every call path
**
** For each: the best wall time of --repeat runs, MB/s of trace (events.bin
** bytes / time, 1 MB = 1e6 bytes), MB/s of output where there is one
** (its length in characters, which the symbols of generated traces make
** bytes: ASCII; length() reads the result without copying it), and
** SQLite's heap high-water mark during the query. The page cache is warmed
** first (CPU figures, not disk figures). It prints figures and asserts
** nothing about time.
**
**   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release
**   cmake --build build-bench --target pictures_bench
**   build-bench/bench/pictures_bench            the trace of the issue:
**       atf-gen --seed 3 --events 2000000 --threads 8 (made once, reused)
**   build-bench/bench/pictures_bench --trace DIR --repeat 5
*/
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "atf_gen.h"
#include "atf_reader.h"
#include "bench.h"

#ifndef ATF_EXTENSION_PATH
#error "ATF_EXTENSION_PATH: the path of atf.so, set by bench/CMakeLists.txt"
#endif
#ifndef ATF_BENCH_DIR
#define ATF_BENCH_DIR "."
#endif

typedef struct measure {
  const char *name;
  const char *sql; /* ?1 is the trace; column 0: output bytes, or NULL */
  double best_s;
  sqlite3_int64 output; /* bytes of the result, when column 0 gives them */
  sqlite3_int64 heap;   /* SQLite's heap high-water mark during the query */
} measure;

static int run(sqlite3 *db, const char *trace, measure *m) {
  sqlite3_stmt *st;
  int cur, hi, rc;
  double t;
  if (sqlite3_prepare_v2(db, m->sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", m->name, sqlite3_errmsg(db));
    return -1;
  }
  sqlite3_bind_text(st, 1, trace, -1, SQLITE_STATIC);
  sqlite3_status(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 1); /* reset peak */
  t = now_s();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    m->output = sqlite3_column_int64(st, 0);
  t = now_s() - t;
  sqlite3_status(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 0);
  if (rc != SQLITE_DONE) {
    fprintf(stderr, "%s: %s\n", m->name, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return -1;
  }
  sqlite3_finalize(st);
  if (m->best_s == 0 || t < m->best_s) m->best_s = t;
  if (hi > m->heap) m->heap = hi;
  return 0;
}

static int warm(const char *events) {
  static char buf[1 << 22];
  FILE *f = fopen(events, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s\n", events, strerror(errno));
    return -1;
  }
  while (fread(buf, 1, sizeof buf, f) > 0) {
  }
  fclose(f);
  return 0;
}

int main(int argc, char **argv) {
  const char *trace = NULL;
  char dir[4200], events[4300];
  int repeat = 3;
  struct stat sb;
  sqlite3 *db;
  measure ms[] = {
      {"calls scan (baseline)", "SELECT count(*), sum(dur) FROM atf_calls(?1)",
       0, 0, 0},
      {"atf_trace_json",
       "SELECT length(atf_trace_json(ts, dur, thread_id, symbol))"
       " FROM atf_calls(?1)",
       0, 0, 0},
      {"atf_trace_json + registers as args",
       "SELECT length(atf_trace_json(ts, dur, thread_id, symbol, "
       "argument_registers)) FROM atf_calls(?1)",
       0, 0, 0},
      {"json_group_array (plain SQL)",
       "SELECT length(json_group_array(json_object('name', symbol, 'ph', "
       "CASE WHEN dur IS NULL THEN 'B' ELSE 'X' END, 'ts', ts / 1000.0, "
       "'dur', dur / 1000.0, 'pid', 1, 'tid', thread_id))) "
       "FROM atf_calls(?1)",
       0, 0, 0},
      {"atf_flamegraph", "SELECT count(*) FROM atf_flamegraph(?1)", 0, 0, 0},
  };
  const size_t n = sizeof ms / sizeof ms[0];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc) {
      trace = argv[++i];
    } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: pictures_bench [--trace DIR] [--repeat N]\n");
      return 2;
    }
  }
  if (!trace) {
    atf_gen_options o;
    snprintf(dir, sizeof dir, "%s/pictures-trace-seed3-2m", ATF_BENCH_DIR);
    snprintf(events, sizeof events, "%s/trace.json", dir);
    if (stat(events, &sb) != 0) {
      atf_gen_options_default(&o); /* = atf-gen --seed 3 --events 2000000
                                      --threads 8 */
      o.seed = 3;
      o.events = 2000000;
      o.threads = 8;
      printf("generating %s...\n", dir);
      fflush(stdout);
      if (atf_gen_write(dir, &o, NULL, NULL) != 0) return 1;
    }
    trace = dir;
  }
  snprintf(events, sizeof events, "%s/events.bin", trace);
  if (stat(events, &sb) != 0 || warm(events) != 0) {
    fprintf(stderr, "%s: no events.bin\n", trace);
    return 1;
  }
  if (!(db = open_with_extension("pictures_bench"))) return 1;
  printf("trace: %s, events.bin %.1f MB; SQLite %s; best of %d\n", trace,
         (double)sb.st_size / 1e6, sqlite3_libversion(), repeat);
  for (int r = 0; r < repeat; r++)
    for (size_t i = 0; i < n; i++)
      if (run(db, trace, &ms[i]) != 0) return 1;
  printf("\n%-36s %9s %12s %12s %12s %10s\n", "measure", "time", "trace MB/s",
         "output MB", "output MB/s", "heap MB");
  for (size_t i = 0; i < n; i++) {
    int has_output = i >= 1 && i <= 3;
    printf("%-36s %8.3fs %12.1f", ms[i].name, ms[i].best_s,
           (double)sb.st_size / 1e6 / ms[i].best_s);
    if (has_output)
      printf(" %12.1f %12.1f", (double)ms[i].output / 1e6,
             (double)ms[i].output / 1e6 / ms[i].best_s);
    else
      printf(" %12s %12s", "", "");
    printf(" %10.1f\n", (double)ms[i].heap / 1e6);
  }
  printf("\natf_trace_json / json_group_array: %.2fx the output rate, "
         "%.2fx the time\n",
         ((double)ms[1].output / ms[1].best_s) /
             ((double)ms[3].output / ms[3].best_s),
         ms[1].best_s / ms[3].best_s);
  sqlite3_close(db);
  return 0;
}
