/*
** v2_check.c - reading a whole ATF v2 trace to say whether it is whole:
** every file's header and footer against the file, every index record,
** every detail record and the links between them both ways, the manifest
** against the directories, and the quirks of real sessions (events
** recorded twice, timestamps going backwards). Each problem is a finding
** (atf_finding, as atf_check_trace reports for v4); rows stay readable
** wherever the findings are warnings.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct check_ctx {
  atf_finding_fn fn;
  void *user;
  int stop;
  atf_v2_check_summary *sum;
  const atf_interrupt *interrupt;
  atf_pairing *pairing; /* calls paired as the call tables pair them */
  atf_status rc;        /* ATF_ERR_INTERRUPTED or ATF_ERR_NOMEM stops it */
  atf_error *err;
} check_ctx;

static void report(check_ctx *ctx, atf_severity severity, const char *code,
                   uint64_t offset, const char *fmt, ...) ATF_PRINTF(5, 6);

static void report(check_ctx *ctx, atf_severity severity, const char *code,
                   uint64_t offset, const char *fmt, ...) {
  atf_finding f;
  va_list ap;
  if (ctx->stop) return;
  f.severity = severity;
  f.code = code;
  f.offset = offset;
  va_start(ap, fmt);
  vsnprintf(f.message, sizeof f.message, fmt, ap);
  va_end(ap);
  if (ctx->fn(ctx->user, &f)) ctx->stop = 1;
}

typedef unsigned long long ull;

/* The finding code of a file that cannot be read. */
static const char *unreadable_code(atf_status rc, const atf_error *e) {
  switch (rc) {
  case ATF_ERR_NOT_FOUND: return "missing_thread_file";
  case ATF_ERR_FORMAT:
    return e->offset == 0   ? "bad_magic"
           : e->offset == 4 ? "bad_endian"
                            : "bad_header";
  case ATF_ERR_RANGE: return "bad_header";
  default: return "unreadable_file";
  }
}

static void report_notes(check_ctx *ctx, const atf_v2_note *notes,
                         uint32_t count, uint32_t dropped, const char *path) {
  for (uint32_t i = 0; i < count; i++)
    report(ctx, ATF_SEVERITY_WARNING, notes[i].code, notes[i].offset, "%s",
           notes[i].message);
  if (dropped)
    report(ctx, ATF_SEVERITY_WARNING, "footer_mismatch", ATF_NO_OFFSET,
           "%s: %u more disagreements between header, footer and file", path,
           dropped);
}

/* ---- the manifest ----------------------------------------------------------
 */

static int listed(const atf_v2_manifest *m, uint32_t slot) {
  for (size_t i = 0; i < m->thread_count; i++)
    if (m->threads[i].slot == slot) return 1;
  return 0;
}

