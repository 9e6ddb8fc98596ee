/*
** index.c - the block index: per ATF_INDEX_BLOCK_RECORDS consecutive
** records, where the block starts (offset, ordinal) and the range of its
** timestamps and event ids.
**
** One pass over the framing builds it; a second, over the event headers,
** adds the ranges when a range query first needs them. Seeks by offset
** binary-search the block starts, range queries skip blocks whose min/max
** cannot match, and LIMIT/OFFSET jump by ordinal. A 10 GB trace of
** ~185-byte events has ~53,000 blocks: about 3 MB of index.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int same_file(const atf_file_id *a, const atf_file_id *b) {
  return a->device == b->device && a->inode == b->inode;
}

/* FNV-1a of the first and the last 4 KiB of MAP's first END bytes: a file
** rewritten in place (same inode, grown) rather than appended to changes
** them, and its index must be rebuilt, not extended. */
static uint64_t fingerprint(const atf_map *map, uint64_t end) {
  uint64_t h = 14695981039346656037ull, span = end < 4096 ? end : 4096;
  for (uint64_t i = 0; i < span; i++)
    h = (h ^ map->data[i]) * 1099511628211ull;
  for (uint64_t i = end - span; i < end; i++)
    h = (h ^ map->data[i]) * 1099511628211ull;
  return h;
}

/* A block's ranges before any record is folded in. */
static void clear_ranges(atf_block *b) {
  b->flags = 0;
  b->min_ts = INT64_MAX;
  b->max_ts = INT64_MIN;
  b->min_event_id = UINT64_MAX;
  b->max_event_id = 0;
}

/* Opens the block starting at OFFSET. FILE_SIZE sizes the array once the
** first block is whole: the blocks the file holds at that block's bytes,
** and a quarter more (8 MB of blocks at most), so that a large file's index
** is one allocation rather than doublings that leave twice its size behind
** in the heap. */
static atf_block *open_block(atf_index *idx, uint64_t offset,
                             uint64_t file_size, atf_error *err) {
  atf_block *b;
  size_t cap = idx->n_blocks < idx->cap ? 0 : idx->cap ? 2 * idx->cap : 64;
  if (idx->n_blocks == 1 && offset > idx->blocks[0].offset) {
    uint64_t est = file_size / (offset - idx->blocks[0].offset);
    est += est / 4 + 1;
    if (est > ((uint64_t)8 << 20) / sizeof *idx->blocks) /* a guess: 8 MB */
      est = ((uint64_t)8 << 20) / sizeof *idx->blocks;   /* at most */
    if (est > idx->cap && est > cap) cap = (size_t)est;
  }
  if (cap) {
    atf_block *grown = realloc(idx->blocks, cap * sizeof *grown);
    if (!grown) {
      atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
      return NULL;
    }
    idx->blocks = grown;
    idx->cap = cap;
  }
  b = &idx->blocks[idx->n_blocks++];
  memset(b, 0, sizeof *b);
  b->offset = offset;
  b->ordinal = idx->records;
  clear_ranges(b);
  memset(b->marks, 0xff, sizeof b->marks);
  return b;
}

/* Adds a record to its block: counted, marked every ATF_INDEX_MARK_RECORDS. */
static void add_record(atf_block *b, const atf_record *rec) {
  if (b->count % ATF_INDEX_MARK_RECORDS == 0 &&
      rec->offset - b->offset < UINT32_MAX)
    b->marks[b->count / ATF_INDEX_MARK_RECORDS] =
        (uint32_t)(rec->offset - b->offset);
  b->count++;
}

/* Folds one record's header into its block's ranges. */
static void add_range(atf_block *b, const atf_record *rec) {
  atf_event ev;
  if (atf_event_decode(rec, &ev, NULL) != ATF_OK) {
    b->flags |= ATF_BLOCK_UNDECODED;
    return;
  }
  if (ev.has_timestamp) {
    if (ev.ts_ns < b->min_ts) b->min_ts = ev.ts_ns;
    if (ev.ts_ns > b->max_ts) b->max_ts = ev.ts_ns;
  } else {
    b->flags |= ATF_BLOCK_UNTIMED;
  }
  if (ev.event_id < b->min_event_id) b->min_event_id = ev.event_id;
  if (ev.event_id > b->max_event_id) b->max_event_id = ev.event_id;
}

