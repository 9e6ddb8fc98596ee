/*
** events_row.c - see events_row.h. Values follow DESIGN.md section 2:
** header columns from the event's top level, payload columns of the event's
** own kind (NULL for other kinds), registers and args rendered as JSON,
** unsigned 64-bit values as the INTEGER with the same bits, strings that
** are not UTF-8 as a BLOB of the same bytes.
*/
#include <stdio.h>
#include <string.h>

#include "events_row.h"
#include "vtab.h"
SQLITE_EXTENSION_INIT3

const char EVENTS_SCHEMA[] =
    "CREATE TABLE x(offset INTEGER, size INTEGER, event_id INTEGER, "
    "thread_id INTEGER, ts INTEGER, kind TEXT, symbol TEXT, address INTEGER, "
    "registers TEXT, stack BLOB, signal_number INTEGER, signal_name TEXT, "
    "exit_code INTEGER, executable_path TEXT, args TEXT, "
    "operating_system TEXT, cpu_architecture TEXT, function_id INTEGER, "
    "call_depth INTEGER, os_thread_id INTEGER, trace HIDDEN, "
    "options HIDDEN)";

/* Names of the columns whose values can exceed SQLite's length limit. */
static const char *const column_names[] = {
    [COL_SYMBOL] = "symbol",
    [COL_REGISTERS] = "registers",
    [COL_STACK] = "stack",
    [COL_SIGNAL_NAME] = "signal_name",
    [COL_EXECUTABLE_PATH] = "executable_path",
    [COL_ARGS] = "args",
    [COL_OPERATING_SYSTEM] = "operating_system",
    [COL_CPU_ARCHITECTURE] = "cpu_architecture"};

/* Which event kinds each payload column belongs to. */
#define CALL_RETURN                                                            \
  (KIND_BIT(ATF_KIND_FUNCTION_CALL) | KIND_BIT(ATF_KIND_FUNCTION_RETURN))
static unsigned column_kinds(int column) {
  switch (column) {
  case COL_SYMBOL:
  case COL_ADDRESS: return CALL_RETURN;
  case COL_REGISTERS: return CALL_RETURN | KIND_BIT(ATF_KIND_SIGNAL_DELIVERY);
  case COL_STACK: return KIND_BIT(ATF_KIND_FUNCTION_CALL);
  case COL_SIGNAL_NUMBER:
  case COL_SIGNAL_NAME: return KIND_BIT(ATF_KIND_SIGNAL_DELIVERY);
  case COL_EXIT_CODE: return KIND_BIT(ATF_KIND_TRACE_END);
  default: return KIND_BIT(ATF_KIND_TRACE_START);
  }
}

void events_row_start(events_row *row, const atf_record *rec) {
  row->rec = *rec;
  row->have_header = row->have_payload = 0;
}

atf_status events_row_header(events_row *row, atf_error *err) {
  atf_status rc;
  if (row->have_header) return ATF_OK;
  rc = atf_event_decode(&row->rec, &row->ev, err);
  if (rc != ATF_OK) return rc;
  row->have_header = 1;
  row->stats->headers_decoded++;
  return ATF_OK;
}

static atf_status decode_payload(events_row *row, atf_error *err) {
  atf_status rc = events_row_header(row, err);
  if (rc != ATF_OK || row->have_payload) return rc;
  rc = atf_payload_decode(&row->ev, &row->payload, err);
  if (rc != ATF_OK) return rc;
  row->have_payload = 1;
  row->stats->payloads_decoded++;
  return ATF_OK;
}

/* Room for CAP registers in the row's buffers. */
static int reserve_registers(events_row *row, uint32_t cap) {
  atf_register *regs;
  uint32_t *scratch;
  if (cap <= row->regs_cap) return 1;
  regs = sqlite3_realloc64(row->regs, cap * sizeof *regs);
  if (regs) row->regs = regs;
  scratch = sqlite3_realloc64(row->regs_scratch,
                              2 * (sqlite3_uint64)cap * sizeof *scratch);
  if (scratch) row->regs_scratch = scratch;
  if (!regs || !scratch) return 0;
  row->regs_cap = cap;
  return 1;
}

