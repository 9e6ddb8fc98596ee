/*
** v2_header.c - ATF v2 file headers and footers: decoding them, validating
** them, and from them and the file's size, where one file's records are.
**
** The writer writes a placeholder header when it opens a file and the real
** header and the footer only when the session is stopped, with buffered
** stdio: a file of a crashed or running session has the placeholder and
** whatever whole buffers reached the disk. So the file's bytes, not its
** counts, say how many records there are; counts that disagree are noted.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const uint8_t index_magic[4] = {'A', 'T', 'I', '2'};
static const uint8_t index_footer_magic[4] = {'2', 'I', 'T', 'A'};
static const uint8_t detail_magic[4] = {'A', 'T', 'D', '2'};
static const uint8_t detail_footer_magic[4] = {'2', 'D', 'T', 'A'};

void atf_v2_index_header_decode(const uint8_t *p, atf_v2_index_header *h) {
  memcpy(h->magic, p, 4);
  h->endian = p[4];
  h->version = p[5];
  h->arch = p[6];
  h->os = p[7];
  h->flags = atf_le32(p + 8);
  h->thread_id = atf_le32(p + 12);
  h->clock_type = p[16];
  h->event_size = atf_le32(p + 24);
  h->event_count = atf_le32(p + 28);
  h->events_offset = atf_le64(p + 32);
  h->footer_offset = atf_le64(p + 40);
  h->time_start_ns = atf_le64(p + 48);
  h->time_end_ns = atf_le64(p + 56);
}

static int all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

void atf_v2_index_footer_decode(const uint8_t *p, atf_v2_index_footer *f) {
  memcpy(f->magic, p, 4);
  f->checksum = atf_le32(p + 4);
  f->event_count = atf_le64(p + 8);
  f->time_start_ns = atf_le64(p + 16);
  f->time_end_ns = atf_le64(p + 24);
  f->bytes_written = atf_le64(p + 32);
  f->reserved_zero = all_zero(p + 40, 24);
}

void atf_v2_detail_header_decode(const uint8_t *p, atf_v2_detail_header *h) {
  memcpy(h->magic, p, 4);
  h->endian = p[4];
  h->version = p[5];
  h->arch = p[6];
  h->os = p[7];
  h->flags = atf_le32(p + 8);
  h->thread_id = atf_le32(p + 12);
  h->events_offset = atf_le64(p + 20);
  h->event_count = atf_le64(p + 28);
  h->bytes_length = atf_le64(p + 36);
  h->index_seq_start = atf_le64(p + 44);
  h->index_seq_end = atf_le64(p + 52);
}

void atf_v2_detail_footer_decode(const uint8_t *p, atf_v2_detail_footer *f) {
  memcpy(f->magic, p, 4);
  f->checksum = atf_le32(p + 4);
  f->event_count = atf_le64(p + 8);
  f->bytes_length = atf_le64(p + 16);
  f->time_start_ns = atf_le64(p + 24);
  f->time_end_ns = atf_le64(p + 32);
  f->reserved_zero = all_zero(p + 40, 24);
}

/* ---- notes ----------------------------------------------------------------
 */

typedef struct notes {
  atf_v2_note *list;
  uint32_t *count, *dropped;
} notes;

static void note(notes *n, const char *code, uint64_t offset, const char *fmt,
                 ...) ATF_PRINTF(4, 5);

static void note(notes *n, const char *code, uint64_t offset, const char *fmt,
                 ...) {
  va_list ap;
  atf_v2_note *x;
  if (*n->count == ATF_V2_MAX_NOTES) {
    (*n->dropped)++;
    return;
  }
  x = &n->list[(*n->count)++];
  x->code = code;
  x->offset = offset;
  va_start(ap, fmt);
  vsnprintf(x->message, sizeof x->message, fmt, ap);
  va_end(ap);
}

/* ---- the checks both kinds of file share -------------------------------- */

/* Printable form of up to 4 bytes, for messages. */
static void show_bytes(const uint8_t *p, size_t n, char out[24]) {
  size_t k = 0;
  for (size_t i = 0; i < n && i < 4; i++)
    k += (size_t)snprintf(out + k, 24 - k, "%s%02x", i ? " " : "", p[i]);
  if (n == 0) snprintf(out, 24, "nothing");
}

/* Magic, endianness and version: what must hold before any field can be
** read. Only the bytes the file has are checked (a torn header). */
static atf_status check_ident(const uint8_t *p, uint64_t size,
                              const uint8_t magic[4], const char *what,
                              const char *path, atf_error *err) {
  size_t n = size < 4 ? (size_t)size : 4;
  char shown[24];
  if (memcmp(p, magic, n) != 0) {
    show_bytes(p, n, shown);
    return atf_fail(err, ATF_ERR_FORMAT, 0,
                    "%s: byte offset 0: magic is %s, not \"%.4s\": not an "
                    "ATF v2 %s file",
                    path, shown, (const char *)magic, what);
  }
  if (size > 4 && p[4] != 1)
    return atf_fail(err, ATF_ERR_FORMAT, 4,
                    "%s: byte offset 4: endian byte is %u; only 1 "
                    "(little-endian) is defined",
                    path, p[4]);
  if (size > 5 && p[5] != 1)
    return atf_fail(err, ATF_ERR_FORMAT, 5,
                    "%s: byte offset 5: version %u; only version 1 is known",
                    path, p[5]);
  return ATF_OK;
}

