/*
** query_gen.c - see query_gen.h.
**
** Every choice comes from splitmix64 seeded by the caller. Literals are
** drawn from the trace's own values (so that = and IN match rows), from
** values next to them (one more, the same number as REAL, as TEXT, with
** spaces around it, half-way between), and from a fixed set of edge values
** of every type: the int64 ends, +-2^63 as a double, 9.21e18, 1.7e18, 2^53
** and neighbours, fractions, numeric TEXT with spaces, TEXT with NUL,
** BLOBs, NULL.
*/
#include "query_gen.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const column_names[N_COLUMNS] = {"offset",
                                             "size",
                                             "event_id",
                                             "thread_id",
                                             "ts",
                                             "kind",
                                             "symbol",
                                             "address",
                                             "registers",
                                             "stack",
                                             "signal_number",
                                             "signal_name",
                                             "exit_code",
                                             "executable_path",
                                             "args",
                                             "operating_system",
                                             "cpu_architecture"};

const char *const shape_names[N_SHAPES] = {
    "scan", "aggregate", "group",      "distinct",
    "join", "left_join", "correlated", "exists"};

/* A column reference that is the rowid, drawn beside the real columns. */
#define C_ROWID N_COLUMNS

typedef struct gen {
  uint64_t rng;
  const pools *p;
  query *q;
  int no_subquery; /* inside a subquery: no further subqueries */
} gen;

static void *must(void *p) {
  if (!p) {
    fprintf(stderr, "query_gen: out of memory\n");
    exit(2);
  }
  return p;
}

