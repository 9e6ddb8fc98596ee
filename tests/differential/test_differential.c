/*
** test_differential.c - the reader's hand-written decoder (reader/) against
** protobuf-c's generated event__unpack, field by field, on every record of
** generated traces and of the fixture written by the real tracer.
**
** Two independent decoders agreeing on tens of thousands of records is the
** evidence that the in-place decoder follows the wire format. The first
** disagreement is printed with the file, the record's ordinal and byte offset
** and the field, and fails the case. A self-check mutates protobuf-c's side
** to show that each field comparison can fail.
*/
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "atf_gen.h"
#include "atf_reader.h"
#include "check.h"

/* ---- comparing one record ----------------------------------------------- */

/* Where a comparison is, for the message that names the first mismatch. */
typedef struct diff_where {
  const char *source;
  uint64_t ordinal;
  uint64_t offset;
  int quiet; /* the self-check expects mismatches: do not print them */
} diff_where;

/* Reports that FIELD differs; returns FIELD for the caller to pass up. */
static const char *mismatch(const diff_where *w, const char *field,
                            const char *fmt, ...) {
  if (!w->quiet) {
    va_list ap;
    fprintf(stderr, "MISMATCH %s: record #%llu at byte offset %llu: field %s: ",
            w->source, (unsigned long long)w->ordinal,
            (unsigned long long)w->offset, field);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
  }
  return field;
}

/* protobuf-c leaves an absent string "" (or NULL in some paths): both are
** the default, the empty string. */
static const char *text_or_empty(const char *s) { return s ? s : ""; }

static int same_text(atf_bytes b, const char *s) {
  size_t n;
  s = text_or_empty(s);
  n = strlen(s);
  return b.len == n && (n == 0 || memcmp(b.ptr, s, n) == 0);
}

static const char *text_field(const diff_where *w, const char *field,
                              atf_bytes actual, const char *expected) {
  if (same_text(actual, expected)) return NULL;
  return mismatch(w, field, "decoder \"%.*s\" (%zu bytes), protobuf-c \"%s\"",
                  (int)actual.len, (const char *)actual.ptr, actual.len,
                  text_or_empty(expected));
}

static const char *u64_field(const diff_where *w, const char *field,
                             uint64_t actual, uint64_t expected) {
  if (actual == expected) return NULL;
  return mismatch(w, field, "decoder %llu (0x%llx), protobuf-c %llu (0x%llx)",
                  (unsigned long long)actual, (unsigned long long)actual,
                  (unsigned long long)expected, (unsigned long long)expected);
}

static const char *i64_field(const diff_where *w, const char *field,
                             int64_t actual, int64_t expected) {
  if (actual == expected) return NULL;
  return mismatch(w, field, "decoder %lld, protobuf-c %lld", (long long)actual,
                  (long long)expected);
}

/* protobuf-c's map entries of the payload, whatever the kind: the three
** generated entry structs share the layout {base, key, value}. */
typedef struct pb_registers {
  size_t n;
  const char *key[64];
  uint64_t value[64];
} pb_registers;

#define COPY_ENTRIES(out, count, entries)                                      \
  do {                                                                         \
    (out)->n = (count);                                                        \
    for (size_t i_ = 0; i_ < (count) && i_ < 64; i_++) {                       \
      (out)->key[i_] = text_or_empty((entries)[i_]->key);                      \
      (out)->value[i_] = (entries)[i_]->value;                                 \
    }                                                                          \
  } while (0)

static void pb_registers_of(const Event *pb, pb_registers *out) {
  out->n = 0;
  switch (pb->payload_case) {
  case EVENT__PAYLOAD_FUNCTION_CALL:
    COPY_ENTRIES(out, pb->function_call->n_argument_registers,
                 pb->function_call->argument_registers);
    break;
  case EVENT__PAYLOAD_FUNCTION_RETURN:
    COPY_ENTRIES(out, pb->function_return->n_return_registers,
                 pb->function_return->return_registers);
    break;
  case EVENT__PAYLOAD_SIGNAL_DELIVERY:
    COPY_ENTRIES(out, pb->signal_delivery->n_registers,
                 pb->signal_delivery->registers);
    break;
  default: break;
  }
}

