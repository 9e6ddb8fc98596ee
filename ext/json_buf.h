/*
** json_buf.h - JSON text built in a buffer a cursor reuses row after row:
** no allocation per row once it is large enough, and no printf.
*/
#ifndef ATF_JSON_BUF_H
#define ATF_JSON_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "atf_reader.h"

typedef struct json_buf {
  char *data;
  size_t len, cap;
  int oom;  /* an append failed for memory: the text is incomplete */
  int utf8; /* every string appended was valid UTF-8 */
} json_buf;

/* Empties B for a new value (keeps its memory). */
void json_reset(json_buf *b);
/* Makes room for MORE bytes; 0 when memory ran out (b->oom then). */
int json_reserve(json_buf *b, size_t more);
static inline void json_char(json_buf *b, char c) {
  if (b->len < b->cap || json_reserve(b, 1)) b->data[b->len++] = c;
}
void json_int64(json_buf *b, int64_t v);
/* Appends BYTES as a JSON string literal, escaped as JSON requires. Bytes
** that are not valid UTF-8 are kept as they are and clear b->utf8, so the
** caller can hand the text over as a BLOB instead of TEXT. */
void json_string(json_buf *b, atf_bytes bytes);
/* The same, but each byte that is not part of a well-formed UTF-8 character
** is written as U+FFFD (the replacement character), so that the text is
** always UTF-8; returns how many bytes were replaced. */
uint64_t json_string_replacing(json_buf *b, atf_bytes bytes);
/* Appends N bytes of P as they are (JSON the caller vouches for). */
void json_raw(json_buf *b, const void *p, size_t n);
void json_free(json_buf *b);

#endif
