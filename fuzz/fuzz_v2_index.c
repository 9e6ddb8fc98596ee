/*
** fuzz_v2_index.c - libFuzzer target: arbitrary bytes as ATF v2 index.atf
** files, through the header/footer rules, the records, the k-way merge and
** the twin detector.
**
** The input is split before every "ATI2" into up to 8 files, thread i's
** index.atf each (so a seed is index files laid end to end). Each file is
** validated (atf_v2_index_file_init) and held against an independent
** reading of the placeholder rule; every record is read and compared with
** its bytes; the files that open are merged and the merge held against a
** naive scan of the heads; each file's twins are found and checked.
** The bytes are read in place (ASan sees any read past a file's end).
*/
#include "fuzz_common.h"

#define MAX_FILES 8

static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* The record count the README's rules give, written apart from the reader:
** -1 when the file must be refused. */
static int64_t expected_records(const uint8_t *p, size_t n, uint64_t *torn) {
  static const uint8_t magic[4] = {'A', 'T', 'I', '2'};
  uint64_t fo;
  *torn = 0;
  if (n == 0) return 0;
  if (memcmp(p, magic, n < 4 ? n : 4) != 0) return -1;
  if (n > 4 && p[4] != 1) return -1;
  if (n > 5 && p[5] != 1) return -1;
  if (n < 64) {
    *torn = n;
    return 0;
  }
  if (le32(p + 24) != 32 || le64(p + 32) != 64) return -1;
  fo = le64(p + 40);
  if (n >= 128 && fo >= 64 && fo <= n - 64 && memcmp(p + fo, "2ITA", 4) == 0)
    return (int64_t)((fo - 64) / 32);
  if (fo > 64 && (fo - 64) % 32 == 0 && fo <= n) {
    *torn = n - fo;
    return (int64_t)((fo - 64) / 32);
  }
  *torn = (n - 64) % 32;
  return (int64_t)((n - 64) / 32);
}

static char paths[MAX_FILES][32];

static void check_file(const atf_v2_thread *th, const uint8_t *p, size_t n) {
  uint64_t torn;
  int64_t want = expected_records(p, n, &torn);
  const atf_v2_index_file *f = &th->index;
  FUZZ_CHECK(want >= 0, "file %u opened but must be refused", th->slot);
  FUZZ_CHECK(f->records == (uint64_t)want && f->torn_bytes == torn,
             "file %u: %llu records, %llu torn; the rules say %lld, %llu",
             th->slot, (unsigned long long)f->records,
             (unsigned long long)f->torn_bytes, (long long)want,
             (unsigned long long)torn);
  FUZZ_CHECK(f->records == 0 || f->records_end == 64 + 32 * f->records,
             "records_end");
  FUZZ_CHECK(f->records_end <= n, "records_end beyond the file");
  FUZZ_CHECK(f->note_count <= ATF_V2_MAX_NOTES, "notes");
  for (uint32_t i = 0; i < f->note_count; i++)
    FUZZ_CHECK(f->notes[i].code &&
                   memchr(f->notes[i].message, 0, sizeof f->notes[i].message),
               "note %u", i);
  for (uint64_t i = 0; i < f->records; i++) {
    atf_v2_event ev;
    const uint8_t *r = p + 64 + 32 * i;
    FUZZ_CHECK(atf_v2_event_read(th, i, &ev, NULL) == ATF_OK, "read %llu",
               (unsigned long long)i);
    FUZZ_CHECK(ev.ts_ns == le64(r) && ev.function_id == le64(r + 8) &&
                   ev.thread_id == le32(r + 16) && ev.kind == le32(r + 20) &&
                   ev.call_depth == le32(r + 24) &&
                   ev.detail_seq == le32(r + 28) && ev.seq == i &&
                   ev.rowid == ((uint64_t)th->slot << 32 | i),
               "record %llu differs from its bytes", (unsigned long long)i);
  }
  {
    atf_v2_event past;
    FUZZ_CHECK(atf_v2_event_read(th, f->records, &past, NULL) == ATF_ERR_RANGE,
               "a record past the end");
  }
}

