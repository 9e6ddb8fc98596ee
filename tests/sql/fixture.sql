-- The fixture written by the ADA tracer's own writer, read through the real
-- sqlite3 shell from its session folder. Expected output: fixture.expected.
.headers on
.mode list
.nullvalue NULL
.print -- events by kind
SELECT kind, count(*) AS n FROM atf_events('pid_4242') GROUP BY kind ORDER BY kind;
.print -- threads
SELECT thread_id, count(*) AS n FROM atf_events('pid_4242') GROUP BY 1 ORDER BY 1;
.print -- the start: argv with spaces and non-ASCII text
SELECT offset, size, event_id, executable_path, args, operating_system,
       cpu_architecture, symbol, exit_code
  FROM atf_events('pid_4242') WHERE kind = 'trace_start';
.print -- the end: SIGSEGV, then exit code -11
SELECT event_id, kind, signal_number, signal_name, registers, exit_code
  FROM atf_events('pid_4242') WHERE kind IN ('signal_delivery', 'trace_end');
.print -- registers: 0 (key alone), 2^63 and 2^64-1 exact
SELECT offset, symbol, printf('%x', address) AS address, registers,
       json_extract(registers, '$.rsi') = -1 AS rsi_is_2_64_minus_1,
       printf('%x', json_extract(registers, '$.r8')) AS r8_hex
  FROM atf_events('pid_4242') WHERE kind = 'function_call' LIMIT 2;
.print -- stacks of 0 to 128 bytes
SELECT min(length(stack)), max(length(stack)), count(DISTINCT length(stack))
  FROM atf_events('pid_4242') WHERE kind = 'function_call';
.print -- kernel-range addresses
SELECT count(*) FROM atf_events('pid_4242') WHERE address < 0;
.print -- every call returns: calls and returns pair up by symbol
SELECT count(*) FROM (SELECT symbol, sum(kind = 'function_call') AS calls,
                             sum(kind = 'function_return') AS returns
                        FROM atf_events('pid_4242') WHERE symbol IS NOT NULL
                       GROUP BY symbol HAVING calls <> returns);
.print -- event timestamps lie outside the manifest wall clock range
SELECT (SELECT min(ts) FROM atf_events('pid_4242')) < time_start_ns,
       event_count, bytes_written, events_bin_size,
       (SELECT count(*) FROM atf_events('pid_4242')) AS counted,
       (SELECT sum(size) FROM atf_events('pid_4242')) AS summed
  FROM atf_manifest('pid_4242');
.print -- manifest
SELECT os, arch, pid, session_id, time_start_ns, time_end_ns, modules,
       span_count, first_event_offset, last_event_offset, events_file_size
  FROM atf_manifest('pid_4242');
.print -- the same trace through events.bin and trace.json paths
SELECT (SELECT count(*) FROM atf_events('pid_4242/events.bin')),
       (SELECT count(*) FROM atf_events('pid_4242/trace.json')),
       (SELECT pid FROM atf_manifest('pid_4242/events.bin'));
.print -- offset seeks: record starts only
SELECT offset, event_id FROM atf_events('pid_4242')
 WHERE offset IN (0, 1, 104, 105, 6835, 6866, -5) ORDER BY offset;
SELECT rowid = offset, event_id FROM atf_events('pid_4242') WHERE rowid = 217;
SELECT count(*) FROM atf_events('pid_4242') WHERE offset > 6779;
SELECT count(*) FROM atf_events('pid_4242') WHERE offset >= 6779 AND offset < 6835;
.print -- a created table reads the same trace
CREATE VIRTUAL TABLE temp.ev USING atf_events('pid_4242');
SELECT count(*), sum(event_id) FROM temp.ev;
SELECT trace FROM temp.ev LIMIT 1;