/* Registers: the raw entries in order (duplicates included, as protobuf-c
** keeps them), then the collected map (first place, last value). */
static const char *compare_registers(const diff_where *w, const atf_event *ev,
                                     const atf_payload *pl, const Event *pb) {
  pb_registers want;
  atf_payload_iter it;
  atf_register reg, got[64];
  uint32_t scratch[128], count = 0;
  atf_error err;
  size_t i = 0;
  const char *bad;
  pb_registers_of(pb, &want);
  if (want.n > 64) return mismatch(w, "registers", "more than 64 in the test");
  if ((bad = u64_field(w, "registers", pl->register_count, want.n))) return bad;
  atf_payload_iter_init(ev, &it);
  while (atf_registers_next(&it, &reg) == ATF_OK) {
    if (i >= want.n)
      return mismatch(w, "registers", "decoder has more than %zu entries",
                      want.n);
    if (!same_text(reg.name, want.key[i]) || reg.value != want.value[i])
      return mismatch(w, "registers",
                      "entry %zu: decoder \"%.*s\" = 0x%llx, protobuf-c \"%s\" "
                      "= 0x%llx",
                      i, (int)reg.name.len, (const char *)reg.name.ptr,
                      (unsigned long long)reg.value, want.key[i],
                      (unsigned long long)want.value[i]);
    i++;
  }
  if (i != want.n)
    return mismatch(w, "registers", "decoder walks %zu entries, protobuf-c %zu",
                    i, want.n);

  /* What the map means: a repeated key keeps its first place, last value. */
  pb_registers map = {0};
  for (size_t k = 0; k < want.n; k++) {
    size_t j = 0;
    while (j < map.n && strcmp(map.key[j], want.key[k]) != 0)
      j++;
    if (j == map.n) map.key[map.n++] = want.key[k];
    map.value[j] = want.value[k];
  }
  if (atf_registers_collect(ev, got, 64, scratch, &count, &err) != ATF_OK)
    return mismatch(w, "registers", "atf_registers_collect: %s", err.message);
  if (count != map.n)
    return mismatch(w, "registers", "collected %u, protobuf-c map has %zu",
                    count, map.n);
  for (size_t k = 0; k < map.n; k++)
    if (!same_text(got[k].name, map.key[k]) || got[k].value != map.value[k])
      return mismatch(w, "registers",
                      "collected %zu: decoder \"%.*s\" = 0x%llx, protobuf-c "
                      "\"%s\" = 0x%llx",
                      k, (int)got[k].name.len, (const char *)got[k].name.ptr,
                      (unsigned long long)got[k].value, map.key[k],
                      (unsigned long long)map.value[k]);
  return NULL;
}

static const char *compare_args(const diff_where *w, const atf_event *ev,
                                const atf_payload *pl, const TraceStart *s) {
  atf_payload_iter it;
  atf_bytes arg;
  size_t i = 0;
  const char *bad;
  if ((bad = u64_field(w, "args", pl->arg_count, s->n_args))) return bad;
  atf_payload_iter_init(ev, &it);
  while (atf_args_next(&it, &arg) == ATF_OK) {
    if (i >= s->n_args)
      return mismatch(w, "args", "decoder has more than %zu", s->n_args);
    if (!same_text(arg, s->args[i]))
      return mismatch(w, "args", "arg %zu: decoder \"%.*s\", protobuf-c \"%s\"",
                      i, (int)arg.len, (const char *)arg.ptr,
                      text_or_empty(s->args[i]));
    i++;
  }
  if (i != s->n_args)
    return mismatch(w, "args", "decoder walks %zu, protobuf-c has %zu", i,
                    s->n_args);
  return NULL;
}

/* Payload fields of another kind must stay zero/empty (atf_payload's
** contract): KEEP names the ones this kind owns. */
enum {
  OWN_SYMBOL = 1,
  OWN_ADDRESS = 2,
  OWN_STACK = 4,
  OWN_SIGNAL = 8,
  OWN_EXIT = 16,
  OWN_START = 32,
  OWN_REGISTERS = 64
};

static const char *compare_foreign_empty(const diff_where *w,
                                         const atf_payload *pl, int keep) {
  if (!(keep & OWN_SYMBOL) && pl->symbol.len)
    return mismatch(w, "symbol", "set on another kind");
  if (!(keep & OWN_ADDRESS) && pl->address)
    return mismatch(w, "address", "set on another kind");
  if (!(keep & OWN_STACK) && pl->stack.len)
    return mismatch(w, "stack", "set on another kind");
  if (!(keep & OWN_SIGNAL) && (pl->signal_number || pl->signal_name.len))
    return mismatch(w, "signal_number", "set on another kind");
  if (!(keep & OWN_EXIT) && pl->exit_code)
    return mismatch(w, "exit_code", "set on another kind");
  if (!(keep & OWN_START) &&
      (pl->executable_path.len || pl->operating_system.len ||
       pl->cpu_architecture.len || pl->arg_count))
    return mismatch(w, "executable_path", "set on another kind");
  if (!(keep & OWN_REGISTERS) && pl->register_count)
    return mismatch(w, "registers", "set on another kind");
  return NULL;
}

