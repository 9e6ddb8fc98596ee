/*
** atf_bench.c - how fast atf_events and the call tables are, next to the
** baselines that bound them.
**
** Generates (or reuses) a deterministic trace, warms the page cache, then in
** one process times each measure and prints a table: wall time, MB/s (file
** bytes / wall time, 1 MB = 1e6 bytes), ns per event, and the ratio of the
** wall time to the baseline run in the same process (the framing walk for the
** scans: the physical limit of reading the file; the SQL a user writes today
** for the call tables, calls_bench.c). Then the memory of each full pass,
** each measured in a process of its own (memory_bench.c), and the targets of
** issues #3, #8 and #10 next to the measured values. It prints figures and
** asserts nothing about time: exit code 0 unless something fails (a query
** error, or two sides of a comparison that disagree).
**
** Run it with scripts/bench (Release build in build-bench/, then the Python
** comparisons), or by hand:
**
**   build-bench/bench/atf_bench                      2,000,000 events
**   build-bench/bench/atf_bench --size-gb 10         ~10 GB
**   build-bench/bench/atf_bench --trace DIR --only lookup
**
** The last lines are for scripts: TARGET lines (bench/targets.py),
** HOT_EVENTS_PER_SEC=, HOT_TOTALS=, TRACE_DIR=, TRACE_EVENTS_BIN=.
*/
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "atf_gen.h"
#include "atf_reader.h"
#include "atf_v4.pb-c.h"
#include "bench.h"

#ifndef ATF_BENCH_DIR
#define ATF_BENCH_DIR "."
#endif

/* Average record size of the generator's traces (prefix included), to turn
** --size-gb into an event count. */
#define BYTES_PER_EVENT 185.0
#define DEFAULT_EVENTS 2000000u
/* The generator's seed for the bench's own trace: the same trace as
** `atf-gen --seed 3 --events N --threads 8 DIR`. */
#define DEFAULT_SEED 3u
/* The SQL baselines of the call tables (a window-function query, a plain
** table of atf_calls' rows) read at most this much of the trace: past it
** they take minutes and gigabytes; their figure is then per byte. */
#define BASELINE_MAX_MB 1000.0
#define LOOKUPS 10000u
#define WINDOW_EVENTS 1000u
#define RANGE_QUERIES 100u
/* Without the block index a lookup or a range query is a scan: stop after
** this many seconds rather than for minutes, and say how many ran. */
#define LOOKUP_BUDGET_S 20.0
#define RANGE_BUDGET_S 5.0
/* The native table copies at most this much of the trace (see
** measure_native). */
#ifndef NATIVE_MAX_BYTES
#define NATIVE_MAX_BYTES 2000000000
#endif
/* The SELECT * scan samples the malloc heap every this many rows. */
#define HEAP_SAMPLE_ROWS 65536u

static const char *const measure_keys[] = {
    "count",     "hot",      "select",         "protobuf-c", "index",
    "lookup",    "ts-range", "event-id-range", "native",     "calls",
    "functions", "stack",    "memory",         NULL};

/* ---- the trace ----------------------------------------------------------- */

/* Whether DIR holds a finalized trace of exactly EVENTS events whose
** events.bin has the size the manifest announces: then it is reused. */
static int trace_matches(const char *dir, uint64_t events) {
  char path[4200];
  atf_manifest m;
  atf_error err;
  struct stat st;
  int ok;
  snprintf(path, sizeof path, "%s/trace.json", dir);
  if (atf_manifest_load(path, &m, &err) != ATF_OK) return 0;
  snprintf(path, sizeof path, "%s/events.bin", dir);
  ok = m.event_count == events && m.bytes_written.present &&
       stat(path, &st) == 0 && (uint64_t)st.st_size == m.bytes_written.value;
  atf_manifest_free(&m);
  return ok;
}

static int prepare_trace(bench *b) {
  atf_gen_options o;
  double t;
  if (b->trace_opt) {
    snprintf(b->trace_dir, sizeof b->trace_dir, "%s", b->trace_opt);
    printf("trace:      %s (given)\n", b->trace_dir);
    return 0;
  }
  snprintf(b->trace_dir, sizeof b->trace_dir,
           "%s/bench-trace-%" PRIu64 "-seed%u", ATF_BENCH_DIR, b->want_events,
           DEFAULT_SEED);
  if (trace_matches(b->trace_dir, b->want_events)) {
    printf("trace:      %s (reused)\n", b->trace_dir);
    return 0;
  }
  atf_gen_options_default(&o);
  o.seed = DEFAULT_SEED;
  o.threads = 8;
  o.events = b->want_events;
  printf("trace:      %s (generating %" PRIu64 " events...)\n", b->trace_dir,
         b->want_events);
  fflush(stdout);
  t = now_s();
  if (atf_gen_write(b->trace_dir, &o, NULL, NULL) != 0) return -1;
  printf("            generated in %.1f s\n", now_s() - t);
  return 0;
}

/* Reads the whole file once so that every measure finds it in the page
** cache: the figures are then CPU figures, not disk figures. */
static int warm_page_cache(const bench *b) {
  static char buf[1 << 22];
  FILE *f = fopen(b->events_path, "rb");
  size_t n;
  if (!f) {
    fprintf(stderr, "atf_bench: %s: %s\n", b->events_path, strerror(errno));
    return -1;
  }
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
  }
  fclose(f);
  return 0;
}

