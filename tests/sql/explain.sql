-- What the planner hands to atf_events: EXPLAIN QUERY PLAN shows the index
-- string xBestIndex builds (trace, offset bounds, IN, LIMIT, skip, decode).
.print -- point lookup, no column beyond offset: framing only
EXPLAIN QUERY PLAN SELECT offset FROM atf_events('pid_4242') WHERE offset = 105;
.print -- IN list handed over whole
EXPLAIN QUERY PLAN SELECT event_id FROM atf_events('pid_4242') WHERE offset IN (0, 105, 217);
.print -- rowid range
EXPLAIN QUERY PLAN SELECT * FROM atf_events('pid_4242') WHERE rowid > 100 AND rowid <= 2000;
.print -- LIMIT and OFFSET stay with SQLite before 3.46 (this shell's is 3.40)
EXPLAIN QUERY PLAN SELECT symbol FROM atf_events('pid_4242') LIMIT 5 OFFSET 10;
.print -- ORDER BY offset costs no sort
EXPLAIN QUERY PLAN SELECT offset FROM atf_events('pid_4242') ORDER BY offset LIMIT 3;
.print -- thread_id and kind tested in the table, before other columns
EXPLAIN QUERY PLAN SELECT symbol FROM atf_events('pid_4242') WHERE thread_id = 2 AND kind IN ('function_call', 'function_return') LIMIT 5;
.print -- ts and event_id ranges (BETWEEN is >= and <=): whole blocks skipped
EXPLAIN QUERY PLAN SELECT count(*) FROM atf_events('pid_4242') WHERE ts BETWEEN 1700000000123456789 AND 1700000000123460000 AND event_id > 3;
.print -- a filter SQLite must test itself: LIMIT stays with SQLite
EXPLAIN QUERY PLAN SELECT symbol FROM atf_events('pid_4242') WHERE symbol = 'main' LIMIT 5;
.print -- count(*) decodes nothing
EXPLAIN QUERY PLAN SELECT count(*) FROM atf_events('pid_4242');
.print -- and the rows agree with what the plans promise
SELECT group_concat(event_id) FROM (SELECT event_id FROM atf_events('pid_4242') LIMIT 5 OFFSET 10);
SELECT group_concat(event_id) FROM (SELECT event_id FROM atf_events('pid_4242') WHERE thread_id = 2 LIMIT 5);
SELECT group_concat(event_id) FROM (SELECT event_id FROM atf_events('pid_4242') WHERE thread_id IN (2, 3) AND kind = 'function_return' LIMIT 3 OFFSET 1);
SELECT count(*), min(event_id), max(event_id) FROM atf_events('pid_4242') WHERE ts BETWEEN 1700000000123456789 AND 1700000000123460000 AND event_id > 3;
SELECT group_concat(offset) FROM (SELECT offset FROM atf_events('pid_4242') ORDER BY offset DESC LIMIT 3);
.print -- a join with a small table drives seeks: atf_events is the inner loop, by offset
CREATE TEMP TABLE wanted(o INTEGER);
INSERT INTO wanted VALUES (0), (105), (6779), (7);
ANALYZE temp;
EXPLAIN QUERY PLAN SELECT e.kind FROM wanted w JOIN atf_events('pid_4242') e ON e.offset = w.o;
SELECT group_concat(e.kind) FROM wanted w JOIN atf_events('pid_4242') e ON e.offset = w.o;