static uint64_t next64(gen *g) {
  uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int below(gen *g, int n) { return (int)(next64(g) % (uint64_t)n); }
static int chance(gen *g, int percent) { return below(g, 100) < percent; }
#define PICK(g, array) ((array)[below((g), sizeof(array) / sizeof((array)[0]))])

static char *dup(const char *s) {
  return s ? must(sqlite3_mprintf("%s", s)) : NULL;
}

/* A column, weighted towards those the table filters itself. */
static int pick_column(gen *g) {
  static const int weighted[] = {C_OFFSET,
                                 C_OFFSET,
                                 C_OFFSET,
                                 C_OFFSET,
                                 C_ROWID,
                                 C_ROWID,
                                 C_EVENT_ID,
                                 C_EVENT_ID,
                                 C_EVENT_ID,
                                 C_EVENT_ID,
                                 C_TS,
                                 C_TS,
                                 C_TS,
                                 C_TS,
                                 C_THREAD_ID,
                                 C_THREAD_ID,
                                 C_THREAD_ID,
                                 C_KIND,
                                 C_KIND,
                                 C_KIND,
                                 C_SIZE,
                                 C_SIZE,
                                 C_SYMBOL,
                                 C_ADDRESS,
                                 C_REGISTERS,
                                 C_STACK,
                                 C_SIGNAL_NUMBER,
                                 C_SIGNAL_NAME,
                                 C_EXIT_CODE,
                                 C_EXECUTABLE_PATH,
                                 C_ARGS,
                                 C_OPERATING_SYSTEM,
                                 C_CPU_ARCHITECTURE};
  return PICK(g, weighted);
}

static int pick_int_column(gen *g) {
  static const int ints[] = {
      C_OFFSET,    C_OFFSET, C_ROWID, C_SIZE,    C_EVENT_ID,      C_EVENT_ID,
      C_THREAD_ID, C_TS,     C_TS,    C_ADDRESS, C_SIGNAL_NUMBER, C_EXIT_CODE};
  return PICK(g, ints);
}

static int pick_text_column(gen *g) {
  static const int texts[] = {C_KIND,
                              C_KIND,
                              C_SYMBOL,
                              C_SYMBOL,
                              C_REGISTERS,
                              C_SIGNAL_NAME,
                              C_EXECUTABLE_PATH,
                              C_ARGS,
                              C_OPERATING_SYSTEM,
                              C_CPU_ARCHITECTURE};
  return PICK(g, texts);
}

/* The name of column C behind PREFIX ("" or "a."). */
static char *column_ref(gen *g, int c, const char *prefix) {
  static const char *const rowids[] = {"rowid", "rowid", "_rowid_", "oid"};
  return must(sqlite3_mprintf(
      "%s%s", prefix, c == C_ROWID ? PICK(g, rowids) : column_names[c]));
}

/* ---- values ------------------------------------------------------------ */

static sqlval text_value(const char *s, size_t len) {
  return sqlval_bytes(SQLITE_TEXT, s, len);
}
#define TEXT(s) text_value((s), sizeof(s) - 1)

/* The fixed edge values. */
static sqlval edge_value(gen *g) {
  switch (below(g, 64)) {
  case 0: return sqlval_null();
  case 1: return sqlval_int(0);
  case 2: return sqlval_int(1);
  case 3: return sqlval_int(-1);
  case 4: return sqlval_int(INT64_MAX);
  case 5: return sqlval_int(INT64_MIN);
  case 6: return sqlval_int(INT64_MAX - 1);
  case 7: return sqlval_int(INT64_MIN + 1);
  case 8: return sqlval_int(2147483647);
  case 9: return sqlval_int(-2147483647 - 1);
  case 10: return sqlval_int(2147483648);
  case 11: return sqlval_int(4294967295);
  case 12: return sqlval_int(1700000000000000000);
  case 13: return sqlval_int(1699999999999999999);
  case 14: return sqlval_int(9210000000000000000);
  case 15: return sqlval_int(-9210000000000000000);
  case 16: return sqlval_int(9007199254740993);
  case 17: return sqlval_real(9223372036854775807.0); /* 2^63 */
  case 18: return sqlval_real(-9223372036854775807.0);
  case 19: return sqlval_real(9.21e18);
  case 20: return sqlval_real(-9.21e18);
  case 21: return sqlval_real(1.7e18);
  case 22: return sqlval_real(9.2e18);
  case 23: return sqlval_real(-9.2e18);
  case 24: return sqlval_real(9223372036854774784.0); /* last below 2^63 */
  case 25: return sqlval_real(-9223372036854774784.0);
  case 26: return sqlval_real(1.8446744073709552e19);
  case 27: return sqlval_real(0.5);
  case 28: return sqlval_real(-0.5);
  case 29: return sqlval_real(1.5);
  case 30: return sqlval_real(0.0);
  case 31: return sqlval_real(-0.0);
  case 32: return sqlval_real(1e308);
  case 33: return sqlval_real(-1e308);
  case 34: return sqlval_real(9007199254740992.0);
  case 35: return sqlval_real(4.9e-324);
  case 36: return TEXT("");
  case 37: return TEXT(" 12 ");
  case 38: return TEXT("12abc");
  case 39: return TEXT("12");
  case 40: return TEXT(" -9223372036854775808 ");
  case 41: return TEXT("9223372036854775808");
  case 42: return TEXT("9.21e18");
  case 43: return TEXT(" 1.7e18 ");
  case 44: return TEXT("function_call");
  case 45: return TEXT("FUNCTION_CALL");
  case 46: return TEXT("function_call\0x");
  case 47: return TEXT("function_return");
  case 48: return TEXT("trace_start");
  case 49: return TEXT("signal_delivery");
  case 50: return TEXT("\0");
  case 51: return TEXT("\xff");
  case 52: return TEXT("main");
  case 53: return TEXT("SIGSEGV");
  case 54: return sqlval_bytes(SQLITE_BLOB, "", 0);
  case 55: return sqlval_bytes(SQLITE_BLOB, "\0", 1);
  case 56: return sqlval_bytes(SQLITE_BLOB, "\xff", 1);
  case 57: return sqlval_bytes(SQLITE_BLOB, "function_call", 13);
  case 58: return sqlval_int(37300);
  case 59: return sqlval_int(2);
  case 60: return TEXT("kind");
  case 61: return sqlval_real(1700000000000000000.5);
  case 62: return TEXT("0x10");
  default: return TEXT("1e3");
  }
}

/* A value that occurs in column C (or in any column when C has none). */
static sqlval pool_value(gen *g, int c) {
  const pools *p = g->p;
  if (c == C_ROWID) c = C_OFFSET;
  if (p->n[c] == 0) return edge_value(g);
  return sqlval_copy(&p->values[c][below(g, (int)p->n[c])]);
}

/* A value next to V: off by one, the same number as REAL or TEXT, ... */
static sqlval near_value(gen *g, const sqlval *v) {
  char num[64];
  if (v->type == SQLITE_INTEGER) {
    int64_t i = v->i;
    switch (below(g, 17)) {
    case 14:
    case 15:
    case 16: /* the same number as a double: off by up to 1024 above 2^53 */
      return sqlval_real((double)i);
    case 0: return i < INT64_MAX ? sqlval_int(i + 1) : sqlval_real(0x1p63);
    case 1: return i > INT64_MIN ? sqlval_int(i - 1) : sqlval_real(-0x1p63);
    case 2: return sqlval_real((double)i);
    case 3: return sqlval_real((double)i + 0.5);
    case 4: return sqlval_real((double)i - 0.5);
    case 5: return sqlval_real(nextafter((double)i, INFINITY));
    case 6: return sqlval_real(nextafter((double)i, -INFINITY));
    case 7:
      snprintf(num, sizeof num, "%lld", (long long)i);
      return text_value(num, strlen(num));
    case 8:
      snprintf(num, sizeof num, " %lld ", (long long)i);
      return text_value(num, strlen(num));
    case 9:
      snprintf(num, sizeof num, "%lld.0", (long long)i);
      return text_value(num, strlen(num));
    case 10:
      snprintf(num, sizeof num, "%lldabc", (long long)i);
      return text_value(num, strlen(num));
    case 11:
      snprintf(num, sizeof num, "%lld", (long long)i);
      return sqlval_bytes(SQLITE_BLOB, num, strlen(num));
    case 12:
      snprintf(num, sizeof num, "%.17g", (double)i);
      return text_value(num, strlen(num));
    default: return sqlval_int(i / 2);
    }
  }
  if (v->type == SQLITE_TEXT || v->type == SQLITE_BLOB) {
    unsigned char buf[256];
    size_t n = v->len < 200 ? v->len : 200;
    memcpy(buf, v->bytes, n);
    switch (below(g, 7)) {
    case 0: memcpy(buf + n, "\0x", 2); return sqlval_bytes(v->type, buf, n + 2);
    case 1:
      for (size_t k = 0; k < n; k++)
        buf[k] = (unsigned char)toupper(buf[k]);
      return sqlval_bytes(v->type, buf, n);
    case 2: return sqlval_bytes(v->type, buf, n / 2);
    case 3:
      return sqlval_bytes(v->type == SQLITE_TEXT ? SQLITE_BLOB : SQLITE_TEXT,
                          buf, n);
    case 4: buf[n] = ' '; return sqlval_bytes(v->type, buf, n + 1);
    case 5:
      memmove(buf + 1, buf, n);
      buf[0] = ' ';
      return sqlval_bytes(v->type, buf, n + 1);
    default: return sqlval_bytes(v->type, buf, n ? n - 1 : 0);
    }
  }
  return edge_value(g);
}

/* A value for comparing with column C. */
static sqlval draw_value(gen *g, int c) {
  int r = below(g, 100);
  sqlval v, w;
  if (r < 35) return pool_value(g, c);
  if (r < 62) {
    v = pool_value(g, c);
    w = near_value(g, &v);
    sqlval_free(&v);
    return w;
  }
  if (r < 67) return pool_value(g, below(g, N_COLUMNS));
  return edge_value(g);
}

/* V as an expression: a literal, a parameter, or a cast of either. V is
** consumed. */
static char *value_expr(gen *g, sqlval v) {
  static const char *const types[] = {"INTEGER", "REAL", "TEXT", "NUMERIC",
                                      "BLOB"};
  char *lit, *out;
  query *q = g->q;
  if (chance(g, 10) && q->n_params < QUERY_MAX_PARAMS) {
    q->params[q->n_params++] = v;
    return must(sqlite3_mprintf("?%d", q->n_params + 1));
  }
  lit = sqlval_literal(&v);
  sqlval_free(&v);
  switch (below(g, 40)) {
  case 0:
  case 1:
  case 2: out = sqlite3_mprintf("CAST(%s AS %s)", lit, PICK(g, types)); break;
  case 3: out = sqlite3_mprintf("(%s)", lit); break;
  case 4: out = sqlite3_mprintf("+%s", lit); break;
  default: return lit;
  }
  sqlite3_free(lit);
  return must(out);
}

static char *value_for(gen *g, int c) {
  return value_expr(g, draw_value(g, c));
}

/* ---- WHERE terms ------------------------------------------------------- */

static const char *const cmp_ops[] = {"=",  "==", "!=", "<>", "<",
                                      "<=", ">",  ">=", "IS", "IS NOT"};

static const char *mirror(const char *op) {
  if (strcmp(op, "<") == 0) return ">";
  if (strcmp(op, ">") == 0) return "<";
  if (strcmp(op, "<=") == 0) return ">=";
  if (strcmp(op, ">=") == 0) return "<=";
  return op;
}

/* A scalar subquery over $S giving one value of column C. */
static char *scalar_subquery(gen *g, int c) {
  static const char *const aggs[] = {"max", "min"};
  const char *name = column_names[c == C_ROWID ? C_OFFSET : c];
  return must(sqlite3_mprintf("(SELECT %s(%s) FROM $S)", PICK(g, aggs), name));
}

static char *leaf(gen *g, const char *prefix);

static char *in_list(gen *g, int c) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  int n = below(g, 6);
  char *first = NULL;
  sqlite3_str_appendchar(s, 1, '(');
  for (int i = 0; i < n; i++) {
    char *v = value_for(g, c);
    if (i) sqlite3_str_appendall(s, ", ");
    sqlite3_str_appendall(s, v);
    if (i == 0)
      first = v;
    else
      sqlite3_free(v);
  }
  if (n && chance(g, 20)) sqlite3_str_appendall(s, ", NULL");
  if (first && chance(g, 20)) sqlite3_str_appendf(s, ", %s", first);
  sqlite3_free(first);
  sqlite3_str_appendchar(s, 1, ')');
  return must(sqlite3_str_finish(s));
}

