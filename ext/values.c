/*
** values.c - see values.h.
*/
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "values.h"
SQLITE_EXTENSION_INIT3

#define TWO_63 9223372036854775808.0 /* 2^63, exactly a double */

/* V as SQLite compares it with an INTEGER column: numeric affinity turns
** text that looks like a number into one (' 12 ' is 12, '1e3' 1000.0). */
static int numeric_type(sqlite3_value *v) {
  return sqlite3_value_numeric_type(v);
}

/* Whether V equals an integer as SQLite compares it with an INTEGER
** column; if so the integer goes to *OUT. */
int values_exact_integer(sqlite3_value *v, sqlite3_int64 *out) {
  int type = numeric_type(v);
  if (type == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
    return 1;
  }
  if (type == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (d >= -TWO_63 && d < TWO_63 && d == floor(d)) {
      *out = (sqlite3_int64)d;
      return 1;
    }
  }
  return 0;
}

/*
** Narrows R by "column OP V" (OP: 0 =, 1 >, 2 >=, 3 <, 4 <=) as SQLite
** compares an INTEGER column with V: integers exactly, reals by their exact
** value (a double converts exactly to the integer at its floor or ceiling:
** no rounding by adding 1 in double precision above 2^53), any text or blob
** above every integer, NULL never. Returns 0 when nothing can match.
*/
int values_narrow_range(int op, sqlite3_value *v, int_range *r) {
  int type = numeric_type(v);
  int lower = op == 1 || op == 2;
  sqlite3_int64 lo = INT64_MIN, hi = INT64_MAX;
  if (type == SQLITE_NULL) return 0;
  if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
    if (op <= 2) return 0; /* =, >, >=: no integer */
  } else if (type == SQLITE_INTEGER) {
    sqlite3_int64 i = sqlite3_value_int64(v);
    switch (op) {
    case 0: lo = hi = i; break;
    case 1:
      if (i == INT64_MAX) return 0;
      lo = i + 1;
      break;
    case 2: lo = i; break;
    case 3:
      if (i == INT64_MIN) return 0;
      hi = i - 1;
      break;
    case 4: hi = i; break;
    }
  } else {
    double d = sqlite3_value_double(v);
    if (d >= TWO_63) { /* above every integer */
      if (op <= 2) return 0;
    } else if (d < -TWO_63) { /* below every integer */
      if (!lower) return 0;
    } else {
      /* In range: floor and ceil are integers of int64 (a double with a
      ** fraction is below 2^52). */
      sqlite3_int64 f = (sqlite3_int64)floor(d), c = (sqlite3_int64)ceil(d);
      switch (op) {
      case 0:
        if (f != c) return 0;
        lo = hi = f;
        break;
      case 1: lo = f + 1; break; /* f < 2^63 - 1: no overflow */
      case 2: lo = c; break;
      case 3:
        if (c == INT64_MIN) return 0;
        hi = c - 1;
        break;
      case 4: hi = f; break;
      }
    }
  }
  if (lo > r->lo) r->lo = lo;
  if (hi < r->hi) r->hi = hi;
  return r->lo <= r->hi;
}

int values_compare_int64(const void *a, const void *b) {
  sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
  return (x > y) - (x < y);
}

sqlite3_value *values_first(value_list *l, sqlite3_value *arg, int is_in) {
  l->arg = arg;
  l->is_in = is_in;
  l->rc = SQLITE_OK;
  l->item = arg;
#if SQLITE_VERSION_NUMBER >= 3038000
  if (is_in) l->rc = sqlite3_vtab_in_first(arg, &l->item);
#endif
  return l->rc == SQLITE_OK ? l->item : NULL;
}

sqlite3_value *values_next(value_list *l) {
  l->item = NULL;
#if SQLITE_VERSION_NUMBER >= 3038000
  if (l->is_in) l->rc = sqlite3_vtab_in_next(l->arg, &l->item);
#endif
  return l->rc == SQLITE_OK ? l->item : NULL;
}

/* SQLITE_DONE (the end of an IN list) is no error. */
int values_rc(const value_list *l) {
  return l->rc == SQLITE_DONE ? SQLITE_OK : l->rc;
}

/* Collects the integer values of ARG (one value, or an IN list) as a sorted
** array without duplicates; values that equal no integer are dropped. */
int values_collect_integers(sqlite3_value *arg, int is_in, sqlite3_int64 **out,
                            sqlite3_int64 *count) {
  sqlite3_int64 cap = 4, n = 0, v;
  sqlite3_int64 *values = sqlite3_malloc64(cap * sizeof *values);
  value_list l;
  if (!values) return SQLITE_NOMEM;
  for (sqlite3_value *item = values_first(&l, arg, is_in); item;
       item = values_next(&l)) {
    if (!values_exact_integer(item, &v)) continue;
    if (n == cap) {
      sqlite3_int64 *grown =
          sqlite3_realloc64(values, 2 * cap * sizeof *values);
      if (!grown) {
        sqlite3_free(values);
        return SQLITE_NOMEM;
      }
      values = grown;
      cap *= 2;
    }
    values[n++] = v;
  }
  if (values_rc(&l) != SQLITE_OK) {
    sqlite3_free(values);
    return values_rc(&l);
  }
  qsort(values, (size_t)n, sizeof *values, values_compare_int64);
  *count = 0;
  for (sqlite3_int64 i = 0; i < n; i++)
    if (i == 0 || values[i] != values[i - 1]) values[(*count)++] = values[i];
  *out = values;
  return SQLITE_OK;
}