static void check_manifest(check_ctx *ctx, const atf_v2_trace *t) {
  const atf_v2_manifest *m = &t->manifest;
  if (!t->has_manifest) {
    report(ctx, ATF_SEVERITY_WARNING, "not_finalized", ATF_NO_OFFSET,
           "%s: missing: the session was not stopped (the tracer crashed or "
           "is still running); no symbol names",
           t->manifest_path);
    return;
  }
  if (t->manifest_status != ATF_OK) {
    report(ctx, ATF_SEVERITY_ERROR, "bad_manifest", t->manifest_error.offset,
           "%s", t->manifest_error.message);
    return;
  }
  {
    atf_finding f[2];
    int n =
        atf_manifest_string_findings(&m->notes, m->json, t->manifest_path, f);
    for (int i = 0; i < n && !ctx->stop; i++)
      if (ctx->fn(ctx->user, &f[i])) ctx->stop = 1;
  }
  for (size_t i = 0; i < t->missing_count; i++)
    report(ctx, ATF_SEVERITY_ERROR, "missing_thread", ATF_NO_OFFSET,
           "%s/thread_%u: missing: manifest.json names thread %u, but there "
           "is no thread_%u directory",
           t->dir, t->missing_slots[i], t->missing_slots[i],
           t->missing_slots[i]);
  for (size_t i = 0; i < t->thread_count; i++)
    if (!listed(m, t->threads[i].slot))
      report(ctx, ATF_SEVERITY_WARNING, "unlisted_thread", ATF_NO_OFFSET,
             "%s: thread %u is on disk but manifest.json does not list it",
             t->threads[i].dir, t->threads[i].slot);
  for (size_t i = 0; i < m->symbol_count; i++) {
    const atf_v2_symbol *s = &m->symbols[i];
    uint64_t expect = (uint64_t)s->module_id << 32 | s->symbol_index;
    if (s->function_id != expect)
      report(ctx, ATF_SEVERITY_WARNING, "symbol_id_mismatch", ATF_NO_OFFSET,
             "%s: symbols[%zu]: function_id 0x%016llx is not module_id %u << "
             "32 | symbol_index %u (0x%016llx)",
             t->manifest_path, i, (ull)s->function_id, s->module_id,
             s->symbol_index, (ull)expect);
    if (!atf_utf8_valid((const uint8_t *)s->name, strlen(s->name)))
      report(ctx, ATF_SEVERITY_WARNING, "invalid_utf8", ATF_NO_OFFSET,
             "%s: symbols[%zu]: the name is not valid UTF-8", t->manifest_path,
             i);
  }
  for (size_t i = 1; i < m->symbol_count; i++) {
    const atf_v2_symbol *a = &m->symbols[m->by_id[i - 1]];
    const atf_v2_symbol *b = &m->symbols[m->by_id[i]];
    if (a->function_id == b->function_id)
      report(ctx, ATF_SEVERITY_WARNING, "duplicate_symbol", ATF_NO_OFFSET,
             "%s: function_id 0x%016llx is listed more than once (\"%s\" "
             "is used)",
             t->manifest_path, (ull)a->function_id,
             m->symbols[m->by_id[i - 1]].name);
  }
  for (size_t i = 0; i < m->module_count; i++)
    if (!atf_utf8_valid((const uint8_t *)m->modules[i].path,
                        strlen(m->modules[i].path)))
      report(ctx, ATF_SEVERITY_WARNING, "invalid_utf8", ATF_NO_OFFSET,
             "%s: modules[%zu]: the path is not valid UTF-8", t->manifest_path,
             i);
}

/* ---- detail.atf ------------------------------------------------------------
 */

/* Fields of a linked pair that must agree. */
static void compare_linked(check_ctx *ctx, const atf_v2_thread *th,
                           const atf_v2_event *ev, const atf_v2_detail *d) {
  const char *what = NULL;
  if (d->timestamp != ev->ts_ns ||
      (d->has_payload && d->p_timestamp != ev->ts_ns))
    what = "timestamp";
  else if (d->has_payload && d->p_function_id != ev->function_id)
    what = "function_id";
  else if (d->has_payload && d->p_event_kind != ev->kind)
    what = "event_kind";
  else if (d->has_payload && d->p_call_depth != ev->call_depth)
    what = "call_depth";
  if (what)
    report(ctx, ATF_SEVERITY_WARNING, "detail_mismatch", d->offset,
           "%s: byte offset %llu: detail record %llu and index record %u "
           "(byte %llu of index.atf) disagree on the %s",
           th->detail_path, (ull)d->offset, (ull)d->seq, ev->seq,
           (ull)ev->offset, what);
}

/* The finalized header and footer against the records walked. */
static void compare_detail_counts(check_ctx *ctx, const atf_v2_thread *th,
                                  uint64_t min_seq, uint64_t max_seq,
                                  uint64_t first_ts, uint64_t last_ts) {
  const atf_v2_detail_header *h = &th->detail.header;
  const atf_v2_detail_footer *f = &th->detail.footer;
  uint64_t n = th->layout.walked;
  if (!th->detail.finalized) return;
  if (h->event_count != n)
    report(ctx, ATF_SEVERITY_WARNING, "footer_mismatch", 28,
           "%s: the header counts %llu records; the file holds %llu",
           th->detail_path, (ull)h->event_count, (ull)n);
  if (n && (h->index_seq_start != min_seq || h->index_seq_end != max_seq))
    report(ctx, ATF_SEVERITY_WARNING, "footer_mismatch", 44,
           "%s: the header's index_seq range is %llu..%llu; the records "
           "link to %llu..%llu",
           th->detail_path, (ull)h->index_seq_start, (ull)h->index_seq_end,
           (ull)min_seq, (ull)max_seq);
  if (f->time_start_ns != first_ts || f->time_end_ns != last_ts)
    report(ctx, ATF_SEVERITY_WARNING, "footer_mismatch",
           th->detail.region_end + 24,
           "%s: the footer's time range is %llu..%llu; the first and last "
           "records say %llu..%llu",
           th->detail_path, (ull)f->time_start_ns, (ull)f->time_end_ns,
           (ull)first_ts, (ull)last_ts);
}

