/*
** test_v2_files.c - opening ATF v2 traces: the tracer's own fixtures read as
** their README says they hold, headers and footers and the placeholder
** rule, torn tails, detail records and their links, registers, and each
** kind of damage with the exact error or note it gets.
*/
#include <errno.h>

#include "atf_reader.h"
#include "check.h"
#include "v2_build.h"

static void open_ok(const char *dir, unsigned flags, atf_v2_trace *t) {
  atf_error err;
  atf_status rc = atf_v2_open(dir, flags, t, &err);
  if (rc != ATF_OK) fprintf(stderr, "open %s: %s\n", dir, err.message);
  CHECK(rc == ATF_OK);
}

static int has_note(const atf_v2_note *notes, uint32_t n, const char *code,
                    uint64_t offset) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(notes[i].code, code) == 0 && notes[i].offset == offset) return 1;
  return 0;
}

/* ---- the fixtures ------------------------------------------------------ */

static void v2_open__small_fixture__then_181_records_in_three_threads(void) {
  atf_v2_trace t;
  static const uint64_t records[3] = {60, 62, 59};
  open_ok(SMALL, 0, &t);
  CHECK_U64(t.thread_count, 3);
  CHECK_U64(t.records, 181);
  CHECK_U64(t.bytes, 181 * 32);
  CHECK_U64(t.arch, ATF_V2_ARCH_X86_64);
  CHECK_U64(t.os, 4);
  CHECK_STR(atf_v2_arch_name(t.arch), "x86_64");
  CHECK_STR(atf_v2_os_name(t.os), "linux");
  CHECK_U64(t.time_start_ns, 187654321098765ull);
  CHECK_U64(t.time_end_ns, 187654325243518ull);
  CHECK(t.has_manifest && t.manifest_status == ATF_OK);
  CHECK_U64(t.missing_count, 0);
  for (size_t i = 0; i < t.thread_count && i < 3; i++) {
    const atf_v2_thread *th = &t.threads[i];
    CHECK_U64(th->slot, i);
    CHECK_U64(th->index.records, records[i]);
    CHECK(th->index.finalized);
    CHECK_U64(th->index.torn_bytes, 0);
    CHECK_U64(th->index.note_count, 0);
    CHECK(th->has_detail == (i == 1));
  }
  atf_v2_close(&t);
}

static void v2_index__small_thread_1__then_header_and_record_8_as_readme(void) {
  atf_v2_trace t;
  atf_v2_event ev;
  atf_error err;
  open_ok(SMALL, 0, &t);
  const atf_v2_thread *th = atf_v2_thread_of_slot(&t, 1);
  CHECK(th != NULL);
  if (!th) return;
  const atf_v2_index_header *h = &th->index.header;
  CHECK(memcmp(h->magic, "ATI2", 4) == 0);
  CHECK_U64(h->flags, 1);
  CHECK_U64(h->thread_id, 1);
  CHECK_U64(h->clock_type, 1);
  CHECK_U64(h->event_size, 32);
  CHECK_U64(h->event_count, 62);
  CHECK_U64(h->events_offset, 64);
  CHECK_U64(h->footer_offset, 2048);
  CHECK_U64(h->time_start_ns, 187654321098765ull);
  CHECK_U64(h->time_end_ns, 187654325241672ull);
  CHECK_U64(th->index.footer.event_count, 62);
  CHECK_U64(th->index.footer.bytes_written, 0x7c0);
  CHECK(th->index.footer.reserved_zero);
  CHECK(atf_v2_event_read(th, 8, &ev, &err) == ATF_OK);
  CHECK_U64(ev.offset, 320);
  CHECK_U64(ev.ts_ns, 0xaaabad26dc6full);
  CHECK_U64(ev.function_id, 0x435c367500000004ull);
  CHECK_U64(ev.thread_id, 1);
  CHECK_U64(ev.kind, ATF_V2_CALL);
  CHECK_STR(atf_v2_kind_name(ev.kind), "function_call"); /* as v4 names it */
  CHECK_STR(atf_v2_kind_name(ATF_V2_RETURN), "function_return");
  CHECK_STR(atf_v2_kind_name(ATF_V2_EXCEPTION), "exception");
  CHECK(atf_v2_kind_name(0) == NULL && atf_v2_kind_name(4) == NULL);
  CHECK_U64(ev.call_depth, 1);
  CHECK_U64(ev.detail_seq, 0);
  CHECK_U64(ev.rowid, (1ull << 32) | 8);
  CHECK(atf_v2_event_read(th, 62, &ev, &err) == ATF_ERR_RANGE);
  atf_v2_close(&t);
}

