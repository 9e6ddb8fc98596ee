/*
** walk.c - the calls of a trace (atf_reader.h, "Walking the calls"): a v4
** trace's records read in file order and decoded as far as pairing needs,
** or a v2 trace's index records merged by timestamp, fed to an
** atf_pairing. Over v2, the copy with detail of a twin pair (an event the
** tracer wrote twice: atf_v2_twins) is left out, counted, so that no call
** is paired twice; its detail is the kept copy's registers.
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
  /* ATF v2: the trace, its merge, twins per thread (lazily). */
  atf_v2_trace *v2;
  atf_v2_merge merge;
  atf_v2_twins **twins; /* per thread that has a detail file */
  /* Lookups every record would repeat (binary searches), cached
  ** direct-mapped: a slot's thread, a function id's name. */
  struct {
    uint32_t slot;
    atf_v2_thread *thread; /* NULL: empty */
  } threads_seen[64];
  struct {
    uint64_t function_id;
    const char *name;
    int used;
  } names_seen[256];
  uint64_t last_key; /* of the last record read (v2) */
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

atf_walker *atf_walker_new_v2(atf_v2_trace *t, const atf_walk_options *o) {
  atf_walker *w = calloc(1, sizeof *w);
  uint32_t *slots = NULL;
  atf_error err;
  size_t n = 0;
  if (!w) return NULL;
  if (o) w->o = *o;
  w->v2 = t;
  w->counts.first_skipped = ATF_NO_OFFSET;
  w->end = UINT64_MAX;
  if (w->o.threads) { /* a v2 thread is its slot */
    if (!(slots = malloc((w->o.n_threads + 1) * sizeof *slots))) goto fail;
    for (size_t i = 0; i < w->o.n_threads; i++)
      if (w->o.threads[i] >= 0) slots[n++] = (uint32_t)w->o.threads[i];
  }
  w->pairing = atf_pairing_new();
  w->twins = calloc(t->thread_count + 1, sizeof *w->twins);
  if (!w->pairing || !w->twins ||
      atf_v2_merge_init(&w->merge, t, w->o.threads ? slots : NULL, n, &err) !=
          ATF_OK)
    goto fail;
  free(slots);
  return w;
fail:
  free(slots);
  atf_pairing_free(w->pairing);
  free(w->twins);
  free(w);
  return NULL;
}

void atf_walker_free(atf_walker *w) {
  if (!w) return;
  if (w->map) atf_map_scan_end(w->map, &w->window);
  if (w->v2) {
    atf_v2_merge_free(&w->merge);
    for (size_t i = 0; i < w->v2->thread_count; i++)
      free(w->twins[i]);
    free(w->twins);
  }
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
  if (!w->v2) w->end = end < w->map->size ? end : w->map->size;
}

atf_pairing *atf_walker_pairing(atf_walker *w) { return w->pairing; }

const atf_walk_counts *atf_walker_counts(const atf_walker *w) {
  return &w->counts;
}

uint64_t atf_walker_position(const atf_walker *w) {
  return w->v2 ? w->last_key : w->it.pos;
}

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

static atf_v2_thread *thread_of(atf_walker *w, uint32_t slot) {
  size_t i = slot % 64;
  if (!w->threads_seen[i].thread || w->threads_seen[i].slot != slot) {
    atf_v2_thread *t = atf_v2_thread_of_slot(w->v2, slot);
    if (!t) return NULL;
    w->threads_seen[i].slot = slot;
    w->threads_seen[i].thread = t;
  }
  return w->threads_seen[i].thread;
}

/* The symbol table's name of FUNCTION_ID, or NULL. */
static const char *name_of(atf_walker *w, uint64_t function_id) {
  size_t i = (size_t)((function_id * 0x9E3779B97F4A7C15ull) >> 56);
  if (!w->names_seen[i].used || w->names_seen[i].function_id != function_id) {
    w->names_seen[i].function_id = function_id;
    w->names_seen[i].name = atf_v2_symbol_name(&w->v2->manifest, function_id);
    w->names_seen[i].used = 1;
  }
  return w->names_seen[i].name;
}

