/*
** test_traces.c - atf_traces_list (every trace under a folder: depth bound,
** links not followed, a root that is a trace, errors) and
** atf_trace_summarize (what each trace is), its counts checked against the
** passes that read every record (atf_check_trace, atf_v2_check_trace).
*/
#include <limits.h>

#include "atf_reader.h"
#include "check.h"
#include "v2_build.h"

#define V4_SESSION ATF_FIXTURE_DIR "/ada_traces/session_20251125_170812"
#define V4_TRACE V4_SESSION "/pid_4242"

/* An empty events.bin: the smallest v4 trace there is. */
static void v4_stub(const char *dir) {
  b_mkdir(dir);
  b_write(b_path(dir, "events.bin"), "", 0);
}

static void mkdirs(const char *path) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
  if (system(cmd) != 0) exit(2);
}

static void link_to(const char *target, const char *link) {
  if (symlink(target, link) != 0) {
    perror(link);
    exit(2);
  }
}

static size_t list(const char *root, unsigned depth, atf_trace_list *l,
                   atf_status *rc) {
  atf_error err;
  *rc = atf_traces_list(root, depth, NULL, l, &err);
  if (*rc != ATF_OK) fprintf(stderr, "list %s: %s\n", root, err.message);
  return l->count;
}

static void traces_list__max_depth__then_deeper_folders_not_looked_at(void) {
  char root[512];
  atf_trace_list l;
  atf_status rc;
  snprintf(root, sizeof root, "%s", temp_dir());
  mkdirs(b_path(root, "s"));
  v4_stub(b_path(root, "s/pid_1")); /* 2 levels down */
  mkdirs(b_path(root, "x/y/z"));
  v4_stub(b_path(root, "x/y/z/pid_2")); /* 4 levels down */
  CHECK_U64(list(root, 0, &l, &rc), 0);
  atf_trace_list_free(&l);
  CHECK_U64(list(root, 1, &l, &rc), 0);
  atf_trace_list_free(&l);
  CHECK_U64(list(root, 3, &l, &rc), 1);
  if (l.count == 1) CHECK_STR(l.entries[0].path, b_path(root, "s/pid_1"));
  atf_trace_list_free(&l);
  CHECK_U64(list(root, 4, &l, &rc), 2);
  atf_trace_list_free(&l);
  CHECK_U64(list(root, UINT_MAX, &l, &rc), 2); /* bounded at 64 */
  atf_trace_list_free(&l);
  CHECK_U64(list(root, ATF_TRACES_MAX_DEPTH, &l, &rc), 2);
  CHECK(rc == ATF_OK);
  atf_trace_list_free(&l);
}

static void traces_list__symlink_loops__then_ends_links_not_followed(void) {
  char root[512];
  atf_trace_list l;
  atf_status rc;
  snprintf(root, sizeof root, "%s", temp_dir());
  v4_stub(b_path(root, "pid_1"));
  mkdirs(b_path(root, "s"));
  link_to(root, b_path(root, "s/to_root")); /* absolute, up */
  link_to("..", b_path(root, "s/up"));
  link_to(".", b_path(root, "s/self"));
  link_to("b", b_path(root, "s/a")); /* a -> b -> a */
  link_to("a", b_path(root, "s/b"));
  link_to("../pid_1", b_path(root, "s/pid_2")); /* a link to a trace */
  CHECK_U64(list(root, 64, &l, &rc), 1);
  CHECK(rc == ATF_OK);
  if (l.count == 1) CHECK_STR(l.entries[0].path, b_path(root, "pid_1"));
  atf_trace_list_free(&l);
  /* A root that is a link is followed, once. */
  CHECK_U64(list(b_path(root, "s/pid_2"), 64, &l, &rc), 1);
  if (l.count == 1) {
    CHECK_STR(l.entries[0].path, b_path(root, "s/pid_2"));
    CHECK(l.entries[0].has_pid && l.entries[0].pid == 2);
  }
  atf_trace_list_free(&l);
  CHECK_U64(list(b_path(root, "s/a"), 64, &l, &rc), 0);
  CHECK(rc == ATF_ERR_IO); /* ELOOP: the root itself cannot be reached */
  atf_trace_list_free(&l);
}

