/*
** test_json_check.c - the strict JSON recognizer on its own, as the readers
** of other JSON files (ATF v2's manifest.json) will use it: any top-level
** value, any keys, number tokens handed over in order, notes counted.
*/
#include "atf_reader.h"
#include "check.h"
#include "json_check.h"

typedef struct seen {
  char token[8][32];
  uint64_t offset[8];
  unsigned depth[8];
  size_t n;
} seen;

static void on_number(void *user, const char *token, size_t len,
                      uint64_t offset, unsigned depth) {
  seen *s = user;
  if (s->n < 8 && len < 32) {
    memcpy(s->token[s->n], token, len);
    s->token[s->n][len] = 0;
    s->offset[s->n] = offset;
    s->depth[s->n] = depth;
  }
  s->n++;
}

static atf_status check_text(const char *text, atf_json_notes *notes,
                             atf_error *err) {
  return atf_json_check(text, strlen(text), "manifest.json", NULL, NULL, notes,
                        err);
}

static void json_check__number_tokens__then_in_order_with_depth(void) {
  const char *text = "[1, {\"a\": -2.5e3, \"b\": [0]}, 7E+2]";
  seen s = {0};
  atf_json_notes notes;
  atf_error err;
  CHECK(atf_json_check(text, strlen(text), "x.json", on_number, &s, &notes,
                       &err) == ATF_OK);
  CHECK_U64(s.n, 4);
  CHECK_STR(s.token[0], "1");
  CHECK_U64(s.offset[0], 1);
  CHECK_U64(s.depth[0], 1);
  CHECK_STR(s.token[1], "-2.5e3");
  CHECK_U64(s.offset[1], 10);
  CHECK_U64(s.depth[1], 2);
  CHECK_STR(s.token[2], "0");
  CHECK_U64(s.offset[2], 24);
  CHECK_U64(s.depth[2], 3);
  CHECK_STR(s.token[3], "7E+2");
  CHECK_U64(s.offset[3], 29);
  CHECK_U64(s.depth[3], 1);
  /* The whole text a number: depth 0. */
  memset(&s, 0, sizeof s);
  CHECK(atf_json_check(" -0 ", 4, "x.json", on_number, &s, &notes, &err) ==
        ATF_OK);
  CHECK_U64(s.n, 1);
  CHECK_STR(s.token[0], "-0");
  CHECK_U64(s.offset[0], 1);
  CHECK_U64(s.depth[0], 0);
}

static void json_check__any_value_any_keys__then_accepted(void) {
  static const char *const texts[] = {
      "\"s\"", "true", "false", "null", "0", "[]", "{}", " [ ] ",
      /* the shape of the tracer's ATF v2 manifest.json */
      "{\n  \"threads\": [\n    {\"id\": 0, \"has_detail\": true}\n  ],\n"
      "  \"time_start_ns\": 0,\n  \"time_end_ns\": 0,\n  \"clock_type\": 1,\n"
      "  \"symbols\": [{\"function_id\": \"0x9469d8e900000001\", "
      "\"module_id\": 2489964777, \"symbol_index\": 1, "
      "\"name\": \"-[QLWorker runLoop]\"}],\n"
      "  \"format_version\": \"2.1\"\n}\n"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    atf_json_notes notes;
    atf_error err;
    atf_status rc = check_text(texts[i], &notes, &err);
    CHECK(rc == ATF_OK);
    if (rc != ATF_OK) fprintf(stderr, "%s\n", err.message);
  }
}

static void json_check__not_json__then_error_names_source(void) {
  atf_json_notes notes;
  atf_error err;
  CHECK(check_text("{\"threads\": [01]}", &notes, &err) == ATF_ERR_JSON);
  CHECK_U64(err.offset, 13);
  CHECK_STR(err.message, "manifest.json: byte offset 13: malformed JSON: "
                         "number '01' has a leading zero");
  CHECK(check_text("", &notes, &err) == ATF_ERR_JSON);
  CHECK_U64(err.offset, 0);
  CHECK(strstr(err.message, "no value") != NULL);
}

/* Raw control characters and bytes that are not UTF-8 are counted by
** string, keys included, with the first one's offset; \u0000 by escape. */
static void json_check__tolerated__then_counted_with_first_offset(void) {
  /* \x01 at 3, \xff at 15, the first \u0000 at 27; the last is "\\" and
  ** "u0000", no escape of NUL. */
  const char text[] = "[\"a\x01\x02\", {\"\x1f\": \"\xff\xfe\"}, \"\xc3\","
                      " \"\\u0000\", \"\\u0000\", \"\\\\u0000\"]";
  atf_json_notes notes;
  atf_error err;
  CHECK(atf_json_check(text, sizeof text - 1, "x.json", NULL, NULL, &notes,
                       &err) == ATF_OK);
  CHECK_U64(notes.control_strings, 2);
  CHECK_U64(notes.first_control, 3);
  CHECK_U64(notes.invalid_utf8_strings, 2);
  CHECK_U64(notes.first_invalid_utf8, 15);
  CHECK_U64(notes.escaped_nuls, 2);
  CHECK_U64(notes.first_escaped_nul, 27);
  /* Nothing to note: the offsets say none. */
  CHECK(check_text("[\"\\u0001\\t\"]", &notes, &err) == ATF_OK);
  CHECK_U64(notes.control_strings + notes.invalid_utf8_strings +
                notes.escaped_nuls,
            0);
  CHECK_U64(notes.first_control, ATF_NO_OFFSET);
  CHECK_U64(notes.first_invalid_utf8, ATF_NO_OFFSET);
  CHECK_U64(notes.first_escaped_nul, ATF_NO_OFFSET);
}

static const check_case cases[] = {
    CASE(json_check__number_tokens__then_in_order_with_depth),
    CASE(json_check__any_value_any_keys__then_accepted),
    CASE(json_check__not_json__then_error_names_source),
    CASE(json_check__tolerated__then_counted_with_first_offset),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
