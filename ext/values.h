/*
** values.h - constraint values as SQLite compares them with a column of
** INTEGER affinity (numeric affinity first: ' 12 ' is 12, '1e3' is 1000.0;
** integers exactly, reals by their exact value, text and blobs above every
** integer, NULL never), shared by the tables' xFilter.
*/
#ifndef ATF_VALUES_H
#define ATF_VALUES_H

#include <sqlite3ext.h>

/* An inclusive range of 64-bit values a column may take. */
typedef struct int_range {
  sqlite3_int64 lo, hi;
} int_range;

/* Whether V equals an integer; if so the integer goes to *OUT. */
int values_exact_integer(sqlite3_value *v, sqlite3_int64 *out);

/* Narrows R by "column OP V" (OP: 0 =, 1 >, 2 >=, 3 <, 4 <=). Returns 0
** when nothing can match. */
int values_narrow_range(int op, sqlite3_value *v, int_range *r);

/* The values of a constraint: the value itself, or each of an IN list
** handed over whole (sqlite3_vtab_in). */
typedef struct value_list {
  sqlite3_value *arg, *item;
  int is_in, rc;
} value_list;
sqlite3_value *values_first(value_list *l, sqlite3_value *arg, int is_in);
sqlite3_value *values_next(value_list *l); /* NULL after the last */
int values_rc(const value_list *l);        /* SQLITE_OK, or the error */

/* The integer values of ARG (one value, or an IN list) as a sorted array
** without duplicates (sqlite3_malloc), values that equal no integer
** dropped. */
int values_collect_integers(sqlite3_value *arg, int is_in, sqlite3_int64 **out,
                            sqlite3_int64 *count);

/* qsort/bsearch order of sqlite3_int64. */
int values_compare_int64(const void *a, const void *b);

#endif
