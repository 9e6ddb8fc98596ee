/*
** decode.c - the Event message, decoded in place with protobuf semantics.
**
** Wire format: each field is a varint tag (field number << 3 | wire type)
** followed by its value: 0 varint, 1 fixed64, 2 length-delimited, 3/4 start
** and end of a group, 5 fixed32. The rules applied are those of Google's own
** parsers (docs/FORMAT.md section 3):
**   - a missing field reads as its default;
**   - unknown fields of every wire type are skipped, groups included, and so
**     is a known field with an unexpected wire type;
**   - of repeated scalar occurrences the last wins;
**   - repeated occurrences of an embedded message merge (parsing the
**     concatenation of two messages is merging them);
**   - the last oneof member seen wins, and setting a member clears the one
**     before, so the payload is the run of occurrences of the winning member
**     after the last occurrence of any other member;
**   - map entries may lack the key or the value; a repeated key keeps its
**     last value.
** Wire types 6 and 7, field number 0, tags beyond 32 bits, lengths beyond
** the enclosing message and unmatched group tags are malformed.
**
** Nothing here allocates: strings and bytes are ranges into the mapping.
*/
#include <string.h>

#include "internal.h"

enum {
  WIRE_VARINT = 0,
  WIRE_FIXED64 = 1,
  WIRE_LEN = 2,
  WIRE_GROUP_START = 3,
  WIRE_GROUP_END = 4,
  WIRE_FIXED32 = 5
};

/* Groups are obsolete and never written by tracers; this bounds the
** recursion a hostile record could ask for. */
#define MAX_GROUP_DEPTH 100 /* Google's parsers' recursion limit */

/* A field as read off the wire. */
typedef struct pb_field {
  uint32_t number;
  int wire;
  uint64_t varint;     /* WIRE_VARINT */
  const uint8_t *data; /* WIRE_LEN */
  size_t len;
} pb_field;

static uint64_t file_offset(const atf_record *rec, const uint8_t *p) {
  return rec->offset + (rec->size - rec->body_len) + (uint64_t)(p - rec->body);
}

static atf_status malformed(const atf_record *rec, const uint8_t *at,
                            const char *what, atf_error *err) {
  if (!err) return ATF_ERR_PROTOBUF; /* a walk over validated bytes */
  return atf_fail(err, ATF_ERR_PROTOBUF, rec->offset,
                  "%s: record at byte offset %llu: malformed protobuf at byte "
                  "%llu: %s",
                  rec->source, (unsigned long long)rec->offset,
                  (unsigned long long)file_offset(rec, at), what);
}

/* A varint inside a message, read as Google's parsers read it. */
static inline atf_status field_varint(const uint8_t *p, const uint8_t *end,
                                      uint64_t *value, size_t *len) {
  return atf_varint_read(p, end, value, len, 0);
}

static int32_t as_int32(uint64_t v) {
  /* protobuf truncates int32 varints to their low 32 bits (negative values
  ** are written sign-extended to 10 bytes). */
  uint32_t u = (uint32_t)v;
  return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
}

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#else
#define ALWAYS_INLINE inline
#define NOINLINE
#endif

static ALWAYS_INLINE atf_status read_field(const atf_record *rec,
                                           const uint8_t **pp,
                                           const uint8_t *end, pb_field *f,
                                           int depth, atf_error *err);

/* Skips a group's fields up to its matching end-group tag. */
static NOINLINE atf_status skip_group(const atf_record *rec, const uint8_t **pp,
                                      const uint8_t *end, uint32_t number,
                                      int depth, atf_error *err) {
  const uint8_t *start = *pp;
  if (depth >= MAX_GROUP_DEPTH)
    return malformed(rec, start, "groups nested too deep", err);
  while (*pp < end) {
    pb_field f;
    const uint8_t *at = *pp;
    atf_status rc = read_field(rec, pp, end, &f, depth + 1, err);
    if (rc != ATF_OK) return rc;
    if (f.wire == WIRE_GROUP_END) {
      if (f.number != number)
        return malformed(rec, at, "end-group tag does not match its group",
                         err);
      return ATF_OK;
    }
  }
  return malformed(rec, start, "group without an end-group tag", err);
}

