/*
** v2_build.h - ATF v2 files built byte by byte for the tests, independently
** of reader/ (the layout of tests/fixtures/atf2/README.md), and fixture
** copies to damage.
**
** A test writes exactly the headers, records, footers and lengths it asks
** for, including what the tracer never writes (mixed record lengths,
** footers that disagree, wrong magic), so that each rule stands alone.
*/
#ifndef ATF_V2_BUILD_H
#define ATF_V2_BUILD_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define FIXTURES_ATF2 ATF_FIXTURE_DIR "/atf2"
#define SMALL FIXTURES_ATF2 "/session_20261129_210031/pid_48213"
#define CRASHED FIXTURES_ATF2 "/session_20261129_210032/pid_48377"
#define EMPTY FIXTURES_ATF2 "/session_20261129_210033/pid_48502"

static inline void b_put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static inline void b_put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline void b_put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t b_get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static inline uint64_t b_get64(const uint8_t *p) {
  return (uint64_t)b_get32(p) | (uint64_t)b_get32(p + 4) << 32;
}

/* "A/B", in one of a few static buffers. */
static inline const char *b_path(const char *a, const char *b) {
  static char bufs[8][1024];
  static int next;
  char *p = bufs[next++ % 8];
  size_t la = strlen(a), lb = strlen(b);
  if (la + 1 + lb >= sizeof bufs[0]) {
    fprintf(stderr, "path too long: %s/%s\n", a, b);
    exit(2);
  }
  memmove(p, a, la); /* A may be an earlier buffer: never this one */
  p[la] = '/';
  memcpy(p + la + 1, b, lb + 1);
  return p;
}

static inline void b_mkdir(const char *path) {
  if (mkdir(path, 0777) != 0 && errno != EEXIST) {
    perror(path);
    exit(2);
  }
}

/* TRACE/thread_SLOT, created. */
static inline const char *b_thread_dir(const char *trace, uint32_t slot) {
  char name[32];
  const char *dir;
  snprintf(name, sizeof name, "thread_%u", slot);
  dir = b_path(trace, name);
  b_mkdir(dir);
  return dir;
}

static inline void b_write(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
    perror(path);
    exit(2);
  }
}

/* Overwrites N bytes at OFFSET of PATH. */
static inline void b_patch(const char *path, long offset, const void *bytes,
                           size_t n) {
  FILE *f = fopen(path, "r+b");
  if (!f || fseek(f, offset, SEEK_SET) != 0 || fwrite(bytes, 1, n, f) != n ||
      fclose(f) != 0) {
    perror(path);
    exit(2);
  }
}

static inline void b_patch32(const char *path, long offset, uint32_t v) {
  uint8_t b[4];
  b_put32(b, v);
  b_patch(path, offset, b, 4);
}

static inline void b_truncate(const char *path, long size) {
  if (truncate(path, size) != 0) {
    perror(path);
    exit(2);
  }
}

/* A writable copy of the fixture trace SRC in a fresh temporary directory:
** returns DIR/<basename of SRC>. */
static inline const char *b_copy(const char *src) {
  static char dst[1024];
  char cmd[3072];
  const char *base = strrchr(src, '/');
  snprintf(dst, sizeof dst, "%s/%s", temp_dir(), base ? base + 1 : src);
  snprintf(cmd, sizeof cmd, "cp -R '%s' '%s' && chmod -R u+w '%s'", src, dst,
           dst);
  if (system(cmd) != 0) {
    fprintf(stderr, "cannot copy %s\n", src);
    exit(2);
  }
  return dst;
}

/* ---- index.atf ------------------------------------------------------------
 */

typedef struct b_rec {
  uint64_t ts, fid;
  uint32_t tid, kind, depth, dseq;
} b_rec;

/* index.atf of SLOT holding RECS: with FINAL the finalized header and a
** footer (flag bit 0 = DETAIL_FLAG), else the placeholder header alone. */
static inline void b_index(const char *path, uint32_t slot, const b_rec *recs,
                           size_t n, int final, int detail_flag) {
  size_t size = 64 + 32 * n + (final ? 64 : 0);
  uint8_t *b = calloc(1, size);
  uint64_t first = n ? recs[0].ts : 0, last = n ? recs[n - 1].ts : 0;
  memcpy(b, "ATI2", 4);
  b[4] = 1, b[5] = 1, b[6] = 1, b[7] = 4;
  b_put32(b + 8, final && detail_flag ? 1 : 0);
  b_put32(b + 12, slot);
  b[16] = 1;
  b_put32(b + 24, 32);
  b_put32(b + 28, final ? (uint32_t)n : 0);
  b_put64(b + 32, 64);
  b_put64(b + 40, final ? 64 + 32 * n : 64);
  b_put64(b + 48, final ? first : 0);
  b_put64(b + 56, final ? last : 0);
  for (size_t i = 0; i < n; i++) {
    uint8_t *r = b + 64 + 32 * i;
    b_put64(r, recs[i].ts);
    b_put64(r + 8, recs[i].fid);
    b_put32(r + 16, recs[i].tid);
    b_put32(r + 20, recs[i].kind);
    b_put32(r + 24, recs[i].depth);
    b_put32(r + 28, recs[i].dseq);
  }
  if (final) {
    uint8_t *f = b + 64 + 32 * n;
    memcpy(f, "2ITA", 4);
    b_put64(f + 8, n);
    b_put64(f + 16, first);
    b_put64(f + 24, last);
    b_put64(f + 32, 32 * n);
  }
  b_write(path, b, size);
  free(b);
}