static void
v2_detail__small_thread_1__then_positions_8_to_51_linked_both_ways(void) {
  atf_v2_trace t;
  atf_error err;
  uint64_t calls128 = 0, calls96 = 0, calls40 = 0, returns = 0;
  open_ok(SMALL, 0, &t);
  atf_v2_thread *th = atf_v2_thread_of_slot(&t, 1);
  if (!th) return;
  CHECK(th->detail.finalized);
  CHECK_U64(th->detail.header.event_count, 44);
  CHECK_U64(th->detail.header.bytes_length, 44 * 540);
  CHECK_U64(th->detail.header.index_seq_start, 8);
  CHECK_U64(th->detail.header.index_seq_end, 51);
  CHECK_U64(th->detail.footer.bytes_length, 44 * 540);
  for (uint64_t i = 0; i < th->index.records; i++) {
    atf_v2_event ev;
    atf_v2_detail d;
    atf_v2_link link;
    atf_v2_event_read(th, i, &ev, &err);
    CHECK(atf_v2_detail_of(&t, &ev, &d, &link, &err) == ATF_OK);
    if (i < 8 || i > 51) {
      CHECK_U64(ev.detail_seq, ATF_V2_NO_DETAIL);
      CHECK(link == ATF_V2_LINK_NONE);
      continue;
    }
    CHECK_U64(ev.detail_seq, i - 8);
    CHECK(link == ATF_V2_LINK_OK);
    CHECK_U64(d.seq, i - 8);
    CHECK_U64(d.offset, 64 + 540 * (i - 8));
    CHECK_U64(d.total_length, 540);
    CHECK_U64(d.index_seq, i);
    CHECK_U64(d.thread_id, 1);
    CHECK_U64(d.timestamp, ev.ts_ns);
    CHECK(d.has_payload);
    CHECK_U64(d.os_thread_id, 0x2a9fe6c0u);
    CHECK_U64(d.p_function_id, ev.function_id);
    CHECK_U64(d.p_event_kind, ev.kind);
    CHECK_U64(d.p_call_depth, ev.call_depth);
    CHECK_U64(d.event_type, ev.kind == ATF_V2_CALL ? 3 : 4);
    CHECK(!d.stack_damaged);
    CHECK_U64(d.stack.len, d.stack_size);
    if (ev.kind == ATF_V2_RETURN) {
      returns++;
      CHECK_U64(d.stack_size, 0);
    } else if (d.stack_size == 128) {
      calls128++;
    } else if (d.stack_size == 96) {
      calls96++;
    } else if (d.stack_size == 40) {
      calls40++;
    }
  }
  CHECK_U64(calls128, 21);
  CHECK_U64(calls96, 1);
  CHECK_U64(calls40, 2);
  CHECK_U64(returns, 20);
  /* Uniform 540-byte records: found in place, nothing walked past the
  ** first. */
  CHECK(th->layout.uniform);
  CHECK_U64(th->layout.stride, 540);
  CHECK_U64(th->layout.walked, 1);
  CHECK_U64(th->layout.n_marks, 0);
  atf_v2_close(&t);
}

static void v2_registers__x86_64_call_and_return__then_named_as_agent(void) {
  atf_v2_trace t;
  atf_v2_event ev;
  atf_v2_detail d;
  atf_v2_link link;
  atf_v2_register r[ATF_V2_MAX_REGISTERS];
  atf_error err;
  static const char *const call_names[8] = {"rdi", "rsi", "rdx", "rcx",
                                            "r8",  "r9",  "rbp", "rsp"};
  open_ok(SMALL, 0, &t);
  atf_v2_thread *th = atf_v2_thread_of_slot(&t, 1);
  if (!th) return;
  /* Record 8: the call whose bytes the README shows. */
  atf_v2_event_read(th, 8, &ev, &err);
  atf_v2_detail_of(&t, &ev, &d, &link, &err);
  CHECK(link == ATF_V2_LINK_OK);
  size_t n = atf_v2_registers(t.arch, &d, r);
  CHECK_U64(n, 8);
  for (size_t i = 0; i < n && i < 8; i++) {
    CHECK_STR(r[i].name, call_names[i]);
    CHECK_U64(r[i].value, d.x_regs[i]);
  }
  CHECK_U64(r[0].value, 0x100020620ull);    /* rdi, bytes 120.. */
  CHECK_U64(r[6].value, 0x700001a3dfe0ull); /* rbp = fp */
  CHECK_U64(r[7].value, 0x700001a3df80ull); /* rsp = sp */
  CHECK_U64(d.fp, r[6].value);
  CHECK_U64(d.sp, r[7].value);
  CHECK_U64(d.lr, 0);
  /* A return: rax from x_regs[0], rsp from sp. */
  for (uint64_t i = 8; i <= 51; i++) {
    atf_v2_event_read(th, i, &ev, &err);
    if (ev.kind != ATF_V2_RETURN) continue;
    atf_v2_detail_of(&t, &ev, &d, &link, &err);
    n = atf_v2_registers(t.arch, &d, r);
    CHECK_U64(n, 2);
    CHECK_STR(r[0].name, "rax");
    CHECK_U64(r[0].value, d.x_regs[0]);
    CHECK_STR(r[1].name, "rsp");
    CHECK_U64(r[1].value, d.sp);
    break;
  }
  atf_v2_close(&t);
}

