/*
** sql_result.h - one statement's whole answer, kept exactly (type and bytes
** of every value), and the comparison of two answers, for the differential
** SQL test.
**
** A row is kept as one printable string that names each value's storage
** class without ambiguity: 12 (INTEGER), REAL(12.0) (REAL, %.17g, which
** reads back to the same double), 'a\x00b' (TEXT, bytes beyond printable
** ASCII and the quote escaped), x'00ff' (BLOB), NULL; values joined by " | ".
** Two rows are equal exactly when their strings are.
*/
#ifndef ATF_SQL_RESULT_H
#define ATF_SQL_RESULT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A value a test binds or writes as a literal: TYPE is SQLITE_INTEGER,
** SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL. BYTES (TEXT, BLOB)
** is owned by whoever made the value (sqlval_free). */
typedef struct sqlval {
  int type;
  int64_t i;
  double r;
  unsigned char *bytes;
  size_t len;
} sqlval;

sqlval sqlval_int(int64_t i);
sqlval sqlval_real(double r);
sqlval sqlval_null(void);
/* TEXT or BLOB (TYPE) holding a copy of the LEN bytes at P. */
sqlval sqlval_bytes(int type, const void *p, size_t len);
sqlval sqlval_copy(const sqlval *v);
sqlval sqlval_from_column(sqlite3_stmt *st, int col);
void sqlval_free(sqlval *v);

/* V as an SQL expression that evaluates to exactly V (sqlite3_free it):
** TEXT with a NUL byte is spelled with char(0), TEXT that is not UTF-8 as
** CAST(x'..' AS TEXT). */
char *sqlval_literal(const sqlval *v);

/* Binds V to parameter N of ST (the parameter need not exist). */
void sqlval_bind(sqlite3_stmt *st, int n, const sqlval *v);

typedef struct result {
  int ok;          /* 0: the statement failed, error holds the message */
  int interrupted; /* stopped by the step budget (not an answer) */
  char *error;
  char **rows;
  size_t n_rows, cap;
} result;

/* Runs SQL on DB with ?1 = TRACE (when non-NULL) and ?2.. = PARAMS, filling
** OUT with every row. A prepare or step error is an answer (ok = 0). The
** caller's progress handler may interrupt it (interrupted = 1). Exits the
** process on out-of-memory. */
void result_run(sqlite3 *db, const char *sql, const char *trace,
                const sqlval *params, int n_params, result *out);
void result_free(result *r);

typedef enum verdict {
  SAME = 0,
  ROWS_DIFFER,    /* different rows (as a multiset) */
  ORDER_DIFFERS,  /* the same rows in another order, where order counts */
  ERROR_ONE_SIDE, /* one side failed, the other did not */
} verdict;

const char *verdict_name(verdict v);

/* Compares the answers A (table under test) and B (reference): in order
** when ORDERED, else as multisets. Two errors are the same answer. */
verdict result_compare(const result *a, const result *b, int ordered);

/* Prints R to F: the error, or the row count and up to MAX rows; with
** FROM, the rows from index FROM (the first difference) on. */
void result_print(FILE *f, const char *label, const result *r, size_t from,
                  size_t max);

/* The index of the first row where A and B differ (in order), or the
** smaller row count when one is a prefix of the other. */
size_t result_first_difference(const result *a, const result *b);

#endif
