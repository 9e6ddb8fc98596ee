/*
** atf_gen_v2.c - the generator's events written as an ATF v2 trace, laid out
** byte for byte as the ADA tracer's v2 writer and drain thread lay out
** theirs (tests/fixtures/atf2/README.md), from the same seeded stream as
** atf_gen_write's ATF v4 output (see atf_gen.h for the mapping).
**
** Streaming: each thread's files are written as events come (stdio
** buffers, a placeholder header first); finalizing rewrites the headers and
** appends the footers, as the tracer does when a session is stopped.
*/
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atf_gen.h"

#define MAX_SLOTS 64 /* the tracer's thread registry */
#define NO_DETAIL 0xFFFFFFFFu
#define STACK_WINDOW 128
#define DETAIL_RECORD_BYTES 540 /* 24-byte header + 516-byte DetailEvent */
#define TWIN_BATCH 8 /* events a drain pass takes from a lane (default) */
#define FILE_BUFFER (256 << 10)

enum { KIND_CALL = 1, KIND_RETURN = 2, ARCH_X86_64 = 1, OS_LINUX = 4 };

/* The three modules the generator's symbols lie in (atf_gen_symbol_region):
** path, base address and size as the manifest gives them. */
static const char *const module_paths[3] = {
    "/opt/ada/bin/sample-server", "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "[kernel.kallsyms]"};
static const uint64_t module_bases[3] = {
    0x0000555555554000ull, 0x00007ffff7c00000ull, 0xffffffff81000000ull};
static const uint64_t module_sizes[3] = {0x200000, 0x1c0000, 0x1000000};

/* One event as v2 holds it. */
typedef struct v2_event {
  uint64_t ts, function_id;
  uint32_t kind, depth;
  int detail;
  uint32_t os_tid;
  uint64_t x_regs[8], lr, fp, sp;
  uint8_t stack[STACK_WINDOW];
  uint32_t stack_size;
} v2_event;

typedef struct v2_thread {
  FILE *index, *detail;
  char *index_path, *detail_path;
  uint64_t records, details;
  uint64_t first_ts, last_ts;     /* index records, in file order */
  uint64_t d_first_ts, d_last_ts; /* detail records, in file order */
  uint64_t d_seq_min, d_seq_max;
  v2_event *batch; /* v2_twins: events waiting for a drain */
  uint32_t batched;
} v2_thread;

typedef struct v2_writer {
  const char *dir;
  const atf_gen_options *o;
  v2_thread slots[MAX_SLOTS];
  uint32_t module_ids[3];
  uint32_t *symbol_index; /* per generator symbol, from 1 per module */
  uint32_t last_slot;
  uint64_t twin_rng;
  atf_gen_v2_stats stats;
} v2_writer;

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* The tracer's module id: FNV-1a 32 of the path, ASCII letters lower-cased,
** 0 replaced by 0x9e3779b9. */
static uint32_t module_id_of(const char *path) {
  uint32_t h = 0x811c9dc5u;
  for (const char *p = path; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    h = (h ^ c) * 0x01000193u;
  }
  return h ? h : 0x9e3779b9u;
}

static int write_all(FILE *f, const void *p, size_t n, const char *path) {
  if (fwrite(p, 1, n, f) == n) return 0;
  fprintf(stderr, "atf_gen: %s: write failed: %s\n", path, strerror(errno));
  return -1;
}

/* ---- headers and footers ---------------------------------------------- */

static void index_header(uint8_t h[64], uint32_t slot, const v2_thread *t,
                         int final) {
  memset(h, 0, 64);
  memcpy(h, "ATI2", 4);
  h[4] = 1; /* little-endian */
  h[5] = 1; /* version */
  h[6] = ARCH_X86_64;
  h[7] = OS_LINUX;
  put32(h + 8, final && t->detail ? 1 : 0); /* set only when finalized */
  put32(h + 12, slot);
  h[16] = 1; /* clock_type: the drain hard-codes 1 */
  put32(h + 24, 32);
  put32(h + 28, final ? (uint32_t)t->records : 0);
  put64(h + 32, 64);
  put64(h + 40, final ? 64 + 32 * t->records : 64);
  put64(h + 48, final ? t->first_ts : 0);
  put64(h + 56, final ? t->last_ts : 0);
}

static void index_footer(uint8_t f[64], const v2_thread *t) {
  memset(f, 0, 64);
  memcpy(f, "2ITA", 4);
  put64(f + 8, t->records);
  put64(f + 16, t->first_ts);
  put64(f + 24, t->last_ts);
  put64(f + 32, 32 * t->records);
}

static void detail_header(uint8_t h[64], uint32_t slot, const v2_thread *t,
                          int final) {
  memset(h, 0, 64);
  memcpy(h, "ATD2", 4);
  h[4] = 1;
  h[5] = 1;
  h[6] = ARCH_X86_64;
  h[7] = OS_LINUX;
  put32(h + 12, slot);
  put64(h + 20, 64);
  if (!final) return;
  put64(h + 28, t->details);
  put64(h + 36, t->details * DETAIL_RECORD_BYTES);
  put64(h + 44, t->d_seq_min);
  put64(h + 52, t->d_seq_max);
}

static void detail_footer(uint8_t f[64], const v2_thread *t) {
  memset(f, 0, 64);
  memcpy(f, "2DTA", 4);
  put64(f + 8, t->details);
  put64(f + 16, t->details * DETAIL_RECORD_BYTES);
  put64(f + 24, t->d_first_ts);
  put64(f + 32, t->d_last_ts);
}

/* ---- files -------------------------------------------------------------- */

static int make_dir(const char *path) {
  if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
  fprintf(stderr, "atf_gen: cannot create %s: %s\n", path, strerror(errno));
  return -1;
}

static char *path_of(const char *dir, uint32_t slot, const char *name) {
  size_t n = strlen(dir) + 64;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/thread_%" PRIu32 "%s%s", dir, slot, name ? "/" : "",
             name ? name : "");
  return p;
}