/* Reads one field at *PP (before END) and moves past it. A group is skipped
** whole and returned as WIRE_GROUP_START; an end-group tag is returned as
** WIRE_GROUP_END for skip_group to match. */
static ALWAYS_INLINE atf_status read_field(const atf_record *rec,
                                           const uint8_t **pp,
                                           const uint8_t *end, pb_field *f,
                                           int depth, atf_error *err) {
  const uint8_t *p = *pp;
  *f = (pb_field){0}; /* every member defined, whatever the wire type */
  uint64_t tag, v;
  size_t n;
  atf_status rc = field_varint(p, end, &tag, &n);
  if (rc != ATF_OK)
    return malformed(rec, p, rc == ATF_END ? "tag cut short" : "invalid tag",
                     err);
  if (tag > UINT32_MAX) return malformed(rec, p, "tag beyond 32 bits", err);
  f->number = (uint32_t)(tag >> 3);
  f->wire = (int)(tag & 7);
  if (f->number == 0) return malformed(rec, p, "field number 0", err);
  p += n;
  switch (f->wire) {
  case WIRE_VARINT:
    rc = field_varint(p, end, &f->varint, &n);
    if (rc != ATF_OK)
      return malformed(
          rec, p, rc == ATF_END ? "varint cut short" : "invalid varint", err);
    p += n;
    break;
  case WIRE_FIXED64:
  case WIRE_FIXED32: {
    size_t width = f->wire == WIRE_FIXED64 ? 8 : 4;
    if ((size_t)(end - p) < width)
      return malformed(rec, p, "fixed-width value cut short", err);
    p += width;
    break;
  }
  case WIRE_LEN:
    rc = field_varint(p, end, &v, &n);
    if (rc != ATF_OK)
      return malformed(
          rec, p, rc == ATF_END ? "length cut short" : "invalid length", err);
    p += n;
    if (v > (uint64_t)(end - p))
      return malformed(rec, p - n, "length beyond the end of its message", err);
    f->data = p;
    f->len = (size_t)v;
    p += v;
    break;
  case WIRE_GROUP_START:
    *pp = p;
    return skip_group(rec, pp, end, f->number, depth, err);
  case WIRE_GROUP_END:
    if (depth == 0)
      return malformed(rec, *pp, "end-group tag outside a group", err);
    break;
  default:
    return malformed(
        rec, *pp, f->wire == 6 ? "invalid wire type 6" : "invalid wire type 7",
        err);
  }
  *pp = p;
  return ATF_OK;
}

/* Reads the next field of a message (never an end-group tag). */
static ALWAYS_INLINE atf_status next_field(const atf_record *rec,
                                           const uint8_t **pp,
                                           const uint8_t *end, pb_field *f,
                                           atf_error *err) {
  return read_field(rec, pp, end, f, 0, err);
}

/* The common case of next_field, read directly: a one-byte tag of a varint
** or length-delimited field whose value is well formed. Returns 0, having
** read nothing, for anything else; next_field then applies every rule and
** names any damage. */
static ALWAYS_INLINE int fast_field(const uint8_t **pp, const uint8_t *end,
                                    pb_field *f) {
  const uint8_t *p = *pp;
  uint64_t v;
  size_t n;
  if (p >= end || p[0] >= 0x80 || p[0] < 8) return 0;
  f->number = p[0] >> 3;
  f->wire = p[0] & 7;
  f->data = NULL, f->len = 0, f->varint = 0;
  if (f->wire == WIRE_VARINT) {
    if (field_varint(p + 1, end, &f->varint, &n) != ATF_OK) return 0;
    *pp = p + 1 + n;
    return 1;
  }
  if (f->wire != WIRE_LEN || field_varint(p + 1, end, &v, &n) != ATF_OK ||
      v > (uint64_t)(end - (p + 1 + n)))
    return 0;
  f->data = p + 1 + n;
  f->len = (size_t)v;
  *pp = f->data + f->len;
  return 1;
}