/* Decodes REC with the reader and compares it with PB, protobuf-c's unpack
** of the same bytes. Returns NULL when they agree, else the first field that
** differs (after printing it unless W->quiet). */
static const char *compare_record(const diff_where *w, const atf_record *rec,
                                  const Event *pb) {
  atf_event ev;
  atf_payload pl;
  atf_error err;
  const char *bad;
  if (atf_event_decode(rec, &ev, &err) != ATF_OK)
    return mismatch(w, "event", "decoder fails: %s", err.message);
  if ((bad = u64_field(w, "event_id", ev.event_id, pb->event_id))) return bad;
  if ((bad = i64_field(w, "thread_id", ev.thread_id, pb->thread_id)))
    return bad;
  if ((bad = u64_field(w, "timestamp", ev.has_timestamp != 0,
                       pb->timestamp != NULL)))
    return bad;
  if (pb->timestamp && (bad = i64_field(w, "timestamp", ev.ts_ns,
                                        pb->timestamp->seconds * 1000000000ll +
                                            pb->timestamp->nanos)))
    return bad;
  if ((bad =
           u64_field(w, "kind", (uint64_t)ev.kind, (uint64_t)pb->payload_case)))
    return bad;
  if (atf_payload_decode(&ev, &pl, &err) != ATF_OK)
    return mismatch(w, "payload", "decoder fails: %s", err.message);

  switch (pb->payload_case) {
  case EVENT__PAYLOAD_TRACE_START: {
    const TraceStart *s = pb->trace_start;
    if ((bad = text_field(w, "executable_path", pl.executable_path,
                          s->executable_path)))
      return bad;
    if ((bad = compare_args(w, &ev, &pl, s))) return bad;
    if ((bad = text_field(w, "operating_system", pl.operating_system,
                          s->operating_system)))
      return bad;
    if ((bad = text_field(w, "cpu_architecture", pl.cpu_architecture,
                          s->cpu_architecture)))
      return bad;
    return compare_foreign_empty(w, &pl, OWN_START);
  }
  case EVENT__PAYLOAD_TRACE_END:
    if ((bad =
             i64_field(w, "exit_code", pl.exit_code, pb->trace_end->exit_code)))
      return bad;
    return compare_foreign_empty(w, &pl, OWN_EXIT);
  case EVENT__PAYLOAD_FUNCTION_CALL: {
    const FunctionCall *c = pb->function_call;
    if ((bad = text_field(w, "symbol", pl.symbol, c->symbol))) return bad;
    if ((bad = u64_field(w, "address", pl.address, c->address))) return bad;
    if (pl.stack.len != c->stack_shallow_copy.len ||
        (pl.stack.len &&
         memcmp(pl.stack.ptr, c->stack_shallow_copy.data, pl.stack.len) != 0))
      return mismatch(
          w, "stack", "decoder %zu bytes, protobuf-c %zu bytes%s", pl.stack.len,
          c->stack_shallow_copy.len,
          pl.stack.len == c->stack_shallow_copy.len ? ", contents differ" : "");
    if ((bad = compare_registers(w, &ev, &pl, pb))) return bad;
    return compare_foreign_empty(
        w, &pl, OWN_SYMBOL | OWN_ADDRESS | OWN_STACK | OWN_REGISTERS);
  }
  case EVENT__PAYLOAD_FUNCTION_RETURN: {
    const FunctionReturn *r = pb->function_return;
    if ((bad = text_field(w, "symbol", pl.symbol, r->symbol))) return bad;
    if ((bad = u64_field(w, "address", pl.address, r->address))) return bad;
    if ((bad = compare_registers(w, &ev, &pl, pb))) return bad;
    return compare_foreign_empty(w, &pl,
                                 OWN_SYMBOL | OWN_ADDRESS | OWN_REGISTERS);
  }
  case EVENT__PAYLOAD_SIGNAL_DELIVERY: {
    const SignalDelivery *s = pb->signal_delivery;
    if ((bad = i64_field(w, "signal_number", pl.signal_number, s->number)))
      return bad;
    if ((bad = text_field(w, "signal_name", pl.signal_name, s->name)))
      return bad;
    if ((bad = compare_registers(w, &ev, &pl, pb))) return bad;
    return compare_foreign_empty(w, &pl, OWN_SIGNAL | OWN_REGISTERS);
  }
  default: return compare_foreign_empty(w, &pl, 0);
  }
}

/* ---- comparing whole traces --------------------------------------------- */

typedef struct diff_result {
  uint64_t records;    /* whole records the reader's iterator returned */
  uint64_t mismatches; /* records that differ (only the first is printed) */
  uint64_t torn_bytes; /* the iterator's report at the end */
  int iter_failed;     /* the iterator returned an error */
} diff_result;

