/*
** fuzz_events.c - libFuzzer target: arbitrary bytes as an events.bin.
**
** Drives everything the reader does with a trace's bytes: framing
** (atf_iter_next/seek/skip_to/position/remaining), atf_event_decode and
** atf_payload_decode of every record, the register and arg walks,
** atf_registers_collect, atf_utf8_valid on every string, and the block index
** (atf_index_update and atf_index_ranges, fresh and incremental,
** atf_index_block_at).
**
** Besides crashes, leaks and undefined behaviour (ASan, UBSan, LSan), the
** results are held against what the reader's own contract promises
** (atf_reader.h): records tile the file, seeks land where framing says, the
** index agrees with a plain walk, byte ranges stay inside their record. A
** broken promise aborts with a message (fuzz_fail).
**
** The bytes are read in place: the atf_map points at the fuzzer's buffer, so
** ASan sees any read past its end.
*/
#include "fuzz_common.h"

/* What a plain walk of the framing found, to check everything else by. */
typedef struct walk {
  uint64_t *offsets; /* record starts, in order */
  int *decoded;      /* per record: header decoded */
  int *has_ts;
  int64_t *ts;
  uint64_t *event_id;
  size_t n, cap;
  uint64_t end;        /* just past the last whole record */
  atf_status stop;     /* ATF_END or ATF_ERR_VARINT */
  uint64_t torn_bytes; /* with ATF_END */
} walk;

static void walk_free(walk *w) {
  free(w->offsets);
  free(w->decoded);
  free(w->has_ts);
  free(w->ts);
  free(w->event_id);
}

static void walk_push(walk *w, uint64_t offset, const atf_event *ev,
                      int decoded) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 64;
    w->offsets = realloc(w->offsets, cap * sizeof *w->offsets);
    w->decoded = realloc(w->decoded, cap * sizeof *w->decoded);
    w->has_ts = realloc(w->has_ts, cap * sizeof *w->has_ts);
    w->ts = realloc(w->ts, cap * sizeof *w->ts);
    w->event_id = realloc(w->event_id, cap * sizeof *w->event_id);
    FUZZ_CHECK(w->offsets && w->decoded && w->has_ts && w->ts && w->event_id,
               "out of memory in the fuzzer");
    w->cap = cap;
  }
  w->offsets[w->n] = offset;
  w->decoded[w->n] = decoded;
  w->has_ts[w->n] = decoded && ev->has_timestamp;
  w->ts[w->n] = decoded ? ev->ts_ns : 0;
  w->event_id[w->n] = decoded ? ev->event_id : 0;
  w->n++;
}

static void check_error(const atf_error *err, atf_status rc, const char *what) {
  FUZZ_CHECK(err->code == rc, "%s: returned %d but err.code is %d", what,
             (int)rc, (int)err->code);
  FUZZ_CHECK(memchr(err->message, 0, sizeof err->message) != NULL &&
                 err->message[0] != 0,
             "%s: error message empty or not terminated", what);
}

/* B lies inside the record's body (or is empty). */
static void check_inside(const atf_record *rec, atf_bytes b, const char *what) {
  if (b.len == 0) return;
  FUZZ_CHECK(b.ptr >= rec->body && b.len <= rec->body_len &&
                 (size_t)(b.ptr - rec->body) <= rec->body_len - b.len,
             "%s: byte range outside record at offset %llu", what,
             (unsigned long long)rec->offset);
}

