/*
** events_v2.h - the rows of atf_events over an ATF v2 trace: moving through
** its index records (a merge of the thread files by timestamp, or rowid
** order, or named rowids) and their column values. events_vtab.c plans
** and filters; this file knows the format.
**
** Columns over v2 (events_row.h names them):
**   offset          the rowid: (thread slot << 32) | record number
**   size            32 (an index record)
**   event_id        NULL (v2 has none)
**   thread_id       the slot as the writer records it
**   ts              ns (the recorded u64, as INTEGER)
**   kind            function_call, function_return, exception; NULL for
**                   another recorded value
**   symbol          from manifest.json's symbol table by function_id; NULL
**                   without one (a crashed trace) or for an unknown id
**   address         NULL (v2 records a function id instead)
**   registers       JSON of the registers of its detail record, named for
**                   the trace's architecture; NULL without a detail record
**                   that links back to it
**   stack           the detail record's stack window (calls), else NULL
**   signal_..., exit_code, executable_path, args, operating_system,
**   cpu_architecture   NULL (v2 has no such events)
**   function_id     INTEGER (u64 bits: ids >= 2^63 read negative)
**   call_depth      as recorded (a call: depth after entering, outermost 1;
**                   its return: the same)
**   os_thread_id    the OS thread id the detail record carries, else NULL
*/
#ifndef ATF_EVENTS_V2_H
#define ATF_EVENTS_V2_H

#include <sqlite3ext.h>

#include "atf_reader.h"
#include "json_buf.h"

typedef enum events_v2_order {
  EVENTS_V2_MERGE,  /* by timestamp, ties by slot then record */
  EVENTS_V2_ROWID,  /* slot by slot, each file in its order */
  EVENTS_V2_TARGETS /* the rowids given, in their (sorted) order */
} events_v2_order;

typedef struct events_v2 {
  atf_v2_trace *trace;
  events_v2_order order;
  atf_v2_merge merge;
  int merging;
  size_t thread;                /* EVENTS_V2_ROWID: the thread being read */
  uint64_t seq;                 /* ... and its next record */
  const sqlite3_int64 *targets; /* EVENTS_V2_TARGETS: sorted rowids */
  sqlite3_int64 n_targets, next_target;
  /* The current row. */
  atf_v2_event ev;
  atf_v2_detail detail;
  atf_v2_link link;
  int have_detail;
  json_buf json;
  uint64_t records; /* read, for atf_stats */
  /* Resident memory bounded (atf_map_scan_window): the index file read in
  ** rowid order, and each thread's detail file (sqlite3_malloc'd). */
  atf_scan_window index_window;
  atf_scan_window *detail_windows;
  size_t n_detail_windows;
} events_v2;

/* Starts reading T in ORDER (TARGETS for EVENTS_V2_TARGETS, kept by the
** caller). SQLite result codes. */
int events_v2_start(events_v2 *s, atf_v2_trace *t, events_v2_order order,
                    const sqlite3_int64 *targets, sqlite3_int64 n_targets);
/* The next record into s->ev: 1, or 0 after the last. */
int events_v2_next(events_v2 *s);
/* xColumn for the visible columns. */
int events_v2_column(events_v2 *s, sqlite3_context *ctx, int column);
/* The registers column of the event ROWID of T, into CTX (for the call
** tables: a call's or return's registers). */
int events_v2_registers(events_v2 *s, atf_v2_trace *t, uint64_t rowid,
                        sqlite3_context *ctx);
/* Ends the read (keeps the JSON buffer unless CLOSING). */
void events_v2_end(events_v2 *s, int closing);

#endif
