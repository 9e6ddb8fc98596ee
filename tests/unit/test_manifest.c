/*
** test_manifest.c - trace.json: required keys, types, exact 64-bit integers.
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
  static const char *const docs[] = {"{\"os\\u0000x\":\"evil\"," REQUIRED "}",
                                     "{" REQUIRED
                                     ",\"modules\":[\"a\\u0000b\"]}",
                                     "{" REQUIRED ",\"eventCount\":7}"};
  static const char *const says[] = {"NUL", "NUL", "\"eventCount\" appears"};
  for (size_t i = 0; i < 3; i++) {
    atf_manifest m;
    atf_error err;
    CHECK(parse(docs[i], &m, &err) == ATF_ERR_MANIFEST);
    CHECK(strstr(err.message, says[i]) != NULL);
  }
  /* An escaped backslash before u0000 is no NUL. */
  atf_manifest m;
  atf_error err;
  CHECK(parse("{" REQUIRED ",\"note\":\"C:\\\\u0000\"}", &m, &err) == ATF_OK);
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
    CASE(manifest__nul_or_duplicate_key__then_error),
    CASE(manifest__missing_file__then_not_found),
    CASE(manifest__fixture__then_loaded),
    CASE(manifest__end_before_start__then_duration_error),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
