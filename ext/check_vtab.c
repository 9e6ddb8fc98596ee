/*
** check_vtab.c - atf_check: is this trace whole? One query reads all of it
** and returns one row per finding, then a summary row.
**
** Usage:
**
**   SELECT * FROM atf_check('traces/s1/pid_4242');
**   SELECT count(*) FROM atf_check('t') WHERE severity = 'error';
**   SELECT message ->> '$.events' FROM atf_check('t') WHERE code = 'summary';
**
** Columns:
**
**   severity  TEXT     'error' (records or the manifest cannot be read),
**                      'warning' (the trace reads, something is off), 'info'
**   code      TEXT     torn_tail, corrupt_record, bad_length_prefix,
**                      invalid_utf8, orphan_return, not_finalized,
*bad_manifest,
**                      event_count_mismatch, bytes_written_mismatch,
**                      manifest_control_character, manifest_invalid_utf8,
**                      more (findings past the first MAX_PER_CODE of a code,
**                      counted), and summary (always the last row)
**   offset    INTEGER  byte offset in events.bin of the record concerned;
**                      for manifest_* codes, the byte offset in trace.json;
**                      NULL for the other manifest findings and the summary
**   message   TEXT     what is wrong, naming the file and the offset; for
**                      the summary a JSON object: events, bytes, corrupt,
**                      torn_bytes, unread_bytes, first_ts, last_ts, min_ts,
**                      max_ts
**   trace     HIDDEN   the trace argument
*/
#include <string.h>

#include "check_vtab.h"
#include "stats.h"
#include "vtab.h"
SQLITE_EXTENSION_INIT3

enum { COL_SEVERITY, COL_CODE, COL_OFFSET, COL_MESSAGE, COL_TRACE };

static const char SCHEMA[] = "CREATE TABLE x(severity TEXT, code TEXT, "
                             "offset INTEGER, message TEXT, trace HIDDEN)";

/* Rows kept per code; beyond, findings are counted in one 'more' row, so a
** trace with a million bad records does not make a million rows. */
#define MAX_PER_CODE 1000
/* Distinct codes counted (v4 has 12, v2 about 25). */
#define N_CODES 48

typedef struct check_row {
  const char *severity, *code;
  sqlite3_int64 offset; /* -1: NULL */
  char *message;
} check_row;

typedef struct check_cursor {
  vtab_cursor base;
  check_row *rows;
  sqlite3_int64 n_rows, cap, row;
  struct {
    const char *code;
    sqlite3_uint64 seen;
  } codes[N_CODES]; /* findings per code, for MAX_PER_CODE */
  int oom;
} check_cursor;

static void clear_rows(vtab_cursor *base, int closing) {
  check_cursor *c = (check_cursor *)base;
  (void)closing;
  for (sqlite3_int64 i = 0; i < c->n_rows; i++)
    sqlite3_free(c->rows[i].message);
  sqlite3_free(c->rows);
  c->rows = NULL;
  c->n_rows = c->cap = c->row = 0;
  memset(c->codes, 0, sizeof c->codes);
  c->oom = 0;
}

static void add_row(check_cursor *c, const char *severity, const char *code,
                    sqlite3_int64 offset, char *message) {
  if (!message || c->oom) goto nomem;
  if (c->n_rows == c->cap) {
    sqlite3_int64 cap = c->cap ? 2 * c->cap : 16;
    check_row *grown = sqlite3_realloc64(c->rows, cap * sizeof *grown);
    if (!grown) goto nomem;
    c->rows = grown;
    c->cap = cap;
  }
  c->rows[c->n_rows++] = (check_row){severity, code, offset, message};
  return;
nomem:
  sqlite3_free(message);
  c->oom = 1;
}

/* The number of findings of CODE so far, this one included. */
static sqlite3_uint64 count_code(check_cursor *c, const char *code) {
  size_t i;
  for (i = 0; i < N_CODES && c->codes[i].code; i++)
    if (strcmp(c->codes[i].code, code) == 0) return ++c->codes[i].seen;
  if (i == N_CODES) return 1; /* more codes than room: keep every row */
  c->codes[i].code = code;
  return c->codes[i].seen = 1;
}