/* Every detail record: its payload, and its link back to the index. */
static atf_status check_details(check_ctx *ctx, atf_v2_thread *th,
                                atf_error *err) {
  uint64_t min_seq = UINT64_MAX, max_seq = 0, first_ts = 0, last_ts = 0;
  uint64_t pos = ATF_V2_HEADER_BYTES;
  atf_scan_window window = {0};
  atf_status rc = atf_v2_detail_walk(th, err);
  if (rc != ATF_OK) return rc;
  /* In file order by total_length: the walk proved every step. */
  for (uint64_t k = 0; k < th->layout.walked && !ctx->stop; k++) {
    atf_v2_detail d;
    atf_v2_event ev;
    if (atf_stopped(ctx->interrupt, k + 1, ctx->err)) {
      ctx->rc = ATF_ERR_INTERRUPTED;
      ctx->stop = 1;
      break;
    }
    if (atf_v2_detail_decode(th->detail_map.data + pos,
                             th->detail.region_end - pos, pos, &d,
                             NULL) != ATF_OK)
      break; /* cannot happen: walked records are whole */
    d.seq = k;
    pos += d.total_length;
    atf_map_scan_window(&th->detail_map, pos, &window);
    ctx->sum->details++;
    if (k == 0) first_ts = d.timestamp;
    last_ts = d.timestamp;
    if (d.index_seq < min_seq) min_seq = d.index_seq;
    if (d.index_seq > max_seq) max_seq = d.index_seq;
    if (d.thread_id != th->slot)
      report(ctx, ATF_SEVERITY_WARNING, "slot_mismatch", d.offset + 12,
             "%s: byte offset %llu: detail record %llu says thread %u, the "
             "directory says slot %u",
             th->detail_path, (ull)(d.offset + 12), (ull)k, d.thread_id,
             th->slot);
    if (!d.has_payload)
      report(ctx, ATF_SEVERITY_ERROR, "short_detail_payload", d.offset,
             "%s: byte offset %llu: detail record %llu has a %u-byte "
             "payload, too short for the registers and the stack (252)",
             th->detail_path, (ull)d.offset, (ull)k, d.payload_len);
    else if (d.stack_damaged)
      report(ctx, ATF_SEVERITY_ERROR, "stack_size_out_of_range",
             d.offset + 24 + 248,
             "%s: byte offset %llu: detail record %llu says stack_size %u; "
             "the window holds %d bytes (the stack is left out)",
             th->detail_path, (ull)(d.offset + 24 + 248), (ull)k, d.stack_size,
             ATF_V2_STACK_MAX);
    /* detail -> index: the index record it names must link to it. */
    if (atf_v2_event_read(th, d.index_seq, &ev, NULL) != ATF_OK) {
      ctx->sum->dangling++;
      report(ctx, ATF_SEVERITY_WARNING, "dangling_detail_link", d.offset,
             "%s: byte offset %llu: detail record %llu points back to index "
             "record %u, which index.atf does not have (%llu records)",
             th->detail_path, (ull)d.offset, (ull)k, d.index_seq,
             (ull)th->index.records);
    } else if (ev.detail_seq != k) {
      ctx->sum->dangling++;
      if (ev.detail_seq == ATF_V2_NO_DETAIL)
        report(ctx, ATF_SEVERITY_WARNING, "dangling_detail_link", d.offset,
               "%s: byte offset %llu: detail record %llu points back to index "
               "record %u, which has no detail link",
               th->detail_path, (ull)d.offset, (ull)k, d.index_seq);
      else
        report(ctx, ATF_SEVERITY_WARNING, "dangling_detail_link", d.offset,
               "%s: byte offset %llu: detail record %llu points back to index "
               "record %u, which links to detail record %u",
               th->detail_path, (ull)d.offset, (ull)k, d.index_seq,
               ev.detail_seq);
    } else {
      compare_linked(ctx, th, &ev, &d);
    }
  }
  if (th->layout.damaged) {
    uint64_t at = th->layout.damage_offset;
    report(ctx, ATF_SEVERITY_ERROR, "bad_detail_length", at,
           "%s: byte offset %llu: total_length %u is less than the 24-byte "
           "record header: the %llu bytes from here on cannot be read",
           th->detail_path, (ull)at, atf_le32(th->detail_map.data + at),
           (ull)(th->detail.region_end - at));
  } else if (th->layout.torn_bytes) {
    uint64_t at = th->layout.walk_end ? th->layout.walk_end : 64;
    ctx->sum->torn_bytes += th->layout.torn_bytes;
    report(ctx, ATF_SEVERITY_WARNING, "torn_tail", at,
           "%s: byte offset %llu: the last detail record is cut short (%llu "
           "bytes unread)",
           th->detail_path, (ull)at, (ull)th->layout.torn_bytes);
  }
  compare_detail_counts(ctx, th, min_seq, max_seq, first_ts, last_ts);
  return ATF_OK;
}

