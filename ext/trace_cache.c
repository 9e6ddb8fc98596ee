/*
** trace_cache.c - see trace_cache.h.
*/
#include <stdio.h>
#include <string.h>

#include "trace_cache.h"
SQLITE_EXTENSION_INIT3

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
  atf_call_index_free(&e->calls);
  sqlite3_free(e->events_path);
  sqlite3_free(e);
}

static int mapped(const trace_entry *e) { return e->map.path != NULL; }

static void unmap(trace_entry *e) {
  atf_map_close(&e->map);
  e->index_current = 0;
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
    if (mapped(e) &&
        (cache->clock - e->last_use > TRACE_CACHE_IDLE_USES ||
         ++idle_mapped > TRACE_CACHE_IDLE_MAPPED || atf_map_changed(&e->map)))
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

/* Maps E's file again (it changed, or E held no mapping). The index stays:
** atf_index_update extends it when the file only grew. */
static atf_status remap(trace_entry *e, atf_error *err) {
  atf_map_close(&e->map);
  e->index_current = 0;
  return atf_map_open(e->events_path, &e->map, err);
}

atf_status trace_cache_acquire(trace_cache *cache, const char *trace,
                               trace_entry **out, atf_error *err) {
  atf_trace_paths paths;
  trace_entry *found = NULL, *e;
  atf_status rc;
  /* A statement run again and again (point lookups) names the same trace:
  ** one fstat of the open file tells whether its entry still holds. */
  for (e = cache->entries; e; e = e->next)
    if (mapped(e) && e->trace_arg && strcmp(e->trace_arg, trace) == 0 &&
        !atf_map_changed(&e->map)) {
      *out = take(cache, e);
      return ATF_OK;
    }
  rc = atf_trace_paths_resolve(trace, &paths, err);
  if (rc != ATF_OK) return rc;
  /* An entry of the same file that no cursor holds is brought up to date;
  ** one that cursors hold keeps their snapshot, and a new entry is made. */
  for (e = cache->entries; e && !found; e = e->next)
    if (strcmp(e->events_path, paths.events_path) == 0 &&
        (e->refs == 0 || (mapped(e) && !atf_map_changed(&e->map))))
      found = e;
  if (found && (!mapped(found) || atf_map_changed(&found->map))) {
    rc = remap(found, err);
    if (rc != ATF_OK) {
      atf_trace_paths_free(&paths);
      return rc; /* the entry stays, unmapped, until reused or swept */
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
