/*
** trace_cache.h - the traces a connection has open: each events.bin mapped
** once and its block index built once, shared by the cursors that read it,
** and kept while the file is unchanged (same device, inode, size, mtime).
**
** A cursor acquires an entry when a query starts and releases it when the
** query ends, so a query reads the file as it was when it started (a
** snapshot). A file that changed is mapped again when no cursor holds it;
** one that grew keeps its index, which is extended rather than rebuilt.
** A connection is used by one thread at a time, so there is no locking.
*/
#ifndef ATF_TRACE_CACHE_H
#define ATF_TRACE_CACHE_H

#include <sqlite3ext.h>

#include "atf_reader.h"

typedef struct trace_entry {
  char *trace_arg; /* the argument that last resolved to this entry */
  char *events_path;
  atf_map map;
  atf_index index;
  int index_current; /* the index covers this map */
  int refs;          /* cursors reading it */
  struct trace_entry *next;
} trace_entry;

typedef struct trace_cache {
  trace_entry *entries;
} trace_cache;

/* The entry for TRACE (a pid_* directory, events.bin or trace.json path),
** with events.bin mapped as it is now; the caller holds it until
** trace_cache_release. */
atf_status trace_cache_acquire(trace_cache *cache, const char *trace,
                               trace_entry **out, atf_error *err);
void trace_cache_release(trace_cache *cache, trace_entry *entry);

/* The block index of ENTRY's mapping, built or extended on first need. */
atf_status trace_entry_index(trace_entry *entry, const atf_index **out,
                             atf_error *err);

/* For planning: the number of records of TRACE, exact when the connection
** has indexed its current file, else estimated from the file's size.
** Returns 0 when the trace cannot be found. Builds and maps nothing. */
int trace_cache_records_hint(trace_cache *cache, const char *trace,
                             sqlite3_uint64 *records);

/* Whether TRACE can be opened, with the error a query would give
** (CREATE VIRTUAL TABLE checks its argument with it). */
atf_status trace_probe(const char *trace, atf_error *err);

void trace_cache_free(trace_cache *cache);

#endif
