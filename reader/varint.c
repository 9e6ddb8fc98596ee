/*
** varint.c - protobuf base-128 varints: 7 bits a byte, least significant
** group first, high bit set on every byte but the last; at most 10 bytes.
*/
#include "internal.h"

atf_status atf_varint_decode(const uint8_t *p, const uint8_t *end,
                             uint64_t *value, size_t *len) {
  uint64_t result = 0;
  size_t i;
  /* One byte is by far the most common case (small lengths and fields). */
  if (p < end && p[0] < 0x80) {
    *value = p[0];
    *len = 1;
    return ATF_OK;
  }
  for (i = 0; i < 10; i++) {
    uint8_t byte;
    if (p + i >= end) return ATF_END; /* cut short */
    byte = p[i];
    /* The 10th byte holds bit 63 alone: anything more overflows. */
    if (i == 9 && byte > 1) return ATF_ERR_VARINT;
    result |= (uint64_t)(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      *value = result;
      *len = i + 1;
      return ATF_OK;
    }
  }
  return ATF_ERR_VARINT; /* an 11th byte would be needed */
}