/* Twins asked in file order, then some again in reverse (each question
** out of order starts the merge over): the same answers, pairs that agree. */
#define TWIN_RECORDS_CHECKED 4096
#define TWIN_REVERSE_CHECKED 32
static void check_twins(const atf_v2_thread *th) {
  static uint32_t partner[TWIN_RECORDS_CHECKED];
  static unsigned char paired[TWIN_RECORDS_CHECKED];
  atf_v2_twins tw;
  uint64_t n = th->index.records, pairs = 0;
  if (n > TWIN_RECORDS_CHECKED) return;
  atf_v2_twins_init(&tw, th);
  for (uint64_t i = 0; i < n; i++) {
    atf_v2_event ev;
    atf_v2_event_read(th, i, &ev, NULL);
    paired[i] = (unsigned char)atf_v2_twins_find(&tw, &ev, &partner[i]);
  }
  for (uint64_t i = 0; i < n; i++) {
    atf_v2_event ev, other;
    if (!paired[i]) continue;
    pairs++;
    FUZZ_CHECK(partner[i] != i && partner[i] < n && paired[partner[i]] &&
                   partner[partner[i]] == i,
               "record %llu's twin %u does not name it back",
               (unsigned long long)i, partner[i]);
    atf_v2_event_read(th, i, &ev, NULL);
    atf_v2_event_read(th, partner[i], &other, NULL);
    FUZZ_CHECK(other.function_id == ev.function_id && other.kind == ev.kind &&
                   other.call_depth == ev.call_depth &&
                   (other.detail_seq == ATF_V2_NO_DETAIL) !=
                       (ev.detail_seq == ATF_V2_NO_DETAIL),
               "twins that differ");
  }
  FUZZ_CHECK(pairs % 2 == 0 && pairs <= n, "more pairs than records allow");
  for (uint64_t i = n; i-- > 0 && n - i <= TWIN_REVERSE_CHECKED;) {
    atf_v2_event ev;
    uint32_t again = 0;
    atf_v2_event_read(th, i, &ev, NULL);
    FUZZ_CHECK(atf_v2_twins_find(&tw, &ev, &again) == paired[i] &&
                   (!paired[i] || again == partner[i]),
               "record %llu answered otherwise out of order",
               (unsigned long long)i);
  }
}

/* The merge against a scan of every head. */
static void check_merge(atf_v2_thread *threads, size_t k) {
  atf_v2_trace t;
  atf_v2_merge m;
  atf_v2_event ev;
  uint64_t next[MAX_FILES] = {0}, total = 0;
  memset(&t, 0, sizeof t);
  t.threads = threads;
  t.thread_count = k;
  FUZZ_CHECK(atf_v2_merge_init(&m, &t, NULL, 0, NULL) == ATF_OK, "merge init");
  while (atf_v2_merge_next(&m, &ev) == ATF_OK) {
    int best = -1;
    uint64_t best_ts = 0;
    for (size_t i = 0; i < k; i++) {
      atf_v2_event head;
      if (next[i] >= threads[i].index.records) continue;
      atf_v2_event_read(&threads[i], next[i], &head, NULL);
      if (best < 0 || head.ts_ns < best_ts) best = (int)i, best_ts = head.ts_ns;
    }
    FUZZ_CHECK(best >= 0 && ev.slot == threads[best].slot &&
                   ev.seq == next[best],
               "merge row %llu is slot %u record %u, the scan says %d",
               (unsigned long long)total, ev.slot, ev.seq, best);
    next[best]++;
    total++;
  }
  for (size_t i = 0; i < k; i++)
    FUZZ_CHECK(next[i] == threads[i].index.records, "thread %zu not drained",
               i);
  atf_v2_merge_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t starts[MAX_FILES + 1], n = 0;
  atf_v2_thread threads[MAX_FILES];
  atf_map maps[MAX_FILES];
  size_t opened = 0;
  starts[n++] = 0;
  for (size_t i = 1; i + 4 <= size && n < MAX_FILES; i++)
    if (memcmp(data + i, "ATI2", 4) == 0) starts[n++] = i;
  starts[n] = size;
  for (size_t f = 0; f < n; f++) {
    const uint8_t *p = data + starts[f];
    size_t len = starts[f + 1] - starts[f];
    atf_error err;
    uint64_t torn;
    snprintf(paths[f], sizeof paths[f], "fuzz/thread_%zu/index.atf", f);
    maps[f] = fuzz_map_of(p, len);
    maps[f].path = paths[f];
    atf_status rc = atf_v2_thread_init_maps(&threads[opened], (uint32_t)f,
                                            &maps[f], NULL, &err);
    if (rc != ATF_OK) {
      FUZZ_CHECK(rc == ATF_ERR_FORMAT || rc == ATF_ERR_RANGE,
                 "file %zu: status %d", f, (int)rc);
      FUZZ_CHECK(err.code == rc && strstr(err.message, paths[f]),
                 "file %zu: the error does not name the file: %s", f,
                 err.message);
      FUZZ_CHECK(expected_records(p, len, &torn) < 0 || rc == ATF_ERR_RANGE,
                 "file %zu refused but the rules accept it: %s", f,
                 err.message);
      continue;
    }
    check_file(&threads[opened], p, len);
    check_twins(&threads[opened]);
    opened++;
  }
  check_merge(threads, opened);
  for (size_t i = 0; i < opened; i++)
    atf_v2_thread_free(&threads[i]);
  return 0;
}
