/*
** test_manifest.c - trace.json: strict JSON, required keys, types, exact
** 64-bit integers, and what is kept and noted (control characters, bytes
** that are not UTF-8).
*/
#include "atf_reader.h"
#include "check.h"
#include "testutil.h"

static atf_status parse(const char *json, atf_manifest *m, atf_error *err) {
  return atf_manifest_parse(json, strlen(json), "trace.json", m, err);
}

#define REQUIRED                                                               \
  "\"os\":\"linux\",\"arch\":\"x86_64\",\"timeStartNs\":1,"                    \
  "\"timeEndNs\":2,\"eventCount\":3"

#define REQUIRED_BUT_OS                                                        \
  "\"arch\":\"x86_64\",\"timeStartNs\":1,\"timeEndNs\":2,\"eventCount\":3"

/* A document written with one '@' where a position is expected: TEXT[0..LEN)
** holds NUL bytes too. */
typedef struct marked {
  const char *text;
  size_t len;
  const char *says; /* a part of the expected message */
} marked;
#define MARKED(text, says)                                                     \
  { text, sizeof(text) - 1, says }

/* Copies D's text without its '@' into OUT; returns the marked offset. */
static size_t unmark(const marked *d, char *out, size_t cap, size_t *len) {
  size_t at = SIZE_MAX, n = 0;
  for (size_t i = 0; i < d->len && n < cap; i++)
    if (d->text[i] == '@')
      at = n;
    else
      out[n++] = d->text[i];
  *len = n;
  return at;
}

/* D is not JSON: an ATF_ERR_JSON at the marked byte, and a message that
** names the file and that byte and says what D->says. */
static void expect_json_error(const marked *d) {
  char text[2048], prefix[80];
  size_t len, at = unmark(d, text, sizeof text, &len);
  atf_manifest m;
  atf_error err;
  atf_status rc = atf_manifest_parse(text, len, "trace.json", &m, &err);
  snprintf(prefix, sizeof prefix,
           "trace.json: byte offset %zu: malformed JSON: ", at);
  if (rc != ATF_ERR_JSON || err.offset != at ||
      strncmp(err.message, prefix, strlen(prefix)) != 0 ||
      !strstr(err.message, d->says)) {
    fprintf(stderr,
            "document %.*s (error expected at %zu, saying '%s'): "
            "status %d at %llu: %s\n",
            (int)len, text, at, d->says, (int)rc,
            (unsigned long long)err.offset, rc == ATF_OK ? "" : err.message);
    check_failures++;
  }
  if (rc == ATF_OK) atf_manifest_free(&m);
}

static void manifest__valid_json__then_parsed(void) {
  atf_manifest m;
  atf_error err;
  uint64_t duration = 0;
  const char *json =
      "{\n  \"os\": \"linux\",\n  \"arch\": \"x86_64\",\n  \"pid\": 4242,\n"
      "  \"sessionId\": 777,\n  \"timeStartNs\": 1795626492336936044,\n"
      "  \"timeEndNs\": 1795626492337555818,\n  \"eventCount\": 103,\n"
      "  \"bytesWritten\": 11421,\n  \"modules\": "
      "[\"11111111-2222-3333-4444-555555555555\"],\n"
      "  \"futureKey\": {\"nested\": [1.5, -2, 3e4]}\n}\n";
  CHECK(parse(json, &m, &err) == ATF_OK);
  CHECK_STR(m.os, "linux");
  CHECK_STR(m.arch, "x86_64");
  CHECK(m.has_pid);
  CHECK_I64(m.pid, 4242);
  CHECK(m.session_id.present);
  CHECK_U64(m.session_id.value, 777);
  CHECK_U64(m.time_start_ns, 1795626492336936044ull);
  CHECK_U64(m.time_end_ns, 1795626492337555818ull);
  CHECK_U64(m.event_count, 103);
  CHECK(m.bytes_written.present);
  CHECK_U64(m.bytes_written.value, 11421);
  CHECK(!m.span_count.present && !m.events_file_size.present);
  CHECK_U64(m.module_count, 1);
  CHECK_STR(m.modules[0], "11111111-2222-3333-4444-555555555555");
  CHECK_STR(m.modules_json, "[\"11111111-2222-3333-4444-555555555555\"]");
  CHECK(strstr(m.json, "\"futureKey\"") != NULL); /* unknown keys kept */
  CHECK(atf_manifest_duration_ns(&m, &duration, &err) == ATF_OK);
  CHECK_U64(duration, 619774);
  atf_manifest_free(&m);
}