/* IN (SELECT ... FROM $S ...): of the same column or another. */
static char *in_subquery(gen *g, int c) {
  int inner = chance(g, 70) ? c : pick_column(g);
  char *col = column_ref(g, inner, ""), *where = NULL, *out;
  g->no_subquery = 1;
  if (chance(g, 70)) where = leaf(g, "");
  g->no_subquery = 0;
  out = sqlite3_mprintf("(SELECT %s FROM $S%s%s%s)", col,
                        where ? " WHERE " : "", where ? where : "",
                        chance(g, 15) ? " ORDER BY offset LIMIT 5" : "");
  sqlite3_free(col);
  sqlite3_free(where);
  return must(out);
}

static char *like_pattern(gen *g, int c, int glob) {
  sqlval v = pool_value(g, c);
  unsigned char buf[64];
  size_t n = 0;
  if (v.type == SQLITE_TEXT || v.type == SQLITE_BLOB) {
    n = v.len < 40 ? v.len : 40;
    memcpy(buf, v.bytes, n);
  } else if (v.type == SQLITE_INTEGER) {
    n = (size_t)snprintf((char *)buf, 40, "%lld", (long long)v.i);
  }
  sqlval_free(&v);
  switch (below(g, 4)) {
  case 0:
    n = n / 2;
    buf[n++] = glob ? '*' : '%';
    break;
  case 1:
    if (n) buf[below(g, (int)n)] = glob ? '?' : '_';
    break;
  case 2: buf[n++] = glob ? '*' : '%'; break;
  default: break;
  }
  return value_expr(g, sqlval_bytes(SQLITE_TEXT, buf, n));
}

/* The left side of a comparison with column C: mostly the column itself. */
static char *lhs_expr(gen *g, int c, const char *prefix) {
  char *col = column_ref(g, c, prefix), *out;
  switch (below(g, 50)) {
  case 0: out = sqlite3_mprintf("+%s", col); break;
  case 1: out = sqlite3_mprintf("%s + 0", col); break;
  case 2: out = sqlite3_mprintf("CAST(%s AS TEXT)", col); break;
  case 3: out = sqlite3_mprintf("%s COLLATE NOCASE", col); break;
  case 4: out = sqlite3_mprintf("coalesce(%s, 0)", col); break;
  default: return col;
  }
  sqlite3_free(col);
  return must(out);
}

/* A term comparing two columns of the same row. */
static char *column_pair(gen *g, const char *prefix) {
  static const char *const ks[] = {"1",
                                   "37300",
                                   "1000000",
                                   "0.5",
                                   "9223372036854775807",
                                   "1700000000000000000"};
  /* the three of issue 7's table, as they were found */
  static const char *const known[] = {"%soffset = %ssize", "%sts < %sevent_id",
                                      "%sevent_id > %sthread_id - 37300"};
  int text = chance(g, 20);
  int c1 = text ? pick_text_column(g) : pick_int_column(g);
  if (chance(g, 15))
    return must(sqlite3_mprintf(PICK(g, known), prefix, prefix));
  int c2 = text ? pick_text_column(g) : pick_int_column(g);
  char *a = column_ref(g, c1, prefix), *b = column_ref(g, c2, prefix), *out;
  const char *op = PICK(g, cmp_ops);
  switch (text ? 9 : below(g, 10)) {
  case 0:
  case 1:
  case 2:
  case 3: out = sqlite3_mprintf("%s %s %s", a, op, b); break;
  case 4: out = sqlite3_mprintf("%s %s %s - %s", a, op, b, PICK(g, ks)); break;
  case 5: out = sqlite3_mprintf("%s %s %s + %s", a, op, b, PICK(g, ks)); break;
  case 6: out = sqlite3_mprintf("%s - %s %s %s", a, PICK(g, ks), op, b); break;
  case 7: out = sqlite3_mprintf("%s %s %s * 1.0", a, op, b); break;
  case 8: out = sqlite3_mprintf("%s %s %s || ''", a, op, b); break;
  default: out = sqlite3_mprintf("%s %s %s", a, op, b); break;
  }
  sqlite3_free(a);
  sqlite3_free(b);
  return must(out);
}

/* The columns atf_events filters itself (seeks, block skipping, header
** tests): where a wrong answer is most likely. */
static int pick_pushed_column(gen *g) {
  static const int pushed[] = {C_OFFSET,   C_ROWID,    C_TS,        C_TS,
                               C_EVENT_ID, C_EVENT_ID, C_THREAD_ID, C_KIND};
  return PICK(g, pushed);
}

