/*
** fuzz_differential.c - libFuzzer target: arbitrary bytes as ONE Event
** message body, decoded by the reader (atf_event_decode, atf_payload_decode,
** the register and arg walks, atf_registers_collect) and by protobuf-c's
** generated event__unpack; every field must agree wherever protobuf-c
** follows Google's protobuf semantics, which the reader implements.
**
** protobuf-c 1.4.1 departs from Google's semantics in the ways DESIGN.md
** lists, and a small wire walker below (scan_message) finds those constructs
** in the input first. They are handled like this:
**
**   1. an embedded message field given more than once (Event.timestamp, or
**      the winning oneof member in its last run): protobuf-c keeps only the
**      last occurrence (proto3 scalars of the earlier ones are dropped, and
**      a oneof member given twice is replaced, not merged). Excluded: the
**      timestamp, resp. the payload, is not compared for that input; the
**      other fields still are.
**   2. a group (wire types 3/4) anywhere in a message protobuf-c parses:
**      protobuf-c rejects it, Google (and the reader) skip it. Excluded:
**      protobuf-c failing while the reader succeeds is accepted.
**   3. a known field with the wrong wire type, at any level (also inside a
**      oneof member that a later one replaced, a map entry or the
**      timestamp): protobuf-c rejects it, Google skips it as unknown.
**      Excluded like 2.
**   4. duplicate map keys: protobuf-c keeps every entry. Compensated rather
**      than excluded: the reader's raw walk (atf_registers_next) must equal
**      protobuf-c's entries one to one, and atf_registers_collect must equal
**      a fold of them (first place, last value).
**   5. a NUL inside a string: protobuf-c's char * ends at it. Compensated:
**      the reader's bytes up to their first NUL must equal protobuf-c's
**      string.
**   6. UTF-8: protobuf-c never checks it, and neither does the reader's
**      decoder (it is the extension's job, by atf_utf8_valid), so both keep
**      the same bytes; atf_utf8_valid is held against an independent
**      checker on every string instead.
**
** Beyond the DESIGN.md list, four encodings that no encoder writes, on which
** protobuf-c and the reader part ways and Google's own parsers disagree with
** each other (checked against Debian's protobuf 3.21: C++ and pure Python):
**
**   7. a tag longer than 5 bytes: protobuf-c and C++ reject it; Python reads
**      it (as an unknown field); the reader reads it (tag varints of up to
**      10 bytes whose value fits 32 bits). Excluded like 2.
**   8. a 5-byte tag whose value exceeds 32 bits: protobuf-c, C++ and Python
**      drop the high bits; the reader rejects it ("tag beyond 32 bits").
**      Excluded: the reader failing while protobuf-c succeeds is accepted.
**   9. a length prefix (inside the message) longer than 5 bytes: protobuf-c
**      and C++ reject it, Python and the reader read it. Excluded like 2.
**  10. field number 0 written as a multi-byte tag: protobuf-c takes it for
**      an unknown field, C++ for the end of the message, Python and the
**      reader reject it. Excluded like 8.
**
** The reader may fail where protobuf-c succeeds for one more reason, by its
** own contract: a timestamp whose seconds * 1e9 + nanos does not fit 64 bits
** (ATF_ERR_RANGE). Any other disagreement prints both sides and aborts.
*/
#include "atf_v4.pb-c.h"
#include "fuzz_common.h"

/* ---- the wire walker: which departures the input contains --------------- */

enum {
  HAS_REPEATED_TS = 1 << 0,      /* 1 */
  HAS_REPEATED_PAYLOAD = 1 << 1, /* 1 */
  HAS_GROUP = 1 << 2,            /* 2 */
  HAS_WRONG_WIRE = 1 << 3,       /* 3 */
  HAS_LONG_TAG = 1 << 4,         /* 7 */
  HAS_TAG_OVER_32 = 1 << 5,      /* 8 */
  HAS_LONG_LENGTH = 1 << 6,      /* 9 */
  HAS_FIELD0_LONG = 1 << 7,      /* 10 */
  HAS_MALFORMED = 1 << 8,        /* the walker could not go on */
};
/* protobuf-c may fail, where the reader succeeds, on these: */
#define PBC_STRICTER                                                           \
  (HAS_GROUP | HAS_WRONG_WIRE | HAS_LONG_TAG | HAS_LONG_LENGTH)
/* the reader may fail, where protobuf-c succeeds, on these: */
#define READER_STRICTER (HAS_TAG_OVER_32 | HAS_FIELD0_LONG)