static int same_bytes(atf_bytes a, atf_bytes b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Registers: the walk as written, and atf_registers_collect against a plain
** quadratic fold of that walk (first place, last value). */
static void check_registers(const atf_event *ev, const atf_payload *pl) {
  uint32_t n = pl->register_count, walked = 0, count = 0;
  atf_register *all = malloc((n ? n : 1) * sizeof *all);
  atf_register *got = malloc((n ? n : 1) * sizeof *got);
  uint32_t *scratch = malloc((n ? 2 * (size_t)n : 1) * sizeof *scratch);
  atf_payload_iter it;
  atf_register reg;
  atf_error err;
  FUZZ_CHECK(all && got && scratch, "out of memory in the fuzzer");
  atf_status rc;
  atf_payload_iter_init(ev, &it);
  while ((rc = atf_registers_next(&it, &reg)) == ATF_OK) {
    FUZZ_CHECK(walked < n, "more registers walked than register_count %u", n);
    check_inside(&ev->record, reg.name, "register name");
    fuzz_check_utf8(reg.name, "register name");
    all[walked++] = reg;
  }
  /* Map entries are checked when read: a malformed one stops the walk, and
  ** atf_registers_collect must then fail the same way. */
  FUZZ_CHECK(rc == ATF_END || rc == ATF_ERR_PROTOBUF,
             "atf_registers_next: status %d", (int)rc);
  atf_status walk_rc = rc;
  FUZZ_CHECK(walk_rc != ATF_END || walked == n,
             "walked %u registers, register_count %u", walked, n);
  rc = atf_registers_collect(ev, got, n, scratch, &count, &err);
  if (walk_rc == ATF_ERR_PROTOBUF) {
    FUZZ_CHECK(rc == ATF_ERR_PROTOBUF,
               "a register entry is malformed, atf_registers_collect says %d",
               (int)rc);
    check_error(&err, rc, "atf_registers_collect");
  } else {
    FUZZ_CHECK(rc == ATF_OK,
               "atf_registers_collect failed with room for all: %s",
               err.message);
    FUZZ_CHECK(count <= n, "collected %u of %u registers", count, n);
  }
  if (walk_rc == ATF_END && n <= 512) { /* the fold is quadratic */
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t j;
      for (j = 0; j < i; j++)
        if (same_bytes(all[j].name, all[i].name)) break;
      if (j < i) continue; /* a repeated key: already placed */
      uint64_t last = all[i].value;
      for (j = i + 1; j < n; j++)
        if (same_bytes(all[j].name, all[i].name)) last = all[j].value;
      FUZZ_CHECK(k < count, "atf_registers_collect lost register #%u", i);
      FUZZ_CHECK(same_bytes(got[k].name, all[i].name) && got[k].value == last,
                 "atf_registers_collect: entry %u differs from the fold", k);
      k++;
    }
    FUZZ_CHECK(k == count, "atf_registers_collect gave %u registers, fold %u",
               count, k);
  }
  free(all);
  free(got);
  free(scratch);
}

static void check_args(const atf_event *ev, const atf_payload *pl) {
  atf_payload_iter it;
  atf_bytes arg;
  uint32_t n = 0;
  atf_payload_iter_init(ev, &it);
  while (atf_args_next(&it, &arg) == ATF_OK) {
    check_inside(&ev->record, arg, "arg");
    fuzz_check_utf8(arg, "arg");
    n++;
    FUZZ_CHECK(n <= pl->arg_count, "more args walked than arg_count %u",
               pl->arg_count);
  }
  FUZZ_CHECK(n == pl->arg_count, "walked %u args, arg_count %u", n,
             pl->arg_count);
}

/* Decodes REC every way the extension would; returns whether the header
** decoded (into *EV). */
static int exercise_record(const atf_record *rec, atf_event *ev) {
  atf_payload pl;
  atf_error err;
  atf_status rc = atf_event_decode(rec, ev, &err);
  if (rc != ATF_OK) {
    check_error(&err, rc, "atf_event_decode");
    FUZZ_CHECK(rc == ATF_ERR_PROTOBUF || rc == ATF_ERR_RANGE,
               "atf_event_decode: unexpected status %d", (int)rc);
    FUZZ_CHECK(err.offset == rec->offset,
               "atf_event_decode: error offset %llu, record at %llu",
               (unsigned long long)err.offset, (unsigned long long)rec->offset);
    return 0;
  }
  FUZZ_CHECK(ev->kind == ATF_KIND_NONE || atf_kind_name(ev->kind) != NULL,
             "atf_event_decode: kind %d", (int)ev->kind);
  FUZZ_CHECK(ev->payload_from <= rec->body_len,
             "payload_from %llu beyond the body (%llu bytes)",
             (unsigned long long)ev->payload_from,
             (unsigned long long)rec->body_len);
  FUZZ_CHECK(ev->record.offset == rec->offset && ev->record.body == rec->body,
             "atf_event_decode: record not copied");
  rc = atf_payload_decode(ev, &pl, &err);
  if (rc != ATF_OK) {
    check_error(&err, rc, "atf_payload_decode");
    FUZZ_CHECK(rc == ATF_ERR_PROTOBUF, "atf_payload_decode: status %d",
               (int)rc);
    return 1;
  }
  const atf_bytes strings[] = {pl.symbol, pl.signal_name, pl.executable_path,
                               pl.operating_system, pl.cpu_architecture};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
    check_inside(rec, strings[i], "payload string");
    fuzz_check_utf8(strings[i], "payload string");
  }
  check_inside(rec, pl.stack, "stack");
  check_registers(ev, &pl);
  check_args(ev, &pl);
  return 1;
}

