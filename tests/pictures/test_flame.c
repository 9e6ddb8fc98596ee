/*
** test_flame.c - the reader's path folding (atf_flame) fed by a pairing of
** hand-made events: memory that follows the distinct paths, not the calls;
** thread roots; the frames the folded format cannot hold.
*/
#include <stdlib.h>

#include "atf_reader.h"
#include "check.h"

typedef struct feeder {
  atf_pairing *p;
  atf_flame *f;
  uint64_t offset;
} feeder;

static void start(feeder *fd, int per_thread) {
  fd->p = atf_pairing_new();
  fd->f = atf_flame_new(per_thread);
  fd->offset = 0;
  atf_flame_attach(fd->f, fd->p);
}

/* Feeds one event and hands every call it closes to the flame. */
static void feed(feeder *fd, int32_t tid, atf_kind kind, int64_t ts,
                 const char *symbol) {
  atf_pair_event ev = {0};
  atf_call call;
  atf_error err;
  ev.offset = fd->offset++;
  ev.thread_id = tid;
  ev.kind = kind;
  ev.has_ts = 1;
  ev.ts = ts;
  ev.symbol.ptr = (const uint8_t *)symbol;
  ev.symbol.len = strlen(symbol);
  CHECK(atf_pairing_feed(fd->p, &ev, &err) == ATF_OK);
  while (atf_pairing_pop(fd->p, &call))
    CHECK(atf_flame_add(fd->f, &call, &err) == ATF_OK);
}

static size_t finish(feeder *fd, int close_at_last_ts) {
  atf_call call;
  atf_error err;
  size_t rows = 0;
  atf_pairing_finish(fd->p, close_at_last_ts);
  while (atf_pairing_pop(fd->p, &call))
    CHECK(atf_flame_add(fd->f, &call, &err) == ATF_OK);
  CHECK(atf_flame_finish(fd->f, &rows, &err) == ATF_OK);
  return rows;
}

static void stop(feeder *fd) {
  atf_flame_free(fd->f);
  atf_pairing_free(fd->p);
}

static const char *stack_of(feeder *fd, size_t i, char *buf, size_t cap) {
  atf_bytes b;
  atf_error err;
  CHECK(atf_flame_stack(fd->f, i, &b, &err) == ATF_OK);
  snprintf(buf, cap, "%.*s", (int)b.len, (const char *)b.ptr);
  return buf;
}

/* A million calls over three paths: three rows, and the memory of the
** first thousand calls is the memory of all of them. */
static void flame__million_calls_three_paths__then_memory_of_paths(void) {
  feeder fd;
  size_t early = 0, late;
  int64_t ts = 0;
  atf_flame_path row;
  start(&fd, 0);
  for (int i = 0; i < 1000000; i++) {
    feed(&fd, 1 + i % 4, ATF_KIND_FUNCTION_CALL, ts, "main");
    feed(&fd, 1 + i % 4, ATF_KIND_FUNCTION_CALL, ts + 1, i % 2 ? "a" : "b");
    feed(&fd, 1 + i % 4, ATF_KIND_FUNCTION_RETURN, ts + 11, "");
    feed(&fd, 1 + i % 4, ATF_KIND_FUNCTION_RETURN, ts + 12, "main");
    ts += 13;
    if (i == 1000) early = atf_flame_bytes(fd.f);
  }
  late = atf_flame_bytes(fd.f);
  CHECK_U64(late, early);
  CHECK_U64(finish(&fd, 0), 3);
  CHECK(early < 64 * 1024);
  atf_flame_get(fd.f, 0, &row);
  CHECK_U64(row.calls, 1000000);
  CHECK_I64(row.self_dur.exact, 2 * 1000000); /* 1 ns before, 1 ns after */
  atf_flame_get(fd.f, 1, &row);
  CHECK_U64(row.calls, 500000);
  CHECK_I64(row.self_dur.exact, 500000 * 10);
  stop(&fd);
}

