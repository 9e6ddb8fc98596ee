/*
** events_row.h - one event of an ATF v4 trace as the column values of an
** atf_events row: the schema, the columns, and their values, decoded on
** demand (the header on the first header column, the payload on the first
** payload column, registers and args only when asked for).
**
** A row knows nothing of cursors or plans: events_vtab.c moves through the
** file and hands each record to events_row_start.
*/
#ifndef ATF_EVENTS_ROW_H
#define ATF_EVENTS_ROW_H

#include <sqlite3ext.h>

#include "atf_reader.h"
#include "json_buf.h"
#include "stats.h"

/* The declared schema of atf_events; its columns in this order: */
extern const char EVENTS_SCHEMA[];
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
  COL_FUNCTION_ID,  /* ATF v2: NULL over v4 (events_v2.h) */
  COL_CALL_DEPTH,   /* ATF v2 */
  COL_OS_THREAD_ID, /* ATF v2 */
  COL_TRACE,        /* HIDDEN: the first argument */
  COL_OPTIONS       /* HIDDEN: the second */
};

/* KIND_BIT(kind): a bit per event kind, for sets of kinds; ATF v2's
** exception has the next one. */
#define KIND_BIT(k) (1u << ((k)-ATF_KIND_TRACE_START))
#define KIND_BIT_EXCEPTION                                                     \
  (1u << (ATF_KIND_SIGNAL_DELIVERY - ATF_KIND_TRACE_START + 1))

typedef struct events_row {
  atf_record rec; /* the record; valid after events_row_start */
  atf_event ev;   /* valid once the header is decoded */
  atf_payload payload;
  int have_header, have_payload;
  int length_limit; /* SQLITE_LIMIT_LENGTH of the connection */
  atf_stats *stats; /* headers and payloads decoded are counted here */
  /* Buffers reused across rows to render registers and args. */
  atf_register *regs;
  uint32_t *regs_scratch;
  uint32_t regs_cap;
  json_buf json;
} events_row;

/* Makes REC the current row: nothing of it decoded yet. */
void events_row_start(events_row *row, const atf_record *rec);
/* Decodes the header (event_id, thread_id, ts, kind) once. */
atf_status events_row_header(events_row *row, atf_error *err);
/* Decodes the whole event (header, payload, registers), as skip_corrupt
** needs to tell a sound record. */
atf_status events_row_decode_all(events_row *row, atf_error *err);

/* xColumn for the visible columns (COL_OFFSET..COL_OS_THREAD_ID): a
** payload column of another kind is NULL, and so are v2's columns. Errors (a
*record that does not
** decode, a value over SQLite's length limit) go to CTX with a message
** naming the file and the record's offset; returns the SQLite code. */
int events_row_column(events_row *row, sqlite3_context *ctx, int column);

void events_row_free(events_row *row);

#endif