/* One untimed framing walk: counts the records and picks LOOKUPS offsets
** uniformly at random (reservoir sampling, fixed seed). Keeping all offsets
** instead would cost 8 bytes an event (430 MB for 10 GB), which would swamp
** the process's RSS that the memory figures report. */
static int sample_offsets(bench *b) {
  atf_map map;
  atf_iter it;
  atf_record rec;
  atf_error err;
  atf_status st;
  uint64_t seed = 0x5eed1234abcdull, i = 0;
  if (atf_map_open(b->events_path, &map, &err) != ATF_OK)
    return reader_fail("map", &err);
  b->file_bytes = map.size;
  b->sample = malloc(LOOKUPS * sizeof *b->sample);
  if (!b->sample) return -1;
  atf_iter_init(&it, &map);
  while ((st = atf_iter_next(&it, &rec, &err)) == ATF_OK) {
    if (i < LOOKUPS) {
      b->sample[i] = rec.offset;
    } else {
      uint64_t j = prng_next(&seed) % (i + 1);
      if (j < LOOKUPS) b->sample[j] = rec.offset;
    }
    i++;
  }
  atf_map_close(&map);
  if (st != ATF_END) return reader_fail("framing", &err);
  b->events = i;
  b->n_sample = (uint32_t)(i < LOOKUPS ? i : LOOKUPS);
  /* Reservoir slots that were never replaced keep file order: shuffle, so
  ** that successive lookups jump around the file. */
  for (uint32_t k = b->n_sample; k > 1; k--) {
    uint32_t j = (uint32_t)(prng_next(&seed) % k);
    uint64_t t = b->sample[k - 1];
    b->sample[k - 1] = b->sample[j];
    b->sample[j] = t;
  }
  return 0;
}

/* Header of the record at ordinal ORD (0-based), found by framing alone. */
static int event_at(const bench *b, uint64_t ord, atf_event *ev, atf_map *map) {
  atf_iter it;
  atf_record rec;
  atf_error err;
  atf_iter_init(&it, map);
  for (uint64_t i = 0; i <= ord; i++)
    if (atf_iter_next(&it, &rec, &err) != ATF_OK)
      return reader_fail("framing to a window", &err);
  if (atf_event_decode(&rec, ev, &err) != ATF_OK)
    return reader_fail("decode", &err);
  (void)b;
  return 0;
}

/* ---- measures ------------------------------------------------------------ */

/* One framing walk over MAP: records and time in *SECONDS. */
static int framing_walk(const bench *b, const atf_map *map, double *seconds) {
  atf_iter it;
  atf_record rec;
  atf_error err;
  atf_status st;
  uint64_t n = 0, body = 0;
  double t = now_s();
  atf_iter_init(&it, map);
  while ((st = atf_iter_next(&it, &rec, &err)) == ATF_OK) {
    n++;
    body += rec.body_len; /* keeps the loop from being optimized away */
  }
  *seconds = now_s() - t;
  if (st != ATF_END) return reader_fail("framing", &err);
  if (n != b->events || (n > 0 && body == 0)) {
    fprintf(stderr,
            "atf_bench: framing saw %" PRIu64 " records, not %" PRIu64 "\n", n,
            b->events);
    return -1;
  }
  return 0;
}

/*
** framing: length prefixes only, what any reader must at least do. Two
** figures: over a mapping whose pages are already mapped (the CPU's limit,
** the baseline of every ratio), and over a fresh mapping, which pays a page
** fault per few pages touched: what a scan pays when the reader maps the file
** anew or released the pages behind its previous scan (MADV_DONTNEED).
*/
static int measure_framing(bench *b) {
  atf_map map;
  atf_error err;
  double best = INFINITY, fresh = INFINITY, t;
  long faults = 0, fresh_faults = 0;
  char note[128];
  for (int r = 0; r < b->repeat; r++) {
    long f = minor_faults();
    if (atf_map_open(b->events_path, &map, &err) != ATF_OK)
      return reader_fail("map", &err);
    if (framing_walk(b, &map, &t) != 0) {
      atf_map_close(&map);
      return -1;
    }
    f = minor_faults() - f;
    if (t < fresh) fresh = t, fresh_faults = f;
    f = minor_faults();
    if (framing_walk(b, &map, &t) != 0) {
      atf_map_close(&map);
      return -1;
    }
    f = minor_faults() - f;
    if (t < best) best = t, faults = f;
    atf_map_close(&map);
  }
  b->framing_s = best;
  snprintf(note, sizeof note,
           "baseline: length prefixes only "
           "(atf_iter_next), pages mapped; %ld page faults",
           faults);
  print_row("framing", best, b->file_bytes, b->events, 1.0, "framing", note);
  snprintf(note, sizeof note, "the same over a fresh mmap: %ld page faults",
           fresh_faults);
  print_row("framing (fresh mapping)", fresh, b->file_bytes, b->events,
            fresh / best, "framing", note);
  return 0;
}

static int measure_count(bench *b) {
  sqlite3_int64 n;
  long faults = 0;
  char note[64];
  if (time_one_row(b, "SELECT count(*) FROM atf_events(?)", &b->count_s,
                   &faults, &n, NULL, 1) != 0)
    return -1;
  if ((uint64_t)n != b->events) {
    fprintf(stderr, "atf_bench: count(*) = %lld, framing saw %" PRIu64 "\n",
            (long long)n, b->events);
    return -1;
  }
  snprintf(note, sizeof note, "%ld page faults", faults);
  print_row("count(*)", b->count_s, b->file_bytes, b->events,
            b->count_s / b->framing_s, "framing", note);
  return 0;
}

static const char *const HOT_SQL =
    "SELECT count(*), sum(thread_id), max(ts), count(symbol) FROM %s";

static int hot_query(bench *b, const char *from, double *best, long *faults,
                     hot_totals *h) {
  char sql[256];
  sqlite3_int64 v[4];
  int nul[4];
  snprintf(sql, sizeof sql, HOT_SQL, from);
  if (time_one_row(b, sql, best, faults, v, nul, 4) != 0) return -1;
  h->count = v[0];
  h->sum_thread_id = v[1];
  h->max_ts = v[2];
  h->has_max_ts = !nul[2];
  h->count_symbol = v[3];
  return 0;
}

