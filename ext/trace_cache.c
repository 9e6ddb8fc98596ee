/*
** trace_cache.c - see trace_cache.h.
*/
#include <stdio.h>
#include <string.h>

#include "trace_cache.h"
SQLITE_EXTENSION_INIT3

/* Unused entries kept beyond this many are dropped, oldest first. */
#define MAX_IDLE_ENTRIES 4

static atf_status nomem(atf_error *err) {
  err->code = ATF_ERR_NOMEM;
  err->offset = ATF_NO_OFFSET;
  snprintf(err->message, sizeof err->message, "out of memory");
  return ATF_ERR_NOMEM;
}

static void entry_free(trace_entry *e) {
  sqlite3_free(e->trace_arg);
  atf_map_close(&e->map);
  atf_index_free(&e->index);
  sqlite3_free(e->events_path);
  sqlite3_free(e);
}

static int unchanged(const atf_file_id *a, const atf_file_id *b) {
  return memcmp(a, b, sizeof *a) == 0;
}

/* Drops idle entries beyond MAX_IDLE_ENTRIES (the list is newest first). */
static void trim(trace_cache *cache) {
  int idle = 0;
  for (trace_entry **p = &cache->entries; *p;) {
    trace_entry *e = *p;
    if (e->refs == 0 && ++idle > MAX_IDLE_ENTRIES) {
      *p = e->next;
      entry_free(e);
    } else {
      p = &e->next;
    }
  }
}

atf_status trace_cache_acquire(trace_cache *cache, const char *trace,
                               trace_entry **out, atf_error *err) {
  atf_trace_paths paths;
  atf_file_id now;
  trace_entry *found = NULL, *e;
  atf_status rc;
  /* A statement run again and again (point lookups) names the same trace:
  ** one stat of events.bin tells whether its entry still holds. */
  for (e = cache->entries; e; e = e->next)
    if (e->trace_arg && strcmp(e->trace_arg, trace) == 0 && e->map.path &&
        atf_file_id_read(e->events_path, &now, NULL) == ATF_OK &&
        unchanged(&e->map.id, &now)) {
      e->refs++;
      *out = e;
      return ATF_OK;
    }
  rc = atf_trace_paths_resolve(trace, &paths, err);
  if (rc != ATF_OK) return rc;
  rc = atf_file_id_read(paths.events_path, &now, err);
  if (rc != ATF_OK) {
    /* Let the open say what is wrong (missing, not a regular file). */
    atf_map probe;
    rc = atf_map_open(paths.events_path, &probe, err);
    if (rc == ATF_OK) atf_map_close(&probe), rc = ATF_ERR_IO;
    atf_trace_paths_free(&paths);
    return rc;
  }
  for (e = cache->entries; e; e = e->next) {
    if (strcmp(e->events_path, paths.events_path) != 0) continue;
    if (unchanged(&e->map.id, &now)) {
      found = e;
      break;
    }
    if (e->refs == 0 && !found) found = e; /* stale and free: map again */
  }
  if (found && !unchanged(&found->map.id, &now)) {
    atf_map_close(&found->map);
    found->index_current = 0;
    rc = atf_map_open(paths.events_path, &found->map, err);
    if (rc != ATF_OK) {
      atf_trace_paths_free(&paths);
      return rc; /* the entry stays, unmapped, until reused or trimmed */
    }
  }
  if (!found) {
    found = sqlite3_malloc64(sizeof *found);
    if (!found) {
      atf_trace_paths_free(&paths);
      return nomem(err);
    }
    memset(found, 0, sizeof *found);
    found->events_path = sqlite3_mprintf("%s", paths.events_path);
    rc = found->events_path ? atf_map_open(paths.events_path, &found->map, err)
                            : nomem(err);
    if (rc != ATF_OK) {
      entry_free(found);
      atf_trace_paths_free(&paths);
      return rc;
    }
    found->next = cache->entries;
    cache->entries = found;
  }
  atf_trace_paths_free(&paths);
  if (!found->trace_arg || strcmp(found->trace_arg, trace) != 0) {
    sqlite3_free(found->trace_arg);
    found->trace_arg = sqlite3_mprintf("%s", trace); /* NULL: no fast path */
  }
  found->refs++;
  *out = found;
  trim(cache);
  return ATF_OK;
}

void trace_cache_release(trace_cache *cache, trace_entry *entry) {
  if (entry && entry->refs > 0) entry->refs--;
  trim(cache);
}

atf_status trace_entry_index(trace_entry *entry, const atf_index **out,
                             atf_error *err) {
  if (!entry->index_current) {
    atf_status rc = atf_index_update(&entry->index, &entry->map, err);
    if (rc != ATF_OK) return rc;
    entry->index_current = 1;
  }
  *out = &entry->index;
  return ATF_OK;
}

/* Bytes of an average record, for estimates before a trace is indexed
** (the generator's are ~185, the fixture's ~180). */
#define AVERAGE_RECORD_BYTES 180

int trace_cache_records_hint(trace_cache *cache, const char *trace,
                             sqlite3_uint64 *records) {
  atf_trace_paths paths;
  atf_file_id id;
  int found = 0;
  if (!trace || atf_trace_paths_resolve(trace, &paths, NULL) != ATF_OK)
    return 0;
  for (trace_entry *e = cache->entries; e && !found; e = e->next)
    if (e->index_current && strcmp(e->events_path, paths.events_path) == 0) {
      *records = e->index.records;
      found = 1;
    }
  if (!found && atf_file_id_read(paths.events_path, &id, NULL) == ATF_OK) {
    *records = id.size / AVERAGE_RECORD_BYTES + 1;
    found = 1;
  }
  atf_trace_paths_free(&paths);
  return found;
}

atf_status trace_probe(const char *trace, atf_error *err) {
  atf_trace_paths paths;
  atf_map map;
  atf_status rc = atf_trace_paths_resolve(trace, &paths, err);
  if (rc != ATF_OK) return rc;
  rc = atf_map_open(paths.events_path, &map, err);
  if (rc == ATF_OK) atf_map_close(&map);
  atf_trace_paths_free(&paths);
  return rc;
}

void trace_cache_free(trace_cache *cache) {
  while (cache->entries) {
    trace_entry *e = cache->entries;
    cache->entries = e->next;
    entry_free(e);
  }
}
