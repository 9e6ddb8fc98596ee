/*
** memory_bench.c - peak resident memory and heap of one full pass, each pass
** in a process of its own, so that the pages one pass touched (its mapping,
** its heap) do not count in the next one's peak.
**
** The parent runs this executable again as `atf_bench --child KIND TRACE AT`
** (fork + exec: a fresh process, nothing of the parent's heap or mappings)
** and reads one line of figures from its stdout. The child opens a fresh
** connection, loads the extension, then resets its peak RSS (VmHWM, through
** /proc/self/clear_refs) and runs the one statement to its end:
** - peak RSS: VmHWM after the statement, and RSS before it (the binary,
**   SQLite and the extension: what any process holding them pays);
** - heap: malloc's heap extent (mallinfo2.arena) grows with the heap's peak
**   and never shrinks here, since the child raises the trim threshold, and
**   raises the mmap threshold to its maximum (32 MiB) so that allocations
**   below it come from that heap too: its growth bounds the peak heap from
**   above (fragmentation included). Blocks over 32 MiB would be malloc's own
**   mmaps, counted only if still held at the end (hblkhd); VmHWM sees them.
**   SQLite's allocator sits on malloc, so SQLite's heap is in it; its own
**   peak (sqlite3_memory_highwater) is printed beside it.
*/
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static const struct {
  const char *key, *label, *sql;
  int full_pass; /* reads the whole trace: MB/s makes sense */
} kinds[MEM_N] = {
    [MEM_INDEX] = {"index", "1st offset = ? (index build)",
                   "SELECT * FROM atf_events(?1) WHERE offset = ?2", 1},
    [MEM_CHECK] = {"check", "atf_check", "SELECT * FROM atf_check(?1)", 1},
    [MEM_SCAN] = {"scan", "SELECT * FROM atf_events",
                  "SELECT * FROM atf_events(?1)", 1},
    [MEM_CALLS] = {"calls", "atf_calls count/sum/max",
                   "SELECT count(*), sum(dur), max(depth) FROM atf_calls(?1)",
                   1},
    [MEM_FUNCTIONS] = {"functions", "atf_functions",
                       "SELECT * FROM atf_functions(?1)", 1},
    [MEM_STACK] = {"stack", "1st atf_stack (checkpoints)",
                   "SELECT * FROM atf_stack(?1, ?2)", 1},
    [MEM_CALL_AT] = {"call-at", "1st atf_calls offset = ?",
                     "SELECT * FROM atf_calls(?1) WHERE offset = ?2", 1},
};

/* ---- the child ----------------------------------------------------------- */

int memory_child(int argc, char **argv) {
  sqlite3 *db;
  sqlite3_stmt *st;
  int kind = -1, rc, ncol;
  uint64_t check = 0, rss0, arena0;
  int64_t rows = 0;
  double t;
  struct mallinfo2 mi;

  /* Before anything else allocates: see the comment at the top. */
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (argc != 3) {
    fprintf(stderr, "atf_bench --child: KIND TRACE AT\n");
    return 2;
  }
  for (int k = 0; k < MEM_N; k++)
    if (strcmp(argv[0], kinds[k].key) == 0) kind = k;
  if (kind < 0) {
    fprintf(stderr, "atf_bench --child: unknown pass %s\n", argv[0]);
    return 2;
  }
  if (!(db = open_with_extension("atf_bench --child"))) return 1;
  if (sqlite3_prepare_v2(db, kinds[kind].sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "atf_bench --child: %s: %s\n", kinds[kind].sql,
            sqlite3_errmsg(db));
    return 1;
  }
  sqlite3_bind_text(st, 1, argv[1], -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count(st) >= 2)
    sqlite3_bind_int64(st, 2, strtoll(argv[2], NULL, 10));
  ncol = sqlite3_column_count(st);

  rss0 = proc_status_kb("VmRSS");
  if (reset_peak_rss() != 0) {
    fprintf(stderr, "atf_bench --child: cannot reset VmHWM: %s\n",
            strerror(errno));
    return 1;
  }
  arena0 = mallinfo2().arena;
  sqlite3_memory_highwater(1);
  t = now_s();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    check += touch_row(st, ncol);
    rows++;
  }
  t = now_s() - t;
  if (rc != SQLITE_DONE) {
    fprintf(stderr, "atf_bench --child: %s: %s\n", kinds[kind].sql,
            sqlite3_errmsg(db));
    return 1;
  }
  mi = mallinfo2();
  printf("%.6f %" PRIu64 " %" PRIu64 " %lld %" PRIu64 " %" PRIu64 " %" PRId64
         " %" PRIx64 "\n",
         t, rss0, proc_status_kb("VmHWM"),
         (long long)sqlite3_memory_highwater(0), (uint64_t)mi.arena - arena0,
         (uint64_t)mi.hblkhd, rows, check);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return 0;
}