/* One term (no AND/OR at its top) over the columns behind PREFIX. */
static char *leaf(gen *g, const char *prefix) {
  int c = pick_column(g), r = below(g, 100);
  char *lhs, *v1, *v2, *out;
  if (r < 20) { /* a pushed column against a value next to its own */
    static const char *const ops[] = {"=", "<", "<=", ">", ">=", "IS", "!="};
    sqlval v, w;
    c = pick_pushed_column(g);
    v = pool_value(g, c);
    w = chance(g, 60)   ? near_value(g, &v)
        : chance(g, 50) ? sqlval_copy(&v)
                        : edge_value(g);
    sqlval_free(&v);
    lhs = column_ref(g, c, prefix);
    v1 = value_expr(g, w);
    if (chance(g, 15)) {
      v2 = value_for(g, c);
      out = sqlite3_mprintf("%s BETWEEN %s AND %s", lhs, v1, v2);
      sqlite3_free(v2);
    } else if (chance(g, 15)) {
      v2 = value_for(g, c);
      out = sqlite3_mprintf("%s IN (%s, %s)", lhs, v1, v2);
      sqlite3_free(v2);
    } else {
      out = sqlite3_mprintf("%s %s %s", lhs, PICK(g, ops), v1);
    }
    sqlite3_free(v1);
  } else if (r < 40) { /* comparison */
    const char *op = PICK(g, cmp_ops);
    lhs = lhs_expr(g, c, prefix);
    v1 = chance(g, 4) && !g->no_subquery ? scalar_subquery(g, c)
                                         : value_for(g, c);
    out = chance(g, 25) ? sqlite3_mprintf("%s %s %s", v1, mirror(op), lhs)
                        : sqlite3_mprintf("%s %s %s", lhs, op, v1);
    sqlite3_free(v1);
  } else if (r < 44) { /* NULL tests */
    static const char *const tests[] = {"IS NULL", "ISNULL", "NOTNULL",
                                        "NOT NULL", "IS NOT NULL"};
    lhs = column_ref(g, c, prefix);
    out = sqlite3_mprintf("%s %s", lhs, PICK(g, tests));
  } else if (r < 52) { /* BETWEEN */
    lhs = lhs_expr(g, c, prefix);
    v1 = value_for(g, c);
    v2 = value_for(g, c);
    out = sqlite3_mprintf("%s %sBETWEEN %s AND %s", lhs,
                          chance(g, 20) ? "NOT " : "", v1, v2);
    sqlite3_free(v1);
    sqlite3_free(v2);
  } else if (r < 62 || (r < 68 && g->no_subquery)) { /* IN list */
    lhs = lhs_expr(g, c, prefix);
    v1 = in_list(g, c);
    out = sqlite3_mprintf("%s %sIN %s", lhs, chance(g, 20) ? "NOT " : "", v1);
    sqlite3_free(v1);
  } else if (r < 68) { /* IN subquery */
    lhs = lhs_expr(g, c, prefix);
    v1 = in_subquery(g, c);
    out = sqlite3_mprintf("%s %sIN %s", lhs, chance(g, 20) ? "NOT " : "", v1);
    sqlite3_free(v1);
  } else if (r < 74) { /* LIKE, GLOB */
    int glob = chance(g, 35);
    if (chance(g, 85)) c = pick_text_column(g);
    lhs = column_ref(g, c, prefix);
    v1 = like_pattern(g, c, glob);
    out = sqlite3_mprintf("%s %s%s %s", lhs, chance(g, 15) ? "NOT " : "",
                          glob ? "GLOB" : "LIKE", v1);
    sqlite3_free(v1);
  } else if (r < 88) { /* two columns */
    return column_pair(g, prefix);
  } else if (r < 92) { /* row values */
    int c2 = pick_column(g);
    char *b = column_ref(g, c2, prefix);
    lhs = column_ref(g, c, prefix);
    if (chance(g, 50) || g->no_subquery) {
      v1 = value_for(g, c);
      v2 = value_for(g, c2);
      out = sqlite3_mprintf("(%s, %s) %s (%s, %s)", lhs, b, PICK(g, cmp_ops),
                            v1, v2);
      sqlite3_free(v1);
      sqlite3_free(v2);
    } else {
      out = sqlite3_mprintf(
          "(%s, %s) IN (SELECT %s, %s FROM $S WHERE offset %% 3 = 0)", lhs, b,
          column_names[c == C_ROWID ? C_OFFSET : c],
          column_names[c2 == C_ROWID ? C_OFFSET : c2]);
    }
    sqlite3_free(b);
  } else if (r < 96) { /* a column as a truth value */
    lhs = column_ref(g, c, prefix);
    out = sqlite3_mprintf("%s%s", chance(g, 30) ? "NOT " : "", lhs);
  } else { /* a constant or a parameter */
    static const char *const constants[] = {"1", "0", "NULL", "'a'"};
    lhs = NULL;
    if (chance(g, 50))
      out = sqlite3_mprintf("%s", PICK(g, constants));
    else
      out = value_expr(g, edge_value(g));
  }
  sqlite3_free(lhs);
  return must(out);
}

static qnode *node_new(node_op op, char *text, qnode *a, qnode *b) {
  qnode *n = must(calloc(1, sizeof *n));
  n->op = op;
  n->text = text;
  n->a = a;
  n->b = b;
  return n;
}

static qnode *where_tree(gen *g, int depth, const char *prefix) {
  int r = below(g, 100);
  if (depth <= 0 || r < 45) return node_new(N_LEAF, leaf(g, prefix), 0, 0);
  if (r < 75)
    return node_new(N_AND, NULL, where_tree(g, depth - 1, prefix),
                    where_tree(g, depth - 1, prefix));
  if (r < 92)
    return node_new(N_OR, NULL, where_tree(g, depth - 1, prefix),
                    where_tree(g, depth - 1, prefix));
  return node_new(N_NOT, NULL, where_tree(g, depth - 1, prefix), NULL);
}

/* A WHERE for the whole query: none, or a tree of up to three levels. */
static qnode *where_clause(gen *g, const char *prefix) {
  static const int depths[] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 3};
  if (chance(g, 8)) return NULL;
  return where_tree(g, PICK(g, depths), prefix);
}

