-- A whole session as one join, over ATF v4 and v2 traces alike, on the
-- folder tests/integration/traces_test.sh builds. Expected output:
-- traces_v2_join.expected (counted from the files by a Python struct
-- decoder, and equal to the v4 trace of the same seed).
.headers on
.mode list
.nullvalue NULL
.print -- a session's events by pid and kind: v4 and v2 of the same seed
SELECT t.pid, t.format, e.kind, count(*) AS n
  FROM atf_traces('root/gen/session_gen') t, atf_events(t.path) e
 WHERE t.pid IN (100, 102, 103) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
.print -- the bundled v2 sessions (the empty one has no events)
SELECT t.pid, e.kind, count(*) AS n
  FROM atf_traces('root/atf2') t, atf_events(t.path) e
 GROUP BY 1, 2 ORDER BY 1, 2;
.print -- event_count is what atf_events reads
SELECT path, event_count = (SELECT count(*) FROM atf_events(t.path)) AS same
  FROM atf_traces('root') t WHERE format = 'atf2' AND error IS NULL;
