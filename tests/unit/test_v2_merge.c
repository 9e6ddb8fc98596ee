/*
** test_v2_merge.c - the k-way merge of thread files: timestamp order with
** ties by slot then record, file order kept where timestamps go backwards
** (a merge, not a sort), rowids unique and usable to reach a record, a
** slot filter, and agreement with a naive reference merge over many
** threads.
*/
#include "atf_reader.h"
#include "check.h"
#include "v2_build.h"

typedef struct row {
  uint32_t slot, seq;
  uint64_t ts;
} row;

/* All rows of a merge of DIR (slots filtered when SLOTS). */
static size_t merge_all(const char *dir, const uint32_t *slots, size_t n_slots,
                        row *out, size_t cap) {
  atf_v2_trace t;
  atf_v2_merge m;
  atf_v2_event ev;
  atf_error err;
  size_t n = 0;
  if (atf_v2_open(dir, ATF_V2_OPEN_LENIENT, &t, &err) != ATF_OK) {
    fprintf(stderr, "%s\n", err.message);
    CHECK(!"open");
    return 0;
  }
  CHECK(atf_v2_merge_init(&m, &t, slots, n_slots, &err) == ATF_OK);
  while (atf_v2_merge_next(&m, &ev) == ATF_OK) {
    if (n < cap) out[n] = (row){ev.slot, ev.seq, ev.ts_ns};
    CHECK_U64(ev.rowid, (uint64_t)ev.slot << 32 | ev.seq);
    n++;
  }
  CHECK(atf_v2_merge_next(&m, &ev) == ATF_END); /* stays at the end */
  CHECK_U64(m.emitted, n);
  atf_v2_merge_free(&m);
  atf_v2_close(&t);
  return n;
}

static void merge__small_fixture__then_timestamp_order_ties_by_slot(void) {
  row r[200];
  uint32_t next[3] = {0, 0, 0};
  size_t cross = 0, same = 0, n = merge_all(SMALL, NULL, 0, r, 200);
  CHECK_U64(n, 181);
  for (size_t i = 0; i < n; i++) {
    CHECK_U64(r[i].seq, next[r[i].slot]); /* each file in its own order */
    next[r[i].slot]++;
    if (i == 0) continue;
    CHECK(r[i - 1].ts <= r[i].ts);
    if (r[i - 1].ts == r[i].ts) {
      if (r[i - 1].slot == r[i].slot)
        same++;
      else
        cross++;
      CHECK(r[i - 1].slot <= r[i].slot);
    }
  }
  /* The README: 7 neighbouring pairs on different threads share a
  ** timestamp, 5 pairs on the same thread do. */
  CHECK_U64(cross, 7);
  CHECK_U64(same, 5);
}

static void merge__backwards_in_a_file__then_file_order_kept(void) {
  const char *dir = b_trace();
  b_rec t0[4] = {{10, 1, 0, 1, 1, ATF_V2_NO_DETAIL},
                 {50, 1, 0, 1, 2, ATF_V2_NO_DETAIL},
                 {20, 1, 0, 2, 2, ATF_V2_NO_DETAIL},
                 {60, 1, 0, 2, 1, ATF_V2_NO_DETAIL}};
  b_rec t1[3] = {{15, 2, 1, 1, 1, ATF_V2_NO_DETAIL},
                 {30, 2, 1, 2, 1, ATF_V2_NO_DETAIL},
                 {40, 2, 1, 1, 1, ATF_V2_NO_DETAIL}};
  static const row want[7] = {{0, 0, 10}, {1, 0, 15}, {1, 1, 30}, {1, 2, 40},
                              {0, 1, 50}, {0, 2, 20}, {0, 3, 60}};
  row r[8];
  b_index(b_path(b_thread_dir(dir, 0), "index.atf"), 0, t0, 4, 0, 0);
  b_index(b_path(b_thread_dir(dir, 1), "index.atf"), 1, t1, 3, 0, 0);
  CHECK_U64(merge_all(dir, NULL, 0, r, 8), 7);
  for (int i = 0; i < 7; i++) {
    CHECK_U64(r[i].slot, want[i].slot);
    CHECK_U64(r[i].seq, want[i].seq);
    CHECK_U64(r[i].ts, want[i].ts);
  }
}