static int on_finding(void *user, const atf_finding *f) {
  check_cursor *c = user;
  if (count_code(c, f->code) <= MAX_PER_CODE)
    add_row(c, atf_severity_name(f->severity), f->code,
            f->offset == ATF_NO_OFFSET ? -1 : (sqlite3_int64)f->offset,
            sqlite3_mprintf("%s", f->message));
  return c->oom;
}

/* xBestIndex: the trace argument (vtab.h) and nothing else. */
static int check_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  int idx, n_argv, has_trace;
  int rc = vtab_plan_args(vtab, info, &idx, &n_argv, &has_trace);
  info->idxNum = idx;
  info->estimatedRows = 10;
  info->estimatedCost = has_trace ? 1e6 : 1e12;
  return rc;
}

/* Closes the summary row's JSON object (the last row), with the
** timestamps when there are any. */
static void end_summary(check_cursor *c, int has_ts, sqlite3_int64 first_ts,
                        sqlite3_int64 last_ts, sqlite3_int64 min_ts,
                        sqlite3_int64 max_ts) {
  char *closed;
  if (c->oom) return;
  closed = has_ts ? sqlite3_mprintf("%s,\"first_ts\":%lld,\"last_ts\":%lld,"
                                    "\"min_ts\":%lld,\"max_ts\":%lld}",
                                    c->rows[c->n_rows - 1].message, first_ts,
                                    last_ts, min_ts, max_ts)
                  : sqlite3_mprintf("%s}", c->rows[c->n_rows - 1].message);
  sqlite3_free(c->rows[c->n_rows - 1].message);
  c->rows[c->n_rows - 1].message = closed;
  if (!closed) c->oom = 1;
}

/* The 'more' rows, for codes past MAX_PER_CODE. */
static void add_more_rows(check_cursor *c) {
  for (size_t i = 0; i < N_CODES && c->codes[i].code; i++)
    if (c->codes[i].seen > MAX_PER_CODE)
      add_row(c, "info", "more", -1,
              sqlite3_mprintf("%llu more %s findings beyond the first %d",
                              c->codes[i].seen - MAX_PER_CODE, c->codes[i].code,
                              MAX_PER_CODE));
}

static int check_v4(check_cursor *c, const char *trace,
                    const atf_interrupt *stop) {
  atf_check_summary s;
  atf_error err;
  atf_status rc = atf_check_trace(trace, on_finding, c, stop, &s, &err);
  /* What was read counts, finished or not. */
  atf_stats read = {.records_framed = s.events,
                    .headers_decoded = s.events,
                    .payloads_decoded = s.events};
  stats_flush(&read);
  if (rc != ATF_OK) return vtab_reader_error(c->base.base.pVtab, &err);
  add_more_rows(c);
  add_row(c, "info", "summary", -1,
          sqlite3_mprintf("{\"events\":%llu,\"bytes\":%llu,\"corrupt\":%llu,"
                          "\"torn_bytes\":%llu,\"unread_bytes\":%llu",
                          s.events, s.bytes, s.corrupt, s.torn_bytes,
                          s.unread_bytes));
  end_summary(c, s.has_ts, s.first_ts, s.last_ts, s.min_ts, s.max_ts);
  return SQLITE_OK;
}

static int check_v2(check_cursor *c, const char *dir,
                    const atf_interrupt *stop) {
  atf_v2_check_summary s;
  atf_error err;
  atf_status rc = atf_v2_check_trace(dir, on_finding, c, stop, &s, &err);
  atf_stats read = {.records_framed = s.events, .headers_decoded = s.events};
  stats_flush(&read);
  if (rc != ATF_OK) return vtab_reader_error(c->base.base.pVtab, &err);
  add_more_rows(c);
  add_row(c, "info", "summary", -1,
          sqlite3_mprintf(
              "{\"events\":%llu,\"bytes\":%llu,\"corrupt\":0,"
              "\"torn_bytes\":%llu,\"unread_bytes\":0,\"threads\":%llu,"
              "\"details\":%llu,\"dangling\":%llu,\"twins\":%llu,"
              "\"backwards\":%llu,\"unreadable\":%llu,\"orphans\":%llu",
              s.events, s.bytes, s.torn_bytes, s.threads, s.details, s.dangling,
              s.twins, s.backwards, s.unreadable, s.orphans));
  end_summary(c, s.has_ts, (sqlite3_int64)s.first_ts, (sqlite3_int64)s.last_ts,
              (sqlite3_int64)s.min_ts, (sqlite3_int64)s.max_ts);
  return SQLITE_OK;
}

