/*
** sql_result.c - see sql_result.h.
*/
#include "sql_result.h"

#include <stdlib.h>
#include <string.h>

static void *must(void *p) {
  if (!p) {
    fprintf(stderr, "sql_result: out of memory\n");
    exit(2);
  }
  return p;
}

/* ---- values ------------------------------------------------------------ */

sqlval sqlval_int(int64_t i) {
  sqlval v = {SQLITE_INTEGER, i, 0, NULL, 0};
  return v;
}

sqlval sqlval_real(double r) {
  sqlval v = {SQLITE_FLOAT, 0, r, NULL, 0};
  return v;
}

sqlval sqlval_null(void) {
  sqlval v = {SQLITE_NULL, 0, 0, NULL, 0};
  return v;
}

sqlval sqlval_bytes(int type, const void *p, size_t len) {
  sqlval v = {type, 0, 0, must(malloc(len + 1)), len};
  if (len) memcpy(v.bytes, p, len);
  v.bytes[len] = 0;
  return v;
}

sqlval sqlval_copy(const sqlval *v) {
  if (v->type == SQLITE_TEXT || v->type == SQLITE_BLOB)
    return sqlval_bytes(v->type, v->bytes, v->len);
  return *v;
}

sqlval sqlval_from_column(sqlite3_stmt *st, int col) {
  switch (sqlite3_column_type(st, col)) {
  case SQLITE_INTEGER: return sqlval_int(sqlite3_column_int64(st, col));
  case SQLITE_FLOAT: return sqlval_real(sqlite3_column_double(st, col));
  case SQLITE_TEXT: {
    const unsigned char *t = sqlite3_column_text(st, col);
    return sqlval_bytes(SQLITE_TEXT, t, (size_t)sqlite3_column_bytes(st, col));
  }
  case SQLITE_BLOB: {
    const void *b = sqlite3_column_blob(st, col);
    return sqlval_bytes(SQLITE_BLOB, b, (size_t)sqlite3_column_bytes(st, col));
  }
  default: return sqlval_null();
  }
}

void sqlval_free(sqlval *v) {
  free(v->bytes);
  v->bytes = NULL;
}

/* Whether the LEN bytes at P are well-formed UTF-8 without NUL, so that a
** quoted literal holds them as they are. */
static int plain_utf8(const unsigned char *p, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned c = p[i];
    size_t n;
    if (c == 0) return 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf)
      n = 1;
    else if (c >= 0xe0 && c <= 0xef)
      n = 2;
    else if (c >= 0xf0 && c <= 0xf4)
      n = 3;
    else
      return 0;
    if (n > len - i - 1) return 0;
    for (size_t k = 1; k <= n; k++)
      if ((p[i + k] & 0xc0) != 0x80) return 0;
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0) ||
        (c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90))
      return 0;
    i += n + 1;
  }
  return 1;
}

static void append_hex(sqlite3_str *s, const unsigned char *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    sqlite3_str_appendf(s, "%02x", p[i]);
}

/* TEXT: a quoted literal; with NUL bytes, quoted pieces joined by char(0);
** bytes that are not UTF-8, a cast blob. */
static void append_text_literal(sqlite3_str *s, const unsigned char *p,
                                size_t len) {
  int pieces_ok = 1;
  for (size_t i = 0, j; i <= len && pieces_ok; i = j + 1) {
    for (j = i; j < len && p[j]; j++)
      ;
    pieces_ok = plain_utf8(p + i, j - i);
  }
  if (!pieces_ok) {
    sqlite3_str_appendall(s, "CAST(x'");
    append_hex(s, p, len);
    sqlite3_str_appendall(s, "' AS TEXT)");
    return;
  }
  if (memchr(p, 0, len)) sqlite3_str_appendchar(s, 1, '(');
  for (size_t i = 0, j; i <= len; i = j + 1) {
    char *piece;
    for (j = i; j < len && p[j]; j++)
      ;
    piece = must(malloc(j - i + 1));
    memcpy(piece, p + i, j - i);
    piece[j - i] = 0;
    if (i) sqlite3_str_appendall(s, " || char(0) || ");
    sqlite3_str_appendf(s, "%Q", piece);
    free(piece);
  }
  if (memchr(p, 0, len)) sqlite3_str_appendchar(s, 1, ')');
}

char *sqlval_literal(const sqlval *v) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  switch (v->type) {
  case SQLITE_INTEGER: sqlite3_str_appendf(s, "%lld", (long long)v->i); break;
  case SQLITE_FLOAT: {
    char num[64];
    snprintf(num, sizeof num, "%.17g", v->r);
    if (!strpbrk(num, ".eni")) strcat(num, ".0");
    sqlite3_str_appendall(s, num);
    break;
  }
  case SQLITE_TEXT: append_text_literal(s, v->bytes, v->len); break;
  case SQLITE_BLOB:
    sqlite3_str_appendall(s, "x'");
    append_hex(s, v->bytes, v->len);
    sqlite3_str_appendall(s, "'");
    break;
  default: sqlite3_str_appendall(s, "NULL");
  }
  return must(sqlite3_str_finish(s));
}

void sqlval_bind(sqlite3_stmt *st, int n, const sqlval *v) {
  if (n > sqlite3_bind_parameter_count(st)) return;
  switch (v->type) {
  case SQLITE_INTEGER: sqlite3_bind_int64(st, n, v->i); break;
  case SQLITE_FLOAT: sqlite3_bind_double(st, n, v->r); break;
  case SQLITE_TEXT:
    sqlite3_bind_text64(st, n, (const char *)v->bytes, v->len, SQLITE_TRANSIENT,
                        SQLITE_UTF8);
    break;
  case SQLITE_BLOB:
    sqlite3_bind_blob64(st, n, v->bytes, v->len, SQLITE_TRANSIENT);
    break;
  default: sqlite3_bind_null(st, n);
  }
}

