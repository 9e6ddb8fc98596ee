/*
** traces.c - every trace under a folder (atf_traces_list), and what each one
** is without reading its records when a manifest has the answer
** (atf_trace_summarize). Contracts in atf_v2.h.
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* The recursion is as deep as the walk: bounded here whatever the caller
** asks. */
#define DEPTH_LIMIT 64
/* STOP is asked every this many directories. */
#define STOP_EVERY_DIRS 16

/* ---- the list ------------------------------------------------------------ */

typedef struct walk {
  atf_trace_list *list;
  size_t cap;
  unsigned max_depth;
  const atf_interrupt *stop;
  uint64_t dirs;
} walk;

static char *dup_or_null(const char *s) { return s ? atf_strdup(s) : NULL; }

static void entry_free(atf_trace_entry *e) {
  free(e->path);
  free(e->dir);
  free(e->session);
  free(e->error);
}

void atf_trace_list_free(atf_trace_list *list) {
  for (size_t i = 0; i < list->count; i++)
    entry_free(&list->entries[i]);
  free(list->entries);
  memset(list, 0, sizeof *list);
}

static atf_status nomem(atf_error *err) {
  return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
}

static atf_status add(walk *w, const char *path, const char *dir,
                      const char *session, atf_format format, const char *error,
                      atf_error *err) {
  atf_trace_entry *e;
  if (w->list->count == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 16;
    atf_trace_entry *grown = realloc(w->list->entries, cap * sizeof *grown);
    if (!grown) return nomem(err);
    w->list->entries = grown;
    w->cap = cap;
  }
  e = &w->list->entries[w->list->count];
  memset(e, 0, sizeof *e);
  e->path = atf_strdup(path);
  e->dir = atf_strdup(dir);
  e->session = dup_or_null(session);
  e->error = dup_or_null(error);
  e->format = format;
  e->has_pid = atf_dir_pid(dir, &e->pid);
  if (!e->path || !e->dir || (session && !e->session) || (error && !e->error)) {
    entry_free(e);
    return nomem(err);
  }
  w->list->count++;
  return ATF_OK;
}

/* The last name of the absolute path PATH ("/a/b" -> "b"), malloc'd in
** *OUT; NULL for "/". With PARENT, that of its directory instead. */
static atf_status name_of(const char *path, int parent, char **out,
                          atf_error *err) {
  size_t n = strlen(path), start;
  *out = NULL;
  while (n > 1 && path[n - 1] == '/')
    n--;
  if (parent) { /* drop the last name and the slashes before it */
    while (n > 0 && path[n - 1] != '/')
      n--;
    while (n > 1 && path[n - 1] == '/')
      n--;
  }
  if (n == 0 || (n == 1 && path[0] == '/')) return ATF_OK;
  start = n;
  while (start > 0 && path[start - 1] != '/')
    start--;
  if (!(*out = malloc(n - start + 1))) return nomem(err);
  memcpy(*out, path + start, n - start);
  (*out)[n - start] = 0;
  return ATF_OK;
}

/* NAME's directory entries that are directories themselves (not links to
** them), names starting with '.' left out; malloc'd. */
static atf_status subdirs(const char *path, char ***names, size_t *count,
                          atf_error *err) {
  DIR *d = opendir(path);
  struct dirent *de;
  size_t cap = 0;
  *names = NULL;
  *count = 0;
  if (!d)
    return atf_fail(err, errno == ENOENT ? ATF_ERR_NOT_FOUND : ATF_ERR_IO,
                    ATF_NO_OFFSET, "%s: cannot read the directory: %s", path,
                    strerror(errno));
  while ((de = readdir(d)) != NULL) {
    int is_dir = 0;
    if (de->d_name[0] == '.') continue;
    if (de->d_type == DT_DIR) {
      is_dir = 1;
    } else if (de->d_type == DT_UNKNOWN) { /* some file systems: ask */
      struct stat st;
      char *child = atf_path_join(path, de->d_name);
      is_dir = child && lstat(child, &st) == 0 && S_ISDIR(st.st_mode);
      free(child);
    }
    if (!is_dir) continue;
    if (*count == cap) {
      size_t ncap = cap ? 2 * cap : 16;
      char **grown = realloc(*names, ncap * sizeof *grown);
      if (!grown) goto oom;
      *names = grown;
      cap = ncap;
    }
    if (!((*names)[*count] = atf_strdup(de->d_name))) goto oom;
    (*count)++;
  }
  closedir(d);
  return ATF_OK;
oom:
  closedir(d);
  return nomem(err);
}

