-- atf-sqlite: more questions about calls, one query each.
--   .load ./build/atf
--   .parameter set @trace 'tests/fixtures/ada_traces/session_20251125_170812/pid_4242'
--   .read sql/calls.sql
.headers on
.mode box

.print 'How the latency of one function is distributed (log2 buckets of dur)'
SELECT 1 << CAST(log2(max(dur, 1)) AS INTEGER) AS at_least_ns, count(*) AS calls
  FROM atf_calls(@trace)
 WHERE symbol = (SELECT symbol FROM atf_functions(@trace)
                  ORDER BY total_dur DESC LIMIT 1)
   AND dur IS NOT NULL
 GROUP BY 1 ORDER BY 1;

.print 'Who calls whom, and how often (caller -> callee)'
-- One pass, materialized: SQLite then joins it through an automatic index
-- (a join into atf_calls by offset would walk to each parent's end).
WITH c AS MATERIALIZED (
  SELECT offset, parent_offset, symbol, dur FROM atf_calls(@trace))
SELECT p.symbol AS caller, c.symbol AS callee, count(*) AS calls,
       sum(c.dur) AS callee_dur
  FROM c JOIN c AS p ON p.offset = c.parent_offset
 GROUP BY 1, 2 ORDER BY calls DESC, caller, callee LIMIT 10;

.print 'Calls that never returned on their own: unwound (longjmp, exceptions) or still open'
SELECT status, symbol, thread_id, depth, ts
  FROM atf_calls(@trace)
 WHERE status <> 'returned'
 ORDER BY ts LIMIT 10;

.print 'The first argument and the return value of each call of one function'
SELECT c.offset, c.argument_registers ->> '$.rdi' AS rdi,
       c.return_registers ->> '$.rax' AS rax, c.dur
  FROM atf_calls(@trace) c
 WHERE c.symbol = 'parse_args'
 ORDER BY c.offset;

.print 'Self time per thread and function (where each thread spends its time)'
SELECT thread_id, symbol, sum(self_dur) AS self_ns, count(*) AS calls
  FROM atf_calls(@trace)
 GROUP BY 1, 2 ORDER BY thread_id, self_ns DESC;

.print 'The deepest stack of the trace, and how it was reached'
SELECT depth, symbol, offset
  FROM atf_stack(@trace, (SELECT offset FROM atf_calls(@trace)
                           ORDER BY depth DESC, offset LIMIT 1));

.print 'Orphan returns and unfinished threads, per thread'
SELECT thread_id, orphan_returns, open_calls, max_depth
  FROM atf_threads(@trace)
 WHERE orphan_returns > 0 OR open_calls > 0;