/* Walks every record of PATH with the reader's iterator, unpacks each with
** protobuf-c and compares. OFFSETS (N of them, or NULL) are where the
** generator says records start. CORRUPT (or -1) is a record both decoders
** must reject. */
static diff_result diff_trace(const char *path, const uint64_t *offsets,
                              uint64_t n, int64_t corrupt) {
  diff_result res = {0};
  atf_map map;
  atf_iter it;
  atf_record rec;
  atf_error err;
  atf_status rc;
  if (atf_map_open(path, &map, &err) != ATF_OK) {
    fprintf(stderr, "%s\n", err.message);
    res.iter_failed = 1;
    return res;
  }
  atf_iter_init(&it, &map);
  while ((rc = atf_iter_next(&it, &rec, &err)) == ATF_OK) {
    diff_where w = {path, res.records, rec.offset, res.mismatches > 0};
    Event *pb = event__unpack(NULL, (size_t)rec.body_len, rec.body);
    const char *bad = NULL;
    if (offsets && (res.records >= n || offsets[res.records] != rec.offset)) {
      bad = mismatch(&w, "offset", "generator wrote record #%llu at %llu",
                     (unsigned long long)res.records,
                     res.records < n ? (unsigned long long)offsets[res.records]
                                     : 0ull);
    } else if ((int64_t)res.records == corrupt) {
      atf_event ev;
      atf_status drc = atf_event_decode(&rec, &ev, &err);
      if (pb)
        bad = mismatch(&w, "event", "protobuf-c accepts a corrupt record");
      else if (drc != ATF_ERR_PROTOBUF)
        bad = mismatch(&w, "event",
                       "decoder returns %s for a corrupt record, expected %s",
                       atf_status_name(drc), atf_status_name(ATF_ERR_PROTOBUF));
      else if (err.offset != rec.offset || !strstr(err.message, path))
        bad = mismatch(&w, "event",
                       "error offset %llu / message \"%s\" should name %s at "
                       "%llu",
                       (unsigned long long)err.offset, err.message, path,
                       (unsigned long long)rec.offset);
    } else if (!pb) {
      bad = mismatch(&w, "event", "protobuf-c cannot unpack the record");
    } else {
      bad = compare_record(&w, &rec, pb);
    }
    if (bad) res.mismatches++;
    if (pb) event__free_unpacked(pb, NULL);
    res.records++;
  }
  if (rc != ATF_END) {
    fprintf(stderr, "%s: iterator: %s\n", path, err.message);
    res.iter_failed = 1;
  }
  res.torn_bytes = it.torn_bytes;
  atf_map_close(&map);
  return res;
}

static char *out_dir(const char *name) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s", DIFF_TEST_DIR, name);
  return path;
}

static char *events_of(const char *dir) {
  static char path[1100];
  snprintf(path, sizeof path, "%s/events.bin", dir);
  return path;
}

/* The unsigned integer after "KEY": in trace.json text, or UINT64_MAX. */
static uint64_t json_u64(const char *json, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\": ", key);
  const char *at = strstr(json, pattern);
  return at ? strtoull(at + strlen(pattern), NULL, 10) : UINT64_MAX;
}

/* ---- cases -------------------------------------------------------------- */

static void
differential__generated_traces__then_decoder_matches_protobuf_c(void) {
  static const struct {
    uint64_t seed, events;
    uint32_t threads;
    int with_signal;
  } traces[] = {
      {1, 1000, 4, 1},
      {2, 8000, 1, 1},
      {3, 6000, 8, 0},
      {4, 5001, 16, 1},
      {0xdeadbeefcafef00dull, 3000, 3, 0},
      {6, 2, 1, 0},
      {7, 3, 2, 1},
  };
  uint64_t total = 0;
  for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++) {
    atf_gen_options o;
    uint64_t *offsets = NULL, n = 0;
    char name[64];
    atf_gen_options_default(&o);
    o.seed = traces[i].seed;
    o.events = traces[i].events;
    o.threads = traces[i].threads;
    o.with_signal = traces[i].with_signal;
    snprintf(name, sizeof name, "generated_%zu", i);
    CHECK(atf_gen_write(out_dir(name), &o, &offsets, &n) == 0);
    diff_result r = diff_trace(events_of(out_dir(name)), offsets, n, -1);
    CHECK_U64(r.mismatches, 0);
    CHECK(!r.iter_failed);
    CHECK_U64(r.records, o.events);
    CHECK_U64(r.records, n);
    CHECK_U64(r.torn_bytes, 0);
    total += r.records;
    free(offsets);
  }
  CHECK(total >= 20000);
}