static int same_totals(const bench *b, const hot_totals *h, const char *who) {
  if (!b->have_hot) return 0;
  if (h->count == b->hot.count && h->sum_thread_id == b->hot.sum_thread_id &&
      h->count_symbol == b->hot.count_symbol &&
      h->has_max_ts == b->hot.has_max_ts &&
      (!h->has_max_ts || h->max_ts == b->hot.max_ts))
    return 0;
  fprintf(stderr,
          "atf_bench: %s totals differ from atf_events': count %lld/%lld, "
          "sum(thread_id) %lld/%lld, max(ts) %lld/%lld, count(symbol) "
          "%lld/%lld\n",
          who, (long long)h->count, (long long)b->hot.count,
          (long long)h->sum_thread_id, (long long)b->hot.sum_thread_id,
          (long long)h->max_ts, (long long)b->hot.max_ts,
          (long long)h->count_symbol, (long long)b->hot.count_symbol);
  return -1;
}

static int measure_hot(bench *b) {
  long faults = 0;
  char note[128];
  if (hot_query(b, "atf_events(?)", &b->hot_s, &faults, &b->hot) != 0)
    return -1;
  b->have_hot = 1;
  snprintf(note, sizeof note,
           "count(*), sum(thread_id), max(ts), "
           "count(symbol); %ld page faults",
           faults);
  print_row("hot columns (atf_events)", b->hot_s, b->file_bytes, b->events,
            b->hot_s / b->framing_s, "framing", note);
  return 0;
}

/*
** SELECT *: every row, every column. The same run measures memory:
** - sqlite3_memory_highwater: the peak of what SQLite allocated through its
**   own allocator (sqlite3_malloc*): the statement, row values, and the
**   extension's per-cursor buffers (ext/ uses sqlite3_malloc64). Reset
**   before the scan, it includes the connection's baseline allocations.
** - mallinfo2: everything malloc holds, which is SQLite's heap too (its
**   default allocator sits on malloc) plus the reader's plain malloc (the
**   mapped path, index blocks). Sampled every HEAP_SAMPLE_ROWS rows, minus
**   its value before the scan: the growth the scan caused.
** - peak RSS (VmHWM, ru_maxrss) after resetting it: the heap plus every page
**   of the mapping the scan touched and still holds (file-backed pages are
**   resident while mapped, unless the reader releases them behind itself).
*/
static int measure_select(bench *b) {
  sqlite3_stmt *st;
  double best = INFINITY;
  uint64_t check = 0, heap0, heap_peak, rss0;
  long faults = 0;
  if (prepare(b, "SELECT * FROM atf_events(?)", &st) != 0) return -1;
  int ncol = sqlite3_column_count(st);
  heap0 = heap_peak = malloc_in_use();
  rss0 = proc_status_kb("VmRSS");
  b->rss_reset = reset_peak_rss() == 0;
  sqlite3_memory_highwater(1);
  for (int r = 0; r < b->repeat; r++) {
    uint64_t rows = 0;
    int rc;
    long f = minor_faults();
    double t = now_s();
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      check += touch_row(st, ncol);
      if (++rows % HEAP_SAMPLE_ROWS == 0) {
        uint64_t h = malloc_in_use();
        if (h > heap_peak) heap_peak = h;
      }
    }
    t = now_s() - t;
    if (rc != SQLITE_DONE) {
      sql_fail(b, "SELECT *");
      sqlite3_finalize(st);
      return -1;
    }
    if (rows != b->events) {
      fprintf(stderr, "atf_bench: SELECT * gave %" PRIu64 " rows\n", rows);
      sqlite3_finalize(st);
      return -1;
    }
    sqlite3_reset(st);
    f = minor_faults() - f;
    if (t < best) best = t, faults = f;
  }
  b->sqlite_heap_mb = mb((uint64_t)sqlite3_memory_highwater(0));
  b->heap_mb = mb(heap_peak - heap0);
  b->rss_mb = mb(ru_maxrss_bytes());
  b->vmhwm_mb = mb(proc_status_kb("VmHWM"));
  sqlite3_finalize(st);
  b->select_s = best;
  char note[160];
  snprintf(note, sizeof note,
           "%d columns touched, checksum %" PRIx64 "; %ld page faults", ncol,
           check, faults);
  print_row("SELECT *", best, b->file_bytes, b->events, best / b->framing_s,
            "framing", note);
  printf("  memory of the scan: peak RSS %.1f MB (ru_maxrss), %.1f MB (VmHWM)"
         "%s; RSS before %.1f MB\n",
         b->rss_mb, b->vmhwm_mb,
         b->rss_reset ? ", reset before the scan"
                      : ", NOT reset: includes everything before",
         mb(rss0));
  printf("                      SQLite heap peak %.2f MB "
         "(sqlite3_memory_highwater, baseline included); malloc heap "
         "+%.2f MB over %.2f MB before (mallinfo2)\n",
         b->sqlite_heap_mb, b->heap_mb, mb(heap0));
  return 0;
}

