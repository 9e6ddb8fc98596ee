/*
** events_row.c - the current event of an atf_events cursor as column values
** (xColumn): header fields, payload fields of the event's own kind (NULL for
** other kinds), registers and args rendered as JSON. The payload is decoded
** on the first payload column a row is asked for, and not at all otherwise.
*/
#include <stdio.h>
#include <string.h>

#include "events_vtab.h"
#include "vtab_util.h"
SQLITE_EXTENSION_INIT3

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

static int decode_payload(events_cursor *c) {
  atf_error err;
  int rc = events_decode_header(c);
  if (rc != SQLITE_OK || c->have_payload) return rc;
  if (atf_payload_decode(&c->ev, &c->payload, &err) != ATF_OK)
    return events_reader_error(c, &err);
  c->have_payload = 1;
  c->payloads++;
  return SQLITE_OK;
}

/* Hands a finished JSON string to SQLite: TEXT, or BLOB if not UTF-8. */
static const char *const column_names[] = {
    [COL_SYMBOL] = "symbol",
    [COL_REGISTERS] = "registers",
    [COL_STACK] = "stack",
    [COL_SIGNAL_NAME] = "signal_name",
    [COL_EXECUTABLE_PATH] = "executable_path",
    [COL_ARGS] = "args",
    [COL_OPERATING_SYSTEM] = "operating_system",
    [COL_CPU_ARCHITECTURE] = "cpu_architecture"};

/* Whether a value of LEN bytes for COLUMN is over SQLite's length limit;
** if so the error says where, rather than a bare "string or blob too big". */
static int too_big(events_cursor *c, int column, size_t len) {
  int limit = c->length_limit;
  if (len <= (size_t)limit) return 0;
  sqlite3_free(c->base.pVtab->zErrMsg);
  c->base.pVtab->zErrMsg = sqlite3_mprintf(
      "atf_events: %s: record at byte offset %llu: %s of %llu bytes exceeds "
      "SQLite's length limit (SQLITE_LIMIT_LENGTH, %d bytes)",
      c->entry->map.path, (unsigned long long)c->rec.offset,
      column_names[column], (unsigned long long)len, limit);
  return 1;
}