/* Whether EV is the copy with detail of a twin pair of its file (left out:
** the copy without detail has the event's own timestamp); else *DETAIL is
** the record holding its registers: its own, or its twin's. */
static int is_twin(atf_walker *w, const atf_v2_event *ev, uint64_t *detail,
                   atf_error *err, int *oom) {
  atf_v2_thread *t = thread_of(w, ev->slot);
  size_t i = t ? (size_t)(t - w->v2->threads) : w->v2->thread_count;
  atf_v2_twins *tw;
  uint32_t seq;
  *oom = 0;
  *detail = ev->rowid;
  if (i >= w->v2->thread_count || !t->has_detail) return 0; /* no twins */
  if (!(tw = w->twins[i])) {
    if (!(tw = w->twins[i] = malloc(sizeof *tw))) {
      *oom = 1;
      atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
      return 0;
    }
    atf_v2_twins_init(tw, t);
  }
  if (!atf_v2_twins_find(tw, ev, &seq)) return 0;
  if (ev->detail_seq != ATF_V2_NO_DETAIL) return 1;
  *detail = (uint64_t)t->slot << 32 | seq; /* the twin's rowid */
  return 0;
}

/* step over a v2 trace: the next record of the merge. */
static atf_status step_v2(atf_walker *w, atf_error *err) {
  atf_v2_event ev;
  atf_pair_event pe;
  uint64_t detail;
  const char *name;
  int oom;
  if (w->counts.records && atf_stopped(&w->o.stop, w->counts.records, err))
    return ATF_ERR_INTERRUPTED;
  if (atf_v2_merge_next(&w->merge, &ev) != ATF_OK) {
    w->counts.torn = 0; /* each thread file's torn tail, as v4 counts one */
    for (size_t i = 0; i < w->v2->thread_count; i++)
      w->counts.torn += w->v2->threads[i].index_status == ATF_OK &&
                        w->v2->threads[i].index.torn_bytes > 0;
    return ATF_END;
  }
  w->counts.records++;
  w->counts.headers++;
  w->last_key = ev.rowid;
  if (is_twin(w, &ev, &detail, err, &oom)) {
    w->counts.twins++;
    return ATF_OK;
  }
  if (oom) return ATF_ERR_NOMEM;
  memset(&pe, 0, sizeof pe);
  pe.has_detail_offset = 1;
  pe.detail_offset = detail;
  pe.offset = ev.rowid;
  pe.thread_id = (int32_t)ev.slot; /* the file's thread, as filters and
                                      atf_check take it */
  pe.kind = ev.kind == ATF_V2_CALL     ? ATF_KIND_FUNCTION_CALL
            : ev.kind == ATF_V2_RETURN ? ATF_KIND_FUNCTION_RETURN
                                       : ATF_KIND_NONE;
  pe.has_ts = 1;
  pe.ts = (int64_t)ev.ts_ns;
  name = name_of(w, ev.function_id);
  pe.symbol.ptr = (const uint8_t *)(name ? name : "");
  pe.symbol.len = name ? strlen(name) : 0;
  pe.symbol_unknown = name == NULL;
  pe.has_function_id = 1;
  pe.function_id = ev.function_id;
  pe.call_depth = ev.call_depth;
  return atf_pairing_feed(w->pairing, &pe, err);
}

/* Reads, decodes and feeds the next record: ATF_OK, ATF_END at the end,
** or an error. */
static atf_status step(atf_walker *w, atf_error *err) {
  atf_record rec;
  atf_event ev;
  atf_payload pl;
  atf_pair_event pe;
  atf_status rc;
  if (w->v2) return step_v2(w, err);
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
  if (w->v2) { /* rowids come in merge order: walk until it is read */
    atf_status rc;
    do {
      if ((rc = step_v2(w, err)) == ATF_END)
        return atf_fail(err, ATF_ERR_RANGE, at,
                        "%s: %llu is the rowid of no event of the threads "
                        "walked",
                        w->v2->dir, (unsigned long long)at);
      if (rc != ATF_OK) return rc;
      while (atf_pairing_pop(w->pairing, &dropped))
        ;
    } while (w->last_key != at);
    return ATF_OK;
  }
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
