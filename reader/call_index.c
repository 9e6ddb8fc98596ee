/*
** call_index.c - call checkpoints (atf_reader.h, "Call checkpoints").
**
** A checkpoint is the open calls of every thread at the start of an index
** block, encoded as: the number of threads with open calls, then per
** thread its id (zigzag varint), its depth, and the offsets of its open
** calls, outermost first, the first as a varint and each next as the
** difference from the one before (they increase: calls are pushed in file
** order). The walk that builds them keeps its own stacks at its end in the
** same encoding (the tail), to go on from there when the file grows.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef ATF_TEST_SMALL_INDEX
size_t atf_test_call_index_bytes = (size_t)8 << 20; /* atf_reader.h */
#endif

/* ---- the encoding ---------------------------------------------------------
 */

typedef struct buf {
  uint8_t **data;
  size_t *len, *cap;
  size_t soft_cap; /* doubling stops here (0: never): past it, room for
                      what is written only, so that the arena, thinned at
                      its budget, never holds twice the budget */
} buf;

static int put_bytes(buf b, const uint8_t *p, size_t n) {
  if (*b.len + n > *b.cap) {
    size_t cap = *b.cap ? *b.cap : 256;
    uint8_t *bigger;
    while (cap < *b.len + n)
      cap *= 2;
    if (b.soft_cap && cap > b.soft_cap)
      cap = *b.len + n > b.soft_cap ? *b.len + n + 65536 : b.soft_cap;
    if (!(bigger = realloc(*b.data, cap))) return 0;
    *b.data = bigger;
    *b.cap = cap;
  }
  memcpy(*b.data + *b.len, p, n);
  *b.len += n;
  return 1;
}

static int put_varint(buf b, uint64_t v) {
  uint8_t out[10];
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return put_bytes(b, out, n);
}

/* The stacks of P's threads, encoded at the end of B. */
static int encode_stacks(const atf_pairing *p, buf b) {
  size_t n_threads = atf_pairing_thread_count(p), busy = 0;
  for (size_t i = 0; i < n_threads; i++)
    busy += atf_pairing_thread(p, i)->open_calls > 0;
  if (!put_varint(b, busy)) return 0;
  for (size_t i = 0; i < n_threads; i++) {
    const atf_thread_stats *t = atf_pairing_thread(p, i);
    const atf_call *calls;
    size_t depth = atf_pairing_stack(p, t->thread_id, &calls);
    uint64_t last = 0;
    if (!depth) continue;
    /* zigzag: small negative thread ids stay short */
    if (!put_varint(
            b, ((uint64_t)(uint32_t)t->thread_id << 1) ^
                   (uint64_t)(t->thread_id < 0 ? 0xffffffffffffffffull : 0)) ||
        !put_varint(b, depth))
      return 0;
    for (size_t d = 0; d < depth; d++) {
      if (!put_varint(b, calls[d].offset - last)) return 0;
      last = calls[d].offset;
    }
  }
  return 1;
}

/* Reads the varint at *P (before END) into *V; 0 when it does not fit. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  size_t len;
  if (atf_varint_read(*p, end, v, &len, 0) != ATF_OK) return 0;
  *p += len;
  return 1;
}

static int32_t unzigzag(uint64_t v) {
  return (int32_t)(uint32_t)((v >> 1) ^ (0 - (v & 1)));
}

/* Pushes the calls of the encoded stacks at DATA into W as restored. */
static atf_status decode_stacks(const uint8_t *data, size_t len, atf_walker *w,
                                atf_error *err) {
  const uint8_t *p = data, *end = data + len;
  uint64_t threads, depth, delta;
  if (!get_varint(&p, end, &threads)) goto bad;
  for (uint64_t t = 0; t < threads; t++) {
    uint64_t id, offset = 0;
    int wanted;
    if (!get_varint(&p, end, &id) || !get_varint(&p, end, &depth)) goto bad;
    wanted = atf_walker_wants(w, unzigzag(id));
    for (uint64_t d = 0; d < depth; d++) {
      atf_status rc;
      if (!get_varint(&p, end, &delta)) goto bad;
      offset += delta;
      if (wanted && (rc = atf_walker_restore_call(w, offset, err)) != ATF_OK)
        return rc;
    }
  }
  return ATF_OK;
bad:
  return atf_fail(err, ATF_ERR_RANGE, ATF_NO_OFFSET,
                  "call checkpoint damaged in memory");
}

/* ---- building ------------------------------------------------------------ */

typedef struct build {
  atf_call_index *ci;
  const atf_index *idx;
  atf_walker *w;
  int oom;
} build;

/* Drops every other checkpoint (interval doubles) until they fit. */
static void thin(atf_call_index *ci) {
  while (ci->arena_len > ATF_CALL_INDEX_BYTES && ci->n > 1) {
    size_t kept = 0, len = 0;
    for (size_t k = 0; k < ci->n; k += 2) {
      size_t from = ci->at[k];
      size_t to = k + 1 < ci->n ? ci->at[k + 1] : ci->arena_len;
      memmove(ci->arena + len, ci->arena + from, to - from);
      ci->at[kept++] = len;
      len += to - from;
    }
    ci->n = kept;
    ci->arena_len = len;
    ci->interval *= 2;
  }
}