static void v2_registers__arm64_and_unknown_arch__then_their_names(void) {
  atf_v2_detail d;
  atf_v2_register r[ATF_V2_MAX_REGISTERS];
  memset(&d, 0, sizeof d);
  d.has_payload = 1;
  for (int i = 0; i < 8; i++)
    d.x_regs[i] = 100 + (uint64_t)i;
  d.lr = 7, d.fp = 8, d.sp = 9;
  d.p_event_kind = ATF_V2_CALL;
  CHECK_U64(atf_v2_registers(ATF_V2_ARCH_ARM64, &d, r), 11);
  CHECK_STR(r[0].name, "x0");
  CHECK_U64(r[0].value, 100);
  CHECK_STR(r[7].name, "x7");
  CHECK_STR(r[8].name, "lr");
  CHECK_U64(r[8].value, 7);
  CHECK_STR(r[9].name, "fp");
  CHECK_STR(r[10].name, "sp");
  CHECK_U64(r[10].value, 9);
  d.p_event_kind = ATF_V2_RETURN;
  CHECK_U64(atf_v2_registers(ATF_V2_ARCH_ARM64, &d, r), 2);
  CHECK_STR(r[0].name, "x0");
  CHECK_STR(r[1].name, "sp");
  CHECK_U64(r[1].value, 9);
  CHECK_U64(atf_v2_registers(9, &d, r), 11);
  CHECK_STR(r[0].name, "x_regs0");
  CHECK_STR(r[10].name, "sp");
  d.p_event_kind = ATF_V2_EXCEPTION; /* not a return: the call set */
  CHECK_U64(atf_v2_registers(ATF_V2_ARCH_X86_64, &d, r), 8);
  d.has_payload = 0;
  CHECK_U64(atf_v2_registers(ATF_V2_ARCH_X86_64, &d, r), 0);
}

static void v2_open__crashed_fixture__then_159_records_and_13_torn_bytes(void) {
  atf_v2_trace t;
  atf_v2_event ev;
  atf_v2_detail d;
  atf_error err;
  open_ok(CRASHED, 0, &t);
  CHECK_U64(t.records, 159);
  CHECK(!t.has_manifest);
  CHECK_U64(t.manifest.symbol_count, 0);
  CHECK(atf_v2_symbol_name(&t.manifest, 0x435c367500000004ull) == NULL);
  atf_v2_thread *th = atf_v2_thread_of_slot(&t, 1);
  if (!th) return;
  for (size_t i = 0; i < t.thread_count; i++) {
    CHECK(!t.threads[i].index.finalized);
    CHECK_U64(t.threads[i].index.header.footer_offset, 64);
    CHECK_U64(t.threads[i].index.header.event_count, 0);
    CHECK_U64(t.threads[i].index.note_count, 0); /* the placeholder is no
                                                    disagreement */
  }
  CHECK_U64(atf_v2_thread_of_slot(&t, 0)->index.records, 60);
  CHECK_U64(atf_v2_thread_of_slot(&t, 2)->index.records, 59);
  CHECK_U64(th->index.records, 40);
  CHECK_U64(th->index.torn_bytes, 13);
  CHECK_U64(th->index.records_end, 1344);
  CHECK(!th->detail.finalized);
  CHECK_U64(th->detail.region_end, 23824);
  CHECK(atf_v2_detail_walk(th, &err) == ATF_OK);
  CHECK_U64(th->layout.walked, 44);
  CHECK_U64(th->layout.torn_bytes, 0);
  /* Detail records 32..43 point back to index records 40..51, cut off. */
  CHECK(atf_v2_detail_at(th, 32, &d, &err) == ATF_OK);
  CHECK_U64(d.index_seq, 40);
  CHECK(atf_v2_event_read(th, 40, &ev, &err) == ATF_ERR_RANGE);
  CHECK(atf_v2_detail_at(th, 44, &d, &err) == ATF_END);
  /* The function ids are there without a manifest. */
  atf_v2_event_read(th, 8, &ev, &err);
  CHECK_U64(ev.function_id, 0x435c367500000004ull);
  atf_v2_close(&t);
}

static void v2_open__empty_fixture__then_zero_records_finalized(void) {
  atf_v2_trace t;
  atf_v2_merge m;
  atf_v2_event ev;
  atf_error err;
  open_ok(EMPTY, 0, &t);
  CHECK_U64(t.thread_count, 1);
  CHECK_U64(t.records, 0);
  CHECK_U64(t.time_start_ns, 0);
  CHECK_U64(t.time_end_ns, 0);
  CHECK(t.threads[0].index.finalized);
  CHECK_U64(t.threads[0].index.note_count, 0);
  CHECK(!t.threads[0].has_detail);
  CHECK(atf_v2_merge_init(&m, &t, NULL, 0, &err) == ATF_OK);
  CHECK(atf_v2_merge_next(&m, &ev) == ATF_END);
  atf_v2_merge_free(&m);
  atf_v2_close(&t);
}

static void v2_rowid__slot_and_record__then_that_record_or_range(void) {
  atf_v2_trace t;
  atf_v2_event ev;
  atf_error err;
  open_ok(SMALL, 0, &t);
  CHECK(atf_v2_event_by_rowid(&t, (2ull << 32) | 58, &ev, &err) == ATF_OK);
  CHECK_U64(ev.slot, 2);
  CHECK_U64(ev.seq, 58);
  CHECK_U64(ev.offset, 64 + 32 * 58);
  CHECK(atf_v2_event_by_rowid(&t, (2ull << 32) | 59, &ev, &err) ==
        ATF_ERR_RANGE);
  CHECK(atf_v2_event_by_rowid(&t, 3ull << 32, &ev, &err) == ATF_ERR_RANGE);
  CHECK(atf_v2_event_by_rowid(&t, UINT64_MAX, &ev, &err) == ATF_ERR_RANGE);
  atf_v2_close(&t);
}

