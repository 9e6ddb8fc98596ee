/*
** trace_cache.c - see trace_cache.h.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace_cache.h"
SQLITE_EXTENSION_INIT3

static atf_status fail(atf_error *err, atf_status code, const char *fmt, ...) {
  va_list ap;
  err->code = code;
  err->offset = ATF_NO_OFFSET;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

static atf_status nomem(atf_error *err) {
  return fail(err, ATF_ERR_NOMEM, "out of memory");
}

static void entry_free(trace_entry *e) {
  sqlite3_free(e->trace_arg);
  if (e->v2_open) atf_v2_close(&e->v2);
  atf_map_close(&e->map);
  atf_index_free(&e->index);
  atf_call_index_free(&e->calls);
  sqlite3_free(e->events_path);
  sqlite3_free(e);
}

static int mapped(const trace_entry *e) {
  return e->format == ATF_FORMAT_V2 ? e->v2_open : e->map.path != NULL;
}

/* Whether E's files are no longer what it holds. */
static int changed(const trace_entry *e) {
  return e->format == ATF_FORMAT_V2 ? atf_v2_changed(&e->v2)
                                    : atf_map_changed(&e->map);
}

static void unmap(trace_entry *e) {
  if (e->v2_open) atf_v2_close(&e->v2);
  e->v2_open = 0;
  atf_map_close(&e->map);
  e->index_current = 0;
}

/* Maps E's files (again: they changed, or E held none). A v4 entry keeps
** its index: atf_index_update extends it when the file only grew. */
static atf_status map_entry(trace_entry *e, atf_error *err) {
  atf_status rc;
  unmap(e);
  if (e->format == ATF_FORMAT_V4)
    return atf_map_open(e->events_path, &e->map, err);
  /* A manifest.json that does not parse leaves the events readable (its
  ** symbols NULL), as a bad trace.json does; atf_manifest and atf_check
  ** report it. A damaged thread file is an error naming it. */
  rc = atf_v2_open(e->events_path, ATF_V2_OPEN_KEEP_BAD_MANIFEST, &e->v2, err);
  e->v2_open = rc == ATF_OK;
  return rc;
}

/* Lets idle entries go as trace_cache.h says: mappings of changed files,
** of entries unused for a while and beyond TRACE_CACHE_IDLE_MAPPED;
** entries beyond TRACE_CACHE_ENTRIES (the list is newest first). */
static void sweep(trace_cache *cache) {
  int idle_mapped = 0, idle = 0;
  for (trace_entry **p = &cache->entries; *p;) {
    trace_entry *e = *p;
    if (e->refs > 0) {
      p = &e->next;
      continue;
    }
    if (mapped(e) && (cache->clock - e->last_use > TRACE_CACHE_IDLE_USES ||
                      ++idle_mapped > TRACE_CACHE_IDLE_MAPPED || changed(e)))
      unmap(e);
    if (++idle > TRACE_CACHE_ENTRIES) {
      *p = e->next;
      entry_free(e);
    } else {
      p = &e->next;
    }
  }
}

/* Moves E to the front of the list (most recently acquired first). */
static void to_front(trace_cache *cache, trace_entry *e) {
  for (trace_entry **p = &cache->entries; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      break;
    }
  e->next = cache->entries;
  cache->entries = e;
}

static trace_entry *take(trace_cache *cache, trace_entry *e) {
  e->refs++;
  e->last_use = ++cache->clock;
  if (cache->entries != e) to_front(cache, e);
  sweep(cache);
  return e;
}

/* Where TRACE's files are: its format, and the path an entry is keyed by
** (v4: events.bin; v2: the trace's directory), from sqlite3_malloc. */
static atf_status locate(const char *trace, atf_format *format, char **path,
                         atf_error *err) {
  atf_format_info fi;
  atf_trace_paths paths;
  atf_status rc = atf_format_detect(trace, &fi, err);
  *path = NULL;
  *format = fi.format;
  if (rc == ATF_OK && (fi.format == ATF_FORMAT_SESSION ||
                       fi.format == ATF_FORMAT_SESSION_ROOT)) {
    rc = fail(err, ATF_ERR_FORMAT,
              "%s: a %s (%u %s%s), not one trace: list its traces with "
              "atf_traces('%s'), and query each path it gives",
              trace,
              fi.format == ATF_FORMAT_SESSION ? "session folder"
                                              : "folder of sessions",
              fi.entries, fi.format == ATF_FORMAT_SESSION ? "trace" : "session",
              fi.entries == 1 ? "" : "s", trace);
  } else if (rc == ATF_OK && fi.format == ATF_FORMAT_V2) {
    *path = sqlite3_mprintf("%s", fi.dir);
    if (!*path) rc = nomem(err);
  } else if (rc == ATF_OK || rc == ATF_ERR_IO ||
             (rc == ATF_ERR_FORMAT && !(fi.trace_files & ATF_FILES_V2))) {
    /* v4; or a path the v4 reader explains best: an events.bin that is
    ** there but no regular file (a FIFO, a device, a directory). A folder
    ** with v2 files (beside v4's, or with a wrong magic) keeps detection's
    ** error. */
    atf_error v4_err;
    atf_file_id id;
    if (atf_trace_paths_resolve(trace, &paths, &v4_err) == ATF_OK) {
      if (rc == ATF_OK ||
          atf_file_id_read(paths.events_path, &id, NULL) == ATF_OK) {
        *format = ATF_FORMAT_V4;
        *path = sqlite3_mprintf("%s", paths.events_path);
        rc = *path ? ATF_OK : nomem(err);
      }
      atf_trace_paths_free(&paths);
    } else if (rc == ATF_OK) {
      *err = v4_err;
      rc = v4_err.code;
    }
  }
  atf_format_info_free(&fi);
  return rc;
}

