/*
** test_decode.c - the Event decoder, one test per wire rule of docs/FORMAT.md
** section 3, on hand-built bytes.
*/
#include "atf_reader.h"
#include "check.h"
#include "testutil.h"

/* A record at byte offset 100 whose body is B (one prefix byte assumed). */
static atf_record record_of(const pb_buf *b) {
  atf_record r = {"events.bin", 100, b->len + 1, b->data, b->len};
  return r;
}

static atf_status decode_all(const pb_buf *b, atf_event *ev, atf_payload *p,
                             atf_error *err) {
  atf_record r = record_of(b);
  atf_status rc = atf_event_decode(&r, ev, err);
  return rc != ATF_OK ? rc : atf_payload_decode(ev, p, err);
}

/* The registers of EV, rendered "name=value,..." for easy comparison. */
static const char *registers_of(const atf_event *ev, const atf_payload *p) {
  static char out[512];
  atf_register regs[32];
  uint32_t scratch[64], n = 0;
  atf_error err;
  size_t len = 0;
  out[0] = 0;
  if (p->register_count > 32 ||
      atf_registers_collect(ev, regs, p->register_count, scratch, &n, &err))
    return "(error)";
  for (uint32_t i = 0; i < n; i++)
    len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s=%llu",
                            i ? "," : "", (int)regs[i].name.len,
                            (const char *)regs[i].name.ptr,
                            (unsigned long long)regs[i].value);
  return out;
}

static void entry(pb_buf *call, const char *key, int has_value,
                  uint64_t value) {
  pb_buf e = {0};
  if (key) pb_str(&e, 1, key);
  if (has_value) pb_uint(&e, 2, value);
  pb_msg(call, 3, &e);
}

static void decode__absent_fields__then_defaults(void) {
  pb_buf body = {0}, call = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(ev.event_id, 0);
  CHECK_I64(ev.thread_id, 0);
  CHECK(!ev.has_timestamp);
  CHECK(ev.kind == ATF_KIND_NONE);
  CHECK(atf_kind_name(ev.kind) == NULL);
  pb_msg(&body, 12, &call); /* an empty function_call */
  pb_msg(&body, 3, &call);  /* an empty timestamp: present, zero */
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK(ev.kind == ATF_KIND_FUNCTION_CALL);
  CHECK_STR(atf_kind_name(ev.kind), "function_call");
  CHECK(ev.has_timestamp);
  CHECK_I64(ev.ts_ns, 0);
  CHECK_U64(p.symbol.len, 0);
  CHECK_U64(p.address, 0);
  CHECK_U64(p.stack.len, 0);
  CHECK_U64(p.register_count, 0);
}

static void decode__unknown_fields_every_wire_type__then_skipped(void) {
  pb_buf body = {0}, call = {0}, group = {0};
  static const uint8_t eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_uint(&body, 99, 12345); /* varint */
  pb_tag(&body, 98, 1);      /* fixed64 */
  pb_raw(&body, eight, 8);
  pb_uint(&body, 1, 42);
  pb_str(&body, 97, "a newer tracer's text"); /* length-delimited */
  pb_tag(&body, 96, 3);                       /* a group, nested */
  pb_uint(&group, 1, 7);
  pb_tag(&group, 5, 3);
  pb_tag(&group, 5, 4);
  pb_raw(&body, group.data, group.len);
  pb_tag(&body, 96, 4);
  pb_tag(&body, 95, 5); /* fixed32 */
  pb_raw(&body, eight, 4);
  pb_str(&call, 1, "parse");
  pb_uint(&call, 77, 1); /* unknown inside the payload too */
  pb_tag(&call, 76, 5);
  pb_raw(&call, eight, 4);
  pb_msg(&body, 12, &call);
  pb_uint(&body, 2, 3);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(ev.event_id, 42);
  CHECK_I64(ev.thread_id, 3);
  CHECK(ev.kind == ATF_KIND_FUNCTION_CALL);
  CHECK_BYTES(p.symbol.ptr, p.symbol.len, "parse");
}

