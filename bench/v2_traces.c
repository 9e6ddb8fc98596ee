/*
** v2_traces.c - see v2_traces.h.
*/
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "atf_gen.h"
#include "v2_traces.h"

static int exists(const char *dir, const char *name) {
  char path[4400];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return stat(path, &st) == 0;
}

int v2_traces_prepare(const char *base, uint64_t records, uint32_t threads,
                      int detail, int twins, char *v2dir, char *v4dir,
                      size_t len) {
  atf_gen_options o;
  atf_gen_options_default(&o);
  o.seed = V2_BENCH_SEED;
  o.events = records + 3; /* trace_start, the signal, trace_end: v4 only */
  o.threads = threads;
  o.stack_max = 128;
  o.v2_detail = detail;
  o.v2_twins = twins;
  snprintf(v2dir, len, "%s/v2_bench_%" PRIu64 "_%u_%d%s", base, records,
           threads, detail, twins ? "_twins" : "");
  if (!exists(v2dir, "manifest.json")) {
    atf_gen_v2_stats st;
    printf("generating %s...\n", v2dir);
    fflush(stdout);
    if (atf_gen_write_v2(v2dir, &o, &st) != 0) return -1;
    printf("  %" PRIu64 " index records, %" PRIu64 " detail records\n",
           st.records, st.details);
  }
  if (!v4dir) return 0;
  snprintf(v4dir, len, "%s/v4_bench_%" PRIu64 "_%u", base, records, threads);
  if (!exists(v4dir, "trace.json")) {
    printf("generating %s...\n", v4dir);
    fflush(stdout);
    if (atf_gen_write(v4dir, &o, NULL, NULL) != 0) return -1;
  }
  return 0;
}

uint64_t v2_scan_files(const atf_v2_trace *t, uint64_t *n) {
  uint64_t sum = 0;
  *n = 0;
  for (size_t i = 0; i < t->thread_count; i++) {
    const atf_v2_thread *th = &t->threads[i];
    for (uint64_t k = 0; k < th->index.records; k++) {
      atf_v2_event ev;
      atf_v2_event_decode(th->index_map.data + 64 + 32 * k, th->slot, k, &ev);
      sum += ev.ts_ns ^ ev.function_id ^ ev.call_depth;
      (*n)++;
    }
  }
  return sum;
}

int v2_scan_merge(const atf_v2_trace *t, uint64_t *n, uint64_t *sum) {
  atf_v2_merge m;
  atf_v2_event ev;
  atf_error err;
  *n = *sum = 0;
  if (atf_v2_merge_init(&m, t, NULL, 0, &err) != ATF_OK) {
    fprintf(stderr, "merge: %s\n", err.message);
    return -1;
  }
  while (atf_v2_merge_next(&m, &ev) == ATF_OK) {
    *sum += ev.ts_ns ^ ev.function_id ^ ev.call_depth;
    (*n)++;
  }
  atf_v2_merge_free(&m);
  return 0;
}
