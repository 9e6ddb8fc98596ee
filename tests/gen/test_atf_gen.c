/*
** test_atf_gen.c - the trace generator does what tests and benchmarks rely
** on: same seed same bytes, a well-formed stream (nested calls per thread,
** edge values), the injected damage exactly where asked, and trace.json laid
** out as the real writer does. Files are re-read and unpacked with protobuf-c,
** independently of the generator's own state.
*/
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atf_gen.h"
#include "check.h"

/* ---- helpers ------------------------------------------------------------ */

static char *out_path(const char *case_dir, const char *file) {
  static char path[4][1024];
  static int next;
  char *p = path[next++ % 4];
  snprintf(p, sizeof path[0], "%s/%s%s%s", ATF_GEN_TEST_DIR, case_dir,
           file ? "/" : "", file ? file : "");
  return p;
}

/* The whole file, NUL-terminated (for JSON text); NULL when unreadable. */
static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *data = NULL;
  long size;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)size + 1))) {
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
      free(data);
      data = NULL;
    } else {
      data[size] = 0;
      *len = (size_t)size;
    }
  }
  fclose(f);
  return data;
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Reads a varint at DATA[*pos] (before LEN); 0 when it is cut short. */
static int read_varint(const uint8_t *data, size_t len, size_t *pos,
                       uint64_t *value) {
  uint64_t v = 0;
  for (int shift = 0; *pos < len && shift < 64; shift += 7) {
    uint8_t b = data[(*pos)++];
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *value = v;
      return 1;
    }
  }
  return 0;
}

/* A trace read back: its bytes and the framing of its whole records. */
typedef struct trace_file {
  uint8_t *data;
  size_t len;
  size_t count;    /* whole records */
  size_t *offsets; /* of each record's length prefix */
  size_t *body_at; /* of each record's body */
  uint64_t *body_len;
  size_t end; /* where the whole records end */
} trace_file;

static int trace_read(const char *path, trace_file *t) {
  size_t pos = 0, cap = 0;
  memset(t, 0, sizeof *t);
  t->data = slurp(path, &t->len);
  if (!t->data) return 0;
  while (pos < t->len) {
    size_t at = pos;
    uint64_t n;
    if (!read_varint(t->data, t->len, &pos, &n) || n > t->len - pos) break;
    if (t->count == cap) {
      cap = cap ? 2 * cap : 1024;
      t->offsets = realloc(t->offsets, cap * sizeof *t->offsets);
      t->body_at = realloc(t->body_at, cap * sizeof *t->body_at);
      t->body_len = realloc(t->body_len, cap * sizeof *t->body_len);
      if (!t->offsets || !t->body_at || !t->body_len) abort();
    }
    t->offsets[t->count] = at;
    t->body_at[t->count] = pos;
    t->body_len[t->count] = n;
    t->count++;
    pos += n;
  }
  t->end = t->count ? t->body_at[t->count - 1] + t->body_len[t->count - 1] : 0;
  return 1;
}

static void trace_free(trace_file *t) {
  free(t->data);
  free(t->offsets);
  free(t->body_at);
  free(t->body_len);
}

static Event *unpack_record(const trace_file *t, size_t i) {
  return event__unpack(NULL, (size_t)t->body_len[i], t->data + t->body_at[i]);
}

/* Writes a trace for CASE_DIR and reads it back; 0 on failure. */
static int generate(const char *case_dir, const atf_gen_options *o,
                    trace_file *t) {
  uint64_t *offsets = NULL, n = 0;
  int ok = atf_gen_write(out_path(case_dir, NULL), o, &offsets, &n) == 0;
  CHECK(ok);
  if (!ok) return 0;
  ok = trace_read(out_path(case_dir, "events.bin"), t);
  CHECK(ok);
  if (ok && !o->tear_bytes) {
    CHECK_U64(t->count, n);
    CHECK_U64(t->end, t->len);
    for (size_t i = 0; i < t->count && i < n; i++)
      if (offsets[i] != t->offsets[i]) {
        CHECK_U64(offsets[i], t->offsets[i]);
        break;
      }
  }
  free(offsets);
  return ok;
}

static void options(atf_gen_options *o, uint64_t seed, uint64_t events,
                    uint32_t threads) {
  atf_gen_options_default(o);
  o->seed = seed;
  o->events = events;
  o->threads = threads;
}

static int64_t ts_ns(const Event *e) {
  return e->timestamp->seconds * 1000000000ll + e->timestamp->nanos;
}

static int has_byte_at_least(const char *s, unsigned char min) {
  for (; *s; s++)
    if ((unsigned char)*s >= min) return 1;
  return 0;
}

/* ---- cases -------------------------------------------------------------- */

static void generator__same_seed__then_same_bytes(void) {
  atf_gen_options o;
  trace_file a, b;
  options(&o, 42, 3000, 3);
  if (!generate("same_seed_a", &o, &a)) return;
  if (!generate("same_seed_b", &o, &b)) return;
  CHECK_U64(a.len, b.len);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  size_t ja, jb;
  uint8_t *ma = slurp(out_path("same_seed_a", "trace.json"), &ja);
  uint8_t *mb = slurp(out_path("same_seed_b", "trace.json"), &jb);
  CHECK(ma && mb && ja == jb && memcmp(ma, mb, ja) == 0);
  free(ma);
  free(mb);
  trace_free(&a);
  trace_free(&b);
}

