/*
** events_row.c - the current event of an atf_events cursor as column values
** (xColumn): header fields, payload fields of the event's own kind (NULL for
** other kinds), registers and args rendered as JSON. The payload is decoded
** on the first payload column a row is asked for, and not at all otherwise.
*/
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
/* Hands the JSON built in c->json to SQLite: TEXT, or BLOB when a string
** in it was not UTF-8. */
static int result_json(events_cursor *c, sqlite3_context *ctx) {
  json_buf *b = &c->json;
  if (b->oom) {
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  if (b->utf8)
    sqlite3_result_text64(ctx, b->data, b->len, SQLITE_TRANSIENT, SQLITE_UTF8);
  else
    sqlite3_result_blob64(ctx, b->data, b->len, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

/* registers as {"rdi":1,...}: values are the signed 64-bit reading of the
** unsigned register, as everywhere else. */
static int result_registers(events_cursor *c, sqlite3_context *ctx) {
  uint32_t need = c->payload.register_count, n, i;
  atf_error err;
  if (need > c->regs_cap) {
    atf_register *regs = sqlite3_realloc64(c->regs, need * sizeof *regs);
    uint32_t *scratch =
        regs ? sqlite3_realloc64(c->regs_scratch,
                                 2 * (sqlite3_uint64)need * sizeof *scratch)
             : NULL;
    if (regs) c->regs = regs;
    if (scratch) c->regs_scratch = scratch;
    if (!regs || !scratch) {
      sqlite3_result_error_nomem(ctx);
      return SQLITE_NOMEM;
    }
    c->regs_cap = need;
  }
  if (atf_registers_collect(&c->ev, c->regs, need, c->regs_scratch, &n, &err) !=
      ATF_OK)
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
  return result_json(c, ctx);
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
  return result_json(c, ctx);
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
  case COL_SYMBOL: vtab_result_text(ctx, p->symbol); break;
  case COL_ADDRESS: sqlite3_result_int64(ctx, (sqlite3_int64)p->address); break;
  case COL_REGISTERS: rc = result_registers(c, ctx); break;
  case COL_STACK: result_blob(ctx, p->stack); break;
  case COL_SIGNAL_NUMBER: sqlite3_result_int(ctx, p->signal_number); break;
  case COL_SIGNAL_NAME: vtab_result_text(ctx, p->signal_name); break;
  case COL_EXIT_CODE: sqlite3_result_int(ctx, p->exit_code); break;
  case COL_EXECUTABLE_PATH: vtab_result_text(ctx, p->executable_path); break;
  case COL_ARGS: rc = result_args(c, ctx); break;
  case COL_OPERATING_SYSTEM: vtab_result_text(ctx, p->operating_system); break;
  case COL_CPU_ARCHITECTURE: vtab_result_text(ctx, p->cpu_architecture); break;
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