/* The messages of atf_v4.proto (and Timestamp, and the map entries). */
typedef enum msg {
  MSG_EVENT,
  MSG_TIMESTAMP,
  MSG_TRACE_START,
  MSG_TRACE_END,
  MSG_CALL,
  MSG_RETURN,
  MSG_SIGNAL,
  MSG_ENTRY,
  MSG_OPAQUE /* not a message: scalars, strings, bytes */
} msg;

typedef struct field_desc {
  uint32_t number;
  int wire; /* 0 varint, 2 length-delimited */
  msg sub;  /* the embedded message, or MSG_OPAQUE */
} field_desc;

static const field_desc event_fields[] = {
    {1, 0, MSG_OPAQUE},       {2, 0, MSG_OPAQUE},     {3, 2, MSG_TIMESTAMP},
    {10, 2, MSG_TRACE_START}, {11, 2, MSG_TRACE_END}, {12, 2, MSG_CALL},
    {13, 2, MSG_RETURN},      {14, 2, MSG_SIGNAL},    {0, 0, MSG_OPAQUE}};
static const field_desc timestamp_fields[] = {
    {1, 0, MSG_OPAQUE}, {2, 0, MSG_OPAQUE}, {0, 0, MSG_OPAQUE}};
static const field_desc trace_start_fields[] = {{1, 2, MSG_OPAQUE},
                                                {2, 2, MSG_OPAQUE},
                                                {3, 2, MSG_OPAQUE},
                                                {4, 2, MSG_OPAQUE},
                                                {0, 0, MSG_OPAQUE}};
static const field_desc trace_end_fields[] = {{1, 0, MSG_OPAQUE},
                                              {0, 0, MSG_OPAQUE}};
static const field_desc call_fields[] = {{1, 2, MSG_OPAQUE},
                                         {2, 0, MSG_OPAQUE},
                                         {3, 2, MSG_ENTRY},
                                         {4, 2, MSG_OPAQUE},
                                         {0, 0, MSG_OPAQUE}};
static const field_desc return_fields[] = {{1, 2, MSG_OPAQUE},
                                           {2, 0, MSG_OPAQUE},
                                           {3, 2, MSG_ENTRY},
                                           {0, 0, MSG_OPAQUE}};
static const field_desc signal_fields[] = {{1, 0, MSG_OPAQUE},
                                           {2, 2, MSG_OPAQUE},
                                           {3, 2, MSG_ENTRY},
                                           {0, 0, MSG_OPAQUE}};
static const field_desc entry_fields[] = {
    {1, 2, MSG_OPAQUE}, {2, 0, MSG_OPAQUE}, {0, 0, MSG_OPAQUE}};

static const field_desc *fields_of(msg m) {
  static const field_desc *const all[] = {
      event_fields, timestamp_fields, trace_start_fields, trace_end_fields,
      call_fields,  return_fields,    signal_fields,      entry_fields};
  return m < MSG_OPAQUE ? all[m] : NULL;
}

/* A varint at P (N bytes left): its value (bits past 64 dropped), and its
** length; 0 when cut short or longer than 10 bytes. */
static size_t scan_varint(const uint8_t *p, size_t n, uint64_t *value) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < 10; i++) {
    v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    if (p[i] < 0x80) {
      *value = v;
      return i + 1;
    }
  }
  return 0;
}

/* Walks the message M in P[0..N) and the messages embedded in its known
** fields, as protobuf-c parses them, and returns the HAS_* flags. */
static unsigned scan_message(const uint8_t *p, size_t n, msg m) {
  const field_desc *fields = fields_of(m);
  unsigned flags = 0;
  int timestamps = 0;
  uint32_t last_member = 0; /* Event: the payload member of the last run */
  int run = 0;              /* and how many occurrences that run has */
  size_t i = 0;
  while (i < n) {
    uint64_t tag, v = 0;
    size_t len = scan_varint(p + i, n - i, &tag);
    if (!len) return flags | HAS_MALFORMED;
    if (len > 5) flags |= HAS_LONG_TAG;
    if (tag > UINT32_MAX) flags |= HAS_TAG_OVER_32;
    uint32_t number = (uint32_t)(tag >> 3);
    int wire = (int)(tag & 7);
    if (number == 0 && len > 1) flags |= HAS_FIELD0_LONG;
    i += len;
    const uint8_t *data = NULL;
    switch (wire) {
    case 0:
      len = scan_varint(p + i, n - i, &v);
      if (!len) return flags | HAS_MALFORMED;
      i += len;
      break;
    case 1:
    case 5:
      len = wire == 1 ? 8 : 4;
      if (n - i < len) return flags | HAS_MALFORMED;
      i += len;
      break;
    case 2:
      len = scan_varint(p + i, n - i, &v);
      if (!len || v > n - i - len) return flags | HAS_MALFORMED;
      if (len > 5) flags |= HAS_LONG_LENGTH;
      i += len;
      data = p + i;
      i += (size_t)v;
      break;
    case 3:
    case 4:
      /* protobuf-c stops at the first group; so does this walk. */
      return flags | HAS_GROUP;
    default: return flags | HAS_MALFORMED;
    }
    const field_desc *f = NULL;
    for (const field_desc *d = fields; d->number; d++)
      if (d->number == number) f = d;
    if (!f) continue; /* unknown: kept as bytes, never parsed */
    if (f->wire != wire) {
      flags |= HAS_WRONG_WIRE;
      continue;
    }
    if (f->sub != MSG_OPAQUE) flags |= scan_message(data, (size_t)v, f->sub);
    if (m == MSG_EVENT && number == 3) timestamps++;
    if (m == MSG_EVENT && number >= 10) {
      run = number == last_member ? run + 1 : 1;
      last_member = number;
    }
  }
  if (timestamps > 1) flags |= HAS_REPEATED_TS;
  if (run > 1) flags |= HAS_REPEATED_PAYLOAD;
  return flags;
}

