/*
** test_map_iter.c - locating a trace, the memory map, framing and seeking.
*/
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "atf_reader.h"
#include "check.h"
#include "testutil.h"

/* Three records: event_id 1, 2 and 3 (two bytes of body each). */
static const uint8_t three_records[] = {0x02, 0x08, 0x01, 0x02, 0x08,
                                        0x02, 0x02, 0x08, 0x03};

static const char *events_file(const void *data, size_t len) {
  return write_file(temp_dir(), "events.bin", data, len);
}

static long resident_kib(void) {
  char line[256];
  long kib = -1;
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  if (f) fclose(f);
  return kib;
}

static void memory_map__valid_file__then_accessible(void) {
  atf_map m;
  atf_error err;
  CHECK(atf_map_open(events_file(three_records, sizeof three_records), &m,
                     &err) == ATF_OK);
  CHECK_U64(m.size, sizeof three_records);
  CHECK(m.data && memcmp(m.data, three_records, sizeof three_records) == 0);
  CHECK_U64(m.id.size, sizeof three_records);
  atf_map_close(&m);
  CHECK(m.data == NULL && m.size == 0);
  atf_map_close(&m); /* closing twice is harmless */
}

static void memory_map__empty_file__then_zero_events(void) {
  atf_map m;
  atf_iter it;
  atf_record r;
  atf_error err;
  CHECK(atf_map_open(events_file("", 0), &m, &err) == ATF_OK);
  CHECK_U64(m.size, 0);
  atf_iter_init(&it, &m);
  CHECK(atf_iter_next(&it, &r, &err) == ATF_END);
  CHECK_U64(it.torn_bytes, 0);
  atf_map_close(&m);
}

static void memory_map__missing_file__then_not_found(void) {
  atf_map m;
  atf_error err;
  char path[600];
  snprintf(path, sizeof path, "%s/events.bin", temp_dir());
  CHECK(atf_map_open(path, &m, &err) == ATF_ERR_NOT_FOUND);
  CHECK(strstr(err.message, path) != NULL);
}

static void memory_map__not_regular_file__then_error(void) {
  atf_map m;
  atf_error err;
  const char *dir = temp_dir();
  char fifo[600];
  snprintf(fifo, sizeof fifo, "%s/events.bin", dir);
  CHECK(mkfifo(fifo, 0600) == 0);
  /* A FIFO with no writer: must fail at once, not wait for one. */
  CHECK(atf_map_open(fifo, &m, &err) == ATF_ERR_IO);
  CHECK(strstr(err.message, "not a regular file") != NULL);
  CHECK(atf_map_open(dir, &m, &err) == ATF_ERR_IO);
  CHECK(atf_map_open("/dev/zero", &m, &err) == ATF_ERR_IO);
}

static void memory_map__large_file__then_efficient(void) {
  /* A sparse file past 4 GiB: mapping it reads nothing, and a record beyond
  ** the 32-bit range is reached by a seek, not a walk. */
  const uint64_t far = ((uint64_t)1 << 32) + 4096 + 7;
  char path[600];
  int fd;
  atf_map m;
  atf_iter it;
  atf_record r;
  atf_event ev;
  atf_error err;
  long before, after;
  snprintf(path, sizeof path, "%s/events.bin", temp_dir());
  fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  CHECK(fd >= 0);
  CHECK(pwrite(fd, three_records + 3, 3, (off_t)far) == 3); /* event_id 2 */
  close(fd);
  before = resident_kib();
  CHECK(atf_map_open(path, &m, &err) == ATF_OK);
  CHECK_U64(m.size, far + 3);
  atf_iter_init(&it, &m);
  CHECK(atf_iter_seek(&it, far, &err) == ATF_OK);
  CHECK_U64(atf_iter_position(&it), far);
  CHECK_U64(atf_iter_remaining(&it), 3);
  CHECK(atf_iter_next(&it, &r, &err) == ATF_OK);
  CHECK_U64(r.offset, far);
  CHECK(atf_event_decode(&r, &ev, &err) == ATF_OK);
  CHECK_U64(ev.event_id, 2);
  CHECK(atf_iter_next(&it, &r, &err) == ATF_END);
  after = resident_kib();
  CHECK(after - before < 16 * 1024); /* 4 GiB mapped, a few pages touched */
  atf_map_close(&m);
  unlink(path);
}

