/*
** stats.h - process-wide counters of the work the tables did, for
** atf_stats(): the difference around a query shows what it read (a point
** lookup decodes one event) and what it met without failing (a torn tail,
** records that skip_corrupt left out), so that Python or Node users, who do
** not see SQLite's log, learn of them.
*/
#ifndef ATF_STATS_H
#define ATF_STATS_H

#include <sqlite3ext.h>

typedef struct atf_stats {
  sqlite3_uint64 records_framed;   /* length prefixes read */
  sqlite3_uint64 headers_decoded;  /* event headers decoded */
  sqlite3_uint64 payloads_decoded; /* event payloads decoded */
  sqlite3_uint64 torn_tails;       /* queries that stopped at a torn tail */
  sqlite3_uint64 records_skipped;  /* records skip_corrupt left out */
  sqlite3_uint64 unread_tails;     /* skip_corrupt queries that stopped at
                                      framing damage, the rest unread */
} atf_stats;

/* Adds DELTA to the counters (atomically; cursors add theirs when a query
** ends) and zeroes DELTA. */
void stats_flush(atf_stats *delta);
void stats_get(atf_stats *out);
/* The counters as a JSON object, from sqlite3_malloc; NULL when out of
** memory. */
char *stats_json(void);

#endif