/* What a straightforward C reader does: protobuf-c unpacks each whole
** record into freshly allocated structs, reads three fields, frees it all. */
static int measure_protobuf_c(bench *b) {
  atf_map map;
  atf_error err;
  double best = INFINITY;
  long faults = 0;
  hot_totals h;
  if (atf_map_open(b->events_path, &map, &err) != ATF_OK)
    return reader_fail("map", &err);
  for (int r = 0; r < b->repeat; r++) {
    atf_iter it;
    atf_record rec;
    atf_status st;
    long f = minor_faults();
    double t = now_s();
    memset(&h, 0, sizeof h);
    atf_iter_init(&it, &map);
    while ((st = atf_iter_next(&it, &rec, &err)) == ATF_OK) {
      Event *e = event__unpack(NULL, (size_t)rec.body_len, rec.body);
      if (!e) {
        fprintf(stderr,
                "atf_bench: event__unpack failed at offset %" PRIu64 "\n",
                rec.offset);
        atf_map_close(&map);
        return -1;
      }
      h.count++;
      h.sum_thread_id += e->thread_id;
      if (e->timestamp) {
        int64_t ts = e->timestamp->seconds * 1000000000 + e->timestamp->nanos;
        if (!h.has_max_ts || ts > h.max_ts) h.max_ts = ts;
        h.has_max_ts = 1;
      }
      if (e->payload_case == EVENT__PAYLOAD_FUNCTION_CALL &&
          e->function_call->symbol)
        h.count_symbol++;
      else if (e->payload_case == EVENT__PAYLOAD_FUNCTION_RETURN &&
               e->function_return->symbol)
        h.count_symbol++;
      event__free_unpacked(e, NULL);
    }
    t = now_s() - t;
    f = minor_faults() - f;
    if (st != ATF_END) {
      atf_map_close(&map);
      return reader_fail("framing", &err);
    }
    if (t < best) best = t, faults = f;
  }
  atf_map_close(&map);
  b->pbc_s = best;
  char note[128];
  if (!isnan(b->hot_s))
    snprintf(note, sizeof note,
             "atf_events hot columns are %.2fx faster; %ld page faults",
             best / b->hot_s, faults);
  else
    snprintf(note, sizeof note,
             "event__unpack + free per record; %ld page faults", faults);
  print_row("hot columns (protobuf-c unpack)", best, b->file_bytes, b->events,
            best / b->framing_s, "framing", note);
  return same_totals(b, &h, "protobuf-c");
}

/* The block index through the reader API: one pass over framing and
** headers, what the extension pays once per trace before seeking. */
static int measure_index(bench *b) {
  double best = INFINITY;
  size_t blocks = 0;
  long faults = 0;
  for (int r = 0; r < b->repeat; r++) {
    atf_map map;
    atf_index idx;
    atf_error err;
    long f = minor_faults();
    double t = now_s();
    if (atf_map_open(b->events_path, &map, &err) != ATF_OK)
      return reader_fail("map", &err);
    memset(&idx, 0, sizeof idx);
    if (atf_index_update(&idx, &map, NULL, &err) != ATF_OK) {
      atf_map_close(&map);
      return reader_fail("index", &err);
    }
    t = now_s() - t;
    f = minor_faults() - f;
    blocks = idx.n_blocks;
    if (idx.records != b->events) {
      fprintf(stderr,
              "atf_bench: index holds %" PRIu64 " records, not %" PRIu64 "\n",
              idx.records, b->events);
      atf_index_free(&idx);
      atf_map_close(&map);
      return -1;
    }
    atf_index_free(&idx);
    atf_map_close(&map);
    if (t < best) best = t, faults = f;
  }
  b->index_s = best;
  char note[128];
  snprintf(note, sizeof note,
           "atf_map_open + atf_index_update: %zu blocks, %.2f MB of index; "
           "%ld page faults",
           blocks, mb(blocks * sizeof(atf_block)), faults);
  print_row("index build (reader API)", best, b->file_bytes, b->events,
            best / b->framing_s, "framing", note);
  return 0;
}

/* The reader's own lookups over MAP: seek to a known record start, frame
** it, decode its header and payload. Seconds per lookup. */
static int reader_lookups(const bench *b, const atf_map *map, double *per,
                          uint64_t *check) {
  atf_error err;
  double t = now_s();
  for (uint32_t i = 0; i < b->n_sample; i++) {
    atf_iter it;
    atf_record rec;
    atf_event ev;
    atf_payload pl;
    atf_iter_init(&it, map);
    if (atf_iter_seek(&it, b->sample[i], &err) != ATF_OK ||
        atf_iter_next(&it, &rec, &err) != ATF_OK ||
        atf_event_decode(&rec, &ev, &err) != ATF_OK ||
        atf_payload_decode(&ev, &pl, &err) != ATF_OK)
      return reader_fail("reader lookup", &err);
    *check += ev.event_id + pl.symbol.len;
  }
  *per = (now_s() - t) / b->n_sample;
  return 0;
}