/* ---- headers, footers, the placeholder rule ---------------------------------
 */

static const b_rec three[3] = {
    {100, 0x100000001ull, 0, 1, 1, ATF_V2_NO_DETAIL},
    {200, 0x100000002ull, 0, 1, 2, ATF_V2_NO_DETAIL},
    {300, 0x100000002ull, 0, 2, 2, ATF_V2_NO_DETAIL}};

static void v2_index__placeholder_header__then_records_from_file_size(void) {
  const char *dir = b_trace();
  atf_v2_trace t;
  b_index(b_path(b_thread_dir(dir, 0), "index.atf"), 0, three, 3, 0, 0);
  open_ok(dir, 0, &t);
  CHECK(!t.threads[0].index.finalized);
  CHECK_U64(t.threads[0].index.records, 3);
  CHECK_U64(t.threads[0].index.torn_bytes, 0);
  CHECK_U64(t.threads[0].index.note_count, 0);
  CHECK_U64(t.records, 3);
  atf_v2_close(&t);
}

static void v2_index__cut_inside_a_record__then_torn_tail_counted(void) {
  const char *dir = b_trace();
  const char *path = b_path(b_thread_dir(dir, 0), "index.atf");
  atf_v2_trace t;
  b_index(path, 0, three, 3, 0, 0);
  b_truncate(path, 64 + 2 * 32 + 31);
  open_ok(dir, 0, &t);
  CHECK_U64(t.threads[0].index.records, 2);
  CHECK_U64(t.threads[0].index.torn_bytes, 31);
  CHECK_U64(t.threads[0].index.records_end, 128);
  atf_v2_close(&t);
  /* A header cut short: no record, its bytes torn. */
  b_truncate(path, 40);
  open_ok(dir, 0, &t);
  CHECK(!t.threads[0].index.header_whole);
  CHECK_U64(t.threads[0].index.records, 0);
  CHECK_U64(t.threads[0].index.torn_bytes, 40);
  atf_v2_close(&t);
  /* Nothing reached the disk yet: an empty file is zero records. */
  b_truncate(path, 0);
  open_ok(dir, 0, &t);
  CHECK_U64(t.threads[0].index.records, 0);
  CHECK_U64(t.threads[0].index.torn_bytes, 0);
  atf_v2_close(&t);
}

static void v2_index__footer_disagrees__then_notes_and_rows_readable(void) {
  const char *dir = b_trace();
  const char *path = b_path(b_thread_dir(dir, 0), "index.atf");
  atf_v2_trace t;
  uint8_t junk = 0x5a;
  b_index(path, 0, three, 3, 1, 0);
  b_patch32(path, 28, 7);                /* header: 7 records */
  b_patch32(path, 64 + 96 + 32, 1000);   /* footer: bytes_written */
  b_patch(path, 64 + 96 + 50, &junk, 1); /* a reserved byte */
  open_ok(dir, 0, &t);
  const atf_v2_index_file *f = &t.threads[0].index;
  CHECK(f->finalized);
  CHECK_U64(f->records, 3);
  CHECK_U64(f->note_count, 3);
  CHECK(has_note(f->notes, f->note_count, "footer_mismatch", 28));
  CHECK(has_note(f->notes, f->note_count, "footer_mismatch", 64 + 96 + 32));
  CHECK(has_note(f->notes, f->note_count, "footer_mismatch", 64 + 96 + 40));
  CHECK_U64(t.records, 3);
  atf_v2_close(&t);
  /* The time range and trailing bytes. */
  b_index(path, 0, three, 3, 1, 0);
  b_patch32(path, 48, 99);
  FILE *fp = fopen(path, "ab");
  fputs("tail", fp);
  fclose(fp);
  open_ok(dir, 0, &t);
  f = &t.threads[0].index;
  CHECK_U64(f->note_count, 2);
  CHECK(has_note(f->notes, f->note_count, "footer_mismatch", 48));
  CHECK(has_note(f->notes, f->note_count, "footer_mismatch", 64 + 96 + 64));
  CHECK_U64(f->records, 3);
  atf_v2_close(&t);
}

static void v2_index__header_finalized_footer_gone__then_header_count(void) {
  const char *dir = b_trace();
  const char *path = b_path(b_thread_dir(dir, 0), "index.atf");
  atf_v2_trace t;
  b_index(path, 0, three, 3, 1, 0);
  b_truncate(path, 64 + 96 + 20); /* cut inside the footer */
  open_ok(dir, 0, &t);
  const atf_v2_index_file *f = &t.threads[0].index;
  CHECK(!f->finalized);
  CHECK_U64(f->records, 3); /* not 3 and the remains of the footer */
  CHECK_U64(f->torn_bytes, 20);
  CHECK(has_note(f->notes, f->note_count, "footer_mismatch", 64 + 96));
  atf_v2_close(&t);
}