static void generator__different_seed__then_different_bytes(void) {
  atf_gen_options o;
  trace_file a, b;
  options(&o, 42, 3000, 3);
  if (!generate("diff_seed_a", &o, &a)) return;
  o.seed = 43;
  if (!generate("diff_seed_b", &o, &b)) return;
  CHECK(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
  size_t ja, jb;
  uint8_t *ma = slurp(out_path("diff_seed_a", "trace.json"), &ja);
  uint8_t *mb = slurp(out_path("diff_seed_b", "trace.json"), &jb);
  CHECK(ma && mb && (ja != jb || memcmp(ma, mb, ja) != 0));
  free(ma);
  free(mb);
  trace_free(&a);
  trace_free(&b);
}

static void generator__stream__then_matches_written_records(void) {
  atf_gen_options o;
  trace_file t;
  options(&o, 7, 2000, 5);
  if (!generate("stream", &o, &t)) return;
  atf_gen *g = atf_gen_new(&o);
  CHECK(g != NULL);
  if (!g) return;
  const Event *e;
  size_t i = 0, mismatches = 0;
  uint8_t buf[4096];
  while ((e = atf_gen_next(g)) != NULL) {
    size_t n = event__get_packed_size(e);
    CHECK(n <= sizeof buf);
    if (i >= t.count || n > sizeof buf) break;
    event__pack(e, buf);
    if (n != t.body_len[i] || memcmp(buf, t.data + t.body_at[i], n) != 0)
      mismatches++;
    i++;
  }
  CHECK(atf_gen_next(g) == NULL); /* stays at the end */
  CHECK_U64(i, o.events);
  CHECK_U64(mismatches, 0);
  atf_gen_free(g);
  trace_free(&t);
}

static void
generator__stream_content__then_trace_start_first_and_trace_end_last(void) {
  atf_gen_options o;
  trace_file t;
  options(&o, 11, 1500, 4);
  if (!generate("content", &o, &t)) return;
  CHECK_U64(t.count, 1500);
  for (size_t i = 0; i < t.count; i++) {
    Event *e = unpack_record(&t, i);
    CHECK(e != NULL);
    if (!e) break;
    CHECK_U64(e->event_id, i + 1);
    CHECK(e->thread_id > 0);
    CHECK(e->timestamp != NULL);
    if (i == 0) {
      CHECK(e->payload_case == EVENT__PAYLOAD_TRACE_START);
      if (e->payload_case == EVENT__PAYLOAD_TRACE_START) {
        TraceStart *s = e->trace_start;
        int with_space = 0, non_ascii = 0;
        CHECK(s->executable_path[0] == '/');
        CHECK(s->n_args >= 3);
        if (s->n_args) CHECK_STR(s->args[0], s->executable_path);
        for (size_t a = 0; a < s->n_args; a++) {
          with_space |= strchr(s->args[a], ' ') != NULL;
          non_ascii |= has_byte_at_least(s->args[a], 0x80);
        }
        CHECK(with_space);
        CHECK(non_ascii);
        CHECK_STR(s->operating_system, "linux");
        CHECK_STR(s->cpu_architecture, "x86_64");
      }
    } else if (i == t.count - 2) {
      CHECK(e->payload_case == EVENT__PAYLOAD_SIGNAL_DELIVERY);
      if (e->payload_case == EVENT__PAYLOAD_SIGNAL_DELIVERY) {
        SignalDelivery *s = e->signal_delivery;
        int rip = 0, rsp = 0;
        CHECK_I64(s->number, 11);
        CHECK_STR(s->name, "SIGSEGV");
        for (size_t r = 0; r < s->n_registers; r++) {
          rip |= strcmp(s->registers[r]->key, "rip") == 0;
          rsp |= strcmp(s->registers[r]->key, "rsp") == 0;
        }
        CHECK(rip && rsp);
        CHECK(s->n_registers >= 16);
      }
    } else if (i == t.count - 1) {
      CHECK(e->payload_case == EVENT__PAYLOAD_TRACE_END);
      if (e->payload_case == EVENT__PAYLOAD_TRACE_END)
        CHECK_I64(e->trace_end->exit_code, -11);
    } else {
      CHECK(e->payload_case == EVENT__PAYLOAD_FUNCTION_CALL ||
            e->payload_case == EVENT__PAYLOAD_FUNCTION_RETURN);
    }
    event__free_unpacked(e, NULL);
  }
  trace_free(&t);
}

/* A call stack per thread id, replayed from the file. */
typedef struct replay_thread {
  int32_t id;
  uint32_t depth;
  char *symbol[64];
  uint64_t address[64];
} replay_thread;

static void generator__calls_and_returns__then_nested_per_thread(void) {
  atf_gen_options o;
  trace_file t;
  replay_thread threads[8];
  size_t nthreads = 0, calls = 0, returns = 0, unmatched = 0;
  uint32_t max_depth = 0;
  options(&o, 3, 6000, 6);
  if (!generate("nested", &o, &t)) return;
  for (size_t i = 1; i + 2 < t.count; i++) {
    Event *e = unpack_record(&t, i);
    CHECK(e != NULL);
    if (!e) break;
    replay_thread *th = NULL;
    for (size_t k = 0; k < nthreads; k++)
      if (threads[k].id == e->thread_id) th = &threads[k];
    if (!th) {
      CHECK(nthreads < 8);
      if (nthreads == 8) break;
      th = &threads[nthreads++];
      memset(th, 0, sizeof *th);
      th->id = e->thread_id;
    }
    if (e->payload_case == EVENT__PAYLOAD_FUNCTION_CALL) {
      FunctionCall *c = e->function_call;
      static const char *const names[] = {"rdi", "rsi", "rdx",
                                          "rcx", "r8",  "r9"};
      calls++;
      CHECK_U64(c->n_argument_registers, 6);
      for (size_t r = 0; r < c->n_argument_registers && r < 6; r++)
        CHECK_STR(c->argument_registers[r]->key, names[r]);
      CHECK(th->depth < 64);
      if (th->depth < 64) {
        th->symbol[th->depth] = strdup(c->symbol);
        th->address[th->depth] = c->address;
        th->depth++;
      }
      if (th->depth > max_depth) max_depth = th->depth;
    } else if (e->payload_case == EVENT__PAYLOAD_FUNCTION_RETURN) {
      FunctionReturn *r = e->function_return;
      returns++;
      CHECK_U64(r->n_return_registers, 1);
      if (r->n_return_registers) CHECK_STR(r->return_registers[0]->key, "rax");
      if (th->depth == 0) {
        unmatched++;
      } else {
        th->depth--;
        if (strcmp(th->symbol[th->depth], r->symbol) != 0 ||
            th->address[th->depth] != r->address)
          unmatched++;
        free(th->symbol[th->depth]);
      }
    }
    event__free_unpacked(e, NULL);
  }
  CHECK_U64(nthreads, 6);
  CHECK(calls > 2000);
  CHECK(returns > 2000);
  CHECK_U64(unmatched, 0);
  CHECK(max_depth >= 4);
  for (size_t k = 0; k < nthreads; k++)
    while (threads[k].depth)
      free(threads[k].symbol[--threads[k].depth]);
  trace_free(&t);
}

static int contains(const uint8_t *hay, size_t n, const uint8_t *needle,
                    size_t m) {
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0) return 1;
  return 0;
}