static void traces_list__root_is_a_trace__then_itself_session_above(void) {
  atf_trace_list l;
  atf_status rc;
  char cwd[4096];
  CHECK_U64(list(V4_TRACE, 8, &l, &rc), 1);
  if (l.count == 1) {
    CHECK_STR(l.entries[0].path, V4_TRACE);
    CHECK_STR(l.entries[0].session, "session_20251125_170812");
    CHECK(l.entries[0].format == ATF_FORMAT_V4);
    CHECK(l.entries[0].has_pid && l.entries[0].pid == 4242);
  }
  atf_trace_list_free(&l);
  CHECK_U64(list(SMALL "//", 8, &l, &rc), 1); /* trailing slashes dropped */
  if (l.count == 1) {
    CHECK_STR(l.entries[0].path, SMALL);
    CHECK(l.entries[0].format == ATF_FORMAT_V2);
  }
  atf_trace_list_free(&l);
  /* A file of a trace: that trace, named as given. */
  CHECK_U64(list(SMALL "/thread_1/detail.atf", 8, &l, &rc), 1);
  if (l.count == 1) {
    CHECK_STR(l.entries[0].path, SMALL "/thread_1/detail.atf");
    CHECK_STR(l.entries[0].dir, SMALL);
    CHECK_STR(l.entries[0].session, "session_20261129_210031");
    CHECK(l.entries[0].format == ATF_FORMAT_V2);
  }
  atf_trace_list_free(&l);
  /* "." inside a trace: its name comes from the real path. */
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(chdir(V4_TRACE) == 0);
  CHECK_U64(list(".", 8, &l, &rc), 1);
  if (l.count == 1) {
    CHECK_STR(l.entries[0].path, ".");
    CHECK_STR(l.entries[0].session, "session_20251125_170812");
    /* "." is the directory pid_4242: its pid, as its session, by the
    ** real name */
    CHECK(l.entries[0].has_pid && l.entries[0].pid == 4242);
  }
  atf_trace_list_free(&l);
  CHECK(chdir(cwd) == 0);
}

static void traces_list__sessions__then_sorted_by_path_bytes(void) {
  char root[512];
  atf_trace_list l;
  atf_status rc;
  snprintf(root, sizeof root, "%s", temp_dir());
  /* Made in an order that is not the sorted one; pid_10 sorts before
  ** pid_9 (bytes, not numbers); "s-x" before "s/" ('-' < '/'). */
  mkdirs(b_path(root, "s"));
  mkdirs(b_path(root, "s-x"));
  v4_stub(b_path(root, "s/pid_9"));
  v4_stub(b_path(root, "s-x/pid_1"));
  v4_stub(b_path(root, "s/pid_10"));
  CHECK_U64(list(root, 8, &l, &rc), 3);
  if (l.count == 3) {
    CHECK_STR(l.entries[0].path, b_path(root, "s-x/pid_1"));
    CHECK_STR(l.entries[1].path, b_path(root, "s/pid_10"));
    CHECK_STR(l.entries[2].path, b_path(root, "s/pid_9"));
    CHECK_STR(l.entries[1].session, "s");
    CHECK_STR(l.entries[0].session, "s-x");
    CHECK(l.entries[1].pid == 10 && l.entries[2].pid == 9);
  }
  atf_trace_list_free(&l);
}

static void traces_list__missing_root_or_stray_file__then_error(void) {
  atf_trace_list l;
  atf_error err;
  const char *dir = temp_dir();
  CHECK(atf_traces_list(b_path(dir, "nosuch"), 8, NULL, &l, &err) ==
        ATF_ERR_NOT_FOUND);
  CHECK(strstr(err.message, "nosuch: No such file or directory") != NULL);
  CHECK_U64(l.count, 0);
  atf_trace_list_free(&l);
  CHECK(atf_traces_list("", 8, NULL, &l, &err) == ATF_ERR_NOT_FOUND);
  atf_trace_list_free(&l);
  /* A v2 thread file outside a thread_<n> directory belongs to no trace. */
  b_write(b_path(dir, "index.atf"), "ATI2", 4);
  CHECK(atf_traces_list(b_path(dir, "index.atf"), 8, NULL, &l, &err) ==
        ATF_ERR_FORMAT);
  atf_trace_list_free(&l);
}