static void
v2_index__wrong_magic_endian_version_size__then_error_at_field(void) {
  struct {
    long offset;
    uint32_t value;
    int width;
    uint64_t err_offset;
    const char *says;
  } cases[] = {
      {0, 0x32495441, 4, 0,
       "magic is 41 54 49 32, not \"ATI2\""}, /* "ATI2"
                                                  reversed */
      {4, 2, 1, 4, "endian byte is 2"},
      {5, 3, 1, 5, "version 3"},
      {24, 16, 4, 24, "event_size is 16"},
      {32, 128, 4, 32, "events_offset is 128"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *dir = b_trace();
    const char *path = b_path(b_thread_dir(dir, 0), "index.atf");
    atf_v2_trace t;
    atf_error err;
    uint8_t v[4];
    b_index(path, 0, three, 3, 1, 0);
    b_put32(v, cases[i].value);
    if (cases[i].offset == 0) memcpy(v, "AIT2", 4);
    b_patch(path, cases[i].offset, v, (size_t)cases[i].width);
    CHECK(atf_v2_open(dir, 0, &t, &err) == ATF_ERR_FORMAT);
    CHECK_U64(err.offset, cases[i].err_offset);
    CHECK(strstr(err.message, path) != NULL);
    if (cases[i].offset != 0)
      CHECK(strstr(err.message, cases[i].says) != NULL);
    else
      CHECK(strstr(err.message, "41 49 54 32") != NULL);
    /* Leniently the thread is kept, with no rows and its error. */
    CHECK(atf_v2_open(dir, ATF_V2_OPEN_LENIENT, &t, &err) == ATF_OK);
    CHECK(t.threads[0].index_status == ATF_ERR_FORMAT);
    CHECK_U64(t.threads[0].index_error.offset, cases[i].err_offset);
    CHECK_U64(t.records, 0);
    atf_v2_close(&t);
  }
}

static void v2_detail__wrong_magic_or_endian__then_error_naming_file(void) {
  const char *dir = b_trace();
  const char *tdir = b_thread_dir(dir, 0);
  const char *dpath = b_path(tdir, "detail.atf");
  b_drec d = {0, 0, 100, 0x100000001ull, 7, 1, 1, {0}, 0, 0, 0, 0, 0};
  b_rec r = {100, 0x100000001ull, 0, 1, 1, 0};
  atf_v2_trace t;
  atf_error err;
  uint8_t two = 2;
  b_index(b_path(tdir, "index.atf"), 0, &r, 1, 1, 1);
  b_detail(dpath, 0, &d, 1, 1);
  open_ok(dir, 0, &t);
  atf_v2_close(&t);
  b_patch(dpath, 4, &two, 1);
  CHECK(atf_v2_open(dir, 0, &t, &err) == ATF_ERR_FORMAT);
  CHECK_U64(err.offset, 4);
  CHECK(strstr(err.message, "detail.atf: byte offset 4: endian byte is 2") !=
        NULL);
  b_patch(dpath, 0, "ATI2", 4);
  CHECK(atf_v2_open(dir, 0, &t, &err) == ATF_ERR_FORMAT);
  CHECK_U64(err.offset, 0);
  CHECK(strstr(err.message, "not \"ATD2\"") != NULL);
  /* Leniently: the rows stay, without detail. */
  CHECK(atf_v2_open(dir, ATF_V2_OPEN_LENIENT, &t, &err) == ATF_OK);
  CHECK_U64(t.records, 1);
  CHECK(t.threads[0].detail_status == ATF_ERR_FORMAT);
  atf_v2_event ev;
  atf_v2_detail dd;
  atf_v2_link link;
  atf_v2_event_read(&t.threads[0], 0, &ev, &err);
  atf_v2_detail_of(&t, &ev, &dd, &link, &err);
  CHECK(link == ATF_V2_LINK_DANGLING);
  atf_v2_close(&t);
}

static void v2_open__missing_thread_file__then_error_or_kept(void) {
  const char *dir = b_copy(SMALL);
  atf_v2_trace t;
  atf_error err;
  CHECK(unlink(b_path(dir, "thread_2/index.atf")) == 0);
  CHECK(atf_v2_open(dir, 0, &t, &err) == ATF_ERR_NOT_FOUND);
  CHECK(strstr(err.message, "thread_2/index.atf: missing") != NULL);
  CHECK(atf_v2_open(dir, ATF_V2_OPEN_LENIENT, &t, &err) == ATF_OK);
  CHECK_U64(t.thread_count, 3);
  CHECK(t.threads[2].index_status == ATF_ERR_NOT_FOUND);
  CHECK_U64(t.records, 122);
  atf_v2_close(&t);
}

static void v2_open__manifest_names_absent_thread__then_error_or_listed(void) {
  const char *dir = b_copy(SMALL);
  atf_v2_trace t;
  atf_error err;
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "rm -r '%s/thread_0'", dir);
  CHECK(system(cmd) == 0);
  CHECK(atf_v2_open(dir, 0, &t, &err) == ATF_ERR_NOT_FOUND);
  CHECK(strstr(err.message, "manifest.json names thread 0, but there is no "
                            "thread_0 directory") != NULL);
  CHECK(atf_v2_open(dir, ATF_V2_OPEN_LENIENT, &t, &err) == ATF_OK);
  CHECK_U64(t.missing_count, 1);
  CHECK_U64(t.missing_slots[0], 0);
  CHECK_U64(t.records, 121);
  atf_v2_close(&t);
}

