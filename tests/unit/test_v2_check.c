/*
** test_v2_check.c - atf_v2_check_trace: the fixtures' findings exactly as
** their README describes them, and each kind of damage or quirk with its
** code, severity, offset and the file its message names.
*/
#include "atf_reader.h"
#include "check.h"
#include "v2_build.h"

#define MAX_FOUND 256

typedef struct found {
  size_t n;
  atf_finding f[MAX_FOUND];
  int stop_after; /* 0: never */
} found;

static int collect(void *user, const atf_finding *f) {
  found *x = user;
  if (x->n < MAX_FOUND) x->f[x->n] = *f;
  x->n++;
  return x->stop_after && (int)x->n >= x->stop_after;
}

static void run(const char *dir, found *x, atf_v2_check_summary *sum) {
  atf_error err;
  memset(x, 0, sizeof *x);
  atf_status rc = atf_v2_check_trace(dir, collect, x, NULL, sum, &err);
  if (rc != ATF_OK) fprintf(stderr, "check %s: %s\n", dir, err.message);
  CHECK(rc == ATF_OK);
}

static size_t count(const found *x, const char *code) {
  size_t n = 0;
  for (size_t i = 0; i < x->n && i < MAX_FOUND; i++)
    n += strcmp(x->f[i].code, code) == 0;
  return n;
}

/* The one finding of CODE at OFFSET whose message holds TEXT. */
static const atf_finding *find(const found *x, const char *code,
                               uint64_t offset, const char *text) {
  for (size_t i = 0; i < x->n && i < MAX_FOUND; i++)
    if (strcmp(x->f[i].code, code) == 0 && x->f[i].offset == offset &&
        strstr(x->f[i].message, text))
      return &x->f[i];
  return NULL;
}

static void show(const found *x) {
  for (size_t i = 0; i < x->n && i < MAX_FOUND; i++)
    fprintf(stderr, "  %s %s %llu %s\n", atf_severity_name(x->f[i].severity),
            x->f[i].code, (unsigned long long)x->f[i].offset, x->f[i].message);
}

#define EXPECT(x, code, sev, offset, text)                                     \
  do {                                                                         \
    const atf_finding *f_ = find((x), (code), (offset), (text));               \
    if (!f_) {                                                                 \
      fprintf(stderr, "no %s at %llu with \"%s\"; found:\n", (code),           \
              (unsigned long long)(offset), (text));                           \
      show(x);                                                                 \
    }                                                                          \
    CHECK(f_ != NULL);                                                         \
    if (f_) CHECK(f_->severity == (sev));                                      \
  } while (0)

static void check__small_fixture__then_no_findings_and_totals(void) {
  found x;
  atf_v2_check_summary s;
  run(SMALL, &x, &s);
  CHECK_U64(x.n, 0);
  if (x.n) show(&x);
  CHECK_U64(s.threads, 3);
  CHECK_U64(s.events, 181);
  CHECK_U64(s.bytes, 181 * 32);
  CHECK_U64(s.details, 44);
  CHECK_U64(s.torn_bytes + s.dangling + s.twins + s.backwards + s.unreadable,
            0);
  CHECK(s.has_ts);
  CHECK_U64(s.first_ts, 187654321098765ull);
  CHECK_U64(s.last_ts, 187654325243518ull);
  CHECK_U64(s.min_ts, 187654321098765ull);
  CHECK_U64(s.max_ts, 187654325243518ull);
}

static void check__crashed_fixture__then_exactly_what_the_readme_says(void) {
  found x;
  atf_v2_check_summary s;
  run(CRASHED, &x, &s);
  CHECK_U64(x.n, 18);
  EXPECT(&x, "not_finalized", ATF_SEVERITY_WARNING, ATF_NO_OFFSET,
         "pid_48377/manifest.json: missing");
  EXPECT(&x, "not_finalized", ATF_SEVERITY_WARNING, 0,
         "thread_0/index.atf: placeholder header");
  EXPECT(&x, "not_finalized", ATF_SEVERITY_WARNING, 0,
         "thread_1/index.atf: placeholder header");
  EXPECT(&x, "not_finalized", ATF_SEVERITY_WARNING, 0,
         "thread_2/index.atf: placeholder header");
  EXPECT(&x, "not_finalized", ATF_SEVERITY_WARNING, 0,
         "thread_1/detail.atf: placeholder header");
  EXPECT(&x, "torn_tail", ATF_SEVERITY_WARNING, 1344,
         "thread_1/index.atf: byte offset 1344: 13 bytes");
  for (uint32_t k = 32; k < 44; k++) {
    char text[128];
    snprintf(text, sizeof text,
             "detail record %u points back to index record %u, which "
             "index.atf does not have (40 records)",
             k, k + 8);
    EXPECT(&x, "dangling_detail_link", ATF_SEVERITY_WARNING, 64 + 540 * k,
           text);
  }
  CHECK_U64(s.events, 159);
  CHECK_U64(s.details, 44);
  CHECK_U64(s.torn_bytes, 13);
  CHECK_U64(s.dangling, 12);
}