/* Walks the whole framing, decoding every record. */
static void walk_all(const atf_map *map, walk *w) {
  atf_iter it;
  atf_record rec;
  atf_error err;
  atf_status rc;
  atf_iter_init(&it, map);
  while ((rc = atf_iter_next(&it, &rec, &err)) == ATF_OK) {
    atf_event ev;
    uint64_t prefix = rec.size - rec.body_len;
    FUZZ_CHECK(rec.offset == w->end, "record at %llu, expected %llu",
               (unsigned long long)rec.offset, (unsigned long long)w->end);
    FUZZ_CHECK(prefix >= 1 && prefix <= 10 && rec.size > rec.body_len,
               "record at %llu: prefix of %llu bytes",
               (unsigned long long)rec.offset, (unsigned long long)prefix);
    FUZZ_CHECK(rec.body == map->data + rec.offset + prefix &&
                   rec.offset + rec.size <= map->size,
               "record at %llu: body outside the map",
               (unsigned long long)rec.offset);
    FUZZ_CHECK(atf_iter_position(&it) == rec.offset + rec.size,
               "position %llu after the record at %llu",
               (unsigned long long)atf_iter_position(&it),
               (unsigned long long)rec.offset);
    w->end = rec.offset + rec.size;
    walk_push(w, rec.offset, &ev, exercise_record(&rec, &ev));
  }
  w->stop = rc;
  if (rc == ATF_END) {
    w->torn_bytes = it.torn_bytes;
    FUZZ_CHECK(w->end + it.torn_bytes == map->size,
               "stream ends at %llu with %llu torn bytes, file has %llu",
               (unsigned long long)w->end, (unsigned long long)it.torn_bytes,
               (unsigned long long)map->size);
  } else {
    check_error(&err, rc, "atf_iter_next");
    FUZZ_CHECK(rc == ATF_ERR_VARINT, "atf_iter_next: status %d", (int)rc);
    FUZZ_CHECK(err.offset == w->end && atf_iter_position(&it) == w->end,
               "framing error at %llu (position %llu), expected at %llu",
               (unsigned long long)err.offset,
               (unsigned long long)atf_iter_position(&it),
               (unsigned long long)w->end);
  }
  FUZZ_CHECK(it.records_read == w->n, "records_read %llu, walked %zu",
             (unsigned long long)it.records_read, w->n);
}