/* ---- the parent ---------------------------------------------------------- */

/* Runs one child for KIND with AT and reads its figures into M. */
static int run_child(const bench *b, int kind, uint64_t at, child_mem *m) {
  int fd[2], status;
  char at_s[32], line[512];
  FILE *f;
  pid_t pid;
  unsigned long long rss0, hwm, arena, mmapped;
  long long sqlite_hw, rows;
  snprintf(at_s, sizeof at_s, "%" PRIu64, at);
  fflush(stdout);
  if (pipe(fd) != 0) return -1;
  pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    char *args[] = {"atf_bench",          "--child", (char *)kinds[kind].key,
                    (char *)b->trace_dir, at_s,      NULL};
    close(fd[0]);
    if (dup2(fd[1], STDOUT_FILENO) < 0) _exit(127);
    close(fd[1]);
    execv("/proc/self/exe", args);
    _exit(127);
  }
  close(fd[1]);
  f = fdopen(fd[0], "r");
  if (!f) return -1;
  int got = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0 || !got ||
      sscanf(line, "%lf %llu %llu %lld %llu %llu %lld", &m->wall_s, &rss0, &hwm,
             &sqlite_hw, &arena, &mmapped, &rows) != 7) {
    fprintf(stderr, "atf_bench: the %s child failed\n", kinds[kind].key);
    return -1;
  }
  m->run = 1;
  m->rss0_mb = mb(rss0);
  m->hwm_mb = mb(hwm);
  m->sqlite_mb = mb((uint64_t)sqlite_hw);
  m->arena_mb = mb(arena);
  m->mmap_mb = mb(mmapped);
  m->rows = rows;
  return 0;
}

/* The first function_call at or after OFFSET (0 when there is none). */
static uint64_t call_at_or_after(bench *b, uint64_t offset) {
  sqlite3_stmt *st;
  uint64_t at = 0;
  if (prepare(b,
              "SELECT offset FROM atf_events(?1) WHERE offset >= ?2 AND "
              "kind = 'function_call' LIMIT 1",
              &st) != 0)
    return 0;
  sqlite3_bind_int64(st, 2, (sqlite3_int64)offset);
  if (sqlite3_step(st) == SQLITE_ROW)
    at = (uint64_t)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return at;
}

int measure_memory(bench *b) {
  uint64_t at[MEM_N] = {0};
  if (b->n_sample < 2) return 0;
  at[MEM_INDEX] = b->sample[0];
  at[MEM_STACK] = b->sample[1];
  at[MEM_CALL_AT] = call_at_or_after(b, b->sample[1]);
  printf("\nmemory of each pass, each in a fresh process (atf_bench --child): "
         "wall time on a fresh connection;\n"
         "peak RSS = VmHWM, reset after the connection opened; heap = growth "
         "of malloc's heap extent (never trimmed there)\n");
  printf("  %-30s %9s %8s %10s %11s %11s %10s\n", "pass", "wall s", "MB/s",
         "RSS before", "peak RSS", "+ over bef.", "heap MB");
  for (int k = 0; k < MEM_N; k++) {
    child_mem *m = &b->mem[k];
    char mbs[32] = "-";
    if (run_child(b, k, at[k], m) != 0) return -1;
    if (kinds[k].full_pass && m->wall_s > 0)
      snprintf(mbs, sizeof mbs, "%.1f", mb(b->file_bytes) / m->wall_s);
    printf("  %-30s %9.3f %8s %7.1f MB %8.1f MB %8.1f MB %7.2f MB  (SQLite "
           "peak %.2f MB; %" PRId64 " rows)\n",
           kinds[k].label, m->wall_s, mbs, m->rss0_mb, m->hwm_mb,
           m->hwm_mb - m->rss0_mb, fmax(m->arena_mb + m->mmap_mb, m->sqlite_mb),
           m->sqlite_mb, m->rows);
  }
  if (b->file_bytes <= ATF_KEEP_MAPPED_BYTES)
    printf("  (events.bin is under the keep-mapped bound of 1 GiB: its pages "
           "stay mapped, so peak RSS includes the file)\n");
  fflush(stdout);
  return 0;
}
