/*
** check.c - reading a whole trace to say whether it is whole: every record
** framed and decoded to the last field, every string checked for UTF-8,
** the manifest compared with the file. Each problem is a finding; nothing
** stops the walk but framing damage, after which no record can be found.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct check_ctx {
  atf_finding_fn fn;
  void *user;
  int stop; /* the callback asked to stop */
  atf_register *regs;
  uint32_t *scratch;
  uint32_t cap;
  atf_pairing *pairing; /* to tell orphan returns */
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

static void check_text(check_ctx *ctx, const atf_record *rec, const char *what,
                       atf_bytes text) {
  if (!atf_utf8_valid(text.ptr, text.len))
    report(ctx, ATF_SEVERITY_WARNING, "invalid_utf8", rec->offset,
           "%s: record at byte offset %llu: %s is not valid UTF-8 (%zu "
           "bytes; atf_events returns it as a BLOB)",
           rec->source, (unsigned long long)rec->offset, what, text.len);
}

/* Collects EV's distinct registers into ctx->regs, with room for 64 at
** first and for all entries only when there are more distinct names: a
** record of many entries with few names costs little memory. */
static atf_status collect_registers(check_ctx *ctx, const atf_event *ev,
                                    uint32_t entries, uint32_t *n,
                                    atf_error *err) {
  uint32_t cap = ctx->cap > 64 ? ctx->cap : 64;
  if (cap > entries) cap = entries;
  for (;;) {
    atf_status rc;
    if (cap > ctx->cap) {
      atf_register *regs = realloc(ctx->regs, cap * sizeof *regs);
      if (regs) ctx->regs = regs;
      uint32_t *scratch =
          realloc(ctx->scratch, 2 * (size_t)cap * sizeof *scratch);
      if (scratch) ctx->scratch = scratch;
      if (!regs || !scratch)
        return atf_fail(err, ATF_ERR_NOMEM, ev->record.offset, "out of memory");
      ctx->cap = cap;
    }
    rc = atf_registers_collect(ev, ctx->regs, cap, ctx->scratch, n, err);
    if (rc != ATF_ERR_RANGE || cap == entries) return rc;
    cap = entries;
  }
}

/* Decodes all of REC; reports what is wrong. Returns 1 when it is sound, 0
** when corrupt, -1 when memory ran out (ERR says so). */
static int check_record(check_ctx *ctx, const atf_record *rec,
                        atf_check_summary *sum, atf_error *out_err) {
  atf_event ev;
  atf_payload pl;
  atf_payload_iter it;
  atf_bytes arg;
  atf_error err;
  uint32_t n;
  atf_status rc = atf_event_decode(rec, &ev, &err);
  if (rc == ATF_OK) rc = atf_payload_decode(&ev, &pl, &err);
  if (rc == ATF_OK)
    rc = collect_registers(ctx, &ev, pl.register_count, &n, &err);
  if (rc == ATF_ERR_NOMEM) {
    *out_err = err;
    return -1;
  }
  if (rc != ATF_OK) {
    report(ctx, ATF_SEVERITY_ERROR, "corrupt_record", rec->offset, "%s",
           err.message);
    return 0;
  }
  if (ev.has_timestamp) {
    if (!sum->has_ts) sum->first_ts = sum->min_ts = sum->max_ts = ev.ts_ns;
    sum->has_ts = 1;
    sum->last_ts = ev.ts_ns;
    if (ev.ts_ns < sum->min_ts) sum->min_ts = ev.ts_ns;
    if (ev.ts_ns > sum->max_ts) sum->max_ts = ev.ts_ns;
  }
  if (ev.kind == ATF_KIND_FUNCTION_CALL ||
      ev.kind == ATF_KIND_FUNCTION_RETURN) {
    atf_pair_event pe = {.offset = rec->offset,
                         .thread_id = ev.thread_id,
                         .kind = ev.kind,
                         .has_ts = ev.has_timestamp,
                         .ts = ev.ts_ns,
                         .symbol = pl.symbol,
                         .address = pl.address};
    uint64_t orphans = atf_pairing_orphans(ctx->pairing);
    if (atf_pairing_feed(ctx->pairing, &pe, out_err) != ATF_OK) return -1;
    atf_call closed;
    while (atf_pairing_pop(ctx->pairing, &closed))
      ;
    if (atf_pairing_orphans(ctx->pairing) > orphans)
      report(ctx, ATF_SEVERITY_WARNING, "orphan_return", rec->offset,
             "%s: record at byte offset %llu: a function_return of thread "
             "%d that matches no open call (README: Pairing rules); counted, "
             "not made into a call",
             rec->source, (unsigned long long)rec->offset, (int)ev.thread_id);
  }
  check_text(ctx, rec, "symbol", pl.symbol);
  check_text(ctx, rec, "signal_name", pl.signal_name);
  check_text(ctx, rec, "executable_path", pl.executable_path);
  check_text(ctx, rec, "operating_system", pl.operating_system);
  check_text(ctx, rec, "cpu_architecture", pl.cpu_architecture);
  for (uint32_t i = 0; i < n; i++)
    check_text(ctx, rec, "a register name", ctx->regs[i].name);
  atf_payload_iter_init(&ev, &it);
  while (atf_args_next(&it, &arg) == ATF_OK)
    check_text(ctx, rec, "an arg", arg);
  return 1;
}