atf_status atf_index_update(atf_index *idx, const atf_map *map,
                            const atf_interrupt *stop, atf_error *err) {
  atf_iter it;
  atf_record rec;
  atf_scan_window window = {0};
  atf_status rc;
  if (idx->end && (!same_file(&idx->id, &map->id) ||
                   map->size <= idx->end + idx->torn_bytes ||
                   fingerprint(map, idx->end) != idx->fingerprint)) {
    /* Another file, or this one changed without growing (this is called
    ** again only when the file changed), or rewritten: start again. An
    ** append leaves the indexed bytes as they were; both ends of them are
    ** checked. */
    uint64_t rebuilds = idx->rebuilds;
    atf_index_free(idx);
    idx->rebuilds = rebuilds + 1;
  }
  idx->id = map->id;
  atf_iter_init(&it, map);
  it.pos = idx->end;
  idx->torn_bytes = 0;
  idx->damaged = 0;
  while ((rc = atf_iter_next(&it, &rec, err)) == ATF_OK) {
    atf_block *b = idx->n_blocks ? &idx->blocks[idx->n_blocks - 1] : NULL;
    if (!b || b->count == ATF_INDEX_BLOCK_RECORDS) {
      b = open_block(idx, rec.offset, map->size, err);
      if (!b) return ATF_ERR_NOMEM;
    } else if (idx->ranged == idx->n_blocks) {
      idx->ranged--; /* the last block grows: its ranges are read again */
    }
    add_record(b, &rec);
    idx->records++;
    idx->end = it.pos;
    atf_map_scan_window(map, it.pos, &window); /* bounded resident memory */
    if (atf_stopped(stop, idx->records, err)) {
      /* What is indexed stays right: the next update goes on from it. */
      idx->fingerprint = fingerprint(map, idx->end);
      return ATF_ERR_INTERRUPTED;
    }
  }
  if (rc == ATF_END) {
    idx->torn_bytes = it.torn_bytes;
  } else {
    idx->damaged = 1; /* a bad length prefix at idx->end */
  }
  idx->fingerprint = idx->end ? fingerprint(map, idx->end) : 0;
  atf_map_scan_end(map, &window);
  return ATF_OK;
}

atf_status atf_index_ranges(atf_index *idx, const atf_map *map,
                            const atf_interrupt *stop, atf_error *err) {
  atf_scan_window window = {0};
  atf_iter it;
  atf_record rec;
  atf_iter_init(&it, map);
  for (; idx->ranged < idx->n_blocks; idx->ranged++) {
    atf_block *b = &idx->blocks[idx->ranged];
    if (atf_stopped(stop, (idx->ranged + 1) * ATF_INTERRUPT_RECORDS, err))
      return ATF_ERR_INTERRUPTED;
    clear_ranges(b);
    it.pos = b->offset;
    /* The records were framed once already: framing fails only when MAP
    ** is not the file indexed. */
    for (uint32_t k = 0; k < b->count; k++) {
      if (atf_iter_next(&it, &rec, NULL) != ATF_OK)
        return atf_fail(err, ATF_ERR_RANGE, b->offset,
                        "%s: the index does not match the file", map->path);
      add_range(b, &rec);
      atf_map_scan_window(map, it.pos, &window);
    }
  }
  atf_map_scan_end(map, &window);
  return ATF_OK;
}

int64_t atf_index_block_at(const atf_index *idx, uint64_t offset) {
  size_t lo = 0, hi = idx->n_blocks;
  if (!idx->n_blocks || offset < idx->blocks[0].offset) return -1;
  while (hi - lo > 1) { /* blocks[lo].offset <= offset < blocks[hi].offset */
    size_t mid = lo + (hi - lo) / 2;
    if (idx->blocks[mid].offset <= offset)
      lo = mid;
    else
      hi = mid;
  }
  return (int64_t)lo;
}

/* The last mark of block B at or before OFFSET; its index via *MARK. */
static uint64_t mark_floor(const atf_block *b, uint64_t offset, size_t *mark) {
  uint64_t best = b->offset;
  *mark = 0;
  for (size_t k = 1; k < ATF_INDEX_MARKS && b->marks[k] != UINT32_MAX; k++) {
    if (b->offset + b->marks[k] > offset) break;
    best = b->offset + b->marks[k];
    *mark = k;
  }
  return best;
}

uint64_t atf_index_floor(const atf_index *idx, uint64_t offset,
                         uint64_t *ordinal) {
  int64_t b = atf_index_block_at(idx, offset);
  size_t mark;
  uint64_t start;
  *ordinal = 0;
  if (b < 0) return 0;
  start = mark_floor(&idx->blocks[b], offset, &mark);
  *ordinal = idx->blocks[b].ordinal + mark * ATF_INDEX_MARK_RECORDS;
  return start;
}

uint64_t atf_index_floor_ordinal(const atf_index *idx, uint64_t ordinal,
                                 uint64_t *start_ordinal) {
  uint64_t b = ordinal / ATF_INDEX_BLOCK_RECORDS, k;
  const atf_block *blk;
  *start_ordinal = 0;
  if (idx->n_blocks == 0) return 0;
  if (b >= idx->n_blocks) b = idx->n_blocks - 1;
  blk = &idx->blocks[b];
  k = (ordinal - blk->ordinal) / ATF_INDEX_MARK_RECORDS;
  if (k >= ATF_INDEX_MARKS) k = ATF_INDEX_MARKS - 1;
  while (k > 0 && blk->marks[k] == UINT32_MAX)
    k--;
  *start_ordinal = blk->ordinal + k * ATF_INDEX_MARK_RECORDS;
  return blk->offset + blk->marks[k];
}

void atf_index_free(atf_index *idx) {
  free(idx->blocks);
  memset(idx, 0, sizeof *idx);
}