static void merge__equal_timestamps__then_slot_then_record(void) {
  const char *dir = b_trace();
  b_rec five[2] = {{5, 1, 0, 1, 1, ATF_V2_NO_DETAIL},
                   {5, 1, 0, 2, 1, ATF_V2_NO_DETAIL}};
  static const row want[5] = {
      {0, 0, 5}, {1, 0, 5}, {1, 1, 5}, {2, 0, 5}, {2, 1, 5}};
  row r[6];
  b_index(b_path(b_thread_dir(dir, 2), "index.atf"), 2, five, 2, 1, 0);
  b_index(b_path(b_thread_dir(dir, 0), "index.atf"), 0, five, 1, 1, 0);
  b_index(b_path(b_thread_dir(dir, 1), "index.atf"), 1, five, 2, 1, 0);
  CHECK_U64(merge_all(dir, NULL, 0, r, 6), 5);
  for (int i = 0; i < 5; i++) {
    CHECK_U64(r[i].slot, want[i].slot);
    CHECK_U64(r[i].seq, want[i].seq);
  }
}

static void merge__slot_filter__then_only_those_threads(void) {
  row r[200];
  uint32_t slots[2] = {2, 0};
  size_t n = merge_all(SMALL, slots, 2, r, 200);
  CHECK_U64(n, 60 + 59);
  for (size_t i = 0; i < n; i++)
    CHECK(r[i].slot != 1);
  uint32_t none[1] = {7};
  CHECK_U64(merge_all(SMALL, none, 1, r, 200), 0);
}

static void merge__rowids__then_unique_and_each_reaches_its_record(void) {
  atf_v2_trace t;
  atf_v2_merge m;
  atf_v2_event ev, back;
  atf_error err;
  uint64_t seen[200];
  size_t n = 0;
  CHECK(atf_v2_open(CRASHED, 0, &t, &err) == ATF_OK);
  atf_v2_merge_init(&m, &t, NULL, 0, &err);
  while (atf_v2_merge_next(&m, &ev) == ATF_OK && n < 200) {
    for (size_t i = 0; i < n; i++)
      if (seen[i] == ev.rowid) CHECK(!"a rowid twice");
    seen[n++] = ev.rowid;
    CHECK(atf_v2_event_by_rowid(&t, ev.rowid, &back, &err) == ATF_OK);
    CHECK(memcmp(&back, &ev, sizeof ev) == 0);
  }
  CHECK_U64(n, 159);
  atf_v2_merge_free(&m);
  atf_v2_close(&t);
}

static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 33;
}

static void merge__sixty_four_threads__then_same_as_naive_merge(void) {
  enum { K = 64, PER = 200 };
  const char *dir = b_trace();
  static b_rec recs[K][PER];
  static row got[K * PER];
  uint64_t s = 12345;
  size_t next[K] = {0};
  for (uint32_t k = 0; k < K; k++) {
    uint64_t ts = 1000 + lcg(&s) % 100;
    for (uint32_t i = 0; i < PER; i++) {
      /* Mostly forward, sometimes back, often equal across threads. */
      uint64_t step = lcg(&s) % 10;
      ts = step == 0 && ts > 50 ? ts - lcg(&s) % 50 : ts + step;
      recs[k][i] = (b_rec){ts, k, k, 1, 1, ATF_V2_NO_DETAIL};
    }
    b_index(b_path(b_thread_dir(dir, k * 3), "index.atf"), k * 3, recs[k], PER,
            1, 0);
  }
  CHECK_U64(merge_all(dir, NULL, 0, got, K * PER), K * PER);
  /* The reference: scan every head, take the smallest (ts, slot). */
  for (size_t n = 0; n < (size_t)K * PER; n++) {
    int best = -1;
    for (int k = 0; k < K; k++) {
      if (next[k] == PER) continue;
      if (best < 0 || recs[k][next[k]].ts < recs[best][next[best]].ts) best = k;
    }
    if (got[n].slot != (uint32_t)best * 3 || got[n].seq != next[best]) {
      fprintf(stderr, "row %zu: slot %u record %u, expected %d %zu\n", n,
              got[n].slot, got[n].seq, best * 3, next[best]);
      CHECK(!"the reference order");
      break;
    }
    next[best]++;
  }
}

static void merge__unreadable_thread__then_left_out(void) {
  const char *dir = b_copy(SMALL);
  row r[200];
  b_patch(b_path(dir, "thread_1/index.atf"), 0, "XXXX", 4);
  CHECK_U64(merge_all(dir, NULL, 0, r, 200), 119);
}

static const check_case cases[] = {
    CASE(merge__small_fixture__then_timestamp_order_ties_by_slot),
    CASE(merge__backwards_in_a_file__then_file_order_kept),
    CASE(merge__equal_timestamps__then_slot_then_record),
    CASE(merge__slot_filter__then_only_those_threads),
    CASE(merge__rowids__then_unique_and_each_reaches_its_record),
    CASE(merge__sixty_four_threads__then_same_as_naive_merge),
    CASE(merge__unreadable_thread__then_left_out),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
