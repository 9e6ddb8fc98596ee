/*
** v2_files.c - opening an ATF v2 trace directory: its thread_<slot>
** directories, each thread's index.atf and detail.atf mapped read-only and
** validated, manifest.json, and reading index records by number or rowid.
*/
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* "thread_<n>", n decimal without leading zeros, n <= ATF_V2_MAX_SLOT. */
static int parse_thread_dir(const char *name, uint32_t *slot) {
  uint64_t v = 0;
  const char *p = name + 7;
  if (strncmp(name, "thread_", 7) != 0 || !*p) return 0;
  if (p[0] == '0' && p[1]) return 0;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > ATF_V2_MAX_SLOT) return 0;
  }
  *slot = (uint32_t)v;
  return 1;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* The slots of DIR's thread_<slot> directories, sorted; *N of them. More
** than ATF_V2_MAX_THREADS is ATF_ERR_RANGE. */
static atf_status list_slots(const char *dir, uint32_t **out, size_t *n,
                             atf_error *err) {
  DIR *d = opendir(dir);
  struct dirent *e;
  uint32_t *slots = NULL;
  size_t count = 0, cap = 0;
  *out = NULL;
  *n = 0;
  if (!d) {
    int code = errno;
    return atf_fail(err, code == ENOENT ? ATF_ERR_NOT_FOUND : ATF_ERR_IO,
                    ATF_NO_OFFSET, "%s: cannot read the directory: %s", dir,
                    strerror(code));
  }
  while ((e = readdir(d)) != NULL) {
    uint32_t slot;
    char *path;
    int dir_ok;
    if (!parse_thread_dir(e->d_name, &slot)) continue;
    path = atf_path_join(dir, e->d_name);
    if (!path) goto nomem;
    dir_ok = is_dir(path);
    free(path);
    if (!dir_ok) continue;
    if (count == ATF_V2_MAX_THREADS) {
      closedir(d);
      free(slots);
      return atf_fail(err, ATF_ERR_RANGE, ATF_NO_OFFSET,
                      "%s: more than %d thread_<n> directories", dir,
                      ATF_V2_MAX_THREADS);
    }
    if (count == cap) {
      size_t c = cap ? 2 * cap : 16;
      uint32_t *grown = realloc(slots, c * sizeof *grown);
      if (!grown) goto nomem;
      slots = grown;
      cap = c;
    }
    slots[count++] = slot;
  }
  closedir(d);
  if (count) qsort(slots, count, sizeof *slots, cmp_u32);
  *out = slots;
  *n = count;
  return ATF_OK;
nomem:
  closedir(d);
  free(slots);
  return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
}

/* The thread's index cannot be read: it keeps why, and has no rows. */
static void thread_fail_index(atf_v2_thread *t, atf_status rc,
                              const atf_error *e) {
  t->index_status = rc;
  t->index_error = *e;
  memset(&t->index, 0, sizeof t->index);
}

/* Opens one file of T into MAP; *PRESENT says whether it exists. */
static atf_status open_file(const char *path, atf_map *map, int *present,
                            atf_error *err) {
  atf_status rc = atf_map_open(path, map, err);
  *present = rc != ATF_ERR_NOT_FOUND;
  return rc;
}

/* Notes that need both files: the header's "detail.atf exists" flag. */
static void note_detail_flag(atf_v2_thread *t) {
  atf_v2_index_file *f = &t->index;
  int flag = (f->header.flags & 1) != 0;
  if (!f->finalized || flag == t->has_detail ||
      f->note_count == ATF_V2_MAX_NOTES)
    return;
  atf_v2_note *x = &f->notes[f->note_count++];
  x->code = "footer_mismatch";
  x->offset = 8;
  snprintf(x->message, sizeof x->message,
           "%s: byte offset 8: the header's detail flag is %d, but "
           "detail.atf %s",
           t->index_path, flag, t->has_detail ? "exists" : "does not exist");
}