static void names_free(char **names, size_t count) {
  for (size_t i = 0; i < count; i++)
    free(names[i]);
  free(names);
}

/* Visits directory PATH, DEPTH levels below the root, named NAME (NULL for
** "/"), in a directory named PARENT. */
static atf_status visit(walk *w, const char *path, const char *name,
                        const char *parent, unsigned depth, atf_error *err) {
  atf_format_info info;
  atf_error e;
  atf_status rc;
  char **names;
  size_t count;
  if (++w->dirs % STOP_EVERY_DIRS == 0 && w->stop && w->stop->fn &&
      w->stop->fn(w->stop->user))
    return atf_fail(err, ATF_ERR_INTERRUPTED, ATF_NO_OFFSET, "interrupted");
  rc = atf_format_detect(path, &info, &e);
  if (rc == ATF_OK &&
      (info.format == ATF_FORMAT_V4 || info.format == ATF_FORMAT_V2)) {
    rc = add(w, path, path, parent, info.format, NULL, err);
    atf_format_info_free(&info);
    return rc;
  }
  if (rc == ATF_ERR_FORMAT && info.trace_files) { /* a damaged trace */
    atf_format f =
        info.trace_files == ATF_FILES_V2 ? ATF_FORMAT_V2 : ATF_FORMAT_UNKNOWN;
    atf_format_info_free(&info);
    return add(w, path, path, parent, f, e.message, err);
  }
  atf_format_info_free(&info);
  if (rc == ATF_ERR_NOMEM) return nomem(err);
  if (rc != ATF_OK && rc != ATF_ERR_FORMAT) {
    if (depth == 0) {
      *err = e;
      return rc;
    }
    /* Gone since it was listed: nothing to show. Unreadable: shown. */
    return rc == ATF_ERR_NOT_FOUND
               ? ATF_OK
               : add(w, path, path, parent, ATF_FORMAT_UNKNOWN, e.message, err);
  }
  /* A session, a folder of sessions, or any other folder: look inside. */
  if (depth >= w->max_depth) return ATF_OK;
  rc = subdirs(path, &names, &count, &e);
  if (rc == ATF_ERR_NOMEM) return nomem(err);
  if (rc != ATF_OK) {
    if (depth == 0) {
      *err = e;
      return rc;
    }
    return rc == ATF_ERR_NOT_FOUND
               ? ATF_OK
               : add(w, path, path, parent, ATF_FORMAT_UNKNOWN, e.message, err);
  }
  for (size_t i = 0; i < count && rc == ATF_OK; i++) {
    char *child = atf_path_join(path, names[i]);
    rc = child ? visit(w, child, names[i], name, depth + 1, err) : nomem(err);
    free(child);
  }
  names_free(names, count);
  return rc;
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const atf_trace_entry *)a)->path,
                ((const atf_trace_entry *)b)->path);
}

/* ROOT as given, without trailing slashes ("/" stays). */
static char *trimmed(const char *root) {
  char *s = atf_strdup(root);
  size_t n = s ? strlen(s) : 0;
  while (n > 1 && s[n - 1] == '/')
    s[--n] = 0;
  return s;
}