static void check_detail_file(check_ctx *ctx, const atf_v2_trace *t,
                              atf_v2_thread *th, atf_error *err,
                              atf_status *rc) {
  const atf_v2_detail_file *f = &th->detail;
  *rc = ATF_OK;
  if (!th->has_detail) return;
  if (th->detail_status != ATF_OK) {
    ctx->sum->unreadable++;
    report(ctx, ATF_SEVERITY_ERROR,
           unreadable_code(th->detail_status, &th->detail_error),
           th->detail_error.offset, "%s", th->detail_error.message);
    return;
  }
  report_notes(ctx, f->notes, f->note_count, f->notes_dropped, th->detail_path);
  if (!f->header_whole) {
    report(ctx, ATF_SEVERITY_WARNING, "not_finalized", 0,
           "%s: %llu bytes: not even a whole header reached the disk",
           th->detail_path, (ull)th->detail_map.size);
    if (th->detail_map.size) ctx->sum->torn_bytes += th->detail_map.size;
    return;
  }
  if (!f->finalized)
    report(ctx, ATF_SEVERITY_WARNING, "not_finalized", 0,
           "%s: placeholder header, no footer: the session was not stopped; "
           "records are found by walking them",
           th->detail_path);
  if (t->arch && (f->header.arch != t->arch || f->header.os != t->os))
    report(ctx, ATF_SEVERITY_WARNING, "header_mismatch", 6,
           "%s: byte offset 6: arch %u, os %u; the trace's index headers say "
           "arch %u, os %u",
           th->detail_path, f->header.arch, f->header.os, t->arch, t->os);
  *rc = check_details(ctx, th, err);
}

/* ---- index.atf
 * ---------------------------------------------------------------- */

/* index -> detail: record EV's link, against the walked detail records. */
static void check_link(check_ctx *ctx, atf_v2_thread *th,
                       const atf_v2_event *ev) {
  atf_v2_detail d;
  int readable =
      th->has_detail && th->detail_status == ATF_OK && th->detail.header_whole;
  if (ev->detail_seq == ATF_V2_NO_DETAIL) return;
  if (!readable) {
    ctx->sum->dangling++;
    report(ctx, ATF_SEVERITY_WARNING, "dangling_detail_link", ev->offset,
           "%s: byte offset %llu: index record %u links to detail record %u, "
           "but there is no readable detail.atf",
           th->index_path, (ull)ev->offset, ev->seq, ev->detail_seq);
    return;
  }
  if (atf_v2_detail_at(th, ev->detail_seq, &d, NULL) != ATF_OK) {
    ctx->sum->dangling++;
    report(ctx, ATF_SEVERITY_WARNING, "dangling_detail_link", ev->offset,
           "%s: byte offset %llu: index record %u links to detail record %u; "
           "detail.atf has %llu records",
           th->index_path, (ull)ev->offset, ev->seq, ev->detail_seq,
           (ull)th->layout.walked);
  } else if (d.index_seq != ev->seq) {
    ctx->sum->dangling++;
    report(ctx, ATF_SEVERITY_WARNING, "dangling_detail_link", ev->offset,
           "%s: byte offset %llu: index record %u links to detail record %u, "
           "which belongs to index record %u",
           th->index_path, (ull)ev->offset, ev->seq, ev->detail_seq,
           d.index_seq);
  }
}

