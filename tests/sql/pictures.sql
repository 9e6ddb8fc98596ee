-- The picture exports through the real sqlite3 shell, from the fixture's
-- session folder, as the README shows them: the Chrome Trace Event JSON of
-- one thread (process named after the trace, times rebased to its first
-- event), with the signal as an instant and the registers as args; the
-- folded stacks, plain and per thread. Expected output: pictures.expected.
.headers off
.mode list
.print -- Chrome JSON: thread 2's calls, the SIGSEGV, registers as args
SELECT atf_trace_json(ts, dur, thread_id, name, args, NULL,
                      json_object('trace', 'pid_4242'))
  FROM (SELECT ts, dur, thread_id, symbol AS name, argument_registers AS args
          FROM atf_calls('pid_4242') WHERE thread_id = 2
        UNION ALL
        SELECT ts, 'instant', thread_id, signal_name, registers
          FROM atf_events('pid_4242') WHERE kind = 'signal_delivery');
.print -- folded stacks, as flamegraph.pl, inferno and speedscope read them
SELECT stack || ' ' || self_dur FROM atf_flamegraph('pid_4242');
.print -- per thread, with the other columns
.headers on
SELECT thread_id, * FROM atf_flamegraph('pid_4242', 'per_thread')
 WHERE thread_id IN (1, 3);
