/*
** test_format.c - what a path is: v4 and v2 traces by what is on disk and
** the files' first bytes, session folders and folders of sessions, and the
** errors for everything else.
*/
#include "atf_reader.h"
#include "check.h"
#include "v2_build.h"

#define V4_TRACE ATF_FIXTURE_DIR "/ada_traces/session_20251125_170812/pid_4242"

static atf_format detect(const char *path, char *dir_out, size_t cap,
                         uint32_t *entries, atf_status *rc, atf_error *err) {
  atf_format_info info;
  *rc = atf_format_detect(path, &info, err);
  atf_format f = info.format;
  if (dir_out) snprintf(dir_out, cap, "%s", info.dir ? info.dir : "");
  if (entries) *entries = info.entries;
  atf_format_info_free(&info);
  return *rc == ATF_OK ? f : ATF_FORMAT_UNKNOWN;
}

static void format__v4_trace__then_atf4(void) {
  char dir[1024];
  atf_status rc;
  atf_error err;
  CHECK(detect(V4_TRACE, dir, sizeof dir, NULL, &rc, &err) == ATF_FORMAT_V4);
  CHECK_STR(dir, V4_TRACE);
  CHECK(detect(V4_TRACE "/events.bin", dir, sizeof dir, NULL, &rc, &err) ==
        ATF_FORMAT_V4);
  CHECK_STR(dir, V4_TRACE);
  CHECK_STR(atf_format_name(ATF_FORMAT_V4), "atf4");
}

static void format__v2_traces__then_atf2_finalized_crashed_empty(void) {
  char dir[1024];
  atf_status rc;
  atf_error err;
  CHECK(detect(SMALL, dir, sizeof dir, NULL, &rc, &err) == ATF_FORMAT_V2);
  CHECK_STR(dir, SMALL);
  CHECK(detect(CRASHED, NULL, 0, NULL, &rc, &err) == ATF_FORMAT_V2);
  CHECK(detect(EMPTY, NULL, 0, NULL, &rc, &err) == ATF_FORMAT_V2);
  CHECK_STR(atf_format_name(ATF_FORMAT_V2), "atf2");
}

static void format__v2_file_paths__then_their_trace_directory(void) {
  char dir[1024];
  atf_status rc;
  atf_error err;
  CHECK(detect(SMALL "/thread_1/index.atf", dir, sizeof dir, NULL, &rc, &err) ==
        ATF_FORMAT_V2);
  CHECK_STR(dir, SMALL);
  CHECK(detect(SMALL "/thread_1/detail.atf", dir, sizeof dir, NULL, &rc,
               &err) == ATF_FORMAT_V2);
  CHECK_STR(dir, SMALL);
  CHECK(detect(SMALL "/manifest.json", dir, sizeof dir, NULL, &rc, &err) ==
        ATF_FORMAT_V2);
  CHECK_STR(dir, SMALL);
  /* By content, not by name: an index file renamed is still one. */
  const char *trace = b_copy(SMALL);
  char renamed[1200];
  snprintf(renamed, sizeof renamed, "%s/thread_0/events.bin", trace);
  CHECK(rename(b_path(trace, "thread_0/index.atf"), renamed) == 0);
  CHECK(detect(renamed, dir, sizeof dir, NULL, &rc, &err) == ATF_FORMAT_V2);
  CHECK_STR(dir, trace);
}

static void format__session_and_folder_of_sessions__then_told_so(void) {
  char dir[1024];
  uint32_t n;
  atf_status rc;
  atf_error err;
  CHECK(detect(FIXTURES_ATF2 "/session_20261129_210031", dir, sizeof dir, &n,
               &rc, &err) == ATF_FORMAT_SESSION);
  CHECK_U64(n, 1);
  CHECK(detect(FIXTURES_ATF2, dir, sizeof dir, &n, &rc, &err) ==
        ATF_FORMAT_SESSION_ROOT);
  CHECK_U64(n, 3);
  CHECK(detect(ATF_FIXTURE_DIR "/ada_traces", NULL, 0, &n, &rc, &err) ==
        ATF_FORMAT_SESSION_ROOT);
  CHECK_U64(n, 1);
  CHECK_STR(atf_format_name(ATF_FORMAT_SESSION), "session");
  CHECK_STR(atf_format_name(ATF_FORMAT_SESSION_ROOT), "session_root");
  /* A symbolic link to a session is not followed. */
  const char *root = temp_dir();
  char link_path[1200];
  snprintf(link_path, sizeof link_path, "%s/linked", root);
  CHECK(symlink(FIXTURES_ATF2 "/session_20261129_210031", link_path) == 0);
  CHECK(detect(root, NULL, 0, NULL, &rc, &err) == ATF_FORMAT_UNKNOWN);
  CHECK(rc == ATF_ERR_FORMAT);
}

