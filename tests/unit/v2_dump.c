/*
** v2_dump.c - prints an ATF v2 trace as the reader sees it, one line per
** row in merge order, for tests/python/test_v2_decode.py to compare with
** its own decoding of the same files:
**
**   ROWID TS FUNCTION_ID THREAD_ID KIND DEPTH DETAIL_SEQ LINK
**     [OS_TID EVENT_TYPE STACK_SIZE STACK_HEX X0..X7 LR FP SP]   (LINK ok)
**
** Numbers are decimal, the function id and registers hex; LINK is none, ok,
** dangling or mismatch. Usage: v2-dump TRACE_DIR. Exit 1 when the trace
** cannot be opened.
*/
#include <inttypes.h>
#include <stdio.h>

#include "atf_reader.h"

static const char *link_name(atf_v2_link link) {
  switch (link) {
  case ATF_V2_LINK_NONE: return "none";
  case ATF_V2_LINK_OK: return "ok";
  case ATF_V2_LINK_DANGLING: return "dangling";
  case ATF_V2_LINK_MISMATCH: return "mismatch";
  }
  return "?";
}

int main(int argc, char **argv) {
  atf_v2_trace t;
  atf_v2_merge m;
  atf_v2_event ev;
  atf_error err;
  if (argc != 2) {
    fprintf(stderr, "usage: v2-dump TRACE_DIR\n");
    return 2;
  }
  if (atf_v2_open(argv[1], 0, &t, &err) != ATF_OK ||
      atf_v2_merge_init(&m, &t, NULL, 0, &err) != ATF_OK) {
    fprintf(stderr, "v2-dump: %s\n", err.message);
    return 1;
  }
  while (atf_v2_merge_next(&m, &ev) == ATF_OK) {
    atf_v2_detail d;
    atf_v2_link link;
    if (atf_v2_detail_of(&t, &ev, &d, &link, &err) != ATF_OK) {
      fprintf(stderr, "v2-dump: %s\n", err.message);
      return 1;
    }
    printf("%" PRIu64 " %" PRIu64 " %016" PRIx64 " %u %u %u %u %s", ev.rowid,
           ev.ts_ns, ev.function_id, ev.thread_id, ev.kind, ev.call_depth,
           ev.detail_seq, link_name(link));
    if (link == ATF_V2_LINK_OK) {
      printf(" %u %u %u ", d.os_thread_id, d.event_type, d.stack_size);
      for (size_t i = 0; i < d.stack.len; i++)
        printf("%02x", d.stack.ptr[i]);
      if (!d.stack.len) printf("-");
      for (int i = 0; i < 8; i++)
        printf(" %" PRIx64, d.x_regs[i]);
      printf(" %" PRIx64 " %" PRIx64 " %" PRIx64, d.lr, d.fp, d.sp);
    }
    printf("\n");
  }
  atf_v2_merge_free(&m);
  atf_v2_close(&t);
  return 0;
}