static void generator__values__then_edge_values_covered(void) {
  atf_gen_options o;
  trace_file t;
  int zero = 0, one = 0, top_bit = 0, all_ones = 0, random64 = 0, kernel = 0;
  int empty_stack = 0, full_stack = 0, zero_key_only = 0, too_long = 0;
  /* An rdi entry holding 0: the key alone, no value field. */
  static const uint8_t rdi_zero[] = {0x1a, 0x05, 0x0a, 0x03, 'r', 'd', 'i'};
  options(&o, 5, 20000, 4);
  if (!generate("values", &o, &t)) return;
  for (size_t i = 0; i < t.count; i++) {
    Event *e = unpack_record(&t, i);
    CHECK(e != NULL);
    if (!e) break;
    if (e->payload_case == EVENT__PAYLOAD_FUNCTION_CALL) {
      FunctionCall *c = e->function_call;
      for (size_t r = 0; r < c->n_argument_registers; r++) {
        uint64_t v = c->argument_registers[r]->value;
        zero |= v == 0;
        one |= v == 1;
        top_bit |= v == 1ull << 63;
        all_ones |= v == UINT64_MAX;
        random64 |= v > (1ull << 63) && v != UINT64_MAX;
      }
      if (c->argument_registers[0]->value == 0)
        zero_key_only |= contains(t.data + t.body_at[i], t.body_len[i],
                                  rdi_zero, sizeof rdi_zero);
      kernel |= c->address >= 0xffffffff81000000ull;
      empty_stack |= c->stack_shallow_copy.len == 0;
      full_stack |= c->stack_shallow_copy.len == 256;
      too_long |= c->stack_shallow_copy.len > 256;
    }
    event__free_unpacked(e, NULL);
  }
  CHECK(zero);
  CHECK(one);
  CHECK(top_bit);
  CHECK(all_ones);
  CHECK(random64);
  CHECK(kernel);
  CHECK(empty_stack);
  CHECK(full_stack);
  CHECK(!too_long);
  CHECK(zero_key_only);
  /* Benchmarks size traces by this: roughly 185 bytes a record. */
  CHECK(t.len / t.count > 160 && t.len / t.count < 210);
  trace_free(&t);
}

static void generator__timestamps__then_mostly_increasing(void) {
  atf_gen_options o;
  trace_file t;
  size_t increasing = 0, decreasing = 0, per_thread_back = 0;
  int64_t prev = 0, last_of[16];
  int32_t id_of[16];
  size_t ids = 0;
  options(&o, 9, 5000, 4);
  if (!generate("timestamps", &o, &t)) return;
  for (size_t i = 0; i < t.count; i++) {
    Event *e = unpack_record(&t, i);
    CHECK(e && e->timestamp);
    if (!e || !e->timestamp) break;
    int64_t ns = ts_ns(e);
    CHECK(e->timestamp->seconds >= 1700000000 &&
          e->timestamp->seconds < 1700002000);
    CHECK(e->timestamp->nanos >= 0 && e->timestamp->nanos < 1000000000);
    if (i > 0) {
      if (ns >= prev)
        increasing++;
      else
        decreasing++;
    }
    prev = ns;
    size_t k = 0;
    while (k < ids && id_of[k] != e->thread_id)
      k++;
    if (k == ids && ids < 16) {
      id_of[ids++] = e->thread_id;
      last_of[k] = ns;
    } else if (k < ids) {
      per_thread_back += ns <= last_of[k];
      last_of[k] = ns;
    }
    event__free_unpacked(e, NULL);
  }
  CHECK(decreasing > 0);              /* not strictly increasing */
  CHECK(increasing > 4 * decreasing); /* but mostly */
  CHECK_U64(per_thread_back, 0);      /* each thread's own clock moves on */
  trace_free(&t);
}

