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

static int sequence_of(const atf_v2_event *ev) {
  return ev->detail_seq != ATF_V2_NO_DETAIL ? DETAILED : PLAIN;
}

void atf_v2_twins_init(atf_v2_twins *tw, const atf_v2_thread *t) {
  memset(tw, 0, sizeof *tw);
  tw->thread = t;
}

/* Fills m->head[S] with the next record of sequence S, unless it holds one
** already; 0 when the sequence has ended. Each side reads every record of
** the file, so the other sequence's are passed over by their detail link
** alone (the record's last 4 bytes), not decoded. */
static int load(atf_v2_twin_merge *m, const atf_v2_thread *t, int s) {
  const uint8_t *records = t->index_map.data + 64; /* after the header */
  if (t->index_status != ATF_OK) return 0;
  while (!m->have[s] && m->next[s] < t->index.records) {
    uint64_t seq = m->next[s]++;
    const uint8_t *p = records + ATF_V2_INDEX_RECORD_BYTES * seq;
    if ((atf_le32(p + 28) != ATF_V2_NO_DETAIL ? DETAILED : PLAIN) == s) {
      atf_v2_event_decode(p, t->slot, seq, &m->head[s]);
      m->have[s] = 1;
    }
  }
  return m->have[s];
}

static int are_twins(const atf_v2_event *plain, const atf_v2_event *detailed) {
  return plain->function_id == detailed->function_id &&
         plain->kind == detailed->kind &&
         plain->call_depth == detailed->call_depth &&
         detailed->ts_ns >= plain->ts_ns &&
         detailed->ts_ns - plain->ts_ns <= ATF_V2_TWIN_WINDOW_NS;
}

int atf_v2_twins_find(atf_v2_twins *tw, const atf_v2_event *ev,
                      uint32_t *twin) {
  int s = sequence_of(ev);
  atf_v2_twin_merge *m = &tw->merge[s];
  /* Decided already (a question out of file order): start over. */
  if (m->have[s] ? m->head[s].seq > ev->seq : m->next[s] > ev->seq)
    memset(m, 0, sizeof *m);
  while (load(m, tw->thread, s) && m->head[s].seq <= ev->seq) {
    int other = load(m, tw->thread, !s);
    const atf_v2_event *p = &m->head[PLAIN], *d = &m->head[DETAILED];
    int mine = m->head[s].seq == ev->seq;
    if (other && are_twins(p, d)) {
      if (mine) *twin = m->head[!s].seq;
      m->have[PLAIN] = m->have[DETAILED] = 0;
      if (mine) return 1;
      continue;
    }
    /* The earlier head has no twin: the other sequence is past it. */
    if (!other || (s == PLAIN ? d->ts_ns >= p->ts_ns : d->ts_ns < p->ts_ns))
      m->have[s] = 0;
    else
      m->have[!s] = 0;
    if (mine && !m->have[s]) return 0;
  }
  return 0;
}
