/*
** v2_merge.c - the k-way merge of a v2 trace's thread files by timestamp.
**
** Each file is read in its own order; a binary min-heap holds one head per
** thread, keyed by (timestamp, slot). Popping a head and pushing that
** thread's next record is one sift-down from the root (O(log k), k <= the
** threads merged). Measured (bench/v2_bench.c, 2M records): 14 ns a record
** over 8 threads, 33 over 64, beyond reading the files in their own order;
** a tournament tree of losers measured slower (18 and 40 ns): it always
** climbs to the root, where the sift-down often stops early. A file whose
*timestamps go backwards is not sorted: its
** records leave in file order, each when it is the smallest head.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int less(const atf_v2_merge_head *a, const atf_v2_merge_head *b) {
  return a->ts < b->ts || (a->ts == b->ts && a->slot < b->slot);
}

static void sift_down(atf_v2_merge_head *heap, size_t n, size_t i) {
  atf_v2_merge_head x = heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && less(&heap[c + 1], &heap[c])) c++;
    if (!less(&heap[c], &x)) break;
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = x;
}

/* Timestamp of record SEQ of thread T (SEQ < its records). */
static uint64_t ts_of(const atf_v2_thread *t, uint64_t seq) {
  return atf_le64(t->index_map.data + 64 + 32 * seq);
}

static int wanted(uint32_t slot, const uint32_t *slots, size_t n) {
  if (!slots) return 1;
  for (size_t i = 0; i < n; i++)
    if (slots[i] == slot) return 1;
  return 0;
}

atf_status atf_v2_merge_init(atf_v2_merge *m, const atf_v2_trace *t,
                             const uint32_t *slots, size_t n_slots,
                             atf_error *err) {
  size_t k = t->thread_count;
  memset(m, 0, sizeof *m);
  m->trace = t;
  m->heap = malloc((k ? k : 1) * sizeof *m->heap);
  m->next = calloc(k ? k : 1, sizeof *m->next);
  m->windows = calloc(k ? k : 1, sizeof *m->windows);
  if (!m->heap || !m->next || !m->windows) {
    atf_v2_merge_free(m);
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  }
  for (size_t i = 0; i < k; i++) {
    const atf_v2_thread *th = &t->threads[i];
    if (th->index_status != ATF_OK || th->index.records == 0 ||
        !wanted(th->slot, slots, n_slots))
      continue;
    m->heap[m->heap_len++] =
        (atf_v2_merge_head){ts_of(th, 0), th->slot, (uint32_t)i};
  }
  for (size_t i = m->heap_len / 2; i-- > 0;)
    sift_down(m->heap, m->heap_len, i);
  return ATF_OK;
}

atf_status atf_v2_merge_next(atf_v2_merge *m, atf_v2_event *out) {
  atf_v2_merge_head *top;
  const atf_v2_thread *th;
  uint64_t seq;
  if (m->heap_len == 0) return ATF_END;
  top = &m->heap[0];
  th = &m->trace->threads[top->thread];
  seq = m->next[top->thread]++;
  atf_v2_event_decode(th->index_map.data + 64 + 32 * seq, th->slot, seq, out);
  /* resident memory stays bounded however large the files */
  atf_map_scan_window(&th->index_map, out->offset + 32,
                      &m->windows[top->thread]);
  if (seq + 1 < th->index.records) {
    top->ts = ts_of(th, seq + 1); /* the thread's next head replaces it */
  } else {
    *top = m->heap[--m->heap_len];
  }
  if (m->heap_len > 1) sift_down(m->heap, m->heap_len, 0);
  m->emitted++;
  return ATF_OK;
}

void atf_v2_merge_free(atf_v2_merge *m) {
  if (m->windows)
    for (size_t i = 0; i < m->trace->thread_count; i++)
      atf_map_scan_end(&m->trace->threads[i].index_map, &m->windows[i]);
  free(m->heap);
  free(m->next);
  free(m->windows);
  memset(m, 0, sizeof *m);
}
