/*
** events_v2.c - see events_v2.h.
*/
#include <string.h>

#include "events_row.h"
#include "events_v2.h"
#include "vtab.h"
SQLITE_EXTENSION_INIT3

int events_v2_start(events_v2 *s, atf_v2_trace *t, events_v2_order order,
                    const sqlite3_int64 *targets, sqlite3_int64 n_targets) {
  atf_error err;
  s->trace = t;
  s->order = order;
  s->thread = 0;
  s->seq = 0;
  s->targets = targets;
  s->n_targets = n_targets;
  s->next_target = 0;
  s->records = 0;
  memset(&s->index_window, 0, sizeof s->index_window);
  if (s->n_detail_windows < t->thread_count) {
    atf_scan_window *w = sqlite3_realloc64(
        s->detail_windows, (t->thread_count ? t->thread_count : 1) * sizeof *w);
    if (!w) return SQLITE_NOMEM;
    s->detail_windows = w;
    s->n_detail_windows = t->thread_count;
  }
  if (s->detail_windows)
    memset(s->detail_windows, 0,
           s->n_detail_windows * sizeof *s->detail_windows);
  if (order == EVENTS_V2_MERGE) {
    if (atf_v2_merge_init(&s->merge, t, NULL, 0, &err) != ATF_OK)
      return SQLITE_NOMEM;
    s->merging = 1;
  }
  return SQLITE_OK;
}

int events_v2_next(events_v2 *s) {
  s->have_detail = 0;
  switch (s->order) {
  case EVENTS_V2_MERGE:
    if (atf_v2_merge_next(&s->merge, &s->ev) != ATF_OK) return 0;
    break;
  case EVENTS_V2_ROWID:
    for (;;) {
      const atf_v2_thread *t;
      if (s->thread >= s->trace->thread_count) return 0;
      t = &s->trace->threads[s->thread];
      if (atf_v2_event_read(t, s->seq, &s->ev, NULL) == ATF_OK) {
        s->seq++;
        atf_map_scan_window(&t->index_map, s->ev.offset + 32, &s->index_window);
        break;
      }
      s->thread++;
      s->seq = 0;
      memset(&s->index_window, 0, sizeof s->index_window);
    }
    break;
  case EVENTS_V2_TARGETS:
    for (;;) {
      sqlite3_int64 rowid;
      if (s->next_target >= s->n_targets) return 0;
      rowid = s->targets[s->next_target++];
      /* Any other number names no row. */
      if (rowid >= 0 && atf_v2_event_by_rowid(s->trace, (uint64_t)rowid, &s->ev,
                                              NULL) == ATF_OK)
        break;
    }
    break;
  }
  s->records++;
  return 1;
}

/* The detail record of the current event, once: s->have_detail is then 1
** and s->link says whether it is there (ATF_V2_LINK_OK). */
static int load_detail(events_v2 *s) {
  atf_error err;
  if (s->have_detail) return SQLITE_OK;
  if (atf_v2_detail_of(s->trace, &s->ev, &s->detail, &s->link, &err) != ATF_OK)
    return SQLITE_NOMEM;
  s->have_detail = 1;
  if (s->link == ATF_V2_LINK_OK && s->order != EVENTS_V2_TARGETS) {
    atf_v2_thread *t = atf_v2_thread_of_slot(s->trace, s->ev.slot);
    size_t i = t ? (size_t)(t - s->trace->threads) : s->n_detail_windows;
    if (i < s->n_detail_windows)
      atf_map_scan_window(&t->detail_map, s->detail.offset,
                          &s->detail_windows[i]);
  }
  return SQLITE_OK;
}

/* registers as {"rdi":1,...}, the signed reading of each value. */
static int result_registers(events_v2 *s, sqlite3_context *ctx) {
  atf_v2_register regs[ATF_V2_MAX_REGISTERS];
  size_t n = atf_v2_registers(s->trace->arch, &s->detail, regs);
  json_buf *b = &s->json;
  json_reset(b);
  json_char(b, '{');
  for (size_t i = 0; i < n; i++) {
    atf_bytes name = {(const uint8_t *)regs[i].name, strlen(regs[i].name)};
    if (i) json_char(b, ',');
    json_string(b, name);
    json_char(b, ':');
    json_int64(b, (int64_t)regs[i].value);
  }
  json_char(b, '}');
  if (b->oom) {
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  sqlite3_result_text64(ctx, b->data, b->len, SQLITE_TRANSIENT, SQLITE_UTF8);
  return SQLITE_OK;
}

int events_v2_column(events_v2 *s, sqlite3_context *ctx, int column) {
  const atf_v2_event *ev = &s->ev;
  int rc;
  switch (column) {
  case COL_OFFSET: sqlite3_result_int64(ctx, (sqlite3_int64)ev->rowid); break;
  case COL_SIZE: sqlite3_result_int64(ctx, ATF_V2_INDEX_RECORD_BYTES); break;
  case COL_THREAD_ID: sqlite3_result_int64(ctx, ev->thread_id); break;
  case COL_TS: sqlite3_result_int64(ctx, (sqlite3_int64)ev->ts_ns); break;
  case COL_KIND: {
    const char *name = atf_v2_kind_name(ev->kind);
    if (name) sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
    break;
  }
  case COL_SYMBOL: {
    const char *name = atf_v2_symbol_name(&s->trace->manifest, ev->function_id);
    if (name) {
      atf_bytes b = {(const uint8_t *)name, strlen(name)};
      vtab_result_text(ctx, b);
    }
    break;
  }
  case COL_FUNCTION_ID:
    sqlite3_result_int64(ctx, (sqlite3_int64)ev->function_id);
    break;
  case COL_CALL_DEPTH: sqlite3_result_int64(ctx, ev->call_depth); break;
  case COL_REGISTERS:
  case COL_STACK:
  case COL_OS_THREAD_ID:
    if ((rc = load_detail(s)) != SQLITE_OK) return rc;
    if (s->link != ATF_V2_LINK_OK || !s->detail.has_payload) break;
    if (column == COL_REGISTERS) return result_registers(s, ctx);
    if (column == COL_OS_THREAD_ID)
      sqlite3_result_int64(ctx, s->detail.os_thread_id);
    else if (ev->kind == ATF_V2_CALL && !s->detail.stack_damaged)
      sqlite3_result_blob64(
          ctx, s->detail.stack.len ? (const void *)s->detail.stack.ptr : "",
          s->detail.stack.len, SQLITE_TRANSIENT);
    break;
  default: break; /* a column v2 does not have: NULL */
  }
  return SQLITE_OK;
}

int events_v2_registers(events_v2 *s, atf_v2_trace *t, uint64_t rowid,
                        sqlite3_context *ctx) {
  s->trace = t;
  s->have_detail = 0;
  if (atf_v2_event_by_rowid(t, rowid, &s->ev, NULL) != ATF_OK) return SQLITE_OK;
  return events_v2_column(s, ctx, COL_REGISTERS);
}

void events_v2_end(events_v2 *s, int closing) {
  if (s->merging) atf_v2_merge_free(&s->merge);
  s->merging = 0;
  s->trace = NULL;
  if (closing) {
    json_free(&s->json);
    sqlite3_free(s->detail_windows);
    s->detail_windows = NULL;
    s->n_detail_windows = 0;
  }
}