static void check__empty_fixture__then_no_findings(void) {
  found x;
  atf_v2_check_summary s;
  run(EMPTY, &x, &s);
  CHECK_U64(x.n, 0);
  CHECK_U64(s.events, 0);
  CHECK(!s.has_ts);
}

static void check__cut_record_and_placeholder__then_torn_and_unfinalized(void) {
  const char *dir = b_trace();
  const char *path = b_path(b_thread_dir(dir, 0), "index.atf");
  b_rec r[3] = {{1, 9, 0, 1, 1, ATF_V2_NO_DETAIL},
                {2, 9, 0, 2, 1, ATF_V2_NO_DETAIL},
                {3, 9, 0, 1, 1, ATF_V2_NO_DETAIL}};
  found x;
  atf_v2_check_summary s;
  b_index(path, 0, r, 3, 0, 0);
  b_truncate(path, 64 + 64 + 7);
  run(dir, &x, &s);
  CHECK_U64(x.n, 3);
  EXPECT(&x, "not_finalized", ATF_SEVERITY_WARNING, ATF_NO_OFFSET,
         "manifest.json: missing");
  EXPECT(&x, "not_finalized", ATF_SEVERITY_WARNING, 0,
         "index.atf: placeholder header, no footer: the session was not "
         "stopped; 2 records counted");
  EXPECT(&x, "torn_tail", ATF_SEVERITY_WARNING, 128,
         "index.atf: byte offset 128: 7 bytes of a record cut short");
  CHECK_U64(s.events, 2);
  CHECK_U64(s.torn_bytes, 7);
}

static void check__missing_thread_file_or_directory__then_errors(void) {
  const char *dir = b_copy(SMALL);
  found x;
  atf_v2_check_summary s;
  char cmd[2048];
  CHECK(unlink(b_path(dir, "thread_1/index.atf")) == 0);
  snprintf(cmd, sizeof cmd, "rm -r '%s/thread_2'", dir);
  CHECK(system(cmd) == 0);
  run(dir, &x, &s);
  EXPECT(&x, "missing_thread_file", ATF_SEVERITY_ERROR, ATF_NO_OFFSET,
         "thread_1/index.atf: missing");
  EXPECT(&x, "missing_thread", ATF_SEVERITY_ERROR, ATF_NO_OFFSET,
         "manifest.json names thread 2, but there is no thread_2 directory");
  /* thread_1's detail records now point at nothing. */
  CHECK_U64(count(&x, "dangling_detail_link"), 44);
  CHECK_U64(x.n, 46);
  CHECK_U64(s.events, 60);
  CHECK_U64(s.unreadable, 1);
}

static void check__manifest_lists_absent_and_misses_present__then_both(void) {
  const char *dir = b_copy(EMPTY);
  uint32_t slots[2] = {0, 5};
  found x;
  atf_v2_check_summary s;
  b_manifest(dir, slots, 2);
  b_index(b_path(b_thread_dir(dir, 3), "index.atf"), 3, NULL, 0, 1, 0);
  run(dir, &x, &s);
  CHECK_U64(x.n, 2);
  EXPECT(&x, "missing_thread", ATF_SEVERITY_ERROR, ATF_NO_OFFSET,
         "thread_5: missing: manifest.json names thread 5");
  EXPECT(&x, "unlisted_thread", ATF_SEVERITY_WARNING, ATF_NO_OFFSET,
         "thread_3: thread 3 is on disk but manifest.json does not list it");
}

