/*
** stats.c - see stats.h.
*/
#include <stdatomic.h>
#include <string.h>

#include "stats.h"
SQLITE_EXTENSION_INIT3

#define N_COUNTERS (sizeof(atf_stats) / sizeof(sqlite3_uint64))
static _Atomic sqlite3_uint64 counters[N_COUNTERS];

void stats_flush(atf_stats *delta) {
  const sqlite3_uint64 *d = (const sqlite3_uint64 *)delta;
  for (size_t i = 0; i < N_COUNTERS; i++)
    if (d[i])
      atomic_fetch_add_explicit(&counters[i], d[i], memory_order_relaxed);
  memset(delta, 0, sizeof *delta);
}

void stats_get(atf_stats *out) {
  sqlite3_uint64 *o = (sqlite3_uint64 *)out;
  for (size_t i = 0; i < N_COUNTERS; i++)
    o[i] = atomic_load_explicit(&counters[i], memory_order_relaxed);
}

char *stats_json(void) {
  atf_stats s;
  stats_get(&s);
  return sqlite3_mprintf("{\"records_framed\":%llu,\"headers_decoded\":%llu,"
                         "\"payloads_decoded\":%llu,\"torn_tails\":%llu,"
                         "\"records_skipped\":%llu,\"unread_tails\":%llu}",
                         s.records_framed, s.headers_decoded,
                         s.payloads_decoded, s.torn_tails, s.records_skipped,
                         s.unread_tails);
}