static FILE *open_with_header(const char *path, const uint8_t h[64]) {
  FILE *f = fopen(path, "wb+");
  if (!f) {
    fprintf(stderr, "atf_gen: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  setvbuf(f, NULL, _IOFBF, FILE_BUFFER);
  if (write_all(f, h, 64, path) != 0) {
    fclose(f);
    return NULL;
  }
  return f;
}

/* The thread's writer, made on its first event as the drain makes it. */
static v2_thread *thread_of(v2_writer *w, uint32_t slot) {
  v2_thread *t = &w->slots[slot];
  uint8_t h[64];
  char *tdir;
  if (t->index) return t;
  tdir = path_of(w->dir, slot, NULL);
  t->index_path = path_of(w->dir, slot, "index.atf");
  t->detail_path = path_of(w->dir, slot, "detail.atf");
  if (!tdir || !t->index_path || !t->detail_path || make_dir(tdir) != 0) {
    free(tdir);
    return NULL;
  }
  free(tdir);
  index_header(h, slot, t, 0);
  t->index = open_with_header(t->index_path, h);
  if (t->index) w->stats.threads++;
  return t->index ? t : NULL;
}

/* Appends one index record, and its detail record when WITH_DETAIL. */
static int write_record(v2_writer *w, uint32_t slot, const v2_event *e,
                        int with_detail) {
  v2_thread *t = thread_of(w, slot);
  uint8_t r[32], d[DETAIL_RECORD_BYTES];
  uint32_t detail_seq = with_detail ? (uint32_t)t->details : NO_DETAIL;
  if (!t) return -1;
  if (with_detail && !t->detail) {
    uint8_t h[64];
    detail_header(h, slot, t, 0);
    t->detail = open_with_header(t->detail_path, h);
    if (!t->detail) return -1;
  }
  put64(r, e->ts);
  put64(r + 8, e->function_id);
  put32(r + 16, slot);
  put32(r + 20, e->kind);
  put32(r + 24, e->depth);
  put32(r + 28, detail_seq);
  if (write_all(t->index, r, 32, t->index_path) != 0) return -1;
  if (t->records == 0) t->first_ts = e->ts;
  t->last_ts = e->ts;
  w->last_slot = slot;
  w->stats.records++;
  if (with_detail) {
    uint8_t *p = d + 24;
    memset(d, 0, sizeof d);
    put32(d, DETAIL_RECORD_BYTES);
    put16(d + 4, e->kind == KIND_RETURN ? 4 : 3);
    put32(d + 8, (uint32_t)t->records); /* back link: its index record */
    put32(d + 12, slot);
    put64(d + 16, e->ts);
    put64(p, e->ts); /* the DetailEvent, as the agent fills it */
    put64(p + 8, e->function_id);
    put32(p + 16, e->os_tid);
    put32(p + 20, e->kind);
    put32(p + 24, e->depth);
    for (int i = 0; i < 8; i++)
      put64(p + 32 + 8 * i, e->x_regs[i]);
    put64(p + 96, e->lr);
    put64(p + 104, e->fp);
    put64(p + 112, e->sp);
    memcpy(p + 120, e->stack, e->stack_size);
    put32(p + 248, e->stack_size);
    if (write_all(t->detail, d, sizeof d, t->detail_path) != 0) return -1;
    if (t->details == 0) {
      t->d_first_ts = e->ts;
      t->d_seq_min = t->records;
    }
    t->d_last_ts = e->ts;
    t->d_seq_max = t->records;
    t->details++;
    w->stats.details++;
  }
  t->records++;
  return 0;
}

/* A drain pass over the first N events of one thread's lanes: the index
** lane's copies (no detail), then the detail lane's (detail, a timestamp
** the agent took 40 to 399 ns later, but before the thread's next event:
** t->batch[N] when there is one). The events after N stay. */
static int drain_batch(v2_writer *w, uint32_t slot, uint32_t n) {
  v2_thread *t = &w->slots[slot];
  for (uint32_t i = 0; i < n; i++)
    if (write_record(w, slot, &t->batch[i], 0) != 0) return -1;
  for (uint32_t i = 0; i < n; i++) {
    v2_event e = t->batch[i];
    uint64_t later = 40 + mix(w->twin_rng++) % 360;
    if (!e.detail) continue;
    if (i + 1 < t->batched && t->batch[i + 1].ts >= e.ts &&
        t->batch[i + 1].ts - e.ts < later)
      later = t->batch[i + 1].ts - e.ts;
    e.ts += later;
    if (write_record(w, slot, &e, 1) != 0) return -1;
  }
  memmove(t->batch, t->batch + n, (t->batched - n) * sizeof *t->batch);
  t->batched -= n;
  return 0;
}

/* ---- events -------------------------------------------------------------- */

static int wants_detail(const atf_gen_options *o, uint32_t kind) {
  if (o->v2_detail == ATF_GEN_V2_DETAIL_NONE) return 0;
  return kind == KIND_CALL || o->v2_detail == ATF_GEN_V2_DETAIL_ALL;
}

/* The register named NAME of a call's argument map. */
static uint64_t call_register(const FunctionCall *c, const char *name) {
  for (size_t i = 0; i < c->n_argument_registers; i++)
    if (strcmp(c->argument_registers[i]->key, name) == 0)
      return c->argument_registers[i]->value;
  return 0;
}

/* EV (a call or a return) as v2 holds it. */
static void convert(v2_writer *w, const atf_gen *g, const Event *ev,
                    const atf_gen_event_info *info, uint64_t ordinal,
                    v2_event *e) {
  static const char *const x86_args[6] = {"rdi", "rsi", "rdx",
                                          "rcx", "r8",  "r9"};
  uint32_t sym = info->symbol;
  int region = atf_gen_symbol_region(sym);
  /* rsp and rbp are not in the v4 events: drawn from their own stream, so
  ** that the v4 bytes stay what they are. */
  uint64_t rsp =
      0x00007ffc00000000ull |
      (mix(w->o->seed ^ (ordinal * 0x2545f4914f6cdd1dull)) & 0x3fffffff0ull);
  memset(e, 0, sizeof *e);
  e->ts =
      (uint64_t)(ev->timestamp->seconds * 1000000000ll + ev->timestamp->nanos);
  e->function_id = (uint64_t)w->module_ids[region] << 32 | w->symbol_index[sym];
  e->depth = info->call_depth;
  e->os_tid = (uint32_t)(atf_gen_pid(g) + info->thread);
  if (ev->payload_case == EVENT__PAYLOAD_FUNCTION_CALL) {
    const FunctionCall *c = ev->function_call;
    e->kind = KIND_CALL;
    for (int i = 0; i < 6; i++)
      e->x_regs[i] = call_register(c, x86_args[i]);
    e->x_regs[6] = e->fp = rsp + 0x40; /* rbp */
    e->x_regs[7] = e->sp = rsp;        /* rsp */
    e->stack_size = c->stack_shallow_copy.len < STACK_WINDOW
                        ? (uint32_t)c->stack_shallow_copy.len
                        : STACK_WINDOW;
    if (e->stack_size)
      memcpy(e->stack, c->stack_shallow_copy.data, e->stack_size);
  } else {
    const FunctionReturn *r = ev->function_return;
    e->kind = KIND_RETURN;
    e->x_regs[0] = r->n_return_registers ? r->return_registers[0]->value : 0;
    e->sp = rsp;
  }
  e->detail = wants_detail(w->o, e->kind);
}

/* ---- manifest.json ---------------------------------------------------------
 */

/* The symbol's name as export_to_json escapes it (", \, newline, CR, tab). */
static void put_name(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    default: fputc(*s, f);
    }
  }
}

