/*
** trace_cache.h - the traces a connection has open: each events.bin mapped
** once and its block index built once, shared by the cursors that read it,
** and kept while the file is unchanged.
**
** A cursor acquires an entry when a query starts and releases it when the
** query ends, so a query reads the file as it was when it started (a
** snapshot). Each acquisition checks the file with one fstat of the open
** file (atf_map_changed): a file that grew or was rewritten is mapped again
** when no cursor holds it (one that grew keeps its index, extended rather
** than rebuilt); one deleted or replaced by a rename is let go.
**
** Idle entries (no cursor holds them) let go of their mappings, and of the
** file, when:
**   - their file was deleted or replaced (seen at the next acquisition of
**     any trace), or
**   - they were not used by the last TRACE_CACHE_IDLE_USES acquisitions, or
**   - more than TRACE_CACHE_IDLE_MAPPED idle entries hold a mapping.
** They keep their index (small) and their identity, so that a later query
** maps the file again and, if it is unchanged, does not read it again. At
** most TRACE_CACHE_ENTRIES entries are kept (busy ones do not count).
** A connection is used by one thread at a time, so there is no locking.
*/
#ifndef ATF_TRACE_CACHE_H
#define ATF_TRACE_CACHE_H

#include <sqlite3ext.h>

#include "atf_reader.h"

#define TRACE_CACHE_IDLE_USES 64
#define TRACE_CACHE_IDLE_MAPPED 4
#define TRACE_CACHE_ENTRIES 8

typedef struct trace_entry {
  char *trace_arg;   /* the argument that last resolved to this entry */
  atf_format format; /* ATF_FORMAT_V4 or ATF_FORMAT_V2 */
  char *events_path; /* v4: events.bin; v2: the trace's directory */
  /* ATF v2: the trace, open (its files mapped) while v2_open. */
  atf_v2_trace v2;
  int v2_open;
  /* ATF v4: */
  atf_map map;          /* map.path is NULL while the entry holds no mapping */
  atf_index index;      /* kept while the entry lives */
  int index_current;    /* the index covers this mapping */
  atf_call_index calls; /* call checkpoints, built on first need */
  int refs;             /* cursors reading it */
  sqlite3_uint64 last_use; /* the cache's clock at its last acquisition */
  struct trace_entry *next;
} trace_entry;

typedef struct trace_cache {
  trace_entry *entries; /* most recently acquired first */
  sqlite3_uint64 clock; /* acquisitions so far */
} trace_cache;

/* The entry for TRACE (a pid_* directory of either format, or the path of
** one of its files), with the trace's files mapped as they are now; the
** caller holds it until trace_cache_release. A session folder, or a folder
** of sessions, is an error that says so and names atf_traces. */
atf_status trace_cache_acquire(trace_cache *cache, const char *trace,
                               trace_entry **out, atf_error *err);
void trace_cache_release(trace_cache *cache, trace_entry *entry);

/* The block index of ENTRY's mapping, built or extended on first need;
** with RANGES, the blocks' ts and event_id ranges too. STOP (may be NULL)
** interrupts a long build (atf_interrupt). */
atf_status trace_entry_index(trace_entry *entry, int ranges,
                             const atf_interrupt *stop, const atf_index **out,
                             atf_error *err);

/* ENTRY's call checkpoints, built or extended on first need (a walk of the
** whole trace, which STOP may interrupt), with its block index. */
atf_status trace_entry_calls(trace_entry *entry, const atf_interrupt *stop,
                             const atf_index **index,
                             const atf_call_index **calls, atf_error *err);

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