atf_status atf_traces_list(const char *root, unsigned max_depth,
                           const atf_interrupt *stop, atf_trace_list *out,
                           atf_error *err) {
  walk w = {out, 0, max_depth > DEPTH_LIMIT ? DEPTH_LIMIT : max_depth, stop, 0};
  struct stat st;
  char *real = NULL, *name = NULL, *parent = NULL, *path = NULL;
  atf_status rc;
  memset(out, 0, sizeof *out);
  if (!root || !*root)
    return atf_fail(err, ATF_ERR_NOT_FOUND, ATF_NO_OFFSET,
                    "no root given: pass a session folder, a folder of "
                    "sessions, or a trace");
  if (stat(root, &st) != 0) {
    int e = errno;
    return atf_fail(err, e == ENOENT ? ATF_ERR_NOT_FOUND : ATF_ERR_IO,
                    ATF_NO_OFFSET, "%s: %s", root, strerror(e));
  }
  if (!S_ISDIR(st.st_mode)) {
    /* A file of a trace (events.bin, trace.json, index.atf, ...): that
    ** trace, named as the user named it. */
    atf_format_info info;
    rc = atf_format_detect(root, &info, err);
    if (rc == ATF_OK && info.format != ATF_FORMAT_V4 &&
        info.format != ATF_FORMAT_V2)
      rc = atf_fail(err, ATF_ERR_FORMAT, ATF_NO_OFFSET,
                    "%s: not a folder and not a file of a trace", root);
    if (rc == ATF_OK) {
      real = realpath(info.dir, NULL);
      rc = real ? name_of(real, 1, &parent, err)
                : atf_fail(err, ATF_ERR_IO, ATF_NO_OFFSET, "%s: %s", info.dir,
                           strerror(errno));
    }
    if (rc == ATF_OK)
      rc = add(&w, root, info.dir, parent, info.format, NULL, err);
    atf_format_info_free(&info);
    goto done;
  }
  if (!(real = realpath(root, NULL))) {
    int e = errno;
    return atf_fail(err, e == ENOMEM ? ATF_ERR_NOMEM : ATF_ERR_IO,
                    ATF_NO_OFFSET, "%s: %s", root, strerror(e));
  }
  rc = name_of(real, 0, &name, err);
  if (rc == ATF_OK) rc = name_of(real, 1, &parent, err);
  if (rc == ATF_OK) rc = (path = trimmed(root)) ? ATF_OK : nomem(err);
  if (rc == ATF_OK) rc = visit(&w, path, name, parent, 0, err);
done:
  free(real);
  free(name);
  free(parent);
  free(path);
  if (rc != ATF_OK) {
    atf_trace_list_free(out);
    return rc;
  }
  if (out->count > 1)
    qsort(out->entries, out->count, sizeof *out->entries, by_path);
  return ATF_OK;
}

/* ---- one trace ----------------------------------------------------------- */

void atf_trace_summary_free(atf_trace_summary *s) {
  free(s->os);
  free(s->arch);
  free(s->error);
  memset(s, 0, sizeof *s);
}

/* Problems found: the first one's message is kept, the others counted. */
typedef struct problems {
  char first[sizeof(((atf_error *)0)->message)];
  int have_first;
  unsigned count;
} problems;

static void problem(problems *p, const char *message) {
  if (!p->have_first) {
    snprintf(p->first, sizeof p->first, "%s", message);
    p->have_first = 1;
  }
  p->count++;
}

static atf_status problems_finish(const problems *p, atf_trace_summary *s,
                                  atf_error *err) {
  size_t n;
  if (!p->count) return ATF_OK;
  n = strlen(p->first) + 96;
  if (!(s->error = malloc(n))) return nomem(err);
  if (p->count == 1)
    snprintf(s->error, n, "%s", p->first);
  else
    snprintf(s->error, n, "%s (and %u more problem%s: atf_check tells all)",
             p->first, p->count - 1, p->count > 2 ? "s" : "");
  return ATF_OK;
}

static char *bytes_dup(atf_bytes b) {
  char *s = malloc(b.len + 1);
  if (!s) return NULL;
  if (b.len) memcpy(s, b.ptr, b.len);
  s[b.len] = 0;
  return s;
}