static void upper_uuid(const char *in, char out[37]) {
  for (int i = 0; i < 36; i++)
    out[i] = (in[i] >= 'a' && in[i] <= 'f') ? (char)(in[i] - 'a' + 'A') : in[i];
  out[36] = 0;
}

static int write_manifest(v2_writer *w, const atf_gen *g) {
  size_t n = atf_gen_symbol_count(), len = strlen(w->dir) + 16;
  char *path = malloc(len), uuid[3][37];
  uint32_t *order = malloc(n * sizeof *order);
  uint64_t rng = w->o->seed ^ 0x73796d626f6c73ull; /* "symbols" */
  FILE *f = NULL;
  int first = 1, rc = -1;
  if (!path || !order) goto done;
  snprintf(path, len, "%s/manifest.json", w->dir);
  f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "atf_gen: %s: %s\n", path, strerror(errno));
    goto done;
  }
  upper_uuid(atf_gen_module_uuid(g, 0), uuid[0]);
  upper_uuid(atf_gen_module_uuid(g, 1), uuid[1]);
  snprintf(uuid[2], sizeof uuid[2],
           "%08" PRIX64 "-%04" PRIX64 "-4%03" PRIX64 "-A%03" PRIX64
           "-%012" PRIX64,
           mix(rng) >> 32, mix(rng + 1) & 0xffff, mix(rng + 2) & 0xfff,
           mix(rng + 3) & 0xfff, mix(rng + 4) & (uint64_t)0xffffffffffff);
  fprintf(f, "{\n  \"threads\": [\n");
  for (uint32_t s = 0; s < MAX_SLOTS; s++) {
    if (!w->slots[s].index) continue;
    fprintf(f, "%s    {\"id\": %" PRIu32 ", \"has_detail\": true}",
            first ? "" : ",\n", s);
    first = 0;
  }
  fprintf(f, "\n  ],\n  \"time_start_ns\": 0,\n  \"time_end_ns\": 0,\n"
             "  \"clock_type\": 1,\n  \"modules\": [\n");
  for (int m = 0; m < 3; m++)
    fprintf(
        f,
        "    {\n      \"module_id\": %" PRIu32 ",\n      \"path\": \"%s\",\n"
        "      \"base_address\": \"0x%" PRIx64 "\",\n      \"size\": %" PRIu64
        ",\n      \"uuid\": \"%s\"\n    }%s\n",
        w->module_ids[m], module_paths[m], module_bases[m], module_sizes[m],
        uuid[m], m < 2 ? "," : "");
  fprintf(f, "  ],\n  \"symbols\": [\n");
  /* Hash-map order in the tracer: here a seeded shuffle. */
  for (size_t i = 0; i < n; i++)
    order[i] = (uint32_t)i;
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = mix(rng + 100 + i) % (i + 1);
    uint32_t x = order[i];
    order[i] = order[j];
    order[j] = x;
  }
  for (size_t k = 0; k < n; k++) {
    uint32_t i = order[k];
    int region = atf_gen_symbol_region(i);
    fprintf(f,
            "    {\n      \"function_id\": \"0x%016" PRIx64 "\",\n"
            "      \"module_id\": %" PRIu32
            ",\n      \"symbol_index\": %" PRIu32 ",\n      \"name\": \"",
            (uint64_t)w->module_ids[region] << 32 | w->symbol_index[i],
            w->module_ids[region], w->symbol_index[i]);
    put_name(f, atf_gen_symbol_name(i));
    fprintf(f, "\"\n    }%s\n", k + 1 < n ? "," : "");
  }
  fprintf(f, "  ],\n  \"format_version\": \"2.1\"\n}\n");
  if (ferror(f)) {
    fprintf(stderr, "atf_gen: %s: write failed\n", path);
    goto done;
  }
  rc = 0;