static void check__dangling_link_from_index__then_warning_at_record(void) {
  const char *dir = b_copy(SMALL);
  const char *ipath = b_path(dir, "thread_1/index.atf");
  found x;
  atf_v2_check_summary s;
  b_patch32(ipath, 64 + 32 * 20 + 28, 44); /* record 20 -> detail 44 */
  b_patch32(ipath, 64 + 32 * 3 + 28, 5);   /* record 3 -> detail 5 */
  run(dir, &x, &s);
  EXPECT(&x, "dangling_detail_link", ATF_SEVERITY_WARNING, 64 + 32 * 20,
         "index record 20 links to detail record 44; detail.atf has 44 "
         "records");
  EXPECT(&x, "dangling_detail_link", ATF_SEVERITY_WARNING, 64 + 32 * 3,
         "index record 3 links to detail record 5, which belongs to index "
         "record 13");
  /* And from the detail side: record 12 (index 20) is no longer linked. */
  EXPECT(&x, "dangling_detail_link", ATF_SEVERITY_WARNING, 64 + 540 * 12,
         "detail record 12 points back to index record 20, which links to "
         "detail record 44");
  CHECK_U64(s.dangling, 3);
  CHECK_U64(x.n, 3);
}

static void check__wrong_magic_and_endianness__then_errors_at_0_and_4(void) {
  const char *dir = b_copy(SMALL);
  uint8_t two = 2;
  found x;
  atf_v2_check_summary s;
  b_patch(b_path(dir, "thread_0/index.atf"), 0, "ATX2", 4);
  b_patch(b_path(dir, "thread_1/detail.atf"), 4, &two, 1);
  run(dir, &x, &s);
  EXPECT(&x, "bad_magic", ATF_SEVERITY_ERROR, 0,
         "thread_0/index.atf: byte offset 0: magic is 41 54 58 32, not "
         "\"ATI2\"");
  EXPECT(&x, "bad_endian", ATF_SEVERITY_ERROR, 4,
         "thread_1/detail.atf: byte offset 4: endian byte is 2; only 1 "
         "(little-endian) is defined");
  /* Without its detail file thread_1's 44 links dangle. */
  CHECK_U64(count(&x, "dangling_detail_link"), 44);
  CHECK_U64(x.n, 46);
  CHECK_U64(s.unreadable, 2);
  CHECK_U64(s.events, 62 + 59);
}

static void check__detail_damage__then_stack_payload_and_length_errors(void) {
  const char *dir = b_trace();
  const char *tdir = b_thread_dir(dir, 0);
  b_rec r[4] = {{1, 5, 0, 1, 1, 0},
                {2, 5, 0, 1, 2, 1},
                {3, 5, 0, 2, 2, 2},
                {4, 5, 0, 2, 1, 3}};
  b_drec d[4] = {{0, 0, 1, 5, 9, 1, 1, {0}, 0, 0, 0, 200, 0},
                 {100, 1, 2, 5, 9, 1, 2, {0}, 0, 0, 0, 0, 0},
                 {0, 2, 3, 5, 9, 2, 2, {0}, 0, 0, 0, 0, 0},
                 {0, 3, 4, 5, 9, 2, 1, {0}, 0, 0, 0, 0, 0}};
  found x;
  atf_v2_check_summary s;
  uint32_t slot0 = 0;
  b_manifest(dir, &slot0, 1);
  b_index(b_path(tdir, "index.atf"), 0, r, 4, 1, 1);
  b_detail(b_path(tdir, "detail.atf"), 0, d, 4, 1);
  /* Record 2 (at 64 + 540 + 100) gets total_length 3. */
  b_patch32(b_path(tdir, "detail.atf"), 64 + 640, 3);
  run(dir, &x, &s);
  EXPECT(&x, "stack_size_out_of_range", ATF_SEVERITY_ERROR, 64 + 24 + 248,
         "detail record 0 says stack_size 200; the window holds 128 bytes");
  EXPECT(&x, "short_detail_payload", ATF_SEVERITY_ERROR, 604,
         "detail record 1 has a 76-byte payload");
  EXPECT(&x, "bad_detail_length", ATF_SEVERITY_ERROR, 704,
         "byte offset 704: total_length 3 is less than the 24-byte record "
         "header: the 1080 bytes from here on cannot be read");
  EXPECT(&x, "dangling_detail_link", ATF_SEVERITY_WARNING, 64 + 64,
         "index record 2 links to detail record 2; detail.atf has 2 records");
  EXPECT(&x, "dangling_detail_link", ATF_SEVERITY_WARNING, 64 + 96,
         "index record 3 links to detail record 3; detail.atf has 2 records");
  EXPECT(&x, "footer_mismatch", ATF_SEVERITY_WARNING, 28,
         "the header counts 4 records; the file holds 2");
  EXPECT(&x, "footer_mismatch", ATF_SEVERITY_WARNING, 44,
         "index_seq range is 0..3; the records link to 0..1");
  EXPECT(&x, "footer_mismatch", ATF_SEVERITY_WARNING, 64 + 1720 + 24,
         "the footer's time range is 1..4; the first and last records say "
         "1..2");
  CHECK_U64(x.n, 8);
}

