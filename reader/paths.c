/*
** paths.c - from the path a user gives to a trace's two files.
**
** A trace is a pid_* directory; users also name its events.bin or its
** trace.json directly. Any other file is taken as the events file, with the
** manifest expected beside it.
*/
#define _GNU_SOURCE /* realpath */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static char *join(const char *dir, size_t dir_len, const char *name) {
  size_t n = dir_len + 1 + strlen(name) + 1;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%.*s/%s", (int)dir_len, dir, name);
  return s;
}

atf_status atf_trace_paths_resolve(const char *path, atf_trace_paths *out,
                                   atf_error *err) {
  struct stat st;
  memset(out, 0, sizeof *out);
  if (!path || !*path)
    return atf_fail(err, ATF_ERR_NOT_FOUND, ATF_NO_OFFSET,
                    "no trace given: pass a pid_* directory, or the path of "
                    "its events.bin or trace.json");
  if (stat(path, &st) != 0) {
    int e = errno;
    return atf_fail(err, e == ENOENT ? ATF_ERR_NOT_FOUND : ATF_ERR_IO,
                    ATF_NO_OFFSET, "%s: %s", path, strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
      n--;
    out->events_path = join(path, n, "events.bin");
    out->manifest_path = join(path, n, "trace.json");
  } else {
    const char *slash = strrchr(path, '/');
    const char *dir = slash ? path : ".";
    const char *base = slash ? slash + 1 : path;
    /* "/x" keeps "/" as its directory; "x" has ".". */
    size_t dir_len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (strcmp(base, "trace.json") == 0) {
      out->manifest_path = atf_strdup(path);
      out->events_path = join(dir, dir_len, "events.bin");
    } else {
      out->events_path = atf_strdup(path);
      out->manifest_path = join(dir, dir_len, "trace.json");
    }
  }
  if (!out->events_path || !out->manifest_path) {
    atf_trace_paths_free(out);
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  }
  return ATF_OK;
}

char *atf_path_join(const char *dir, const char *name) {
  size_t d = strlen(dir), n = strlen(name);
  char *s;
  while (d > 0 && dir[d - 1] == '/') /* "a/" + "b" is "a/b"; "/" + "b" */
    d--;                             /* is "/b" */
  s = malloc(d + 1 + n + 1);
  if (!s) return NULL;
  memcpy(s, dir, d);
  s[d] = '/';
  memcpy(s + d + 1, name, n + 1);
  return s;
}

void atf_trace_paths_free(atf_trace_paths *paths) {
  free(paths->events_path);
  free(paths->manifest_path);
  memset(paths, 0, sizeof *paths);
}

/* The decimal after "pid_" in NAME[0..LEN), when it is all digits and fits. */
static int pid_of_name(const char *name, size_t len, int64_t *pid) {
  int64_t v = 0;
  if (len <= 4 || strncmp(name, "pid_", 4) != 0) return 0;
  for (size_t i = 4; i < len; i++) {
    if (name[i] < '0' || name[i] > '9' ||
        v > (INT64_MAX - (name[i] - '0')) / 10)
      return 0;
    v = v * 10 + (name[i] - '0');
  }
  *pid = v;
  return 1;
}

int atf_dir_pid(const char *dir, int64_t *pid) {
  size_t n = strlen(dir);
  const char *base;
  char *real;
  int ok;
  while (n > 1 && dir[n - 1] == '/') /* "pid_1/" */
    n--;
  for (base = dir + n; base > dir && base[-1] != '/'; base--)
    ;
  if (pid_of_name(base, (size_t)(dir + n - base), pid)) return 1;
  /* ".", "..", "pid_1/.": the name the directory has */
  if (!(real = realpath(*dir ? dir : ".", NULL))) return 0;
  base = strrchr(real, '/');
  base = base ? base + 1 : real;
  ok = pid_of_name(base, strlen(base), pid);
  free(real);
  return ok;
}