/* The next field of a message: fast_field, else next_field. */
static ALWAYS_INLINE atf_status any_field(const atf_record *rec,
                                          const uint8_t **pp,
                                          const uint8_t *end, pb_field *f,
                                          atf_error *err) {
  return fast_field(pp, end, f) ? ATF_OK : next_field(rec, pp, end, f, err);
}

const char *atf_kind_name(atf_kind kind) {
  switch (kind) {
  case ATF_KIND_TRACE_START: return "trace_start";
  case ATF_KIND_TRACE_END: return "trace_end";
  case ATF_KIND_FUNCTION_CALL: return "function_call";
  case ATF_KIND_FUNCTION_RETURN: return "function_return";
  case ATF_KIND_SIGNAL_DELIVERY: return "signal_delivery";
  case ATF_KIND_NONE: break;
  }
  return NULL;
}

static int is_payload_field(uint32_t number) {
  return number >= ATF_KIND_TRACE_START && number <= ATF_KIND_SIGNAL_DELIVERY;
}

/* google.protobuf.Timestamp: seconds = 1 (int64), nanos = 2 (int32). Called
** once per occurrence; the values carry over, which is the merge. */
static atf_status decode_timestamp(const atf_record *rec, const pb_field *ts,
                                   int64_t *seconds, int32_t *nanos,
                                   atf_error *err) {
  const uint8_t *p = ts->data, *end = ts->data + ts->len;
  while (p < end) {
    pb_field f;
    atf_status rc = any_field(rec, &p, end, &f, err);
    if (rc != ATF_OK) return rc;
    if (f.wire != WIRE_VARINT) continue;
    if (f.number == 1) *seconds = (int64_t)f.varint;
    if (f.number == 2) *nanos = as_int32(f.varint);
  }
  return ATF_OK;
}

atf_status atf_event_decode(const atf_record *rec, atf_event *ev,
                            atf_error *err) {
  const uint8_t *p = rec->body, *end = rec->body + rec->body_len;
  int64_t seconds = 0;
  int32_t nanos = 0;
  memset(ev, 0, sizeof *ev);
  ev->record = *rec;
  while (p < end) {
    const uint8_t *field_start = p;
    pb_field f;
    atf_status rc = any_field(rec, &p, end, &f, err);
    if (rc != ATF_OK) return rc;
    if (f.number == 1 && f.wire == WIRE_VARINT) {
      ev->event_id = f.varint;
    } else if (f.number == 2 && f.wire == WIRE_VARINT) {
      ev->thread_id = as_int32(f.varint);
    } else if (f.number == 3 && f.wire == WIRE_LEN) {
      ev->has_timestamp = 1;
      rc = decode_timestamp(rec, &f, &seconds, &nanos, err);
      if (rc != ATF_OK) return rc;
    } else if (is_payload_field(f.number) && f.wire == WIRE_LEN &&
               f.number != (uint32_t)ev->kind) {
      /* A different member: it replaces the one before (oneof). */
      if (ev->kind != ATF_KIND_NONE) ev->replaced = 1;
      ev->kind = (atf_kind)f.number;
      ev->payload_from = (uint64_t)(field_start - rec->body);
    }
  }
  if (ev->has_timestamp) {
    /* Exactly, in 128 bits: seconds * 1e9 alone may overflow where the sum
    ** does not (seconds -9223372037, nanos 145224192 is INT64_MIN ns). */
    __int128 ns = (__int128)seconds * 1000000000 + nanos;
    if (ns < INT64_MIN || ns > INT64_MAX)
      return atf_fail(err, ATF_ERR_RANGE, rec->offset,
                      "%s: record at byte offset %llu: timestamp %lld s %d ns "
                      "does not fit 64-bit nanoseconds",
                      rec->source, (unsigned long long)rec->offset,
                      (long long)seconds, (int)nanos);
    ev->ts_ns = (int64_t)ns;
  }
  return ATF_OK;
}