atf_status trace_cache_acquire(trace_cache *cache, const char *trace,
                               trace_entry **out, atf_error *err) {
  trace_entry *found = NULL, *e;
  atf_format format;
  char *path;
  atf_status rc;
  /* A statement run again and again (point lookups) names the same trace:
  ** one fstat of the open file tells whether its entry still holds. */
  for (e = cache->entries; e; e = e->next)
    if (mapped(e) && e->trace_arg && strcmp(e->trace_arg, trace) == 0 &&
        !changed(e)) {
      *out = take(cache, e);
      return ATF_OK;
    }
  if ((rc = locate(trace, &format, &path, err)) != ATF_OK) return rc;
  /* An entry of the same trace that no cursor holds is brought up to date;
  ** one that cursors hold keeps their snapshot, and a new entry is made. */
  for (e = cache->entries; e && !found; e = e->next)
    if (e->format == format && strcmp(e->events_path, path) == 0 &&
        (e->refs == 0 || (mapped(e) && !changed(e))))
      found = e;
  if (found && (!mapped(found) || changed(found))) {
    sqlite3_free(path);
    rc = map_entry(found, err);
    if (rc != ATF_OK) return rc; /* the entry stays, unmapped */
  } else if (!found) {
    found = sqlite3_malloc64(sizeof *found);
    if (!found) {
      sqlite3_free(path);
      return nomem(err);
    }
    memset(found, 0, sizeof *found);
    found->format = format;
    found->events_path = path;
    if ((rc = map_entry(found, err)) != ATF_OK) {
      entry_free(found);
      return rc;
    }
    found->next = cache->entries;
    cache->entries = found;
  } else {
    sqlite3_free(path);
  }
  if (!found->trace_arg || strcmp(found->trace_arg, trace) != 0) {
    sqlite3_free(found->trace_arg);
    found->trace_arg = sqlite3_mprintf("%s", trace); /* NULL: no fast path */
  }
  *out = take(cache, found);
  return ATF_OK;
}

void trace_cache_release(trace_cache *cache, trace_entry *entry) {
  if (entry && entry->refs > 0) entry->refs--;
  (void)cache;
}

atf_status trace_entry_index(trace_entry *entry, int ranges,
                             const atf_interrupt *stop, const atf_index **out,
                             atf_error *err) {
  atf_status rc;
  if (!entry->index_current) {
    /* Interrupted, what is indexed stays: the next query goes on. */
    rc = atf_index_update(&entry->index, &entry->map, stop, err);
    if (rc != ATF_OK) return rc;
    entry->index_current = 1;
  }
  if (ranges && entry->index.ranged < entry->index.n_blocks) {
    rc = atf_index_ranges(&entry->index, &entry->map, stop, err);
    if (rc != ATF_OK) return rc;
  }
  *out = &entry->index;
  return ATF_OK;
}

atf_status trace_entry_calls(trace_entry *entry, const atf_interrupt *stop,
                             const atf_index **index,
                             const atf_call_index **calls, atf_error *err) {
  atf_status rc = trace_entry_index(entry, 0, stop, index, err);
  if (rc == ATF_OK)
    rc = atf_call_index_update(&entry->calls, *index, &entry->map, stop, err);
  *calls = &entry->calls;
  return rc;
}

/* Bytes of an average record, for estimates before a trace is indexed
** (the generator's are ~185, the fixture's ~180). */
#define AVERAGE_RECORD_BYTES 180

int trace_cache_records_hint(trace_cache *cache, const char *trace,
                             sqlite3_uint64 *records) {
  atf_format format;
  atf_file_id id;
  atf_error err;
  char *path;
  int found = 0;
  if (!trace || locate(trace, &format, &path, &err) != ATF_OK) return 0;
  for (trace_entry *e = cache->entries; e && !found; e = e->next) {
    if (e->format != format || strcmp(e->events_path, path) != 0) continue;
    if (format == ATF_FORMAT_V2 && e->v2_open) {
      *records = e->v2.records;
      found = 1;
    } else if (format == ATF_FORMAT_V4 && e->index_current) {
      *records = e->index.records;
      found = 1;
    }
  }
  if (!found && format == ATF_FORMAT_V4 &&
      atf_file_id_read(path, &id, NULL) == ATF_OK) {
    *records = id.size / AVERAGE_RECORD_BYTES + 1;
    found = 1;
  }
  sqlite3_free(path);
  return found;
}

atf_status trace_probe(const char *trace, atf_error *err) {
  trace_entry probe;
  atf_status rc;
  memset(&probe, 0, sizeof probe);
  rc = locate(trace, &probe.format, &probe.events_path, err);
  if (rc == ATF_OK) rc = map_entry(&probe, err);
  unmap(&probe);
  sqlite3_free(probe.events_path);
  return rc;
}

void trace_cache_free(trace_cache *cache) {
  while (cache->entries) {
    trace_entry *e = cache->entries;
    cache->entries = e->next;
    entry_free(e);
  }
}