/* ---- comparing the two decodings ---------------------------------------- */

static const uint8_t *input;
static size_t input_size;

/* A disagreement: print it with the input in hex, and abort. */
__attribute__((format(printf, 2, 3), noreturn)) static void
differ(unsigned flags, const char *fmt, ...) {
  va_list ap;
  fputs("DIFFERENTIAL MISMATCH: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n  walker flags 0x%x; input (%zu bytes):", flags,
          input_size);
  for (size_t i = 0; i < input_size && i < 512; i++)
    fprintf(stderr, "%s%02x", i % 32 ? " " : "\n    ", input[i]);
  fputc('\n', stderr);
  abort();
}

/* Reader bytes against a protobuf-c string, which ends at the first NUL of
** the bytes (item 5). */
static int same_string(atf_bytes b, const char *s) {
  const uint8_t *nul = b.len ? memchr(b.ptr, 0, b.len) : NULL;
  size_t k = nul ? (size_t)(nul - b.ptr) : b.len;
  if (!s) s = "";
  return strlen(s) == k && (k == 0 || memcmp(s, b.ptr, k) == 0);
}

static void compare_string(unsigned flags, const char *field, atf_bytes b,
                           const char *s) {
  if (!same_string(b, s))
    differ(flags, "%s: reader '%.*s' (%zu bytes), protobuf-c '%s'", field,
           (int)(b.len > 200 ? 200 : b.len), (const char *)b.ptr, b.len,
           s ? s : "(null)");
  fuzz_check_utf8(b, field);
}

static void compare_registers(unsigned flags, const atf_event *ev,
                              const atf_payload *pl, size_t n,
                              const char *const *keys, const uint64_t *values) {
  atf_payload_iter it;
  atf_register reg;
  size_t i = 0;
  if (pl->register_count != n)
    differ(flags, "register_count: reader %u, protobuf-c %zu",
           pl->register_count, n);
  /* The raw walk is what protobuf-c keeps: every entry as written. */
  atf_payload_iter_init(ev, &it);
  for (; atf_registers_next(&it, &reg) == ATF_OK; i++) {
    if (i >= n) differ(flags, "registers: reader walks more than %zu", n);
    if (!same_string(reg.name, keys[i]) || reg.value != values[i])
      differ(flags, "register #%zu: reader %.*s=%llu, protobuf-c %s=%llu", i,
             (int)reg.name.len, (const char *)reg.name.ptr,
             (unsigned long long)reg.value, keys[i],
             (unsigned long long)values[i]);
    fuzz_check_utf8(reg.name, "register name");
  }
  if (i != n)
    differ(flags, "registers: reader walks %zu, protobuf-c %zu", i, n);

  /* Map semantics (item 4): protobuf-c's entries folded, first place and
  ** last value, against atf_registers_collect. Keys are compared as the
  ** reader's full bytes, so keys that differ after a NUL stay apart. */
  if (n > 512) return; /* the fold is quadratic */
  atf_register *all = malloc((n ? n : 1) * sizeof *all);
  atf_register *got = malloc((n ? n : 1) * sizeof *got);
  uint32_t *scratch = malloc((n ? 2 * n : 1) * sizeof *scratch);
  uint32_t count = 0, k = 0;
  atf_error err;
  FUZZ_CHECK(all && got && scratch, "out of memory in the fuzzer");
  atf_payload_iter_init(ev, &it);
  for (i = 0; i < n && atf_registers_next(&it, &all[i]) == ATF_OK; i++)
    ;
  if (atf_registers_collect(ev, got, (uint32_t)n, scratch, &count, &err) !=
      ATF_OK)
    differ(flags, "atf_registers_collect failed: %s", err.message);
  for (i = 0; i < n; i++) {
    size_t j;
    for (j = 0; j < i; j++)
      if (all[j].name.len == all[i].name.len &&
          memcmp(all[j].name.ptr, all[i].name.ptr, all[i].name.len) == 0)
        break;
    if (j < i) continue;
    uint64_t last = values[i];
    for (j = i + 1; j < n; j++)
      if (all[j].name.len == all[i].name.len &&
          memcmp(all[j].name.ptr, all[i].name.ptr, all[i].name.len) == 0)
        last = values[j];
    if (k >= count || !same_string(got[k].name, keys[i]) ||
        got[k].value != last)
      differ(flags, "collected register #%u differs from protobuf-c's fold", k);
    k++;
  }
  if (k != count)
    differ(flags, "collected %u registers, protobuf-c's fold %u", count, k);
  free(all);
  free(got);
  free(scratch);
}