/* Validates the maps already in T; strict: the first failure fails. */
static atf_status init_files(atf_v2_thread *t, int lenient, atf_error *err) {
  atf_error e;
  atf_status rc;
  if (t->has_index && t->index_status == ATF_OK) {
    rc = atf_v2_index_file_init(&t->index_map, t->slot, &t->index, &e);
    if (rc != ATF_OK) {
      if (!lenient || rc == ATF_ERR_NOMEM) {
        *err = e;
        return rc;
      }
      thread_fail_index(t, rc, &e);
    }
  }
  if (t->has_detail && t->detail_status == ATF_OK) {
    rc = atf_v2_detail_file_init(&t->detail_map, t->slot, &t->detail, &e);
    if (rc != ATF_OK) {
      if (!lenient || rc == ATF_ERR_NOMEM) {
        *err = e;
        return rc;
      }
      t->detail_status = rc;
      t->detail_error = e;
      memset(&t->detail, 0, sizeof t->detail);
    }
  }
  note_detail_flag(t);
  return ATF_OK;
}

atf_status atf_v2_thread_init_maps(atf_v2_thread *t, uint32_t slot,
                                   const atf_map *index, const atf_map *detail,
                                   atf_error *err) {
  atf_status rc;
  memset(t, 0, sizeof *t);
  t->slot = slot;
  t->index_map = *index;
  t->has_index = 1;
  t->index_path = index->path;
  if (detail) {
    t->detail_map = *detail;
    t->has_detail = 1;
    t->detail_path = detail->path;
  }
  rc = init_files(t, 0, err);
  if (rc != ATF_OK) memset(t, 0, sizeof *t);
  return rc;
}

void atf_v2_thread_free(atf_v2_thread *t) {
  if (t->owns_maps) {
    atf_map_close(&t->index_map);
    atf_map_close(&t->detail_map);
    free(t->dir);
    free(t->index_path);
    free(t->detail_path);
  }
  free(t->layout.marks);
  memset(t, 0, sizeof *t);
}

static atf_status open_thread(const char *dir, uint32_t slot, int lenient,
                              atf_v2_thread *t, atf_error *err) {
  char name[32];
  atf_error e;
  atf_status rc;
  memset(t, 0, sizeof *t);
  t->slot = slot;
  t->owns_maps = 1;
  snprintf(name, sizeof name, "thread_%u", slot);
  t->dir = atf_path_join(dir, name);
  if (!t->dir) goto nomem;
  t->index_path = atf_path_join(t->dir, "index.atf");
  t->detail_path = atf_path_join(t->dir, "detail.atf");
  if (!t->index_path || !t->detail_path) goto nomem;

  rc = open_file(t->index_path, &t->index_map, &t->has_index, &e);
  if (rc == ATF_ERR_NOT_FOUND)
    atf_fail(&e, ATF_ERR_NOT_FOUND, ATF_NO_OFFSET,
             "%s: missing: thread directory %s has no index.atf", t->index_path,
             name);
  if (rc != ATF_OK) {
    if (!lenient || rc == ATF_ERR_NOMEM) {
      *err = e;
      return rc;
    }
    thread_fail_index(t, rc, &e);
  }
  rc = open_file(t->detail_path, &t->detail_map, &t->has_detail, &e);
  if (rc != ATF_OK && rc != ATF_ERR_NOT_FOUND) {
    if (!lenient || rc == ATF_ERR_NOMEM) {
      *err = e;
      return rc;
    }
    t->detail_status = rc;
    t->detail_error = e;
  }
  return init_files(t, lenient, err);
nomem:
  return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
}

void atf_v2_close(atf_v2_trace *t) {
  for (size_t i = 0; i < t->thread_count; i++)
    atf_v2_thread_free(&t->threads[i]);
  free(t->threads);
  free(t->dir);
  free(t->manifest_path);
  free(t->missing_slots);
  atf_v2_manifest_free(&t->manifest);
  memset(t, 0, sizeof *t);
}

