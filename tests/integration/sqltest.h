/*
** sqltest.h - what the SQL integration tests share: a connection with the
** extension loaded as an application loads it, and one-value queries.
*/
#ifndef ATF_SQLTEST_H
#define ATF_SQLTEST_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A fresh in-memory database with build/atf loaded; exits if it cannot. */
static inline sqlite3 *open_db(void) {
  sqlite3 *db = NULL;
  char *err = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
      sqlite3_enable_load_extension(db, 1) != SQLITE_OK ||
      sqlite3_load_extension(db, ATF_EXTENSION, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "cannot load %s: %s\n", ATF_EXTENSION,
            err ? err : sqlite3_errmsg(db));
    exit(2);
  }
  return db;
}

/* The first column of the first row of SQL (with ?1 = TRACE) as text, in a
** static buffer; "ERROR: message" when the statement fails. */
static inline const char *query_text(sqlite3 *db, const char *sql,
                                     const char *trace) {
  static char out[4096];
  sqlite3_stmt *st;
  int rc;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    snprintf(out, sizeof out, "ERROR: %s", sqlite3_errmsg(db));
    return out;
  }
  if (trace) sqlite3_bind_text(st, 1, trace, -1, SQLITE_TRANSIENT);
  out[0] = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (out[0] == 0) {
      const char *t = (const char *)sqlite3_column_text(st, 0);
      snprintf(out, sizeof out, "%s", t ? t : "NULL");
    }
  }
  if (rc != SQLITE_DONE)
    snprintf(out, sizeof out, "ERROR: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return out;
}

/* The first column of the first row of SQL as an integer (0 on error:
 * query_text says). */
static inline int64_t query_int(sqlite3 *db, const char *sql,
                                const char *trace) {
  return strtoll(query_text(db, sql, trace), NULL, 10);
}

/* The detail column of EXPLAIN QUERY PLAN for SQL, rows joined by "; ". */
static inline const char *plan_of(sqlite3 *db, const char *sql) {
  static char out[1024];
  char *explain = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
  sqlite3_stmt *st;
  size_t len = 0;
  out[0] = 0;
  if (sqlite3_prepare_v2(db, explain, -1, &st, NULL) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW)
      len += (size_t)snprintf(out + len, sizeof out - len, "%s; ",
                              (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
  }
  sqlite3_free(explain);
  return out;
}

#endif
