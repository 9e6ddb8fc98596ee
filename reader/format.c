/*
** format.c - what a path is: an ATF v4 trace, an ATF v2 trace, a session
** folder of traces, or a folder of sessions; by what is on disk and by the
** first bytes of the files, never by a file name alone.
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Entries of a folder looked at, at most, when telling a session from
** something else: a bound on the work for a huge folder. */
#define SCAN_LIMIT 100000

const char *atf_format_name(atf_format format) {
  switch (format) {
  case ATF_FORMAT_V4: return "atf4";
  case ATF_FORMAT_V2: return "atf2";
  case ATF_FORMAT_SESSION: return "session";
  case ATF_FORMAT_SESSION_ROOT: return "session_root";
  case ATF_FORMAT_UNKNOWN: break;
  }
  return "unknown";
}

void atf_format_info_free(atf_format_info *info) {
  free(info->dir);
  memset(info, 0, sizeof *info);
}

/* The first 4 bytes of PATH (a regular file), opened without blocking;
** *N of them (0..4). -1 when it cannot be read. */
static int read_magic(const char *path, uint8_t out[4], size_t *n) {
  struct stat st;
  ssize_t got;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  *n = 0;
  if (fd < 0) return -1;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return -1;
  }
  got = read(fd, out, 4);
  close(fd);
  if (got < 0) return -1;
  *n = (size_t)got;
  return 0;
}

static int exists_regular(const char *dir, const char *name) {
  struct stat st;
  char *path = atf_path_join(dir, name);
  int yes = path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
  free(path);
  return yes;
}

/* "thread_<digits>" / "pid_<digits>"; a thread's digits without a leading
** zero, as atf_v2_open takes them. */
static int named(const char *name, const char *prefix) {
  size_t n = strlen(prefix);
  const char *p = name + n;
  if (strncmp(name, prefix, n) != 0 || !*p) return 0;
  if (strcmp(prefix, "thread_") == 0 && p[0] == '0' && p[1]) return 0;
  for (; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return 1;
}

/* A real directory (symbolic links are not followed). */
static int is_real_dir(const char *dir, const char *name) {
  struct stat st;
  char *path = atf_path_join(dir, name);
  int yes = path && lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
  free(path);
  return yes;
}

/* What DIR holds, looked at one level down. */
typedef struct dir_survey {
  int events_bin, trace_json, manifest_json;
  uint32_t thread_files; /* thread_<n>/index.atf or detail.atf present */
  uint32_t pid_dirs;     /* pid_<n> directories */
  uint32_t other_dirs;   /* other directories (session candidates) */
  char bad_file[4096];   /* a thread file with the wrong magic */
  uint8_t bad_magic[4];
  size_t bad_len;
} dir_survey;

/* Checks DIR/thread_x/NAME's magic when it exists. */
static atf_status survey_thread_file(const char *tdir, const char *name,
                                     const char *magic, dir_survey *s) {
  uint8_t head[4];
  size_t n;
  char *path = atf_path_join(tdir, name);
  if (!path) return ATF_ERR_NOMEM;
  if (read_magic(path, head, &n) == 0) {
    s->thread_files++;
    if (n == 4 && memcmp(head, magic, 4) != 0 && !s->bad_file[0]) {
      snprintf(s->bad_file, sizeof s->bad_file, "%s", path);
      memcpy(s->bad_magic, head, 4);
      s->bad_len = 4;
    }
  }
  free(path);
  return ATF_OK;
}

static atf_status survey(const char *dir, dir_survey *s, atf_error *err) {
  DIR *d;
  struct dirent *e;
  size_t seen = 0;
  memset(s, 0, sizeof *s);
  s->events_bin = exists_regular(dir, "events.bin");
  s->trace_json = exists_regular(dir, "trace.json");
  s->manifest_json = exists_regular(dir, "manifest.json");
  d = opendir(dir);
  if (!d)
    return atf_fail(err, ATF_ERR_IO, ATF_NO_OFFSET,
                    "%s: cannot read the directory: %s", dir, strerror(errno));
  while ((e = readdir(d)) != NULL && seen++ < SCAN_LIMIT) {
    if (e->d_name[0] == '.') continue;
    if (named(e->d_name, "thread_")) {
      char *tdir = atf_path_join(dir, e->d_name);
      atf_status rc = tdir ? ATF_OK : ATF_ERR_NOMEM;
      if (rc == ATF_OK) rc = survey_thread_file(tdir, "index.atf", "ATI2", s);
      if (rc == ATF_OK) rc = survey_thread_file(tdir, "detail.atf", "ATD2", s);
      free(tdir);
      if (rc != ATF_OK) {
        closedir(d);
        return atf_fail(err, rc, ATF_NO_OFFSET, "out of memory");
      }
    } else if (is_real_dir(dir, e->d_name)) {
      if (named(e->d_name, "pid_"))
        s->pid_dirs++;
      else
        s->other_dirs++;
    }
  }
  closedir(d);
  return ATF_OK;
}

/* Session folders directly in DIR (directories holding pid_* ones). */
static uint32_t count_sessions(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  uint32_t sessions = 0;
  size_t seen = 0;
  if (!d) return 0;
  while ((e = readdir(d)) != NULL && seen++ < SCAN_LIMIT) {
    dir_survey s;
    char *sub;
    if (e->d_name[0] == '.' || !is_real_dir(dir, e->d_name)) continue;
    sub = atf_path_join(dir, e->d_name);
    if (sub && survey(sub, &s, NULL) == ATF_OK && s.pid_dirs && !s.events_bin &&
        !s.trace_json && !s.manifest_json && !s.thread_files)
      sessions++;
    free(sub);
  }
  closedir(d);
  return sessions;
}

static atf_status set_dir(atf_format_info *out, const char *dir, size_t len,
                          atf_error *err) {
  out->dir = malloc(len + 1);
  if (!out->dir)
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  memcpy(out->dir, dir, len);
  out->dir[len] = 0;
  return ATF_OK;
}

static atf_status detect_dir(const char *path, atf_format_info *out,
                             atf_error *err) {
  dir_survey s;
  int v4, v2;
  atf_status rc = survey(path, &s, err);
  if (rc != ATF_OK) return rc;
  v4 = s.events_bin || s.trace_json;
  v2 = s.thread_files || s.manifest_json;
  out->trace_files = (v4 ? ATF_FILES_V4 : 0) | (v2 ? ATF_FILES_V2 : 0);
  if (v4 && v2)
    return atf_fail(err, ATF_ERR_FORMAT, ATF_NO_OFFSET,
                    "%s: holds both an ATF v4 trace (events.bin/trace.json) "
                    "and an ATF v2 trace (thread_<n>/, manifest.json)",
                    path);
  if (v2 && s.bad_file[0])
    return atf_fail(err, ATF_ERR_FORMAT, 0,
                    "%s: byte offset 0: magic is %02x %02x %02x %02x, not an "
                    "ATF v2 file",
                    s.bad_file, s.bad_magic[0], s.bad_magic[1], s.bad_magic[2],
                    s.bad_magic[3]);
  if (v4 || v2) {
    out->format = v4 ? ATF_FORMAT_V4 : ATF_FORMAT_V2;
    return set_dir(out, path, strlen(path), err);
  }
  if (s.pid_dirs) {
    out->format = ATF_FORMAT_SESSION;
    out->entries = s.pid_dirs;
    return set_dir(out, path, strlen(path), err);
  }
  if (s.other_dirs && (out->entries = count_sessions(path)) > 0) {
    out->format = ATF_FORMAT_SESSION_ROOT;
    return set_dir(out, path, strlen(path), err);
  }
  return atf_fail(err, ATF_ERR_FORMAT, ATF_NO_OFFSET,
                  "%s: not a trace: no events.bin (ATF v4), no "
                  "thread_<n>/index.atf (ATF v2), no pid_* traces (a session)",
                  path);
}

/* The directory part of PATH ("." when there is none). */
static size_t dir_len_of(const char *path, const char **dir) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    *dir = ".";
    return 1;
  }
  *dir = path;
  return slash == path ? 1 : (size_t)(slash - path);
}