static void node_free(qnode *n) {
  if (!n) return;
  node_free(n->a);
  node_free(n->b);
  sqlite3_free(n->text);
  free(n);
}

/* Whether the WHERE may let SQLite read the table in several passes, each
** in file order but not all together: an OR (a multi-index plan), or a
** row-value IN, which SQLite cannot hand to the table whole and looks up
** value by value (README: atf_events' order). Such results are compared as
** multisets. */
static int has_or(const qnode *n) {
  return n &&
         (n->op == N_OR ||
          (n->op == N_LEAF && n->text && strstr(n->text, ") IN (SELECT")) ||
          has_or(n->a) || has_or(n->b));
}

/* Whether a plain scan comes in rowid order (query_scans_in_rowid_order):
** then a LIMIT on it picks rows SQLite defines. */
static int scans_in_rowid_order = 1;

void query_scans_in_rowid_order(int yes) { scans_in_rowid_order = yes; }

/* ---- ORDER BY and LIMIT ------------------------------------------------ */

static char *limit_clause(gen *g) {
  int64_t rows = g->p->rows;
  query *q = g->q;
  switch (below(g, 26)) {
  case 0:
  case 1:
  case 2: return must(sqlite3_mprintf("LIMIT %d", below(g, 12)));
  case 3:
  case 4:
    return must(
        sqlite3_mprintf("LIMIT %d OFFSET %d", below(g, 8), below(g, 20)));
  case 5:
    return must(sqlite3_mprintf("LIMIT %d, %d", below(g, 8), below(g, 8)));
  case 6: return dup("LIMIT 0");
  case 7: return dup("LIMIT -1");
  case 8: return dup("LIMIT -3 OFFSET 2");
  case 9: return dup("LIMIT 9223372036854775807");
  case 10: return dup("LIMIT 5 OFFSET 9223372036854775807");
  case 11: return dup("LIMIT 1+2");
  case 12: return dup("LIMIT 2*2 OFFSET 1+1");
  case 13:
  case 14: {
    static const char *const forms[] = {"LIMIT ?%d", "LIMIT 3 OFFSET ?%d"};
    sqlval v;
    switch (below(g, 6)) {
    case 0: v = sqlval_int(-1); break;
    case 1: v = TEXT("3"); break;
    case 2: v = sqlval_real(2.0); break;
    default: v = sqlval_int(below(g, 10)); break;
    }
    if (q->n_params >= QUERY_MAX_PARAMS) {
      sqlval_free(&v);
      return dup("LIMIT 4");
    }
    q->params[q->n_params++] = v;
    return must(sqlite3_mprintf(PICK(g, forms), q->n_params + 1));
  }
  case 15: return dup("LIMIT (SELECT count(*) FROM $S) / 3");
  case 16: return dup("LIMIT '4'");
  case 17: return dup("LIMIT 2.0");
  case 18: return dup("LIMIT 2.5");
  case 19: return dup("LIMIT 3 OFFSET -2");
  case 20:
    return must(sqlite3_mprintf("LIMIT 1 OFFSET %lld", (long long)rows - 1));
  case 21: return must(sqlite3_mprintf("LIMIT 3 OFFSET %lld", (long long)rows));
  case 22:
    return must(sqlite3_mprintf("LIMIT 10 OFFSET %lld", (long long)rows / 2));
  case 23: return dup("LIMIT abs(-3)");
  case 24: return dup("LIMIT NULL");
  default:
    return must(sqlite3_mprintf("LIMIT 4 OFFSET %d", 1000 + below(g, 30)));
  }
}

static const char *direction(gen *g) {
  static const char *const dirs[] = {"", " ASC", " DESC"};
  return PICK(g, dirs);
}

/* ORDER BY for one table: by offset/rowid, or by a column then offset. */
static void scan_order(gen *g) {
  query *q = g->q;
  int r = below(g, 100);
  static const char *const nulls[] = {"", "", " NULLS FIRST", " NULLS LAST"};
  if (r < 30) return;
  q->order_total = 1;
  if (r < 45) {
    static const char *const forms[] = {"offset", "offset ASC", "rowid"};
    q->order = dup(PICK(g, forms));
  } else if (r < 60) {
    static const char *const forms[] = {"offset DESC", "rowid DESC",
                                        "_rowid_ DESC"};
    q->order = dup(PICK(g, forms));
  } else if (r < 85) {
    int c = pick_column(g);
    char *col = column_ref(g, c, "");
    q->order = must(sqlite3_mprintf("%s%s%s, offset%s", col, direction(g),
                                    PICK(g, nulls), direction(g)));
    sqlite3_free(col);
  } else {
    int c1 = pick_column(g), c2 = pick_column(g);
    char *a = column_ref(g, c1, ""), *b = column_ref(g, c2, "");
    q->order = must(sqlite3_mprintf("%s, %s DESC, rowid", a, b));
    sqlite3_free(a);
    sqlite3_free(b);
  }
}

/* ---- shapes ------------------------------------------------------------ */

static void gen_scan(gen *g) {
  query *q = g->q;
  int r = below(g, 100);
  q->from = dup("$T");
  q->single = 1;
  if (r < 25) {
    q->select = dup("*");
  } else if (r < 35) {
    q->select = dup("rowid, *");
  } else if (r < 55) {
    q->select = dup("offset");
  } else if (r < 70) {
    q->select = dup("offset, event_id, thread_id, ts, kind");
  } else {
    sqlite3_str *s = sqlite3_str_new(NULL);
    int n = 1 + below(g, 4);
    for (int i = 0; i < n; i++) {
      char *col = column_ref(g, pick_column(g), "");
      sqlite3_str_appendf(s, "%s%s", i ? ", " : "", col);
      sqlite3_free(col);
    }
    q->select = must(sqlite3_str_finish(s));
  }
  q->where = where_clause(g, "");
  scan_order(g);
  if (chance(g, 45) && (q->order_total || (scans_in_rowid_order && !has_or(q->where))))
    q->limit = limit_clause(g);
}