static void check__twins_and_backwards__then_warnings_per_record(void) {
  const char *dir = b_trace();
  const char *tdir = b_thread_dir(dir, 0);
  /* The index lane's batch, then the detail lane's: each call twice. */
  b_rec r[6] = {{100, 0xa, 0, 1, 1, ATF_V2_NO_DETAIL},
                {200, 0xb, 0, 1, 2, ATF_V2_NO_DETAIL},
                {300, 0xb, 0, 2, 2, ATF_V2_NO_DETAIL},
                {105, 0xa, 0, 1, 1, 0},
                {206, 0xb, 0, 1, 2, 1},
                {400, 0xb, 0, 1, 2, 2}}; /* record 1 is paired already */
  b_drec d[3] = {{0, 3, 105, 0xa, 9, 1, 1, {0}, 0, 0, 0, 0, 0},
                 {0, 4, 206, 0xb, 9, 1, 2, {0}, 0, 0, 0, 0, 0},
                 {0, 5, 400, 0xb, 9, 1, 2, {0}, 0, 0, 0, 0, 0}};
  found x;
  atf_v2_check_summary s;
  uint32_t slot0 = 0;
  b_manifest(dir, &slot0, 1);
  b_index(b_path(tdir, "index.atf"), 0, r, 6, 1, 1);
  b_detail(b_path(tdir, "detail.atf"), 0, d, 3, 1);
  run(dir, &x, &s);
  EXPECT(&x, "ts_backwards", ATF_SEVERITY_WARNING, 64 + 96,
         "record 3's timestamp 105 is 195 ns before the previous record's");
  EXPECT(&x, "duplicate_event", ATF_SEVERITY_WARNING, 64 + 96,
         "record 3, with detail, repeats record 0, without");
  EXPECT(&x, "duplicate_event", ATF_SEVERITY_WARNING, 64 + 128,
         "record 4, with detail, repeats record 1, without");
  CHECK_U64(s.twins, 2);
  CHECK_U64(s.backwards, 1);
  CHECK_U64(x.n, 3);
}

static void check__manifest_symbols__then_id_mismatch_duplicate_utf8(void) {
  const char *dir = b_copy(EMPTY);
  const char *text =
      "{\"threads\": [{\"id\": 0, \"has_detail\": true}], \"format_version\": "
      "\"2.1\", \"modules\": [{\"module_id\": 1, \"path\": \"/m\\u00ff\"}], "
      "\"symbols\": [{\"function_id\": \"0x100000002\", \"module_id\": 1, "
      "\"symbol_index\": 3, \"name\": \"a\"}, {\"function_id\": "
      "\"0x100000002\", \"module_id\": 1, \"symbol_index\": 2, \"name\": "
      "\"b\xff\"}]}";
  found x;
  atf_v2_check_summary s;
  b_write(b_path(dir, "manifest.json"), text, strlen(text));
  run(dir, &x, &s);
  EXPECT(&x, "symbol_id_mismatch", ATF_SEVERITY_WARNING, ATF_NO_OFFSET,
         "symbols[0]: function_id 0x0000000100000002 is not module_id 1 << 32 "
         "| symbol_index 3");
  EXPECT(&x, "duplicate_symbol", ATF_SEVERITY_WARNING, ATF_NO_OFFSET,
         "function_id 0x0000000100000002 is listed more than once (\"a\" is "
         "used)");
  EXPECT(&x, "invalid_utf8", ATF_SEVERITY_WARNING, ATF_NO_OFFSET,
         "symbols[1]: the name is not valid UTF-8");
  /* the raw 0xff byte, also told of the manifest's text as trace.json's */
  EXPECT(&x, "manifest_invalid_utf8", ATF_SEVERITY_WARNING,
         (uint64_t)(strchr(text, '\xff') - text),
         "a string that is not valid UTF-8 (byte 0xff)");
  CHECK_U64(x.n, 4); /* \u00ff is valid UTF-8 once decoded */
  b_write(b_path(dir, "manifest.json"), "{\"threads\": 1}", 14);
  run(dir, &x, &s);
  EXPECT(&x, "bad_manifest", ATF_SEVERITY_ERROR, ATF_NO_OFFSET,
         "manifest.json: key \"threads\" must be an array");
  CHECK_U64(x.n, 1);
}