/* Registers of any of the three map-holding payloads, as two arrays. */
#define COMPARE_MAP(flags, ev, pl, msgp, field)                                \
  do {                                                                         \
    size_t n_ = (msgp)->n_##field;                                             \
    const char **keys_ = malloc((n_ ? n_ : 1) * sizeof *keys_);                \
    uint64_t *values_ = malloc((n_ ? n_ : 1) * sizeof *values_);               \
    FUZZ_CHECK(keys_ &&values_, "out of memory in the fuzzer");                \
    for (size_t i_ = 0; i_ < n_; i_++) {                                       \
      keys_[i_] = (msgp)->field[i_]->key ? (msgp)->field[i_]->key : "";        \
      values_[i_] = (msgp)->field[i_]->value;                                  \
    }                                                                          \
    compare_registers(flags, ev, pl, n_, keys_, values_);                      \
    free(keys_);                                                               \
    free(values_);                                                             \
  } while (0)

static void compare_payload(unsigned flags, const atf_event *ev,
                            const atf_payload *pl, const Event *pc) {
  switch (pc->payload_case) {
  case EVENT__PAYLOAD_TRACE_START: {
    const TraceStart *m = pc->trace_start;
    atf_payload_iter it;
    atf_bytes arg;
    size_t i = 0;
    compare_string(flags, "executable_path", pl->executable_path,
                   m->executable_path);
    compare_string(flags, "operating_system", pl->operating_system,
                   m->operating_system);
    compare_string(flags, "cpu_architecture", pl->cpu_architecture,
                   m->cpu_architecture);
    if (pl->arg_count != m->n_args)
      differ(flags, "arg_count: reader %u, protobuf-c %zu", pl->arg_count,
             m->n_args);
    atf_payload_iter_init(ev, &it);
    for (; atf_args_next(&it, &arg) == ATF_OK; i++) {
      if (i >= m->n_args) differ(flags, "args: reader walks more");
      compare_string(flags, "args[i]", arg, m->args[i]);
    }
    if (i != m->n_args)
      differ(flags, "args: reader walks %zu, protobuf-c %zu", i, m->n_args);
    break;
  }
  case EVENT__PAYLOAD_TRACE_END:
    if (pl->exit_code != pc->trace_end->exit_code)
      differ(flags, "exit_code: reader %d, protobuf-c %d", pl->exit_code,
             pc->trace_end->exit_code);
    break;
  case EVENT__PAYLOAD_FUNCTION_CALL: {
    const FunctionCall *m = pc->function_call;
    compare_string(flags, "symbol", pl->symbol, m->symbol);
    if (pl->address != m->address)
      differ(flags, "address: reader %llu, protobuf-c %llu",
             (unsigned long long)pl->address, (unsigned long long)m->address);
    if (pl->stack.len != m->stack_shallow_copy.len ||
        (pl->stack.len &&
         memcmp(pl->stack.ptr, m->stack_shallow_copy.data, pl->stack.len)))
      differ(flags, "stack_shallow_copy: reader %zu bytes, protobuf-c %zu",
             pl->stack.len, m->stack_shallow_copy.len);
    COMPARE_MAP(flags, ev, pl, m, argument_registers);
    break;
  }
  case EVENT__PAYLOAD_FUNCTION_RETURN: {
    const FunctionReturn *m = pc->function_return;
    compare_string(flags, "symbol", pl->symbol, m->symbol);
    if (pl->address != m->address)
      differ(flags, "address: reader %llu, protobuf-c %llu",
             (unsigned long long)pl->address, (unsigned long long)m->address);
    COMPARE_MAP(flags, ev, pl, m, return_registers);
    break;
  }
  case EVENT__PAYLOAD_SIGNAL_DELIVERY: {
    const SignalDelivery *m = pc->signal_delivery;
    if (pl->signal_number != m->number)
      differ(flags, "signal number: reader %d, protobuf-c %d",
             pl->signal_number, m->number);
    compare_string(flags, "signal name", pl->signal_name, m->name);
    COMPARE_MAP(flags, ev, pl, m, registers);
    break;
  }
  default: break;
  }
}