static void differential__fixture__then_decoder_matches_protobuf_c(void) {
  char path[1100];
  snprintf(path, sizeof path, "%s/trace.json", ATF_FIXTURE_DIR);
  FILE *f = fopen(path, "r");
  char json[4096] = {0};
  CHECK(f != NULL);
  if (!f) return;
  CHECK(fread(json, 1, sizeof json - 1, f) > 0);
  fclose(f);
  diff_result r = diff_trace(events_of(ATF_FIXTURE_DIR), NULL, 0, -1);
  CHECK_U64(r.mismatches, 0);
  CHECK(!r.iter_failed);
  CHECK_U64(r.records, json_u64(json, "eventCount"));
  CHECK_U64(r.torn_bytes, 0);
}

static void differential__torn_trace__then_whole_records_match(void) {
  atf_gen_options o;
  uint64_t *offsets = NULL, n = 0;
  atf_gen_options_default(&o);
  o.seed = 31;
  o.events = 2000;
  o.without_manifest = 1;
  CHECK(atf_gen_write(out_dir("torn_full"), &o, &offsets, &n) == 0);
  if (!offsets || n != o.events) return;
  /* Torn inside the body, and inside a multi-byte length prefix. */
  diff_result full =
      diff_trace(events_of(out_dir("torn_full")), offsets, n, -1);
  uint64_t last_size = 0;
  {
    atf_map m;
    atf_error err;
    if (atf_map_open(events_of(out_dir("torn_full")), &m, &err) == ATF_OK) {
      last_size = m.size - offsets[n - 1];
      atf_map_close(&m);
    }
  }
  CHECK_U64(full.mismatches, 0);
  CHECK(last_size > 2);
  const uint64_t tears[] = {1, last_size / 2, last_size - 1};
  for (size_t k = 0; k < 3 && last_size > 2; k++) {
    uint64_t *torn_offsets = NULL, torn_n = 0;
    o.tear_bytes = tears[k];
    CHECK(atf_gen_write(out_dir("torn"), &o, &torn_offsets, &torn_n) == 0);
    diff_result r =
        diff_trace(events_of(out_dir("torn")), torn_offsets, torn_n, -1);
    CHECK_U64(r.mismatches, 0);
    CHECK(!r.iter_failed);
    CHECK_U64(r.records, n - 1);
    CHECK_U64(r.torn_bytes, last_size - tears[k]);
    free(torn_offsets);
  }
  free(offsets);
}

static void differential__corrupt_record__then_both_reject_it(void) {
  const int64_t bad[] = {0, 500, 999};
  for (size_t k = 0; k < 3; k++) {
    atf_gen_options o;
    uint64_t *offsets = NULL, n = 0;
    atf_gen_options_default(&o);
    o.seed = 37;
    o.corrupt_record = bad[k];
    CHECK(atf_gen_write(out_dir("corrupt"), &o, &offsets, &n) == 0);
    diff_result r =
        diff_trace(events_of(out_dir("corrupt")), offsets, n, bad[k]);
    CHECK_U64(r.mismatches, 0);
    CHECK(!r.iter_failed);
    CHECK_U64(r.records, n);
    free(offsets);
  }
}

/* ---- hand-made wire variants -------------------------------------------- */

/* A tiny protobuf encoder for records protobuf-c's packer never writes but a
** valid encoder may (FORMAT.md section 3). */
typedef struct wire {
  uint8_t d[2048];
  size_t n;
} wire;

enum { VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5 };

static void w_raw(wire *w, const void *p, size_t n) {
  if (w->n + n > sizeof w->d) abort(); /* a test bug, not a finding */
  memcpy(w->d + w->n, p, n);
  w->n += n;
}
static void w_varint(wire *w, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[n++] = (uint8_t)v;
  w_raw(w, b, n);
}
static void w_tag(wire *w, uint32_t field, int type) {
  w_varint(w, (uint64_t)field << 3 | (uint64_t)type);
}
static void w_u64(wire *w, uint32_t field, uint64_t v) {
  w_tag(w, field, VARINT);
  w_varint(w, v);
}
/* int32 as protobuf writes it: negative values sign-extended to 10 bytes. */
static void w_i32(wire *w, uint32_t field, int32_t v) {
  w_u64(w, field, (uint64_t)(int64_t)v);
}
static void w_bytes(wire *w, uint32_t field, const void *p, size_t n) {
  w_tag(w, field, LEN);
  w_varint(w, n);
  w_raw(w, p, n);
}
static void w_str(wire *w, uint32_t field, const char *s) {
  w_bytes(w, field, s, strlen(s));
}
static void w_msg(wire *w, uint32_t field, const wire *inner) {
  w_bytes(w, field, inner->d, inner->n);
}
static void w_timestamp(wire *w, int64_t seconds, int32_t nanos) {
  wire ts = {{0}, 0};
  w_u64(&ts, 1, (uint64_t)seconds);
  w_i32(&ts, 2, nanos);
  w_msg(w, 3, &ts);
}
static void w_entry(wire *w, uint32_t field, const char *key, uint64_t value) {
  wire e = {{0}, 0};
  if (key) w_str(&e, 1, key);
  if (value) w_u64(&e, 2, value);
  w_msg(w, field, &e);
}
/* Unknown fields of each wire type a valid encoder may use. */
static void w_unknowns(wire *w, uint32_t from) {
  uint64_t fixed = 0x0123456789abcdefull;
  uint32_t fixed32 = 0xdeadbeef;
  w_u64(w, from, UINT64_MAX);
  w_tag(w, from + 1, FIXED64);
  w_raw(w, &fixed, 8);
  w_str(w, from + 2, "from a newer tracer");
  w_tag(w, from + 3, FIXED32);
  w_raw(w, &fixed32, 4);
}