/* ---- payload ---------------------------------------------------------- */

/* How a payload field is stored into atf_payload. */
typedef enum { F_BYTES, F_U64, F_I32, F_MAP, F_ARGS } field_type;

typedef struct field_spec {
  uint32_t number;
  field_type type;
  size_t member; /* offsetof(atf_payload, ...) for scalars */
} field_spec;

#define MEMBER(m) offsetof(atf_payload, m)
static const field_spec trace_start_fields[] = {
    {1, F_BYTES, MEMBER(executable_path)},
    {2, F_ARGS, 0},
    {3, F_BYTES, MEMBER(operating_system)},
    {4, F_BYTES, MEMBER(cpu_architecture)},
    {0, 0, 0}};
static const field_spec trace_end_fields[] = {{1, F_I32, MEMBER(exit_code)},
                                              {0, 0, 0}};
static const field_spec function_call_fields[] = {{1, F_BYTES, MEMBER(symbol)},
                                                  {2, F_U64, MEMBER(address)},
                                                  {3, F_MAP, 0},
                                                  {4, F_BYTES, MEMBER(stack)},
                                                  {0, 0, 0}};
static const field_spec function_return_fields[] = {
    {1, F_BYTES, MEMBER(symbol)},
    {2, F_U64, MEMBER(address)},
    {3, F_MAP, 0},
    {0, 0, 0}};
static const field_spec signal_delivery_fields[] = {
    {1, F_I32, MEMBER(signal_number)},
    {2, F_BYTES, MEMBER(signal_name)},
    {3, F_MAP, 0},
    {0, 0, 0}};
#undef MEMBER

static const field_spec *fields_of(atf_kind kind) {
  switch (kind) {
  case ATF_KIND_TRACE_START: return trace_start_fields;
  case ATF_KIND_TRACE_END: return trace_end_fields;
  case ATF_KIND_FUNCTION_CALL: return function_call_fields;
  case ATF_KIND_FUNCTION_RETURN: return function_return_fields;
  case ATF_KIND_SIGNAL_DELIVERY: return signal_delivery_fields;
  case ATF_KIND_NONE: break;
  }
  return NULL;
}

static ALWAYS_INLINE const field_spec *find_spec(const field_spec *specs,
                                                 uint32_t number) {
  for (; specs->number; specs++)
    if (specs->number == number) return specs;
  return NULL;
}

static ALWAYS_INLINE int wire_of(field_type type) {
  return type == F_U64 || type == F_I32 ? WIRE_VARINT : WIRE_LEN;
}

/* A map entry: key = 1 (string), value = 2 (uint64); either may be absent. */
static atf_status decode_map_entry(const atf_record *rec, const pb_field *entry,
                                   atf_register *reg, atf_error *err) {
  const uint8_t *p = entry->data, *end = entry->data + entry->len;
  /* The common shape, key then value, both short: read it directly. */
  if (entry->len >= 4 && p[0] == 0x0a && p[1] < 0x80 &&
      (size_t)p[1] + 3 <= entry->len && p[2 + p[1]] == 0x10) {
    size_t n;
    const uint8_t *v = p + 3 + p[1];
    if (field_varint(v, end, &reg->value, &n) == ATF_OK && v + n == end) {
      reg->name.ptr = p + 2;
      reg->name.len = p[1];
      return ATF_OK;
    }
  }
  reg->name.ptr = (const uint8_t *)"";
  reg->name.len = 0;
  reg->value = 0;
  while (p < end) {
    pb_field f;
    atf_status rc = next_field(rec, &p, end, &f, err);
    if (rc != ATF_OK) return rc;
    if (f.number == 1 && f.wire == WIRE_LEN) {
      reg->name.ptr = f.data;
      reg->name.len = f.len;
    } else if (f.number == 2 && f.wire == WIRE_VARINT) {
      reg->value = f.varint;
    }
  }
  return ATF_OK;
}

