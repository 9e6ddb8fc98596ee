/*
** utf8.c - strict UTF-8 validation (RFC 3629): no overlong forms, no UTF-16
** surrogates, nothing above U+10FFFF.
*/
#include <string.h>

#include "internal.h"

int atf_utf8_valid(const uint8_t *p, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = p[i];
    /* Symbols and names are mostly ASCII: take 8 bytes at a time. */
    if (len - i >= 8) {
      uint64_t word;
      memcpy(&word, p + i, 8);
      if (!(word & 0x8080808080808080ull)) {
        i += 8;
        continue;
      }
    }
    size_t n;
    if (c < 0x80) {
      i++;
      continue;
    }
    n = atf_utf8_char_len(p + i, len - i);
    if (n == 0) return 0;
    i += n;
  }
  return 1;
}

size_t atf_utf8_char(const uint8_t *p, size_t avail) {
  return atf_utf8_char_len(p, avail);
}