static void v2_open__not_a_v2_trace__then_error(void) {
  atf_v2_trace t;
  atf_error err;
  CHECK(atf_v2_open(temp_dir(), 0, &t, &err) == ATF_ERR_FORMAT);
  CHECK(strstr(err.message, "not an ATF v2 trace") != NULL);
  CHECK(atf_v2_open("/nonexistent/pid_1", 0, &t, &err) == ATF_ERR_NOT_FOUND);
  CHECK(atf_v2_open(SMALL "/manifest.json", 0, &t, &err) == ATF_ERR_FORMAT);
  /* A FIFO in a thread file's place fails at once, never blocks. */
  const char *dir = b_trace();
  CHECK(mkfifo(b_path(b_thread_dir(dir, 0), "index.atf"), 0600) == 0);
  CHECK(atf_v2_open(dir, 0, &t, &err) == ATF_ERR_IO);
  CHECK(strstr(err.message, "not a regular file") != NULL);
}

static void v2_open__slot_names__then_only_decimal_thread_dirs(void) {
  const char *dir = b_trace();
  atf_v2_trace t;
  /* The header says slot 0 in thread_3. */
  b_index(b_path(b_thread_dir(dir, 3), "index.atf"), 0, three, 3, 1, 0);
  b_mkdir(b_path(dir, "thread_03")); /* leading zero: not a slot */
  b_mkdir(b_path(dir, "thread_x"));
  b_mkdir(b_path(dir, "thread_99999999999")); /* beyond 2^31 */
  b_write(b_path(dir, "thread_7"), "", 0);    /* a file, not a directory */
  open_ok(dir, 0, &t);
  CHECK_U64(t.thread_count, 1);
  CHECK_U64(t.threads[0].slot, 3);
  CHECK(has_note(t.threads[0].index.notes, t.threads[0].index.note_count,
                 "slot_mismatch", 12));
  atf_v2_close(&t);
}

/* ---- detail records: lengths, links, damage
 * ---------------------------------- */

/* A thread of N index records, record i linking to detail record i, whose
** lengths come from LEN(i). */
static const char *build_linked(size_t n, uint32_t (*len)(size_t)) {
  const char *dir = b_trace();
  const char *tdir = b_thread_dir(dir, 0);
  b_rec *r = calloc(n, sizeof *r);
  b_drec *d = calloc(n, sizeof *d);
  for (size_t i = 0; i < n; i++) {
    r[i] = (b_rec){1000 + i, 0x200000000ull | i, 0, 1, 1, (uint32_t)i};
    d[i].total_length = len(i);
    d[i].index_seq = (uint32_t)i;
    d[i].ts = 1000 + i;
    d[i].fid = r[i].fid;
    d[i].kind = 1;
    d[i].depth = 1;
    d[i].regs[0] = i;
  }
  b_index(b_path(tdir, "index.atf"), 0, r, n, 1, 1);
  b_detail(b_path(tdir, "detail.atf"), 0, d, n, 1);
  free(r);
  free(d);
  return dir;
}

static uint32_t mixed_len(size_t i) {
  return i % 7 == 3 ? 300 : i % 11 == 5 ? 1000 : 540;
}
static uint32_t uniform_len(size_t i) {
  (void)i;
  return 540;
}

static void v2_detail__mixed_lengths__then_every_record_found(void) {
  const char *dir = build_linked(700, mixed_len);
  atf_v2_trace t;
  atf_error err;
  open_ok(dir, 0, &t);
  atf_v2_thread *th = &t.threads[0];
  /* Backwards, so that lookups do not simply follow the walk. */
  for (size_t i = 700; i-- > 0;) {
    atf_v2_event ev;
    atf_v2_detail d;
    atf_v2_link link;
    atf_v2_event_read(th, i, &ev, &err);
    CHECK(atf_v2_detail_of(&t, &ev, &d, &link, &err) == ATF_OK);
    CHECK(link == ATF_V2_LINK_OK);
    CHECK_U64(d.index_seq, i);
    CHECK_U64(d.x_regs[0], i);
    CHECK_U64(d.total_length, mixed_len(i));
  }
  CHECK(!th->layout.uniform);
  CHECK_U64(th->layout.walked, 700);
  CHECK_U64(th->layout.n_marks, 3); /* records 0, 256, 512 */
  atf_v2_detail d;
  CHECK(atf_v2_detail_at(th, 699, &d, &err) == ATF_OK);
  CHECK_U64(d.index_seq, 699);
  CHECK(atf_v2_detail_at(th, 700, &d, &err) == ATF_END);
  atf_v2_close(&t);
}

static void v2_detail__uniform_lengths__then_found_without_walking(void) {
  const char *dir = build_linked(5000, uniform_len);
  atf_v2_trace t;
  atf_v2_event ev;
  atf_v2_detail d;
  atf_v2_link link;
  atf_error err;
  open_ok(dir, 0, &t);
  atf_v2_thread *th = &t.threads[0];
  atf_v2_event_read(th, 4999, &ev, &err);
  CHECK(atf_v2_detail_of(&t, &ev, &d, &link, &err) == ATF_OK);
  CHECK(link == ATF_V2_LINK_OK);
  CHECK_U64(d.x_regs[0], 4999);
  CHECK_U64(d.offset, 64 + 540ull * 4999);
  CHECK_U64(th->layout.walked, 1); /* O(1): nothing walked but record 0 */
  atf_v2_close(&t);
}

