-- The ATF v2 fixtures written by the ADA tracer's own v2 writer
-- (tests/fixtures/atf2/README.md), read through the real sqlite3 shell from
-- that folder: every table over a finalized, a crashed and an empty trace.
-- Expected output: fixture_v2.expected.
.headers on
.mode list
.nullvalue NULL
.print -- the session folders, as atf_traces lists them
SELECT session, pid, format, finalized, threads, event_count, bytes, error
  FROM atf_traces('.') ORDER BY path;
.print -- small: events by thread and kind (181 events, 3 threads)
SELECT thread_id, kind, count(*) AS n, count(registers) AS with_detail
  FROM atf_events('session_20261129_210031/pid_48213')
 GROUP BY 1, 2 ORDER BY 1, 2;
.print -- small: the first rows in merge order, every column but the stack
SELECT rowid, offset, size, event_id, thread_id, ts, kind, symbol,
       printf('0x%016x', function_id) AS function_id, call_depth,
       os_thread_id, registers, length(stack) AS stack_bytes
  FROM atf_events('session_20261129_210031/pid_48213') LIMIT 4;
.print -- small: the manifest
SELECT os, arch, pid, time_start_ns, time_end_ns, event_count, format,
       format_version, threads, json_array_length(modules) AS modules,
       json_array_length(manifest, '$.symbols') AS symbols
  FROM atf_manifest('session_20261129_210031/pid_48213');
.print -- small: atf_check
SELECT severity, code, offset, message
  FROM atf_check('session_20261129_210031/pid_48213');
.print -- small: calls by thread and status (3 calls never return)
SELECT thread_id, status, count(*) AS calls, count(argument_registers) AS
       with_arguments, count(return_registers) AS with_return
  FROM atf_calls('session_20261129_210031/pid_48213')
 GROUP BY 1, 2 ORDER BY 1, 2;
.print -- small: functions, demangled where a library can
SELECT atf_demangle(symbol) AS function, calls, returned, threads, total_dur,
       self_dur, min_dur, max_dur, p50_dur
  FROM atf_functions('session_20261129_210031/pid_48213') ORDER BY symbol;
.print -- small: threads
SELECT * FROM atf_threads('session_20261129_210031/pid_48213')
 ORDER BY thread_id;
.print -- small: the stack at the last record of thread 2 (calls left open)
SELECT depth, offset, symbol, ts, argument_registers ->> '$.rdi' AS rdi
  FROM atf_stack('session_20261129_210031/pid_48213',
                 (SELECT max(rowid) FROM
                    atf_events('session_20261129_210031/pid_48213')
                   WHERE thread_id = 2));
.print -- crashed: no manifest, one index file cut inside a record
SELECT severity, code, count(*) AS n
  FROM atf_check('session_20261129_210032/pid_48377') GROUP BY 1, 2 ORDER BY 1, 2;
SELECT thread_id, count(*) AS events, min(ts) AS first_ts, max(ts) AS last_ts
  FROM atf_events('session_20261129_210032/pid_48377') GROUP BY 1 ORDER BY 1;
.print -- crashed: without a symbol table, functions are keyed by their id
SELECT symbol, calls, returned FROM atf_functions('session_20261129_210032/pid_48377')
 ORDER BY symbol LIMIT 4;
SELECT count(*) AS calls, count(symbol) AS named, count(function_id) AS with_id
  FROM atf_calls('session_20261129_210032/pid_48377');
.print -- empty: one thread, zero events
SELECT count(*) FROM atf_events('session_20261129_210033/pid_48502');
SELECT count(*) FROM atf_calls('session_20261129_210033/pid_48502');
SELECT event_count, threads, json_array_length(modules) AS modules
  FROM atf_manifest('session_20261129_210033/pid_48502');
SELECT severity, code FROM atf_check('session_20261129_210033/pid_48502');
.print -- pictures: flame stacks of the crashed trace, frames keyed by function id
SELECT stack, self_dur FROM atf_flamegraph('session_20261129_210032/pid_48377')
 ORDER BY self_dur DESC LIMIT 3;
.print -- pictures: the small trace's timeline names its process by the folder's pid
SELECT json_extract(doc, '$.traceEvents[0].pid') AS pid,
       json_extract(doc, '$.traceEvents[3].ts') AS first_ts_us,
       json_array_length(doc, '$.traceEvents') AS events
  FROM (SELECT atf_trace_json(ts, dur, thread_id, symbol, NULL, NULL,
                              json_object('trace',
                                'session_20261129_210031/pid_48213')) AS doc
          FROM atf_calls('session_20261129_210031/pid_48213'));