/* The first record: its timestamp, and os and arch when it is the
** trace_start (a record that does not decode tells nothing). */
static atf_status v4_first_record(const atf_record *rec, atf_trace_summary *s,
                                  atf_error *err) {
  atf_event ev;
  atf_payload pl;
  if (atf_event_decode(rec, &ev, NULL) != ATF_OK) return ATF_OK;
  if (ev.has_timestamp) {
    s->has_time_start = 1;
    s->time_start_ns = (uint64_t)ev.ts_ns;
  }
  if (ev.kind != ATF_KIND_TRACE_START || s->os ||
      atf_payload_decode(&ev, &pl, NULL) != ATF_OK)
    return ATF_OK;
  s->os = bytes_dup(pl.operating_system);
  s->arch = bytes_dup(pl.cpu_architecture);
  return s->os && s->arch ? ATF_OK : nomem(err);
}

/* Counts the records of EVENTS_PATH by their length prefixes. */
static atf_status v4_frame(const char *events_path, const atf_interrupt *stop,
                           atf_trace_summary *s, problems *p, atf_error *err) {
  atf_map map;
  atf_iter it;
  atf_record rec, last = {0};
  atf_scan_window window = {0};
  atf_error e;
  atf_event ev;
  uint64_t n = 0;
  atf_status rc = atf_map_open(events_path, &map, &e);
  if (rc == ATF_ERR_NOMEM) return nomem(err);
  if (rc != ATF_OK) {
    problem(p, e.message);
    return ATF_OK;
  }
  atf_map_advise_sequential(&map);
  atf_iter_init(&it, &map);
  while ((rc = atf_iter_next(&it, &rec, &e)) == ATF_OK) {
    if (n++ == 0 && (rc = v4_first_record(&rec, s, err)) != ATF_OK) break;
    last = rec;
    atf_map_scan_window(&map, it.pos, &window); /* bounded resident memory */
    if (atf_stopped(stop, n, err)) {
      rc = ATF_ERR_INTERRUPTED;
      break;
    }
  }
  if (rc == ATF_ERR_NOMEM || rc == ATF_ERR_INTERRUPTED) {
    atf_map_close(&map);
    return rc;
  }
  if (rc != ATF_END) /* framing damage: the records before it are counted */
    problem(p, e.message);
  s->has_event_count = s->has_bytes = 1;
  s->event_count = n;
  s->bytes = atf_iter_position(&it); /* a torn tail left out */
  if (n && atf_event_decode(&last, &ev, NULL) == ATF_OK && ev.has_timestamp) {
    s->has_time_end = 1;
    s->time_end_ns = (uint64_t)ev.ts_ns;
  }
  atf_map_close(&map);
  return ATF_OK;
}

static atf_status v4_summarize(const atf_trace_entry *entry,
                               const atf_interrupt *stop, atf_trace_summary *s,
                               problems *p, atf_error *err) {
  atf_trace_paths paths;
  atf_manifest m;
  atf_file_id events_id;
  atf_error e;
  atf_status rc = atf_trace_paths_resolve(entry->path, &paths, &e);
  if (rc == ATF_ERR_NOMEM) return nomem(err);
  if (rc != ATF_OK) {
    problem(p, e.message);
    return ATF_OK;
  }
  rc = atf_manifest_load(paths.manifest_path, &m, &e);
  if (rc == ATF_ERR_NOMEM) {
    atf_trace_paths_free(&paths);
    return nomem(err);
  }
  if (rc == ATF_OK) {
    s->finalized = 1;
    s->os = atf_strdup(m.os);
    s->arch = atf_strdup(m.arch);
    if (!s->has_pid && m.has_pid) {
      s->has_pid = 1;
      s->pid = m.pid;
    }
    s->has_event_count = 1;
    s->event_count = m.event_count;
    s->has_time_start = s->has_time_end = 1;
    s->time_start_ns = m.time_start_ns;
    s->time_end_ns = m.time_end_ns;
    atf_manifest_free(&m);
    if (!s->os || !s->arch) rc = nomem(err);
    if (rc == ATF_OK) {
      rc = atf_file_id_read(paths.events_path, &events_id, &e);
      if (rc == ATF_ERR_NOMEM) {
        rc = nomem(err);
      } else if (rc != ATF_OK) {
        problem(p, e.message);
        rc = ATF_OK;
      } else {
        s->has_bytes = 1;
        s->bytes = events_id.size;
      }
    }
  } else {
    /* No trace.json is a crash, not a problem; one that does not parse
    ** is. Either way the records are counted. */
    if (rc != ATF_ERR_NOT_FOUND) problem(p, e.message);
    rc = v4_frame(paths.events_path, stop, s, p, err);
  }
  atf_trace_paths_free(&paths);
  return rc;
}

