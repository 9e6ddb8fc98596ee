/*
** query_gen.h - a seeded random generator of SELECT statements over the
** columns of atf_events, for the differential SQL test.
**
** A query is kept in parts (select list, FROM, a WHERE tree, GROUP BY,
** ORDER BY, LIMIT) so that a failing one can be shrunk part by part. Its
** text names tables by placeholders that query_render replaces:
**   $T  the table under test (atf_events(?1) or the reference table),
**   $S  the table of a subquery in the WHERE,
**   $B  the right side of a join.
** ?1 is the trace; ?2.. are the query's own parameters (params).
**
** The same seed and pools give the same query.
*/
#ifndef ATF_QUERY_GEN_H
#define ATF_QUERY_GEN_H

#include <stdint.h>

#include "sql_result.h"

/* The columns of SELECT * FROM atf_events, in order. */
enum {
  C_OFFSET,
  C_SIZE,
  C_EVENT_ID,
  C_THREAD_ID,
  C_TS,
  C_KIND,
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
  C_CPU_ARCHITECTURE,
  N_COLUMNS
};
extern const char *const column_names[N_COLUMNS];

/* Values that occur in the trace, per column: literals drawn from them
** (and near them) match rows. rows is the table's row count. */
typedef struct pools {
  sqlval *values[N_COLUMNS];
  size_t n[N_COLUMNS];
  int64_t rows;
} pools;

/* What a query is, for the per-class counts. */
typedef enum shape {
  SHAPE_SCAN,       /* one table, rows */
  SHAPE_AGGREGATE,  /* one table, count/min/max/sum: one row */
  SHAPE_GROUP,      /* GROUP BY a column */
  SHAPE_DISTINCT,   /* SELECT DISTINCT a column */
  SHAPE_JOIN,       /* the table with itself (or the reference) */
  SHAPE_LEFT_JOIN,  /* each row with the record after it */
  SHAPE_CORRELATED, /* a correlated scalar subquery with ORDER BY/LIMIT */
  SHAPE_EXISTS,     /* a correlated EXISTS */
  N_SHAPES
} shape;
extern const char *const shape_names[N_SHAPES];

/* A WHERE tree: AND, OR, NOT over leaf terms. */
typedef enum node_op { N_LEAF, N_AND, N_OR, N_NOT } node_op;
typedef struct qnode {
  node_op op;
  char *text; /* N_LEAF */
  struct qnode *a, *b;
} qnode;

#define QUERY_MAX_PARAMS 12

typedef struct query {
  shape shape;
  char *select, *from, *group, *order, *limit;
  qnode *where;
  int order_total;    /* ORDER BY orders every row (ties impossible) */
  int single;         /* one table: an unordered scan is in file order */
  int sub_reference;  /* on the tested side, $S is the reference table */
  int join_reference; /* on the tested side, $B is the reference table */
  sqlval params[QUERY_MAX_PARAMS];
  int n_params;
} query;

/* A random query from SEED over the values of P. */
void query_generate(query *q, uint64_t seed, const pools *p);
void query_free(query *q);
/* OUT = a deep copy of Q. */
void query_copy(query *out, const query *q);

/* The statement text with $T = TABLE, $S = SUB, $B = JOIN. */
char *query_render(const query *q, const char *table, const char *sub,
                   const char *join);

/* Whether the answer's order is part of what is compared: a total ORDER
** BY, or an unordered single-table scan without OR (rows in file order,
** as the reference's rowid order). Else rows are compared as multisets. */
int query_ordered(const query *q);
/* Whether a plain scan of the table under test comes in offset (rowid)
** order, as over an ATF v4 trace (the default: 1). Over ATF v2 rows come by
** timestamp: then only a total ORDER BY orders a result. */
void query_scans_in_rowid_order(int yes);

/* Whether Q may be run: a LIMIT needs an order that makes it exact. */
int query_valid(const query *q);

/* Simpler variants of Q for shrinking: fills OUT (deep copies) and returns
** how many, at most MAX. */
int query_simpler(const query *q, query *out, int max);

/* Q's text with every literal replaced by #: failures with the same
** skeleton are one class. sqlite3_free it. */
char *query_skeleton(const char *sql);

#endif