/* Feeds EV (not the copy with detail of a twin pair: the walker leaves
** those out)
** to the pairing, reporting a return that matches no open call. */
static void pair(check_ctx *ctx, const atf_v2_thread *th,
                 const atf_v2_event *ev) {
  atf_pair_event pe = {.offset = ev->rowid,
                       .thread_id = (int32_t)th->slot,
                       .has_ts = 1,
                       .ts = (int64_t)ev->ts_ns,
                       .has_function_id = 1,
                       .function_id = ev->function_id,
                       .call_depth = ev->call_depth};
  uint64_t orphans = atf_pairing_orphans(ctx->pairing);
  atf_call closed;
  if (ev->kind != ATF_V2_CALL && ev->kind != ATF_V2_RETURN) return;
  pe.kind = ev->kind == ATF_V2_CALL ? ATF_KIND_FUNCTION_CALL
                                    : ATF_KIND_FUNCTION_RETURN;
  if (atf_pairing_feed(ctx->pairing, &pe, ctx->err) != ATF_OK) {
    ctx->rc = ATF_ERR_NOMEM;
    ctx->stop = 1;
    return;
  }
  while (atf_pairing_pop(ctx->pairing, &closed))
    ;
  if (atf_pairing_orphans(ctx->pairing) > orphans)
    report(ctx, ATF_SEVERITY_WARNING, "orphan_return", ev->offset,
           "%s: byte offset %llu: record %u, a return of function "
           "0x%016llx at depth %u, matches no open call (README: Pairing "
           "rules); counted, not made into a call",
           th->index_path, (ull)ev->offset, ev->seq, (ull)ev->function_id,
           ev->call_depth);
}

static void check_records(check_ctx *ctx, atf_v2_thread *th) {
  uint64_t prev_ts = 0;
  atf_v2_check_summary *sum = ctx->sum;
  atf_scan_window window = {0};
  atf_v2_twins tw;
  atf_v2_twins_init(&tw, th);
  for (uint64_t i = 0; i < th->index.records && !ctx->stop; i++) {
    atf_v2_event ev;
    uint32_t twin;
    int is_twin;
    atf_v2_event_read(th, i, &ev, NULL);
    atf_map_scan_window(&th->index_map, ev.offset + 32, &window);
    sum->events++;
    sum->bytes += ATF_V2_INDEX_RECORD_BYTES;
    if (!sum->has_ts || ev.ts_ns < sum->min_ts) sum->min_ts = ev.ts_ns;
    if (!sum->has_ts || ev.ts_ns > sum->max_ts) sum->max_ts = ev.ts_ns;
    sum->has_ts = 1;
    if (ev.thread_id != th->slot)
      report(ctx, ATF_SEVERITY_WARNING, "slot_mismatch", ev.offset + 16,
             "%s: byte offset %llu: record %u says thread %u, the directory "
             "says slot %u",
             th->index_path, (ull)(ev.offset + 16), ev.seq, ev.thread_id,
             th->slot);
    if (!atf_v2_kind_name(ev.kind))
      report(ctx, ATF_SEVERITY_WARNING, "unknown_event_kind", ev.offset + 20,
             "%s: byte offset %llu: record %u has event_kind %u (1 call, 2 "
             "return, 3 exception)",
             th->index_path, (ull)(ev.offset + 20), ev.seq, ev.kind);
    if (i > 0 && ev.ts_ns < prev_ts) {
      sum->backwards++;
      report(ctx, ATF_SEVERITY_WARNING, "ts_backwards", ev.offset,
             "%s: byte offset %llu: record %u's timestamp %llu is %llu ns "
             "before the previous record's",
             th->index_path, (ull)ev.offset, ev.seq, (ull)ev.ts_ns,
             (ull)(prev_ts - ev.ts_ns));
    }
    prev_ts = ev.ts_ns;
    if (atf_stopped(ctx->interrupt, sum->events, ctx->err)) {
      ctx->rc = ATF_ERR_INTERRUPTED;
      ctx->stop = 1;
      return;
    }
    /* The copy with detail is the repeat the call tables leave out. */
    is_twin = ev.detail_seq != ATF_V2_NO_DETAIL &&
              atf_v2_twins_find(&tw, &ev, &twin);
    if (is_twin) {
      sum->twins++;
      report(ctx, ATF_SEVERITY_WARNING, "duplicate_event", ev.offset,
             "%s: byte offset %llu: record %u, with detail, repeats record "
             "%u, without (same function 0x%016llx, kind, depth): an event "
             "recorded twice, kept once with this one's detail",
             th->index_path, (ull)ev.offset, ev.seq, twin,
             (ull)ev.function_id);
    }
    check_link(ctx, th, &ev);
    if (!is_twin) pair(ctx, th, &ev);
  }
}