static void v2_detail__link_to_another_record__then_no_detail_shown(void) {
  const char *dir = build_linked(10, uniform_len);
  const char *ipath = b_path(dir, "thread_0/index.atf");
  atf_v2_trace t;
  atf_v2_event ev;
  atf_v2_detail d;
  atf_v2_link link;
  atf_error err;
  b_patch32(ipath, 64 + 32 * 4 + 28, 6);  /* record 4 -> detail 6 (of 6) */
  b_patch32(ipath, 64 + 32 * 5 + 28, 99); /* record 5 -> detail 99 */
  open_ok(dir, 0, &t);
  atf_v2_event_read(&t.threads[0], 4, &ev, &err);
  atf_v2_detail_of(&t, &ev, &d, &link, &err);
  CHECK(link == ATF_V2_LINK_MISMATCH);
  CHECK_U64(d.total_length, 0); /* nothing of record 6 shown */
  atf_v2_event_read(&t.threads[0], 5, &ev, &err);
  atf_v2_detail_of(&t, &ev, &d, &link, &err);
  CHECK(link == ATF_V2_LINK_DANGLING);
  atf_v2_event_read(&t.threads[0], 6, &ev, &err);
  atf_v2_detail_of(&t, &ev, &d, &link, &err);
  CHECK(link == ATF_V2_LINK_OK);
  CHECK_U64(d.x_regs[0], 6);
  atf_v2_close(&t);
}

static void v2_detail__length_below_header__then_records_end_there(void) {
  const char *dir = build_linked(6, uniform_len);
  const char *dpath = b_path(dir, "thread_0/detail.atf");
  atf_v2_trace t;
  atf_v2_detail d;
  atf_error err;
  b_patch32(dpath, 64 + 540 * 3, 10); /* record 3: total_length 10 */
  open_ok(dir, 0, &t);
  atf_v2_thread *th = &t.threads[0];
  CHECK(atf_v2_detail_at(th, 2, &d, &err) == ATF_OK);
  CHECK(atf_v2_detail_at(th, 3, &d, &err) == ATF_END);
  CHECK(atf_v2_detail_at(th, 4, &d, &err) == ATF_END);
  CHECK(th->layout.damaged);
  CHECK_U64(th->layout.damage_offset, 64 + 540 * 3);
  CHECK_U64(th->layout.walked, 3);
  /* Record 4 is still at its uniform place and links back: shown. */
  atf_v2_event ev;
  atf_v2_link link;
  atf_v2_event_read(th, 4, &ev, &err);
  atf_v2_detail_of(&t, &ev, &d, &link, &err);
  CHECK(link == ATF_V2_LINK_OK);
  CHECK_U64(d.x_regs[0], 4);
  atf_v2_close(&t);
}

static void
v2_detail__stack_size_over_128_or_short_payload__then_no_stack(void) {
  const char *dir = b_trace();
  const char *tdir = b_thread_dir(dir, 0);
  b_rec r[2] = {{1, 5, 0, 1, 1, 0}, {2, 5, 0, 2, 1, 1}};
  b_drec d[2] = {{0, 0, 1, 5, 9, 1, 1, {0}, 0, 0, 0, 129, 0xab},
                 {200, 1, 2, 5, 9, 2, 1, {0}, 0, 0, 0, 0, 0}};
  atf_v2_trace t;
  atf_v2_event ev;
  atf_v2_detail dd;
  atf_v2_link link;
  atf_error err;
  b_index(b_path(tdir, "index.atf"), 0, r, 2, 1, 1);
  b_detail(b_path(tdir, "detail.atf"), 0, d, 2, 1);
  open_ok(dir, 0, &t);
  atf_v2_event_read(&t.threads[0], 0, &ev, &err);
  atf_v2_detail_of(&t, &ev, &dd, &link, &err);
  CHECK(link == ATF_V2_LINK_OK);
  CHECK(dd.stack_damaged);
  CHECK_U64(dd.stack_size, 129);
  CHECK_U64(dd.stack.len, 0);
  CHECK(dd.stack.ptr == NULL);
  atf_v2_event_read(&t.threads[0], 1, &ev, &err);
  atf_v2_detail_of(&t, &ev, &dd, &link, &err);
  CHECK(link == ATF_V2_LINK_OK);
  CHECK(!dd.has_payload);
  CHECK_U64(dd.payload_len, 176);
  CHECK_U64(dd.index_seq, 1);
  atf_v2_close(&t);
  /* A full window: 128 bytes of the byte it was filled with. */
  d[0].stack_size = 128;
  b_detail(b_path(tdir, "detail.atf"), 0, d, 2, 1);
  open_ok(dir, 0, &t);
  atf_v2_event_read(&t.threads[0], 0, &ev, &err);
  atf_v2_detail_of(&t, &ev, &dd, &link, &err);
  CHECK_U64(dd.stack.len, 128);
  CHECK(dd.stack.ptr && dd.stack.ptr[0] == 0xab && dd.stack.ptr[127] == 0xab);
  atf_v2_close(&t);
}

