/*
** test_atf_gen_v2.c - the generator's ATF v2 output: deterministic, the
** same events as its v4 output from the same seed (read back through the
** v4 reader and the v2 reader: every call and return, timestamp, symbol,
** depth computed from the nesting, register and stack byte), laid out as
** the tracer lays out its files, and the crash options.
*/
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atf_gen.h"
#include "atf_reader.h"
#include "check.h"

static const char *out(const char *name) {
  static char path[4][1024];
  static int next;
  char *p = path[next++ % 4];
  snprintf(p, sizeof path[0], "%s/v2_%s", ATF_GEN_TEST_DIR, name);
  return p;
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *data = NULL;
  long size;
  *len = 0;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)size + 1)) &&
      fread(data, 1, (size_t)size, f) == (size_t)size) {
    data[size] = 0;
    *len = (size_t)size;
  }
  fclose(f);
  return data;
}

/* Whether DIR_A/NAME and DIR_B/NAME hold the same bytes (or both lack it). */
static int same_file(const char *a, const char *b, const char *name) {
  char pa[1200], pb[1200];
  size_t la, lb;
  snprintf(pa, sizeof pa, "%s/%s", a, name);
  snprintf(pb, sizeof pb, "%s/%s", b, name);
  uint8_t *x = slurp(pa, &la), *y = slurp(pb, &lb);
  int same = (!x && !y) || (x && y && la == lb && memcmp(x, y, la) == 0);
  free(x);
  free(y);
  return same;
}

static void options(atf_gen_options *o, uint64_t seed, uint64_t events,
                    uint32_t threads) {
  atf_gen_options_default(o);
  o->seed = seed;
  o->events = events;
  o->threads = threads;
}

static void gen_v2__same_seed__then_same_bytes(void) {
  atf_gen_options o;
  static const char *const files[] = {
      "manifest.json",      "thread_0/index.atf",  "thread_0/detail.atf",
      "thread_1/index.atf", "thread_1/detail.atf", "thread_2/index.atf"};
  options(&o, 21, 4000, 3);
  CHECK(atf_gen_write_v2(out("same_a"), &o, NULL) == 0);
  CHECK(atf_gen_write_v2(out("same_b"), &o, NULL) == 0);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    CHECK(same_file(out("same_a"), out("same_b"), files[i]));
  o.seed = 22;
  CHECK(atf_gen_write_v2(out("same_c"), &o, NULL) == 0);
  CHECK(!same_file(out("same_a"), out("same_c"), "thread_0/index.atf"));
}

/* One v4 call or return, as the v2 side must show it. */
typedef struct want {
  uint64_t ts;
  uint32_t kind, depth, os_tid;
  char symbol[80];
  uint64_t regs[6]; /* call: rdi..r9; return: rax in [0] */
  uint8_t stack[256];
  size_t stack_len;
} want;

