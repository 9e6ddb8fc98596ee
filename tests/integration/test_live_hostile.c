/*
** test_live_hostile.c - traces that change under the reader, and records
** built to exhaust it, through the extension as an application loads it.
**
** Live: another process appends to events.bin between and during queries.
** A query reads the file as it was when it started; the next query sees the
** new events; an index built earlier is extended, not rebuilt.
** Hostile: megabyte records of empty map entries, unknown fields or
** repeated payloads must not make the heap grow with them.
*/
#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atf_gen.h"
#include "atf_reader.h"
#include "check.h"
#include "sqltest.h"
#include "testutil.h"

static int64_t framed(sqlite3 *db) {
  return query_int(db, "SELECT atf_stats() ->> 'records_framed'", NULL);
}

/* Another process appends N records (event_id 7, 3 bytes each) to PATH,
** as a tracer would, and exits; returns when it is done. */
static void append_from_child(const char *path, int n) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(path, O_WRONLY | O_APPEND);
    for (int i = 0; fd >= 0 && i < n; i++)
      if (write(fd, "\002\010\007", 3) != 3) _exit(1);
    _exit(fd >= 0 && close(fd) == 0 ? 0 : 1);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static const char *generated(uint64_t seed, uint64_t events, char *events_bin,
                             size_t cap) {
  static char dir[600];
  atf_gen_options o;
  atf_gen_options_default(&o);
  o.seed = seed;
  o.events = events;
  snprintf(dir, sizeof dir, "%s/pid_live", temp_dir());
  if (atf_gen_write(dir, &o, NULL, NULL) != 0) exit(2);
  snprintf(events_bin, cap, "%s/events.bin", dir);
  return dir;
}

static void live__append_between_queries__then_seen_and_index_extended(void) {
  char events_bin[700];
  const char *dir = generated(21, 5000, events_bin, sizeof events_bin);
  sqlite3 *db = open_db();
  CHECK_I64(query_int(db, "SELECT count(*) FROM atf_events(?1)", dir), 5000);
  /* An offset query builds the index over the 5000 records. */
  CHECK_I64(query_int(db,
                      "SELECT count(*) FROM atf_events(?1) WHERE offset > 0",
                      dir),
            4999);
  append_from_child(events_bin, 300);
  CHECK_I64(query_int(db, "SELECT count(*) FROM atf_events(?1)", dir), 5300);
  /* An event_id range uses the index: it is brought up to date by reading
  ** the 300 new records (a rebuild would read all 5300 again), then only
  ** the blocks that may hold event 7 are read. */
  int64_t before = framed(db);
  CHECK_I64(query_int(db,
                      "SELECT count(*) FROM atf_events(?1) WHERE event_id = 7",
                      dir),
            1 + 300);
  CHECK(framed(db) - before < 5300);
  sqlite3_close(db);
}

