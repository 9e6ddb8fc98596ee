/*
** v2_twins.c - finding events a thread file holds twice (see atf_v2.h).
**
** The agent puts every call in the index lane and, with the detail lane on,
** a DetailEvent in the detail lane with a timestamp taken just after; the
** drain writes both lanes into the same file, in batches. Each lane's
** records are a sequence in time order, so the copies are found by a merge
** of the two sequences, whatever their distance in the file.
**
** Each lane keeps a ring of its next undecided records (the head first)
** and the file position its search has reached: a file record is looked
** at once per lane, and a look ahead reads the ring, so the merge stays
** linear whatever the file holds.
*/
#include <string.h>

#include "internal.h"

enum { PLAIN = 0, DETAILED = 1 };
#define RING (ATF_V2_TWIN_LOOKAHEAD + 2) /* a look ahead reads one further */

static int lane_of(const atf_v2_event *ev) {
  return ev->detail_seq != ATF_V2_NO_DETAIL ? DETAILED : PLAIN;
}

void atf_v2_twins_init(atf_v2_twins *tw, const atf_v2_thread *t) {
  memset(tw, 0, sizeof *tw);
  tw->thread = t;
}

/* Record K (0: the head) of lane S's undecided records into OUT, when the
** lane has one before record LIMIT of the file. A record of the other lane
** is passed over by its detail link alone (its last 4 bytes). */
static int lane_at(atf_v2_twin_merge *m, const atf_v2_thread *t, int s,
                   uint32_t k, uint64_t limit, atf_v2_event *out) {
  atf_v2_twin_lane *l = &m->lane[s];
  const uint8_t *records = t->index_map.data + 64; /* after the header */
  uint64_t end = t->index_status == ATF_OK ? t->index.records : 0;
  uint32_t seq;
  if (limit < end) end = limit;
  while (l->count <= k && l->scan < end) {
    const uint8_t *p = records + ATF_V2_INDEX_RECORD_BYTES * l->scan;
    if ((atf_le32(p + 28) != ATF_V2_NO_DETAIL ? DETAILED : PLAIN) == s) {
      uint64_t ts = atf_le64(p);
      if (l->pushed > 0 && ts < l->pushed_ts) l->last_step = l->pushed;
      l->pushed_ts = ts;
      l->pushed++;
      l->ring[(l->first + l->count++) % RING] = (uint32_t)l->scan;
    }
    l->scan++;
  }
  if (l->count <= k) return 0;
  seq = l->ring[(l->first + k) % RING];
  atf_v2_event_decode(records + ATF_V2_INDEX_RECORD_BYTES * (uint64_t)seq,
                      t->slot, seq, out);
  return 1;
}

/* How far into the file the lanes are searched: ATF_V2_TWIN_REACH records
** past the first undecided record of either lane. */
static uint64_t horizon(const atf_v2_twin_merge *m) {
  uint64_t first = UINT64_MAX;
  for (int s = 0; s < 2; s++) {
    const atf_v2_twin_lane *l = &m->lane[s];
    uint64_t next = l->count ? l->ring[l->first] : l->scan;
    if (next < first) first = next;
  }
  return first + ATF_V2_TWIN_REACH;
}

/* Whether D (with detail) can be the copy of P (without), P_NEXT being
** the index lane's record after P (NULL: none in reach): same function,
** kind and depth, taken 0 to ATF_V2_TWIN_WINDOW_NS after P and, the agent
** taking both before the thread goes on, not after P_NEXT (unless the
** clock went back there). */
static int are_twins(const atf_v2_event *p, const atf_v2_event *p_next,
                     const atf_v2_event *d) {
  if (p->function_id != d->function_id || p->kind != d->kind ||
      p->call_depth != d->call_depth || d->ts_ns < p->ts_ns ||
      d->ts_ns - p->ts_ns > ATF_V2_TWIN_WINDOW_NS)
    return 0;
  return !p_next || p_next->ts_ns < p->ts_ns || d->ts_ns <= p_next->ts_ns;
}