static void generator__no_signal__then_exit_code_zero_and_calls_closed(void) {
  atf_gen_options o;
  trace_file t;
  int64_t open = 0;
  options(&o, 13, 4000, 3);
  o.with_signal = 0;
  if (!generate("no_signal", &o, &t)) return;
  for (size_t i = 0; i < t.count; i++) {
    Event *e = unpack_record(&t, i);
    CHECK(e != NULL);
    if (!e) break;
    CHECK(e->payload_case != EVENT__PAYLOAD_SIGNAL_DELIVERY);
    if (e->payload_case == EVENT__PAYLOAD_FUNCTION_CALL) open++;
    if (e->payload_case == EVENT__PAYLOAD_FUNCTION_RETURN) open--;
    if (i == t.count - 1) {
      CHECK(e->payload_case == EVENT__PAYLOAD_TRACE_END);
      if (e->payload_case == EVENT__PAYLOAD_TRACE_END)
        CHECK_I64(e->trace_end->exit_code, 0);
    }
    event__free_unpacked(e, NULL);
  }
  CHECK_I64(open, 0);
  /* exit code 0 is the default: an empty trace_end message on the wire. */
  CHECK_U64(t.data[t.body_at[t.count - 1] + t.body_len[t.count - 1] - 2], 0x5a);
  CHECK_U64(t.data[t.body_at[t.count - 1] + t.body_len[t.count - 1] - 1], 0);
  trace_free(&t);
}

static void generator__tear__then_file_shorter_and_last_record_cut(void) {
  static const uint64_t tears[] = {1, 7, 20};
  atf_gen_options o;
  trace_file full;
  options(&o, 21, 800, 2);
  if (!generate("tear_full", &o, &full)) return;
  size_t last = full.count - 1;
  for (size_t k = 0; k < sizeof tears / sizeof tears[0]; k++) {
    uint64_t *offsets = NULL, n = 0;
    o.tear_bytes = tears[k];
    CHECK(atf_gen_write(out_path("tear_cut", NULL), &o, &offsets, &n) == 0);
    trace_file cut;
    if (!trace_read(out_path("tear_cut", "events.bin"), &cut)) {
      CHECK(0);
      free(offsets);
      continue;
    }
    CHECK_U64(cut.len, full.len - tears[k]);
    CHECK(memcmp(cut.data, full.data, cut.len) == 0);
    CHECK_U64(n, full.count); /* the torn record is still reported */
    if (offsets && n == full.count)
      CHECK_U64(offsets[last], full.offsets[last]);
    /* Whole records stop before the torn one, which its prefix overruns. */
    CHECK_U64(cut.count, full.count - 1);
    CHECK_U64(cut.end, full.offsets[last]);
    size_t pos = full.offsets[last];
    uint64_t announced = 0;
    CHECK(read_varint(cut.data, cut.len, &pos, &announced));
    CHECK(announced > cut.len - pos);
    for (size_t i = 0; i < cut.count; i++) {
      Event *e = unpack_record(&cut, i);
      CHECK(e != NULL);
      if (e) event__free_unpacked(e, NULL);
    }
    trace_free(&cut);
    free(offsets);
  }
  /* The whole last record cannot be torn off: that is no torn record. */
  o.tear_bytes = full.len - full.offsets[last];
  CHECK(atf_gen_write(out_path("tear_too_much", NULL), &o, NULL, NULL) == -1);
  trace_free(&full);
}

static void generator__corrupt__then_unpack_fails_at_that_record(void) {
  const int64_t bad[] = {0, 37, 299};
  atf_gen_options o;
  trace_file clean;
  options(&o, 17, 300, 3);
  if (!generate("corrupt_clean", &o, &clean)) return;
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    trace_file t;
    o.corrupt_record = bad[k];
    if (!generate("corrupt", &o, &t)) continue;
    CHECK_U64(t.len, clean.len);
    CHECK_U64(t.count, clean.count);
    for (size_t i = 0; i < t.count && i < clean.count; i++) {
      Event *e = unpack_record(&t, i);
      if ((int64_t)i == bad[k]) {
        CHECK(e == NULL);
        /* Only the first byte of the body differs: a wire type 7 tag. */
        CHECK_U64(t.data[t.body_at[i]], (1 << 3) | 7);
        CHECK(memcmp(t.data + t.body_at[i] + 1,
                     clean.data + clean.body_at[i] + 1,
                     (size_t)t.body_len[i] - 1) == 0);
      } else {
        CHECK(e != NULL);
        CHECK(memcmp(t.data + t.offsets[i], clean.data + clean.offsets[i],
                     t.body_at[i] - t.offsets[i] + (size_t)t.body_len[i]) == 0);
      }
      if (e) event__free_unpacked(e, NULL);
    }
    trace_free(&t);
  }
  trace_free(&clean);
}

/* The unsigned integer after "KEY": in JSON text, or UINT64_MAX. */
static uint64_t json_u64(const char *json, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\": ", key);
  const char *at = strstr(json, pattern);
  if (!at) return UINT64_MAX;
  return strtoull(at + strlen(pattern), NULL, 10);
}

