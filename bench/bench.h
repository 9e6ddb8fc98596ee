/*
** bench.h - what the files of atf_bench share: the run's state, timing and
** memory probes, the table's row printer and the targets.
**
** atf_bench.c      main, the trace, atf_events against its baselines
** calls_bench.c    the call tables (issue 8) against the SQL a user writes
** memory_bench.c   peak resident memory and heap of one pass, each in a
**                  process of its own
** bench_util.c     the helpers below
*/
#ifndef ATF_BENCH_H
#define ATF_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "atf_reader.h"

#ifndef ATF_EXTENSION_PATH
#error "ATF_EXTENSION_PATH: the path of atf.so, set by bench/CMakeLists.txt"
#endif

typedef struct hot_totals {
  int64_t count, sum_thread_id, count_symbol;
  int64_t max_ts;
  int has_max_ts; /* max(ts) is NULL when no event has a timestamp */
} hot_totals;

/* One pass measured in a process of its own (memory_bench.c). */
typedef struct child_mem {
  int run;          /* 1 when measured */
  double wall_s;    /* the statement, on the child's fresh connection */
  double rss0_mb;   /* resident before the statement (binary, SQLite, ext) */
  double hwm_mb;    /* peak resident during it (VmHWM, reset before) */
  double sqlite_mb; /* sqlite3_memory_highwater over the statement */
  double arena_mb;  /* growth of malloc's heap extent (never trimmed in the
                       child): an upper bound of the peak heap */
  double mmap_mb;   /* malloc's own mmaps still held at the end */
  int64_t rows;
} child_mem;

enum {
  MEM_INDEX,     /* first offset = ? on a fresh connection: the index */
  MEM_CHECK,     /* atf_check */
  MEM_SCAN,      /* SELECT * FROM atf_events */
  MEM_CALLS,     /* count(*), sum(dur), max(depth) FROM atf_calls */
  MEM_FUNCTIONS, /* SELECT * FROM atf_functions */
  MEM_STACK,     /* first atf_stack: builds the call checkpoints */
  MEM_CALL_AT,   /* first atf_calls WHERE offset = ?: the same */
  MEM_N
};

typedef struct bench {
  /* options */
  uint64_t want_events;
  const char *trace_opt;
  const char *only;
  int repeat;
  uint64_t baseline_max_bytes; /* the SQL baselines of the call tables read
                                  at most this much of the trace */
  /* the trace */
  char trace_dir[4096];
  char *events_path;
  uint64_t file_bytes;
  uint64_t events;  /* records framed */
  uint64_t *sample; /* LOOKUPS offsets picked by reservoir sampling */
  uint32_t n_sample;
  sqlite3 *db;
  /* results, NAN when not measured */
  double framing_s, count_s, hot_s, select_s, pbc_s, index_s, reader_lookup_s;
  double lookup_us, first_lookup_us, ts_range_us, id_range_us;
  double native_build_s, native_hot_s, native_hot_per_event_s;
  double heap_mb, sqlite_heap_mb, rss_mb, vmhwm_mb;
  int rss_reset; /* whether VmHWM was reset before the scan */
  hot_totals hot;
  int have_hot;
  /* the call tables (calls_bench.c) */
  double calls_s, window_s, window_per_byte_ratio;
  double functions_s, functions_sql_s, functions_per_byte_ratio;
  double ckpt_build_s, ckpt_mb, index_mb, ckpt_first_sql_s;
  double stack_ms, stack_max_ms, call_at_ms, call_at_max_ms;
  /* memory of each pass in its own process (memory_bench.c) */
  child_mem mem[MEM_N];
} bench;

/* ---- helpers (bench_util.c) ---------------------------------------------- */

double now_s(void);
/* CPU time of this thread: what a query cost without the time the machine's
** other work took the core from it. */
double cpu_s(void);
/* xorshift64*: a fixed seed picks the same offsets on every run. */
uint64_t prng_next(uint64_t *s);
int wanted(const bench *b, const char *key);
int sql_fail(const bench *b, const char *what);
int reader_fail(const char *what, const atf_error *err);
double mb(uint64_t bytes); /* 1 MB = 1e6 bytes */

/* One line of the table. RATIO is this measure's time over that of the
** baseline RATIO_OF names (NULL: no ratio; NAN: baseline not run).
** Per-operation measures pass bytes = events = 0 and put their figure in
** NOTE. */
void print_row(const char *name, double wall, uint64_t bytes, uint64_t events,
               double ratio_v, const char *ratio_of, const char *note);

/* Bytes malloc holds now (arenas and its own mmaps): SQLite's default
** allocator sits on malloc, so this includes SQLite's heap. */
uint64_t malloc_in_use(void);
/* A "VmXXX:   123 kB" line of /proc/self/status, in bytes (0 if absent). */
uint64_t proc_status_kb(const char *key);
long minor_faults(void); /* page faults served from the page cache so far */
uint64_t ru_maxrss_bytes(void);
/* Resets VmHWM (and ru_maxrss) to the current RSS; 0 when it worked
** (Linux >= 4.0). */
int reset_peak_rss(void);

/* An in-memory database with the extension (ATF_EXTENSION_PATH) loaded;
** NULL, after a message that starts with WHO, when it cannot be had. */
sqlite3 *open_with_extension(const char *who);
/* Prepares SQL on b->db, binding the trace to ?1 when SQL has parameters. */
int prepare(bench *b, const char *sql, sqlite3_stmt **st);
/* Runs a one-row query REPEAT times (best time in *BEST, the page faults of
** that run in *FAULTS), leaving its row's values in OUT (up to N of them). */
int time_one_row(bench *b, const char *sql, double *best, long *faults,
                 sqlite3_int64 *out, int *is_null, int n);
/* Touches every column of the current row as a client that reads the values
** does; returns a checksum so that nothing is skipped. */
uint64_t touch_row(sqlite3_stmt *st, int ncol);
/* "records_framed" of atf_stats(): how much a query read; -1 if unknown. */
int64_t records_framed(bench *b);
/* Prints the plan SQLite chose for SQL (what reached the table). */
void print_plan(bench *b, const char *sql);

/*
** Targets: target_line prints one line of the targets table (the figure, met
** or missed by how much) and remembers it; print_target_records then prints
** them all as TARGET lines for bench/targets.py (scripts/bench gathers them
** with those of the Python scripts into one section at the end). HIGHER: 1
** when more is better. NOTE, when set, replaces the verdict (a target that
** does not apply to this trace, and why).
*/
void target_line(const char *issue, const char *what, int higher, double limit,
                 double value, const char *unit, const char *note);
void print_target_records(void);

/* ---- the measures of the other files ------------------------------------- */

/* calls_bench.c: each prints its rows; 0, or -1 when something failed. */
int measure_calls(bench *b);
int measure_functions(bench *b);
int measure_checkpoints(bench *b);
int measure_stack(bench *b);

/* memory_bench.c: runs each pass in a child process (this executable with
** --child) and prints its memory. */
int measure_memory(bench *b);
/* The child's side: ARGV after "--child". Prints one line of figures for
** the parent; returns the exit code. */
int memory_child(int argc, char **argv);

#endif