/* Point lookups: first the reader's own (the floor a lookup cannot beat),
** on a fresh mapping (a page fault each) and again on the same one (pages
** mapped: CPU only, the baseline), then through SQL. */
static int measure_lookups(bench *b) {
  static const char *const sql =
      "SELECT * FROM atf_events(?1) WHERE offset = ?2";
  atf_map map;
  atf_error err;
  sqlite3_stmt *st;
  uint64_t check = 0;
  uint32_t done = 0;
  double t, t_first = 0, cold;
  int64_t framed0;
  long faults;
  char note[256];

  if (atf_map_open(b->events_path, &map, &err) != ATF_OK)
    return reader_fail("map", &err);
  faults = minor_faults();
  if (reader_lookups(b, &map, &cold, &check) != 0) {
    atf_map_close(&map);
    return -1;
  }
  faults = minor_faults() - faults;
  if (reader_lookups(b, &map, &b->reader_lookup_s, &check) != 0) {
    atf_map_close(&map);
    return -1;
  }
  atf_map_close(&map);
  snprintf(note, sizeof note,
           "%.3f us/lookup over %u lookups, pages mapped (seek, header, "
           "payload; checksum %" PRIx64 ")",
           b->reader_lookup_s * 1e6, b->n_sample, check);
  print_row("point lookups (reader API)", b->reader_lookup_s * b->n_sample, 0,
            0, NAN, NULL, note);
  snprintf(note, sizeof note,
           "%.3f us/lookup: the same on a fresh mmap, %ld page faults",
           cold * 1e6, faults);
  print_row("point lookups (reader, fresh map)", cold * b->n_sample, 0, 0,
            cold / b->reader_lookup_s, "reader lookups", note);

  if (prepare(b, sql, &st) != 0) return -1;
  int ncol = sqlite3_column_count(st);
  framed0 = records_framed(b);
  faults = minor_faults();
  t = now_s();
  for (uint32_t i = 0; i < b->n_sample; i++) {
    double t1 = now_s();
    int rc;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)b->sample[i]);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW ||
        (uint64_t)sqlite3_column_int64(st, 0) != b->sample[i]) {
      if (rc != SQLITE_ROW)
        sql_fail(b, sql);
      else
        fprintf(stderr,
                "atf_bench: lookup of %" PRIu64 " gave another "
                "row\n",
                b->sample[i]);
      sqlite3_finalize(st);
      return -1;
    }
    check += touch_row(st, ncol);
    if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
      if (rc == SQLITE_ROW)
        fprintf(stderr, "atf_bench: lookup of %" PRIu64 " gave two rows\n",
                b->sample[i]);
      else
        sql_fail(b, sql);
      sqlite3_finalize(st);
      return -1;
    }
    done++;
    if (i == 0) t_first = now_s() - t1;
    if (now_s() - t > LOOKUP_BUDGET_S) break;
  }
  t = now_s() - t;
  faults = minor_faults() - faults;
  sqlite3_reset(st); /* closes the cursor: its work reaches atf_stats() */
  sqlite3_finalize(st);
  int64_t framed = records_framed(b) - framed0;
  b->first_lookup_us = t_first * 1e6;
  /* The first lookup builds the index: the rest are what a lookup costs. */
  b->lookup_us = done > 1 ? (t - t_first) * 1e6 / (done - 1) : t * 1e6;
  snprintf(note, sizeof note,
           "%.2f us/lookup over %u lookups%s; first %.1f us; %.1f records "
           "framed/lookup; %ld page faults",
           b->lookup_us, done, done < b->n_sample ? " (time budget hit)" : "",
           b->first_lookup_us, framed0 >= 0 ? (double)framed / done : NAN,
           faults);
  print_row("point lookups (SQL)", t, 0, 0,
            b->lookup_us / (b->reader_lookup_s * 1e6), "reader lookups", note);
  print_plan(b, sql);
  return 0;
}

/* A narrow range: the values of column COL at the middle ordinal and
** WINDOW_EVENTS later bound a window of about that many events (timestamps
** are only mostly increasing, so the count is near, not exactly, 1000). */
static int measure_range(bench *b, const char *col, const char *name,
                         double *us_out) {
  char sql[256];
  atf_map map;
  atf_error err;
  atf_event e0, e1;
  sqlite3_int64 lo, hi, count = -1;
  sqlite3_stmt *st;
  uint64_t k = b->events > WINDOW_EVENTS + 2 ? b->events / 2 : 0;
  uint64_t k1 =
      k + WINDOW_EVENTS < b->events ? k + WINDOW_EVENTS : b->events - 1;
  uint32_t runs = 0;
  int64_t framed0;
  long faults;
  double t, full;

  if (atf_map_open(b->events_path, &map, &err) != ATF_OK)
    return reader_fail("map", &err);
  if (event_at(b, k, &e0, &map) != 0 || event_at(b, k1, &e1, &map) != 0) {
    atf_map_close(&map);
    return -1;
  }
  atf_map_close(&map);
  if (strcmp(col, "ts") == 0) {
    lo = e0.ts_ns;
    hi = e1.ts_ns;
  } else {
    lo = (sqlite3_int64)e0.event_id;
    hi = (sqlite3_int64)e1.event_id;
  }
  if (lo > hi) {
    sqlite3_int64 x = lo;
    lo = hi;
    hi = x;
  }
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM atf_events(?1) WHERE %s BETWEEN ?2 AND ?3",
           col);
  if (prepare(b, sql, &st) != 0) return -1;
  sqlite3_bind_int64(st, 2, lo);
  sqlite3_bind_int64(st, 3, hi);
  /* Warm-up: builds the index if the table keeps one. */
  t = now_s();
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    return sql_fail(b, sql);
  }
  count = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  full = now_s() - t;
  framed0 = records_framed(b);
  faults = minor_faults();
  t = now_s();
  while (runs < RANGE_QUERIES && (runs < 3 || now_s() - t < RANGE_BUDGET_S)) {
    if (sqlite3_step(st) != SQLITE_ROW) {
      sqlite3_finalize(st);
      return sql_fail(b, sql);
    }
    sqlite3_reset(st);
    runs++;
  }
  t = now_s() - t;
  faults = minor_faults() - faults;
  sqlite3_finalize(st);
  int64_t framed = records_framed(b) - framed0;
  *us_out = t * 1e6 / runs;
  char note[256];
  snprintf(note, sizeof note,
           "%.1f us/query over %u queries%s; count = %lld; first %.1f ms; "
           "%.0f records framed/query; %.1f page faults/query",
           *us_out, runs, runs < RANGE_QUERIES ? " (time budget hit)" : "",
           (long long)count, full * 1e3,
           framed0 >= 0 ? (double)framed / runs : NAN, (double)faults / runs);
  print_row(name, t, 0, 0, t / runs / b->count_s, "count(*)", note);
  print_plan(b, sql);
  return 0;
}