static void generator__manifest__then_real_writer_layout(void) {
  static const char *const keys[] = {
      "\"os\"",         "\"arch\"",         "\"pid\"",
      "\"sessionId\"",  "\"timeStartNs\"",  "\"timeEndNs\"",
      "\"eventCount\"", "\"bytesWritten\"", "\"modules\""};
  atf_gen_options o;
  trace_file t;
  size_t len = 0;
  options(&o, 23, 1234, 4);
  if (!generate("manifest", &o, &t)) return;
  char *json = (char *)slurp(out_path("manifest", "trace.json"), &len);
  CHECK(json != NULL);
  if (!json) return;
  const char *head = "{\n  \"os\": \"linux\",\n  \"arch\": \"x86_64\",\n  "
                     "\"pid\": ";
  CHECK(strncmp(json, head, strlen(head)) == 0);
  CHECK(len > 0 && json[len - 1] == '}'); /* no final newline */
  size_t lines = 0;
  for (size_t i = 0; i < len; i++)
    lines += json[i] == '\n';
  CHECK_U64(lines, 10); /* one key a line, the modules on one line */
  const char *prev = json;
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    const char *at = strstr(json, keys[k]);
    CHECK(at != NULL && at >= prev);
    if (at) prev = at;
  }
  CHECK_U64(json_u64(json, "eventCount"), 1234);
  CHECK_U64(json_u64(json, "bytesWritten"), t.len);
  uint64_t start = json_u64(json, "timeStartNs");
  uint64_t end = json_u64(json, "timeEndNs");
  CHECK(start >= 1795627355989122807ull &&
        start < 1795627355989122807ull + 100000000000000ull);
  CHECK(end > start);
  CHECK(json_u64(json, "sessionId") > (1ull << 53));
  CHECK(json_u64(json, "sessionId") < (1ull << 63));
  /* The main thread's id is the pid, as on Linux. */
  Event *first = unpack_record(&t, 0);
  CHECK(first != NULL);
  if (first) {
    CHECK_U64(json_u64(json, "pid"), (uint64_t)first->thread_id);
    event__free_unpacked(first, NULL);
  }
  const char *modules = strstr(json, "\"modules\": [\"");
  CHECK(modules != NULL);
  if (modules) {
    const char *m1 = modules + strlen("\"modules\": [\"");
    CHECK(strlen(m1) > 36 + 4 + 36 + 2);
    if (strlen(m1) > 36 + 4 + 36 + 2) {
      CHECK(m1[8] == '-' && m1[13] == '-' && m1[14] == '4' && m1[18] == '-' &&
            m1[23] == '-' && m1[36] == '"');
      CHECK(strncmp(m1 + 36, "\", \"", 4) == 0);
      CHECK(strcmp(m1 + 36 + 4 + 36, "\"]\n}") == 0);
    }
  }
  /* The manifest does not follow the events: same seed, other size. */
  options(&o, 23, 4000, 4);
  CHECK(atf_gen_write(out_path("manifest_big", NULL), &o, NULL, NULL) == 0);
  char *json2 = (char *)slurp(out_path("manifest_big", "trace.json"), &len);
  CHECK(json2 != NULL);
  if (json2) {
    CHECK_U64(json_u64(json2, "timeStartNs"), start);
    CHECK_U64(json_u64(json2, "pid"), json_u64(json, "pid"));
    free(json2);
  }
  free(json);
  trace_free(&t);
}

static void generator__no_manifest__then_no_trace_json(void) {
  atf_gen_options o;
  options(&o, 29, 100, 2);
  /* A stale trace.json from an earlier run goes too. */
  CHECK(atf_gen_write(out_path("no_manifest", NULL), &o, NULL, NULL) == 0);
  CHECK(file_exists(out_path("no_manifest", "trace.json")));
  o.without_manifest = 1;
  CHECK(atf_gen_write(out_path("no_manifest", NULL), &o, NULL, NULL) == 0);
  CHECK(!file_exists(out_path("no_manifest", "trace.json")));
  CHECK(file_exists(out_path("no_manifest", "events.bin")));
  /* And a fresh nested directory is created. */
  CHECK(atf_gen_write(out_path("no_manifest/deeper/pid_1", NULL), &o, NULL,
                      NULL) == 0);
  CHECK(file_exists(out_path("no_manifest/deeper/pid_1", "events.bin")));
  CHECK(!file_exists(out_path("no_manifest/deeper/pid_1", "trace.json")));
}

static void generator__bad_options__then_error(void) {
  atf_gen_options o;
  options(&o, 1, 1, 1);
  CHECK(atf_gen_new(&o) == NULL);
  CHECK(atf_gen_write(out_path("bad", NULL), &o, NULL, NULL) == -1);
  options(&o, 1, 2, 1); /* no room for the signal */
  CHECK(atf_gen_new(&o) == NULL);
  options(&o, 1, 10, 0);
  CHECK(atf_gen_new(&o) == NULL);
  options(&o, 1, 10, 1);
  o.corrupt_record = 10;
  CHECK(atf_gen_new(&o) == NULL);
  options(&o, 1, 10, 1);
  o.unwind_percent = 101;
  CHECK(atf_gen_new(&o) == NULL);
  options(&o, 1, 10, 1);
  o.clock_jump_percent = 1000;
  CHECK(atf_gen_new(&o) == NULL);
  options(&o, 1, 10, 1);
  o.max_depth = 10001;
  CHECK(atf_gen_new(&o) == NULL);
  options(&o, 1, 1, 1);
  o.stop_open = 1;
  CHECK(atf_gen_new(&o) == NULL);
  /* The smallest traces. */
  trace_file t;
  options(&o, 1, 2, 1);
  o.with_signal = 0;
  if (generate("smallest", &o, &t)) {
    CHECK_U64(t.count, 2);
    trace_free(&t);
  }
  options(&o, 1, 3, 1);
  if (generate("smallest_signal", &o, &t)) {
    CHECK_U64(t.count, 3);
    Event *e = unpack_record(&t, 1);
    CHECK(e && e->payload_case == EVENT__PAYLOAD_SIGNAL_DELIVERY);
    if (e) event__free_unpacked(e, NULL);
    trace_free(&t);
  }
}

/* ---- call shapes: a trace replayed with the pairing rules -------------- */

typedef struct open_call {
  char *symbol; /* "" when the call has none */
  uint64_t address;
} open_call;

typedef struct shape_thread {
  int32_t id;
  size_t depth, cap, max_depth;
  open_call *stack;
  int64_t last_ts;
  int timed;
} shape_thread;

