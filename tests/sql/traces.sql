-- atf_traces over a folder built by tests/integration/traces_test.sh: the
-- bundled v4 and v2 sessions, generated traces (finalized and crashed, v4
-- and v2), damaged ones, links that loop, a hidden folder and a deep chain.
-- Expected output: traces.expected.
.headers on
.mode list
.nullvalue NULL
.print -- every trace under the root, one row each, sorted by path
SELECT rowid, path, session, pid, format, finalized, os, arch, threads,
       event_count, bytes, time_start_ns, time_end_ns
  FROM atf_traces('root');
.print -- errors: damage is a row, never a failed query
SELECT path, format, finalized, error FROM atf_traces('root')
 WHERE error IS NOT NULL;
.print -- the counts agree with what atf_events reads (v4)
SELECT path, finalized, event_count,
       (SELECT count(*) FROM atf_events(t.path)) AS rows,
       bytes = (SELECT sum(size) FROM atf_events(t.path)) AS bytes_agree,
       finalized OR (time_start_ns = (SELECT ts FROM atf_events(t.path)
                                      ORDER BY offset LIMIT 1) AND
                     time_end_ns = (SELECT ts FROM atf_events(t.path)
                                    ORDER BY offset DESC LIMIT 1))
         AS times_agree
  FROM atf_traces('root/gen') t WHERE format = 'atf4';
.print -- a whole session is a join (v4 traces)
SELECT t.pid, e.kind, count(*) AS n
  FROM atf_traces('root/gen/session_gen') t, atf_events(t.path) e
 WHERE t.format = 'atf4' GROUP BY 1, 2 ORDER BY 1, 2;
.print -- a root that is a trace: itself, its session the folder above
SELECT path, session, pid, format, event_count
  FROM atf_traces('root/gen/session_gen/pid_101');
SELECT path, session, pid, format, event_count
  FROM atf_traces('root/atf2/session_20261129_210031/pid_48213/');
.print -- a root that is a trace's file: that trace, named as given
SELECT path, session, pid, format, finalized, event_count
  FROM atf_traces('root/gen/session_gen/pid_100/events.bin');
SELECT path, session, pid, format, finalized, event_count
  FROM atf_traces('root/atf2/session_20261129_210032/pid_48377/thread_1/index.atf');
.print -- the listing is the order: ORDER BY path sorts nothing
EXPLAIN QUERY PLAN SELECT path FROM atf_traces('root') ORDER BY path;
.print -- a created table, and the hidden root column
CREATE VIRTUAL TABLE temp.tr USING atf_traces('root/atf2');
SELECT count(*), sum(event_count), min(root) FROM temp.tr;
SELECT count(*) FROM atf_traces(NULL);