int atf_manifest_string_findings(const atf_json_notes *n, const char *json,
                                 const char *path, atf_finding out[2]) {
  int k = 0;
  if (n->control_strings) {
    unsigned byte = (unsigned char)json[n->first_control];
    out[k] = (atf_finding){ATF_SEVERITY_WARNING, "manifest_control_character",
                           n->first_control, ""};
    snprintf(out[k++].message, sizeof out->message,
             "%s: byte offset %llu: raw control character 0x%02x inside a "
             "string, which JSON requires escaped (\\u%04x); kept as written "
             "(%llu string%s hold%s such characters)",
             path, (unsigned long long)n->first_control, byte, byte,
             (unsigned long long)n->control_strings,
             n->control_strings == 1 ? "" : "s",
             n->control_strings == 1 ? "s" : "");
  }
  if (n->invalid_utf8_strings) {
    out[k] = (atf_finding){ATF_SEVERITY_WARNING, "manifest_invalid_utf8",
                           n->first_invalid_utf8, ""};
    snprintf(out[k++].message, sizeof out->message,
             "%s: byte offset %llu: a string that is not valid UTF-8 (byte "
             "0x%02x); kept as written, atf_manifest returns a value holding "
             "it as a BLOB (%llu string%s not UTF-8)",
             path, (unsigned long long)n->first_invalid_utf8,
             (unsigned)(unsigned char)json[n->first_invalid_utf8],
             (unsigned long long)n->invalid_utf8_strings,
             n->invalid_utf8_strings == 1 ? " is" : "s are");
  }
  return k;
}

/* What the manifest's strings hold that JSON forbids or SQL cannot take as
** TEXT: tolerated by atf_manifest_parse, told here. */
static void check_manifest_strings(check_ctx *ctx, const char *path,
                                   const atf_manifest *m) {
  atf_finding f[2];
  int n = atf_manifest_string_findings(&m->notes, m->json, path, f);
  for (int i = 0; i < n && !ctx->stop; i++)
    if (ctx->fn(ctx->user, &f[i])) ctx->stop = 1;
}

