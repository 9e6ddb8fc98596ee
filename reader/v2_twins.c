/*
** v2_twins.c - finding events a thread file holds twice (see atf_v2.h).
**
** The agent puts every call in the index lane and, with the detail lane on,
** a DetailEvent in the detail lane with a timestamp taken just after; the
** drain writes both lanes into the same file, in batches. Each lane's
** records are a sequence in time order, so the copies are found by a merge
** of the two sequences, whatever their distance in the file.
*/
#include <string.h>

#include "internal.h"

enum { PLAIN = 0, DETAILED = 1 };

/* How far a look ahead goes: records of the lane, records of the file. */
#define LOOKAHEAD_LANE 64
#define LOOKAHEAD_FILE 4096

static int lane_of(const atf_v2_event *ev) {
  return ev->detail_seq != ATF_V2_NO_DETAIL ? DETAILED : PLAIN;
}

void atf_v2_twins_init(atf_v2_twins *tw, const atf_v2_thread *t) {
  memset(tw, 0, sizeof *tw);
  tw->thread = t;
}

/* The first record of lane S at or after record number *SEQ, read into
** OUT, no further than LIMIT records of the file on; *SEQ moves past it.
** A record of the other lane is passed over by its detail link alone (its
** last 4 bytes), not decoded. */
static int lane_next(const atf_v2_thread *t, int s, uint64_t *seq,
                     uint64_t limit, atf_v2_event *out) {
  const uint8_t *records = t->index_map.data + 64; /* after the header */
  uint64_t end = t->index.records;
  if (t->index_status != ATF_OK) return 0;
  if (limit < end - *seq) end = *seq + limit;
  while (*seq < end) {
    const uint8_t *p = records + ATF_V2_INDEX_RECORD_BYTES * *seq;
    if ((atf_le32(p + 28) != ATF_V2_NO_DETAIL ? DETAILED : PLAIN) == s) {
      atf_v2_event_decode(p, t->slot, *seq, out);
      ++*seq;
      return 1;
    }
    ++*seq;
  }
  return 0;
}

/* Fills m->head[S] unless it holds a record; 0 when lane S has ended. */
static int load(atf_v2_twin_merge *m, const atf_v2_thread *t, int s) {
  if (!m->have[s])
    m->have[s] = lane_next(t, s, &m->next[s], UINT64_MAX, &m->head[s]);
  return m->have[s];
}

/* Whether D (with detail) can be the copy of P (without): same function,
** kind and depth, taken 0 to ATF_V2_TWIN_WINDOW_NS after P and, the agent
** taking both before the thread goes on, not after the index lane's next
** record (unless the clock went back there). */
static int are_twins(const atf_v2_thread *t, const atf_v2_event *p,
                     const atf_v2_event *d) {
  atf_v2_event next;
  uint64_t seq = (uint64_t)p->seq + 1;
  if (p->function_id != d->function_id || p->kind != d->kind ||
      p->call_depth != d->call_depth || d->ts_ns < p->ts_ns ||
      d->ts_ns - p->ts_ns > ATF_V2_TWIN_WINDOW_NS)
    return 0;
  return !lane_next(t, PLAIN, &seq, LOOKAHEAD_FILE, &next) ||
         next.ts_ns < p->ts_ns || d->ts_ns <= next.ts_ns;
}

/* Whether X (the head of its lane) has a twin among the next records of
** the other lane after its head AFTER, which is not X's twin.
** - X without detail, AFTER not earlier (the common case: X a return the
**   detail lane did not get): a lane in time order puts X's copy before
**   AFTER, so only a copy not later than AFTER (a tie) or past a step back
**   of the clock counts; the look stops where the lane, in order, passes
**   the latest time X's copy can have.
** - X with detail, AFTER later (a clock gone back, an index lane drop): X's
**   original must be earlier than AFTER, so past a step back; looks on. */
static int twin_ahead(const atf_v2_thread *t, const atf_v2_event *x,
                      const atf_v2_event *after) {
  int s = !lane_of(x), stepped = 0;
  uint64_t seq = (uint64_t)after->seq + 1;
  uint64_t latest = x->ts_ns + ATF_V2_TWIN_WINDOW_NS;
  uint64_t prev = after->ts_ns;
  atf_v2_event y;
  if (latest < x->ts_ns) latest = UINT64_MAX; /* overflow */
  for (int n = 0; n < LOOKAHEAD_LANE &&
                  lane_next(t, s, &seq, LOOKAHEAD_FILE, &y);
       n++) {
    stepped |= y.ts_ns < prev;
    prev = y.ts_ns;
    if (s == PLAIN) {
      if (are_twins(t, &y, x)) return 1;
    } else if (stepped || y.ts_ns <= after->ts_ns) {
      if (are_twins(t, x, &y)) return 1;
    } else if (y.ts_ns > latest) {
      return 0; /* in order, past any copy of X */
    }
  }
  return 0;
}

/* One step of the merge: pairs the heads, or decides that one of them has
** no twin. Returns 0 when both lanes have ended. */
static int step(atf_v2_twin_merge *m, const atf_v2_thread *t, uint32_t *paired) {
  int plain = load(m, t, PLAIN), detailed = load(m, t, DETAILED);
  const atf_v2_event *p = &m->head[PLAIN], *d = &m->head[DETAILED];
  int drop;
  *paired = 0;
  if (!plain && !detailed) return 0;
  if (plain && detailed && are_twins(t, p, d)) {
    *paired = 1;
    m->last[PLAIN] = p->seq;
    m->last[DETAILED] = d->seq;
    m->have[PLAIN] = m->have[DETAILED] = 0;
    return 1;
  }
  /* The earlier head has no twin (the one without detail on a tie) -
  ** unless its twin is just ahead in the other lane, as after a clock that
  ** went back or beside a record the other lane never got: then it is the
  ** other head that has none. */
  if (!detailed)
    drop = PLAIN;
  else if (!plain)
    drop = DETAILED;
  else if (d->ts_ns >= p->ts_ns)
    drop = twin_ahead(t, p, d) ? DETAILED : PLAIN;
  else
    drop = twin_ahead(t, d, p) ? PLAIN : DETAILED;
  m->last[drop] = m->head[drop].seq;
  m->have[drop] = 0;
  return 1;
}

int atf_v2_twins_find(atf_v2_twins *tw, const atf_v2_event *ev,
                      uint32_t *twin) {
  const atf_v2_thread *t = tw->thread;
  int s = lane_of(ev);
  atf_v2_twin_merge *m = &tw->merge[s];
  uint32_t paired;
  /* A pair needs a record with detail: no detail file, no twins. */
  if (!t->has_detail) return 0;
  /* Decided already (a question out of file order): start over. */
  if (m->have[s] ? m->head[s].seq > ev->seq : m->next[s] > ev->seq)
    memset(m, 0, sizeof *m);
  while (load(m, t, s) && m->head[s].seq <= ev->seq) {
    int mine = m->head[s].seq == ev->seq;
    if (!step(m, t, &paired)) return 0;
    if (mine && !m->have[s]) { /* decided */
      if (paired) *twin = m->last[!s];
      return (int)paired;
    }
  }
  return 0;
}

uint32_t atf_v2_twin_kept(const atf_v2_thread *t, const atf_v2_event *ev) {
  atf_v2_twins tw;
  uint32_t twin;
  atf_v2_twins_init(&tw, t);
  return lane_of(ev) == DETAILED && atf_v2_twins_find(&tw, ev, &twin)
             ? twin
             : ev->seq;
}