static int always_stop(void *user) {
  (*(int *)user)++;
  return 1;
}

static void traces_list__stop_asked__then_interrupted(void) {
  char root[512];
  atf_trace_list l;
  atf_error err;
  int asked = 0;
  atf_interrupt stop = {always_stop, &asked};
  snprintf(root, sizeof root, "%s", temp_dir());
  for (int i = 0; i < 40; i++) {
    char name[32];
    snprintf(name, sizeof name, "d%d", i);
    mkdirs(b_path(root, name));
  }
  CHECK(atf_traces_list(root, 8, &stop, &l, &err) == ATF_ERR_INTERRUPTED);
  CHECK(asked == 1);
  CHECK_U64(l.count, 0);
  atf_trace_list_free(&l);
}

/* The summary of the one trace at ROOT. */
static void summary_of(const char *root, atf_trace_summary *s) {
  atf_trace_list l;
  atf_status rc;
  atf_error err;
  memset(s, 0, sizeof *s);
  if (list(root, 8, &l, &rc) != 1) {
    CHECK(!"one trace");
    atf_trace_list_free(&l);
    return;
  }
  CHECK(atf_trace_summarize(&l.entries[0], NULL, s, &err) == ATF_OK);
  atf_trace_list_free(&l);
}

static int no_finding(void *user, const atf_finding *f) {
  (void)user;
  (void)f;
  return 0;
}

static void traces_summary__crashed_v4__then_counts_as_a_full_check(void) {
  const char *dir = temp_dir();
  char cmd[2048];
  atf_trace_summary s;
  atf_check_summary c;
  atf_error err;
  const char *trace = b_path(dir, "pid_77");
  snprintf(cmd, sizeof cmd,
           "'%s' --seed 9 --events 20000 --threads 3 --no-manifest --tear 4 "
           "'%s' >/dev/null",
           ATF_GEN_CLI, trace);
  CHECK(system(cmd) == 0);
  summary_of(trace, &s);
  CHECK(atf_check_trace(trace, no_finding, NULL, NULL, &c, &err) == ATF_OK);
  CHECK(s.format == ATF_FORMAT_V4);
  CHECK(!s.finalized);
  CHECK(s.error == NULL); /* a torn tail is a crash, not damage */
  CHECK(s.has_event_count && s.has_bytes);
  CHECK_U64(s.event_count, c.events);
  CHECK_U64(s.event_count, 19999);
  CHECK_U64(s.bytes, c.bytes);
  CHECK(s.has_time_start && s.has_time_end);
  CHECK_I64(s.time_start_ns, c.first_ts);
  CHECK_I64(s.time_end_ns, c.last_ts);
  CHECK_STR(s.os, "linux"); /* from the trace_start record */
  CHECK_STR(s.arch, "x86_64");
  CHECK(s.has_pid && s.pid == 77);
  CHECK(!s.has_threads);
  atf_trace_summary_free(&s);
}

static void traces_summary__finalized_v4__then_manifest_values(void) {
  atf_trace_summary s;
  summary_of(V4_TRACE, &s);
  CHECK(s.finalized);
  CHECK_U64(s.event_count, 63);
  CHECK_U64(s.bytes, 6866);
  CHECK_U64(s.time_start_ns, 1795627355989122807ull);
  CHECK_U64(s.time_end_ns, 1795627355989915729ull);
  CHECK_STR(s.os, "linux");
  CHECK(s.error == NULL);
  atf_trace_summary_free(&s);
}