static const char *map_path(const atf_map *map, const char *fallback) {
  return map->path ? map->path : fallback;
}

/* ---- index.atf ------------------------------------------------------------
 */

/* The header, the footer and the records found, compared. */
static void compare_index_footer(const atf_map *map, atf_v2_index_file *f,
                                 notes *n) {
  const char *path = map_path(map, "index.atf");
  const atf_v2_index_header *h = &f->header;
  const atf_v2_index_footer *ft = &f->footer;
  uint64_t fo = h->footer_offset, first = 0, last = 0;
  if (f->records) {
    first = atf_le64(map->data + 64);
    last = atf_le64(map->data + f->records_end - 32);
  }
  if ((fo - 64) % 32)
    note(n, "footer_mismatch", fo,
         "%s: byte offset %llu: the footer is not on a record boundary (%llu "
         "bytes of a partial record before it)",
         path, (unsigned long long)fo, (unsigned long long)((fo - 64) % 32));
  if (h->event_count != f->records || ft->event_count != f->records)
    note(n, "footer_mismatch", 28,
         "%s: the header counts %llu records and the footer %llu; the file "
         "holds %llu before the footer",
         path, (unsigned long long)h->event_count,
         (unsigned long long)ft->event_count, (unsigned long long)f->records);
  if (ft->bytes_written != 32 * f->records)
    note(n, "footer_mismatch", fo + 32,
         "%s: byte offset %llu: the footer says %llu bytes written; the "
         "records take %llu",
         path, (unsigned long long)(fo + 32),
         (unsigned long long)ft->bytes_written,
         (unsigned long long)(32 * f->records));
  if (h->time_start_ns != first || h->time_end_ns != last ||
      ft->time_start_ns != first || ft->time_end_ns != last)
    note(n, "footer_mismatch", 48,
         "%s: time range %llu..%llu in the header and %llu..%llu in the "
         "footer; the first and last records say %llu..%llu",
         path, (unsigned long long)h->time_start_ns,
         (unsigned long long)h->time_end_ns,
         (unsigned long long)ft->time_start_ns,
         (unsigned long long)ft->time_end_ns, (unsigned long long)first,
         (unsigned long long)last);
  if (!ft->reserved_zero)
    note(n, "footer_mismatch", fo + 40,
         "%s: byte offset %llu: the footer's 24 reserved bytes are not 0", path,
         (unsigned long long)(fo + 40));
  if (map->size != fo + 64)
    note(n, "footer_mismatch", fo + 64,
         "%s: %llu bytes after the footer (the file ends at %llu, the footer "
         "at %llu)",
         path, (unsigned long long)(map->size - fo - 64),
         (unsigned long long)map->size, (unsigned long long)(fo + 64));
}

atf_status atf_v2_index_file_init(const atf_map *map, uint32_t slot,
                                  atf_v2_index_file *f, atf_error *err) {
  const char *path = map_path(map, "index.atf");
  const uint8_t *p = map->data;
  uint64_t size = map->size, fo, end;
  notes n = {f->notes, &f->note_count, &f->notes_dropped};
  atf_status rc;
  memset(f, 0, sizeof *f);
  if (size == 0) return ATF_OK; /* nothing reached the disk yet */
  rc = check_ident(p, size, index_magic, "index", path, err);
  if (rc != ATF_OK) return rc;
  if (size < ATF_V2_HEADER_BYTES) {
    f->torn_bytes = size; /* a header cut short: no record yet */
    return ATF_OK;
  }
  f->header_whole = 1;
  atf_v2_index_header_decode(p, &f->header);
  if (f->header.event_size != ATF_V2_INDEX_RECORD_BYTES)
    return atf_fail(err, ATF_ERR_FORMAT, 24,
                    "%s: byte offset 24: event_size is %u; ATF v2 index "
                    "records are 32 bytes",
                    path, f->header.event_size);
  if (f->header.events_offset != ATF_V2_HEADER_BYTES)
    return atf_fail(err, ATF_ERR_FORMAT, 32,
                    "%s: byte offset 32: events_offset is %llu; records start "
                    "at 64 in ATF v2",
                    path, (unsigned long long)f->header.events_offset);
  if (f->header.thread_id != slot)
    note(&n, "slot_mismatch", 12,
         "%s: byte offset 12: the header's thread_id is %u, the directory "
         "says slot %u",
         path, f->header.thread_id, slot);

  fo = f->header.footer_offset;
  if (fo >= 64 && size >= 128 && fo <= size - 64 &&
      memcmp(p + fo, index_footer_magic, 4) == 0) {
    f->finalized = 1;
    f->records = (fo - 64) / 32;
    atf_v2_index_footer_decode(p + fo, &f->footer);
  } else if (fo > 64 && (fo - 64) % 32 == 0 && fo <= size) {
    /* The header says finalized but the footer is not there: read the
    ** records the header announces, not the remains of a footer. */
    f->records = (fo - 64) / 32;
    f->torn_bytes = size - fo;
    note(&n, "footer_mismatch", fo,
         "%s: byte offset %llu: the header places the footer here, but no "
         "footer (\"2ITA\") is there; %llu records read, %llu bytes after "
         "them ignored",
         path, (unsigned long long)fo, (unsigned long long)f->records,
         (unsigned long long)(size - fo));
  } else {
    f->records = (size - 64) / 32;
    f->torn_bytes = (size - 64) % 32;
    if (fo != 64 || f->header.event_count != 0)
      note(&n, "footer_mismatch", 40,
           "%s: the header says %u records and a footer at byte %llu, but "
           "the file (%llu bytes) has no footer there; read as unfinalized",
           path, f->header.event_count, (unsigned long long)fo,
           (unsigned long long)size);
  }
  if (f->records > (uint64_t)UINT32_MAX + 1)
    return atf_fail(err, ATF_ERR_RANGE, ATF_NO_OFFSET,
                    "%s: %llu records: more than 2^32 in one file", path,
                    (unsigned long long)f->records);
  end = 64 + 32 * f->records;
  f->records_end = end;
  if (f->finalized) compare_index_footer(map, f, &n);
  return ATF_OK;
}

