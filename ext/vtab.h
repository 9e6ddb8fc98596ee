/*
** vtab.h - what every atf_* table shares, written once: the description of
** a table, the vtab and cursor base types, the module methods that do not
** depend on the table (xCreate, xConnect, xDisconnect, xOpen, xClose,
** xEof), argument handling in xBestIndex and xFilter, and errors.
**
** A table module writes only what is its own: a vtab_table, xBestIndex
** (starting with vtab_plan_args), xFilter (starting with vtab_filter_args),
** xNext, xColumn and xRowid, and its cursor, which begins with a
** vtab_cursor. VTAB_MODULE builds the sqlite3_module from them.
**
** Arguments. A table's arguments are its last columns, declared HIDDEN:
** `atf_events('t', 'skip_corrupt')` is `trace = 't' AND options =
** 'skip_corrupt'`. A table made by CREATE VIRTUAL TABLE keeps the arguments
** it was created with, and an = on its argument columns is then an
** ordinary filter. In a table-valued call every = on an argument column is
** an argument; they are compared as SQLite compares them, so a second value
** (`WHERE trace = 'other'`) filters (no rows when it differs) and is never
** opened, and a NULL argument means no rows, as in SQLite's series.
*/
#ifndef ATF_VTAB_H
#define ATF_VTAB_H

#include <sqlite3ext.h>

#include "atf_reader.h"
#include "trace_cache.h"

/* Argument columns a table may have (trace, and options or at). */
#define VTAB_MAX_ARGS 2

typedef struct vtab_cursor vtab_cursor;
typedef struct vtab_table vtab_table;

/* A table, described once. */
struct vtab_table {
  const char *name;   /* SQL name; also the prefix of its error messages */
  const char *schema; /* CREATE TABLE x(...), the arguments last, HIDDEN */
  int first_arg;      /* column number of the first argument (trace) */
  int n_args;         /* argument columns: 1 (trace) to VTAB_MAX_ARGS */
  size_t cursor_size; /* of the module's cursor, which starts with a
                         vtab_cursor; zeroed by xOpen */
  /* The words the options argument (the second) may hold, NULL-ended;
  ** option i sets bit i of vtab_options' flags. NULL: no options. */
  const char *const *options;
  /* Frees what a query left in the cursor (called before every xFilter),
  ** and when CLOSING (xClose) everything the cursor holds. NULL when there
  ** is nothing to free. */
  void (*reset)(vtab_cursor *cur, int closing);
  /* CREATE VIRTUAL TABLE: checks ARGS after the trace and options
  ** (dequoted text, NULL when not given), so that a bad argument fails when
  ** the table is created, with the message a query would give. NULL: the
  ** trace and options, which xConnect checks itself, are all there is. */
  int (*check_args)(sqlite3 *db, const vtab_table *table, char *const *args,
                    char **err_msg);
  /* For a table whose first argument is not one trace (atf_traces): the
  ** check of CREATE VIRTUAL TABLE's first argument (NULL: trace_probe), and
  ** what to say when it is missing, after "NAME: " (NULL: "no trace
  ** given: use NAME('path/to/pid_dir'), ..."). */
  atf_status (*probe)(const char *arg, atf_error *err);
  const char *missing_arg;
};

/* What the connection's tables share: the traces it has open. */
typedef struct atf_conn {
  trace_cache cache;
  int refs; /* modules registered with it */
} atf_conn;

typedef struct atf_vtab {
  sqlite3_vtab base;
  const vtab_table *table;
  atf_conn *conn;
  sqlite3 *db;
  char *args[VTAB_MAX_ARGS]; /* CREATE VIRTUAL TABLE's, dequoted; or NULL */
} atf_vtab;

struct vtab_cursor {
  sqlite3_vtab_cursor base;
  sqlite3_value *args[VTAB_MAX_ARGS]; /* this query's argument values */
  int eof;
};

/* A new atf_conn for DB, freed when the last module using it goes. */
atf_conn *vtab_conn_new(void);
/* Registers TABLE as MODULE on DB, sharing CONN. */
int vtab_register(sqlite3 *db, atf_conn *conn, const vtab_table *table,
                  const sqlite3_module *module);

/* The module methods every table shares. xConnect (also xCreate: the table
** is eponymous) declares the schema and marks the table
** SQLITE_VTAB_DIRECTONLY (it reads files: only SQL the user writes directly
** may use it, never a view or trigger of a stranger's schema). Given
** arguments (CREATE VIRTUAL TABLE), it checks that a trace is given and
** opens, then the table's check_args. */
int vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                 sqlite3_vtab **out, char **err_msg);
int vtab_disconnect(sqlite3_vtab *vtab);
int vtab_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out);
int vtab_close(sqlite3_vtab_cursor *cur);
int vtab_eof(sqlite3_vtab_cursor *cur);

