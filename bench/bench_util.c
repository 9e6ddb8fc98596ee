/*
** bench_util.c - see bench.h: timing, memory probes, the row printer and
** the targets of atf_bench.
*/
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"

double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

uint64_t prng_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545f4914f6cdd1dull;
}

int wanted(const bench *b, const char *key) {
  return !b->only || strcmp(b->only, key) == 0;
}

int sql_fail(const bench *b, const char *what) {
  fprintf(stderr, "atf_bench: %s: %s\n", what, sqlite3_errmsg(b->db));
  return -1;
}

int reader_fail(const char *what, const atf_error *err) {
  fprintf(stderr, "atf_bench: %s: %s\n", what, err->message);
  return -1;
}

double mb(uint64_t bytes) { return (double)bytes / 1e6; }

void print_row(const char *name, double wall, uint64_t bytes, uint64_t events,
               double ratio_v, const char *ratio_of, const char *note) {
  char mbs[32] = "-", nse[32] = "-", ratio[32] = "-";
  if (bytes && wall > 0) snprintf(mbs, sizeof mbs, "%.1f", mb(bytes) / wall);
  if (events && wall > 0)
    snprintf(nse, sizeof nse, "%.1f", wall * 1e9 / (double)events);
  if (ratio_of && !isnan(ratio_v) && !isinf(ratio_v))
    snprintf(ratio, sizeof ratio, "%.2f", ratio_v);
  printf("%-34s %9.3f %9s %9s %8s  %s%s%s\n", name, wall, mbs, nse, ratio,
         ratio_of ? ratio_of : "", ratio_of && note && *note ? "; " : "",
         note ? note : "");
  fflush(stdout);
}

/* ---- memory probes ------------------------------------------------------- */

/* uordblks counts chunks in the brk/arena heaps, hblkhd those malloc served
** with their own mmap (large ones). */
uint64_t malloc_in_use(void) {
  struct mallinfo2 mi = mallinfo2();
  return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

uint64_t proc_status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  uint64_t kb = 0;
  size_t klen = strlen(key);
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      kb = strtoull(line + klen + 1, NULL, 10);
      break;
    }
  fclose(f);
  return kb * 1024;
}

/* A scan of a mapping pays one per page it touches first (a few pages each,
** with fault-around). */
long minor_faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

uint64_t ru_maxrss_bytes(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)ru.ru_maxrss * 1024;
}

int reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  int ok;
  if (!f) return -1;
  ok = fputs("5", f) >= 0;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* ---- SQL ----------------------------------------------------------------- */

int prepare(bench *b, const char *sql, sqlite3_stmt **st) {
  if (sqlite3_prepare_v2(b->db, sql, -1, st, NULL) != SQLITE_OK)
    return sql_fail(b, sql);
  if (sqlite3_bind_parameter_count(*st) >= 1 &&
      sqlite3_bind_text(*st, 1, b->trace_dir, -1, SQLITE_STATIC) != SQLITE_OK)
    return sql_fail(b, "bind");
  return 0;
}

int time_one_row(bench *b, const char *sql, double *best, long *faults,
                 sqlite3_int64 *out, int *is_null, int n) {
  sqlite3_stmt *st;
  if (prepare(b, sql, &st) != 0) return -1;
  *best = INFINITY;
  for (int r = 0; r < b->repeat; r++) {
    long f = minor_faults();
    double t = now_s();
    int rc = sqlite3_step(st);
    t = now_s() - t;
    f = minor_faults() - f;
    if (rc != SQLITE_ROW) {
      sql_fail(b, sql);
      sqlite3_finalize(st);
      return -1;
    }
    for (int i = 0; i < n; i++) {
      out[i] = sqlite3_column_int64(st, i);
      if (is_null) is_null[i] = sqlite3_column_type(st, i) == SQLITE_NULL;
    }
    sqlite3_reset(st);
    if (t < *best) *best = t, *faults = f;
  }
  sqlite3_finalize(st);
  return 0;
}

