/*
** walk.c - the calls of a v4 trace: records read in file order, decoded as
** far as pairing needs (atf_reader.h, "Walking the calls"), fed to an
** atf_pairing.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct atf_walker {
  const atf_map *map;
  atf_walk_options o;
  atf_iter it;
  atf_scan_window window;
  atf_pairing *pairing;
  atf_walk_counts counts;
  uint64_t end; /* stop before this offset */
  int finished; /* the pairing was finished */
  /* Room for skip_corrupt's check of registers. */
  atf_register *regs;
  uint32_t *scratch;
  uint32_t regs_cap;
};

atf_walker *atf_walker_new(const atf_map *map, const atf_walk_options *o) {
  atf_walker *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->map = map;
  if (o) w->o = *o;
  w->pairing = atf_pairing_new();
  if (!w->pairing) {
    free(w);
    return NULL;
  }
  atf_iter_init(&w->it, map);
  w->end = map->size;
  w->counts.first_skipped = ATF_NO_OFFSET;
  return w;
}

void atf_walker_free(atf_walker *w) {
  if (!w) return;
  atf_pairing_free(w->pairing);
  free(w->regs);
  free(w->scratch);
  free(w);
}

void atf_walker_seek(atf_walker *w, uint64_t from) {
  w->it.pos = from;
  w->it.torn_bytes = 0;
}

void atf_walker_stop_at(atf_walker *w, uint64_t end) {
  w->end = end < w->map->size ? end : w->map->size;
}

atf_pairing *atf_walker_pairing(atf_walker *w) { return w->pairing; }

const atf_walk_counts *atf_walker_counts(const atf_walker *w) {
  return &w->counts;
}

uint64_t atf_walker_position(const atf_walker *w) { return w->it.pos; }