static void event_iterator__sequential_read__then_ordered(void) {
  atf_map m;
  atf_iter it;
  atf_record r;
  atf_event ev;
  atf_error err;
  uint64_t expected_offset = 0;
  CHECK(atf_map_open(events_file(three_records, sizeof three_records), &m,
                     &err) == ATF_OK);
  atf_iter_init(&it, &m);
  for (uint64_t id = 1; id <= 3; id++) {
    CHECK(atf_iter_next(&it, &r, &err) == ATF_OK);
    CHECK_U64(r.offset, expected_offset);
    CHECK_U64(r.size, 3);
    CHECK_U64(r.body_len, 2);
    CHECK(atf_event_decode(&r, &ev, &err) == ATF_OK);
    CHECK_U64(ev.event_id, id);
    expected_offset += r.size;
    CHECK_U64(atf_iter_position(&it), expected_offset);
  }
  CHECK(atf_iter_next(&it, &r, &err) == ATF_END);
  CHECK(atf_iter_next(&it, &r, &err) == ATF_END); /* and stays there */
  CHECK_U64(atf_iter_remaining(&it), 0);
  CHECK_U64(it.records_read, 3);
  atf_map_close(&m);
}

static void event_iterator__empty_stream__then_none(void) {
  atf_map m = {0};
  atf_iter it;
  atf_record r;
  atf_error err;
  atf_iter_init(&it, &m);
  CHECK(atf_iter_next(&it, &r, &err) == ATF_END);
  CHECK_U64(atf_iter_remaining(&it), 0);
}

static void event_iterator__torn_tail__then_stops_before_it(void) {
  /* Body cut short (a prefix of 2 with one byte), and half a prefix. */
  static const uint8_t torn_body[] = {0x02, 0x08, 0x01, 0x02, 0x08};
  static const uint8_t torn_prefix[] = {0x02, 0x08, 0x01, 0x96};
  const struct {
    const uint8_t *data;
    size_t len;
  } cases[] = {{torn_body, sizeof torn_body},
               {torn_prefix, sizeof torn_prefix}};
  for (size_t i = 0; i < 2; i++) {
    atf_map m;
    atf_iter it;
    atf_record r;
    atf_error err;
    CHECK(atf_map_open(events_file(cases[i].data, cases[i].len), &m, &err) ==
          ATF_OK);
    atf_iter_init(&it, &m);
    CHECK(atf_iter_next(&it, &r, &err) == ATF_OK);
    CHECK(atf_iter_next(&it, &r, &err) == ATF_END);
    CHECK_U64(it.torn_bytes, cases[i].len - 3);
    CHECK_U64(atf_iter_position(&it), 3);
    atf_map_close(&m);
  }
}

static void event_iterator__invalid_prefix__then_error(void) {
  uint8_t bad[3 + 11];
  atf_map m;
  atf_iter it;
  atf_record r;
  atf_error err;
  memcpy(bad, three_records, 3);
  memset(bad + 3, 0xff, 11); /* an 11-byte varint */
  CHECK(atf_map_open(events_file(bad, sizeof bad), &m, &err) == ATF_OK);
  atf_iter_init(&it, &m);
  CHECK(atf_iter_next(&it, &r, &err) == ATF_OK);
  CHECK(atf_iter_next(&it, &r, &err) == ATF_ERR_VARINT);
  CHECK_U64(err.offset, 3);
  CHECK(strstr(err.message, "byte offset 3") != NULL);
  CHECK(strstr(err.message, "events.bin") != NULL);
  CHECK_U64(atf_iter_position(&it), 3); /* an error does not move */
  atf_map_close(&m);
}

static void event_iterator__huge_length_prefix__then_error(void) {
  /* A record in the middle announcing 2^32 bytes, or half a prefix of 5+
  ** bytes: damage to report, not a torn tail that would hide the rest. */
  static const uint8_t huge[] = {0x02, 0x08, 0x01, 0x80, 0x80,
                                 0x80, 0x80, 0x10, 0x08, 0x02};
  static const uint8_t long_cut[] = {0x02, 0x08, 0x01, 0x80,
                                     0x80, 0x80, 0x80, 0x80};
  const uint8_t *files[] = {huge, long_cut};
  size_t sizes[] = {sizeof huge, sizeof long_cut};
  for (size_t i = 0; i < 2; i++) {
    atf_map m;
    atf_iter it;
    atf_record r;
    atf_error err;
    CHECK(atf_map_open(events_file(files[i], sizes[i]), &m, &err) == ATF_OK);
    atf_iter_init(&it, &m);
    CHECK(atf_iter_next(&it, &r, &err) == ATF_OK);
    CHECK(atf_iter_next(&it, &r, &err) == ATF_ERR_VARINT);
    CHECK_U64(err.offset, 3);
    CHECK(strstr(err.message, "4 GiB or more") != NULL);
    atf_map_close(&m);
  }
}

