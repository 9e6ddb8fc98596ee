/*
** events_vtab.h - the atf_events table-valued function: the cursor shared by
** events_vtab.c (planning and moving through the file) and events_row.c
** (the current event as column values).
*/
#ifndef ATF_EVENTS_VTAB_H
#define ATF_EVENTS_VTAB_H

#include <sqlite3ext.h>

#include "atf_reader.h"
#include "json_buf.h"
#include "trace_cache.h"

/* Columns, in the order of the declared schema. */
enum {
  COL_OFFSET,
  COL_SIZE,
  COL_EVENT_ID,
  COL_THREAD_ID,
  COL_TS,
  COL_KIND,
  COL_SYMBOL,
  COL_ADDRESS,
  COL_REGISTERS,
  COL_STACK,
  COL_SIGNAL_NUMBER,
  COL_SIGNAL_NAME,
  COL_EXIT_CODE,
  COL_EXECUTABLE_PATH,
  COL_ARGS,
  COL_OPERATING_SYSTEM,
  COL_CPU_ARCHITECTURE,
  COL_TRACE,
  COL_OPTIONS
};

/* An inclusive range of 64-bit values a column may take. */
typedef struct int_range {
  sqlite3_int64 lo, hi;
} int_range;

typedef struct events_cursor {
  sqlite3_vtab_cursor base;
  char *trace;            /* the trace argument, for the hidden column */
  char *options;          /* the options argument, likewise (or NULL) */
  trace_entry *entry;     /* the mapped file, held for the query */
  const atf_index *index; /* its block index, when the plan needs one */
  atf_iter it;
  /* The current row. */
  atf_record rec;
  atf_event ev;
  atf_payload payload;
  int have_header, have_payload, eof;
  /* The plan (xFilter). */
  int idx_num;
  int_range offset, ts, event_id; /* rows outside are not returned */
  int filter_ts, filter_event_id; /* those two ranges restrict something */
  sqlite3_int64 *targets;         /* sorted offsets for = and IN */
  sqlite3_int64 n_targets, next_target;
  sqlite3_int64 *threads; /* sorted thread ids for = and IN; NULL: any */
  sqlite3_int64 n_threads;
  unsigned kinds;   /* KIND_BIT set of wanted kinds; 0: any */
  int skip_corrupt; /* option: leave out records that do not decode */
  int length_limit; /* SQLITE_LIMIT_LENGTH, read once per query (it takes
                       the connection's mutex) */
  sqlite3_int64 to_skip, to_emit; /* OFFSET and LIMIT left; to_emit < 0: all */
  size_t block;                   /* index block of the scan position */
  uint64_t window_end;            /* see atf_map_scan_window */
  /* Buffers reused across rows to render registers. */
  atf_register *regs;
  uint32_t *regs_scratch;
  uint32_t regs_cap;
  json_buf json; /* registers and args as JSON */
  /* Work done, flushed to the process-wide counters at the end of a scan. */
  sqlite3_uint64 headers, payloads;
} events_cursor;

#define KIND_BIT(k) (1u << ((k)-ATF_KIND_TRACE_START))

/* Sets the vtab's error from a reader error; returns the SQLite code. */
int events_reader_error(events_cursor *c, const atf_error *err);
/* Decodes the current record's header once. */
int events_decode_header(events_cursor *c);

/* Collects the current event's distinct registers into c->regs (*N of
** them); the payload must be decoded. */
atf_status events_collect_registers(events_cursor *c, uint32_t *n,
                                    atf_error *err);

/* xColumn (events_row.c). */
int events_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int column);

int events_vtab_register(sqlite3 *db);

#endif