static void check__records_disagree__then_slot_kind_detail_mismatch(void) {
  const char *dir = b_trace();
  const char *tdir = b_thread_dir(dir, 2);
  b_rec r[3] = {{1, 5, 2, 1, 1, 0},
                {2, 5, 7, 9, 1, ATF_V2_NO_DETAIL},
                {3, 5, 2, 2, 1, ATF_V2_NO_DETAIL}};
  b_drec d[1] = {{0, 0, 1, 6, 9, 1, 1, {0}, 0, 0, 0, 0, 0}};
  found x;
  atf_v2_check_summary s;
  uint32_t slot2 = 2;
  uint8_t arm = 2;
  b_manifest(dir, &slot2, 1);
  b_index(b_path(tdir, "index.atf"), 2, r, 3, 1, 1);
  b_detail(b_path(tdir, "detail.atf"), 2, d, 1, 1);
  b_patch(b_path(tdir, "detail.atf"), 6, &arm, 1);
  run(dir, &x, &s);
  EXPECT(&x, "slot_mismatch", ATF_SEVERITY_WARNING, 64 + 32 + 16,
         "record 1 says thread 7, the directory says slot 2");
  EXPECT(&x, "unknown_event_kind", ATF_SEVERITY_WARNING, 64 + 32 + 20,
         "record 1 has event_kind 9");
  EXPECT(&x, "detail_mismatch", ATF_SEVERITY_WARNING, 64,
         "detail record 0 and index record 0 (byte 64 of index.atf) disagree "
         "on the function_id");
  EXPECT(&x, "header_mismatch", ATF_SEVERITY_WARNING, 6,
         "detail.atf: byte offset 6: arch 2, os 4");
  CHECK_U64(x.n, 4);
}

static void check__generated_twins__then_one_duplicate_per_event(void) {
  const char *dir = b_trace();
  char cmd[2048];
  found x;
  atf_v2_check_summary s;
  snprintf(cmd, sizeof cmd,
           "'%s' --format v2 --seed 5 --events 2000 --threads 3 --v2-twins "
           "'%s' >/dev/null",
           ATF_GEN_CLI, dir);
  CHECK(system(cmd) == 0);
  run(dir, &x, &s);
  /* 1997 calls and returns (the rest are v4-only events), each twice. */
  CHECK_U64(s.events, 2 * 1997);
  CHECK_U64(s.twins, 1997);
  CHECK(s.backwards > 0);
  CHECK_U64(s.dangling, 0);
}

static void check__callback_stops__then_no_more_findings(void) {
  found x;
  atf_v2_check_summary s;
  atf_error err;
  memset(&x, 0, sizeof x);
  x.stop_after = 2;
  CHECK(atf_v2_check_trace(CRASHED, collect, &x, NULL, &s, &err) == ATF_OK);
  CHECK_U64(x.n, 2);
}

static void check__not_a_trace__then_error(void) {
  atf_v2_check_summary s;
  atf_error err;
  found x;
  memset(&x, 0, sizeof x);
  CHECK(atf_v2_check_trace("/nonexistent", collect, &x, NULL, &s, &err) ==
        ATF_ERR_NOT_FOUND);
  CHECK(atf_v2_check_trace(temp_dir(), collect, &x, NULL, &s, &err) ==
        ATF_ERR_FORMAT);
  CHECK_U64(x.n, 0);
}

static const check_case cases[] = {
    CASE(check__small_fixture__then_no_findings_and_totals),
    CASE(check__crashed_fixture__then_exactly_what_the_readme_says),
    CASE(check__empty_fixture__then_no_findings),
    CASE(check__cut_record_and_placeholder__then_torn_and_unfinalized),
    CASE(check__missing_thread_file_or_directory__then_errors),
    CASE(check__manifest_lists_absent_and_misses_present__then_both),
    CASE(check__dangling_link_from_index__then_warning_at_record),
    CASE(check__wrong_magic_and_endianness__then_errors_at_0_and_4),
    CASE(check__detail_damage__then_stack_payload_and_length_errors),
    CASE(check__twins_and_backwards__then_warnings_per_record),
    CASE(check__manifest_symbols__then_id_mismatch_duplicate_utf8),
    CASE(check__records_disagree__then_slot_kind_detail_mismatch),
    CASE(check__generated_twins__then_one_duplicate_per_event),
    CASE(check__callback_stops__then_no_more_findings),
    CASE(check__not_a_trace__then_error),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