/* Whether X, the head of its lane, has a twin among the next records of
** the other lane after that lane's head AFTER (not X's twin).
** - X without detail, AFTER not earlier (the common case: X a return the
**   detail lane did not get): in time order X's copy would come before
**   AFTER, so only a copy past a step back of the clock counts, or one
**   after AFTER when AFTER ties with X (AFTER then may be the copy of an
**   event the index lane lost). The look stops where the lane, in order,
**   passes the latest time X's copy can have - unless the clock went back
**   at X in its own lane, or further on within the look ahead in the
**   other: X's copy may lie past that step.
** - X with detail, AFTER later (a clock gone back, an index lane drop): X's
**   original is earlier than AFTER, so past a step back; looks on. */
static int twin_ahead(atf_v2_twin_merge *m, const atf_v2_thread *t,
                      const atf_v2_event *x, const atf_v2_event *after,
                      uint64_t limit) {
  int s = !lane_of(x), stepped = 0;
  const atf_v2_twin_lane *own = &m->lane[lane_of(x)];
  int went_back = own->decided && x->ts_ns < own->last_ts;
  uint64_t latest = x->ts_ns + ATF_V2_TWIN_WINDOW_NS;
  uint64_t prev = after->ts_ns;
  atf_v2_event y, next, x_next;
  int has_x_next = s == DETAILED && lane_at(m, t, PLAIN, 1, limit, &x_next);
  const atf_v2_twin_lane *other = &m->lane[s];
  uint64_t head;
  if (latest < x->ts_ns) latest = UINT64_MAX; /* overflow */
  lane_at(m, t, s, ATF_V2_TWIN_LOOKAHEAD, limit, &y); /* the ring filled */
  head = other->pushed - other->count; /* the lane's ordinal of AFTER */
  for (uint32_t k = 1; k <= ATF_V2_TWIN_LOOKAHEAD &&
                       lane_at(m, t, s, k, limit, &y);
       k++) {
    stepped |= y.ts_ns < prev;
    prev = y.ts_ns;
    if (s == PLAIN) {
      int has_next = lane_at(m, t, PLAIN, k + 1, limit, &next);
      if (are_twins(&y, has_next ? &next : NULL, x)) return 1;
    } else if (stepped || y.ts_ns <= after->ts_ns ||
               after->ts_ns == x->ts_ns) {
      if (are_twins(x, has_x_next ? &x_next : NULL, &y)) return 1;
    } else if (y.ts_ns > latest && !went_back &&
               other->last_step <= head + k) {
      return 0; /* in order, past any copy of X, and no step back ahead */
    }
  }
  return 0;
}

/* Decides the head of lane S (EV): its twin is TWIN, or none (NULL). */
static void decide(atf_v2_twin_merge *m, int s, const atf_v2_event *ev,
                   const atf_v2_event *twin) {
  atf_v2_twin_lane *l = &m->lane[s];
  l->first = (l->first + 1) % RING;
  l->count--;
  l->decided = 1;
  l->last = ev->seq;
  l->last_ts = ev->ts_ns;
  l->last_paired = twin != NULL;
  l->last_twin = twin ? twin->seq : 0;
}

/* One step of the merge: pairs the heads, or decides that one of them has
** no twin. Returns 0 when both lanes have ended. */
static int step(atf_v2_twin_merge *m, const atf_v2_thread *t) {
  uint64_t records = t->index_status == ATF_OK ? t->index.records : 0;
  uint64_t limit;
  atf_v2_event p, d, p_next;
  int plain, detailed, drop;
  for (;;) { /* until a head is in reach (the searches move on) */
    limit = horizon(m);
    plain = lane_at(m, t, PLAIN, 0, limit, &p);
    detailed = lane_at(m, t, DETAILED, 0, limit, &d);
    if (plain || detailed) break;
    if (m->lane[PLAIN].scan >= records && m->lane[DETAILED].scan >= records)
      return 0;
  }
  if (plain && detailed) {
    int has_next = lane_at(m, t, PLAIN, 1, limit, &p_next);
    if (are_twins(&p, has_next ? &p_next : NULL, &d)) {
      decide(m, PLAIN, &p, &d);
      decide(m, DETAILED, &d, &p);
      return 1;
    }
  }
  /* The earlier head has no twin (the one without detail on a tie) -
  ** unless its twin is just ahead in the other lane: then the other head
  ** has none. */
  if (!detailed)
    drop = PLAIN;
  else if (!plain)
    drop = DETAILED;
  else if (d.ts_ns >= p.ts_ns)
    drop = twin_ahead(m, t, &p, &d, limit) ? DETAILED : PLAIN;
  else
    drop = twin_ahead(m, t, &d, &p, limit) ? PLAIN : DETAILED;
  decide(m, drop, drop == PLAIN ? &p : &d, NULL);
  return 1;
}

int atf_v2_twins_find(atf_v2_twins *tw, const atf_v2_event *ev,
                      uint32_t *twin) {
  const atf_v2_thread *t = tw->thread;
  int s = lane_of(ev);
  atf_v2_twin_merge *m = &tw->merge[s];
  const atf_v2_twin_lane *l = &m->lane[s];
  /* A pair needs a record with detail: no detail file, no twins. */
  if (!t->has_detail) return 0;
  /* Decided already (a question out of file order): start over. */
  if (l->decided && l->last >= ev->seq) memset(m, 0, sizeof *m);
  while (!l->decided || l->last < ev->seq)
    if (!step(m, t)) return 0;
  if (l->last != ev->seq || !l->last_paired) return 0;
  *twin = l->last_twin;
  return 1;
}

uint32_t atf_v2_twin_kept(const atf_v2_thread *t, const atf_v2_event *ev) {
  atf_v2_twins tw;
  uint32_t twin;
  atf_v2_twins_init(&tw, t);
  return lane_of(ev) == DETAILED && atf_v2_twins_find(&tw, ev, &twin)
             ? twin
             : ev->seq;
}
