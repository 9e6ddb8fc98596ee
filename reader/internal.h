/*
** internal.h - helpers shared by the reader's sources; not part of the API.
*/
#ifndef ATF_READER_INTERNAL_H
#define ATF_READER_INTERNAL_H

#include "atf_reader.h"

#if defined(__GNUC__)
#define ATF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ATF_PRINTF(f, a)
#endif

/* Fills ERR (which may be NULL) and returns CODE, so that callers can write
** `return atf_fail(err, ATF_ERR_IO, off, "%s: ...", path);`. */
atf_status atf_fail(atf_error *err, atf_status code, uint64_t offset,
                    const char *fmt, ...) ATF_PRINTF(4, 5);

/* The varint at P (before END), inlined where records are framed and
** decoded. STRICT (framing prefixes): a 10th byte above 1 overflows 64 bits
** and is ATF_ERR_VARINT. Otherwise (fields, as Google's parsers read them)
** the bits beyond 64 are dropped. ATF_END when the bytes run out first. */
static inline atf_status atf_varint_read(const uint8_t *p, const uint8_t *end,
                                         uint64_t *value, size_t *len,
                                         int strict) {
  size_t avail = (size_t)(end - p);
  uint64_t result = 0;
  /* One and two bytes cover tags, lengths and most small values. */
  if (avail >= 1 && p[0] < 0x80) {
    *value = p[0];
    *len = 1;
    return ATF_OK;
  }
  if (avail >= 2 && p[1] < 0x80) {
    *value = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
    *len = 2;
    return ATF_OK;
  }
  if (avail >= 10) { /* room for the longest: no bounds test per byte */
    result = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7;
    for (size_t i = 2; i < 10; i++) {
      result |= (uint64_t)(p[i] & 0x7f) << (7 * i);
      if (p[i] < 0x80) {
        if (strict && i == 9 && p[i] > 1) return ATF_ERR_VARINT;
        *value = result;
        *len = i + 1;
        return ATF_OK;
      }
    }
    return ATF_ERR_VARINT;
  }
  for (size_t i = 0; i < 10; i++) {
    if (i >= avail) return ATF_END; /* cut short */
    if (strict && i == 9 && p[i] > 1) return ATF_ERR_VARINT;
    result |= (uint64_t)(p[i] & 0x7f) << (7 * i); /* i == 9: bit 63 only */
    if (p[i] < 0x80) {
      *value = result;
      *len = i + 1;
      return ATF_OK;
    }
  }
  return ATF_ERR_VARINT; /* an 11th byte would be needed */
}

/* The length (1 to 4) of the well-formed UTF-8 character at P, of which
** AVAIL (> 0) bytes are readable; 0 when the bytes there are not one (RFC
** 3629: no overlong form, no UTF-16 surrogate, nothing above U+10FFFF). */
static inline size_t atf_utf8_char_len(const uint8_t *p, size_t avail) {
  uint8_t c = p[0];
  size_t need;
  uint32_t cp, min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    need = 1, cp = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 2, cp = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3, cp = c & 0x07, min = 0x10000;
  } else {
    return 0; /* continuation byte first, or 0xc0/0xc1/0xf5.. */
  }
  if (avail - 1 < need) return 0;
  for (size_t k = 1; k <= need; k++) {
    if ((p[k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[k] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return need + 1;
}

/* Whether STOP asks a pass that has read RECORDS records to stop (it is
** asked every ATF_INTERRUPT_RECORDS records); fills ERR when so. */
static inline int atf_stopped(const atf_interrupt *stop, uint64_t records,
                              atf_error *err) {
  if (!stop || !stop->fn || records % ATF_INTERRUPT_RECORDS != 0 ||
      !stop->fn(stop->user))
    return 0;
  atf_fail(err, ATF_ERR_INTERRUPTED, ATF_NO_OFFSET, "interrupted");
  return 1;
}

/* malloc'd copy of S, or NULL when out of memory. */
char *atf_strdup(const char *s);

/* The atf_check findings (at most 2: manifest_control_character,
** manifest_invalid_utf8) of what a manifest's strings hold that JSON
** forbids or SQL cannot take as TEXT (NOTES, from atf_json_check over
** JSON, the file PATH's text), into OUT. Returns how many. */
int atf_manifest_string_findings(const atf_json_notes *n, const char *json,
                                 const char *path, atf_finding out[2]);

/* Little-endian integers at P (ATF v2 is packed little-endian: fields sit
** at offsets that are not multiples of their size). */
static inline uint16_t atf_le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t atf_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static inline uint64_t atf_le64(const uint8_t *p) {
  return (uint64_t)atf_le32(p) | (uint64_t)atf_le32(p + 4) << 32;
}

/* "DIR/NAME", malloc'd; NULL when out of memory. */
char *atf_path_join(const char *dir, const char *name);

#endif