/* The same hot query on a native SQLite table holding the same rows: what
** an import would buy. The table lives in the same in-memory database, which
** takes ~1.4 bytes of heap per byte of events.bin: past NATIVE_MAX_BYTES it
** holds the records that start before that offset only, and the ratio is
** then per event. */
static int measure_native(bench *b) {
  sqlite3_stmt *st;
  hot_totals h;
  double t, per_event;
  long faults = 0;
  int rc, partial = b->file_bytes > NATIVE_MAX_BYTES;
  sqlite3_int64 native_bytes = 0;
  char note[160];
  if (prepare(b,
              "CREATE TABLE ev AS SELECT * FROM atf_events(?1) "
              "WHERE offset < ?2",
              &st) != 0)
    return -1;
  sqlite3_bind_int64(st, 2, partial ? NATIVE_MAX_BYTES : INT64_MAX);
  t = now_s();
  rc = sqlite3_step(st);
  b->native_build_s = now_s() - t;
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return sql_fail(b, "CREATE TABLE ev");
  if (hot_query(b, "ev", &b->native_hot_s, &faults, &h) != 0) return -1;
  /* The bytes the table's rows came from, for MB/s. */
  if (sqlite3_prepare_v2(b->db, "SELECT max(offset + size) FROM ev", -1, &st,
                         NULL) != SQLITE_OK)
    return sql_fail(b, "max(offset + size)");
  if (sqlite3_step(st) == SQLITE_ROW)
    native_bytes = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  snprintf(note, sizeof note,
           "CREATE TABLE ev AS SELECT * (in memory): %.0f MB of SQLite heap%s",
           mb((uint64_t)sqlite3_memory_used()),
           partial ? "; first records only (NATIVE_MAX_BYTES)" : "");
  print_row("native table build", b->native_build_s, (uint64_t)native_bytes,
            (uint64_t)h.count,
            b->native_build_s / (b->framing_s * h.count / b->events), "framing",
            note);
  per_event = b->native_hot_s / (double)h.count;
  if (!isnan(b->hot_s))
    snprintf(note, sizeof note,
             "atf_events/native = %.2f per event (target <= 1.0)",
             b->hot_s / (double)b->events / per_event);
  else
    snprintf(note, sizeof note, "the hot-column query on ev");
  print_row("hot columns (native table)", b->native_hot_s,
            (uint64_t)native_bytes, (uint64_t)h.count,
            b->native_hot_s / (b->framing_s * h.count / b->events), "framing",
            note);
  b->native_hot_per_event_s = per_event;
  if (sqlite3_exec(b->db, "DROP TABLE ev", NULL, NULL, NULL) != SQLITE_OK)
    return sql_fail(b, "DROP TABLE ev");
  return partial ? 0 : same_totals(b, &h, "native table");
}

/* ---- report -------------------------------------------------------------- */

static void print_machine(const bench *b) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512], cpu[256] = "unknown";
  if (f) {
    while (fgets(line, sizeof line, f))
      if (strncmp(line, "model name", 10) == 0) {
        char *p = strchr(line, ':');
        if (p) {
          p += strspn(p + 1, " \t") + 1;
          p[strcspn(p, "\n")] = 0;
          snprintf(cpu, sizeof cpu, "%s", p);
        }
        break;
      }
    fclose(f);
  }
  printf("machine:    %ld cpus, %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu);
  printf("sqlite:     %s (extension %s)\n", sqlite3_libversion(),
         ATF_EXTENSION_PATH);
  printf("events.bin: %.1f MB (%" PRIu64 " bytes), %" PRIu64
         " events, %.1f bytes/event\n",
         mb(b->file_bytes), b->file_bytes, b->events,
         b->events ? (double)b->file_bytes / (double)b->events : 0.0);
  printf("repeat:     best of %d for each scan; MB = 1e6 bytes; ratio = wall "
         "time / the named baseline's\n\n",
         b->repeat);
}

static double gbps(const bench *b, double s) {
  return isnan(s) ? NAN : (double)b->file_bytes / s / 1e9;
}

/* The heap of a pass measured in its own process: malloc's extent growth
** (SQLite's heap included) plus its own mmaps, or SQLite's peak if larger. */
static double child_heap_mb(const child_mem *m) {
  return m->run ? fmax(m->arena_mb + m->mmap_mb, m->sqlite_mb) : NAN;
}

