/*
** v2_sql_bench.c - issue 12's benchmark: the SQL tables over ATF v2 against
** the same tables over ATF v4 of the same seeded events, in one process:
**
**   count(*)      SELECT count(*) FROM atf_events(T)
**   hot columns   SELECT count(*), sum(thread_id), max(ts), count(symbol)
**                 FROM atf_events(T)  (atf_bench's hot-column query)
**   atf_calls     SELECT count(*), sum(dur), max(depth) FROM atf_calls(T)
**                 (calls_bench.c's full pass)
**   atf_functions SELECT * FROM atf_functions(T), every column read
**
** over three traces made once under build-bench/ (v2_traces.c) and reused:
** v4 (events.bin), v2 (RECORDS index records over THREADS threads) and,
** for the two call tables, v2 twins: the same events as a real session
** with the detail lane on writes them (every event twice: once without
** detail, then again a little later with it; the call walker finds and
** leaves out the second of each pair ahead of the walk). Each measure runs
** on each trace in turn, REPEAT times after one warm-up pass (page cache
** and the extension's open traces warm), and prints the median wall and
** CPU time (this thread's: on a shared machine the steadier figure), and
** from the CPU time MB/s of the trace's event data on disk (v4:
** events.bin; v2: every index.atf and detail.atf) and of its index files
** alone (v2), ns per record of that trace (v4 counts its trace_start,
** signal and trace_end; a twins trace counts both copies), and the time
** over v4's (of the CPU and of the wall time).
**
** Then the k-way merge's own cost per record at the reader level: every
** index record through atf_v2_merge against each thread file read in its
** own order (v2_traces.c, as atf_v2_bench measures it), medians of the
** same runs.
**
** Figures only: no time is asserted. The exit code is 1 when the formats
** disagree where they carry the same data (atf_calls' count, sum(dur) and
** max(depth), atf_functions' rows and call counts; v2 count(*) against the
** reader's record count), or when a query fails.
**
**   cmake --build build-bench --target atf_v2_sql_bench
**   build-bench/bench/atf_v2_sql_bench [--records N] [--threads K]
**       [--detail all|calls|none] [--repeat R] [--no-twins]
**   (or scripts/bench --v2-only --repeat R)
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "atf_gen.h"
#include "atf_reader.h"
#include "bench.h"
#include "v2_traces.h"

#ifndef ATF_BENCH_DIR
#define ATF_BENCH_DIR "."
#endif

#define MAX_REPEAT 99
#define SUMS 4 /* columns whose integer sums over all rows are kept */

enum { F_V4, F_V2, F_TWINS, F_N };
static const char *const FORMAT_NAME[F_N] = {"v4", "v2", "v2 twins"};

typedef struct trace {
  char dir[4096];
  int used;
  uint64_t records;     /* v4: trace.json's eventCount; v2: index records */
  uint64_t disk_bytes;  /* event data: events.bin; index + detail files */
  uint64_t index_bytes; /* v2: the index.atf files; v4: 0 */
  atf_v2_trace v2;      /* v2: open for the merge measure */
} trace;

/* The runs of one measure on one trace: wall-clock seconds, and this
** thread's CPU seconds (what it cost without the time the machine's other
** work took the core from it: on a shared machine the steadier figure). */
typedef struct samples {
  double wall[MAX_REPEAT], cpu[MAX_REPEAT];
} samples;

typedef struct measure {
  const char *name;
  const char *sql;
  int on[F_N]; /* the traces it runs on */
  samples t[F_N];
  int64_t rows[F_N];
  int64_t sums[F_N][SUMS]; /* integer sums of columns 0..3 over all rows */
} measure;

static measure measures[] = {
    {.name = "count(*)",
     .sql = "SELECT count(*) FROM atf_events(?1)",
     .on = {1, 1, 0}},
    {.name = "hot columns",
     .sql = "SELECT count(*), sum(thread_id), max(ts), count(symbol) "
            "FROM atf_events(?1)",
     .on = {1, 1, 0}},
    {.name = "atf_calls",
     .sql = "SELECT count(*), sum(dur), max(depth) FROM atf_calls(?1)",
     .on = {1, 1, 1}},
    {.name = "atf_functions",
     .sql = "SELECT * FROM atf_functions(?1)",
     .on = {1, 1, 1}},
};
#define N_MEASURES (sizeof measures / sizeof measures[0])

/* What every column read adds up to: printed, so that nothing is skipped. */
static uint64_t sink;

