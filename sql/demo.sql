-- atf-sqlite demo: questions people ask of a trace, one query each.
-- Run with scripts/demo [TRACE], or in the sqlite3 shell:
--   .load ./build/atf
--   .parameter set @trace 'tests/fixtures/ada_traces/session_20251125_170812/pid_4242'
--   .read sql/demo.sql
.headers on
.mode box

.print '1. What is in the trace: events by kind and thread'
SELECT thread_id, kind, count(*) AS events
  FROM atf_events(@trace)
 GROUP BY thread_id, kind
 ORDER BY thread_id, kind;

.print '2. The calls on the crashing thread just before the signal'
WITH sig AS (
  SELECT offset, thread_id, signal_name, ts
    FROM atf_events(@trace) WHERE kind = 'signal_delivery' LIMIT 1)
SELECT e.offset, e.thread_id, sig.ts - e.ts AS ns_before_signal, e.symbol,
       printf('0x%x', e.address) AS address, e.registers ->> '$.rdi' AS rdi
  FROM sig, atf_events(@trace) AS e
 WHERE e.offset < sig.offset AND e.thread_id = sig.thread_id
   AND e.kind = 'function_call'
 ORDER BY e.offset DESC
 LIMIT 5;

.print '3. The most frequently called functions'
SELECT symbol, count(*) AS calls, count(DISTINCT thread_id) AS threads
  FROM atf_events(@trace)
 WHERE kind = 'function_call'
 GROUP BY symbol
 ORDER BY calls DESC, symbol
 LIMIT 5;

.print '4. What the trace is (its manifest, or its files when it crashed)'
SELECT format, finalized, os, arch, pid, threads, event_count,
       (SELECT count(*) FROM atf_events(@trace)) AS events_in_file, bytes,
       (time_end_ns - time_start_ns) / 1e6 AS span_ms, error
  FROM atf_traces(@trace);

.print '5. One event by its offset: a seek, not a scan (the signal itself)'
SELECT offset, size, event_id, thread_id, kind, signal_number, signal_name,
       registers
  FROM atf_events(@trace)
 WHERE offset = (SELECT offset FROM atf_events(@trace)
                  WHERE kind = 'signal_delivery');

.print '6. What did parse_args() return? (rax of each of its returns)'
SELECT offset, thread_id, symbol, registers ->> '$.rax' AS rax
  FROM atf_events(@trace)
 WHERE kind = 'function_return' AND symbol = 'parse_args';

.print '7. The slowest calls (atf_calls pairs each call with its return)'
SELECT symbol, thread_id, depth, dur AS dur_ns, self_dur AS self_ns, status
  FROM atf_calls(@trace)
 ORDER BY dur DESC
 LIMIT 5;

.print '8. Which functions eat the time: self time, and the p99 of their duration'
SELECT atf_demangle(symbol) AS function, calls, total_dur, self_dur,
       p50_dur, p99_dur
  FROM atf_functions(@trace)
 ORDER BY self_dur DESC
 LIMIT 5;

.print '9. The backtrace at the signal'
WITH at AS (SELECT offset FROM atf_events(@trace)
             WHERE kind = 'signal_delivery' LIMIT 1)
SELECT depth, offset, symbol, argument_registers ->> '$.rdi' AS rdi
  FROM atf_stack(@trace, (SELECT offset FROM at))
UNION ALL
SELECT NULL, NULL, '(no call open on its thread at the signal)', NULL
 WHERE NOT EXISTS (SELECT 1 FROM atf_stack(@trace, (SELECT offset FROM at)));

.print '10. A call tree of one thread, indented by depth'
SELECT printf('%*s%s', depth * 2, '', symbol) AS call, dur AS dur_ns, status
  FROM atf_calls(@trace)
 WHERE thread_id = (SELECT thread_id FROM atf_threads(@trace)
                     ORDER BY calls DESC LIMIT 1)
 ORDER BY offset
 LIMIT 12;

.print '11. Threads: how deep they went, what was left open'
SELECT * FROM atf_threads(@trace);