static void print_targets(const bench *b) {
  /* Resident memory is bounded only past the keep-mapped bound: smaller
  ** files stay mapped for the connection, by design (README, Memory). */
  const char *small = b->file_bytes > ATF_KEEP_MAPPED_BYTES
                          ? NULL
                          : "file <= 1 GiB stays mapped by design";
  const char *big =
      b->file_bytes >= 5000000000ull ? NULL : "target is for a 10 GB trace";
  static const struct {
    int kind;
    const char *issue, *what;
  } rss[] = {
      {MEM_INDEX, "10", "peak RSS: index build (1st offset = ?)"},
      {MEM_CHECK, "10", "peak RSS: atf_check"},
      {MEM_SCAN, "10", "peak RSS: scan (SELECT *)"},
      {MEM_CALLS, "8", "peak RSS: atf_calls (call walker)"},
      {MEM_FUNCTIONS, "8", "peak RSS: atf_functions"},
      {MEM_STACK, "8", "peak RSS: 1st atf_stack (checkpoints)"},
      {MEM_CALL_AT, "8", "peak RSS: 1st atf_calls offset = ?"},
  };
  static const struct {
    int kind;
    const char *what;
  } heap[] = {
      {MEM_CALLS, "heap: atf_calls"},
      {MEM_FUNCTIONS, "heap: atf_functions"},
      {MEM_STACK, "heap: 1st atf_stack (checkpoints)"},
      {MEM_CALL_AT, "heap: 1st atf_calls offset = ?"},
  };

  printf("\ntargets                                         target           "
         "measured           verdict\n");
  target_line("3", "count(*)", 1, 3.0, gbps(b, b->count_s), "GB/s", NULL);
  target_line("10", "count(*) on 10 GB", 1, 3.0, gbps(b, b->count_s), "GB/s",
              big);
  target_line("3", "hot columns (atf_events)", 1, 1.2, gbps(b, b->hot_s),
              "GB/s", NULL);
  target_line("3", "hot columns atf_events/native", 0, 1.0,
              b->hot_s / (double)b->events / b->native_hot_per_event_s, "x",
              NULL);
  target_line("3", "SELECT *", 1, 400.0,
              isnan(b->select_s) ? NAN : mb(b->file_bytes) / b->select_s,
              "MB/s", NULL);
  target_line("3", "point lookup (SQL)", 0, 5.0, b->lookup_us, "us", NULL);
  target_line("3", "narrow ts range", 0, 1.0, b->ts_range_us / 1e3, "ms", NULL);
  target_line("3", "narrow event_id range", 0, 1.0, b->id_range_us / 1e3, "ms",
              NULL);
  target_line("3", "index build (reader API)", 1, 2.0, gbps(b, b->index_s),
              "GB/s", NULL);
  /* The scan's heap: the larger of SQLite's own peak and the growth of all
  ** malloc'd memory (see measure_select). */
  target_line("3", "heap of a full scan", 0, 10.0,
              isnan(b->heap_mb) ? NAN : fmax(b->heap_mb, b->sqlite_heap_mb),
              "MB", NULL);
  target_line("3", "peak RSS of SELECT * (in process)", 0, 64.0, b->vmhwm_mb,
              "MB", small);

  target_line("8", "atf_calls count/sum(dur)/max(depth)", 1, 500.0,
              isnan(b->calls_s) ? NAN : mb(b->file_bytes) / b->calls_s, "MB/s",
              NULL);
  target_line("8", "atf_calls vs window-function query", 1, 20.0,
              b->window_per_byte_ratio, "x faster", NULL);
  target_line("8", "atf_functions", 1, 400.0,
              isnan(b->functions_s) ? NAN : mb(b->file_bytes) / b->functions_s,
              "MB/s", NULL);
  target_line("8", "atf_functions / SQL over plain calls", 0, 1.0,
              b->functions_per_byte_ratio, "x time", NULL);
  target_line("8", "atf_stack at a random event (mean)", 0, 5.0, b->stack_ms,
              "ms", NULL);
  target_line("8", "atf_stack at a random event (max)", 0, 5.0, b->stack_max_ms,
              "ms", NULL);
  target_line("8", "one call by offset (mean)", 0, 5.0, b->call_at_ms, "ms",
              NULL);
  target_line("8", "one call by offset (max)", 0, 5.0, b->call_at_max_ms, "ms",
              NULL);
  /* The issue's bound is for 64 threads at depth 200; the bench's trace
  ** has 8 threads at depth 8 (the generator's defaults). */
  target_line("8", "block index + call checkpoints", 0, 16.0,
              b->index_mb + b->ckpt_mb, "MB", big);
  for (size_t i = 0; i < sizeof heap / sizeof heap[0]; i++)
    target_line("8", heap[i].what, 0, 16.0,
                child_heap_mb(&b->mem[heap[i].kind]), "MB", NULL);
  for (size_t i = 0; i < sizeof rss / sizeof rss[0]; i++) {
    const child_mem *m = &b->mem[rss[i].kind];
    target_line(rss[i].issue, rss[i].what, 0, 64.0, m->run ? m->hwm_mb : NAN,
                "MB", small);
  }
  printf("  #3   vs python3-protobuf: >= 25x, see bench/python_decode.py; "
         "#10 against a plain table: bench/plain_compare.py (scripts/bench "
         "runs both next)\n");
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: atf_bench [--events N | --size-gb G] [--trace DIR] "
          "[--only NAME] [--repeat R] [--baseline-max-mb M]\n"
          "Times atf_events and the call tables against baselines in one "
          "process and prints\nfigures (no assertions).\n\n"
          "  --events N   events of the generated trace (default %u, ~370 "
          "MB)\n"
          "  --size-gb G  generate about G GB instead (events = G*1e9/%.0f)\n"
          "  --trace DIR  use this trace (a pid_* directory) instead of "
          "generating one;\n"
          "               default: %s/bench-trace-<events>-seed%u (the "
          "trace of\n"
          "               atf-gen --seed %u --events N --threads 8), reused "
          "when it exists whole\n"
          "  --only NAME  run one measure (framing, the baseline, always "
          "runs):\n"
          "               count hot select protobuf-c index lookup ts-range "
          "event-id-range native\n"
          "               calls functions stack memory\n"
          "  --repeat R   best of R runs for each scan (default 3)\n"
          "  --baseline-max-mb M  the SQL baselines of the call tables read at "
          "most the first\n"
          "               M MB of the trace (default %.0f); past that their "
          "ratio is per byte\n",
          DEFAULT_EVENTS, BYTES_PER_EVENT, ATF_BENCH_DIR, DEFAULT_SEED,
          DEFAULT_SEED, BASELINE_MAX_MB);
}