/* ---- answers ----------------------------------------------------------- */

/* Appends column COL of the current row of ST, typed, to S. */
static void append_value(sqlite3_str *s, sqlite3_stmt *st, int col) {
  switch (sqlite3_column_type(st, col)) {
  case SQLITE_INTEGER:
    sqlite3_str_appendf(s, "%lld", (long long)sqlite3_column_int64(st, col));
    break;
  case SQLITE_FLOAT: {
    char num[64];
    snprintf(num, sizeof num, "%.17g", sqlite3_column_double(st, col));
    sqlite3_str_appendf(s, "REAL(%s)", num);
    break;
  }
  case SQLITE_TEXT: {
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    sqlite3_str_appendchar(s, 1, '\'');
    for (int i = 0; i < n; i++) {
      if (t[i] == '\'')
        sqlite3_str_appendall(s, "''");
      else if (t[i] == '\\' || t[i] < 0x20 || t[i] >= 0x7f)
        sqlite3_str_appendf(s, "\\x%02x", t[i]);
      else
        sqlite3_str_appendchar(s, 1, (char)t[i]);
    }
    sqlite3_str_appendchar(s, 1, '\'');
    break;
  }
  case SQLITE_BLOB: {
    const unsigned char *b = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    sqlite3_str_appendall(s, "x'");
    append_hex(s, b, (size_t)n);
    sqlite3_str_appendchar(s, 1, '\'');
    break;
  }
  default: sqlite3_str_appendall(s, "NULL");
  }
}

static void set_error(result *out, sqlite3 *db, int rc) {
  out->ok = 0;
  out->interrupted = rc == SQLITE_INTERRUPT;
  out->error = must(sqlite3_mprintf("%s", sqlite3_errmsg(db)));
}

void result_run(sqlite3 *db, const char *sql, const char *trace,
                const sqlval *params, int n_params, result *out) {
  sqlite3_stmt *st = NULL;
  int rc;
  memset(out, 0, sizeof *out);
  out->ok = 1;
  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK) {
    set_error(out, db, rc);
    return;
  }
  if (trace && sqlite3_bind_parameter_count(st) >= 1)
    sqlite3_bind_text(st, 1, trace, -1, SQLITE_TRANSIENT);
  for (int i = 0; i < n_params; i++)
    sqlval_bind(st, i + 2, &params[i]);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_str *s = sqlite3_str_new(NULL);
    int n = sqlite3_column_count(st);
    for (int c = 0; c < n; c++) {
      if (c) sqlite3_str_appendall(s, " | ");
      append_value(s, st, c);
    }
    if (out->n_rows == out->cap) {
      out->cap = out->cap ? 2 * out->cap : 64;
      out->rows = must(realloc(out->rows, out->cap * sizeof *out->rows));
    }
    out->rows[out->n_rows++] = must(sqlite3_str_finish(s));
  }
  if (rc != SQLITE_DONE) set_error(out, db, rc);
  sqlite3_finalize(st);
}

void result_free(result *r) {
  for (size_t i = 0; i < r->n_rows; i++)
    sqlite3_free(r->rows[i]);
  free(r->rows);
  sqlite3_free(r->error);
  memset(r, 0, sizeof *r);
}

const char *verdict_name(verdict v) {
  switch (v) {
  case SAME: return "same";
  case ROWS_DIFFER: return "rows differ";
  case ORDER_DIFFERS: return "order differs";
  case ERROR_ONE_SIDE: return "error on one side";
  }
  return "?";
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether A and B hold the same rows as multisets. */
static int same_multiset(const result *a, const result *b) {
  char **x, **y;
  int same = 1;
  if (a->n_rows != b->n_rows) return 0;
  if (a->n_rows == 0) return 1;
  x = must(malloc(a->n_rows * sizeof *x));
  y = must(malloc(b->n_rows * sizeof *y));
  memcpy(x, a->rows, a->n_rows * sizeof *x);
  memcpy(y, b->rows, b->n_rows * sizeof *y);
  qsort(x, a->n_rows, sizeof *x, compare_strings);
  qsort(y, b->n_rows, sizeof *y, compare_strings);
  for (size_t i = 0; i < a->n_rows && same; i++)
    same = strcmp(x[i], y[i]) == 0;
  free(x);
  free(y);
  return same;
}

size_t result_first_difference(const result *a, const result *b) {
  size_t i = 0;
  while (i < a->n_rows && i < b->n_rows && strcmp(a->rows[i], b->rows[i]) == 0)
    i++;
  return i;
}

verdict result_compare(const result *a, const result *b, int ordered) {
  if (!a->ok || !b->ok) return a->ok == b->ok ? SAME : ERROR_ONE_SIDE;
  if (!same_multiset(a, b)) return ROWS_DIFFER;
  if (ordered && result_first_difference(a, b) < a->n_rows)
    return ORDER_DIFFERS;
  return SAME;
}

void result_print(FILE *f, const char *label, const result *r, size_t from,
                  size_t max) {
  if (!r->ok) {
    fprintf(f, "  %s: ERROR: %s\n", label, r->error);
    return;
  }
  fprintf(f, "  %s: %zu row%s", label, r->n_rows, r->n_rows == 1 ? "" : "s");
  if (from && from < r->n_rows) fprintf(f, " (from row %zu)", from);
  fputs(r->n_rows ? ":\n" : "\n", f);
  for (size_t i = from < r->n_rows ? from : 0; i < r->n_rows && max; i++, max--)
    fprintf(f, "    [%zu] %.400s\n", i, r->rows[i]);
  if (max == 0 && r->n_rows) fprintf(f, "    ...\n");
}