/* protobuf-c's timestamp as nanoseconds, computed independently of the
** reader in 128 bits; 0 when it does not fit 64 bits. */
static int pc_ts_ns(const Event *pc, int64_t *out) {
  __int128 ns =
      (__int128)pc->timestamp->seconds * 1000000000 + pc->timestamp->nanos;
  if (ns < INT64_MIN || ns > INT64_MAX) return 0;
  *out = (int64_t)ns;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  atf_record rec;
  atf_event ev;
  atf_payload pl;
  atf_error err;
  input = data;
  input_size = size;
  unsigned flags = scan_message(data, size, MSG_EVENT);

  memset(&rec, 0, sizeof rec);
  rec.source = "fuzz/record";
  rec.offset = 0;
  rec.body = data;
  rec.body_len = size;
  rec.size = size + 1; /* as if behind a one-byte length prefix */

  atf_status header = atf_event_decode(&rec, &ev, &err);
  atf_status payload =
      header == ATF_OK ? atf_payload_decode(&ev, &pl, &err) : header;
  /* Map entries are checked when the registers are read: the message is
  ** decoded whole only once they are. */
  if (payload == ATF_OK && pl.register_count) {
    uint32_t n = pl.register_count, count;
    atf_register *regs = malloc(n * sizeof *regs);
    uint32_t *scratch = malloc(2 * (size_t)n * sizeof *scratch);
    FUZZ_CHECK(regs && scratch, "out of memory in the fuzzer");
    payload = atf_registers_collect(&ev, regs, n, scratch, &count, &err);
    free(regs);
    free(scratch);
  }
  Event *pc = event__unpack(NULL, size, data);

  if (!pc) {
    if (payload == ATF_OK && !(flags & PBC_STRICTER))
      differ(flags, "protobuf-c rejects the message, the reader decodes it");
    return 0;
  }
  if (payload != ATF_OK) {
    int64_t ns;
    /* With timestamps merged (item 1) protobuf-c's is not the one the
    ** reader computed: its overflow cannot be checked against protobuf-c. */
    int ts_overflow = header == ATF_ERR_RANGE && pc->timestamp &&
                      ((flags & HAS_REPEATED_TS) || !pc_ts_ns(pc, &ns));
    if (!ts_overflow && !(flags & READER_STRICTER))
      differ(flags, "the reader fails (%s), protobuf-c decodes it",
             err.message);
    event__free_unpacked(pc, NULL);
    return 0;
  }

  /* Both decoded: the fields must agree. */
  if (ev.event_id != pc->event_id)
    differ(flags, "event_id: reader %llu, protobuf-c %llu",
           (unsigned long long)ev.event_id, (unsigned long long)pc->event_id);
  if (ev.thread_id != pc->thread_id)
    differ(flags, "thread_id: reader %d, protobuf-c %d", ev.thread_id,
           pc->thread_id);
  if ((int)ev.kind != (int)pc->payload_case)
    differ(flags, "kind: reader %d, protobuf-c %d", (int)ev.kind,
           (int)pc->payload_case);
  if (!(flags & HAS_REPEATED_TS)) { /* item 1 */
    int64_t ns = 0;
    if (ev.has_timestamp != (pc->timestamp != NULL))
      differ(flags, "timestamp present: reader %d, protobuf-c %d",
             ev.has_timestamp, pc->timestamp != NULL);
    if (pc->timestamp && (!pc_ts_ns(pc, &ns) || ns != ev.ts_ns))
      differ(flags, "timestamp: reader %lld ns, protobuf-c %lld s %d ns",
             (long long)ev.ts_ns, (long long)pc->timestamp->seconds,
             (int)pc->timestamp->nanos);
  }
  if (!(flags & HAS_REPEATED_PAYLOAD)) compare_payload(flags, &ev, &pl, pc);
  event__free_unpacked(pc, NULL);
  return 0;
}