static void traces_summary__v2_fixtures__then_counts_as_a_full_check(void) {
  const char *traces[] = {SMALL, CRASHED, EMPTY};
  const int finalized[] = {1, 0, 1};
  for (int i = 0; i < 3; i++) {
    atf_trace_summary s;
    atf_v2_check_summary c;
    atf_error err;
    summary_of(traces[i], &s);
    CHECK(atf_v2_check_trace(traces[i], no_finding, NULL, NULL, &c, &err) ==
          ATF_OK);
    CHECK(s.format == ATF_FORMAT_V2);
    CHECK_I64(s.finalized, finalized[i]);
    CHECK(s.error == NULL);
    CHECK_U64(s.event_count, c.events);
    CHECK_U64(s.bytes, c.bytes);
    CHECK_U64(s.threads, c.threads);
    CHECK_I64(s.has_time_start, c.events > 0);
    if (c.events) {
      CHECK_U64(s.time_start_ns, c.min_ts); /* fixtures: in order per file */
      CHECK_U64(s.time_end_ns, c.max_ts);
    }
    CHECK_STR(s.os, "linux");
    CHECK_STR(s.arch, "x86_64");
    atf_trace_summary_free(&s);
  }
}

static void traces_summary__damage__then_error_and_what_reads(void) {
  atf_trace_summary s;
  char cmd[2048];
  /* v4: a length prefix that is no varint after the 63 records. */
  const char *dir = temp_dir(), *trace = b_path(dir, "pid_5");
  b_mkdir(trace);
  snprintf(cmd, sizeof cmd,
           "cp '%s/events.bin' '%s/' && printf '\\377\\377\\377\\377\\377"
           "\\377\\377\\377\\377\\377\\377' >>'%s/events.bin'",
           V4_TRACE, trace, trace);
  CHECK(system(cmd) == 0);
  summary_of(trace, &s);
  CHECK(!s.finalized);
  CHECK_U64(s.event_count, 63);
  CHECK_U64(s.bytes, 6866);
  CHECK(s.error && strstr(s.error, "events.bin: byte offset 6866: invalid "
                                   "record length prefix") != NULL);
  atf_trace_summary_free(&s);
  /* v2: a thread directory gone that the manifest names, and one thread
  ** file with the wrong magic: two problems, the first told. */
  trace = b_copy(SMALL);
  snprintf(cmd, sizeof cmd, "rm -r '%s/thread_2'", trace);
  CHECK(system(cmd) == 0);
  b_patch(b_path(trace, "thread_0/index.atf"), 0, "ATIX", 4);
  summary_of(trace, &s);
  CHECK(!s.finalized);
  CHECK_U64(s.threads, 2);
  CHECK_U64(s.event_count, 62); /* thread_1 alone */
  CHECK(s.error && strstr(s.error, "thread_0/index.atf: byte offset 0: magic "
                                   "is") != NULL);
  CHECK(s.error && strstr(s.error, "(and 1 more problem: atf_check tells "
                                   "all)") != NULL);
  atf_trace_summary_free(&s);
  /* v2: manifest.json that is not JSON: not finalized, records read. */
  trace = b_copy(SMALL);
  b_write(b_path(trace, "manifest.json"), "{", 1);
  summary_of(trace, &s);
  CHECK(!s.finalized);
  CHECK_U64(s.event_count, 181);
  CHECK(s.error && strstr(s.error, "manifest.json") != NULL);
  atf_trace_summary_free(&s);
}

static const check_case cases[] = {
    CASE(traces_list__max_depth__then_deeper_folders_not_looked_at),
    CASE(traces_list__symlink_loops__then_ends_links_not_followed),
    CASE(traces_list__root_is_a_trace__then_itself_session_above),
    CASE(traces_list__sessions__then_sorted_by_path_bytes),
    CASE(traces_list__missing_root_or_stray_file__then_error),
    CASE(traces_list__stop_asked__then_interrupted),
    CASE(traces_summary__crashed_v4__then_counts_as_a_full_check),
    CASE(traces_summary__finalized_v4__then_manifest_values),
    CASE(traces_summary__v2_fixtures__then_counts_as_a_full_check),
    CASE(traces_summary__damage__then_error_and_what_reads),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