done:
  if (f && fclose(f) != 0) rc = -1;
  free(path);
  free(order);
  return rc;
}

/* ---- finalize
 * ---------------------------------------------------------------- */

static int finalize(v2_writer *w, uint32_t slot) {
  v2_thread *t = &w->slots[slot];
  uint8_t b[64];
  index_footer(b, t);
  if (write_all(t->index, b, 64, t->index_path) != 0) return -1;
  index_header(b, slot, t, 1);
  if (fseek(t->index, 0, SEEK_SET) != 0 ||
      write_all(t->index, b, 64, t->index_path) != 0)
    return -1;
  if (!t->detail) return 0;
  detail_footer(b, t);
  if (write_all(t->detail, b, 64, t->detail_path) != 0) return -1;
  detail_header(b, slot, t, 1);
  if (fseek(t->detail, 0, SEEK_SET) != 0 ||
      write_all(t->detail, b, 64, t->detail_path) != 0)
    return -1;
  return 0;
}

static int close_files(v2_writer *w) {
  int rc = 0;
  for (uint32_t s = 0; s < MAX_SLOTS; s++) {
    v2_thread *t = &w->slots[s];
    if (t->index && fclose(t->index) != 0) rc = -1;
    if (t->detail && fclose(t->detail) != 0) rc = -1;
    t->index = t->detail = NULL;
  }
  return rc;
}