static void check_manifest(check_ctx *ctx, const atf_trace_paths *paths,
                           const atf_map *map, const atf_check_summary *sum) {
  atf_manifest m;
  atf_error err;
  atf_status rc = atf_manifest_load(paths->manifest_path, &m, &err);
  if (rc == ATF_ERR_NOT_FOUND) {
    report(ctx, ATF_SEVERITY_WARNING, "not_finalized", ATF_NO_OFFSET,
           "%s: no trace.json: the trace was not finalized (the tracer "
           "crashed or is still running)",
           paths->manifest_path);
    return;
  }
  if (rc != ATF_OK) {
    /* The offset column is for events.bin: the message says where in the
    ** JSON. */
    report(ctx, ATF_SEVERITY_ERROR, "bad_manifest", ATF_NO_OFFSET, "%s",
           err.message);
    return;
  }
  check_manifest_strings(ctx, paths->manifest_path, &m);
  if (m.event_count != sum->events)
    report(ctx, ATF_SEVERITY_WARNING, "event_count_mismatch", ATF_NO_OFFSET,
           "%s: eventCount is %llu, events.bin holds %llu events",
           paths->manifest_path, (unsigned long long)m.event_count,
           (unsigned long long)sum->events);
  if (m.bytes_written.present && m.bytes_written.value != map->size)
    report(ctx, ATF_SEVERITY_WARNING, "bytes_written_mismatch", ATF_NO_OFFSET,
           "%s: bytesWritten is %llu, events.bin has %llu bytes",
           paths->manifest_path, (unsigned long long)m.bytes_written.value,
           (unsigned long long)map->size);
  atf_manifest_free(&m);
}

atf_status atf_check_trace(const char *trace, atf_finding_fn fn, void *user,
                           const atf_interrupt *stop, atf_check_summary *sum,
                           atf_error *err) {
  check_ctx ctx = {fn, user, 0, NULL, NULL, 0, NULL};
  atf_trace_paths paths;
  atf_map map;
  atf_iter it;
  atf_record rec;
  atf_scan_window window = {0};
  atf_status rc;
  memset(sum, 0, sizeof *sum);
  rc = atf_trace_paths_resolve(trace, &paths, err);
  if (rc != ATF_OK) return rc;
  rc = atf_map_open(paths.events_path, &map, err);
  if (rc != ATF_OK) {
    atf_trace_paths_free(&paths);
    return rc;
  }
  if (!(ctx.pairing = atf_pairing_new())) {
    rc = atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
    goto done;
  }
  atf_iter_init(&it, &map);
  while (!ctx.stop && (rc = atf_iter_next(&it, &rec, err)) == ATF_OK) {
    int sound = check_record(&ctx, &rec, sum, err);
    atf_map_scan_window(&map, it.pos, &window); /* bounded resident memory */
    if (sound < 0) goto done;                   /* out of memory: ERR says so */
    sum->events++;
    sum->bytes += rec.size;
    if (!sound) sum->corrupt++;
    if (atf_stopped(stop, sum->events, err)) {
      rc = ATF_ERR_INTERRUPTED;
      goto done;
    }
  }
  if (rc == ATF_END && it.torn_bytes) {
    sum->torn_bytes = it.torn_bytes;
    report(&ctx, ATF_SEVERITY_WARNING, "torn_tail", atf_iter_position(&it),
           "%s: byte offset %llu: the last record is cut short (%llu bytes "
           "unread): a crash while writing; rows stop before it",
           map.path, (unsigned long long)atf_iter_position(&it),
           (unsigned long long)it.torn_bytes);
  } else if (rc != ATF_END && rc != ATF_OK) {
    sum->unread_bytes = atf_iter_remaining(&it);
    report(&ctx, ATF_SEVERITY_ERROR, "bad_length_prefix",
           atf_iter_position(&it),
           "%s (%llu bytes from there on cannot be framed)", err->message,
           (unsigned long long)sum->unread_bytes);
  }
  if (!ctx.stop) check_manifest(&ctx, &paths, &map, sum);
  rc = ATF_OK;
done:
  atf_pairing_free(ctx.pairing);
  free(ctx.regs);
  free(ctx.scratch);
  atf_map_close(&map);
  atf_trace_paths_free(&paths);
  return rc;
}
