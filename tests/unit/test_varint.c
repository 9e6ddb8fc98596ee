/*
** test_varint.c - the base-128 varint decoder.
*/
#include "atf_reader.h"
#include "check.h"

static atf_status decode(const uint8_t *p, size_t n, uint64_t *v, size_t *len) {
  return atf_varint_decode(p, p + n, v, len);
}

static void varint__single_byte__then_correct(void) {
  const uint8_t zero[] = {0x00}, max1[] = {0x7f};
  uint64_t v = 99;
  size_t len = 0;
  CHECK(decode(zero, 1, &v, &len) == ATF_OK);
  CHECK_U64(v, 0);
  CHECK_U64(len, 1);
  CHECK(decode(max1, 1, &v, &len) == ATF_OK);
  CHECK_U64(v, 127);
  CHECK_U64(len, 1);
}

static void varint__multi_byte__then_correct(void) {
  const uint8_t v300[] = {0xac, 0x02, 0xff}; /* 300, then an unrelated byte */
  const uint8_t v16384[] = {0x80, 0x80, 0x01};
  const uint8_t padded[] = {0x81, 0x80, 0x80, 0x00}; /* 1, non-minimal */
  uint64_t v;
  size_t len;
  CHECK(decode(v300, 3, &v, &len) == ATF_OK);
  CHECK_U64(v, 300);
  CHECK_U64(len, 2);
  CHECK(decode(v16384, 3, &v, &len) == ATF_OK);
  CHECK_U64(v, 16384);
  CHECK_U64(len, 3);
  CHECK(decode(padded, 4, &v, &len) == ATF_OK);
  CHECK_U64(v, 1);
  CHECK_U64(len, 4);
}

static void varint__maximum_value__then_correct(void) {
  const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                         0xff, 0xff, 0xff, 0xff, 0x01};
  const uint8_t minus_eleven[] = {0xf5, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0x01};
  const uint8_t bit63[] = {0x80, 0x80, 0x80, 0x80, 0x80,
                           0x80, 0x80, 0x80, 0x80, 0x01};
  uint64_t v;
  size_t len;
  CHECK(decode(max, 10, &v, &len) == ATF_OK);
  CHECK_U64(v, UINT64_MAX);
  CHECK_U64(len, 10);
  CHECK(decode(minus_eleven, 10, &v, &len) == ATF_OK); /* int32 -11 */
  CHECK_I64((int64_t)v, -11);
  CHECK(decode(bit63, 10, &v, &len) == ATF_OK);
  CHECK_U64(v, (uint64_t)1 << 63);
}

static void varint__truncated__then_error(void) {
  const uint8_t cut[] = {0xac}; /* continuation bit set, then nothing */
  const uint8_t cut9[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  uint64_t v;
  size_t len;
  CHECK(decode(cut, 1, &v, &len) == ATF_END);
  CHECK(decode(cut9, 9, &v, &len) == ATF_END);
  CHECK(decode(cut, 0, &v, &len) == ATF_END); /* nothing at all */
}

static void varint__overlong__then_error(void) {
  const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                            0x80, 0x80, 0x80, 0x80, 0x00};
  const uint8_t overflow[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0x02};
  uint64_t v;
  size_t len;
  CHECK(decode(eleven, 11, &v, &len) == ATF_ERR_VARINT);
  CHECK(decode(overflow, 10, &v, &len) == ATF_ERR_VARINT);
}

static const check_case cases[] = {CASE(varint__single_byte__then_correct),
                                   CASE(varint__multi_byte__then_correct),
                                   CASE(varint__maximum_value__then_correct),
                                   CASE(varint__truncated__then_error),
                                   CASE(varint__overlong__then_error),
                                   {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