atf_v2_thread *atf_v2_thread_of_slot(const atf_v2_trace *t, uint32_t slot) {
  size_t lo = 0, hi = t->thread_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->threads[mid].slot < slot)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < t->thread_count && t->threads[lo].slot == slot ? &t->threads[lo]
                                                             : NULL;
}

/* Slots the manifest names with no thread directory; strict: an error. */
static atf_status find_missing(atf_v2_trace *t, int lenient, atf_error *err) {
  const atf_v2_manifest *m = &t->manifest;
  if (!m->thread_count) return ATF_OK;
  t->missing_slots = malloc(m->thread_count * sizeof *t->missing_slots);
  if (!t->missing_slots)
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  for (size_t i = 0; i < m->thread_count; i++) {
    uint32_t slot = m->threads[i].slot;
    if (atf_v2_thread_of_slot(t, slot)) continue;
    if (!lenient)
      return atf_fail(err, ATF_ERR_NOT_FOUND, ATF_NO_OFFSET,
                      "%s/thread_%u/index.atf: missing: manifest.json names "
                      "thread %u, but there is no thread_%u directory",
                      t->dir, slot, slot, slot);
    t->missing_slots[t->missing_count++] = slot;
  }
  return ATF_OK;
}

/* Totals, and the arch and os of the first whole header. */
static void summarize(atf_v2_trace *t) {
  int have_time = 0;
  for (size_t i = 0; i < t->thread_count; i++) {
    const atf_v2_thread *th = &t->threads[i];
    const atf_v2_index_file *f = &th->index;
    uint64_t first, last;
    if (th->index_status != ATF_OK) continue;
    if (f->header_whole && !t->arch && !t->os) {
      t->arch = f->header.arch;
      t->os = f->header.os;
    }
    t->records += f->records;
    if (!f->records) continue;
    first = atf_le64(th->index_map.data + 64);
    last = atf_le64(th->index_map.data + f->records_end - 32);
    if (!have_time || first < t->time_start_ns) t->time_start_ns = first;
    if (!have_time || last > t->time_end_ns) t->time_end_ns = last;
    have_time = 1;
  }
  t->bytes = t->records * ATF_V2_INDEX_RECORD_BYTES;
}

atf_status atf_v2_open(const char *dir, unsigned flags, atf_v2_trace *out,
                       atf_error *err) {
  int lenient = (flags & ATF_V2_OPEN_LENIENT) != 0;
  uint32_t *slots = NULL;
  size_t n = 0;
  struct stat st;
  atf_status rc;
  memset(out, 0, sizeof *out);
  if (stat(dir, &st) != 0) {
    int code = errno;
    return atf_fail(err, code == ENOENT ? ATF_ERR_NOT_FOUND : ATF_ERR_IO,
                    ATF_NO_OFFSET, "%s: %s", dir, strerror(code));
  }
  if (!S_ISDIR(st.st_mode))
    return atf_fail(err, ATF_ERR_FORMAT, ATF_NO_OFFSET,
                    "%s: not a directory: an ATF v2 trace is a directory of "
                    "thread_<n> directories",
                    dir);
  out->dir = atf_strdup(dir);
  out->manifest_path = atf_path_join(dir, "manifest.json");
  if (!out->dir || !out->manifest_path) {
    rc = atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
    goto fail;
  }
  rc = list_slots(dir, &slots, &n, err);
  if (rc != ATF_OK) goto fail;
  out->threads = calloc(n ? n : 1, sizeof *out->threads);
  if (!out->threads) {
    rc = atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    rc = open_thread(dir, slots[i], lenient, &out->threads[i], err);
    out->thread_count = i + 1; /* freed by atf_v2_close, whole or not */
    if (rc != ATF_OK) goto fail;
  }

  out->manifest_present =
      atf_file_id_read(out->manifest_path, &out->manifest_id, NULL) == ATF_OK;
  rc = atf_v2_manifest_load(out->manifest_path, &out->manifest,
                            &out->manifest_error);
  out->has_manifest = rc != ATF_ERR_NOT_FOUND;
  out->manifest_status = out->has_manifest ? rc : ATF_OK;
  if (rc != ATF_OK && rc != ATF_ERR_NOT_FOUND) {
    if (!(lenient || (flags & ATF_V2_OPEN_KEEP_BAD_MANIFEST)) ||
        rc == ATF_ERR_NOMEM) {
      *err = out->manifest_error;
      goto fail;
    }
  }
  if (rc == ATF_ERR_NOT_FOUND && n == 0) {
    rc = atf_fail(err, ATF_ERR_FORMAT, ATF_NO_OFFSET,
                  "%s: no thread_<n> directories and no manifest.json: not "
                  "an ATF v2 trace",
                  dir);
    goto fail;
  }
  rc = find_missing(out, lenient, err);
  if (rc != ATF_OK) goto fail;
  summarize(out);
  free(slots);
  return ATF_OK;
fail:
  free(slots);
  atf_v2_close(out);
  return rc;
}