static void manifest__draft_keys__then_parsed(void) {
  atf_manifest m;
  atf_error err;
  CHECK(parse("{" REQUIRED ",\"spanCount\":5,\"firstEventOffset\":0,"
              "\"lastEventOffset\":6835,\"eventsFileSize\":6866}",
              &m, &err) == ATF_OK);
  CHECK(m.span_count.present && m.span_count.value == 5);
  CHECK(m.first_event_offset.present && m.first_event_offset.value == 0);
  CHECK_U64(m.last_event_offset.value, 6835);
  CHECK_U64(m.events_file_size.value, 6866);
  CHECK(!m.has_pid);
  CHECK_STR(m.modules_json, "[]");
  atf_manifest_free(&m);
}

static void manifest__u64_max__then_exact(void) {
  atf_manifest m;
  atf_error err;
  CHECK(parse("{\"os\":\"linux\",\"arch\":\"x86_64\","
              "\"timeStartNs\":18446744073709551615,"
              "\"timeEndNs\":18446744073709551615,"
              "\"sessionId\":9007199254740993,\"eventCount\":0}",
              &m, &err) == ATF_OK);
  CHECK_U64(m.time_start_ns, UINT64_MAX);
  CHECK_U64(m.time_end_ns, UINT64_MAX);
  CHECK_U64(m.session_id.value, 9007199254740993ull); /* 2^53 + 1 */
  atf_manifest_free(&m);
}

static void manifest__missing_field__then_error(void) {
  static const char *const docs[] = {
      "{\"arch\":\"x86_64\",\"timeStartNs\":1,\"timeEndNs\":2,\"eventCount\":"
      "3}",
      "{\"os\":\"linux\",\"timeStartNs\":1,\"timeEndNs\":2,\"eventCount\":3}",
      "{\"os\":\"linux\",\"arch\":\"x86_64\",\"timeEndNs\":2,\"eventCount\":3}",
      "{\"os\":\"linux\",\"arch\":\"x86_64\",\"timeStartNs\":1,\"eventCount\":"
      "3}",
      "{\"os\":\"linux\",\"arch\":\"x86_64\",\"timeStartNs\":1,\"timeEndNs\":"
      "2}"};
  static const char *const keys[] = {"\"os\"", "\"arch\"", "\"timeStartNs\"",
                                     "\"timeEndNs\"", "\"eventCount\""};
  for (size_t i = 0; i < 5; i++) {
    atf_manifest m;
    atf_error err;
    CHECK(parse(docs[i], &m, &err) == ATF_ERR_MANIFEST);
    CHECK(strstr(err.message, keys[i]) != NULL);
    CHECK(strstr(err.message, "missing") != NULL);
    CHECK(strstr(err.message, "trace.json") != NULL);
  }
}

static void manifest__wrong_type__then_error(void) {
  static const char *const docs[] = {
      "{" REQUIRED ",\"pid\":\"4242\"}",
      "{" REQUIRED ",\"sessionId\":-1}",
      "{" REQUIRED ",\"bytesWritten\":1.5}",
      "{" REQUIRED ",\"modules\":[1]}",
      "{" REQUIRED ",\"spanCount\":18446744073709551616}",
      "{\"os\":7,\"arch\":\"x86_64\",\"timeStartNs\":1,\"timeEndNs\":2,"
      "\"eventCount\":3}",
      "[1, 2]"};
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    atf_manifest m;
    atf_error err;
    CHECK(parse(docs[i], &m, &err) == ATF_ERR_MANIFEST);
    CHECK(strstr(err.message, "trace.json") != NULL);
  }
}

static void manifest__malformed_json__then_error(void) {
  static const char *const docs[] = {"", "{", "{\"os\": \"linux\",}",
                                     "{\"os\":\"linux\"} trailing", "nul"};
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    atf_manifest m;
    atf_error err;
    CHECK(parse(docs[i], &m, &err) == ATF_ERR_JSON);
    CHECK(strstr(err.message, "trace.json") != NULL);
  }
}