/* Steps through the fields of every occurrence of the payload member, as if
** they were one message. With ERR NULL the bytes are known to be valid. */
static atf_status payload_next(const atf_record *rec, atf_payload_iter *it,
                               pb_field *f, atf_error *err) {
  for (;;) {
    if (it->inner < it->inner_end)
      return any_field(rec, &it->inner, it->inner_end, f, err);
    if (it->outer >= it->outer_end) return ATF_END;
    pb_field occ;
    atf_status rc = any_field(rec, &it->outer, it->outer_end, &occ, err);
    if (rc != ATF_OK) return rc;
    if (occ.number == it->kind && occ.wire == WIRE_LEN) {
      it->inner = occ.data;
      it->inner_end = occ.data + occ.len;
    }
  }
}

void atf_payload_iter_init(const atf_event *ev, atf_payload_iter *it) {
  const atf_record *rec = &ev->record;
  it->outer = rec->body + ev->payload_from;
  it->outer_end = rec->body + rec->body_len;
  it->inner = it->inner_end = NULL;
  it->kind = (uint32_t)ev->kind;
}

/* Stores field F of a payload message whose fields SPECS describe. */
static ALWAYS_INLINE atf_status apply_field(const field_spec *specs,
                                            const pb_field *f,
                                            atf_payload *out) {
  const field_spec *spec = find_spec(specs, f->number);
  char *member;
  if (!spec || f->wire != wire_of(spec->type)) return ATF_OK; /* unknown */
  member = (char *)out + spec->member;
  switch (spec->type) {
  case F_BYTES: {
    atf_bytes b = {f->data, f->len};
    memcpy(member, &b, sizeof b);
    break;
  }
  case F_U64: memcpy(member, &f->varint, sizeof f->varint); break;
  case F_I32: {
    int32_t v = as_int32(f->varint);
    memcpy(member, &v, sizeof v);
    break;
  }
  case F_MAP: /* counted here, read (and checked) when asked for */
    out->register_count++;
    break;
  case F_ARGS: out->arg_count++; break;
  }
  return ATF_OK;
}

/* Oneof members that a later member replaced are gone from the event, but a
** protobuf parser still parsed them: damage inside them is damage. */
static atf_status validate_replaced(const atf_event *ev, atf_error *err) {
  const atf_record *rec = &ev->record;
  const uint8_t *p = rec->body, *end = rec->body + ev->payload_from;
  atf_payload scratch = {0};
  while (p < end) {
    pb_field occ, f;
    atf_status rc = next_field(rec, &p, end, &occ, err);
    const field_spec *specs = fields_of((atf_kind)occ.number);
    if (rc != ATF_OK) return rc;
    if (!is_payload_field(occ.number) || occ.wire != WIRE_LEN) continue;
    for (const uint8_t *q = occ.data; q < occ.data + occ.len;) {
      const field_spec *spec;
      rc = next_field(rec, &q, occ.data + occ.len, &f, err);
      if (rc != ATF_OK) return rc;
      /* Map entries too: no register walk will ever read these. */
      spec = find_spec(specs, f.number);
      if (spec && spec->type == F_MAP && f.wire == WIRE_LEN) {
        atf_register reg;
        rc = decode_map_entry(rec, &f, &reg, err);
      } else {
        rc = apply_field(specs, &f, &scratch);
      }
      if (rc != ATF_OK) return rc;
    }
  }
  return ATF_OK;
}

atf_status atf_payload_decode(const atf_event *ev, atf_payload *out,
                              atf_error *err) {
  const field_spec *specs = fields_of(ev->kind);
  atf_payload_iter it;
  pb_field f;
  atf_status rc;
  memset(out, 0, sizeof *out);
  if (!specs) return ATF_OK;
  if (ev->replaced && (rc = validate_replaced(ev, err)) != ATF_OK) return rc;
  /* The walk of payload_next, written out: this is the hot loop of every
  ** query that reads a payload column. */
  atf_payload_iter_init(ev, &it);
  while (it.outer < it.outer_end) {
    pb_field occ;
    rc = any_field(&ev->record, &it.outer, it.outer_end, &occ, err);
    if (rc != ATF_OK) return rc;
    if (occ.number != it.kind || occ.wire != WIRE_LEN) continue;
    for (const uint8_t *q = occ.data, *end = occ.data + occ.len; q < end;) {
      rc = any_field(&ev->record, &q, end, &f, err);
      if (rc == ATF_OK) rc = apply_field(specs, &f, out);
      if (rc != ATF_OK) return rc;
    }
  }
  return ATF_OK;
}

