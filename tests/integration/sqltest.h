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
#include <string.h>

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

/*
** Creates TABLE, a plain SQLite table with the declared types of the
** columns of atf_events (its hidden arguments left out), and fills it with
** SELECT * FROM SOURCE (e.g. "atf_events(?1)", ?1 = TRACE), rows in file
** order. Returns NULL, or the error message (static buffer).
**
** It is the reference for "a query over atf_events returns what SQLite
** returns over the same rows in a plain table". offset is declared
** INTEGER PRIMARY KEY, so that rowid (and _rowid_, oid) means the same in
** both tables, as atf_events' rowid is the offset, and so that a plain
** table's scan (rowid order) is file order, as atf_events promises. It
** changes no value: the column's affinity stays INTEGER, an offset is
** always an integer and never NULL, and two rows with one offset (which
** would be a bug of the table) fail the INSERT instead of passing silently.
** Comparisons on it take SQLite's rowid paths (seeks with MustBeInt), which
** SQLite keeps equivalent to comparisons on an INTEGER column. The types
** are read from the table itself (pragma table_xinfo), so a change of
** atf_events' schema changes the reference with it.
*/
static inline const char *make_reference_table(sqlite3 *db, const char *table,
                                               const char *source,
                                               const char *trace) {
  static char error[2048];
  sqlite3_stmt *st;
  sqlite3_str *create;
  char *sql;
  int n = 0, rc;
  if (sqlite3_prepare_v2(db,
                         "SELECT name, type FROM pragma_table_xinfo"
                         "('atf_events') WHERE hidden = 0 ORDER BY cid",
                         -1, &st, NULL) != SQLITE_OK) {
    snprintf(error, sizeof error, "table_xinfo: %s", sqlite3_errmsg(db));
    return error;
  }
  create = sqlite3_str_new(db);
  sqlite3_str_appendf(create,
                      "DROP TABLE IF EXISTS \"%w\"; CREATE TABLE \"%w\"(",
                      table, table);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *type = (const char *)sqlite3_column_text(st, 1);
    int is_offset =
        n == 0 && strcmp(name, "offset") == 0 && strcmp(type, "INTEGER") == 0;
    sqlite3_str_appendf(create, "%s\"%w\" %s%s", n ? ", " : "", name, type,
                        is_offset ? " PRIMARY KEY" : "");
    n++;
  }
  sqlite3_finalize(st);
  sqlite3_str_appendall(create, ")");
  sql = sqlite3_str_finish(create);
  if (n < 2 || !sql) {
    snprintf(error, sizeof error, "atf_events has no columns");
    sqlite3_free(sql);
    return error;
  }
  rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    snprintf(error, sizeof error, "CREATE TABLE %s: %s", table,
             sqlite3_errmsg(db));
    return error;
  }
  sql = sqlite3_mprintf("INSERT INTO \"%w\" SELECT * FROM %s", table, source);
  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (rc == SQLITE_OK) {
    if (trace) sqlite3_bind_text(st, 1, trace, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return NULL;
  }
  snprintf(error, sizeof error, "INSERT INTO %s SELECT * FROM %s: %s", table,
           source, sqlite3_errmsg(db));
  return error;
}

#endif