static void manifest__nul_or_duplicate_key__then_error(void) {
  static const marked docs[] = {
      MARKED("{\"os@\\u0000x\":\"evil\"," REQUIRED "}",
             "byte offset 4: a NUL character (\\u0000)"),
      MARKED("{" REQUIRED ",\"modules\":[\"a@\\u0000b\"]}", "NUL character"),
      MARKED("{" REQUIRED ",\"eventCount\":7}", "\"eventCount\" appears")};
  for (size_t i = 0; i < 3; i++) {
    char text[256];
    size_t len, at = unmark(&docs[i], text, sizeof text, &len);
    atf_manifest m;
    atf_error err;
    CHECK(atf_manifest_parse(text, len, "trace.json", &m, &err) ==
          ATF_ERR_MANIFEST);
    CHECK(strstr(err.message, docs[i].says) != NULL);
    CHECK_U64(err.offset, i < 2 ? at : ATF_NO_OFFSET);
  }
  /* An escaped backslash before u0000 is no NUL. */
  atf_manifest m;
  atf_error err;
  CHECK(parse("{" REQUIRED ",\"note\":\"C:\\\\u0000\"}", &m, &err) == ATF_OK);
  atf_manifest_free(&m);
}

/* 100,000 keys, two of the last ones given twice: the one whose first
** occurrence comes first is named, whatever the order of the repeats. Found
** by sorting: comparing pairs took 8 s on such a file. */
static void manifest__duplicate_among_100k_keys__then_first_named(void) {
  size_t cap = 2000000, len = 0;
  char *text = malloc(cap);
  atf_manifest m;
  atf_error err;
  len += (size_t)snprintf(text + len, cap - len, "{" REQUIRED);
  for (int i = 0; i < 100000; i++)
    len += (size_t)snprintf(text + len, cap - len, ",\"k%d\":%d", i, i);
  len += (size_t)snprintf(text + len, cap - len, ",\"k99998\":1,\"k99990\":1}");
  CHECK(atf_manifest_parse(text, len, "trace.json", &m, &err) ==
        ATF_ERR_MANIFEST);
  CHECK_STR(err.message, "trace.json: key \"k99990\" appears more than once");
  free(text);
}