/* ---- detail.atf ------------------------------------------------------------
 */

typedef struct b_drec {
  uint32_t total_length; /* 0: 540 */
  uint32_t index_seq;
  uint64_t ts, fid;
  uint32_t os_tid, kind, depth;
  uint64_t regs[8], lr, fp, sp;
  uint32_t stack_size;
  uint8_t stack_byte; /* the window is filled with this byte */
} b_drec;

/* detail.atf of SLOT holding RECS (each its total_length long: a payload
** shorter than the DetailEvent is cut, a longer one padded with 0). */
static inline void b_detail(const char *path, uint32_t slot, const b_drec *recs,
                            size_t n, int final) {
  size_t bytes = 0, pos = 64, size;
  uint8_t *b;
  for (size_t i = 0; i < n; i++)
    bytes += recs[i].total_length ? recs[i].total_length : 540;
  size = 64 + bytes + (final ? 64 : 0);
  b = calloc(1, size + 540);
  memcpy(b, "ATD2", 4);
  b[4] = 1, b[5] = 1, b[6] = 1, b[7] = 4;
  b_put32(b + 12, slot);
  b_put64(b + 20, 64);
  if (final && n) {
    b_put64(b + 28, n);
    b_put64(b + 36, bytes);
    b_put64(b + 44, recs[0].index_seq);
    b_put64(b + 52, recs[n - 1].index_seq);
  }
  for (size_t i = 0; i < n; i++) {
    const b_drec *d = &recs[i];
    uint32_t len = d->total_length ? d->total_length : 540;
    uint8_t full[540], *p = full + 24;
    memset(full, 0, sizeof full);
    b_put32(full, len);
    b_put16(full + 4, d->kind == 2 ? 4 : 3);
    b_put32(full + 8, d->index_seq);
    b_put32(full + 12, slot);
    b_put64(full + 16, d->ts);
    b_put64(p, d->ts);
    b_put64(p + 8, d->fid);
    b_put32(p + 16, d->os_tid);
    b_put32(p + 20, d->kind);
    b_put32(p + 24, d->depth);
    for (int r = 0; r < 8; r++)
      b_put64(p + 32 + 8 * r, d->regs[r]);
    b_put64(p + 96, d->lr);
    b_put64(p + 104, d->fp);
    b_put64(p + 112, d->sp);
    memset(p + 120, d->stack_byte, 128);
    b_put32(p + 248, d->stack_size);
    memcpy(b + pos, full, len < 540 ? len : 540);
    pos += len;
  }
  if (final) {
    uint8_t *f = b + 64 + bytes;
    memcpy(f, "2DTA", 4);
    b_put64(f + 8, n);
    b_put64(f + 16, bytes);
    b_put64(f + 24, n ? recs[0].ts : 0);
    b_put64(f + 32, n ? recs[n - 1].ts : 0);
  }
  b_write(path, b, size);
  free(b);
}

/* A manifest listing SLOTS[0..N) and no symbol table. */
static inline void b_manifest(const char *trace, const uint32_t *slots,
                              size_t n) {
  char text[4096];
  size_t k = 0;
  k += (size_t)snprintf(text + k, sizeof text - k, "{\n  \"threads\": [\n");
  for (size_t i = 0; i < n; i++)
    k += (size_t)snprintf(text + k, sizeof text - k,
                          "    {\"id\": %u, \"has_detail\": true}%s\n",
                          slots[i], i + 1 < n ? "," : "");
  k += (size_t)snprintf(text + k, sizeof text - k,
                        "  ],\n  \"time_start_ns\": 0,\n  \"time_end_ns\": "
                        "0,\n  \"clock_type\": 1,\n  \"format_version\": "
                        "\"2.0\"\n}\n");
  b_write(b_path(trace, "manifest.json"), text, k);
}

/* A fresh trace directory under a new temporary directory. */
static inline const char *b_trace(void) {
  static char dir[1024];
  snprintf(dir, sizeof dir, "%s/pid_1", temp_dir());
  b_mkdir(dir);
  return dir;
}

#endif