/* The first record start at or after T, or W->end when there is none. */
static uint64_t first_start_from(const walk *w, uint64_t t) {
  size_t lo = 0, hi = w->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (w->offsets[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < w->n ? w->offsets[lo] : w->end;
}

static void check_seek(const atf_map *map, const walk *w, uint64_t t) {
  atf_iter it;
  atf_record rec;
  atf_error err;
  atf_status rc;

  /* seek: the caller's word that T is a record start; whatever is there
  ** must still frame and decode without harm. */
  atf_iter_init(&it, map);
  rc = atf_iter_seek(&it, t, &err);
  if (t > map->size) {
    FUZZ_CHECK(rc == ATF_ERR_RANGE, "seek to %llu past the end: status %d",
               (unsigned long long)t, (int)rc);
    check_error(&err, rc, "atf_iter_seek");
  } else {
    FUZZ_CHECK(rc == ATF_OK, "seek to %llu: status %d", (unsigned long long)t,
               (int)rc);
    FUZZ_CHECK(
        atf_iter_position(&it) == t && atf_iter_remaining(&it) == map->size - t,
        "after seek to %llu: position %llu, remaining %llu",
        (unsigned long long)t, (unsigned long long)atf_iter_position(&it),
        (unsigned long long)atf_iter_remaining(&it));
    if (atf_iter_next(&it, &rec, &err) == ATF_OK) {
      atf_event ev;
      FUZZ_CHECK(rec.offset == t, "record after seek to %llu is at %llu",
                 (unsigned long long)t, (unsigned long long)rec.offset);
      exercise_record(&rec, &ev);
    }
  }

  /* skip_to: framing from the start, so it must agree with the walk. */
  atf_iter_init(&it, map);
  rc = atf_iter_skip_to(&it, t, &err);
  if (t <= w->end) {
    uint64_t want = first_start_from(w, t);
    FUZZ_CHECK(rc == ATF_OK && atf_iter_position(&it) == want,
               "skip_to %llu: status %d, position %llu, expected %llu",
               (unsigned long long)t, (int)rc,
               (unsigned long long)atf_iter_position(&it),
               (unsigned long long)want);
  } else {
    FUZZ_CHECK(rc == w->stop,
               "skip_to %llu past the last record: status %d, "
               "the walk stopped with %d",
               (unsigned long long)t, (int)rc, (int)w->stop);
  }
}

static void check_index_matches(const atf_index *idx, const walk *w) {
  FUZZ_CHECK(idx->records == w->n && idx->end == w->end,
             "index: %llu records to %llu, walk: %zu to %llu",
             (unsigned long long)idx->records, (unsigned long long)idx->end,
             w->n, (unsigned long long)w->end);
  FUZZ_CHECK(idx->damaged == (w->stop == ATF_ERR_VARINT) &&
                 (w->stop != ATF_END || idx->torn_bytes == w->torn_bytes),
             "index: damaged %d torn %llu; walk stopped %d torn %llu",
             idx->damaged, (unsigned long long)idx->torn_bytes, (int)w->stop,
             (unsigned long long)w->torn_bytes);
  uint64_t ordinal = 0;
  for (size_t b = 0; b < idx->n_blocks; b++) {
    const atf_block *blk = &idx->blocks[b];
    int untimed = 0, undecoded = 0;
    int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;
    uint64_t min_id = UINT64_MAX, max_id = 0;
    FUZZ_CHECK(
        blk->ordinal == ordinal && blk->count > 0 &&
            blk->count <= ATF_INDEX_BLOCK_RECORDS &&
            (b + 1 == idx->n_blocks || blk->count == ATF_INDEX_BLOCK_RECORDS) &&
            ordinal + blk->count <= w->n && blk->offset == w->offsets[ordinal],
        "index: block %zu (ordinal %llu, count %u, offset %llu) does "
        "not tile the records",
        b, (unsigned long long)blk->ordinal, blk->count,
        (unsigned long long)blk->offset);
    for (uint64_t r = ordinal; r < ordinal + blk->count; r++) {
      if (!w->decoded[r]) {
        undecoded = 1;
        continue;
      }
      if (!w->has_ts[r]) untimed = 1;
      if (w->has_ts[r] && w->ts[r] < min_ts) min_ts = w->ts[r];
      if (w->has_ts[r] && w->ts[r] > max_ts) max_ts = w->ts[r];
      if (w->event_id[r] < min_id) min_id = w->event_id[r];
      if (w->event_id[r] > max_id) max_id = w->event_id[r];
    }
    FUZZ_CHECK(!!(blk->flags & ATF_BLOCK_UNDECODED) == undecoded,
               "index: block %zu UNDECODED flag %u, walk says %d", b,
               blk->flags, undecoded);
    if (!undecoded) {
      FUZZ_CHECK(!!(blk->flags & ATF_BLOCK_UNTIMED) == untimed,
                 "index: block %zu UNTIMED flag wrong", b);
      FUZZ_CHECK((min_ts > max_ts ||
                  (blk->min_ts == min_ts && blk->max_ts == max_ts)) &&
                     blk->min_event_id == min_id && blk->max_event_id == max_id,
                 "index: block %zu ranges differ from its records", b);
    }
    ordinal += blk->count;
  }
  FUZZ_CHECK(ordinal == w->n, "index blocks hold %llu records, walk %zu",
             (unsigned long long)ordinal, w->n);
  for (size_t i = 0; i < w->n; i += 1 + w->n / 16) {
    int64_t b = atf_index_block_at(idx, w->offsets[i]);
    FUZZ_CHECK(b >= 0 && (uint64_t)b == i / ATF_INDEX_BLOCK_RECORDS,
               "atf_index_block_at(%llu) = %lld, record #%zu",
               (unsigned long long)w->offsets[i], (long long)b, i);
  }
}

static void check_index(const atf_map *map, const walk *w, uint64_t cut) {
  atf_index fresh, grown;
  atf_error err;
  memset(&fresh, 0, sizeof fresh);
  memset(&grown, 0, sizeof grown);
  FUZZ_CHECK(atf_index_update(&fresh, map, NULL, &err) == ATF_OK &&
                 atf_index_ranges(&fresh, map, NULL, &err) == ATF_OK,
             "atf_index_update failed: %s", err.message);
  check_index_matches(&fresh, w);

  /* The same file seen first cut at CUT (a writer still appending), then
  ** whole: the update must come out as the fresh index. */
  atf_map prefix = fuzz_map_of(map->data, (size_t)cut);
  FUZZ_CHECK(atf_index_update(&grown, &prefix, NULL, &err) == ATF_OK &&
                 atf_index_ranges(&grown, &prefix, NULL, &err) == ATF_OK &&
                 atf_index_update(&grown, map, NULL, &err) == ATF_OK &&
                 atf_index_ranges(&grown, map, NULL, &err) == ATF_OK,
             "atf_index_update (incremental) failed: %s", err.message);
  FUZZ_CHECK(grown.records == fresh.records && grown.end == fresh.end &&
                 grown.n_blocks == fresh.n_blocks &&
                 grown.damaged == fresh.damaged &&
                 grown.torn_bytes == fresh.torn_bytes &&
                 (fresh.n_blocks == 0 ||
                  memcmp(grown.blocks, fresh.blocks,
                         fresh.n_blocks * sizeof *fresh.blocks) == 0),
             "index grown from a %llu-byte prefix differs from the fresh one",
             (unsigned long long)cut);
  atf_index_free(&fresh);
  atf_index_free(&grown);
}

/* Four little-endian bytes of the input counted from its end, as a source
** of offsets that the input itself controls. */
static uint64_t tail_u32(const uint8_t *data, size_t size, size_t k) {
  uint32_t v = 0;
  if (size < 4 * (k + 1)) return 0;
  for (int i = 0; i < 4; i++)
    v |= (uint32_t)data[size - 4 * (k + 1) + i] << (8 * i);
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  atf_map map = fuzz_map_of(data, size);
  walk w;
  memset(&w, 0, sizeof w);
  walk_all(&map, &w);

  uint64_t targets[10];
  size_t n = 0;
  targets[n++] = 0;
  targets[n++] = size;
  targets[n++] = (uint64_t)size + 1;
  targets[n++] = w.end;
  if (w.n) targets[n++] = w.offsets[w.n / 2] + 1; /* inside a record */
  for (size_t k = 0; k < 4; k++)
    targets[n++] = tail_u32(data, size, k) % ((uint64_t)size + 2);
  for (size_t i = 0; i < n; i++)
    check_seek(&map, &w, targets[i]);

  check_index(&map, &w, size ? tail_u32(data, size, 0) % size : 0);
  walk_free(&w);
  return 0;
}