static atf_status detect_file(const char *path, atf_format_info *out,
                              atf_error *err) {
  uint8_t head[4];
  size_t n, len;
  const char *dir, *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (read_magic(path, head, &n) != 0)
    return atf_fail(err, ATF_ERR_IO, ATF_NO_OFFSET,
                    "%s: cannot read it (not a regular file?)", path);
  len = dir_len_of(path, &dir);
  if (n == 4 &&
      (memcmp(head, "ATI2", 4) == 0 || memcmp(head, "ATD2", 4) == 0)) {
    /* .../pid_x/thread_<n>/index.atf: the trace is two levels up. */
    char *tdir = malloc(len + 1);
    const char *tbase;
    size_t tlen;
    atf_status rc;
    if (!tdir)
      return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
    memcpy(tdir, dir, len);
    tdir[len] = 0;
    tbase = strrchr(tdir, '/');
    tbase = tbase ? tbase + 1 : tdir;
    if (!named(tbase, "thread_")) {
      free(tdir);
      return atf_fail(err, ATF_ERR_FORMAT, ATF_NO_OFFSET,
                      "%s: an ATF v2 thread file outside a thread_<n> "
                      "directory: give the trace directory",
                      path);
    }
    tlen = dir_len_of(tdir, &dir);
    out->format = ATF_FORMAT_V2;
    rc = set_dir(out, dir, tlen, err);
    free(tdir);
    return rc;
  }
  if (strcmp(base, "manifest.json") == 0) {
    out->format = ATF_FORMAT_V2;
    return set_dir(out, dir, len, err);
  }
  out->format = ATF_FORMAT_V4;
  return set_dir(out, dir, len, err);
}

atf_status atf_format_detect(const char *path, atf_format_info *out,
                             atf_error *err) {
  struct stat st;
  memset(out, 0, sizeof *out);
  if (!path || !*path)
    return atf_fail(err, ATF_ERR_NOT_FOUND, ATF_NO_OFFSET,
                    "no trace given: pass a pid_* directory or a session "
                    "folder");
  if (stat(path, &st) != 0) {
    int e = errno;
    return atf_fail(err, e == ENOENT ? ATF_ERR_NOT_FOUND : ATF_ERR_IO,
                    ATF_NO_OFFSET, "%s: %s", path, strerror(e));
  }
  if (S_ISDIR(st.st_mode)) return detect_dir(path, out, err);
  return detect_file(path, out, err);
}