/* Each form that cJSON accepts and JSON (RFC 8259) does not, and the other
** ways of not being JSON: an error at the marked byte. */
static void manifest__not_json__then_error_at_its_byte(void) {
  static const marked docs[] = {
      /* leading zeros */
      MARKED("{\"sessionId\":@0777," REQUIRED "}", "'0777' has a leading zero"),
      MARKED("{" REQUIRED ",\"pid\":@-01}", "'-01' has a leading zero"),
      MARKED("{" REQUIRED ",\"x\":[1,@00]}", "leading zero"),
      MARKED("{" REQUIRED ",\"x\":@-00.5}", "leading zero"),
      /* bad escapes */
      MARKED("{\"os\":\"lin@\\u00zzux\"," REQUIRED_BUT_OS "}",
             "bad escape: \\u takes four hex digits, found 'z'"),
      MARKED("{" REQUIRED ",\"x\":\"@\\u12\"}", "bad escape"),
      MARKED("{" REQUIRED ",\"x\":\"a@\\x41\"}", "unknown escape"),
      MARKED("{" REQUIRED ",\"x\":\"@\\U00e9\"}", "unknown escape"),
      MARKED("{" REQUIRED ",\"x\":\"@\\'\"}", "unknown escape"),
      MARKED("{" REQUIRED ",\"x\":\"@\\\x01\"}", "followed by byte 0x01"),
      /* unpaired surrogates */
      MARKED("{" REQUIRED ",\"x\":\"@\\ud800\"}",
             "\\ud800 is not followed by a low surrogate"),
      MARKED("{" REQUIRED ",\"x\":\"@\\udc00\"}",
             "\\udc00 has no high surrogate before it"),
      MARKED("{" REQUIRED ",\"x\":\"ab@\\ud83d\\u0041\"}",
             "unpaired surrogate"),
      MARKED("{" REQUIRED ",\"x\":\"@\\uD83Dx\"}", "unpaired surrogate"),
      MARKED("{" REQUIRED ",\"x\":\"@\\udbff\\udbff\\udc00\"}",
             "unpaired surrogate"),
      MARKED("{" REQUIRED ",\"x\":\"\\ud83d\\ude00@\\ude00\"}",
             "unpaired surrogate"),
      /* trailing commas */
      MARKED("{" REQUIRED "@,}", "a trailing comma before '}'"),
      MARKED("{" REQUIRED ",\"x\":[1@,]}", "a trailing comma before ']'"),
      MARKED("{" REQUIRED ",\"x\":[1@, \n]}", "trailing comma"),
      /* comments */
      MARKED("{" REQUIRED " @// note\n}", "a comment"),
      MARKED("@/* note */{" REQUIRED "}", "a comment"),
      MARKED("{" REQUIRED ",\"x\":@/* c */1}", "a comment"),
      /* single quotes */
      MARKED("{@'os':'linux'," REQUIRED_BUT_OS "}", "a single quote"),
      MARKED("{" REQUIRED ",\"x\":@'a'}", "a single quote"),
      /* NaN and Infinity */
      MARKED("{" REQUIRED ",\"x\":@NaN}", "NaN is not a JSON value"),
      MARKED("{" REQUIRED ",\"x\":@Infinity}", "Infinity is not a JSON value"),
      MARKED("{" REQUIRED ",\"x\":@-Infinity}", "-Infinity is not"),
      /* numbers */
      MARKED("{" REQUIRED ",\"x\":@1.}", "'1.' has no digit after its decimal"),
      MARKED("{" REQUIRED ",\"x\":@1.e5}", "no digit after its decimal point"),
      MARKED("{" REQUIRED ",\"x\":@-.5}", "'-.5' has no digit after its '-'"),
      MARKED("{" REQUIRED ",\"x\":@+1}", "'+1' does not begin with a digit"),
      MARKED("{" REQUIRED ",\"x\":@.5}", "does not begin with a digit"),
      MARKED("{" REQUIRED ",\"x\":@1e}", "'1e' has no digit in its exponent"),
      MARKED("{" REQUIRED ",\"x\":@1E+}", "no digit in its exponent"),
      MARKED("{" REQUIRED ",\"x\":@-}", "no digit after its '-'"),
      MARKED("{" REQUIRED ",\"x\":@1.5.2}", "'1.5.2' is not a JSON number"),
      MARKED("{" REQUIRED ",\"x\":0@x1F}", "expected ',' or '}'"),
      /* a byte order mark */
      MARKED("@\xef\xbb\xbf{" REQUIRED "}", "a byte order mark"),
      /* trailing garbage */
      MARKED("{" REQUIRED "} @x", "after the value, found 'x'"),
      MARKED("{" REQUIRED "}\n@{}", "after the value"),
      MARKED("{" REQUIRED "}@\0", "a NUL byte"),
      /* unterminated */
      MARKED("{" REQUIRED ",\"x\":\"abc@", "ends inside a string begun at"),
      MARKED("{" REQUIRED ",\"x\":\"\\u00@", "ends inside a string"),
      MARKED("{" REQUIRED ",\"x\":\"\\@", "ends inside a string"),
      MARKED("{" REQUIRED ",\"x\":\"\\ud83d@", "ends inside a string"),
      MARKED("{" REQUIRED ",\"x\":[1,2@", "ends inside an array begun at"),
      MARKED("{" REQUIRED "@", "ends inside an object begun at byte 0"),
      MARKED("{" REQUIRED ",\"x\":@", "ends inside an object"),
      MARKED("{" REQUIRED ",\"x\"@", "ends inside an object"),
      /* NUL bytes */
      MARKED("{" REQUIRED ",\"x\":\"a@\0b\"}", "a NUL byte inside a string"),
      MARKED("{" REQUIRED ",@\0\"x\":1}", "a NUL byte"),
      MARKED("@\0{" REQUIRED "}", "a NUL byte"),
      /* white space other than space, tab, LF, CR */
      MARKED("{" REQUIRED "@\f}", "found byte 0x0c"),
      MARKED("{" REQUIRED "@\v}", "found byte 0x0b"),
      MARKED("{" REQUIRED "@\xc2\xa0}", "found byte 0xc2"),
      /* structure */
      MARKED("{@1:2}", "expected an object key"),
      MARKED("{\"a\" @1}", "expected ':'"),
      MARKED("{" REQUIRED ",\"x\":[1 @2]}", "expected ',' or ']'"),
      MARKED("{" REQUIRED ",\"x\":[1]@]}", "expected ',' or '}'"),
      MARKED("{" REQUIRED ",\"x\":@tru}", "expected a value"),
      MARKED("{" REQUIRED ",\"x\":@True}", "expected a value, found 'T'"),
      MARKED("{" REQUIRED ",\"x\":@undefined}", "expected a value"),
      MARKED("{" REQUIRED ",\"x\":@}", "expected a value, found '}'"),
      MARKED(" \t\r\n@", "no value"),
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
    expect_json_error(&docs[i]);
}

/* Valid JSON at its edges, all of it taken: numbers of every form in keys
** the manifest does not know, escapes, surrogate pairs, nesting, the four
** kinds of white space around every token. */
static void manifest__edge_json__then_accepted(void) {
  static const char json[] =
      " \t\r\n{ \t\r\n\"os\" \t\r\n: \t\r\n"
      "\"\\u00e9\\ud83d\\ude00\\uD83D\\uDE00\\\"\\\\\\/"
      "\\b\\f\\n\\r\\t\\u001f\"\r\n"
      ",\t\"arch\":\"x86_64\x7f\xc3\xa9\",\n"
      "\"numbers\": [1e5, -0.5E-3, 0, -0, 1E+2, 0.0e-0, -0e0, 10E-2, "
      "123456789012345678901234567890, 1.5e-400, 2e400],\n"
      "\"f\": 2.5e3, \"g\": -0, \"h\": 0,\n"
      "\"timeStartNs\" : 5 ,\n"
      "\"nested\": {\"a\": {\"b\": [[], {}, [{}], true, false, null, \"\", "
      "[1, [2, [3]]]]}},\n"
      "\"empty\": {}, \"none\": [], \"t\": true, \"n\": null,\n"
      "\"timeEndNs\":9007199254740993,\"eventCount\":0,\"sessionId\":0,\n"
      "\"modules\" : [ \"a\" , \"b\\u00e9\" ]\t}\r\n ";
  atf_manifest m;
  atf_error err;
  atf_status rc = parse(json, &m, &err);
  CHECK(rc == ATF_OK);
  if (rc != ATF_OK) {
    fprintf(stderr, "%s\n", err.message);
    return;
  }
  CHECK_STR(m.os,
            "\xc3\xa9\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"\\/\b\f\n\r\t\x1f");
  CHECK_STR(m.arch, "x86_64\x7f\xc3\xa9");
  CHECK_U64(m.time_start_ns, 5);
  CHECK_U64(m.time_end_ns, 9007199254740993ull); /* 2^53 + 1: exact */
  CHECK_U64(m.event_count, 0);
  CHECK(m.session_id.present && m.session_id.value == 0);
  CHECK_U64(m.module_count, 2);
  CHECK_STR(m.modules[1], "b\xc3\xa9");
  /* Escaped characters are not raw ones: nothing to note. */
  CHECK_U64(m.notes.control_strings, 0);
  CHECK_U64(m.notes.invalid_utf8_strings, 0);
  CHECK_U64(m.notes.first_control, ATF_NO_OFFSET);
  atf_manifest_free(&m);
}

/* Arrays and objects nest ATF_JSON_MAX_DEPTH deep, the top-level object
** included; one more is an error at the '[' that opens it, however deep the
** text goes on (no recursion to exhaust the stack). */
static void manifest__nesting__then_bounded(void) {
  const char head[] = "{" REQUIRED ",\"deep\":";
  size_t prefix = sizeof head - 1;
  for (size_t arrays = ATF_JSON_MAX_DEPTH - 1; arrays <= 1000000;
       arrays = arrays == ATF_JSON_MAX_DEPTH - 1 ? ATF_JSON_MAX_DEPTH
                                                 : arrays * 1000) {
    size_t len = prefix + 2 * arrays + 1;
    char *text = malloc(len);
    atf_manifest m;
    atf_error err;
    memcpy(text, head, prefix);
    memset(text + prefix, '[', arrays);
    memset(text + prefix + arrays, ']', arrays);
    text[len - 1] = '}';
    atf_status rc = atf_manifest_parse(text, len, "trace.json", &m, &err);
    if (arrays < ATF_JSON_MAX_DEPTH) {
      CHECK(rc == ATF_OK);
      if (rc == ATF_OK) atf_manifest_free(&m);
    } else {
      CHECK(rc == ATF_ERR_JSON);
      CHECK_U64(err.offset, prefix + ATF_JSON_MAX_DEPTH - 1);
      CHECK(strstr(err.message, "nested more than 512 deep") != NULL);
    }
    free(text);
  }
}

/* The tracer's writers leave control characters raw: taken byte for byte,
** counted by string, the first one's offset kept for atf_check. */
static void manifest__raw_control_character__then_kept_and_noted(void) {
  static const marked doc = MARKED(
      "{\"os\":\"li@\x01nux\",\"arch\":\"x86\x1f\x1f_64\",\"timeStartNs\":1,"
      "\"timeEndNs\":2,\"eventCount\":3,\"modules\":[\"a\tb\"],"
      "\"k\x7f\":\"\\u0001\"}",
      "");
  char text[512];
  size_t len, at = unmark(&doc, text, sizeof text, &len);
  atf_manifest m;
  atf_error err;
  CHECK(atf_manifest_parse(text, len, "trace.json", &m, &err) == ATF_OK);
  CHECK_STR(m.os, "li\x01nux");
  CHECK_STR(m.arch, "x86\x1f\x1f_64");
  CHECK_STR(m.modules[0], "a\tb");
  CHECK_U64(m.notes.control_strings, 3); /* DEL and \u0001 are not raw ones */
  CHECK_U64(m.notes.first_control, at);
  CHECK_U64(m.notes.invalid_utf8_strings, 0);
  CHECK(memcmp(m.json, text, len) == 0);
  atf_manifest_free(&m);
}

/* Bytes that are not UTF-8 in strings: kept, counted by string, the first
** ill-formed byte's offset kept for atf_check. */
static void manifest__invalid_utf8__then_kept_and_noted(void) {
  static const marked doc =
      MARKED("{\"os\":\"linux\xc3\xa9\",\"arch\":\"x86_@\xff_64\","
             "\"timeStartNs\":1,\"timeEndNs\":2,\"eventCount\":3,"
             "\"k\xc0\xaf\":\"\xed\xa0\x80\",\"cut\":\"\xe2\x82\","
             "\"modules\":[\"\xf4\x90\x80\x80\"]}",
             "");
  char text[512];
  size_t len, at = unmark(&doc, text, sizeof text, &len);
  atf_manifest m;
  atf_error err;
  CHECK(atf_manifest_parse(text, len, "trace.json", &m, &err) == ATF_OK);
  CHECK_STR(m.os, "linux\xc3\xa9");
  CHECK_STR(m.arch, "x86_\xff_64");
  CHECK_STR(m.modules[0], "\xf4\x90\x80\x80"); /* above U+10FFFF */
  /* arch; the overlong key; its surrogate value; the cut one; the module */
  CHECK_U64(m.notes.invalid_utf8_strings, 5);
  CHECK_U64(m.notes.first_invalid_utf8, at);
  CHECK_U64(m.notes.control_strings, 0);
  atf_manifest_free(&m);
}

static void manifest__missing_file__then_not_found(void) {
  atf_manifest m;
  atf_error err;
  const char *dir = temp_dir();
  char path[600];
  snprintf(path, sizeof path, "%s/trace.json", dir);
  CHECK(atf_manifest_load(path, &m, &err) == ATF_ERR_NOT_FOUND);
  CHECK(strstr(err.message, path) != NULL);
}

static void manifest__fixture__then_loaded(void) {
  atf_manifest m;
  atf_error err;
  CHECK(atf_manifest_load(ATF_FIXTURE "/trace.json", &m, &err) == ATF_OK);
  CHECK_U64(m.time_start_ns, 1795627355989122807ull);
  CHECK_U64(m.time_end_ns, 1795627355989915729ull);
  CHECK_U64(m.event_count, 63);
  CHECK_U64(m.bytes_written.value, 6866);
  CHECK_U64(m.module_count, 2);
  CHECK_STR(m.modules[1], "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  atf_manifest_free(&m);
}

static void manifest__end_before_start__then_duration_error(void) {
  atf_manifest m;
  atf_error err;
  uint64_t d;
  CHECK(parse("{\"os\":\"linux\",\"arch\":\"x86_64\",\"timeStartNs\":5,"
              "\"timeEndNs\":4,\"eventCount\":0}",
              &m, &err) == ATF_OK);
  CHECK(atf_manifest_duration_ns(&m, &d, &err) == ATF_ERR_RANGE);
  atf_manifest_free(&m);
}

static const check_case cases[] = {
    CASE(manifest__valid_json__then_parsed),
    CASE(manifest__draft_keys__then_parsed),
    CASE(manifest__u64_max__then_exact),
    CASE(manifest__missing_field__then_error),
    CASE(manifest__wrong_type__then_error),
    CASE(manifest__malformed_json__then_error),
    CASE(manifest__not_json__then_error_at_its_byte),
    CASE(manifest__edge_json__then_accepted),
    CASE(manifest__nesting__then_bounded),
    CASE(manifest__raw_control_character__then_kept_and_noted),
    CASE(manifest__invalid_utf8__then_kept_and_noted),
    CASE(manifest__nul_or_duplicate_key__then_error),
    CASE(manifest__duplicate_among_100k_keys__then_first_named),
    CASE(manifest__missing_file__then_not_found),
    CASE(manifest__fixture__then_loaded),
    CASE(manifest__end_before_start__then_duration_error),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