static void seek__valid_offset__then_positioned(void) {
  atf_map m;
  atf_iter it;
  atf_record r;
  atf_event ev;
  atf_error err;
  CHECK(atf_map_open(events_file(three_records, sizeof three_records), &m,
                     &err) == ATF_OK);
  atf_iter_init(&it, &m);
  CHECK(atf_iter_seek(&it, 6, &err) == ATF_OK);
  CHECK_U64(atf_iter_position(&it), 6);
  CHECK_U64(atf_iter_remaining(&it), 3);
  CHECK(atf_iter_next(&it, &r, &err) == ATF_OK);
  CHECK(atf_event_decode(&r, &ev, &err) == ATF_OK);
  CHECK_U64(ev.event_id, 3);
  CHECK(atf_iter_seek(&it, 0, &err) == ATF_OK); /* back to the start */
  CHECK(atf_iter_next(&it, &r, &err) == ATF_OK);
  CHECK_U64(r.offset, 0);
  CHECK(atf_iter_seek(&it, 9, &err) == ATF_OK); /* the end itself */
  CHECK(atf_iter_next(&it, &r, &err) == ATF_END);
  atf_map_close(&m);
}

static void seek__beyond_end__then_error(void) {
  atf_map m;
  atf_iter it;
  atf_error err;
  CHECK(atf_map_open(events_file(three_records, sizeof three_records), &m,
                     &err) == ATF_OK);
  atf_iter_init(&it, &m);
  CHECK(atf_iter_seek(&it, 10, &err) == ATF_ERR_RANGE);
  CHECK_U64(err.offset, 10);
  CHECK(strstr(err.message, "beyond the end") != NULL);
  CHECK_U64(atf_iter_position(&it), 0);
  atf_map_close(&m);
}

static void skip_to__record_start_or_not__then_told_apart(void) {
  atf_map m;
  atf_iter it;
  atf_error err;
  CHECK(atf_map_open(events_file(three_records, sizeof three_records), &m,
                     &err) == ATF_OK);
  atf_iter_init(&it, &m);
  CHECK(atf_iter_skip_to(&it, 3, &err) == ATF_OK);
  CHECK_U64(atf_iter_position(&it), 3); /* a record start */
  CHECK(atf_iter_skip_to(&it, 4, &err) == ATF_OK);
  CHECK_U64(atf_iter_position(&it), 6); /* inside a record: the next one */
  atf_map_close(&m);
}

static void paths__directory_or_file__then_both_paths(void) {
  atf_trace_paths p;
  atf_error err;
  const char *dir = temp_dir();
  char given[600], expected[600];
  CHECK(atf_trace_paths_resolve(dir, &p, &err) == ATF_OK);
  snprintf(expected, sizeof expected, "%s/events.bin", dir);
  CHECK_STR(p.events_path, expected);
  atf_trace_paths_free(&p);
  write_file(dir, "trace.json", "{}", 2);
  snprintf(given, sizeof given, "%s/trace.json", dir);
  CHECK(atf_trace_paths_resolve(given, &p, &err) == ATF_OK);
  CHECK_STR(p.events_path, expected);
  CHECK_STR(p.manifest_path, given);
  atf_trace_paths_free(&p);
  snprintf(given, sizeof given, "%s/nope", dir);
  CHECK(atf_trace_paths_resolve(given, &p, &err) == ATF_ERR_NOT_FOUND);
  CHECK(strstr(err.message, given) != NULL);
}

static const check_case cases[] = {
    CASE(memory_map__valid_file__then_accessible),
    CASE(memory_map__empty_file__then_zero_events),
    CASE(memory_map__missing_file__then_not_found),
    CASE(memory_map__not_regular_file__then_error),
    CASE(memory_map__large_file__then_efficient),
    CASE(event_iterator__sequential_read__then_ordered),
    CASE(event_iterator__empty_stream__then_none),
    CASE(event_iterator__torn_tail__then_stops_before_it),
    CASE(event_iterator__invalid_prefix__then_error),
    CASE(event_iterator__huge_length_prefix__then_error),
    CASE(seek__valid_offset__then_positioned),
    CASE(seek__beyond_end__then_error),
    CASE(skip_to__record_start_or_not__then_told_apart),
    CASE(paths__directory_or_file__then_both_paths),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
