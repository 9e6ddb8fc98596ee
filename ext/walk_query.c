/*
** walk_query.c - see walk_query.h.
*/
#include <stdlib.h>
#include <string.h>

#include "values.h"
#include "walk_query.h"
SQLITE_EXTENSION_INIT3

int walk_query_acquire(walk_query *q, vtab_cursor *cur) {
  const char *trace = vtab_trace(cur);
  atf_error err;
  if (!trace) return SQLITE_ERROR;
  if (trace_cache_acquire(vtab_cache(cur), trace, &q->entry, &err) != ATF_OK)
    return vtab_reader_error(cur->base.pVtab, &err);
  return SQLITE_OK;
}

static int compare_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

int walk_query_threads(walk_query *q, sqlite3_value *arg, int is_in) {
  sqlite3_int64 *values, n;
  int rc = values_collect_integers(arg, is_in, &values, &n);
  if (rc != SQLITE_OK) return rc;
  q->n_threads = 0;
  q->threads = sqlite3_malloc64((n ? n : 1) * sizeof *q->threads);
  if (q->threads)
    for (sqlite3_int64 i = 0; i < n; i++)
      if (values[i] >= INT32_MIN && values[i] <= INT32_MAX)
        q->threads[q->n_threads++] = (int32_t)values[i]; /* stays sorted */
  sqlite3_free(values);
  return q->threads ? SQLITE_OK : SQLITE_NOMEM;
}

int walk_query_plan_threads(sqlite3_index_info *info, int column, int *idx,
                            int *n_argv) {
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    if (!k->usable || k->op != SQLITE_INDEX_CONSTRAINT_EQ ||
        k->iColumn != column)
      continue;
    *idx |= WALK_THREAD;
    info->aConstraintUsage[i].argvIndex = ++*n_argv;
    info->aConstraintUsage[i].omit = 1;
#if SQLITE_VERSION_NUMBER >= 3038000
    if (sqlite3_libversion_number() >= 3038000 &&
        sqlite3_vtab_in(info, i, -1) && sqlite3_vtab_in(info, i, 1))
      *idx |= WALK_THREAD_IN;
#endif
    return 1;
  }
  return 0;
}

int walk_query_filter_threads(walk_query *q, int idx, sqlite3_value ***argv) {
  if (!(idx & WALK_THREAD)) return SQLITE_OK;
  return walk_query_threads(q, *(*argv)++, idx & WALK_THREAD_IN);
}

int walk_query_wants(const walk_query *q, int32_t thread) {
  return !q->threads || bsearch(&thread, q->threads, q->n_threads,
                                sizeof *q->threads, compare_i32) != NULL;
}

int walk_query_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info,
                          int thread_column, double rows) {
  int idx, n_argv, has_trace;
  int rc = vtab_plan_args(vtab, info, &idx, &n_argv, &has_trace);
  if (rc != SQLITE_OK) return rc;
  if (walk_query_plan_threads(info, thread_column, &idx, &n_argv) && rows > 1)
    rows = 1;
  info->idxNum = idx;
  info->estimatedRows = (sqlite3_int64)rows;
  info->estimatedCost = has_trace ? 1e6 : 1e12;
  return SQLITE_OK;
}

int walk_query_begin(walk_query *q, vtab_cursor *cur, int idx_num,
                     sqlite3_value **argv, unsigned *options, int *run) {
  int a, rc, match;
  *run = 0;
  rc = vtab_filter_args(cur, idx_num, argv, &a, &match);
  if (rc != SQLITE_OK || !match) return rc;
  argv += a;
  if ((rc = vtab_options(cur, options)) != SQLITE_OK ||
      (rc = walk_query_filter_threads(q, idx_num, &argv)) != SQLITE_OK)
    return rc;
  q->skip_corrupt = (*options & WALK_OPTION_SKIP_CORRUPT) != 0;
  if (q->threads && !q->n_threads) return SQLITE_OK;
  if ((rc = walk_query_acquire(q, cur)) != SQLITE_OK ||
      (rc = walk_query_start(q, cur, q->threads, q->n_threads)) != SQLITE_OK)
    return rc;
  *run = 1;
  return SQLITE_OK;
}

int walk_query_start(walk_query *q, vtab_cursor *cur, const int32_t *threads,
                     size_t n) {
  atf_walk_options o;
  memset(&o, 0, sizeof o);
  o.threads = threads;
  o.n_threads = n;
  o.skip_corrupt = q->skip_corrupt;
  o.close_at_last_ts = q->close_at_last_ts;
  o.stop = vtab_interrupt(cur);
  walk_query_stop(q);
  q->walker = q->entry->format == ATF_FORMAT_V2
                  ? atf_walker_new_v2(&q->entry->v2, &o)
                  : atf_walker_new(&q->entry->map, &o);
  return q->walker ? SQLITE_OK : SQLITE_NOMEM;
}

void walk_query_stop(walk_query *q) {
  const atf_walk_counts *n;
  if (!q->walker) return;
  n = atf_walker_counts(q->walker);
  q->stats.records_framed += n->records;
  q->stats.headers_decoded += n->headers;
  q->stats.payloads_decoded += n->payloads;
  q->stats.records_skipped += n->skipped;
  q->stats.torn_tails += n->torn;
  atf_walker_free(q->walker);
  q->walker = NULL;
}

void walk_query_end(walk_query *q, vtab_cursor *cur, int closing) {
  walk_query_stop(q);
  if (closing) {
    events_row_free(&q->row);
    events_v2_end(&q->v2, 1);
  }
  stats_flush(&q->stats);
  if (q->entry) trace_cache_release(vtab_cache(cur), q->entry);
  q->entry = NULL;
  sqlite3_free(q->threads);
  q->threads = NULL;
  q->n_threads = 0;
}

int walk_query_registers(walk_query *q, vtab_cursor *cur, sqlite3_context *ctx,
                         uint64_t key) {
  atf_record rec;
  atf_error err;
  if (q->entry->format == ATF_FORMAT_V2)
    return events_v2_registers(&q->v2, &q->entry->v2, key, ctx);
  if (atf_record_at(&q->entry->map, key, &rec, &err) != ATF_OK) {
    sqlite3_result_error(ctx, err.message, -1);
    return SQLITE_ERROR;
  }
  q->row.stats = &q->stats;
  q->row.length_limit =
      sqlite3_limit(((atf_vtab *)cur->base.pVtab)->db, SQLITE_LIMIT_LENGTH, -1);
  events_row_start(&q->row, &rec);
  return events_row_column(&q->row, ctx, COL_REGISTERS);
}