static void gen_aggregate(gen *g) {
  query *q = g->q;
  const char *c = column_names[pick_column(g) % N_COLUMNS];
  switch (below(g, 7)) {
  case 0: q->select = dup("count(*)"); break;
  case 1: q->select = dup("count(*), min(offset), max(offset)"); break;
  case 2: q->select = dup("count(ts), min(ts), max(ts)"); break;
  case 3:
    q->select = dup("min(event_id), max(event_id), count(DISTINCT thread_id)");
    break;
  case 4: q->select = dup("count(*), sum(size), sum(thread_id)"); break;
  case 5: q->select = dup("max(kind), min(symbol), count(stack)"); break;
  default:
    q->select = must(sqlite3_mprintf("count(*), min(%s), max(%s)", c, c));
  }
  q->from = dup("$T");
  q->single = 1;
  q->order_total = 1; /* one row */
  q->where = where_clause(g, "");
  if (chance(g, 15)) q->limit = limit_clause(g);
}

static void gen_group(gen *g, int distinct) {
  query *q = g->q;
  const char *c = column_names[pick_column(g) % N_COLUMNS];
  q->from = dup("$T");
  q->single = 1;
  if (distinct) {
    q->select = must(sqlite3_mprintf("DISTINCT %s", c));
  } else {
    q->select = must(sqlite3_mprintf(
        "%s, count(*)%s", c, chance(g, 40) ? ", min(offset), max(ts)" : ""));
    q->group = dup(c);
  }
  q->where = where_clause(g, "");
  if (chance(g, 50)) {
    q->order = must(sqlite3_mprintf("%s%s", c, direction(g)));
    q->order_total = 1; /* groups, and distinct rows, are unique */
    if (chance(g, 50)) q->limit = limit_clause(g);
  }
}

/* The rows of a join's left side: a window of the file, so that a join
** of the table with itself stays small. */
static qnode *window(gen *g) {
  int64_t span = g->p->rows > 0 ? 1 + (g->p->rows * 200) / 8 : 1000;
  sqlval v = pool_value(g, C_OFFSET);
  int64_t lo = v.type == SQLITE_INTEGER ? v.i : 0;
  sqlval_free(&v);
  return node_new(N_LEAF,
                  must(sqlite3_mprintf("a.offset BETWEEN %lld AND %lld",
                                       (long long)lo, (long long)(lo + span))),
                  NULL, NULL);
}

static qnode *with_window(gen *g, qnode *where) {
  qnode *w = window(g);
  return where ? node_new(N_AND, NULL, w, where) : w;
}

static void gen_join(gen *g) {
  static const char *const ons[] = {
      "b.offset = a.offset",
      "b.rowid = a.offset + a.size",
      "b.thread_id = a.thread_id AND b.offset > a.offset AND b.offset <= "
      "a.offset + 3000",
      "b.event_id = a.event_id AND b.offset <> a.offset",
      "b.ts = a.ts AND b.offset <> a.offset",
      "b.event_id = a.event_id + 1",
      "b.offset > a.offset AND b.thread_id = a.thread_id AND b.ts < a.ts",
      "b.kind = a.kind AND b.offset BETWEEN a.offset - 500 AND a.offset"};
  static const char *const selects[] = {
      "a.offset, b.offset", "a.offset, b.offset, a.ts, b.ts",
      "a.offset, b.offset, b.kind, b.symbol", "count(*)"};
  query *q = g->q;
  q->join_reference = chance(g, 30);
  q->select = dup(PICK(g, selects));
  q->from = must(sqlite3_mprintf("$T AS a JOIN $B AS b ON %s", PICK(g, ons)));
  q->where = with_window(g, where_clause(g, chance(g, 80) ? "a." : "b."));
  if (strcmp(q->select, "count(*)") == 0) {
    q->order_total = 1;
  } else if (chance(g, 50)) {
    static const char *const orders[] = {"a.offset, b.offset",
                                         "a.offset DESC, b.offset",
                                         "b.offset, a.offset DESC"};
    q->order = dup(PICK(g, orders));
    q->order_total = 1;
    if (chance(g, 50)) q->limit = limit_clause(g);
  }
}

static void gen_left_join(gen *g) {
  query *q = g->q;
  q->join_reference = chance(g, 30);
  q->single = 1;
  q->select = dup("a.offset, a.size, b.offset, b.kind");
  q->from = dup("$T AS a LEFT JOIN $B AS b ON b.offset = a.offset + a.size");
  q->where = with_window(g, where_clause(g, chance(g, 80) ? "a." : "b."));
  if (chance(g, 50)) {
    q->order = dup(chance(g, 50) ? "a.offset" : "a.offset DESC");
    q->order_total = 1;
  }
  if (chance(g, 40) && (q->order_total || (scans_in_rowid_order && !has_or(q->where))))
    q->limit = limit_clause(g);
}

static void gen_correlated(gen *g) {
  static const char *const subs[] = {
      "(SELECT b.offset FROM $B AS b WHERE b.offset > a.offset AND "
      "b.thread_id = a.thread_id%s ORDER BY b.offset LIMIT 1)",
      "(SELECT b.offset FROM $B AS b WHERE b.offset < a.offset AND "
      "b.thread_id = a.thread_id%s ORDER BY b.offset DESC LIMIT 1)",
      "(SELECT b.offset FROM $B AS b WHERE b.offset > a.offset AND "
      "b.thread_id = a.thread_id%s ORDER BY b.offset LIMIT 1 OFFSET 1)",
      "(SELECT b.offset FROM $B AS b WHERE b.offset > a.offset AND "
      "b.thread_id = a.thread_id%s LIMIT 1)",
      "(SELECT b.ts FROM $B AS b WHERE b.offset = a.offset + a.size%s)",
      "(SELECT count(*) FROM $B AS b WHERE b.thread_id = a.thread_id AND "
      "b.offset < a.offset%s)",
      "(SELECT b.offset FROM $B AS b WHERE b.offset > a.offset AND "
      "b.kind = a.kind%s ORDER BY b.offset LIMIT 1+0)"};
  query *q = g->q;
  char *extra = NULL, *cond;
  q->join_reference = chance(g, 30);
  q->single = 1;
  if (chance(g, 40)) {
    g->no_subquery = 1;
    extra = leaf(g, "b.");
    g->no_subquery = 0;
  }
  cond =
      must(sqlite3_mprintf("%s%s", extra ? " AND " : "", extra ? extra : ""));
  {
    char *sub = must(sqlite3_mprintf(PICK(g, subs), cond));
    q->select = must(sqlite3_mprintf("a.offset, %s", sub));
    sqlite3_free(sub);
  }
  sqlite3_free(extra);
  sqlite3_free(cond);
  q->from = dup("$T AS a");
  q->where = with_window(g, where_clause(g, "a."));
  if (chance(g, 50)) {
    q->order = dup(chance(g, 70) ? "a.offset" : "a.offset DESC");
    q->order_total = 1;
  }
  if (chance(g, 40) && (q->order_total || (scans_in_rowid_order && !has_or(q->where))))
    q->limit = limit_clause(g);
}