static void live__append_during_query__then_snapshot(void) {
  char events_bin[700];
  const char *dir = generated(22, 2000, events_bin, sizeof events_bin);
  sqlite3 *db = open_db();
  sqlite3_stmt *st;
  int rows = 0;
  CHECK(sqlite3_prepare_v2(db, "SELECT offset FROM atf_events(?1)", -1, &st,
                           NULL) == SQLITE_OK);
  sqlite3_bind_text(st, 1, dir, -1, SQLITE_TRANSIENT);
  while (sqlite3_step(st) == SQLITE_ROW)
    if (++rows == 1000) append_from_child(events_bin, 50); /* mid-query */
  CHECK_I64(rows, 2000); /* the file as it was when the query started */
  sqlite3_finalize(st);
  CHECK_I64(query_int(db, "SELECT count(*) FROM atf_events(?1)", dir), 2050);
  /* The same within one statement run twice (a prepared statement). */
  CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM atf_events(?1)", -1, &st,
                           NULL) == SQLITE_OK);
  sqlite3_bind_text(st, 1, dir, -1, SQLITE_TRANSIENT);
  CHECK(sqlite3_step(st) == SQLITE_ROW);
  CHECK_I64(sqlite3_column_int64(st, 0), 2050);
  sqlite3_reset(st);
  append_from_child(events_bin, 5);
  CHECK(sqlite3_step(st) == SQLITE_ROW);
  CHECK_I64(sqlite3_column_int64(st, 0), 2055);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void live__rewritten_in_place__then_index_rebuilt(void) {
  /* Not an append: the same inode given other, longer content (cp over
  ** it). The index must not be extended from the old file's blocks. */
  char a_bin[700], b_bin[700];
  const char *dir = generated(23, 3000, a_bin, sizeof a_bin);
  char a_dir[600];
  snprintf(a_dir, sizeof a_dir, "%s", dir);
  generated(24, 5000, b_bin, sizeof b_bin);
  sqlite3 *db = open_db();
  const char *pushed = "SELECT count(*) || ':' || total(event_id) FROM "
                       "atf_events(?1) WHERE ts > (SELECT ts FROM "
                       "atf_events(?1) LIMIT 1 OFFSET 2500)";
  const char *plain = "SELECT count(*) || ':' || total(event_id) FROM "
                      "atf_events(?1) WHERE +ts > (SELECT ts FROM "
                      "atf_events(?1) LIMIT 1 OFFSET 2500)";
  CHECK(query_int(db, pushed, a_dir) >= 0); /* builds the index on A */
  FILE *in = fopen(b_bin, "rb"), *out = fopen(a_bin, "r+b");
  char buf[65536];
  size_t n;
  CHECK(in && out);
  while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
    CHECK(fwrite(buf, 1, n, out) == n);
  if (in) fclose(in);
  if (out) fclose(out);
  sqlite3_stmt *st;
  char expected[64] = "", got[64] = "";
  for (int pass = 0; pass < 2; pass++) {
    CHECK(sqlite3_prepare_v2(db, pass ? pushed : plain, -1, &st, NULL) ==
          SQLITE_OK);
    sqlite3_bind_text(st, 1, a_dir, -1, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    snprintf(pass ? got : expected, 64, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
  }
  CHECK_STR(got, expected);
  /* B's 5000 events past its 2500th: about 2500 rows (A would give ~500). */
  CHECK(atoi(expected) > 2000);
  sqlite3_close(db);
}

static void live__same_size_rewrite__then_index_rebuilt(void) {
  /* One byte of a record in the middle changed in place: same inode, same
  ** size, new mtime. The index must not keep the old block ranges. */
  char bin[700];
  const char *dir = generated(28, 15000, bin, sizeof bin);
  sqlite3 *db = open_db();
  int64_t max_ts =
      query_int(db, "SELECT max(ts) FROM atf_events(?1) WHERE ts > 0", dir);
  CHECK(max_ts > 0);
  /* The 7500th record's timestamp seconds, one bigger: past max_ts. */
  int64_t off = query_int(
      db, "SELECT offset FROM atf_events(?1) LIMIT 1 OFFSET 7500", dir);
  char sql[200];
  snprintf(sql, sizeof sql,
           "SELECT size FROM atf_events(?1) WHERE offset = %lld",
           (long long)off);
  int64_t size = query_int(db, sql, dir);
  FILE *f = fopen(bin, "r+b");
  uint8_t rec[4096];
  CHECK(f && size > 0 && size < (int64_t)sizeof rec);
  CHECK(fseek(f, off, SEEK_SET) == 0 && fread(rec, 1, size, f) == (size_t)size);
  /* The timestamp field 3 (0x1a), then its seconds (0x08): bump the
  ** seconds' first byte by one (a 5-byte varint, so it cannot overflow
  ** into a sixth). */
  int done = 0;
  for (int64_t i = 0; i + 3 < size && !done; i++)
    if (rec[i] == 0x1a && rec[i + 2] == 0x08 && (rec[i + 3] & 0x7f) < 0x7f) {
      rec[i + 3]++;
      done = 1;
    }
  CHECK(done);
  CHECK(fseek(f, off, SEEK_SET) == 0 &&
        fwrite(rec, 1, size, f) == (size_t)size);
  fclose(f);
  struct timespec later[2] = {{0, UTIME_OMIT}, {time(NULL) + 5, 0}};
  utimensat(AT_FDCWD, bin, later, 0); /* a new mtime even within a tick */
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM atf_events(?1) WHERE ts > %lld",
           (long long)max_ts);
  CHECK_I64(query_int(db, sql, dir), 1);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM atf_events(?1) WHERE +ts > %lld",
           (long long)max_ts);
  CHECK_I64(query_int(db, sql, dir), 1);
  sqlite3_close(db);
}

