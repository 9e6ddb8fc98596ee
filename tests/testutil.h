/*
** testutil.h - temporary files and hand-built protobuf bytes for the tests.
**
** The protobuf builder writes exactly the bytes a test asks for, including
** what no well-behaved encoder writes (wrong wire types, repeated members,
** groups), so each wire rule of docs/FORMAT.md section 3 can be tested alone.
*/
#ifndef ATF_TESTUTIL_H
#define ATF_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under $TMPDIR (or /tmp); removed by nothing: CTest runs
** are short and the names are unique. */
static inline const char *temp_dir(void) {
  static char path[256];
  const char *base = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/atf-test-XXXXXX", base ? base : "/tmp");
  if (!mkdtemp(path)) {
    perror("mkdtemp");
    exit(2);
  }
  return path;
}

/* Writes LEN bytes to DIR/NAME; returns the path (static buffer). */
static inline const char *write_file(const char *dir, const char *name,
                                     const void *data, size_t len) {
  static char path[1024];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
    perror(path);
    exit(2);
  }
  return path;
}

/* ---- protobuf bytes --------------------------------------------------- */

typedef struct pb_buf {
  uint8_t data[4096];
  size_t len;
} pb_buf;

static inline void pb_raw(pb_buf *b, const void *p, size_t n) {
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static inline void pb_varint(pb_buf *b, uint64_t v) {
  while (v >= 0x80) {
    b->data[b->len++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b->data[b->len++] = (uint8_t)v;
}

static inline void pb_tag(pb_buf *b, uint32_t field, int wire) {
  pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

/* field = varint V */
static inline void pb_uint(pb_buf *b, uint32_t field, uint64_t v) {
  pb_tag(b, field, 0);
  pb_varint(b, v);
}

/* field = length-delimited bytes */
static inline void pb_bytes(pb_buf *b, uint32_t field, const void *p,
                            size_t n) {
  pb_tag(b, field, 2);
  pb_varint(b, n);
  pb_raw(b, p, n);
}

static inline void pb_str(pb_buf *b, uint32_t field, const char *s) {
  pb_bytes(b, field, s, strlen(s));
}

/* field = embedded message M */
static inline void pb_msg(pb_buf *b, uint32_t field, const pb_buf *m) {
  pb_bytes(b, field, m->data, m->len);
}

/* A whole record: length prefix, then BODY. */
static inline void pb_record(pb_buf *out, const pb_buf *body) {
  pb_varint(out, body->len);
  pb_raw(out, body->data, body->len);
}

#endif