static void gen_v2__same_seed_as_v4__then_every_call_and_return_equal(void) {
  enum { EVENTS = 20000, THREADS = 5 };
  static const char *const arg_names[6] = {"rdi", "rsi", "rdx",
                                           "rcx", "r8",  "r9"};
  atf_gen_options o;
  atf_gen_v2_stats st;
  atf_trace_paths paths;
  atf_map map;
  atf_manifest m4;
  atf_iter it;
  atf_record rec;
  atf_error err;
  atf_v2_trace t;
  static want w[THREADS][EVENTS];
  size_t n[THREADS] = {0}, depth[THREADS] = {0}, compared = 0, high_ids = 0;
  options(&o, 9, EVENTS, THREADS);
  o.stack_max = 128;
  CHECK(atf_gen_write(out("same_v4"), &o, NULL, NULL) == 0);
  CHECK(atf_gen_write_v2(out("same_v2"), &o, &st) == 0);
  CHECK_U64(st.dropped, 3); /* trace_start, the signal, trace_end */
  CHECK_U64(st.records, EVENTS - 3);
  CHECK_U64(st.details, EVENTS - 3);
  CHECK_U64(st.threads, THREADS);

  /* The v4 side, through the v4 reader. */
  CHECK(atf_trace_paths_resolve(out("same_v4"), &paths, &err) == ATF_OK);
  CHECK(atf_manifest_load(paths.manifest_path, &m4, &err) == ATF_OK);
  CHECK(atf_map_open(paths.events_path, &map, &err) == ATF_OK);
  atf_iter_init(&it, &map);
  while (atf_iter_next(&it, &rec, &err) == ATF_OK) {
    atf_event ev;
    atf_payload pl;
    atf_register regs[8];
    uint32_t scratch[16], nregs;
    CHECK(atf_event_decode(&rec, &ev, &err) == ATF_OK);
    if (ev.kind != ATF_KIND_FUNCTION_CALL &&
        ev.kind != ATF_KIND_FUNCTION_RETURN)
      continue;
    CHECK(atf_payload_decode(&ev, &pl, &err) == ATF_OK);
    CHECK(atf_registers_collect(&ev, regs, 8, scratch, &nregs, &err) == ATF_OK);
    uint32_t slot = (uint32_t)(ev.thread_id - m4.pid);
    want *x = &w[slot][n[slot]++];
    memset(x, 0, sizeof *x);
    x->ts = (uint64_t)ev.ts_ns;
    x->os_tid = (uint32_t)ev.thread_id;
    snprintf(x->symbol, sizeof x->symbol, "%.*s", (int)pl.symbol.len,
             (const char *)pl.symbol.ptr);
    if (ev.kind == ATF_KIND_FUNCTION_CALL) {
      x->kind = ATF_V2_CALL;
      x->depth = (uint32_t)++depth[slot]; /* the nesting, counted here */
      for (uint32_t r = 0; r < nregs; r++)
        for (int a = 0; a < 6; a++)
          if (regs[r].name.len == strlen(arg_names[a]) &&
              memcmp(regs[r].name.ptr, arg_names[a], regs[r].name.len) == 0)
            x->regs[a] = regs[r].value;
      x->stack_len = pl.stack.len;
      if (pl.stack.len) memcpy(x->stack, pl.stack.ptr, pl.stack.len);
    } else {
      x->kind = ATF_V2_RETURN;
      x->depth = (uint32_t)depth[slot]--;
      x->regs[0] = nregs ? regs[0].value : 0;
    }
  }
  atf_map_close(&map);
  atf_manifest_free(&m4);
  atf_trace_paths_free(&paths);

  /* The v2 side, through the v2 reader, each thread in file order. */
  CHECK(atf_v2_open(out("same_v2"), 0, &t, &err) == ATF_OK);
  CHECK_U64(t.thread_count, THREADS);
  for (size_t i = 0; i < t.thread_count; i++) {
    atf_v2_thread *th = &t.threads[i];
    CHECK_U64(th->index.records, n[th->slot]);
    for (uint64_t k = 0; k < th->index.records && k < n[th->slot]; k++) {
      const want *x = &w[th->slot][k];
      atf_v2_event ev;
      atf_v2_detail d;
      atf_v2_link link;
      atf_v2_register r[ATF_V2_MAX_REGISTERS];
      atf_v2_event_read(th, k, &ev, &err);
      atf_v2_detail_of(&t, &ev, &d, &link, &err);
      const char *name = atf_v2_symbol_name(&t.manifest, ev.function_id);
      size_t nr = atf_v2_registers(t.arch, &d, r);
      int ok = ev.ts_ns == x->ts && ev.kind == x->kind &&
               ev.call_depth == x->depth && ev.thread_id == th->slot && name &&
               strcmp(name, x->symbol) == 0 && link == ATF_V2_LINK_OK &&
               d.os_thread_id == x->os_tid;
      if (ok && x->kind == ATF_V2_CALL) {
        ok =
            nr == 8 && d.stack.len == x->stack_len &&
            (!x->stack_len || memcmp(d.stack.ptr, x->stack, x->stack_len) == 0);
        for (int a = 0; ok && a < 6; a++)
          ok = strcmp(r[a].name, arg_names[a]) == 0 && r[a].value == x->regs[a];
      } else if (ok) {
        ok = nr == 2 && strcmp(r[0].name, "rax") == 0 &&
             r[0].value == x->regs[0] && d.stack.len == 0;
      }
      if (!ok) {
        fprintf(stderr, "slot %u record %llu differs from v4 (%s)\n", th->slot,
                (unsigned long long)k, x->symbol);
        CHECK(!"the same event");
        break;
      }
      high_ids += ev.function_id >= (1ull << 63);
      compared++;
    }
  }
  CHECK_U64(compared, EVENTS - 3);
  CHECK(high_ids > 0); /* function ids >= 2^63 occur */
  CHECK_U64(t.manifest.symbol_count, atf_gen_symbol_count());
  for (size_t i = 0; i < t.manifest.symbol_count; i++) {
    const atf_v2_symbol *s = &t.manifest.symbols[i];
    CHECK_U64(s->function_id, (uint64_t)s->module_id << 32 | s->symbol_index);
  }
  atf_v2_close(&t);
}

static void gen_v2__unfinalized_and_cut__then_placeholders_and_torn(void) {
  atf_gen_options o;
  atf_gen_v2_stats st;
  atf_v2_trace t;
  atf_error err;
  char path[1200];
  struct stat sb;
  options(&o, 4, 3000, 4);
  o.without_manifest = 1;
  o.tear_bytes = 9;
  CHECK(atf_gen_write_v2(out("crash"), &o, &st) == 0);
  snprintf(path, sizeof path, "%s/manifest.json", out("crash"));
  CHECK(stat(path, &sb) != 0);
  CHECK(atf_v2_open(out("crash"), 0, &t, &err) == ATF_OK);
  CHECK_U64(t.records, st.records - 1);
  for (size_t i = 0; i < t.thread_count; i++) {
    const atf_v2_thread *th = &t.threads[i];
    CHECK(!th->index.finalized);
    CHECK_U64(th->index.header.footer_offset, 64);
    CHECK_U64(th->index.header.event_count, 0);
    CHECK_U64(th->index.header.flags, 0);
    CHECK(!th->detail.finalized);
    CHECK_U64(th->detail.header.bytes_length, 0);
    CHECK_U64(th->index.torn_bytes, th->slot == st.last_slot ? 23 : 0);
  }
  atf_v2_close(&t);
}