static void v2_detail__cut_inside_last_record__then_torn_tail(void) {
  const char *dir = build_linked(4, uniform_len);
  const char *dpath = b_path(dir, "thread_0/detail.atf");
  atf_v2_trace t;
  atf_error err;
  b_truncate(dpath, 64 + 540 * 3 + 100); /* placeholder lost with footer */
  b_patch32(dpath, 28, 0);
  b_patch32(dpath, 36, 0);
  open_ok(dir, 0, &t);
  atf_v2_thread *th = &t.threads[0];
  CHECK(!th->detail.finalized);
  CHECK(atf_v2_detail_walk(th, &err) == ATF_OK);
  CHECK_U64(th->layout.walked, 3);
  CHECK_U64(th->layout.torn_bytes, 100);
  atf_v2_close(&t);
}

static void v2_changed__file_appended_or_thread_added__then_true(void) {
  const char *dir = b_trace();
  const char *path = b_path(b_thread_dir(dir, 0), "index.atf");
  atf_v2_trace t;
  b_index(path, 0, three, 2, 0, 0);
  open_ok(dir, 0, &t);
  CHECK(!atf_v2_changed(&t));
  b_index(path, 0, three, 3, 0, 0); /* the writer appended */
  CHECK(atf_v2_changed(&t));
  CHECK_U64(t.records, 2); /* the open is a snapshot */
  atf_v2_close(&t);
  open_ok(dir, 0, &t);
  CHECK(!atf_v2_changed(&t));
  b_index(b_path(b_thread_dir(dir, 4), "index.atf"), 4, three, 1, 0, 0);
  CHECK(atf_v2_changed(&t));
  atf_v2_close(&t);
  open_ok(dir, 0, &t);
  uint32_t slots[2] = {0, 4};
  b_manifest(dir, slots, 2);
  CHECK(atf_v2_changed(&t));
  atf_v2_close(&t);
}

static void v2_thread_init_maps__caller_maps__then_read_in_place(void) {
  atf_map index, detail;
  atf_v2_thread th;
  atf_v2_event ev;
  atf_v2_detail d;
  atf_v2_link link;
  atf_error err;
  CHECK(atf_map_open(SMALL "/thread_1/index.atf", &index, &err) == ATF_OK);
  CHECK(atf_map_open(SMALL "/thread_1/detail.atf", &detail, &err) == ATF_OK);
  CHECK(atf_v2_thread_init_maps(&th, 1, &index, &detail, &err) == ATF_OK);
  CHECK_U64(th.index.records, 62);
  atf_v2_event_read(&th, 51, &ev, &err);
  atf_v2_thread_detail_of(&th, &ev, &d, &link, &err);
  CHECK(link == ATF_V2_LINK_OK);
  CHECK_U64(d.seq, 43);
  atf_v2_thread_free(&th); /* leaves the maps open */
  CHECK(index.data != NULL && index.data[0] == 'A');
  atf_map_close(&index);
  atf_map_close(&detail);
}

static const check_case cases[] = {
    CASE(v2_open__small_fixture__then_181_records_in_three_threads),
    CASE(v2_index__small_thread_1__then_header_and_record_8_as_readme),
    CASE(v2_detail__small_thread_1__then_positions_8_to_51_linked_both_ways),
    CASE(v2_registers__x86_64_call_and_return__then_named_as_agent),
    CASE(v2_registers__arm64_and_unknown_arch__then_their_names),
    CASE(v2_open__crashed_fixture__then_159_records_and_13_torn_bytes),
    CASE(v2_open__empty_fixture__then_zero_records_finalized),
    CASE(v2_rowid__slot_and_record__then_that_record_or_range),
    CASE(v2_index__placeholder_header__then_records_from_file_size),
    CASE(v2_index__cut_inside_a_record__then_torn_tail_counted),
    CASE(v2_index__footer_disagrees__then_notes_and_rows_readable),
    CASE(v2_index__header_finalized_footer_gone__then_header_count),
    CASE(v2_index__wrong_magic_endian_version_size__then_error_at_field),
    CASE(v2_detail__wrong_magic_or_endian__then_error_naming_file),
    CASE(v2_open__missing_thread_file__then_error_or_kept),
    CASE(v2_open__manifest_names_absent_thread__then_error_or_listed),
    CASE(v2_open__not_a_v2_trace__then_error),
    CASE(v2_open__slot_names__then_only_decimal_thread_dirs),
    CASE(v2_detail__mixed_lengths__then_every_record_found),
    CASE(v2_detail__uniform_lengths__then_found_without_walking),
    CASE(v2_detail__link_to_another_record__then_no_detail_shown),
    CASE(v2_detail__length_below_header__then_records_end_there),
    CASE(v2_detail__stack_size_over_128_or_short_payload__then_no_stack),
    CASE(v2_detail__cut_inside_last_record__then_torn_tail),
    CASE(v2_changed__file_appended_or_thread_added__then_true),
    CASE(v2_thread_init_maps__caller_maps__then_read_in_place),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