static void gen_exists(gen *g) {
  static const char *const subs[] = {
      "%sEXISTS (SELECT 1 FROM $B AS b WHERE b.event_id = a.event_id + 1)",
      "%sEXISTS (SELECT 1 FROM $B AS b WHERE b.offset = a.offset + a.size "
      "AND b.thread_id = a.thread_id)",
      "%sEXISTS (SELECT 1 FROM $B AS b WHERE b.ts = a.ts AND b.offset <> "
      "a.offset)"};
  query *q = g->q;
  qnode *e = node_new(
      N_LEAF, must(sqlite3_mprintf(PICK(g, subs), chance(g, 25) ? "NOT " : "")),
      NULL, NULL);
  qnode *w = where_clause(g, "a.");
  q->join_reference = chance(g, 30);
  q->select = dup("a.offset, a.kind");
  q->from = dup("$T AS a");
  q->where = with_window(g, w ? node_new(N_AND, NULL, e, w) : e);
  if (chance(g, 50)) {
    q->order = dup("a.offset");
    q->order_total = 1;
    if (chance(g, 50)) q->limit = limit_clause(g);
  }
}

void query_generate(query *q, uint64_t seed, const pools *p) {
  gen g = {seed * 0x2545f4914f6cdd1dull + 1, p, q, 0};
  int r;
  memset(q, 0, sizeof *q);
  next64(&g);
  q->sub_reference = chance(&g, 30);
  r = below(&g, 100);
  if (r < 42) {
    q->shape = SHAPE_SCAN;
    gen_scan(&g);
  } else if (r < 54) {
    q->shape = SHAPE_AGGREGATE;
    gen_aggregate(&g);
  } else if (r < 60) {
    q->shape = SHAPE_GROUP;
    gen_group(&g, 0);
  } else if (r < 65) {
    q->shape = SHAPE_DISTINCT;
    gen_group(&g, 1);
  } else if (r < 75) {
    q->shape = SHAPE_JOIN;
    gen_join(&g);
  } else if (r < 81) {
    q->shape = SHAPE_LEFT_JOIN;
    gen_left_join(&g);
  } else if (r < 93) {
    q->shape = SHAPE_CORRELATED;
    gen_correlated(&g);
  } else {
    q->shape = SHAPE_EXISTS;
    gen_exists(&g);
  }
}

void query_free(query *q) {
  sqlite3_free(q->select);
  sqlite3_free(q->from);
  sqlite3_free(q->group);
  sqlite3_free(q->order);
  sqlite3_free(q->limit);
  node_free(q->where);
  for (int i = 0; i < q->n_params; i++)
    sqlval_free(&q->params[i]);
  memset(q, 0, sizeof *q);
}

/* ---- text -------------------------------------------------------------- */

static void render_node(sqlite3_str *s, const qnode *n) {
  switch (n->op) {
  case N_LEAF: sqlite3_str_appendall(s, n->text); break;
  case N_NOT:
    sqlite3_str_appendall(s, "NOT (");
    render_node(s, n->a);
    sqlite3_str_appendchar(s, 1, ')');
    break;
  default:
    sqlite3_str_appendchar(s, 1, '(');
    render_node(s, n->a);
    sqlite3_str_appendall(s, n->op == N_AND ? ") AND (" : ") OR (");
    render_node(s, n->b);
    sqlite3_str_appendchar(s, 1, ')');
  }
}

/* Appends TEXT with its placeholders replaced. */
static void append_replaced(sqlite3_str *s, const char *text, const char *table,
                            const char *sub, const char *join) {
  for (const char *t = text; *t; t++) {
    if (t[0] == '$' && (t[1] == 'T' || t[1] == 'S' || t[1] == 'B')) {
      sqlite3_str_appendall(s, t[1] == 'T' ? table : t[1] == 'S' ? sub : join);
      t++;
    } else {
      sqlite3_str_appendchar(s, 1, *t);
    }
  }
}

char *query_render(const query *q, const char *table, const char *sub,
                   const char *join) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  char *whole;
  sqlite3_str_appendf(s, "SELECT %s FROM %s", q->select, q->from);
  if (q->where) {
    sqlite3_str_appendall(s, " WHERE ");
    render_node(s, q->where);
  }
  if (q->group) sqlite3_str_appendf(s, " GROUP BY %s", q->group);
  if (q->order) sqlite3_str_appendf(s, " ORDER BY %s", q->order);
  if (q->limit) sqlite3_str_appendf(s, " %s", q->limit);
  whole = must(sqlite3_str_finish(s));
  s = sqlite3_str_new(NULL);
  append_replaced(s, whole, table, sub, join);
  sqlite3_free(whole);
  return must(sqlite3_str_finish(s));
}

int query_ordered(const query *q) {
  if (q->order) return q->order_total;
  if (!scans_in_rowid_order) return 0;
  if (q->shape == SHAPE_AGGREGATE || (q->order_total && !q->group)) return 1;
  if (q->group || q->shape == SHAPE_DISTINCT || q->shape == SHAPE_JOIN ||
      q->shape == SHAPE_EXISTS || !q->single)
    return 0;
  return !has_or(q->where);
}

int query_valid(const query *q) {
  if (q->limit && !query_ordered(q)) return 0;
  if (q->order && !q->order_total) return 0;
  return 1;
}

/* ---- shrinking --------------------------------------------------------- */

static qnode *node_copy(const qnode *n) {
  if (!n) return NULL;
  return node_new(n->op, dup(n->text), node_copy(n->a), node_copy(n->b));
}