int atf_walker_wants(const atf_walker *w, int32_t thread) {
  size_t lo = 0, hi = w->o.n_threads;
  if (!w->o.threads) return 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (w->o.threads[mid] == thread) return 1;
    if (w->o.threads[mid] < thread)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

/* skip_corrupt calls a record sound when atf_check would: its registers
** decode too. */
static atf_status registers_sound(atf_walker *w, const atf_event *ev,
                                  const atf_payload *pl, atf_error *err) {
  uint32_t n;
  if (pl->register_count > w->regs_cap) {
    atf_register *regs = realloc(w->regs, pl->register_count * sizeof *regs);
    uint32_t *scratch;
    if (regs) w->regs = regs;
    scratch =
        realloc(w->scratch, 2 * (size_t)pl->register_count * sizeof *scratch);
    if (scratch) w->scratch = scratch;
    if (!regs || !scratch)
      return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
    w->regs_cap = pl->register_count;
  }
  return atf_registers_collect(ev, w->regs, pl->register_count, w->scratch, &n,
                               err);
}

/* Reads, decodes and feeds the next record: ATF_OK, ATF_END at the end,
** or an error. */
static atf_status step(atf_walker *w, atf_error *err) {
  atf_record rec;
  atf_event ev;
  atf_payload pl;
  atf_pair_event pe;
  atf_status rc;
  if (w->it.pos >= w->end) return ATF_END;
  if (w->counts.records && atf_stopped(&w->o.stop, w->counts.records, err))
    return ATF_ERR_INTERRUPTED;
  if (w->o.before_record && w->o.before_record(w->o.user, w->it.pos))
    return atf_fail(err, ATF_ERR_INTERRUPTED, w->it.pos, "interrupted");
  rc = atf_iter_next(&w->it, &rec, err);
  if (rc == ATF_END && w->it.torn_bytes) w->counts.torn = 1;
  if (rc != ATF_OK) return rc;
  w->counts.records++;
  atf_map_scan_window(w->map, w->it.pos, &w->window);
  rc = atf_event_decode(&rec, &ev, err);
  if (rc == ATF_OK) w->counts.headers++;
  if (rc == ATF_OK && !atf_walker_wants(w, ev.thread_id)) return ATF_OK;
  memset(&pe, 0, sizeof pe);
  if (rc == ATF_OK &&
      (ev.kind == ATF_KIND_FUNCTION_CALL ||
       ev.kind == ATF_KIND_FUNCTION_RETURN || w->o.skip_corrupt)) {
    rc = atf_payload_decode(&ev, &pl, err);
    if (rc == ATF_OK) {
      w->counts.payloads++;
      if (w->o.skip_corrupt) rc = registers_sound(w, &ev, &pl, err);
      pe.symbol = pl.symbol;
      pe.address = pl.address;
    }
  }
  if (rc != ATF_OK) {
    if (rc == ATF_ERR_NOMEM || !(w->o.skip_corrupt || w->o.tolerate)) return rc;
    if (!w->counts.skipped++) w->counts.first_skipped = rec.offset;
    return ATF_OK;
  }
  pe.offset = rec.offset;
  pe.thread_id = ev.thread_id;
  pe.kind = ev.kind;
  pe.has_ts = ev.has_timestamp;
  pe.ts = ev.ts_ns;
  return atf_pairing_feed(w->pairing, &pe, err);
}

atf_status atf_walker_next(atf_walker *w, atf_call *out, atf_error *err) {
  for (;;) {
    atf_status rc;
    if (atf_pairing_pop(w->pairing, out)) return ATF_OK;
    if (w->finished) return ATF_END;
    rc = step(w, err);
    if (rc == ATF_END) {
      atf_pairing_finish(w->pairing, w->o.close_at_last_ts);
      w->finished = 1;
    } else if (rc != ATF_OK) {
      return rc;
    }
  }
}

atf_status atf_walker_advance_to(atf_walker *w, uint64_t at, atf_error *err) {
  atf_call dropped;
  while (w->it.pos < at) {
    atf_status rc = step(w, err);
    if (rc == ATF_END) break;
    if (rc != ATF_OK) return rc;
    while (atf_pairing_pop(w->pairing, &dropped))
      ;
  }
  if (w->it.pos != at || at >= w->end)
    return atf_fail(err, ATF_ERR_RANGE, at,
                    "%s: byte offset %llu is not the start of a record",
                    w->map->path, (unsigned long long)at);
  {
    atf_status rc = step(w, err);
    if (rc == ATF_END)
      return atf_fail(err, ATF_ERR_RANGE, at,
                      "%s: byte offset %llu is not the start of a whole record",
                      w->map->path, (unsigned long long)at);
    while (atf_pairing_pop(w->pairing, &dropped))
      ;
    return rc;
  }
}

atf_status atf_walker_drain(atf_walker *w, atf_error *err) {
  atf_call dropped;
  for (;;) {
    atf_status rc = step(w, err);
    while (atf_pairing_pop(w->pairing, &dropped))
      ;
    if (rc == ATF_END) return ATF_OK;
    if (rc != ATF_OK) return rc;
  }
}

atf_status atf_walker_restore_call(atf_walker *w, uint64_t offset,
                                   atf_error *err) {
  atf_record rec;
  atf_event ev;
  atf_payload pl;
  atf_pair_event pe;
  atf_status rc = atf_record_at(w->map, offset, &rec, err);
  if (rc == ATF_OK) rc = atf_event_decode(&rec, &ev, err);
  if (rc != ATF_OK || !atf_walker_wants(w, ev.thread_id)) return rc;
  if ((rc = atf_payload_decode(&ev, &pl, err)) != ATF_OK) return rc;
  memset(&pe, 0, sizeof pe);
  pe.offset = offset;
  pe.thread_id = ev.thread_id;
  pe.kind = ATF_KIND_FUNCTION_CALL;
  pe.has_ts = ev.has_timestamp;
  pe.ts = ev.ts_ns;
  pe.symbol = pl.symbol;
  pe.address = pl.address;
  return atf_pairing_restore(w->pairing, &pe, err);
}

atf_status atf_record_at(const atf_map *map, uint64_t offset, atf_record *rec,
                         atf_error *err) {
  atf_iter it;
  atf_status rc;
  atf_iter_init(&it, map);
  if (offset >= map->size)
    return atf_fail(err, ATF_ERR_RANGE, offset,
                    "%s: byte offset %llu is beyond the end of the file",
                    map->path, (unsigned long long)offset);
  it.pos = offset;
  rc = atf_iter_next(&it, rec, err);
  if (rc == ATF_END)
    return atf_fail(err, ATF_ERR_RANGE, offset,
                    "%s: byte offset %llu: the record is cut short", map->path,
                    (unsigned long long)offset);
  return rc;
}