static int same_file(const atf_map *m, int present, const char *path) {
  atf_file_id now;
  int exists = atf_file_id_read(path, &now, NULL) == ATF_OK;
  if (exists != present) return 0;
  return !exists || memcmp(&now, &m->id, sizeof now) == 0;
}

int atf_v2_changed(const atf_v2_trace *t) {
  uint32_t *slots;
  size_t n;
  atf_file_id now;
  int exists, changed = 0;
  if (list_slots(t->dir, &slots, &n, NULL) != ATF_OK) return 1;
  if (n != t->thread_count) changed = 1;
  for (size_t i = 0; !changed && i < n; i++) {
    const atf_v2_thread *th = &t->threads[i];
    changed = slots[i] != th->slot ||
              !same_file(&th->index_map, th->has_index, th->index_path) ||
              !same_file(&th->detail_map, th->has_detail, th->detail_path);
  }
  free(slots);
  exists = atf_file_id_read(t->manifest_path, &now, NULL) == ATF_OK;
  if (exists != t->manifest_present ||
      (exists && memcmp(&now, &t->manifest_id, sizeof now) != 0))
    changed = 1;
  return changed;
}

/* ---- index records --------------------------------------------------------
 */

void atf_v2_event_decode(const uint8_t *p, uint32_t slot, uint64_t seq,
                         atf_v2_event *ev) {
  ev->slot = slot;
  ev->seq = (uint32_t)seq;
  ev->rowid = (uint64_t)slot << 32 | (uint32_t)seq;
  ev->offset = 64 + 32 * seq;
  ev->ts_ns = atf_le64(p);
  ev->function_id = atf_le64(p + 8);
  ev->thread_id = atf_le32(p + 16);
  ev->kind = atf_le32(p + 20);
  ev->call_depth = atf_le32(p + 24);
  ev->detail_seq = atf_le32(p + 28);
}

atf_status atf_v2_event_read(const atf_v2_thread *t, uint64_t seq,
                             atf_v2_event *ev, atf_error *err) {
  if (t->index_status != ATF_OK || seq >= t->index.records)
    return atf_fail(err, ATF_ERR_RANGE, ATF_NO_OFFSET,
                    "thread %u: no record %llu (it has %llu)", t->slot,
                    (unsigned long long)seq,
                    (unsigned long long)t->index.records);
  atf_v2_event_decode(t->index_map.data + 64 + 32 * seq, t->slot, seq, ev);
  return ATF_OK;
}

atf_status atf_v2_event_by_rowid(const atf_v2_trace *t, uint64_t rowid,
                                 atf_v2_event *ev, atf_error *err) {
  uint64_t slot = rowid >> 32;
  const atf_v2_thread *th =
      slot <= ATF_V2_MAX_SLOT ? atf_v2_thread_of_slot(t, (uint32_t)slot) : NULL;
  if (!th)
    return atf_fail(err, ATF_ERR_RANGE, ATF_NO_OFFSET,
                    "rowid %llu: no thread of slot %llu",
                    (unsigned long long)rowid, (unsigned long long)slot);
  return atf_v2_event_read(th, rowid & 0xffffffffu, ev, err);
}