void query_copy(query *out, const query *q) {
  *out = *q;
  out->select = dup(q->select);
  out->from = dup(q->from);
  out->group = dup(q->group);
  out->order = dup(q->order);
  out->limit = dup(q->limit);
  out->where = node_copy(q->where);
  for (int i = 0; i < q->n_params; i++)
    out->params[i] = sqlval_copy(&q->params[i]);
}

/* A copy of N where the node numbered TARGET (preorder, counted in *AT) is
** replaced by its child WHICH (0: a, 1: b). */
static qnode *copy_replacing(const qnode *n, int *at, int target, int which) {
  int me;
  if (!n) return NULL;
  me = (*at)++;
  if (me == target) {
    const qnode *child = which ? n->b : n->a;
    return node_copy(child);
  }
  {
    qnode *a = copy_replacing(n->a, at, target, which);
    qnode *b = copy_replacing(n->b, at, target, which);
    return node_new(n->op, dup(n->text), a, b);
  }
}

static int count_nodes(const qnode *n) {
  return n ? 1 + count_nodes(n->a) + count_nodes(n->b) : 0;
}

static const qnode *nth_node(const qnode *n, int *at, int target) {
  const qnode *found;
  if (!n) return NULL;
  if ((*at)++ == target) return n;
  found = nth_node(n->a, at, target);
  return found ? found : nth_node(n->b, at, target);
}

/* TEXT without element I of its first IN list (not a subquery), or NULL
** when the list has no element I or only one element. */
static char *without_in_element(const char *text, int i) {
  const char *open = strstr(text, " IN ("), *p, *start[64];
  int n = 0, depth = 0;
  const char *end = NULL;
  if (!open || strncmp(open + 5, "SELECT", 6) == 0) return NULL;
  p = open + 5;
  start[n++] = p;
  for (; *p && !end; p++) {
    if (*p == '\'') {
      for (p++; *p && !(p[0] == '\'' && p[1] != '\'');
           p += p[0] == '\'' ? 2 : 1)
        ;
      if (!*p) return NULL;
    } else if (*p == '(') {
      depth++;
    } else if (*p == ')') {
      if (depth-- == 0) end = p;
    } else if (*p == ',' && depth == 0 && n < 64) {
      start[n++] = p + 1;
    }
  }
  if (!end || n < 2 || i >= n) return NULL;
  {
    /* element i spans start[i] .. the comma before start[i+1] (or end) */
    const char *cut_from = i == 0 ? start[0] : start[i] - 1;
    const char *cut_to = i == 0 ? start[1] : i + 1 < n ? start[i + 1] - 1 : end;
    while (i == 0 && *cut_to == ' ')
      cut_to++;
    return must(
        sqlite3_mprintf("%.*s%s", (int)(cut_from - text), text, cut_to));
  }
}

int query_simpler(const query *q, query *out, int max) {
  int n = 0;
  if (n < max && q->limit) {
    query_copy(&out[n], q);
    sqlite3_free(out[n].limit);
    out[n++].limit = NULL;
  }
  if (n < max && q->order && q->shape != SHAPE_AGGREGATE) {
    query_copy(&out[n], q);
    sqlite3_free(out[n].order);
    out[n].order = NULL;
    out[n].order_total = 0;
    n++;
  }
  if (n < max && q->shape == SHAPE_SCAN && strcmp(q->select, "offset") != 0) {
    query_copy(&out[n], q);
    sqlite3_free(out[n].select);
    out[n++].select = dup("offset");
  }
  if (n < max && q->where) {
    query_copy(&out[n], q);
    node_free(out[n].where);
    out[n++].where = NULL;
  }
  for (int k = 0, total = count_nodes(q->where); k < total && n < max; k++) {
    int at = 0;
    const qnode *node = nth_node(q->where, &at, k);
    for (int which = 0; which < 2 && n < max; which++) {
      if (node->op == N_LEAF || (which == 1 && node->op == N_NOT)) continue;
      query_copy(&out[n], q);
      node_free(out[n].where);
      at = 0;
      out[n++].where = copy_replacing(q->where, &at, k, which);
    }
    /* a leaf's IN list, one element shorter */
    for (int e = 0; node->op == N_LEAF && n < max; e++) {
      char *shorter = without_in_element(node->text, e);
      qnode *copy;
      if (!shorter) break;
      query_copy(&out[n], q);
      at = 0;
      copy = (qnode *)nth_node(out[n].where, &at, k);
      sqlite3_free(copy->text);
      copy->text = shorter;
      n++;
    }
  }
  return n;
}

/* Removes each RUN of T that follows one of the characters AFTER (a lone
** "-" only before "#"). */
static void collapse(char *t, const char *run, const char *after) {
  size_t n = strlen(run);
  for (char *at = t; (at = strstr(at, run)) != NULL;) {
    if (at > t && strchr(after, at[-1]) && (n > 1 || at[1] == '#'))
      memmove(at, at + n, strlen(at + n) + 1);
    else
      at++;
  }
}

char *query_skeleton(const char *sql) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  const char *p = sql;
  while (*p) {
    if ((p[0] == 'x' || p[0] == 'X') && p[1] == '\'' &&
        (p == sql || !isalnum((unsigned char)p[-1]))) {
      p += 2;
      while (*p && *p != '\'')
        p++;
      if (*p) p++;
      sqlite3_str_appendchar(s, 1, '#');
    } else if (*p == '\'') {
      p++;
      while (*p && !(p[0] == '\'' && p[1] != '\''))
        p += p[0] == '\'' ? 2 : 1;
      if (*p) p++;
      sqlite3_str_appendchar(s, 1, '#');
    } else if (isdigit((unsigned char)*p) &&
               (p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
      while (isalnum((unsigned char)*p) || *p == '.' ||
             ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E')))
        p++;
      sqlite3_str_appendchar(s, 1, '#');
    } else if (*p == '?' && isdigit((unsigned char)p[1])) {
      p++;
      while (isdigit((unsigned char)*p))
        p++;
      sqlite3_str_appendchar(s, 1, '?');
    } else {
      sqlite3_str_appendchar(s, 1, *p++);
    }
  }
  {
    /* "(#, #, #)", "# || char(#) || #" and "-#" say the same as "#". */
    char *t = must(sqlite3_str_finish(s));
    collapse(t, ", #", "#?L");
    collapse(t, " || char(#) || #", "#");
    collapse(t, "-", " (,");
    return t;
  }
}
