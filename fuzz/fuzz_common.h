/*
** fuzz_common.h - helpers the libFuzzer targets in fuzz/ share: failing
** loudly on a broken invariant, an atf_map over the fuzzer's own buffer, a
** trace directory to write inputs into, and an independent UTF-8 check to
** hold atf_utf8_valid against.
**
** Header-only (static functions) so that each target stays one translation
** unit plus the code under test.
*/
#ifndef ATF_FUZZ_COMMON_H
#define ATF_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atf_reader.h"

/* A broken invariant: print why and abort(), which libFuzzer reports as a
** crash and saves the input for. */
__attribute__((format(printf, 1, 2), noreturn, unused)) static void
fuzz_fail(const char *fmt, ...) {
  va_list ap;
  fputs("FUZZ INVARIANT BROKEN: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

#define FUZZ_CHECK(cond, ...)                                                  \
  do {                                                                         \
    if (!(cond)) fuzz_fail(__VA_ARGS__);                                       \
  } while (0)

/* An atf_map over DATA[0..SIZE), as atf_map_open would give for a file of
** those bytes. The map is plain data: it must never reach atf_map_close,
** which would munmap and free what it does not own. */
static char fuzz_map_path[] = "fuzz/events.bin";
__attribute__((unused)) static atf_map fuzz_map_of(const uint8_t *data,
                                                   size_t size) {
  atf_map m;
  memset(&m, 0, sizeof m);
  m.data = size ? data : NULL; /* as atf_map_open: NULL when empty */
  m.size = size;
  m.id.device = 1; /* a fixed identity: every input is "the same file" */
  m.id.inode = 1;
  m.id.size = size;
  m.path = fuzz_map_path;
  return m;
}

/* A trace directory of the target's own under TMPDIR, removed at exit, for
** the targets that query through SQL: fuzz_trace_init once (from
** LLVMFuzzerInitialize), then fuzz_trace_write the input as its events.bin
** (APPEND: after what is there, as a live tracer does). */
static char fuzz_trace_dir[4096];
static char fuzz_events_path[4200];

static void fuzz_trace_remove(void) {
  unlink(fuzz_events_path);
  rmdir(fuzz_trace_dir);
}

__attribute__((unused)) static void fuzz_trace_init(const char *target) {
  const char *tmp = getenv("TMPDIR");
  snprintf(fuzz_trace_dir, sizeof fuzz_trace_dir, "%s/atf-%s-XXXXXX",
           tmp && *tmp ? tmp : "/tmp", target);
  FUZZ_CHECK(mkdtemp(fuzz_trace_dir), "mkdtemp %s failed", fuzz_trace_dir);
  snprintf(fuzz_events_path, sizeof fuzz_events_path, "%s/events.bin",
           fuzz_trace_dir);
  atexit(fuzz_trace_remove);
}

__attribute__((unused)) static void fuzz_trace_write(const uint8_t *data,
                                                     size_t size, int append) {
  int fd = open(fuzz_events_path,
                O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                0600);
  FUZZ_CHECK(fd >= 0, "cannot open %s", fuzz_events_path);
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    FUZZ_CHECK(n > 0, "cannot write %s", fuzz_events_path);
    data += n;
    size -= (size_t)n;
  }
  close(fd);
}

/* Well-formed UTF-8 by the table of well-formed byte sequences (Unicode
** 15, table 3-7), written as byte ranges rather than by decoding code
** points, so that it shares no logic with reader/utf8.c. */
__attribute__((unused)) static int fuzz_utf8_reference(const uint8_t *p,
                                                       size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = p[i];
    uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
    size_t tail;
    if (b <= 0x7f) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      tail = 1;
    } else if (b == 0xe0) {
      tail = 2, lo = 0xa0;
    } else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) {
      tail = 2;
    } else if (b == 0xed) {
      tail = 2, hi = 0x9f; /* no surrogates */
    } else if (b == 0xf0) {
      tail = 3, lo = 0x90;
    } else if (b >= 0xf1 && b <= 0xf3) {
      tail = 3;
    } else if (b == 0xf4) {
      tail = 3, hi = 0x8f; /* nothing above U+10FFFF */
    } else {
      return 0;
    }
    if (n - i <= tail) return 0;
    if (p[i + 1] < lo || p[i + 1] > hi) return 0;
    for (size_t k = 2; k <= tail; k++)
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) return 0;
    i += tail + 1;
  }
  return 1;
}

/* atf_utf8_valid must agree with the reference on every string. */
__attribute__((unused)) static void fuzz_check_utf8(atf_bytes b,
                                                    const char *what) {
  int got = atf_utf8_valid(b.ptr, b.len);
  int want = fuzz_utf8_reference(b.ptr, b.len);
  FUZZ_CHECK(got == want,
             "atf_utf8_valid says %d, reference %d, for %s (%zu bytes)", got,
             want, what, b.len);
}

#endif