static int parse_args(bench *b, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    }
    if (!v) goto bad;
    errno = 0;
    if (strcmp(a, "--events") == 0) {
      b->want_events = strtoull(v, &end, 10);
      if (errno || *end || b->want_events < 3) goto bad;
    } else if (strcmp(a, "--size-gb") == 0) {
      double g = strtod(v, &end);
      if (errno || *end || !(g > 0)) goto bad;
      b->want_events = (uint64_t)(g * 1e9 / BYTES_PER_EVENT);
      if (b->want_events < 3) b->want_events = 3;
    } else if (strcmp(a, "--trace") == 0) {
      b->trace_opt = v;
    } else if (strcmp(a, "--only") == 0) {
      int known = strcmp(v, "framing") == 0;
      for (int k = 0; measure_keys[k]; k++)
        known |= !strcmp(v, measure_keys[k]);
      if (!known) goto bad;
      b->only = v;
    } else if (strcmp(a, "--repeat") == 0) {
      b->repeat = (int)strtol(v, &end, 10);
      if (errno || *end || b->repeat < 1) goto bad;
    } else if (strcmp(a, "--baseline-max-mb") == 0) {
      double m = strtod(v, &end);
      if (errno || *end || !(m > 0)) goto bad;
      b->baseline_max_bytes = (uint64_t)(m * 1e6);
    } else {
      goto bad;
    }
    i++;
    continue;
  bad:
    fprintf(stderr, "atf_bench: bad argument: %s%s%s\n", a, v ? " " : "",
            v ? v : "");
    usage(stderr);
    return -1;
  }
  return 0;
}

static int run(bench *b) {
  atf_trace_paths paths;
  atf_error err;

  if (prepare_trace(b) != 0) return -1;
  if (atf_trace_paths_resolve(b->trace_dir, &paths, &err) != ATF_OK)
    return reader_fail("trace", &err);
  b->events_path = paths.events_path;
  free(paths.manifest_path);
  if (warm_page_cache(b) != 0 || sample_offsets(b) != 0) return -1;
  print_machine(b);

  if (!(b->db = open_with_extension("atf_bench"))) return -1;

  printf("%-34s %9s %9s %9s %8s  %s\n", "measure", "wall s", "MB/s", "ns/event",
         "ratio", "ratio to; notes");
  /* The order matters for memory only: SELECT * (which measures it) runs
  ** before the native table fills the heap. */
  if (measure_framing(b) != 0) return -1;
  if (wanted(b, "count") && measure_count(b) != 0) return -1;
  if (wanted(b, "hot") && measure_hot(b) != 0) return -1;
  if (wanted(b, "select") && measure_select(b) != 0) return -1;
  if (wanted(b, "protobuf-c") && measure_protobuf_c(b) != 0) return -1;
  if (wanted(b, "index") && measure_index(b) != 0) return -1;
  if (wanted(b, "lookup") && b->n_sample && measure_lookups(b) != 0) return -1;
  if (wanted(b, "ts-range") &&
      measure_range(b, "ts", "narrow ts range", &b->ts_range_us) != 0)
    return -1;
  if (wanted(b, "event-id-range") &&
      measure_range(b, "event_id", "narrow event_id range", &b->id_range_us) !=
          0)
    return -1;
  if (wanted(b, "native") && measure_native(b) != 0) return -1;
  if (wanted(b, "calls") && measure_calls(b) != 0) return -1;
  if (wanted(b, "functions") && measure_functions(b) != 0) return -1;
  if (wanted(b, "stack") &&
      (measure_checkpoints(b) != 0 || measure_stack(b) != 0))
    return -1;
  if (wanted(b, "memory") && measure_memory(b) != 0) return -1;

  print_targets(b);
  /* For scripts/bench: the targets for bench/targets.py, the rest for
  ** python_decode.py and plain_compare.py. */
  printf("\n");
  print_target_records();
  printf("TRACE_DIR=%s\n", b->trace_dir);
  printf("TRACE_EVENTS_BIN=%s\n", b->events_path);
  if (b->have_hot && !isnan(b->hot_s)) {
    printf("HOT_EVENTS_PER_SEC=%.0f\n", (double)b->events / b->hot_s);
    printf("HOT_TOTALS=%lld,%lld,%lld,%lld\n", (long long)b->hot.count,
           (long long)b->hot.sum_thread_id,
           (long long)(b->hot.has_max_ts ? b->hot.max_ts : 0),
           (long long)b->hot.count_symbol);
  }
  return 0;
}

int main(int argc, char **argv) {
  bench b;
  int rc;
  /* A child measuring one pass's memory (memory_bench.c). */
  if (argc > 1 && strcmp(argv[1], "--child") == 0)
    return memory_child(argc - 2, argv + 2);
  memset(&b, 0, sizeof b);
  b.want_events = DEFAULT_EVENTS;
  b.repeat = 3;
  b.baseline_max_bytes = (uint64_t)(BASELINE_MAX_MB * 1e6);
  b.framing_s = b.count_s = b.hot_s = b.select_s = b.pbc_s = NAN;
  b.index_s = b.reader_lookup_s = b.lookup_us = b.first_lookup_us = NAN;
  b.ts_range_us = b.id_range_us = b.native_build_s = b.native_hot_s = NAN;
  b.native_hot_per_event_s = NAN;
  b.heap_mb = b.sqlite_heap_mb = b.rss_mb = b.vmhwm_mb = NAN;
  b.calls_s = b.window_s = b.window_per_byte_ratio = NAN;
  b.functions_s = b.functions_sql_s = b.functions_per_byte_ratio = NAN;
  b.ckpt_build_s = b.ckpt_mb = b.index_mb = b.ckpt_first_sql_s = NAN;
  b.stack_ms = b.stack_max_ms = b.call_at_ms = b.call_at_max_ms = NAN;
  if (parse_args(&b, argc, argv) != 0) return 2;
  rc = run(&b);
  if (b.db) sqlite3_close(b.db);
  free(b.events_path);
  free(b.sample);
  return rc == 0 ? 0 : 1;
}