#define VTAB_MODULE(best_index, filter, next, column, rowid)                   \
  {                                                                            \
    .iVersion = 0, .xCreate = vtab_connect, .xConnect = vtab_connect,          \
    .xBestIndex = best_index, .xDisconnect = vtab_disconnect,                  \
    .xDestroy = vtab_disconnect, .xOpen = vtab_open, .xClose = vtab_close,     \
    .xFilter = filter, .xNext = next, .xEof = vtab_eof, .xColumn = column,     \
    .xRowid = rowid                                                            \
  }

/*
** The low VTAB_ARG_BITS of idxNum belong to the arguments, the rest to the
** table. Per argument j, bits 3j..3j+1 count the values passed (0-3) and
** bit 3j+2 says a value other than the first has a collation other than
** BINARY (SQLite then tests those values itself).
*/
#define VTAB_ARG_BITS 6

/* xBestIndex, first step: passes every usable = constraint on an argument
** column to xFilter (argvIndex 1, 2, ..., arguments in column order, at
** most 3 values each; beyond, SQLite tests them). Returns SQLITE_CONSTRAINT
** when an argument has = constraints but none usable yet (the plan must
** wait for it); else SQLITE_OK with *IDX_NUM holding the argument bits,
** *N_ARGV the argv slots used and *HAS_TRACE whether a trace is known
** (passed, or the created table's). */
int vtab_plan_args(sqlite3_vtab *vtab, sqlite3_index_info *info, int *idx_num,
                   int *n_argv, int *has_trace);

/* xFilter, first step: takes the argument values from ARGV as
** vtab_plan_args placed them (*N_ARGV: slots used) and keeps copies for
** the argument columns. *MATCH is 0 when they admit no row: a NULL
** argument, or two values of one argument that SQLite would not find
** equal. Returns SQLITE_OK or SQLITE_NOMEM. */
int vtab_filter_args(vtab_cursor *cur, int idx_num, sqlite3_value **argv,
                     int *n_argv, int *match);

/* Parses TEXT, option words separated by commas or spaces, into *FLAGS
** (bit i: table->options[i] given). An unknown word is an error naming it
** and the known ones. NULL TEXT: no options. */
int vtab_parse_options(const vtab_table *table, const char *text,
                       unsigned *flags, char **err_msg);
/* The same for a query's options argument; the error goes to the vtab. */
int vtab_options(vtab_cursor *cur, unsigned *flags);

/* Argument J as text: this query's value, else the created table's; NULL
** when there is neither. */
const char *vtab_arg_text(vtab_cursor *cur, int j);
/* The trace argument; NULL, with the error set, when none is given. */
const char *vtab_trace(vtab_cursor *cur);
/* The number of values of argument J passed by the plan IDX_NUM. */
#define VTAB_ARG_COUNT(idx_num, j) (((idx_num) >> (3 * (j))) & 3)
/* The value of argument column J, as given. */
void vtab_result_arg(vtab_cursor *cur, sqlite3_context *ctx, int j);

/* An atf_interrupt for the long passes of a query (index builds, walks of
** every call): they stop when the statement is interrupted
** (sqlite3_interrupt, Ctrl-C in the shell). SQLite before 3.41 has no
** sqlite3_is_interrupted, so the check steps a trivial statement on the
** same connection, which fails with SQLITE_INTERRUPT then (every
** ATF_INTERRUPT_RECORDS records: a few microseconds per 4096 records). */
atf_interrupt vtab_interrupt(vtab_cursor *cur);

/* Sets VTAB's error to "<table>: <printf of FMT>"; returns RC. */
int vtab_error(sqlite3_vtab *vtab, int rc, const char *fmt, ...);
/* Sets VTAB's error from a reader error; returns SQLITE_NOMEM,
** SQLITE_INTERRUPT or SQLITE_ERROR. */
int vtab_reader_error(sqlite3_vtab *vtab, const atf_error *err);
/* The connection's traces, for a cursor of any table. */
trace_cache *vtab_cache(vtab_cursor *cur);

/* Sets the result to BYTES as TEXT when it is valid UTF-8, and as a BLOB of
** the same bytes when it is not, so nothing is lost or mangled. */
void vtab_result_text(sqlite3_context *ctx, atf_bytes bytes);
/* Sets the result to the sum S: its exact INTEGER, or the REAL it reached
** when it went past int64 (as SQLite's sum() does). */
void vtab_result_sum(sqlite3_context *ctx, const atf_sum *s);

#endif