static int options_valid_v2(const atf_gen_options *o) {
  if (o->threads > MAX_SLOTS) {
    fprintf(stderr, "atf_gen: %" PRIu32 " threads: ATF v2 has %d slots\n",
            o->threads, MAX_SLOTS);
    return 0;
  }
  if (o->corrupt_record >= 0) {
    fprintf(stderr, "atf_gen: corrupt_record is for ATF v4 only\n");
    return 0;
  }
  if (o->tear_bytes && (!o->without_manifest || o->tear_bytes >= 32)) {
    fprintf(stderr,
            "atf_gen: tear %" PRIu64 " bytes: ATF v2 cuts the last "
            "index record (under 32 bytes) of an unfinalized trace "
            "(without manifest)\n",
            o->tear_bytes);
    return 0;
  }
  if (o->v2_detail < ATF_GEN_V2_DETAIL_ALL ||
      o->v2_detail > ATF_GEN_V2_DETAIL_NONE) {
    fprintf(stderr, "atf_gen: v2_detail %d: not one of ALL, CALLS, NONE\n",
            o->v2_detail);
    return 0;
  }
  return 1;
}

/* thread_<n> directories of an earlier run would be read as this run's. */
static void remove_old_threads(const char *dir) {
  for (uint32_t s = 0; s < MAX_SLOTS; s++) {
    char *files[3] = {path_of(dir, s, "index.atf"),
                      path_of(dir, s, "detail.atf"), path_of(dir, s, NULL)};
    if (files[0]) unlink(files[0]);
    if (files[1]) unlink(files[1]);
    if (files[2]) rmdir(files[2]);
    for (int i = 0; i < 3; i++)
      free(files[i]);
  }
}