/* Before each record: at the start of a block that is a checkpoint's, the
** stacks are saved. */
static int before_record(void *user, uint64_t offset) {
  build *b = user;
  atf_call_index *ci = b->ci;
  if (ci->blocks >= b->idx->n_blocks ||
      b->idx->blocks[ci->blocks].offset != offset)
    return 0;
  if (ci->blocks % ci->interval == 0) {
    buf arena = {&ci->arena, &ci->arena_len, &ci->arena_cap,
                 ATF_CALL_INDEX_BYTES};
    size_t *at = ci->at;
    if (ci->n == ci->cap) {
      size_t cap = ci->cap ? 2 * ci->cap : 64;
      if (!(at = realloc(ci->at, cap * sizeof *at))) return b->oom = 1;
      ci->at = at;
      ci->cap = cap;
    }
    ci->at[ci->n] = ci->arena_len;
    if (!encode_stacks(atf_walker_pairing(b->w), arena)) return b->oom = 1;
    ci->n++;
    thin(ci);
  }
  ci->blocks++;
  return 0;
}

atf_status atf_call_index_update(atf_call_index *ci, const atf_index *idx,
                                 const atf_map *map, const atf_interrupt *stop,
                                 atf_error *err) {
  atf_walk_options o;
  build b;
  atf_status rc;
  const atf_walk_counts *counts;
  if (ci->interval && ci->index_rebuilds != idx->rebuilds)
    atf_call_index_free(ci); /* the file was rewritten */
  if (!ci->interval) {
    ci->interval = 1;
    ci->first_corrupt = ATF_NO_OFFSET;
    ci->index_rebuilds = idx->rebuilds;
  }
  if (ci->end >= idx->end) return ATF_OK;
  memset(&o, 0, sizeof o);
  o.tolerate = 1;
  o.before_record = before_record;
  memset(&b, 0, sizeof b);
  b.ci = ci;
  b.idx = idx;
  if (stop) o.stop = *stop;
  o.user = &b;
  if (!(b.w = atf_walker_new(map, &o)))
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  if (ci->end) {
    /* Go on from the stacks the last walk ended with. */
    rc = decode_stacks(ci->tail, ci->tail_len, b.w, err);
    if (rc != ATF_OK) goto done;
    atf_walker_seek(b.w, ci->end);
  }
  atf_walker_stop_at(b.w, idx->end);
  rc = atf_walker_drain(b.w, err);
  if (b.oom) rc = atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  if (rc != ATF_OK) goto done;
  counts = atf_walker_counts(b.w);
  if (ci->first_corrupt == ATF_NO_OFFSET)
    ci->first_corrupt = counts->first_skipped;
  ci->records_walked += counts->records;
  ci->tail_len = 0;
  {
    buf tail = {&ci->tail, &ci->tail_len, &ci->tail_cap, 0};
    if (!encode_stacks(atf_walker_pairing(b.w), tail)) {
      rc = atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
      goto done;
    }
  }
  ci->end = idx->end;
done:
  if (rc != ATF_OK) {
    /* A walk cut short leaves checkpoints past the tail: start again. */
    atf_call_index_free(ci);
  }
  atf_walker_free(b.w);
  return rc;
}

/* ---- restoring -------------------------------------------------------------
 */

atf_status atf_call_index_restore(const atf_call_index *ci,
                                  const atf_index *idx, const atf_map *map,
                                  atf_walker *w, uint64_t offset,
                                  uint64_t *from, atf_error *err) {
  int64_t block = atf_index_block_at(idx, offset);
  size_t k, start, len;
  atf_status rc;
  (void)map;
  *from = 0;
  if (block < 0 || !ci->n || !ci->interval) return ATF_OK;
  k = (size_t)block / ci->interval;
  if (k >= ci->n) k = ci->n - 1;
  /* Past a record that did not decode, a walk from the start would have
  ** failed there: no checkpoint after it is used. */
  while (k > 0 && ci->first_corrupt != ATF_NO_OFFSET &&
         idx->blocks[k * ci->interval].offset > ci->first_corrupt)
    k--;
  if (k == 0) return ATF_OK; /* checkpoint 0 is the start: empty stacks */
  start = ci->at[k];
  len = (k + 1 < ci->n ? ci->at[k + 1] : ci->arena_len) - start;
  rc = decode_stacks(ci->arena + start, len, w, err);
  if (rc != ATF_OK) return rc;
  *from = idx->blocks[k * ci->interval].offset;
  atf_walker_seek(w, *from);
  return ATF_OK;
}

size_t atf_call_index_bytes(const atf_call_index *ci) {
  return ci->arena_cap + ci->cap * sizeof *ci->at + ci->tail_cap;
}

void atf_call_index_free(atf_call_index *ci) {
  free(ci->at);
  free(ci->arena);
  free(ci->tail);
  memset(ci, 0, sizeof *ci);
}