static void gen_v2__finalized__then_headers_footers_and_manifest_layout(void) {
  atf_gen_options o;
  atf_gen_v2_stats st;
  atf_v2_trace t;
  atf_error err;
  char path[1200];
  size_t len;
  options(&o, 6, 500, 2);
  o.v2_detail = ATF_GEN_V2_DETAIL_CALLS;
  CHECK(atf_gen_write_v2(out("final"), &o, &st) == 0);
  CHECK(atf_v2_open(out("final"), 0, &t, &err) == ATF_OK);
  for (size_t i = 0; i < t.thread_count; i++) {
    const atf_v2_thread *th = &t.threads[i];
    uint64_t calls = 0;
    for (uint64_t k = 0; k < th->index.records; k++) {
      atf_v2_event ev;
      atf_v2_event_read(th, k, &ev, &err);
      calls += ev.kind == ATF_V2_CALL;
    }
    CHECK_U64(th->detail.header.event_count, calls); /* calls only */
    CHECK(th->index.finalized);
    CHECK_U64(th->index.note_count, 0);
    CHECK_U64(th->index.header.flags, 1);
    CHECK_U64(th->index_map.size, 128 + 32 * th->index.records);
    CHECK(th->detail.finalized);
    CHECK_U64(th->detail.note_count, 0);
    CHECK_U64(th->detail_map.size, 128 + 540 * th->detail.header.event_count);
  }
  atf_v2_close(&t);
  snprintf(path, sizeof path, "%s/manifest.json", out("final"));
  char *text = (char *)slurp(path, &len);
  CHECK(text != NULL);
  if (!text) return;
  const char *head =
      "{\n  \"threads\": [\n    {\"id\": 0, \"has_detail\": true},\n"
      "    {\"id\": 1, \"has_detail\": true}\n  ],\n"
      "  \"time_start_ns\": 0,\n  \"time_end_ns\": 0,\n"
      "  \"clock_type\": 1,\n  \"modules\": [\n    {\n"
      "      \"module_id\": 1612429739,\n";
  const char *tail = "  ],\n  \"format_version\": \"2.1\"\n}\n";
  CHECK(strncmp(text, head, strlen(head)) == 0);
  CHECK(strstr(text, "\"module_id\": 2200148377") != NULL);
  CHECK(strstr(text, "\"module_id\": 3301840558") != NULL);
  CHECK(len > strlen(tail) && strcmp(text + len - strlen(tail), tail) == 0);
  free(text);
}

static void gen_v2__bad_options__then_error(void) {
  atf_gen_options o;
  options(&o, 1, 100, 65);
  CHECK(atf_gen_write_v2(out("bad"), &o, NULL) != 0);
  options(&o, 1, 100, 2);
  o.tear_bytes = 3; /* a finalized trace has a footer after its records */
  CHECK(atf_gen_write_v2(out("bad"), &o, NULL) != 0);
  o.without_manifest = 1;
  o.tear_bytes = 32;
  CHECK(atf_gen_write_v2(out("bad"), &o, NULL) != 0);
  options(&o, 1, 100, 2);
  o.corrupt_record = 3;
  CHECK(atf_gen_write_v2(out("bad"), &o, NULL) != 0);
  options(&o, 1, 100, 2);
  o.stack_max = 257;
  CHECK(atf_gen_write_v2(out("bad"), &o, NULL) != 0);
  CHECK(atf_gen_write(out("bad4"), &o, NULL, NULL) != 0);
  options(&o, 1, 100, 2);
  o.v2_detail = 7;
  CHECK(atf_gen_write_v2(out("bad"), &o, NULL) != 0);
}

static int run(const char *args) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", ATF_GEN_CLI, args);
  int status = system(cmd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void gen_v2__cli__then_v2_written_and_bad_choices_refused(void) {
  char args[1400], path[1200];
  struct stat sb;
  snprintf(args, sizeof args,
           "--format v2 --seed 3 --events 200 --threads 2 --v2-twins '%s'",
           out("cli"));
  CHECK(run(args) == 0);
  snprintf(path, sizeof path, "%s/thread_1/detail.atf", out("cli"));
  CHECK(stat(path, &sb) == 0);
  snprintf(args, sizeof args, "--format v3 '%s'", out("cli"));
  CHECK(run(args) == 2);
  snprintf(args, sizeof args, "--v2-detail some '%s'", out("cli"));
  CHECK(run(args) == 2);
  snprintf(args, sizeof args, "--stack-max 300 '%s'", out("cli"));
  CHECK(run(args) == 2);
}

static const check_case cases[] = {
    CASE(gen_v2__same_seed__then_same_bytes),
    CASE(gen_v2__same_seed_as_v4__then_every_call_and_return_equal),
    CASE(gen_v2__unfinalized_and_cut__then_placeholders_and_torn),
    CASE(gen_v2__finalized__then_headers_footers_and_manifest_layout),
    CASE(gen_v2__bad_options__then_error),
    CASE(gen_v2__cli__then_v2_written_and_bad_choices_refused),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
