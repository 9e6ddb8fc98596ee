/*
** fuzz_v2_detail.c - libFuzzer target: arbitrary bytes as an ATF v2
** detail.atf, through the header/footer rules, the lazy walk (uniform
** stride or marks), record lookups in any order, the links from index
** records, the payload decoder and the register naming.
**
** Held against an independent walk of the records by total_length: the
** walk's count, torn tail and damage; every record found at the offset the
** independent walk gives, in forward and in reverse order; a link that the
** reader calls OK always names the index record asked about (a row never
** shows another event's detail); stacks stay inside their record.
*/
#include "fuzz_common.h"

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) {
  return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

#define MAX_RECORDS 4096

static char path[] = "fuzz/thread_0/detail.atf";
static char index_path[] = "fuzz/thread_0/index.atf";

static void check_record(const atf_v2_detail *d, const uint8_t *data,
                         uint64_t region_end) {
  FUZZ_CHECK(d->total_length >= 24 && d->offset + d->total_length <= region_end,
             "record at %llu beyond the records",
             (unsigned long long)d->offset);
  FUZZ_CHECK(d->payload == data + d->offset + 24 &&
                 d->payload_len == d->total_length - 24,
             "payload");
  if (d->has_payload) {
    FUZZ_CHECK(d->payload_len >= ATF_V2_DETAIL_PAYLOAD_MIN_BYTES, "short");
    FUZZ_CHECK(d->stack_size == le32(d->payload + 248), "stack_size");
    if (d->stack_size <= 128)
      FUZZ_CHECK(!d->stack_damaged && d->stack.len == d->stack_size &&
                     d->stack.ptr == d->payload + 120,
                 "stack");
    else
      FUZZ_CHECK(d->stack_damaged && d->stack.len == 0, "damaged stack");
  }
  for (uint8_t arch = 0; arch < 4; arch++) {
    atf_v2_register r[ATF_V2_MAX_REGISTERS];
    size_t n = atf_v2_registers(arch, d, r);
    FUZZ_CHECK(n <= ATF_V2_MAX_REGISTERS && (n > 0) == (d->has_payload != 0),
               "registers: %zu", n);
    for (size_t i = 0; i < n; i++)
      FUZZ_CHECK(r[i].name && r[i].name[0], "register name");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint64_t offsets[MAX_RECORDS];
  atf_map dmap = fuzz_map_of(data, size), imap = fuzz_map_of(NULL, 0);
  atf_v2_thread th;
  atf_error err;
  uint64_t n = 0, pos = 64, torn = 0, end;
  int damaged = 0;
  dmap.path = path;
  imap.path = index_path;
  atf_status rc = atf_v2_thread_init_maps(&th, 0, &imap, &dmap, &err);
  if (rc != ATF_OK) {
    FUZZ_CHECK(rc == ATF_ERR_FORMAT && err.code == rc &&
                   strstr(err.message, path),
               "status %d: %s", (int)rc, err.message);
    return 0;
  }
  if (!th.detail.header_whole) {
    atf_v2_detail d;
    FUZZ_CHECK(size < 64, "a whole header not read as one");
    FUZZ_CHECK(atf_v2_detail_at(&th, 0, &d, NULL) == ATF_ERR_RANGE,
               "records without a header");
    atf_v2_thread_free(&th);
    return 0;
  }
  end = th.detail.region_end;
  FUZZ_CHECK(end >= 64 && end <= size, "region_end %llu of %zu",
             (unsigned long long)end, size);
  /* The independent walk. */
  while (1) {
    uint32_t len;
    if (end - pos < 24) {
      torn = end - pos;
      break;
    }
    len = le32(data + pos);
    if (len < 24) {
      damaged = 1;
      break;
    }
    if (len > end - pos) {
      torn = end - pos;
      break;
    }
    if (n < MAX_RECORDS) offsets[n] = pos;
    n++;
    pos += len;
  }
  /* Lookups before the walk: backwards, then with links. */
  for (uint64_t k = n < MAX_RECORDS ? n : MAX_RECORDS; k-- > 0;) {
    atf_v2_detail d;
    FUZZ_CHECK(atf_v2_detail_at(&th, k, &d, NULL) == ATF_OK, "record %llu",
               (unsigned long long)k);
    FUZZ_CHECK(d.offset == offsets[k] && d.seq == k,
               "record %llu at %llu, the walk says %llu", (unsigned long long)k,
               (unsigned long long)d.offset, (unsigned long long)offsets[k]);
    FUZZ_CHECK(d.index_seq == le32(data + d.offset + 8) &&
                   d.timestamp == le64(data + d.offset + 16),
               "record header");
    check_record(&d, data, end);
  }
  FUZZ_CHECK(atf_v2_detail_walk(&th, &err) == ATF_OK, "walk");
  FUZZ_CHECK(th.layout.walked == n && th.layout.torn_bytes == torn &&
                 th.layout.damaged == damaged,
             "walk: %llu records, %llu torn, damage %d; independently %llu, "
             "%llu, %d",
             (unsigned long long)th.layout.walked,
             (unsigned long long)th.layout.torn_bytes, th.layout.damaged,
             (unsigned long long)n, (unsigned long long)torn, damaged);
  {
    atf_v2_detail d;
    FUZZ_CHECK(atf_v2_detail_at(&th, n, &d, NULL) == ATF_END, "past the end");
  }
  atf_v2_thread_free(&th);

  /* Links on a fresh thread (nothing walked): for each record k, the index
  ** record it names, linking to k; and a neighbour's seq, which must never
  ** show this record. */
  FUZZ_CHECK(atf_v2_thread_init_maps(&th, 0, &imap, &dmap, &err) == ATF_OK,
             "reopen");
  for (uint64_t k = 0; k < n && k < 64; k++) {
    atf_v2_event ev;
    atf_v2_detail d;
    atf_v2_link link;
    uint64_t at = offsets[k];
    memset(&ev, 0, sizeof ev);
    ev.seq = le32(data + at + 8);
    ev.ts_ns = le64(data + at + 16);
    ev.detail_seq = (uint32_t)k;
    FUZZ_CHECK(atf_v2_thread_detail_of(&th, &ev, &d, &link, NULL) == ATF_OK,
               "detail_of");
    FUZZ_CHECK(link == ATF_V2_LINK_OK && d.index_seq == ev.seq,
               "record %llu does not link back to what it names: %d",
               (unsigned long long)k, (int)link);
    ev.seq++;
    FUZZ_CHECK(atf_v2_thread_detail_of(&th, &ev, &d, &link, NULL) == ATF_OK,
               "detail_of");
    FUZZ_CHECK(link != ATF_V2_LINK_OK || d.index_seq == ev.seq,
               "detail of index record %u shown for %u", d.index_seq, ev.seq);
  }
  atf_v2_thread_free(&th);
  return 0;
}