static atf_status v2_summarize(const atf_trace_entry *entry,
                               atf_trace_summary *s, problems *p,
                               atf_error *err) {
  atf_v2_trace t;
  atf_error e;
  const char *name;
  int all_final = 1;
  atf_status rc = atf_v2_open(entry->dir, ATF_V2_OPEN_LENIENT, &t, &e);
  if (rc == ATF_ERR_NOMEM) return nomem(err);
  if (rc != ATF_OK) {
    problem(p, e.message);
    return ATF_OK;
  }
  for (size_t i = 0; i < t.thread_count; i++) {
    const atf_v2_thread *th = &t.threads[i];
    if (th->index_status != ATF_OK) problem(p, th->index_error.message);
    if (th->detail_status != ATF_OK) problem(p, th->detail_error.message);
    if (th->index_status != ATF_OK || !th->index.finalized) all_final = 0;
  }
  if (t.manifest_status != ATF_OK) problem(p, t.manifest_error.message);
  for (size_t i = 0; i < t.missing_count; i++) {
    char message[sizeof e.message];
    snprintf(message, sizeof message,
             "%s/thread_%u: missing: manifest.json names thread %u, but "
             "there is no thread_%u directory",
             t.dir, t.missing_slots[i], t.missing_slots[i], t.missing_slots[i]);
    problem(p, message);
  }
  s->finalized = t.has_manifest && t.manifest_status == ATF_OK && all_final;
  if ((name = atf_v2_os_name(t.os)) && !(s->os = atf_strdup(name)))
    rc = nomem(err);
  if ((name = atf_v2_arch_name(t.arch)) && !(s->arch = atf_strdup(name)))
    rc = nomem(err);
  s->has_threads = s->has_event_count = s->has_bytes = 1;
  s->threads = t.thread_count;
  s->event_count = t.records;
  s->bytes = t.bytes;
  if (t.records) {
    s->has_time_start = s->has_time_end = 1;
    s->time_start_ns = t.time_start_ns;
    s->time_end_ns = t.time_end_ns;
  }
  atf_v2_close(&t);
  return rc;
}

atf_status atf_trace_summarize(const atf_trace_entry *entry,
                               const atf_interrupt *stop,
                               atf_trace_summary *out, atf_error *err) {
  problems p;
  atf_status rc = ATF_OK;
  memset(out, 0, sizeof *out);
  memset(&p, 0, sizeof p);
  out->format = entry->format;
  out->has_pid = entry->has_pid;
  out->pid = entry->pid;
  if (entry->format == ATF_FORMAT_V2) {
    /* A v2 trace that did not detect (a wrong magic) is read leniently:
    ** its own problems say more, and the detection's repeats one of them. */
    rc = v2_summarize(entry, out, &p, err);
    if (entry->error && !p.count) problem(&p, entry->error);
  } else {
    if (entry->error) problem(&p, entry->error);
    if (entry->format == ATF_FORMAT_V4)
      rc = v4_summarize(entry, stop, out, &p, err);
  }
  if (rc == ATF_OK) rc = problems_finish(&p, out, err);
  if (rc != ATF_OK) atf_trace_summary_free(out);
  return rc;
}
