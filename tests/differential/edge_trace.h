/*
** edge_trace.h - a trace made of edge values, for the differential SQL
** test: event ids 0, 1, 2^63-1, 2^63, 2^64-1 and within 2.3e16 of 2^63;
** timestamps at both ends of int64, exactly 1700000000000000000, 0, and
** absent; thread ids 0, negative, +-(2^31-1), -2^31; an event without
** payload, a zero-length record, payloads of every kind holding only
** defaults; strings with NUL bytes and bytes that are not UTF-8; addresses
** and registers with the top bit set.
**
** Events are packed with protobuf-c (independently of reader/). protobuf-c
** spells a string as a C string, so a NUL inside one is written as the byte
** 0x01 and patched to 0x00 in the packed record (same length, still valid).
** The edge events come twice, around 1500 ordinary calls, so that both ends
** of the file and two index blocks hold extremes.
*/
#ifndef ATF_EDGE_TRACE_H
#define ATF_EDGE_TRACE_H

#include <stddef.h>
#include <stdint.h>

/* What one record should read back as (the header, kind and symbol). */
typedef struct edge_row {
  uint64_t offset, size;
  uint64_t event_id;
  int32_t thread_id;
  int has_ts;
  int64_t ts;
  const char *kind;   /* NULL: no payload */
  const char *symbol; /* call/return: the bytes (NUL where 0x01 was), or NULL */
  size_t symbol_len;
  int symbol_utf8; /* the symbol is UTF-8 (TEXT) or not (BLOB) */
} edge_row;

/* Writes DIR/events.bin (no trace.json: the trace of a crashed process).
** WITH_INT64_MIN adds an event whose timestamp is seconds -9223372037,
** nanos 145224192, which is INT64_MIN nanoseconds. Returns 0 and, when ROWS
** is non-NULL, a malloc'd array of what each record should read as, or -1
** with a message on stderr. Symbols point into static storage. */
int edge_trace_write(const char *dir, int with_int64_min, edge_row **rows,
                     size_t *n);

#endif