uint64_t touch_row(sqlite3_stmt *st, int ncol) {
  uint64_t sum = 0;
  for (int i = 0; i < ncol; i++) {
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: sum += (uint64_t)sqlite3_column_int64(st, i); break;
    case SQLITE_FLOAT: sum += (uint64_t)sqlite3_column_double(st, i); break;
    case SQLITE_TEXT: {
      const unsigned char *s = sqlite3_column_text(st, i);
      int n = sqlite3_column_bytes(st, i);
      sum += (uint64_t)n + (n > 0 ? s[n - 1] : 0);
      break;
    }
    case SQLITE_BLOB: {
      const unsigned char *p = sqlite3_column_blob(st, i);
      int n = sqlite3_column_bytes(st, i);
      sum += (uint64_t)n + (n > 0 ? p[0] : 0);
      break;
    }
    default: sum++; break;
    }
  }
  return sum;
}

int64_t records_framed(bench *b) {
  sqlite3_stmt *st;
  int64_t n = -1;
  if (sqlite3_prepare_v2(b->db, "SELECT atf_stats() ->> '$.records_framed'", -1,
                         &st, NULL) != SQLITE_OK)
    return -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

void print_plan(bench *b, const char *sql) {
  char q[2048];
  sqlite3_stmt *st;
  snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
  if (sqlite3_prepare_v2(b->db, q, -1, &st, NULL) != SQLITE_OK) return;
  while (sqlite3_step(st) == SQLITE_ROW)
    printf("  plan: %s\n", (const char *)sqlite3_column_text(st, 3));
  sqlite3_finalize(st);
}

/* ---- targets ------------------------------------------------------------- */

#define MAX_TARGETS 64

typedef struct target_rec {
  char issue[8], what[80], unit[16], note[120];
  int higher;
  double limit, value;
} target_rec;

static target_rec targets[MAX_TARGETS];
static int n_targets;

void target_line(const char *issue, const char *what, int higher, double limit,
                 double value, const char *unit, const char *note) {
  char t[48], v[48] = "not measured", verdict[160] = "";
  snprintf(t, sizeof t, "%s %g %s", higher ? ">=" : "<=", limit, unit);
  if (isnan(value)) {
    /* "not measured" */
  } else if (note && *note) {
    snprintf(v, sizeof v, "%.2f %s", value, unit);
    snprintf(verdict, sizeof verdict, "n/a: %s", note);
  } else {
    int met = higher ? value >= limit : value <= limit;
    double by = higher ? limit / value : value / limit;
    snprintf(v, sizeof v, "%.2f %s", value, unit);
    if (met)
      snprintf(verdict, sizeof verdict, "met");
    else
      snprintf(verdict, sizeof verdict, "MISSED by %.2fx", by);
  }
  printf("  #%-3s %-40s %-16s %-18s %s\n", issue, what, t, v, verdict);
  if (n_targets < MAX_TARGETS) {
    target_rec *r = &targets[n_targets++];
    snprintf(r->issue, sizeof r->issue, "%s", issue);
    snprintf(r->what, sizeof r->what, "%s", what);
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    snprintf(r->note, sizeof r->note, "%s", note ? note : "");
    r->higher = higher;
    r->limit = limit;
    r->value = value;
  }
}

void print_target_records(void) {
  for (int i = 0; i < n_targets; i++) {
    const target_rec *r = &targets[i];
    printf("TARGET\t%s\t%s\t%s\t%.17g\t%.17g\t%s\t%s\n", r->issue, r->what,
           r->higher ? ">=" : "<=", r->limit, r->value, r->unit, r->note);
  }
}

sqlite3 *open_with_extension(const char *who) {
  sqlite3 *db = NULL;
  char *err = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    fprintf(stderr, "%s: cannot open an in-memory database\n", who);
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, ATF_EXTENSION_PATH, "sqlite3_atf_init",
                             &err) != SQLITE_OK) {
    fprintf(stderr, "%s: loading %s: %s\n", who, ATF_EXTENSION_PATH,
            err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    return NULL;
  }
  return db;
}