/* What a trace holds, counted by replaying it per thread: a return closes
** the innermost open call it matches (equal symbols when both have one, else
** equal non-zero addresses; neither symbol nor address: the innermost), the
** calls above it are unwound; a return matching none is an orphan. */
typedef struct shape {
  size_t calls, returns, signals, trace_ends, untimed, ts_back;
  size_t orphans_on_empty, orphans_other, unwinding_returns, unwound_calls;
  size_t direct_recursion, indirect_recursion, max_depth;
  size_t call_no_symbol, call_no_address, call_neither;
  size_t ret_no_symbol, ret_no_address, ret_neither;
  int last_kind; /* payload case of the last whole record */
  size_t nthreads;
  shape_thread threads[16];
} shape;

static int call_matches(const open_call *c, const char *symbol,
                        uint64_t address) {
  if (c->symbol[0] && symbol[0]) return strcmp(c->symbol, symbol) == 0;
  return c->address && address && c->address == address;
}

static void shape_return(shape *s, shape_thread *th, const FunctionReturn *r) {
  size_t k = th->depth;
  s->returns++;
  if (!r->symbol[0] && !r->address) {
    k = th->depth ? th->depth - 1 : th->depth;
    s->ret_neither++;
  } else {
    s->ret_no_symbol += !r->symbol[0];
    s->ret_no_address += !r->address;
    for (size_t i = th->depth; i-- > 0;)
      if (call_matches(&th->stack[i], r->symbol, r->address)) {
        k = i;
        break;
      }
  }
  if (k == th->depth) {
    if (th->depth == 0)
      s->orphans_on_empty++;
    else
      s->orphans_other++;
    return;
  }
  if (k + 1 < th->depth) {
    s->unwinding_returns++;
    s->unwound_calls += th->depth - k - 1;
  }
  while (th->depth > k)
    free(th->stack[--th->depth].symbol);
}

static void shape_call(shape *s, shape_thread *th, const FunctionCall *c) {
  s->calls++;
  s->call_no_symbol += !c->symbol[0] && c->address;
  s->call_no_address += c->symbol[0] && !c->address;
  s->call_neither += !c->symbol[0] && !c->address;
  if (c->symbol[0] && th->depth &&
      strcmp(th->stack[th->depth - 1].symbol, c->symbol) == 0)
    s->direct_recursion++;
  else if (c->symbol[0])
    for (size_t i = 0; i + 1 < th->depth; i++)
      if (strcmp(th->stack[i].symbol, c->symbol) == 0) {
        s->indirect_recursion++;
        break;
      }
  if (th->depth == th->cap) {
    th->cap = th->cap ? 2 * th->cap : 64;
    th->stack = realloc(th->stack, th->cap * sizeof *th->stack);
    if (!th->stack) abort();
  }
  th->stack[th->depth].symbol = strdup(c->symbol);
  th->stack[th->depth].address = c->address;
  th->depth++;
  if (th->depth > th->max_depth) th->max_depth = th->depth;
  if (th->depth > s->max_depth) s->max_depth = th->depth;
}

/* Replays every whole record of T into S; 0 when one does not unpack. */
static int shape_of(const trace_file *t, shape *s) {
  memset(s, 0, sizeof *s);
  for (size_t i = 0; i < t->count; i++) {
    Event *e = unpack_record(t, i);
    if (!e) return 0;
    shape_thread *th = NULL;
    for (size_t k = 0; k < s->nthreads; k++)
      if (s->threads[k].id == e->thread_id) th = &s->threads[k];
    if (!th) {
      if (s->nthreads == 16) abort();
      th = &s->threads[s->nthreads++];
      th->id = e->thread_id;
    }
    if (!e->timestamp) {
      s->untimed++;
    } else {
      int64_t ns = ts_ns(e);
      s->ts_back += th->timed && ns < th->last_ts;
      th->last_ts = ns;
      th->timed = 1;
    }
    s->last_kind = e->payload_case;
    if (e->payload_case == EVENT__PAYLOAD_FUNCTION_CALL)
      shape_call(s, th, e->function_call);
    else if (e->payload_case == EVENT__PAYLOAD_FUNCTION_RETURN)
      shape_return(s, th, e->function_return);
    else if (e->payload_case == EVENT__PAYLOAD_SIGNAL_DELIVERY)
      s->signals++;
    else if (e->payload_case == EVENT__PAYLOAD_TRACE_END)
      s->trace_ends++;
    event__free_unpacked(e, NULL);
  }
  return 1;
}

static void shape_free(shape *s) {
  for (size_t k = 0; k < s->nthreads; k++) {
    while (s->threads[k].depth)
      free(s->threads[k].stack[--s->threads[k].depth].symbol);
    free(s->threads[k].stack);
  }
}