/* Collects the distinct registers of the (decoded) payload into row->regs. */
static atf_status collect_registers(events_row *row, uint32_t *n,
                                    atf_error *err) {
  uint32_t need = row->payload.register_count;
  /* Start with the room already there (at least 64): a record of many
  ** entries with few distinct names must not allocate for all of them. */
  uint32_t cap = row->regs_cap > 64 ? row->regs_cap : 64;
  if (cap > need) cap = need;
  for (;;) {
    atf_status rc;
    if (!reserve_registers(row, cap)) {
      err->code = ATF_ERR_NOMEM;
      err->offset = row->rec.offset;
      snprintf(err->message, sizeof err->message, "out of memory");
      return ATF_ERR_NOMEM;
    }
    rc = atf_registers_collect(&row->ev, row->regs, cap, row->regs_scratch, n,
                               err);
    if (rc != ATF_ERR_RANGE || cap == need) return rc;
    cap = need; /* more distinct names than that: room for all */
  }
}

atf_status events_row_decode_all(events_row *row, atf_error *err) {
  uint32_t n;
  atf_status rc = decode_payload(row, err);
  return rc != ATF_OK ? rc : collect_registers(row, &n, err);
}

/* Reports ERR through CTX as atf_events' error. */
static int fail(sqlite3_context *ctx, const atf_error *err) {
  char *message;
  if (err->code == ATF_ERR_NOMEM) {
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  message = sqlite3_mprintf("atf_events: %s", err->message);
  sqlite3_result_error(ctx, message ? message : err->message, -1);
  sqlite3_free(message);
  return SQLITE_ERROR;
}

/* Whether a value of LEN bytes for COLUMN is over SQLite's length limit; if
** so the error says where, rather than a bare "string or blob too big". */
static int too_big(events_row *row, sqlite3_context *ctx, int column,
                   size_t len) {
  char *message;
  if (len <= (size_t)row->length_limit) return 0;
  message = sqlite3_mprintf(
      "atf_events: %s: record at byte offset %llu: %s of %llu bytes exceeds "
      "SQLite's length limit (SQLITE_LIMIT_LENGTH, %d bytes)",
      row->rec.source, (unsigned long long)row->rec.offset,
      column_names[column], (unsigned long long)len, row->length_limit);
  if (message)
    sqlite3_result_error(ctx, message, -1);
  else
    sqlite3_result_error_nomem(ctx);
  sqlite3_free(message);
  return 1;
}

/* Hands the JSON built in row->json to SQLite: TEXT, or BLOB when a string
** in it was not UTF-8. */
static int result_json(events_row *row, sqlite3_context *ctx, int column) {
  json_buf *b = &row->json;
  if (b->oom) {
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  if (too_big(row, ctx, column, b->len)) return SQLITE_TOOBIG;
  if (b->utf8)
    sqlite3_result_text64(ctx, b->data, b->len, SQLITE_TRANSIENT, SQLITE_UTF8);
  else
    sqlite3_result_blob64(ctx, b->data, b->len, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

/* registers as {"rdi":1,...}: values are the signed 64-bit reading of the
** unsigned register, as everywhere else. */
static int result_registers(events_row *row, sqlite3_context *ctx) {
  uint32_t n, i;
  atf_error err;
  if (collect_registers(row, &n, &err) != ATF_OK) return fail(ctx, &err);
  json_reset(&row->json);
  json_char(&row->json, '{');
  for (i = 0; i < n; i++) {
    if (i) json_char(&row->json, ',');
    json_string(&row->json, row->regs[i].name);
    json_char(&row->json, ':');
    json_int64(&row->json, (int64_t)row->regs[i].value);
  }
  json_char(&row->json, '}');
  return result_json(row, ctx, COL_REGISTERS);
}

static int result_args(events_row *row, sqlite3_context *ctx) {
  atf_payload_iter it;
  atf_bytes arg;
  int first = 1;
  json_reset(&row->json);
  json_char(&row->json, '[');
  atf_payload_iter_init(&row->ev, &it);
  while (atf_args_next(&it, &arg) == ATF_OK) {
    if (!first) json_char(&row->json, ',');
    first = 0;
    json_string(&row->json, arg);
  }
  json_char(&row->json, ']');
  return result_json(row, ctx, COL_ARGS);
}

int events_row_column(events_row *row, sqlite3_context *ctx, int column) {
  const atf_payload *p = &row->payload;
  atf_error err;
  switch (column) {
  case COL_OFFSET:
    sqlite3_result_int64(ctx, (sqlite3_int64)row->rec.offset);
    return SQLITE_OK;
  case COL_SIZE:
    sqlite3_result_int64(ctx, (sqlite3_int64)row->rec.size);
    return SQLITE_OK;
  case COL_FUNCTION_ID:
  case COL_CALL_DEPTH:
  case COL_OS_THREAD_ID: return SQLITE_OK; /* v2's columns */
  }
  if (events_row_header(row, &err) != ATF_OK) return fail(ctx, &err);
  switch (column) {
  case COL_EVENT_ID:
    sqlite3_result_int64(ctx, (sqlite3_int64)row->ev.event_id);
    return SQLITE_OK;
  case COL_THREAD_ID:
    sqlite3_result_int64(ctx, row->ev.thread_id);
    return SQLITE_OK;
  case COL_TS:
    if (row->ev.has_timestamp) sqlite3_result_int64(ctx, row->ev.ts_ns);
    return SQLITE_OK;
  case COL_KIND:
    if (row->ev.kind != ATF_KIND_NONE)
      sqlite3_result_text(ctx, atf_kind_name(row->ev.kind), -1, SQLITE_STATIC);
    return SQLITE_OK;
  }
  /* A payload column: NULL unless it belongs to this event's kind. */
  if (row->ev.kind == ATF_KIND_NONE ||
      !(column_kinds(column) & KIND_BIT(row->ev.kind)))
    return SQLITE_OK;
  if (decode_payload(row, &err) != ATF_OK) return fail(ctx, &err);
  switch (column) {
  case COL_ADDRESS: sqlite3_result_int64(ctx, (sqlite3_int64)p->address); break;
  case COL_REGISTERS: return result_registers(row, ctx);
  case COL_SIGNAL_NUMBER: sqlite3_result_int(ctx, p->signal_number); break;
  case COL_EXIT_CODE: sqlite3_result_int(ctx, p->exit_code); break;
  case COL_ARGS: return result_args(row, ctx);
  default: { /* bytes straight from the record */
    atf_bytes b = column == COL_SYMBOL             ? p->symbol
                  : column == COL_STACK            ? p->stack
                  : column == COL_SIGNAL_NAME      ? p->signal_name
                  : column == COL_EXECUTABLE_PATH  ? p->executable_path
                  : column == COL_OPERATING_SYSTEM ? p->operating_system
                                                   : p->cpu_architecture;
    if (too_big(row, ctx, column, b.len)) return SQLITE_TOOBIG;
    if (column == COL_STACK)
      sqlite3_result_blob64(ctx, b.len ? (const void *)b.ptr : "", b.len,
                            SQLITE_TRANSIENT);
    else
      vtab_result_text(ctx, b);
  }
  }
  return SQLITE_OK;
}

void events_row_free(events_row *row) {
  sqlite3_free(row->regs);
  sqlite3_free(row->regs_scratch);
  json_free(&row->json);
  row->regs = NULL;
  row->regs_scratch = NULL;
  row->regs_cap = 0;
}
