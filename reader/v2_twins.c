/*
** v2_twins.c - finding events a thread file holds twice (see atf_v2.h).
**
** The agent puts every call in the index lane and, with the detail lane on,
** a DetailEvent in the detail lane with a timestamp taken just after; the
** drain writes both lanes into the same file, in batches. The detector keeps
** the last ATF_V2_TWIN_RECORDS records in a ring, chained per hash bucket
** of (function id, kind, depth, with detail or not), and looks for the
** partner of each new record among the unpaired records of the other kind.
*/
#include <string.h>

#include "internal.h"

static uint32_t bucket_of(uint64_t function_id, uint32_t kind, uint32_t depth,
                          int with_detail) {
  uint64_t h = function_id * 0x9e3779b97f4a7c15ull;
  h ^= ((uint64_t)kind << 32 | depth) * 0xc2b2ae3d27d4eb4full;
  h ^= (uint64_t)(with_detail != 0) * 0x165667b19e3779f9ull;
  h ^= h >> 29;
  return (uint32_t)(h % ATF_V2_TWIN_BUCKETS);
}

void atf_v2_twins_init(atf_v2_twins *tw) { memset(tw, 0, sizeof *tw); }

/* Entry of feed number + 1 N, or NULL when it left the ring. */
static atf_v2_twin_entry *entry(atf_v2_twins *tw, uint64_t n) {
  atf_v2_twin_entry *e;
  if (n == 0 || n + ATF_V2_TWIN_RECORDS <= tw->fed) return NULL;
  e = &tw->ring[(n - 1) % ATF_V2_TWIN_RECORDS];
  return e->n == n ? e : NULL;
}

int atf_v2_twins_feed(atf_v2_twins *tw, const atf_v2_event *ev,
                      uint64_t *twin) {
  int with_detail = ev->detail_seq != ATF_V2_NO_DETAIL;
  uint32_t want =
      bucket_of(ev->function_id, ev->kind, ev->call_depth, !with_detail);
  uint32_t mine =
      bucket_of(ev->function_id, ev->kind, ev->call_depth, with_detail);
  atf_v2_twin_entry *found = NULL, *e;
  uint64_t n;
  /* The oldest unpaired partner in the ring: walk the chain to its end. */
  for (e = entry(tw, tw->bucket[want]); e; e = entry(tw, e->prev)) {
    uint64_t early, late;
    if (e->paired || e->with_detail == with_detail ||
        e->function_id != ev->function_id || e->kind != ev->kind ||
        e->call_depth != ev->call_depth)
      continue;
    early = with_detail ? e->ts : ev->ts_ns; /* the one without detail */
    late = with_detail ? ev->ts_ns : e->ts;
    if (late >= early && late - early <= ATF_V2_TWIN_WINDOW_NS) found = e;
  }
  n = ++tw->fed;
  e = &tw->ring[(n - 1) % ATF_V2_TWIN_RECORDS];
  *e = (atf_v2_twin_entry){
      n,        tw->bucket[mine], ev->ts_ns,   ev->function_id, ev->rowid,
      ev->kind, ev->call_depth,   with_detail, found != NULL};
  tw->bucket[mine] = n;
  if (!found) return 0;
  found->paired = 1;
  *twin = found->rowid;
  return 1;
}