static void
differential__crafted_wire_variants__then_decoder_matches_protobuf_c(void) {
  wire records[16];
  size_t count = 0;
  wire *r, call, ret, start, end, sig;

  /* An empty message: every field at its default, no payload. */
  records[count++].n = 0;

  /* Fields in reverse order, payload first; map entries with the key alone
  ** (value 0), the value alone (key ""), and neither. */
  r = &records[count++];
  r->n = 0;
  call.n = 0;
  w_bytes(&call, 4, "\x00\x01\x02\xff", 4);
  w_entry(&call, 3, "rdi", 0);
  w_entry(&call, 3, NULL, 42);
  w_entry(&call, 3, NULL, 0);
  w_entry(&call, 3, "rsi", UINT64_MAX);
  w_u64(&call, 2, 0xffffffff81000010ull);
  w_str(&call, 1, "reversed");
  w_msg(r, 12, &call);
  w_timestamp(r, 1700000000, 999999999);
  w_u64(r, 2, 77);
  w_u64(r, 1, 5);

  /* Unknown fields everywhere: top level, in the payload, in a map entry,
  ** in the timestamp. */
  r = &records[count++];
  r->n = 0;
  w_unknowns(r, 20);
  w_u64(r, 1, 6);
  {
    wire ts = {{0}, 0};
    w_u64(&ts, 1, 1700000001);
    w_unknowns(&ts, 7);
    w_i32(&ts, 2, 5);
    w_msg(r, 3, &ts);
  }
  ret.n = 0;
  w_str(&ret, 1, "read");
  w_unknowns(&ret, 9);
  {
    wire e = {{0}, 0};
    w_str(&e, 1, "rax");
    w_unknowns(&e, 3);
    w_u64(&e, 2, 1ull << 63);
    w_msg(&ret, 3, &e);
  }
  w_u64(&ret, 2, 0x401000);
  w_msg(r, 13, &ret);
  w_unknowns(r, 100000);

  /* Negative int32s as 10-byte varints; the last scalar occurrence wins. */
  r = &records[count++];
  r->n = 0;
  w_u64(r, 1, 1);
  w_u64(r, 1, 7);
  w_i32(r, 2, -5);
  w_i32(r, 2, -123456);
  w_timestamp(r, 1700000002, 0);
  end.n = 0;
  w_i32(&end, 1, 3);
  w_i32(&end, 1, -11);
  w_msg(r, 11, &end);

  /* Non-minimal varints (protobuf accepts them), a thread id of 0. */
  r = &records[count++];
  r->n = 0;
  w_tag(r, 1, VARINT);
  w_raw(r, "\x88\x80\x80\x80\x00", 5); /* 8 in five bytes */
  w_tag(r, 2, VARINT);
  w_raw(r, "\x80\x00", 2); /* 0 in two bytes */
  call.n = 0;
  w_str(&call, 1, "non_minimal");
  w_tag(&call, 2, VARINT);
  w_raw(&call, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
  w_msg(r, 12, &call);

  /* The last oneof member wins, and a member set again after another
  ** starts from scratch: call, return, call -> only the last call. */
  r = &records[count++];
  r->n = 0;
  w_u64(r, 1, 9);
  call.n = 0;
  w_str(&call, 1, "first_call");
  w_u64(&call, 2, 1);
  w_entry(&call, 3, "rdi", 1);
  w_msg(r, 12, &call);
  ret.n = 0;
  w_str(&ret, 1, "a_return");
  w_msg(r, 13, &ret);
  call.n = 0;
  w_str(&call, 1, "last_call");
  w_entry(&call, 3, "rsi", 2);
  w_msg(r, 12, &call);

  /* A repeated map key: protobuf-c keeps both entries, the map the last
  ** value in the first place. Strings that are not UTF-8 pass as bytes. */
  r = &records[count++];
  r->n = 0;
  w_u64(r, 1, 10);
  ret.n = 0;
  w_str(&ret, 1, "bad\xff\xfeutf8");
  w_entry(&ret, 3, "rax", 1);
  w_entry(&ret, 3, "rdx", 2);
  w_entry(&ret, 3, "rax", 3);
  w_msg(r, 13, &ret);

  /* trace_start with an empty arg, args interleaved with other fields. */
  r = &records[count++];
  r->n = 0;
  w_u64(r, 1, 11);
  start.n = 0;
  w_str(&start, 2, "/bin/x");
  w_str(&start, 4, "aarch64");
  w_str(&start, 2, "");
  w_str(&start, 1, "/bin/x");
  w_str(&start, 2, "caf\xc3\xa9 au lait");
  w_str(&start, 3, "darwin");
  w_msg(r, 10, &start);

  /* Empty payload messages: the defaults of their kind. */
  r = &records[count++];
  r->n = 0;
  end.n = 0;
  w_msg(r, 11, &end);
  r = &records[count++];
  r->n = 0;
  sig.n = 0;
  w_msg(r, 14, &sig);

  /* A signal with a negative number and a timestamp before 1970. */
  r = &records[count++];
  r->n = 0;
  w_timestamp(r, -2, 500);
  sig.n = 0;
  w_i32(&sig, 1, -7);
  w_str(&sig, 2, "SIGWEIRD");
  w_entry(&sig, 3, "rip", 0xffffffff81000000ull);
  w_msg(r, 14, &sig);

  /* Written as one events.bin, each record behind its length prefix. */
  const char *dir = out_dir("crafted");
  char path[1100];
  snprintf(path, sizeof path, "%s", events_of(dir));
  mkdir(DIFF_TEST_DIR, 0777);
  mkdir(dir, 0777);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  for (size_t i = 0; i < count; i++) {
    wire prefix = {{0}, 0};
    w_varint(&prefix, records[i].n);
    fwrite(prefix.d, 1, prefix.n, f);
    fwrite(records[i].d, 1, records[i].n, f);
  }
  CHECK(fclose(f) == 0);
  diff_result res = diff_trace(path, NULL, 0, -1);
  CHECK_U64(res.mismatches, 0);
  CHECK(!res.iter_failed);
  CHECK_U64(res.records, count);
  CHECK_U64(res.torn_bytes, 0);
}

/* A mutation of protobuf-c's side, and the field it must be caught as. */
typedef struct mutation {
  Event__PayloadCase kind;
  const char *field;
  void (*apply)(Event *pb); /* applying twice restores the value */
} mutation;

static void flip_event_id(Event *pb) { pb->event_id ^= 1; }
static void flip_thread_id(Event *pb) { pb->thread_id ^= 0x100; }
static void flip_nanos(Event *pb) { pb->timestamp->nanos ^= 1; }
static void flip_call_symbol(Event *pb) { pb->function_call->symbol[0] ^= 1; }
static void flip_call_address(Event *pb) {
  pb->function_call->address ^= 1ull << 63;
}
static void flip_stack(Event *pb) {
  ProtobufCBinaryData *s = &pb->function_call->stack_shallow_copy;
  s->data[s->len - 1] ^= 0x80;
}
static void flip_register_value(Event *pb) {
  pb->function_call->argument_registers[3]->value ^= 1ull << 40;
}
static void flip_register_name(Event *pb) {
  pb->function_call->argument_registers[5]->key[1] ^= 1;
}
static void swap_registers(Event *pb) {
  FunctionCall__ArgumentRegistersEntry **r =
      pb->function_call->argument_registers;
  FunctionCall__ArgumentRegistersEntry *t = r[0];
  r[0] = r[1];
  r[1] = t;
}
static void flip_return_symbol(Event *pb) {
  pb->function_return->symbol[1] ^= 1;
}
static void flip_return_value(Event *pb) {
  pb->function_return->return_registers[0]->value ^= 1;
}
static void flip_executable(Event *pb) {
  pb->trace_start->executable_path[2] ^= 1;
}
static void flip_last_arg(Event *pb) {
  TraceStart *s = pb->trace_start;
  s->args[s->n_args - 1][0] ^= 1;
}
static void flip_arch(Event *pb) { pb->trace_start->cpu_architecture[0] ^= 1; }
static void flip_os(Event *pb) { pb->trace_start->operating_system[0] ^= 1; }
static void flip_signal_number(Event *pb) { pb->signal_delivery->number ^= 1; }
static void flip_signal_name(Event *pb) { pb->signal_delivery->name[3] ^= 1; }
static void flip_signal_register(Event *pb) {
  SignalDelivery *s = pb->signal_delivery;
  s->registers[s->n_registers - 1]->value ^= 1ull << 63;
}
static void flip_exit_code(Event *pb) { pb->trace_end->exit_code ^= 1; }

static void differential__mutated_field__then_mismatch_reported(void) {
  static const mutation mutations[] = {
      {EVENT__PAYLOAD_FUNCTION_CALL, "event_id", flip_event_id},
      {EVENT__PAYLOAD_FUNCTION_CALL, "thread_id", flip_thread_id},
      {EVENT__PAYLOAD_FUNCTION_RETURN, "timestamp", flip_nanos},
      {EVENT__PAYLOAD_FUNCTION_CALL, "symbol", flip_call_symbol},
      {EVENT__PAYLOAD_FUNCTION_CALL, "address", flip_call_address},
      {EVENT__PAYLOAD_FUNCTION_CALL, "stack", flip_stack},
      {EVENT__PAYLOAD_FUNCTION_CALL, "registers", flip_register_value},
      {EVENT__PAYLOAD_FUNCTION_CALL, "registers", flip_register_name},
      {EVENT__PAYLOAD_FUNCTION_CALL, "registers", swap_registers},
      {EVENT__PAYLOAD_FUNCTION_RETURN, "symbol", flip_return_symbol},
      {EVENT__PAYLOAD_FUNCTION_RETURN, "registers", flip_return_value},
      {EVENT__PAYLOAD_TRACE_START, "executable_path", flip_executable},
      {EVENT__PAYLOAD_TRACE_START, "args", flip_last_arg},
      {EVENT__PAYLOAD_TRACE_START, "operating_system", flip_os},
      {EVENT__PAYLOAD_TRACE_START, "cpu_architecture", flip_arch},
      {EVENT__PAYLOAD_SIGNAL_DELIVERY, "signal_number", flip_signal_number},
      {EVENT__PAYLOAD_SIGNAL_DELIVERY, "signal_name", flip_signal_name},
      {EVENT__PAYLOAD_SIGNAL_DELIVERY, "registers", flip_signal_register},
      {EVENT__PAYLOAD_TRACE_END, "exit_code", flip_exit_code},
  };
  atf_gen_options o;
  atf_map map;
  atf_iter it;
  atf_record rec;
  atf_error err;
  atf_gen_options_default(&o);
  o.seed = 41;
  o.events = 400;
  CHECK(atf_gen_write(out_dir("mutated"), &o, NULL, NULL) == 0);
  if (atf_map_open(events_of(out_dir("mutated")), &map, &err) != ATF_OK) {
    CHECK(0);
    return;
  }
  size_t caught[sizeof mutations / sizeof mutations[0]] = {0};
  atf_iter_init(&it, &map);
  for (uint64_t i = 0; atf_iter_next(&it, &rec, &err) == ATF_OK; i++) {
    Event *pb = event__unpack(NULL, (size_t)rec.body_len, rec.body);
    diff_where w = {"mutated", i, rec.offset, 1};
    CHECK(pb != NULL);
    if (!pb) break;
    CHECK(compare_record(&w, &rec, pb) == NULL); /* untouched: equal */
    for (size_t m = 0; m < sizeof mutations / sizeof mutations[0]; m++) {
      if (mutations[m].kind != pb->payload_case) continue;
      if (mutations[m].apply == flip_stack &&
          pb->function_call->stack_shallow_copy.len == 0)
        continue;
      mutations[m].apply(pb);
      const char *field = compare_record(&w, &rec, pb);
      mutations[m].apply(pb);
      if (field && strcmp(field, mutations[m].field) == 0) {
        caught[m]++;
      } else {
        fprintf(stderr, "record #%llu: mutation of %s reported as %s\n",
                (unsigned long long)i, mutations[m].field,
                field ? field : "no mismatch");
        CHECK(0);
      }
    }
    event__free_unpacked(pb, NULL);
  }
  atf_map_close(&map);
  for (size_t m = 0; m < sizeof mutations / sizeof mutations[0]; m++)
    CHECK(caught[m] > 0); /* every mutation was tried, and caught */
}

static const check_case cases[] = {
    CASE(differential__generated_traces__then_decoder_matches_protobuf_c),
    CASE(differential__fixture__then_decoder_matches_protobuf_c),
    CASE(differential__torn_trace__then_whole_records_match),
    CASE(differential__corrupt_record__then_both_reject_it),
    CASE(differential__crafted_wire_variants__then_decoder_matches_protobuf_c),
    CASE(differential__mutated_field__then_mismatch_reported),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