/* xFilter: argv holds the trace argument (vtab_filter_args). The whole
** trace is read here; the rows are the findings it left. A v2 trace (told
** by atf_format_detect) is checked by atf_v2_check_trace; a session folder
** is the trace cache's error, which names atf_traces. */
static int check_filter(sqlite3_vtab_cursor *base, int idx_num,
                        const char *idx_str, int argc, sqlite3_value **argv) {
  check_cursor *c = (check_cursor *)base;
  atf_format_info info;
  atf_error err;
  const char *trace;
  int n, match, rc, detected;
  (void)idx_str;
  (void)argc;
  clear_rows(&c->base, 0);
  rc = vtab_filter_args(&c->base, idx_num, argv, &n, &match);
  if (rc != SQLITE_OK || !match) return rc;
  if (!(trace = vtab_trace(&c->base))) return SQLITE_ERROR;
  atf_interrupt stop = vtab_interrupt(&c->base);
  detected = atf_format_detect(trace, &info, &err) == ATF_OK;
  if (!detected && info.trace_files == (ATF_FILES_V4 | ATF_FILES_V2)) {
    rc = vtab_reader_error(base->pVtab, &err); /* both formats at once */
  } else if (detected ? info.format == ATF_FORMAT_V2
                      : info.trace_files == ATF_FILES_V2) {
    /* a damaged v2 trace (a wrong magic) is checked as v2, which says so */
    rc = check_v2(c, info.dir ? info.dir : trace, &stop);
  } else if (!detected || info.format == ATF_FORMAT_V4) {
    rc = check_v4(c, trace, &stop);
  } else {
    trace_entry *entry;
    if (trace_cache_acquire(vtab_cache(&c->base), trace, &entry, &err) ==
        ATF_OK) { /* not expected: the cache told the same */
      trace_cache_release(vtab_cache(&c->base), entry);
      rc = vtab_error(base->pVtab, SQLITE_ERROR, "%s: not a trace", trace);
    } else {
      rc = vtab_reader_error(base->pVtab, &err);
    }
  }
  atf_format_info_free(&info);
  if (rc != SQLITE_OK) return rc;
  c->base.eof = c->n_rows == 0;
  return c->oom ? SQLITE_NOMEM : SQLITE_OK;
}

static int check_next(sqlite3_vtab_cursor *base) {
  check_cursor *c = (check_cursor *)base;
  c->base.eof = ++c->row >= c->n_rows;
  return SQLITE_OK;
}

static int check_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
  *rowid = ((check_cursor *)base)->row + 1;
  return SQLITE_OK;
}

static int check_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
                        int column) {
  check_cursor *c = (check_cursor *)base;
  const check_row *r = &c->rows[c->row];
  switch (column) {
  case COL_SEVERITY:
    sqlite3_result_text(ctx, r->severity, -1, SQLITE_STATIC);
    break;
  case COL_CODE: sqlite3_result_text(ctx, r->code, -1, SQLITE_STATIC); break;
  case COL_OFFSET:
    if (r->offset >= 0) sqlite3_result_int64(ctx, r->offset);
    break;
  case COL_MESSAGE: {
    /* Messages quote file paths, which need not be UTF-8. */
    atf_bytes b = {(const uint8_t *)r->message, strlen(r->message)};
    vtab_result_text(ctx, b);
    break;
  }
  case COL_TRACE: vtab_result_arg(&c->base, ctx, 0); break;
  }
  return SQLITE_OK;
}

static const vtab_table check_table = {
    .name = "atf_check",
    .schema = SCHEMA,
    .first_arg = COL_TRACE,
    .n_args = 1,
    .cursor_size = sizeof(check_cursor),
    .reset = clear_rows,
};

static const sqlite3_module check_module = VTAB_MODULE(
    check_best_index, check_filter, check_next, check_column, check_rowid);

int check_vtab_register(sqlite3 *db, atf_conn *conn) {
  return vtab_register(db, conn, &check_table, &check_module);
}