static void generator__call_shapes_off__then_plain_nesting(void) {
  atf_gen_options o;
  trace_file t;
  shape s;
  options(&o, 3, 6000, 6);
  if (!generate("shapes_off", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK_U64(s.orphans_on_empty + s.orphans_other, 0);
  CHECK_U64(s.unwinding_returns, 0);
  CHECK_U64(s.call_no_symbol + s.call_no_address + s.call_neither, 0);
  CHECK_U64(s.ret_no_symbol + s.ret_no_address + s.ret_neither, 0);
  CHECK_U64(s.untimed, 0);
  CHECK_U64(s.ts_back, 0);
  CHECK(s.max_depth <= 8);
  CHECK_U64(s.trace_ends, 1);
  shape_free(&s);
  trace_free(&t);
}

static void generator__max_depth__then_nesting_reaches_it_and_no_further(void) {
  atf_gen_options o;
  trace_file t;
  shape s;
  options(&o, 31, 20000, 2);
  o.max_depth = 201; /* 201 calls open: the innermost at depth 200 */
  o.call_percent = 70;
  if (!generate("max_depth", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK_U64(s.max_depth, 201);
  CHECK_U64(s.nthreads, 2);
  for (size_t k = 0; k < s.nthreads; k++)
    CHECK_U64(s.threads[k].max_depth, 201);
  CHECK_U64(s.orphans_on_empty + s.orphans_other + s.unwinding_returns, 0);
  shape_free(&s);
  trace_free(&t);
  /* One call deep at most: every call returns before the next. */
  options(&o, 31, 3000, 3);
  o.max_depth = 1;
  if (!generate("max_depth_1", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK_U64(s.max_depth, 1);
  CHECK(s.calls > 500);
  shape_free(&s);
  trace_free(&t);
}

static void generator__unwind__then_returns_close_calls_below_innermost(void) {
  atf_gen_options o;
  trace_file t;
  shape s;
  options(&o, 37, 20000, 3);
  o.unwind_percent = 20;
  o.with_signal = 0;
  if (!generate("unwind", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK(s.unwinding_returns > 200);
  CHECK(s.unwound_calls > s.unwinding_returns); /* some unwind several */
  CHECK_U64(s.orphans_on_empty + s.orphans_other, 0);
  /* A clean exit still closes everything, some of it by unwinding. */
  for (size_t k = 0; k < s.nthreads; k++)
    CHECK_U64(s.threads[k].depth, 0);
  shape_free(&s);
  trace_free(&t);
}

static void generator__orphans__then_returns_matching_no_open_call(void) {
  atf_gen_options o;
  trace_file t;
  shape s;
  options(&o, 41, 20000, 4);
  o.orphan_percent = 5;
  if (!generate("orphans", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK(s.orphans_on_empty > 10);
  CHECK(s.orphans_other > 200);
  CHECK(s.orphans_on_empty + s.orphans_other < s.returns / 5);
  CHECK_U64(s.unwinding_returns, 0); /* an orphan closes nothing */
  shape_free(&s);
  trace_free(&t);
}

static void generator__recursion__then_direct_and_indirect(void) {
  atf_gen_options o;
  trace_file t;
  shape s;
  options(&o, 43, 20000, 2);
  o.recursion_percent = 30;
  o.max_depth = 16;
  if (!generate("recursion", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK(s.direct_recursion > 200);
  CHECK(s.indirect_recursion > 200);
  /* Recursion alone keeps returns paired with the innermost call. */
  CHECK_U64(s.orphans_on_empty + s.orphans_other + s.unwinding_returns, 0);
  shape_free(&s);
  trace_free(&t);
}

static void generator__anonymous__then_symbol_or_address_missing(void) {
  atf_gen_options o;
  trace_file t;
  shape s;
  options(&o, 47, 20000, 3);
  o.anonymous_percent = 15;
  if (!generate("anonymous", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK(s.call_no_symbol > 100);
  CHECK(s.call_no_address > 100);
  CHECK(s.call_neither > 100);
  CHECK(s.ret_no_symbol > 100);
  CHECK(s.ret_no_address > 100);
  CHECK(s.ret_neither > 100);
  CHECK(s.call_neither < s.calls / 10);
  shape_free(&s);
  trace_free(&t);
}

static void generator__untimed_and_clock_jumps__then_gaps_and_going_back(void) {
  atf_gen_options o;
  trace_file t;
  shape s;
  options(&o, 53, 20000, 3);
  o.untimed_percent = 4;
  o.clock_jump_percent = 3;
  if (!generate("clock", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK(s.untimed > 400 && s.untimed < 1200);
  CHECK(s.ts_back > 100); /* each thread's own clock goes back too */
  CHECK(s.ts_back < t.count / 5);
  shape_free(&s);
  trace_free(&t);
  /* Without a timestamp field at all, not an empty one. */
  options(&o, 53, 2000, 1);
  o.untimed_percent = 100;
  if (!generate("clock_none", &o, &t)) return;
  for (size_t i = 0; i < t.count; i++) {
    Event *e = unpack_record(&t, i);
    CHECK(e && !e->timestamp);
    if (e) event__free_unpacked(e, NULL);
  }
  trace_free(&t);
}

static void generator__stop_open__then_calls_open_on_every_thread(void) {
  atf_gen_options o;
  trace_file t;
  shape s;
  options(&o, 59, 5000, 5);
  o.stop_open = 1;
  o.with_signal = 0;
  o.unwind_percent = 10;
  if (!generate("stop_open", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK_U64(s.trace_ends, 0);
  CHECK_U64(s.signals, 0);
  CHECK(s.last_kind == EVENT__PAYLOAD_FUNCTION_CALL);
  CHECK_U64(s.nthreads, 5);
  for (size_t k = 0; k < s.nthreads; k++)
    CHECK(s.threads[k].depth >= 1);
  shape_free(&s);
  trace_free(&t);
  /* With the signal: it is the last record. Torn: the last call is cut. */
  o.with_signal = 1;
  if (!generate("stop_open_signal", &o, &t)) return;
  CHECK(shape_of(&t, &s));
  CHECK_U64(s.trace_ends, 0);
  CHECK_U64(s.signals, 1);
  CHECK(s.last_kind == EVENT__PAYLOAD_SIGNAL_DELIVERY);
  for (size_t k = 0; k < s.nthreads; k++)
    CHECK(s.threads[k].depth >= 1);
  shape_free(&s);
  trace_free(&t);
  o.with_signal = 0;
  o.tear_bytes = 9;
  if (!generate("stop_open_torn", &o, &t)) return;
  CHECK_U64(t.count, 4999);
  CHECK(shape_of(&t, &s));
  CHECK(s.last_kind == EVENT__PAYLOAD_FUNCTION_CALL);
  shape_free(&s);
  trace_free(&t);
}

static void generator__all_call_shapes__then_deterministic_and_decodable(void) {
  atf_gen_options o;
  trace_file a, b;
  shape s;
  options(&o, 61, 30000, 4);
  o.max_depth = 64;
  o.call_percent = 55;
  o.unwind_percent = 5;
  o.orphan_percent = 2;
  o.recursion_percent = 10;
  o.anonymous_percent = 3;
  o.untimed_percent = 2;
  o.clock_jump_percent = 1;
  if (!generate("all_shapes_a", &o, &a)) return;
  if (!generate("all_shapes_b", &o, &b)) return;
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  CHECK(shape_of(&a, &s)); /* every record unpacks */
  CHECK(s.unwinding_returns > 0 && s.orphans_other > 0);
  CHECK(s.direct_recursion > 0 && s.untimed > 0 && s.ts_back > 0);
  CHECK(s.call_neither > 0 && s.ret_neither > 0);
  shape_free(&s);
  trace_free(&a);
  trace_free(&b);
}

static int run(const char *args) {
  char command[2048];
  snprintf(command, sizeof command, "'%s' %s >/dev/null 2>&1", ATF_GEN_CLI,
           args);
  int status = system(command);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void generator__cli__then_writes_trace_and_rejects_bad_usage(void) {
  char args[1200];
  atf_gen_options o;
  trace_file lib, cli;
  options(&o, 5, 500, 2);
  o.with_signal = 0;
  if (!generate("cli_lib", &o, &lib)) return;
  snprintf(args, sizeof args,
           "--seed 5 --events 500 --threads 2 --no-signal '%s'",
           out_path("cli", NULL));
  CHECK_I64(run(args), 0);
  if (trace_read(out_path("cli", "events.bin"), &cli)) {
    CHECK(cli.len == lib.len && memcmp(cli.data, lib.data, lib.len) == 0);
    trace_free(&cli);
  } else {
    CHECK(0);
  }
  CHECK(file_exists(out_path("cli", "trace.json")));
  snprintf(args, sizeof args, "--no-manifest --tear 3 --corrupt 4 '%s'",
           out_path("cli_damaged", NULL));
  CHECK_I64(run(args), 0);
  CHECK(!file_exists(out_path("cli_damaged", "trace.json")));
  CHECK_I64(run("--help"), 0);
  CHECK_I64(run(""), 2);
  CHECK_I64(run("--bogus x"), 2);
  CHECK_I64(run("--events"), 2);
  CHECK_I64(run("--events ten x"), 2);
  CHECK_I64(run("--events 1 x"), 2);
  CHECK_I64(run("--threads 0 x"), 2);
  CHECK_I64(run("--seed -3 x"), 2);
  CHECK_I64(run("a b"), 2);
  trace_free(&lib);
  /* The call shapes: the same bytes as through the library. */
  options(&o, 9, 3000, 3);
  o.max_depth = 40;
  o.call_percent = 60;
  o.unwind_percent = 5;
  o.orphan_percent = 3;
  o.recursion_percent = 10;
  o.anonymous_percent = 4;
  o.untimed_percent = 2;
  o.clock_jump_percent = 2;
  o.stop_open = 1;
  if (!generate("cli_shapes_lib", &o, &lib)) return;
  snprintf(args, sizeof args,
           "--seed 9 --events 3000 --threads 3 --max-depth 40 --call-percent "
           "60 --unwind-percent 5 --orphan-percent 3 --recursion-percent 10 "
           "--anonymous-percent 4 --untimed-percent 2 --clock-jump-percent 2 "
           "--stop-open '%s'",
           out_path("cli_shapes", NULL));
  CHECK_I64(run(args), 0);
  if (trace_read(out_path("cli_shapes", "events.bin"), &cli)) {
    CHECK(cli.len == lib.len && memcmp(cli.data, lib.data, lib.len) == 0);
    trace_free(&cli);
  } else {
    CHECK(0);
  }
  trace_free(&lib);
  CHECK_I64(run("--unwind-percent 101 x"), 2);
  CHECK_I64(run("--max-depth 10001 x"), 2);
  CHECK_I64(run("--orphan-percent x"), 2);
  CHECK_I64(run("--max-depth"), 2);
}

static const check_case cases[] = {
    CASE(generator__same_seed__then_same_bytes),
    CASE(generator__different_seed__then_different_bytes),
    CASE(generator__stream__then_matches_written_records),
    CASE(generator__stream_content__then_trace_start_first_and_trace_end_last),
    CASE(generator__calls_and_returns__then_nested_per_thread),
    CASE(generator__values__then_edge_values_covered),
    CASE(generator__timestamps__then_mostly_increasing),
    CASE(generator__no_signal__then_exit_code_zero_and_calls_closed),
    CASE(generator__tear__then_file_shorter_and_last_record_cut),
    CASE(generator__corrupt__then_unpack_fails_at_that_record),
    CASE(generator__manifest__then_real_writer_layout),
    CASE(generator__no_manifest__then_no_trace_json),
    CASE(generator__bad_options__then_error),
    CASE(generator__cli__then_writes_trace_and_rejects_bad_usage),
    CASE(generator__call_shapes_off__then_plain_nesting),
    CASE(generator__max_depth__then_nesting_reaches_it_and_no_further),
    CASE(generator__unwind__then_returns_close_calls_below_innermost),
    CASE(generator__orphans__then_returns_matching_no_open_call),
    CASE(generator__recursion__then_direct_and_indirect),
    CASE(generator__anonymous__then_symbol_or_address_missing),
    CASE(generator__untimed_and_clock_jumps__then_gaps_and_going_back),
    CASE(generator__stop_open__then_calls_open_on_every_thread),
    CASE(generator__all_call_shapes__then_deterministic_and_decodable),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
