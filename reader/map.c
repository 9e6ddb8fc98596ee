/*
** map.c - read-only memory map of events.bin.
**
** The whole file is mapped once; the iterator and decoder read it in place.
** The file stays open while mapped, so that telling whether it changed
** is one fstat.
** Only regular files are accepted, and the file is opened O_NONBLOCK so that
** a FIFO given by mistake fails at once instead of waiting for a writer.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static void file_id_from_stat(const struct stat *st, atf_file_id *id) {
  id->device = (uint64_t)st->st_dev;
  id->inode = (uint64_t)st->st_ino;
  id->size = (uint64_t)st->st_size;
  id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static atf_status errno_failure(atf_error *err, const char *path,
                                const char *what) {
  int e = errno;
  return atf_fail(err, e == ENOENT ? ATF_ERR_NOT_FOUND : ATF_ERR_IO,
                  ATF_NO_OFFSET, "%s: cannot %s: %s", path, what, strerror(e));
}

atf_status atf_file_id_read(const char *path, atf_file_id *out,
                            atf_error *err) {
  struct stat st;
  if (stat(path, &st) != 0) return errno_failure(err, path, "stat");
  file_id_from_stat(&st, out);
  return ATF_OK;
}

atf_status atf_map_open(const char *path, atf_map *out, atf_error *err) {
  struct stat st;
  int fd;
  memset(out, 0, sizeof *out);
  fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno_failure(err, path, "open");
  if (fstat(fd, &st) != 0) {
    atf_status rc = errno_failure(err, path, "stat");
    close(fd);
    return rc;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return atf_fail(err, ATF_ERR_IO, ATF_NO_OFFSET,
                    "%s: not a regular file (a trace's events.bin is one)",
                    path);
  }
  file_id_from_stat(&st, &out->id);
  out->size = (uint64_t)st.st_size;
  out->fd = fd;
  if (out->size > 0) {
    void *p = mmap(NULL, (size_t)out->size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      atf_status rc = errno_failure(err, path, "mmap");
      close(fd);
      memset(out, 0, sizeof *out);
      return rc;
    }
    out->data = p;
  }
  out->path = atf_strdup(path);
  if (!out->path) {
    close(fd);
    atf_map_close(out);
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  }
  return ATF_OK;
}

void atf_map_close(atf_map *map) {
  if (map->data) munmap((void *)map->data, (size_t)map->size);
  if (map->path) close(map->fd); /* open whenever path is set */
  free(map->path);
  memset(map, 0, sizeof *map);
}

int atf_map_changed(const atf_map *map) {
  struct stat st;
  atf_file_id now;
  if (!map->path || fstat(map->fd, &st) != 0 || st.st_nlink == 0) return 1;
  file_id_from_stat(&st, &now);
  return memcmp(&now, &map->id, sizeof now) != 0;
}

void atf_map_advise_sequential(const atf_map *map) {
  if (map->data) madvise((void *)map->data, (size_t)map->size, MADV_SEQUENTIAL);
}

/* madvise on the whole pages inside [FROM, TO). */
static void advise_range(const atf_map *map, uint64_t from, uint64_t to,
                         int advice) {
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t start = from / page * page, stop = (to + page - 1) / page * page;
  if (stop > map->size) stop = map->size;
  if (!map->data || start >= stop) return;
  madvise((void *)(map->data + start), (size_t)(stop - start), advice);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14; older kernels ignore it */
#endif

void atf_map_scan_window(const atf_map *map, uint64_t pos, atf_scan_window *w) {
  if (pos >= w->last && pos - w->last <= ATF_SCAN_WINDOW_FIRST &&
      pos < w->end) {
    w->last = pos;
    return;
  }
  if (pos < w->last || pos - w->last > ATF_SCAN_WINDOW_FIRST || !w->end) {
    /* A start or a jump: read what is touched until the pass proves long.
    ** Only what this pass read is ever released. */
    if (!w->end || w->released > pos) w->released = pos;
    w->last = pos;
    w->end = pos + ATF_SCAN_WINDOW_FIRST;
    w->size = 0;
    return;
  }
  w->last = pos;
  w->size = w->size ? 2 * w->size : 2 * ATF_SCAN_WINDOW_FIRST;
  if (w->size > ATF_SCAN_WINDOW) w->size = ATF_SCAN_WINDOW;
  if (map->size > ATF_KEEP_MAPPED_BYTES && pos > 2 * ATF_SCAN_WINDOW &&
      pos - 2 * ATF_SCAN_WINDOW > w->released) {
    advise_range(map, w->released, pos - 2 * ATF_SCAN_WINDOW, MADV_DONTNEED);
    w->released = pos - 2 * ATF_SCAN_WINDOW;
  }
  w->end = pos + w->size;
  advise_range(map, pos, w->end, MADV_POPULATE_READ);
}

void atf_map_scan_end(const atf_map *map, atf_scan_window *w) {
  uint64_t end = w->end < map->size ? w->end : map->size;
  if (map->size > ATF_KEEP_MAPPED_BYTES && w->end && end > w->released)
    advise_range(map, w->released, end, MADV_DONTNEED);
  memset(w, 0, sizeof *w);
}
