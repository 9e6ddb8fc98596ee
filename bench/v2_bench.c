/*
** v2_bench.c - what reading ATF v2 costs at the reader level: the k-way
** merge per record against reading each thread file in its own order (the
** merge's own cost is the difference), detail lookups, the check, and the
** v4 reader over the same seeded events for reference. Figures only.
**
**   build-bench/bench/atf_v2_bench [--records N] [--threads K]
**                                  [--detail all|calls|none] [--repeat R]
**
** Traces are generated once (v2_traces.c: atf_gen_write_v2 and atf_gen_write
** from the same seed) under build-bench/ and reused.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atf_gen.h"
#include "atf_reader.h"
#include "v2_traces.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const atf_error *err) {
  fprintf(stderr, "atf_v2_bench: %s: %s\n", what, err ? err->message : "");
  exit(1);
}

static uint64_t scan_merge_detail(atf_v2_trace *t, uint64_t *n,
                                  uint64_t *linked) {
  atf_v2_merge m;
  atf_v2_event ev;
  uint64_t sum = 0;
  *n = *linked = 0;
  if (atf_v2_merge_init(&m, t, NULL, 0, NULL) != ATF_OK) die("merge", NULL);
  while (atf_v2_merge_next(&m, &ev) == ATF_OK) {
    atf_v2_detail d;
    atf_v2_link link;
    atf_v2_detail_of(t, &ev, &d, &link, NULL);
    if (link == ATF_V2_LINK_OK) {
      sum += d.x_regs[0] + d.stack.len;
      (*linked)++;
    }
    (*n)++;
  }
  atf_v2_merge_free(&m);
  return sum;
}

static uint64_t scan_v4(const char *dir, uint64_t *n, uint64_t *bytes) {
  atf_trace_paths p;
  atf_map map;
  atf_iter it;
  atf_record rec;
  atf_error err;
  uint64_t sum = 0;
  *n = 0;
  if (atf_trace_paths_resolve(dir, &p, &err) != ATF_OK ||
      atf_map_open(p.events_path, &map, &err) != ATF_OK)
    die("v4", &err);
  atf_iter_init(&it, &map);
  while (atf_iter_next(&it, &rec, &err) == ATF_OK) {
    atf_event ev;
    if (atf_event_decode(&rec, &ev, &err) == ATF_OK)
      sum += (uint64_t)ev.ts_ns ^ (uint64_t)ev.thread_id ^ ev.kind;
    (*n)++;
  }
  *bytes = map.size;
  atf_map_close(&map);
  atf_trace_paths_free(&p);
  return sum;
}

static int on_finding(void *user, const atf_finding *f) {
  (void)f;
  (*(uint64_t *)user)++;
  return 0;
}

int main(int argc, char **argv) {
  uint64_t records = 2000000, sink = 0;
  uint32_t threads = 8;
  int detail = ATF_GEN_V2_DETAIL_CALLS, repeat = 3;
  char v2dir[4096], v4dir[4096];
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--records") == 0)
      records = strtoull(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--threads") == 0)
      threads = (uint32_t)strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--repeat") == 0)
      repeat = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--detail") == 0)
      detail = strcmp(argv[i + 1], "all") == 0    ? ATF_GEN_V2_DETAIL_ALL
               : strcmp(argv[i + 1], "none") == 0 ? ATF_GEN_V2_DETAIL_NONE
                                                  : ATF_GEN_V2_DETAIL_CALLS;
    else {
      fprintf(stderr, "usage: atf_v2_bench [--records N] [--threads K] "
                      "[--detail all|calls|none] [--repeat R]\n");
      return 2;
    }
  }
  if (v2_traces_prepare(ATF_BENCH_DIR, records, threads, detail, 0, v2dir,
                        v4dir, sizeof v2dir) != 0)
    die("generate", NULL);

  atf_v2_trace t;
  atf_error err;
  double best_open = 1e9, best_files = 1e9, best_merge = 1e9, best_detail = 1e9,
         best_v4 = 1e9, best_check = 1e9;
  uint64_t n = 0, linked = 0, v4n = 0, v4bytes = 0, findings = 0;
  for (int r = 0; r < repeat; r++) {
    double t0 = now();
    if (atf_v2_open(v2dir, 0, &t, &err) != ATF_OK) die("open", &err);
    double t1 = now();
    if (t1 - t0 < best_open) best_open = t1 - t0;
    sink += v2_scan_files(&t, &n);
    double t2 = now();
    uint64_t merged;
    if (v2_scan_merge(&t, &n, &merged) != 0) die("merge", NULL);
    sink += merged;
    double t3 = now();
    sink += scan_merge_detail(&t, &n, &linked);
    double t4 = now();
    if (t3 - t2 < best_merge) best_merge = t3 - t2;
    if (t4 - t3 < best_detail) best_detail = t4 - t3;
    double t5 = now();
    sink += v2_scan_files(&t, &n);
    double t6 = now();
    if (t6 - t5 < best_files) best_files = t6 - t5;
    atf_v2_close(&t);
    double t7 = now();
    sink += scan_v4(v4dir, &v4n, &v4bytes);
    double t8 = now();
    if (t8 - t7 < best_v4) best_v4 = t8 - t7;
    atf_v2_check_summary cs;
    findings = 0;
    double t9 = now();
    if (atf_v2_check_trace(v2dir, on_finding, &findings, NULL, &cs, &err) !=
        ATF_OK)
      die("check", &err);
    double t10 = now();
    if (t10 - t9 < best_check) best_check = t10 - t9;
  }
  double mb = (double)n * 32 / 1e6;
  printf("ATF v2: %" PRIu64 " records over %u threads (%.0f MB of index), "
         "%" PRIu64 " with detail; best of %d, warm page cache\n",
         n, threads, mb, linked, repeat);
  printf("  open (map, validate, manifest)   %8.2f ms\n", best_open * 1e3);
  printf("  each file in its own order       %8.2f ns/record  %7.0f MB/s\n",
         best_files * 1e9 / (double)n, mb / best_files);
  printf("  k-way merge                      %8.2f ns/record  %7.0f MB/s\n",
         best_merge * 1e9 / (double)n, mb / best_merge);
  printf("  merge cost (merge - own order)   %8.2f ns/record\n",
         (best_merge - best_files) * 1e9 / (double)n);
  printf("  merge + detail_of every record   %8.2f ns/record\n",
         best_detail * 1e9 / (double)n);
  printf("  atf_v2_check_trace               %8.2f ns/record  (%" PRIu64
         " findings)\n",
         best_check * 1e9 / (double)n, findings);
  printf("ATF v4, same events: %" PRIu64 " records (%.0f MB)\n", v4n,
         (double)v4bytes / 1e6);
  printf("  framing + header decode          %8.2f ns/record  %7.0f MB/s\n",
         best_v4 * 1e9 / (double)v4n, (double)v4bytes / 1e6 / best_v4);
  printf("(checksum %" PRIu64 ")\n", sink);
  return 0;
}