/* ---- detail.atf ------------------------------------------------------------
 */

atf_status atf_v2_detail_file_init(const atf_map *map, uint32_t slot,
                                   atf_v2_detail_file *f, atf_error *err) {
  const char *path = map_path(map, "detail.atf");
  const uint8_t *p = map->data;
  uint64_t size = map->size, bl;
  notes n = {f->notes, &f->note_count, &f->notes_dropped};
  atf_status rc;
  memset(f, 0, sizeof *f);
  f->region_end = 64;
  if (size == 0) return ATF_OK;
  rc = check_ident(p, size, detail_magic, "detail", path, err);
  if (rc != ATF_OK) return rc;
  if (size < ATF_V2_HEADER_BYTES) return ATF_OK; /* torn header */
  f->header_whole = 1;
  atf_v2_detail_header_decode(p, &f->header);
  if (f->header.events_offset != ATF_V2_HEADER_BYTES)
    return atf_fail(err, ATF_ERR_FORMAT, 20,
                    "%s: byte offset 20: events_offset is %llu; records start "
                    "at 64 in ATF v2",
                    path, (unsigned long long)f->header.events_offset);
  if (f->header.thread_id != slot)
    note(&n, "slot_mismatch", 12,
         "%s: byte offset 12: the header's thread_id is %u, the directory "
         "says slot %u",
         path, f->header.thread_id, slot);

  bl = f->header.bytes_length;
  if (size >= 128 && bl <= size - 128 &&
      memcmp(p + 64 + bl, detail_footer_magic, 4) == 0) {
    const atf_v2_detail_footer *ft = &f->footer;
    f->finalized = 1;
    f->region_end = 64 + bl;
    atf_v2_detail_footer_decode(p + 64 + bl, &f->footer);
    if (ft->event_count != f->header.event_count ||
        ft->bytes_length != f->header.bytes_length)
      note(&n, "footer_mismatch", 64 + bl,
           "%s: the header says %llu records in %llu bytes, the footer "
           "%llu in %llu",
           path, (unsigned long long)f->header.event_count,
           (unsigned long long)bl, (unsigned long long)ft->event_count,
           (unsigned long long)ft->bytes_length);
    if (!ft->reserved_zero)
      note(&n, "footer_mismatch", 64 + bl + 40,
           "%s: byte offset %llu: the footer's 24 reserved bytes are not 0",
           path, (unsigned long long)(64 + bl + 40));
    if (size != 64 + bl + 64)
      note(&n, "footer_mismatch", 128 + bl,
           "%s: %llu bytes after the footer (the file ends at %llu, the "
           "footer at %llu)",
           path, (unsigned long long)(size - 128 - bl),
           (unsigned long long)size, (unsigned long long)(128 + bl));
  } else if (bl != 0 && bl <= size - 64) {
    f->region_end = 64 + bl;
    note(&n, "footer_mismatch", 64 + bl,
         "%s: byte offset %llu: the header places the footer here, but no "
         "footer (\"2DTA\") is there; records read up to it",
         path, (unsigned long long)(64 + bl));
  } else {
    f->region_end = size;
    if (bl != 0 || f->header.event_count != 0)
      note(&n, "footer_mismatch", 28,
           "%s: the header says %llu records in %llu bytes, but the file "
           "(%llu bytes) has no footer after them; read as unfinalized",
           path, (unsigned long long)f->header.event_count,
           (unsigned long long)bl, (unsigned long long)size);
  }
  return ATF_OK;
}