static void decode__known_field_wrong_wire_type__then_skipped(void) {
  pb_buf body = {0}, call = {0};
  static const uint8_t eight[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_uint(&body, 1, 5);
  pb_tag(&body, 1, 1); /* event_id as fixed64: not the event_id */
  pb_raw(&body, eight, 8);
  pb_str(&body, 2, "x"); /* thread_id as bytes */
  pb_uint(&call, 1, 3);  /* symbol as a varint */
  pb_str(&call, 2, "y"); /* address as bytes */
  pb_msg(&body, 12, &call);
  pb_uint(&body, 11, 1); /* trace_end as a varint: not a oneof member */
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(ev.event_id, 5);
  CHECK_I64(ev.thread_id, 0);
  CHECK(ev.kind == ATF_KIND_FUNCTION_CALL);
  CHECK_U64(p.symbol.len, 0);
  CHECK_U64(p.address, 0);
}

static void decode__repeated_scalar__then_last_wins(void) {
  pb_buf body = {0}, call = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_uint(&body, 1, 5);
  pb_uint(&body, 2, 8);
  pb_str(&call, 1, "first");
  pb_uint(&call, 2, 1);
  pb_str(&call, 1, "second");
  pb_uint(&call, 2, 2);
  pb_msg(&body, 12, &call);
  pb_uint(&body, 1, 7);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(ev.event_id, 7);
  CHECK_I64(ev.thread_id, 8);
  CHECK_BYTES(p.symbol.ptr, p.symbol.len, "second");
  CHECK_U64(p.address, 2);
}

static void decode__repeated_message__then_merged(void) {
  pb_buf body = {0}, ts1 = {0}, ts2 = {0}, call1 = {0}, call2 = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_uint(&ts1, 1, 1700000000);
  pb_uint(&ts1, 2, 5);
  pb_uint(&ts2, 2, 123); /* nanos only: seconds carry over */
  pb_msg(&body, 3, &ts1);
  pb_str(&call1, 1, "f");
  entry(&call1, "rdi", 1, 1);
  pb_msg(&body, 12, &call1);
  pb_uint(&body, 1, 9); /* other fields in between do not break the merge */
  pb_uint(&call2, 2, 0x400000);
  entry(&call2, "rsi", 1, 2);
  pb_msg(&body, 12, &call2);
  pb_msg(&body, 3, &ts2);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK(ev.has_timestamp);
  CHECK_I64(ev.ts_ns, 1700000000LL * 1000000000LL + 123);
  CHECK_BYTES(p.symbol.ptr, p.symbol.len, "f");
  CHECK_U64(p.address, 0x400000);
  CHECK_STR(registers_of(&ev, &p), "rdi=1,rsi=2");
}

static void decode__oneof_repeated_member__then_last_wins(void) {
  pb_buf body = {0}, call = {0}, end = {0}, call2 = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_str(&call, 1, "f");
  pb_uint(&end, 1, 3);
  pb_uint(&call2, 2, 5);
  pb_msg(&body, 12, &call);
  pb_msg(&body, 11, &end);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK(ev.kind == ATF_KIND_TRACE_END);
  CHECK_I64(p.exit_code, 3);
  /* Back to function_call: the first call was cleared by trace_end. */
  pb_msg(&body, 12, &call2);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK(ev.kind == ATF_KIND_FUNCTION_CALL);
  CHECK_U64(p.symbol.len, 0);
  CHECK_U64(p.address, 5);
  CHECK_I64(p.exit_code, 0);
}

static void decode__map_entry_missing_key_or_value__then_defaults(void) {
  pb_buf body = {0}, call = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  entry(&call, "rdi", 0, 0); /* key alone: the real writer's value 0 */
  entry(&call, NULL, 1, 7);  /* value alone: key "" */
  entry(&call, "rsi", 1, 1);
  pb_msg(&body, 12, &call);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(p.register_count, 3);
  CHECK_STR(registers_of(&ev, &p), "rdi=0,=7,rsi=1");
}

static void decode__map_duplicate_key__then_last_value_first_place(void) {
  pb_buf body = {0}, ret = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  entry(&ret, "rax", 1, 1);
  entry(&ret, "rdx", 1, 2);
  entry(&ret, "rax", 1, 3);
  pb_msg(&body, 13, &ret);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(p.register_count, 3);
  CHECK_STR(registers_of(&ev, &p), "rax=3,rdx=2");
}

static void decode__negative_int32__then_sign_extended(void) {
  pb_buf body = {0}, end = {0}, sig = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_uint(&body, 2, (uint64_t)(int64_t)-3); /* 10-byte varint */
  pb_uint(&end, 1, (uint64_t)(int64_t)-11);
  pb_msg(&body, 11, &end);
  CHECK_U64(body.len, (1 + 10) + (1 + 1 + (1 + 10))); /* tags, lengths */
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_I64(ev.thread_id, -3);
  CHECK_I64(p.exit_code, -11);
  pb_uint(&sig, 1, (uint64_t)(int64_t)INT32_MIN);
  pb_str(&sig, 2, "SIGSEGV");
  pb_msg(&body, 14, &sig);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK(ev.kind == ATF_KIND_SIGNAL_DELIVERY);
  CHECK_I64(p.signal_number, INT32_MIN);
  CHECK_BYTES(p.signal_name.ptr, p.signal_name.len, "SIGSEGV");
}

static void decode__full_range_uint64__then_exact(void) {
  pb_buf body = {0}, call = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_uint(&body, 1, UINT64_MAX);
  pb_uint(&call, 2, 0xffffffff81000000ull);
  entry(&call, "rdi", 1, UINT64_MAX);
  entry(&call, "rsi", 1, (uint64_t)1 << 63);
  pb_msg(&body, 12, &call);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(ev.event_id, UINT64_MAX);
  CHECK_U64(p.address, 0xffffffff81000000ull);
  CHECK_STR(registers_of(&ev, &p),
            "rdi=18446744073709551615,rsi=9223372036854775808");
}

static void decode__trace_start__then_every_field(void) {
  pb_buf body = {0}, start = {0};
  atf_event ev;
  atf_payload p;
  atf_payload_iter it;
  atf_bytes arg;
  atf_error err;
  static const char *const args[] = {"/usr/bin/demo", "value with spaces",
                                     "\xc3\xbcn\xc3\xaf"};
  pb_str(&start, 1, "/usr/bin/demo");
  for (int i = 0; i < 3; i++)
    pb_str(&start, 2, args[i]);
  pb_str(&start, 3, "linux");
  pb_str(&start, 4, "aarch64");
  pb_msg(&body, 10, &start);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK(ev.kind == ATF_KIND_TRACE_START);
  CHECK_BYTES(p.executable_path.ptr, p.executable_path.len, "/usr/bin/demo");
  CHECK_BYTES(p.operating_system.ptr, p.operating_system.len, "linux");
  CHECK_BYTES(p.cpu_architecture.ptr, p.cpu_architecture.len, "aarch64");
  CHECK_U64(p.arg_count, 3);
  atf_payload_iter_init(&ev, &it);
  for (int i = 0; i < 3; i++) {
    CHECK(atf_args_next(&it, &arg) == ATF_OK);
    CHECK_BYTES(arg.ptr, arg.len, args[i]);
  }
  CHECK(atf_args_next(&it, &arg) == ATF_END);
}

static void decode__strings_with_nul_or_bad_utf8__then_kept_whole(void) {
  pb_buf body = {0}, call = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_bytes(&call, 1, "a\0b\xff", 4);
  pb_msg(&body, 12, &call);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(p.symbol.len, 4); /* not cut at the NUL */
  CHECK(!atf_utf8_valid(p.symbol.ptr, p.symbol.len));
  CHECK(atf_utf8_valid((const uint8_t *)"a\0b", 3));
  CHECK(atf_utf8_valid((const uint8_t *)"\xc3\xbc\xe2\x82\xac", 5));
  CHECK(!atf_utf8_valid((const uint8_t *)"\xc0\x80", 2));     /* overlong */
  CHECK(!atf_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
  CHECK(!atf_utf8_valid((const uint8_t *)"\xe2\x82", 2));     /* cut */
}

/* Decodes BODY's header and payload; the first error, or ATF_OK. */
static atf_status first_error(const pb_buf *body, atf_error *err) {
  atf_event ev;
  atf_payload p;
  return decode_all(body, &ev, &p, err);
}

static void decode__invalid_wire_type__then_error(void) {
  for (int wire = 6; wire <= 7; wire++) {
    pb_buf body = {0};
    atf_error err;
    char expected[32];
    pb_uint(&body, 1, 1);
    pb_tag(&body, 5, wire);
    CHECK(first_error(&body, &err) == ATF_ERR_PROTOBUF);
    CHECK_U64(err.offset, 100);
    snprintf(expected, sizeof expected, "wire type %d", wire);
    CHECK(strstr(err.message, expected) != NULL);
    CHECK(strstr(err.message, "events.bin") != NULL);
    CHECK(strstr(err.message, "offset 100") != NULL);
    CHECK(strstr(err.message, "byte 103") != NULL); /* 100 + prefix + 2 */
  }
}

static void decode__field_number_zero__then_error(void) {
  pb_buf body = {0};
  atf_error err;
  pb_uint(&body, 0, 1);
  CHECK(first_error(&body, &err) == ATF_ERR_PROTOBUF);
  CHECK(strstr(err.message, "field number 0") != NULL);
}

static void decode__nested_length_beyond_message__then_error(void) {
  pb_buf body = {0};
  atf_error err;
  pb_tag(&body, 12, 2);
  pb_varint(&body, 50); /* 50 bytes announced, 2 follow */
  pb_raw(&body, "\x08\x01", 2);
  CHECK(first_error(&body, &err) == ATF_ERR_PROTOBUF);
  CHECK(strstr(err.message, "beyond the end") != NULL);
}

static void decode__truncated_inside_record__then_error(void) {
  pb_buf body = {0};
  atf_error err;
  pb_tag(&body, 1, 0);
  pb_raw(&body, "\xff\xff", 2); /* a varint cut by the end of the record */
  CHECK(first_error(&body, &err) == ATF_ERR_PROTOBUF);
  CHECK(strstr(err.message, "cut short") != NULL);
}

static void decode__malformed_payload__then_payload_error_only(void) {
  /* The header reads fine; the damage inside function_call shows when the
  ** payload is decoded (columns a query does not use are not decoded). */
  pb_buf body = {0}, call = {0};
  atf_record r;
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_uint(&body, 1, 4);
  pb_tag(&call, 3, 7);
  pb_msg(&body, 12, &call);
  r = record_of(&body);
  CHECK(atf_event_decode(&r, &ev, &err) == ATF_OK);
  CHECK_U64(ev.event_id, 4);
  CHECK(atf_payload_decode(&ev, &p, &err) == ATF_ERR_PROTOBUF);
  CHECK(strstr(err.message, "wire type 7") != NULL);
}

static void decode__malformed_map_entry__then_registers_error(void) {
  /* Entries are read when registers are asked for, and checked then. */
  pb_buf body = {0}, call = {0}, bad = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  atf_register regs[4];
  uint32_t scratch[8], n;
  pb_str(&call, 1, "f");
  entry(&call, "rdi", 1, 1);
  pb_tag(&bad, 2, 7);
  pb_msg(&call, 3, &bad);
  pb_msg(&body, 12, &call);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_BYTES(p.symbol.ptr, p.symbol.len, "f");
  CHECK_U64(p.register_count, 2);
  CHECK(atf_registers_collect(&ev, regs, 4, scratch, &n, &err) ==
        ATF_ERR_PROTOBUF);
  CHECK(strstr(err.message, "offset 100") != NULL);
  CHECK(strstr(err.message, "wire type 7") != NULL);
}

static void decode__replaced_oneof_member_malformed__then_error(void) {
  /* A function_call holding a wire type 7 tag, replaced by a valid
  ** function_return: the parser still read the call, so it is damage. */
  pb_buf body = {0}, call = {0}, ret = {0};
  atf_error err;
  pb_uint(&body, 1, 1);
  pb_tag(&call, 1, 7);
  pb_msg(&body, 12, &call);
  pb_msg(&body, 13, &ret);
  CHECK(first_error(&body, &err) == ATF_ERR_PROTOBUF);
  CHECK(strstr(err.message, "wire type 7") != NULL);
  /* The same inside a map entry of the replaced member (found by fuzzing:
  ** 62 03 1a 01 0f 5a 00, a call replaced by an empty trace_end). */
  pb_buf body2 = {0};
  pb_raw(&body2, "\x62\x03\x1a\x01\x0f\x5a\x00", 7);
  CHECK(first_error(&body2, &err) == ATF_ERR_PROTOBUF);
  CHECK(strstr(err.message, "wire type 7") != NULL);
}

static void decode__ten_byte_varint_overflow__then_high_bits_dropped(void) {
  /* Google's parsers keep the low 64 bits of a 10-byte field varint. */
  pb_buf body = {0};
  atf_event ev;
  atf_payload p;
  atf_error err;
  pb_tag(&body, 1, 0);
  pb_raw(&body, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10);
  CHECK(decode_all(&body, &ev, &p, &err) == ATF_OK);
  CHECK_U64(ev.event_id, UINT64_MAX);
}

static void decode__groups_nested_100_deep__then_skipped_101_error(void) {
  for (int depth = 100; depth <= 101; depth++) {
    pb_buf body = {0};
    atf_event ev;
    atf_payload p;
    atf_error err;
    for (int i = 0; i < depth; i++)
      pb_tag(&body, 5, 3);
    for (int i = 0; i < depth; i++)
      pb_tag(&body, 5, 4);
    pb_uint(&body, 1, 1);
    atf_status rc = decode_all(&body, &ev, &p, &err);
    if (depth == 100) {
      CHECK(rc == ATF_OK);
      CHECK_U64(ev.event_id, 1);
    } else {
      CHECK(rc == ATF_ERR_PROTOBUF);
      CHECK(strstr(err.message, "nested too deep") != NULL);
    }
  }
}

static void decode__unmatched_group__then_error(void) {
  pb_buf end_alone = {0}, open_alone = {0}, mismatched = {0};
  atf_error err;
  pb_tag(&end_alone, 9, 4);
  CHECK(first_error(&end_alone, &err) == ATF_ERR_PROTOBUF);
  pb_tag(&open_alone, 9, 3);
  pb_uint(&open_alone, 1, 1);
  CHECK(first_error(&open_alone, &err) == ATF_ERR_PROTOBUF);
  pb_tag(&mismatched, 9, 3);
  pb_tag(&mismatched, 8, 4);
  CHECK(first_error(&mismatched, &err) == ATF_ERR_PROTOBUF);
}

static void decode__timestamp_beyond_int64_ns__then_error(void) {
  pb_buf body = {0}, ts = {0};
  atf_error err;
  pb_uint(&ts, 1, (uint64_t)1 << 62);
  pb_msg(&body, 3, &ts);
  CHECK(first_error(&body, &err) == ATF_ERR_RANGE);
  CHECK(strstr(err.message, "timestamp") != NULL);
}

/* The nanoseconds of (SECONDS, NANOS) as decoded, or "error". */
static const char *ts_of(int64_t seconds, int32_t nanos) {
  static char out[64];
  pb_buf body = {0}, ts = {0};
  atf_record r;
  atf_event ev;
  atf_error err;
  pb_uint(&ts, 1, (uint64_t)seconds);
  pb_uint(&ts, 2, (uint64_t)(int64_t)nanos);
  pb_msg(&body, 3, &ts);
  r = record_of(&body);
  if (atf_event_decode(&r, &ev, &err) != ATF_OK) return "error";
  snprintf(out, sizeof out, "%lld", (long long)ev.ts_ns);
  return out;
}

static void decode__timestamp_at_int64_edges__then_exact(void) {
  /* seconds * 1e9 alone overflows; with the nanos it fits. */
  CHECK_STR(ts_of(-9223372037, 145224192), "-9223372036854775808");
  CHECK_STR(ts_of(9223372036, 854775807), "9223372036854775807");
  CHECK_STR(ts_of(-1, 999999999), "-1");
  CHECK_STR(ts_of(0, -1), "-1"); /* an encoder may write negative nanos */
  CHECK_STR(ts_of(-9223372037, 145224191), "error");
  CHECK_STR(ts_of(9223372036, 854775808), "error");
}

static const check_case cases[] = {
    CASE(decode__absent_fields__then_defaults),
    CASE(decode__unknown_fields_every_wire_type__then_skipped),
    CASE(decode__known_field_wrong_wire_type__then_skipped),
    CASE(decode__repeated_scalar__then_last_wins),
    CASE(decode__repeated_message__then_merged),
    CASE(decode__oneof_repeated_member__then_last_wins),
    CASE(decode__map_entry_missing_key_or_value__then_defaults),
    CASE(decode__map_duplicate_key__then_last_value_first_place),
    CASE(decode__negative_int32__then_sign_extended),
    CASE(decode__full_range_uint64__then_exact),
    CASE(decode__trace_start__then_every_field),
    CASE(decode__strings_with_nul_or_bad_utf8__then_kept_whole),
    CASE(decode__invalid_wire_type__then_error),
    CASE(decode__field_number_zero__then_error),
    CASE(decode__nested_length_beyond_message__then_error),
    CASE(decode__truncated_inside_record__then_error),
    CASE(decode__malformed_payload__then_payload_error_only),
    CASE(decode__malformed_map_entry__then_registers_error),
    CASE(decode__replaced_oneof_member_malformed__then_error),
    CASE(decode__ten_byte_varint_overflow__then_high_bits_dropped),
    CASE(decode__groups_nested_100_deep__then_skipped_101_error),
    CASE(decode__unmatched_group__then_error),
    CASE(decode__timestamp_beyond_int64_ns__then_error),
    CASE(decode__timestamp_at_int64_edges__then_exact),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
