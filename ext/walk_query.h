/*
** walk_query.h - what the tables over calls (atf_calls, atf_functions,
** atf_threads, atf_stack) share for one query: the trace held, the
** thread_id filter, the walker, its counters flushed to atf_stats when the
** query ends, and the registers of a call's or return's record.
*/
#ifndef ATF_WALK_QUERY_H
#define ATF_WALK_QUERY_H

#include "events_row.h"
#include "events_v2.h"
#include "stats.h"
#include "vtab.h"

typedef struct walk_query {
  trace_entry *entry;
  atf_walker *walker;
  int32_t *threads; /* thread_id = / IN, sorted; NULL: every thread */
  size_t n_threads;
  int skip_corrupt;
  int close_at_last_ts; /* open calls end at their thread's last ts */
  atf_stats stats;
  events_row row; /* rendering registers (v4) */
  events_v2 v2;   /* ... (v2) */
} walk_query;

/* The plan's bits for thread_id, the first above the arguments': */
#define WALK_THREAD (1 << (VTAB_ARG_BITS + 0))    /* thread_id = ? or IN */
#define WALK_THREAD_IN (1 << (VTAB_ARG_BITS + 1)) /* ... an IN list whole */
#define WALK_FIRST_FREE_BIT (VTAB_ARG_BITS + 2)
/* Every walking table's first option word is 'skip_corrupt'. */
#define WALK_OPTION_SKIP_CORRUPT 1u

/* xBestIndex: takes the first usable thread_id = (column COLUMN) as the
** next argv (after *N_ARGV), omitted, an IN list handed over whole; sets
** WALK_THREAD (and WALK_THREAD_IN) in *IDX. Returns whether it did. */
int walk_query_plan_threads(sqlite3_index_info *info, int column, int *idx,
                            int *n_argv);
/* xFilter: the thread filter of the plan IDX from *ARGV, which moves past
** it. */
int walk_query_filter_threads(walk_query *q, int idx, sqlite3_value ***argv);

/* xBestIndex of a table whose rows come from one walk of the whole trace
** (atf_functions, atf_threads, atf_flamegraph): the arguments, then
** thread_id = or IN at THREAD_COLUMN; ROWS estimated (1 per thread asked). */
int walk_query_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info,
                          int thread_column, double rows);
/* xFilter's first part for such a table: the arguments and options (into
** *OPTIONS; skip_corrupt set on Q), the thread filter, the trace acquired
** and a walker started (set close_at_last_ts on Q before). *RUN is 0 when
** the plan gives no row (a NULL argument, no thread left): then return. */
int walk_query_begin(walk_query *q, vtab_cursor *cur, int idx_num,
                     sqlite3_value **argv, unsigned *options, int *run);
/* Acquires CUR's trace into Q (with its error set on CUR's vtab on
** failure). */
int walk_query_acquire(walk_query *q, vtab_cursor *cur);
/* The thread ids of ARG (one value, or an IN list handed over whole):
** sorted, only those an int32 holds. No value left means no row. */
int walk_query_threads(walk_query *q, sqlite3_value *arg, int is_in);
/* Whether THREAD passes the filter. */
int walk_query_wants(const walk_query *q, int32_t thread);
/* A new walker over THREADS (N of them; NULL: all) of the trace, from its
** start, interruptible with the statement (vtab_interrupt). */
int walk_query_start(walk_query *q, vtab_cursor *cur, const int32_t *threads,
                     size_t n);
/* Frees the walker, its counters added to Q's. */
void walk_query_stop(walk_query *q);
/* Ends the query: the walker stopped, the counters flushed, the trace
** released, the filter freed; CLOSING: the cursor's buffers freed too. */
void walk_query_end(walk_query *q, vtab_cursor *cur, int closing);
/* The registers of the record KEY (v4 byte offset, v2 rowid) of the trace
** held, as atf_events renders its registers column, into CTX. */
int walk_query_registers(walk_query *q, vtab_cursor *cur, sqlite3_context *ctx,
                         uint64_t key);

#endif