/* The merge at the reader level, per v2 trace: each file in its own order,
** then merged. */
typedef struct merge_times {
  samples files, merged;
} merge_times;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(const double *v, int n) {
  double s[MAX_REPEAT];
  memcpy(s, v, sizeof *v * (size_t)n);
  qsort(s, (size_t)n, sizeof *s, cmp_double);
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static uint64_t file_size(const char *path) {
  struct stat st;
  return path && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void print_load(const char *when) {
  char buf[128] = "";
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
  }
  printf("load average %s: %s%s", when, buf, strchr(buf, '\n') ? "" : "\n");
}

/* Reads every byte of a file once, so that the runs time the CPU, not
** the disk. */
static void warm_file(const char *path) {
  static char buf[1 << 20];
  FILE *f = fopen(path, "rb");
  if (!f) return;
  while (fread(buf, 1, sizeof buf, f) > 0) {
  }
  fclose(f);
}

static int open_v4(trace *tr) {
  char path[4200];
  atf_manifest m;
  atf_error err;
  snprintf(path, sizeof path, "%s/trace.json", tr->dir);
  if (atf_manifest_load(path, &m, &err) != ATF_OK) {
    fprintf(stderr, "%s: %s\n", path, err.message);
    return -1;
  }
  tr->records = m.event_count;
  atf_manifest_free(&m);
  snprintf(path, sizeof path, "%s/events.bin", tr->dir);
  tr->disk_bytes = file_size(path);
  warm_file(path);
  return 0;
}

static int open_v2(trace *tr) {
  atf_error err;
  if (atf_v2_open(tr->dir, 0, &tr->v2, &err) != ATF_OK) {
    fprintf(stderr, "%s: %s\n", tr->dir, err.message);
    return -1;
  }
  tr->records = tr->v2.records;
  for (size_t i = 0; i < tr->v2.thread_count; i++) {
    const atf_v2_thread *th = &tr->v2.threads[i];
    uint64_t ib = file_size(th->index_path);
    tr->index_bytes += ib;
    tr->disk_bytes += ib;
    warm_file(th->index_path);
    if (th->has_detail) {
      tr->disk_bytes += file_size(th->detail_path);
      warm_file(th->detail_path);
    }
  }
  return 0;
}

/* Runs M on trace F once: every row stepped, every column read. */
static int run(sqlite3 *db, measure *m, int f, const trace *tr, int r) {
  sqlite3_stmt *st;
  int rc, ncol;
  if (sqlite3_prepare_v2(db, m->sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", m->name, sqlite3_errmsg(db));
    return -1;
  }
  sqlite3_bind_text(st, 1, tr->dir, -1, SQLITE_STATIC);
  ncol = sqlite3_column_count(st);
  m->rows[f] = 0;
  memset(m->sums[f], 0, sizeof m->sums[f]);
  double t = now_s(), c = cpu_s();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sink += touch_row(st, ncol);
    for (int i = 0; i < SUMS && i < ncol; i++)
      m->sums[f][i] += sqlite3_column_int64(st, i);
    m->rows[f]++;
  }
  m->t[f].cpu[r] = cpu_s() - c;
  m->t[f].wall[r] = now_s() - t;
  if (rc != SQLITE_DONE) {
    fprintf(stderr, "%s over %s: %s\n", m->name, FORMAT_NAME[f],
            sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return -1;
  }
  sqlite3_finalize(st);
  return 0;
}

static int time_merge(const trace *tr, merge_times *mt, int r) {
  uint64_t n_files, n_merged, sum_files, sum_merged;
  double t = now_s(), c = cpu_s();
  sum_files = v2_scan_files(&tr->v2, &n_files);
  sink += sum_files;
  mt->files.cpu[r] = cpu_s() - c;
  mt->files.wall[r] = now_s() - t;
  t = now_s();
  c = cpu_s();
  if (v2_scan_merge(&tr->v2, &n_merged, &sum_merged) != 0) return -1;
  mt->merged.cpu[r] = cpu_s() - c;
  mt->merged.wall[r] = now_s() - t;
  if (n_files != n_merged || sum_files != sum_merged) {
    fprintf(stderr,
            "%s: the merge gave %" PRIu64 " records (checksum %" PRIu64
            "), the files %" PRIu64 " (%" PRIu64 ")\n",
            tr->dir, n_merged, sum_merged, n_files, sum_files);
    return -1;
  }
  return 0;
}

/* Where the formats carry the same data their answers must agree. */
static int agree(const trace *tr) {
  const measure *count = &measures[0], *calls = &measures[2],
                *fns = &measures[3];
  int ok = 1;
  for (int f = F_V2; f < F_N; f++) {
    if (!tr[f].used) continue;
    if (count->on[f] && (uint64_t)count->sums[f][0] != tr[f].records) {
      fprintf(stderr, "%s: count(*) %" PRId64 ", the reader %" PRIu64 "\n",
              FORMAT_NAME[f], count->sums[f][0], tr[f].records);
      ok = 0;
    }
    for (int i = 0; i < 3; i++)
      if (calls->sums[f][i] != calls->sums[F_V4][i]) {
        fprintf(stderr,
                "%s: atf_calls column %d is %" PRId64 ", v4's %" PRId64 "\n",
                FORMAT_NAME[f], i, calls->sums[f][i], calls->sums[F_V4][i]);
        ok = 0;
      }
    if (fns->rows[f] != fns->rows[F_V4] ||
        fns->sums[f][1] != fns->sums[F_V4][1] ||
        fns->sums[f][2] != fns->sums[F_V4][2]) {
      fprintf(stderr,
              "%s: atf_functions %" PRId64 " rows, %" PRId64 " calls, %" PRId64
              " returned; v4 %" PRId64 ", %" PRId64 ", %" PRId64 "\n",
              FORMAT_NAME[f], fns->rows[f], fns->sums[f][1], fns->sums[f][2],
              fns->rows[F_V4], fns->sums[F_V4][1], fns->sums[F_V4][2]);
      ok = 0;
    }
  }
  return ok;
}

static void print_traces(const trace *tr) {
  printf("\n%-9s %12s %12s %10s  %s\n", "trace", "records", "MB on disk",
         "MB index", "directory");
  for (int f = 0; f < F_N; f++) {
    if (!tr[f].used) continue;
    printf("%-9s %12" PRIu64 " %12.1f ", FORMAT_NAME[f], tr[f].records,
           mb(tr[f].disk_bytes));
    if (f == F_V4)
      printf("%10s", "");
    else
      printf("%10.1f", mb(tr[f].index_bytes));
    printf("  %s\n", tr[f].dir);
  }
}

/* Rates and ratios are of the median CPU time; the median wall time is
** shown beside it. */
static void print_results(const trace *tr, int repeat) {
  printf("\n%-14s %-9s %8s %8s %10s %10s %10s %7s %7s  %s\n", "query", "trace",
         "wall ms", "cpu ms", "MB/s disk", "MB/s index", "ns/record", "/v4 cpu",
         "/v4 wall", "rows: column sums");
  for (size_t i = 0; i < N_MEASURES; i++) {
    const measure *m = &measures[i];
    double v4c = median(m->t[F_V4].cpu, repeat);
    double v4w = median(m->t[F_V4].wall, repeat);
    for (int f = 0; f < F_N; f++) {
      double c, w;
      if (!m->on[f] || !tr[f].used) continue;
      c = median(m->t[f].cpu, repeat);
      w = median(m->t[f].wall, repeat);
      printf("%-14s %-9s %8.1f %8.1f %10.0f ", f == F_V4 ? m->name : "",
             FORMAT_NAME[f], w * 1e3, c * 1e3, mb(tr[f].disk_bytes) / c);
      if (f == F_V4)
        printf("%10s", "");
      else
        printf("%10.0f", mb(tr[f].index_bytes) / c);
      printf(" %10.1f ", c * 1e9 / (double)tr[f].records);
      if (f == F_V4)
        printf("%7s %7s", "", "");
      else
        printf("%7.2f %7.2f", c / v4c, w / v4w);
      printf("  %" PRId64 ":", m->rows[f]);
      for (int k = 0; k < SUMS; k++)
        if (m->sums[f][k]) printf(" %" PRId64, m->sums[f][k]);
      printf("\n");
    }
  }
}

static void print_merge(const trace *tr, const merge_times *mt, int repeat) {
  printf("\nk-way merge (reader: atf_v2_merge against each file in its own "
         "order, v2_traces.c), CPU ns per record (wall)\n");
  printf("%-9s %18s %18s %18s\n", "trace", "own order", "merged", "merge cost");
  for (int f = F_V2; f < F_N; f++) {
    double n, fc, fw, mc, mw;
    if (!tr[f].used) continue;
    n = (double)tr[f].records / 1e9;
    fc = median(mt[f].files.cpu, repeat) / n;
    fw = median(mt[f].files.wall, repeat) / n;
    mc = median(mt[f].merged.cpu, repeat) / n;
    mw = median(mt[f].merged.wall, repeat) / n;
    printf("%-9s %8.2f (%6.2f) %8.2f (%6.2f) %8.2f (%6.2f)\n", FORMAT_NAME[f],
           fc, fw, mc, mw, mc - fc, mw - fw);
  }
}

static int usage(void) {
  fprintf(stderr, "usage: atf_v2_sql_bench [--records N] [--threads K] "
                  "[--detail all|calls|none] [--repeat R] [--no-twins]\n");
  return 2;
}

int main(int argc, char **argv) {
  uint64_t records = 2000000;
  uint32_t threads = 8;
  int detail = ATF_GEN_V2_DETAIL_CALLS, repeat = 3, twins = 1;
  trace tr[F_N];
  static merge_times mt[F_N];
  sqlite3 *db;
  for (int i = 1; i < argc; i++) {
    const char *opt = argv[i], *v;
    if (strcmp(opt, "--no-twins") == 0) {
      twins = 0;
      continue;
    }
    if (i + 1 >= argc) return usage();
    v = argv[++i];
    if (strcmp(opt, "--records") == 0)
      records = strtoull(v, NULL, 10);
    else if (strcmp(opt, "--threads") == 0)
      threads = (uint32_t)strtoul(v, NULL, 10);
    else if (strcmp(opt, "--repeat") == 0)
      repeat = atoi(v);
    else if (strcmp(opt, "--detail") == 0)
      detail = strcmp(v, "all") == 0     ? ATF_GEN_V2_DETAIL_ALL
               : strcmp(v, "calls") == 0 ? ATF_GEN_V2_DETAIL_CALLS
               : strcmp(v, "none") == 0  ? ATF_GEN_V2_DETAIL_NONE
                                         : -1;
    else
      return usage();
  }
  if (repeat < 1 || repeat > MAX_REPEAT || records < 1 || threads < 1 ||
      detail < 0)
    return usage();

  memset(tr, 0, sizeof tr);
  /* v4 and v2 with --detail; the twins trace with detail on every event,
  ** so every event twice. */
  if (v2_traces_prepare(ATF_BENCH_DIR, records, threads, detail, 0,
                        tr[F_V2].dir, tr[F_V4].dir, sizeof tr[F_V2].dir) != 0 ||
      (twins && v2_traces_prepare(ATF_BENCH_DIR, records, threads,
                                  ATF_GEN_V2_DETAIL_ALL, 1, tr[F_TWINS].dir,
                                  NULL, sizeof tr[F_TWINS].dir) != 0))
    return 1;
  tr[F_V4].used = tr[F_V2].used = 1;
  tr[F_TWINS].used = twins;
  if (open_v4(&tr[F_V4]) != 0 || open_v2(&tr[F_V2]) != 0 ||
      (twins && open_v2(&tr[F_TWINS]) != 0))
    return 1;

  if (!(db = open_with_extension("v2_sql_bench"))) return 1;
  printf("ATF v2 against ATF v4, the same seeded events (seed %u, %u "
         "threads); SQLite %s; median of %d runs after a warm-up run\n",
         V2_BENCH_SEED, threads, sqlite3_libversion(), repeat);
  print_load("at start");
  print_traces(tr);
  fflush(stdout);

  /* Run -1 warms (run 0 overwrites its figures); measures and traces
  ** interleave, so that the machine's other work weighs on every trace
  ** alike. */
  for (int r = -1; r < repeat; r++) {
    int slot = r < 0 ? 0 : r;
    for (size_t i = 0; i < N_MEASURES; i++)
      for (int f = 0; f < F_N; f++)
        if (measures[i].on[f] && tr[f].used &&
            run(db, &measures[i], f, &tr[f], slot) != 0)
          return 1;
    for (int f = F_V2; f < F_N; f++)
      if (tr[f].used && time_merge(&tr[f], &mt[f], slot) != 0) return 1;
  }

  print_results(tr, repeat);
  print_merge(tr, mt, repeat);
  print_load("at end");
  printf("(checksum %" PRIu64 ")\n", sink);
  int ok = agree(tr);
  if (ok)
    printf("v4 and v2 agree: atf_calls count, sum(dur), max(depth); "
           "atf_functions rows, calls, returned\n");
  for (int f = F_V2; f < F_N; f++)
    if (tr[f].used) atf_v2_close(&tr[f].v2);
  sqlite3_close(db);
  return ok ? 0 : 1;
}