/* Depth 5000: one path per depth, the deepest stack 5000 frames. */
static void flame__deep_recursion__then_one_row_per_depth(void) {
  feeder fd;
  char *buf = malloc(5 * 5000 + 1);
  start(&fd, 0);
  for (int i = 0; i < 5000; i++)
    feed(&fd, 1, ATF_KIND_FUNCTION_CALL, i, "f");
  for (int i = 0; i < 5000; i++)
    feed(&fd, 1, ATF_KIND_FUNCTION_RETURN, 5000 + i, "f");
  CHECK_U64(finish(&fd, 0), 5000);
  stack_of(&fd, 4999, buf, 5 * 5000 + 1);
  CHECK_U64(strlen(buf), 2 * 5000 - 1);
  CHECK(strncmp(buf, "f;f;f;", 6) == 0);
  free(buf);
  stop(&fd);
}

/* Per thread, each stack starts with the thread; its root is no row. */
static void flame__per_thread__then_thread_frame_first(void) {
  feeder fd;
  char buf[128];
  atf_flame_path row;
  start(&fd, 1);
  feed(&fd, 7, ATF_KIND_FUNCTION_CALL, 0, "main");
  feed(&fd, -2, ATF_KIND_FUNCTION_CALL, 1, "main");
  feed(&fd, 7, ATF_KIND_FUNCTION_RETURN, 5, "main");
  feed(&fd, -2, ATF_KIND_FUNCTION_RETURN, 9, "main");
  CHECK_U64(finish(&fd, 0), 2);
  CHECK_STR(stack_of(&fd, 0, buf, sizeof buf), "thread 7;main");
  CHECK_STR(stack_of(&fd, 1, buf, sizeof buf), "thread -2;main");
  atf_flame_get(fd.f, 1, &row);
  CHECK_I64(row.thread_id, -2);
  CHECK_I64(row.self_dur.exact, 8);
  stop(&fd);
}

/* ';', LF and CR cannot be in a frame: written %3B, %0A, %0D; an empty
** symbol is an empty frame. */
static void flame__separators_in_symbols__then_escaped(void) {
  feeder fd;
  char buf[128];
  start(&fd, 0);
  feed(&fd, 1, ATF_KIND_FUNCTION_CALL, 0, "a;b\nc\rd%");
  feed(&fd, 1, ATF_KIND_FUNCTION_CALL, 1, "");
  feed(&fd, 1, ATF_KIND_FUNCTION_CALL, 2, "x");
  CHECK_U64(finish(&fd, 1), 3);
  CHECK_STR(stack_of(&fd, 0, buf, sizeof buf), "a%3Bb%0Ac%0Dd%");
  CHECK_STR(stack_of(&fd, 2, buf, sizeof buf), "a%3Bb%0Ac%0Dd%;;x");
  stop(&fd);
}

/* Open calls closed at the thread's last timestamp; a negative self time
** (a clock that jumped back) is kept apart; an unknown one counted. */
static void flame__open_negative_and_untimed__then_counted_apart(void) {
  feeder fd;
  atf_flame_path row;
  start(&fd, 0);
  feed(&fd, 1, ATF_KIND_FUNCTION_CALL, 100, "main");
  feed(&fd, 1, ATF_KIND_FUNCTION_CALL, 200, "jump");
  feed(&fd, 1, ATF_KIND_FUNCTION_RETURN, 150, "jump");
  feed(&fd, 1, ATF_KIND_SIGNAL_DELIVERY, 400, "");
  CHECK_U64(finish(&fd, 1), 2);
  atf_flame_get(fd.f, 0, &row); /* main: 300 - (-50) */
  CHECK_I64(row.self_dur.exact, 350);
  atf_flame_get(fd.f, 1, &row);
  CHECK_I64(row.self_dur.exact, 0);
  CHECK_I64(row.negative_self_dur.exact, -50);
  stop(&fd);
  start(&fd, 0);
  feed(&fd, 1, ATF_KIND_FUNCTION_CALL, 100, "main");
  CHECK_U64(finish(&fd, 0), 1); /* not closed: unknown */
  atf_flame_get(fd.f, 0, &row);
  CHECK_U64(row.untimed, 1);
  CHECK_U64(row.calls, 1);
  stop(&fd);
}

static const check_case cases[] = {
    CASE(flame__million_calls_three_paths__then_memory_of_paths),
    CASE(flame__deep_recursion__then_one_row_per_depth),
    CASE(flame__per_thread__then_thread_frame_first),
    CASE(flame__separators_in_symbols__then_escaped),
    CASE(flame__open_negative_and_untimed__then_counted_apart),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