static void format__wrong_magic_in_a_thread_file__then_error_names_it(void) {
  const char *trace = b_copy(SMALL);
  atf_status rc;
  atf_error err;
  b_patch(b_path(trace, "thread_2/index.atf"), 0, "ATI4", 4);
  CHECK(detect(trace, NULL, 0, NULL, &rc, &err) == ATF_FORMAT_UNKNOWN);
  CHECK(rc == ATF_ERR_FORMAT);
  CHECK_U64(err.offset, 0);
  CHECK(strstr(err.message, "thread_2/index.atf: byte offset 0: magic is 41 "
                            "54 49 34") != NULL);
  /* A thread file of 0 or fewer than 4 bytes (a crash before the first
  ** buffer was written) leaves the trace a v2 trace. */
  b_truncate(b_path(trace, "thread_2/index.atf"), 0);
  CHECK(detect(trace, NULL, 0, NULL, &rc, &err) == ATF_FORMAT_V2);
}

static void format__both_formats_or_neither__then_error(void) {
  const char *trace = b_copy(SMALL);
  atf_status rc;
  atf_error err;
  b_write(b_path(trace, "events.bin"), "", 0);
  CHECK(detect(trace, NULL, 0, NULL, &rc, &err) == ATF_FORMAT_UNKNOWN);
  CHECK(rc == ATF_ERR_FORMAT);
  CHECK(strstr(err.message, "holds both an ATF v4 trace") != NULL);
  const char *empty = temp_dir();
  CHECK(detect(empty, NULL, 0, NULL, &rc, &err) == ATF_FORMAT_UNKNOWN);
  CHECK(rc == ATF_ERR_FORMAT);
  CHECK(strstr(err.message, "not a trace: no events.bin (ATF v4), no "
                            "thread_<n>/index.atf (ATF v2)") != NULL);
  CHECK(detect("/nonexistent/x", NULL, 0, NULL, &rc, &err) ==
        ATF_FORMAT_UNKNOWN);
  CHECK(rc == ATF_ERR_NOT_FOUND);
  CHECK(detect("", NULL, 0, NULL, &rc, &err) == ATF_FORMAT_UNKNOWN);
  CHECK(rc == ATF_ERR_NOT_FOUND);
}

static void format__v2_file_outside_thread_dir__then_error(void) {
  const char *dir = temp_dir();
  atf_status rc;
  atf_error err;
  b_write(b_path(dir, "index.atf"), "ATI2\1\1\1\4", 8);
  CHECK(detect(b_path(dir, "index.atf"), NULL, 0, NULL, &rc, &err) ==
        ATF_FORMAT_UNKNOWN);
  CHECK(rc == ATF_ERR_FORMAT);
  CHECK(strstr(err.message, "outside a thread_<n> directory") != NULL);
  /* A FIFO is refused without blocking. */
  CHECK(mkfifo(b_path(dir, "fifo"), 0600) == 0);
  CHECK(detect(b_path(dir, "fifo"), NULL, 0, NULL, &rc, &err) ==
        ATF_FORMAT_UNKNOWN);
  CHECK(rc == ATF_ERR_IO);
}

static const check_case cases[] = {
    CASE(format__v4_trace__then_atf4),
    CASE(format__v2_traces__then_atf2_finalized_crashed_empty),
    CASE(format__v2_file_paths__then_their_trace_directory),
    CASE(format__session_and_folder_of_sessions__then_told_so),
    CASE(format__wrong_magic_in_a_thread_file__then_error_names_it),
    CASE(format__both_formats_or_neither__then_error),
    CASE(format__v2_file_outside_thread_dir__then_error),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
