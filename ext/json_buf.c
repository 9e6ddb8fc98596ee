/*
** json_buf.c - see json_buf.h.
*/
#include <string.h>

#include "json_buf.h"
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

int json_reserve(json_buf *b, size_t more) {
  if (b->oom) return 0;
  if (b->len + more > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
      cap *= 2;
    char *grown = sqlite3_realloc64(b->data, cap);
    if (!grown) {
      b->oom = 1;
      return 0;
    }
    b->data = grown;
    b->cap = cap;
  }
  return 1;
}

static void append(json_buf *b, const void *p, size_t n) {
  if (n && json_reserve(b, n)) {
    memcpy(b->data + b->len, p, n);
    b->len += n;
  }
}

void json_reset(json_buf *b) {
  b->len = 0;
  b->oom = 0;
  b->utf8 = 1;
}

void json_int64(json_buf *b, int64_t v) {
  /* Two digits per division: registers are often 19-20 digits long. */
  static const char pairs[] = "00010203040506070809101112131415161718192021222"
                              "32425262728293031323334353637383940414243444546"
                              "47484950515253545556575859606162636465666768697"
                              "07172737475767778798081828384858687888990919293"
                              "949596979899";
  char digits[24], *p = digits + sizeof digits;
  /* Through the unsigned magnitude, so INT64_MIN needs no special case. */
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  while (u >= 100) {
    const char *pair = pairs + 2 * (u % 100);
    u /= 100;
    *--p = pair[1];
    *--p = pair[0];
  }
  if (u >= 10) {
    *--p = pairs[2 * u + 1];
    *--p = pairs[2 * u];
  } else {
    *--p = (char)('0' + u);
  }
  if (v < 0) *--p = '-';
  append(b, p, (size_t)(digits + sizeof digits - p));
}

/* Whether P[0..N) is printable ASCII without '"' or '\\': copied as it is,
** and valid UTF-8 (register names, symbols). */
static int plain_ascii(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\') return 0;
  return 1;
}

void json_string(json_buf *b, atf_bytes bytes) {
  static const char hex[] = "0123456789abcdef";
  size_t start = 0;
  if (plain_ascii(bytes.ptr, bytes.len)) {
    if (json_reserve(b, bytes.len + 2)) {
      b->data[b->len++] = '"';
      if (bytes.len) memcpy(b->data + b->len, bytes.ptr, bytes.len);
      b->len += bytes.len;
      b->data[b->len++] = '"';
    }
    return;
  }
  json_char(b, '"');
  for (size_t i = 0; i < bytes.len; i++) {
    unsigned char c = bytes.ptr[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    append(b, bytes.ptr + start, i - start);
    start = i + 1;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      append(b, esc, 2);
    } else {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      append(b, esc, 6);
    }
  }
  append(b, bytes.ptr + start, bytes.len - start);
  json_char(b, '"');
  if (!atf_utf8_valid(bytes.ptr, bytes.len)) b->utf8 = 0;
}

uint64_t json_string_replacing(json_buf *b, atf_bytes bytes) {
  static const char hex[] = "0123456789abcdef";
  static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
  uint64_t replaced = 0;
  size_t start = 0, i = 0;
  json_char(b, '"');
  while (i < bytes.len) {
    unsigned char c = bytes.ptr[i];
    size_t n;
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      i++;
      continue;
    }
    if (c >= 0x80 && (n = atf_utf8_char(bytes.ptr + i, bytes.len - i))) {
      i += n;
      continue;
    }
    append(b, bytes.ptr + start, i - start);
    if (c >= 0x80) {
      append(b, replacement, 3);
      replaced++;
    } else if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      append(b, esc, 2);
    } else {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      append(b, esc, 6);
    }
    start = ++i;
  }
  append(b, bytes.ptr + start, bytes.len - start);
  json_char(b, '"');
  return replaced;
}

void json_raw(json_buf *b, const void *p, size_t n) { append(b, p, n); }

void json_free(json_buf *b) {
  sqlite3_free(b->data);
  memset(b, 0, sizeof *b);
}