/* Next field of EV's payload with NUMBER and wire type 2. */
static atf_status payload_next_len(atf_payload_iter *it, uint32_t number,
                                   pb_field *f) {
  /* The payload was validated by atf_payload_decode, so no error can occur;
  ** a record used for these walks is only needed for error messages. */
  atf_record none = {0};
  atf_status rc;
  while ((rc = payload_next(&none, it, f, NULL)) == ATF_OK)
    if (f->number == number && f->wire == WIRE_LEN) return ATF_OK;
  return ATF_END;
}

atf_status atf_args_next(atf_payload_iter *it, atf_bytes *arg) {
  pb_field f;
  if (it->kind != ATF_KIND_TRACE_START) return ATF_END;
  if (payload_next_len(it, 2, &f) != ATF_OK) return ATF_END;
  arg->ptr = f.data;
  arg->len = f.len;
  return ATF_OK;
}

/* The next map entry of IT; REC and ERR name a malformed one. */
static atf_status next_register(atf_payload_iter *it, const atf_record *rec,
                                atf_register *reg, atf_error *err) {
  pb_field f;
  if (it->kind != ATF_KIND_FUNCTION_CALL &&
      it->kind != ATF_KIND_FUNCTION_RETURN &&
      it->kind != ATF_KIND_SIGNAL_DELIVERY)
    return ATF_END;
  if (payload_next_len(it, 3, &f) != ATF_OK) return ATF_END;
  return decode_map_entry(rec, &f, reg, err);
}

atf_status atf_registers_next(atf_payload_iter *it, atf_register *reg) {
  atf_record none = {0};
  return next_register(it, &none, reg, NULL);
}

static uint32_t hash_name(atf_bytes name) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < name.len; i++)
    h = (h ^ name.ptr[i]) * 16777619u;
  return h;
}

static int same_name(atf_bytes a, atf_bytes b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

atf_status atf_registers_collect(const atf_event *ev, atf_register *out,
                                 uint32_t cap, uint32_t *scratch,
                                 uint32_t *count, atf_error *err) {
  /* An open-addressing table of indices into OUT, sized to the largest power
  ** of two within 2 * CAP: always more slots than registers. */
  uint32_t slots = 1, n = 0, one_slot;
  atf_payload_iter it;
  atf_register reg;
  if (cap == 0) scratch = &one_slot;
  while (cap && slots <= cap)
    slots <<= 1;
  memset(scratch, 0xff, sizeof *scratch * slots);
  atf_payload_iter_init(ev, &it);
  atf_status rc;
  while ((rc = next_register(&it, &ev->record, &reg, err)) == ATF_OK) {
    uint32_t slot = hash_name(reg.name) & (slots - 1);
    while (scratch[slot] != UINT32_MAX &&
           !same_name(out[scratch[slot]].name, reg.name))
      slot = (slot + 1) & (slots - 1);
    if (scratch[slot] != UINT32_MAX) {
      out[scratch[slot]].value = reg.value; /* repeated key: last value */
      continue;
    }
    if (n == cap)
      return atf_fail(err, ATF_ERR_RANGE, ev->record.offset,
                      "%s: record at byte offset %llu: more registers than "
                      "the room given (%u)",
                      ev->record.source, (unsigned long long)ev->record.offset,
                      cap);
    scratch[slot] = n;
    out[n++] = reg;
  }
  if (rc != ATF_END) return rc;
  *count = n;
  return ATF_OK;
}