/* Hands the JSON built in c->json to SQLite: TEXT, or BLOB when a string
** in it was not UTF-8. */
static int result_json(events_cursor *c, sqlite3_context *ctx, int column) {
  json_buf *b = &c->json;
  if (b->oom) {
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  if (too_big(c, column, b->len)) return SQLITE_TOOBIG;
  if (b->utf8)
    sqlite3_result_text64(ctx, b->data, b->len, SQLITE_TRANSIENT, SQLITE_UTF8);
  else
    sqlite3_result_blob64(ctx, b->data, b->len, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

/* Room for CAP registers in the cursor's buffers. */
static int reserve_registers(events_cursor *c, uint32_t cap) {
  atf_register *regs;
  uint32_t *scratch;
  if (cap <= c->regs_cap) return 1;
  regs = sqlite3_realloc64(c->regs, cap * sizeof *regs);
  if (regs) c->regs = regs;
  scratch = sqlite3_realloc64(c->regs_scratch,
                              2 * (sqlite3_uint64)cap * sizeof *scratch);
  if (scratch) c->regs_scratch = scratch;
  if (!regs || !scratch) return 0;
  c->regs_cap = cap;
  return 1;
}

atf_status events_collect_registers(events_cursor *c, uint32_t *n,
                                    atf_error *err) {
  uint32_t need = c->payload.register_count;
  /* Start with the room already there (at least 64): a record of many
  ** entries with few distinct names must not allocate for all of them. */
  uint32_t cap = c->regs_cap > 64 ? c->regs_cap : 64;
  if (cap > need) cap = need;
  for (;;) {
    atf_status rc;
    if (!reserve_registers(c, cap)) {
      err->code = ATF_ERR_NOMEM;
      err->offset = c->rec.offset;
      snprintf(err->message, sizeof err->message, "out of memory");
      return ATF_ERR_NOMEM;
    }
    rc = atf_registers_collect(&c->ev, c->regs, cap, c->regs_scratch, n, err);
    if (rc != ATF_ERR_RANGE || cap == need) return rc;
    cap = need; /* more distinct names than that: room for all */
  }
}

/* registers as {"rdi":1,...}: values are the signed 64-bit reading of the
** unsigned register, as everywhere else. */
static int result_registers(events_cursor *c, sqlite3_context *ctx) {
  uint32_t n, i;
  atf_error err;
  if (events_collect_registers(c, &n, &err) != ATF_OK)
    return events_reader_error(c, &err);
  json_reset(&c->json);
  json_char(&c->json, '{');
  for (i = 0; i < n; i++) {
    if (i) json_char(&c->json, ',');
    json_string(&c->json, c->regs[i].name);
    json_char(&c->json, ':');
    json_int64(&c->json, (int64_t)c->regs[i].value);
  }
  json_char(&c->json, '}');
  return result_json(c, ctx, COL_REGISTERS);
}

static int result_args(events_cursor *c, sqlite3_context *ctx) {
  atf_payload_iter it;
  atf_bytes arg;
  int first = 1;
  json_reset(&c->json);
  json_char(&c->json, '[');
  atf_payload_iter_init(&c->ev, &it);
  while (atf_args_next(&it, &arg) == ATF_OK) {
    if (!first) json_char(&c->json, ',');
    first = 0;
    json_string(&c->json, arg);
  }
  json_char(&c->json, ']');
  return result_json(c, ctx, COL_ARGS);
}

static void result_blob(sqlite3_context *ctx, atf_bytes b) {
  sqlite3_result_blob64(ctx, b.len ? (const void *)b.ptr : "", b.len,
                        SQLITE_TRANSIENT);
}

int events_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int column) {
  events_cursor *c = (events_cursor *)base;
  const atf_payload *p = &c->payload;
  int rc;
  switch (column) {
  case COL_OFFSET:
    sqlite3_result_int64(ctx, (sqlite3_int64)c->rec.offset);
    return SQLITE_OK;
  case COL_SIZE:
    sqlite3_result_int64(ctx, (sqlite3_int64)c->rec.size);
    return SQLITE_OK;
  case COL_TRACE:
    sqlite3_result_text(ctx, c->trace, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  case COL_OPTIONS:
    if (c->options) sqlite3_result_text(ctx, c->options, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  rc = events_decode_header(c);
  if (rc != SQLITE_OK) goto fail;
  switch (column) {
  case COL_EVENT_ID:
    sqlite3_result_int64(ctx, (sqlite3_int64)c->ev.event_id);
    return SQLITE_OK;
  case COL_THREAD_ID:
    sqlite3_result_int64(ctx, c->ev.thread_id);
    return SQLITE_OK;
  case COL_TS:
    if (c->ev.has_timestamp) sqlite3_result_int64(ctx, c->ev.ts_ns);
    return SQLITE_OK;
  case COL_KIND:
    if (c->ev.kind != ATF_KIND_NONE)
      sqlite3_result_text(ctx, atf_kind_name(c->ev.kind), -1, SQLITE_STATIC);
    return SQLITE_OK;
  }
  /* A payload column: NULL unless it belongs to this event's kind. */
  if (c->ev.kind == ATF_KIND_NONE ||
      !(column_kinds(column) & KIND_BIT(c->ev.kind)))
    return SQLITE_OK;
  rc = decode_payload(c);
  if (rc != SQLITE_OK) goto fail;
  switch (column) {
  case COL_ADDRESS: sqlite3_result_int64(ctx, (sqlite3_int64)p->address); break;
  case COL_REGISTERS: rc = result_registers(c, ctx); break;
  case COL_SIGNAL_NUMBER: sqlite3_result_int(ctx, p->signal_number); break;
  case COL_EXIT_CODE: sqlite3_result_int(ctx, p->exit_code); break;
  case COL_ARGS: rc = result_args(c, ctx); break;
  default: { /* bytes straight from the record */
    atf_bytes b = column == COL_SYMBOL             ? p->symbol
                  : column == COL_STACK            ? p->stack
                  : column == COL_SIGNAL_NAME      ? p->signal_name
                  : column == COL_EXECUTABLE_PATH  ? p->executable_path
                  : column == COL_OPERATING_SYSTEM ? p->operating_system
                                                   : p->cpu_architecture;
    if (too_big(c, column, b.len))
      rc = SQLITE_TOOBIG;
    else if (column == COL_STACK)
      result_blob(ctx, b);
    else
      vtab_result_text(ctx, b);
  }
  }
  if (rc == SQLITE_OK || rc == SQLITE_NOMEM) return rc;
fail:
  /* The message is in zErrMsg; xColumn reports it through the context. */
  sqlite3_result_error(ctx,
                       c->base.pVtab->zErrMsg ? c->base.pVtab->zErrMsg
                                              : "atf_events: error",
                       -1);
  return rc;
}
