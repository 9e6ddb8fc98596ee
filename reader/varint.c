/*
** varint.c - protobuf base-128 varints: 7 bits a byte, least significant
** group first, high bit set on every byte but the last; at most 10 bytes.
*/
#include "internal.h"

atf_status atf_varint_decode(const uint8_t *p, const uint8_t *end,
                             uint64_t *value, size_t *len) {
  return atf_varint_read(p, end, value, len, 1);
}