/* The writer's per-generator tables: module ids, and symbol indices from 1
** per module in the order of the generator's table. */
static int setup(v2_writer *w) {
  uint32_t next[3] = {1, 1, 1};
  size_t n = atf_gen_symbol_count();
  for (int m = 0; m < 3; m++)
    w->module_ids[m] = module_id_of(module_paths[m]);
  w->symbol_index = malloc(n * sizeof *w->symbol_index);
  if (!w->symbol_index) return -1;
  for (size_t i = 0; i < n; i++)
    w->symbol_index[i] = next[atf_gen_symbol_region(i)]++;
  w->twin_rng = w->o->seed ^ 0x7477696e73ull; /* "twins" */
  return 0;
}

int atf_gen_write_v2(const char *dir, const atf_gen_options *o,
                     atf_gen_v2_stats *stats) {
  v2_writer *w = calloc(1, sizeof *w);
  atf_gen *g = NULL;
  const Event *ev;
  uint64_t ordinal = 0;
  uint32_t batch = o->v2_twin_batch ? o->v2_twin_batch : TWIN_BATCH;
  int rc = -1;
  if (stats) memset(stats, 0, sizeof *stats);
  if (!w) goto nomem;
  w->dir = dir;
  w->o = o;
  if (!options_valid_v2(o)) goto done;
  g = atf_gen_new(o);
  if (!g) goto done;
  if (setup(w) != 0) goto nomem;
  if (atf_gen_make_dirs(dir) != 0) {
    fprintf(stderr, "atf_gen: cannot create directory %s: %s\n", dir,
            strerror(errno));
    goto done;
  }
  remove_old_threads(dir);
  while ((ev = atf_gen_next(g)) != NULL) {
    atf_gen_event_info info;
    v2_event e;
    ordinal++;
    if (ev->payload_case != EVENT__PAYLOAD_FUNCTION_CALL &&
        ev->payload_case != EVENT__PAYLOAD_FUNCTION_RETURN) {
      w->stats.dropped++; /* trace_start, trace_end, signal_delivery */
      continue;
    }
    atf_gen_last_info(g, &info);
    convert(w, g, ev, &info, ordinal, &e);
    if (o->v2_twins) {
      v2_thread *t = thread_of(w, info.thread);
      if (!t) goto done;
      /* One event more than a batch: the next event bounds the last's
      ** detail timestamp. */
      if (!t->batch &&
          !(t->batch = malloc(((size_t)batch + 1) * sizeof *t->batch)))
        goto nomem;
      t->batch[t->batched++] = e;
      if (t->batched == batch + 1 && drain_batch(w, info.thread, batch) != 0)
        goto done;
    } else if (write_record(w, info.thread, &e, e.detail) != 0) {
      goto done;
    }
  }
  for (uint32_t s = 0; o->v2_twins && s < MAX_SLOTS; s++)
    if (w->slots[s].batched && drain_batch(w, s, w->slots[s].batched) != 0)
      goto done;
  if (!o->without_manifest) {
    if (write_manifest(w, g) != 0) goto done;
    for (uint32_t s = 0; s < MAX_SLOTS; s++)
      if (w->slots[s].index && finalize(w, s) != 0) goto done;
  } else {
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (unlink(path) != 0 && errno != ENOENT) goto done;
  }
  if (close_files(w) != 0) goto done;
  w->stats.last_slot = w->last_slot;
  if (o->tear_bytes && w->stats.records) {
    v2_thread *t = &w->slots[w->last_slot];
    if (truncate(t->index_path,
                 (off_t)(64 + 32 * t->records - o->tear_bytes)) != 0) {
      fprintf(stderr, "atf_gen: %s: %s\n", t->index_path, strerror(errno));
      goto done;
    }
  }
  if (stats) *stats = w->stats;
  rc = 0;
  goto done;
nomem:
  fprintf(stderr, "atf_gen: out of memory\n");
done:
  if (w) {
    close_files(w);
    for (uint32_t s = 0; s < MAX_SLOTS; s++) {
      free(w->slots[s].index_path);
      free(w->slots[s].detail_path);
      free(w->slots[s].batch);
    }
    free(w->symbol_index);
    free(w);
  }
  atf_gen_free(g);
  return rc;
}