/* A file of one record: prefix, then BODY_LEN bytes made by FILL. */
static const char *hostile_trace(const char *name,
                                 void (*fill)(uint8_t *, size_t),
                                 size_t body_len) {
  static char dir[600];
  uint8_t *data = malloc(body_len + 10);
  size_t n = 0;
  uint64_t v = body_len;
  while (v >= 0x80)
    data[n++] = (uint8_t)(v | 0x80), v >>= 7;
  data[n++] = (uint8_t)v;
  fill(data + n, body_len);
  snprintf(dir, sizeof dir, "%s/%s", temp_dir(), name);
  mkdir(dir, 0700);
  write_file(dir, "events.bin", data, n + body_len);
  free(data);
  return dir;
}

#define MIB (1u << 20)

/* function_call = 12 holding empty map entries (field 3, length 0); LEN - 5
** must be even. */
static void fill_empty_entries(uint8_t *p, size_t len) {
  size_t inner = len - 5; /* 1 tag + 4-byte length */
  p[0] = 0x62;
  p[1] = (uint8_t)(inner | 0x80), p[2] = (uint8_t)((inner >> 7) | 0x80);
  p[3] = (uint8_t)((inner >> 14) | 0x80), p[4] = (uint8_t)(inner >> 21);
  for (size_t i = 5; i + 1 < len; i += 2)
    p[i] = 0x1a, p[i + 1] = 0x00;
}

/* Unknown varint fields (field 15: tag 0x78) of value 1. */
static void fill_unknown_fields(uint8_t *p, size_t len) {
  for (size_t i = 0; i + 1 < len; i += 2)
    p[i] = 0x78, p[i + 1] = 0x01;
}

/* function_call { symbol: "f" } repeated: the occurrences merge. LEN must
** be a multiple of 5. */
static void fill_repeated_payloads(uint8_t *p, size_t len) {
  for (size_t i = 0; i + 5 <= len; i += 5)
    p[i] = 0x62, p[i + 1] = 0x03, p[i + 2] = 0x0a, p[i + 3] = 0x01,
    p[i + 4] = 'f';
}

static void hostile__megabyte_records__then_heap_bounded(void) {
  const struct {
    const char *name;
    void (*fill)(uint8_t *, size_t);
    size_t len;
    const char *registers, *symbol;
  } cases[] = {
      {"empty_entries", fill_empty_entries, MIB + 1, "{\"\":0}", ""},
      {"unknown_fields", fill_unknown_fields, MIB, NULL, NULL},
      {"repeated_payloads", fill_repeated_payloads, MIB / 5 * 5, "{}", "f"},
  };
  sqlite3 *db = open_db();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *dir = hostile_trace(cases[i].name, cases[i].fill, cases[i].len);
    sqlite3_stmt *st;
    sqlite3_int64 before = sqlite3_memory_used();
    sqlite3_memory_highwater(1); /* reset the peak */
    CHECK(sqlite3_prepare_v2(db,
                             "SELECT registers, symbol, args, stack FROM "
                             "atf_events(?1)",
                             -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, dir, -1, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    const char *regs = (const char *)sqlite3_column_text(st, 0);
    const char *sym = (const char *)sqlite3_column_text(st, 1);
    if (cases[i].registers) {
      CHECK_STR(regs, cases[i].registers);
      CHECK_STR(sym, cases[i].symbol);
    } else {
      CHECK(regs == NULL && sym == NULL); /* no payload: all NULL */
    }
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    /* A megabyte record: the row costs kilobytes of heap, not megabytes. */
    sqlite3_int64 peak = sqlite3_memory_highwater(0) - before;
    if (peak > 256 * 1024)
      fprintf(stderr, "%s: peak heap %lld bytes\n", cases[i].name,
              (long long)peak);
    CHECK(peak <= 256 * 1024);
  }
  sqlite3_close(db);
}

static const check_case cases[] = {
    CASE(live__append_between_queries__then_seen_and_index_extended),
    CASE(live__append_during_query__then_snapshot),
    CASE(live__rewritten_in_place__then_index_rebuilt),
    CASE(live__same_size_rewrite__then_index_rebuilt),
    CASE(hostile__megabyte_records__then_heap_bounded),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