static atf_status check_thread(check_ctx *ctx, const atf_v2_trace *t,
                               atf_v2_thread *th,
                               atf_error *err) {
  const atf_v2_index_file *f = &th->index;
  atf_status rc;
  if (th->index_status != ATF_OK) {
    ctx->sum->unreadable++;
    report(ctx, ATF_SEVERITY_ERROR,
           unreadable_code(th->index_status, &th->index_error),
           th->index_error.offset, "%s", th->index_error.message);
  } else {
    report_notes(ctx, f->notes, f->note_count, f->notes_dropped,
                 th->index_path);
    if (!f->header_whole)
      report(ctx, ATF_SEVERITY_WARNING, "not_finalized", 0,
             "%s: %llu bytes: not even a whole header reached the disk",
             th->index_path, (ull)th->index_map.size);
    else if (!f->finalized)
      report(ctx, ATF_SEVERITY_WARNING, "not_finalized", 0,
             "%s: placeholder header, no footer: the session was not "
             "stopped; %llu records counted from the file's size",
             th->index_path, (ull)f->records);
    if (f->header_whole && t->arch &&
        (f->header.arch != t->arch || f->header.os != t->os))
      report(ctx, ATF_SEVERITY_WARNING, "header_mismatch", 6,
             "%s: byte offset 6: arch %u, os %u; other threads say arch %u, "
             "os %u",
             th->index_path, f->header.arch, f->header.os, t->arch, t->os);
    if (f->torn_bytes) {
      ctx->sum->torn_bytes += f->torn_bytes;
      report(ctx, ATF_SEVERITY_WARNING, "torn_tail",
             f->header_whole ? f->records_end : 0,
             "%s: byte offset %llu: %llu bytes of a record cut short: rows "
             "stop before it",
             th->index_path, (ull)(f->header_whole ? f->records_end : 0),
             (ull)f->torn_bytes);
    }
  }
  /* The detail walk first, so that index links are checked against it. */
  check_detail_file(ctx, t, th, err, &rc);
  if (rc != ATF_OK) return rc;
  if (th->index_status == ATF_OK) check_records(ctx, th);
  return ATF_OK;
}

/* First and last timestamps in merge order. */
static atf_status merge_ends(const atf_v2_trace *t, check_ctx *ctx,
                             atf_error *err) {
  atf_v2_merge m;
  atf_v2_event ev;
  uint64_t n = 0;
  atf_status rc = atf_v2_merge_init(&m, t, NULL, 0, err);
  if (rc != ATF_OK) return rc;
  while (atf_v2_merge_next(&m, &ev) == ATF_OK) {
    if (atf_stopped(ctx->interrupt, n + 1, err)) {
      rc = ATF_ERR_INTERRUPTED;
      break;
    }
    if (n++ == 0) ctx->sum->first_ts = ev.ts_ns;
    ctx->sum->last_ts = ev.ts_ns;
  }
  atf_v2_merge_free(&m);
  return rc;
}

atf_status atf_v2_check_trace(const char *dir, atf_finding_fn fn, void *user,
                              const atf_interrupt *stop,
                              atf_v2_check_summary *sum, atf_error *err) {
  check_ctx ctx = {fn, user, 0, sum, stop, NULL, ATF_OK, err};
  atf_v2_trace t;
  atf_status rc;
  memset(sum, 0, sizeof *sum);
  rc = atf_v2_open(dir, ATF_V2_OPEN_LENIENT, &t, err);
  if (rc != ATF_OK) return rc;
  ctx.pairing = atf_pairing_new();
  if (!ctx.pairing) {
    atf_pairing_free(ctx.pairing);
    atf_v2_close(&t);
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  }
  sum->threads = t.thread_count;
  check_manifest(&ctx, &t);
  for (size_t i = 0; i < t.thread_count && !ctx.stop && rc == ATF_OK; i++)
    rc = check_thread(&ctx, &t, &t.threads[i], err);
  if (rc == ATF_OK) rc = ctx.rc;
  if (rc == ATF_OK) rc = merge_ends(&t, &ctx, err);
  sum->orphans = atf_pairing_orphans(ctx.pairing);
  atf_pairing_free(ctx.pairing);
  atf_v2_close(&t);
  return rc;
}
