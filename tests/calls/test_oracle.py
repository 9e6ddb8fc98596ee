"""test_oracle.py - the oracle checked on its own, before it judges anything:
on the hand-built traces its rows must equal the rows worked out by hand
(hand_traces.py), and on generated traces facts that follow from the spec
and from what the generator was asked for must hold.

usage: test_oracle.py PB2_DIR OUTDIR [NAME=TRACE_DIR ...]
  OUTDIR receives the hand-built traces; each NAME=TRACE_DIR is a generated
  trace (NAME as in tests/calls/CMakeLists.txt) whose facts are checked.
"""
import contextlib
import io
import json
import os
import sqlite3
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import hand_traces  # noqa: E402
import oracle  # noqa: E402

PB2_DIR, OUTDIR = sys.argv[1], sys.argv[2]
GENERATED = dict(arg.split("=", 1) for arg in sys.argv[3:])


def registers(pairs):
    if pairs is None:
        return None
    return [(oracle.text_or_blob(k), oracle.signed64(v)) for k, v in pairs]


def readable_call(row):
    """The first 15 columns, registers as lists; function_id and call_depth
    (ATF v2 only) must be NULL on these v4 traces."""
    row = list(row)
    assert row[15:] == [None, None], row[15:]
    row[13], row[14] = registers(row[13]), registers(row[14])
    return tuple(row[:15])


def readable_stack(row):
    row = list(row)
    row[5] = registers(row[5])
    return tuple(row)


def key(symbol):
    return symbol.encode() if isinstance(symbol, str) else symbol


class HandBuilt(unittest.TestCase):
    """Rows written out by hand from CALLS_SPEC.md."""

    @classmethod
    def setUpClass(cls):
        cls.written = hand_traces.write_all(PB2_DIR, OUTDIR)

    def check(self, name):
        directory, offsets = self.written[name]
        calls, threads, functions, stacks = \
            hand_traces.HAND_TRACES[name][2](offsets)
        o = oracle.Oracle(directory, PB2_DIR, stack_at=offsets)
        self.assertEqual([readable_call(r) for r in o.calls], calls)
        self.assertEqual(o.threads, threads)
        self.assertEqual(set(o.functions), {key(s) for s in functions})
        for symbol, row in functions.items():
            self.assertEqual(o.functions[key(symbol)], (symbol,) + row,
                             f"atf_functions {symbol!r}")
        for at, rows in stacks.items():
            self.assertEqual([readable_stack(r) for r in o.stacks[at]], rows,
                             f"atf_stack at {at}")
        return o

    def test_unwinding_orphans_bare_returns__then_rows_by_hand(self):
        o = self.check("hand_unwind")
        self.assertEqual(list(o.returns.values()),
                         ["unwinding", "orphan", "returned", "orphan",
                          "returned"])

    def test_recursion_clock_jump_overflow_open__then_rows_by_hand(self):
        self.check("hand_recursion")

    def test_real_sums_blob_registers_torn__then_rows_by_hand(self):
        o = self.check("hand_overflow")
        self.assertIsInstance(o.functions[b"s"][4], float)  # total_dur REAL
        self.assertEqual(len(o.records), 13)  # the torn record is no event

    def test_corrupt_record__then_error_or_left_out(self):
        directory, offsets = self.written["hand_corrupt"]
        with self.assertRaises(oracle.TraceError) as caught:
            oracle.Oracle(directory, PB2_DIR)
        self.assertEqual(caught.exception.offset, offsets[6])
        o = oracle.Oracle(directory, PB2_DIR, skip_corrupt=True)
        self.assertEqual(o.corrupt, [offsets[6]])
        # Without f's return, main's return (record 11) closes main and
        # unwinds h, g and f at its own (missing) timestamp.
        statuses = [(r[0], r[12], r[8]) for r in o.calls]
        self.assertEqual(statuses[:1], [(offsets[8], "returned", 1700)])
        self.assertEqual(statuses[1:], [
            (offsets[4], "unwound", None), (offsets[3], "unwound", None),
            (offsets[2], "unwound", None), (offsets[1], "returned", None)])


_generated = {}


def generated(name):
    """The oracle of generated trace NAME, corrupt records left out."""
    if name not in _generated:
        _generated[name] = oracle.Oracle(GENERATED[name], PB2_DIR,
                                         skip_corrupt=True)
    return _generated[name]


class Generated(unittest.TestCase):
    """Facts of the generated traces (and the fixture)."""

    def load(self, name):
        if name not in GENERATED:
            self.skipTest(f"{name}: not given")
        return generated(name)

    def invariants(self, name, o):
        """What any trace's tables satisfy, by the spec's definitions."""
        events = {e.offset: e for e in o.records}
        kinds = [e.kind for e in o.records]
        by_offset = {r[0]: r for r in o.calls}
        self.assertEqual(len(o.calls), kinds.count("function_call"), name)
        self.assertEqual(len(by_offset), len(o.calls))
        returned = [r for r in o.calls if r[12] == "returned"]
        self.assertEqual(kinds.count("function_return"),
                         len(returned) + sum(t[7] for t in o.threads), name)
        self.assertEqual(sum(t[1] for t in o.threads), len(o.records))
        self.assertEqual(sum(t[2] for t in o.threads), len(o.calls))
        self.assertEqual(sum(r[11] for r in o.calls),
                         sum(r[4] is not None for r in o.calls))
        self.assertEqual(sum(r[12] == "open" for r in o.calls),
                         sum(t[6] for t in o.threads))
        for r in o.calls:
            call = events[r[0]]
            if r[4] is not None:
                parent = by_offset[r[4]]
                self.assertEqual((parent[2], parent[3] + 1), (r[2], r[3]))
                self.assertLess(parent[0], r[0])
            if r[12] == "returned":
                ret = events[r[1]]
                self.assertEqual((ret.kind, ret.thread_id),
                                 ("function_return", r[2]))
                self.assertLess(r[0], r[1])
                if call.symbol and ret.symbol:
                    self.assertEqual(call.symbol, ret.symbol)
                elif ret.symbol or ret.address:
                    self.assertEqual(call.address, ret.address)
                self.assertEqual(r[8], ret.ts)
            if r[12] == "unwound":
                # Ended by the return of its nearest returned ancestor.
                up = by_offset[r[4]]
                while up[12] != "returned":
                    up = by_offset[up[4]]
                self.assertEqual(r[8], events[up[1]].ts)
            if r[7] is not None and r[8] is not None:
                self.assertEqual(r[9], r[8] - r[7])
            else:
                self.assertIsNone(r[9])
        return events

    def test_every_trace__then_invariants_hold(self):
        self.assertGreater(len(GENERATED), 0)
        for name in GENERATED:
            with self.subTest(name):
                o = self.load(name)
                self.invariants(name, o)

    def test_nested__then_all_returned_and_durations_nonnegative(self):
        o = self.load("nested")
        self.assertEqual({r[12] for r in o.calls}, {"returned"})
        self.assertEqual(sum(t[7] for t in o.threads), 0)
        self.assertTrue(all(r[9] >= 0 and r[10] >= 0 for r in o.calls))
        self.assertEqual(max(t[5] for t in o.threads), 11)  # --max-depth 12
        self.assertEqual(len(o.threads), 4)

    def test_recursion__then_counted_once_in_total(self):
        o = self.load("recursion")
        by_offset = {r[0]: r for r in o.calls}
        direct = indirect = 0
        for r in o.calls:
            if r[4] is None:
                continue
            up = by_offset[r[4]]
            if up[5] == r[5]:
                direct += 1
                continue
            while up[4] is not None:
                up = by_offset[up[4]]
                if up[5] == r[5]:
                    indirect += 1
                    break
        self.assertGreater(direct, 50)
        self.assertGreater(indirect, 50)
        less = [s for s, st in o.function_stats.items()
                if st["total_n"] and st["total"] < st["dur_sum"]]
        self.assertGreater(len(less), 5)

    def test_threads_signal__then_one_signal_and_a_crash(self):
        o = self.load("threads_signal")
        self.assertEqual(len(o.threads), 8)
        self.assertEqual(sum(t[8] for t in o.threads), 1)
        self.assertGreater(sum(t[6] for t in o.threads), 0)

    def test_unwind__then_returns_unwinding_several(self):
        o = self.load("unwind")
        unwound = sum(r[12] == "unwound" for r in o.calls)
        unwinding = list(o.returns.values()).count("unwinding")
        self.assertGreater(unwinding, 100)
        self.assertGreater(unwound, unwinding)

    def test_orphans__then_counted_not_calls(self):
        o = self.load("orphans")
        targets = sum(e.symbol == b"orphan_target" for e in o.records)
        orphans = sum(t[7] for t in o.threads)
        self.assertGreater(targets, 100)
        self.assertGreater(orphans, targets)  # and some on an empty stack
        self.assertNotIn(b"orphan_target", o.functions)

    def test_depth200__then_depth_200_and_201_deep_stack(self):
        deepest = None
        o = self.load("depth200")
        self.assertEqual(max(t[5] for t in o.threads), 200)
        deepest = next(r for r in o.calls if r[3] == 200)
        o = oracle.Oracle(GENERATED["depth200"], PB2_DIR,
                          stack_at=[deepest[0]])
        stack = o.stacks[deepest[0]]
        self.assertEqual([s[0] for s in stack], list(range(201)))
        self.assertEqual(stack[-1][1], deepest[0])

    def test_anonymous__then_symbolless_calls_matched_by_address(self):
        o = self.load("anonymous")
        self.assertIn(b"", o.functions)
        events = {e.offset: e for e in o.records}
        by_address = [r for r in o.calls if r[12] == "returned"
                      and not events[r[1]].symbol and events[r[1]].address]
        self.assertGreater(len(by_address), 50)
        self.assertGreater(sum(r[5] == "" and r[6] == 0 for r in o.calls), 50)

    def test_clock__then_negative_and_null_durations(self):
        o = self.load("clock")
        self.assertGreater(sum(r[9] is not None and r[9] < 0
                               for r in o.calls), 20)
        self.assertGreater(sum(r[7] is None for r in o.calls), 50)
        self.assertGreater(sum(r[8] is None and r[12] != "open"
                               for r in o.calls), 50)

    def test_cut_mid_call__then_torn_record_left_out_and_calls_open(self):
        o = self.load("cut_mid_call")
        self.assertEqual(len(o.records), 9999)
        self.assertTrue(all(t[6] >= 1 for t in o.threads))
        self.assertNotIn("trace_end", [e.kind for e in o.records])

    def test_stop_open__then_every_thread_open(self):
        o = self.load("stop_open")
        self.assertEqual(len(o.threads), 6)
        self.assertTrue(all(t[6] >= 1 for t in o.threads))
        self.assertEqual(o.calls[-1][12], "open")

    def test_corrupt__then_error_at_record_5000_or_left_out(self):
        if "corrupt" not in GENERATED:
            self.skipTest("corrupt: not given")
        with self.assertRaises(oracle.TraceError) as caught:
            oracle.Oracle(GENERATED["corrupt"], PB2_DIR)
        o = self.load("corrupt")
        self.assertEqual(o.corrupt, [caught.exception.offset])
        self.assertEqual(len(o.records), 9999)
        before = [e for e in o.records if e.offset < o.corrupt[0]]
        self.assertEqual(len(before), 5000)

    def test_all_shapes__then_every_shape_present(self):
        o = self.load("all_shapes")
        statuses = [r[12] for r in o.calls]
        self.assertGreater(statuses.count("unwound"), 50)
        self.assertGreater(sum(t[7] for t in o.threads), 50)
        self.assertGreater(sum(r[9] is not None and r[9] < 0
                               for r in o.calls), 5)

    def test_fixture__then_thirty_flat_calls(self):
        o = self.load("fixture")
        self.assertEqual(len(o.calls), 30)
        self.assertEqual({r[12] for r in o.calls}, {"returned"})
        self.assertEqual([t[0] for t in o.threads], [1, 2, 3])
        self.assertEqual([t[8] for t in o.threads], [0, 1, 0])
        self.assertEqual(o.calls[0][:10],
                         (105, 217, 1, 0, None, "main", -2130706432,
                          1700000000123456926, 1700000000123457926, 1000))
        self.assertEqual(o.functions[b"main"][1:4], (5, 5, 1))


def json_text(pairs):
    """Registers as the extension renders them (a BLOB when not UTF-8)."""
    if pairs is None:
        return None
    text = "{" + ",".join(
        json.dumps(k.decode("utf-8", "surrogateescape"), ensure_ascii=False)
        + f":{oracle.signed64(v)}" for k, v in pairs) + "}"
    try:
        return text.encode("utf-8").decode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def through_sqlite(db, name, columns, rows, register_columns):
    """ROWS stored in a temp table and read back: SQLite's types."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    db.execute(f"CREATE TEMP TABLE {name}({quoted})")
    at = [columns.index(c) for c in register_columns]
    stored = []
    for row in rows:
        row = list(row)
        for i in at:
            row[i] = json_text(row[i])
        stored.append(row)
    db.executemany(f"INSERT INTO {name} VALUES "
                   f"({', '.join('?' * len(columns))})", stored)
    return db.execute(f"SELECT * FROM {name}").fetchall()


class Harness(unittest.TestCase):
    """compare.py's matching and reporting, on the oracle's own rows put
    through SQLite (the tables themselves may not exist yet), and its SQL
    statistics over atf_calls' rows."""

    @classmethod
    def setUpClass(cls):
        written = hand_traces.write_all(PB2_DIR, OUTDIR)
        cls.oracles = {name: oracle.Oracle(d, PB2_DIR, stack_at=offsets)
                       for name, (d, offsets) in written.items()
                       if name in hand_traces.HAND_TRACES}
        for name in ("recursion", "anonymous", "all_shapes", "clock"):
            if name in GENERATED:
                cls.oracles[name] = generated(name)

    def setUp(self):
        self.db = sqlite3.connect(":memory:")
        self.db.text_factory = compare.text_factory
        self.tables = 0

    def tearDown(self):
        self.db.close()

    def report(self, check, *args):
        out = io.StringIO()
        report = compare.Report("t")
        with contextlib.redirect_stdout(out):
            check(report, *args)
        return report.failures, out.getvalue()

    def calls(self, name):
        """The oracle of NAME and its atf_calls rows as SQLite gives them."""
        o = self.oracles[name]
        self.tables += 1
        return o, through_sqlite(self.db, f"calls_{self.tables}",
                                 oracle.CALLS_COLUMNS, o.calls,
                                 ("argument_registers", "return_registers"))

    def compare_calls(self, want, got):
        return self.report(compare.compare_ordered, "atf_calls",
                           oracle.CALLS_COLUMNS, compare.calls_matchers(),
                           want, got)

    def test_sql_statistics_over_calls__then_oracle_functions(self):
        for name, o in self.oracles.items():
            with self.subTest(name):
                table = f"calls_{name}"
                through_sqlite(self.db, table, oracle.CALLS_COLUMNS, o.calls,
                               ("argument_registers", "return_registers"))
                stats = compare.stats_by_sql(self.db, table)
                self.assertEqual(set(stats), set(o.functions))
                for k, want in o.functions.items():
                    got = stats[k][0]
                    for column, a, b in zip(oracle.FUNCTIONS_COLUMNS, want,
                                            got):
                        self.assertTrue(compare.same(a, b),
                                        f"{k!r} {column}: {a!r} != {b!r}")

    def test_equal_rows__then_ok(self):
        for name in self.oracles:
            o, got = self.calls(name)
            failures, out = self.compare_calls(o.calls, got)
            self.assertEqual(failures, 0, out)
            self.assertIn("rows equal", out)

    def test_one_value_off__then_first_differing_row_both_sides(self):
        o, got = self.calls("hand_recursion")
        got[3] = got[3][:9] + (got[3][9] + 1,) + got[3][10:]
        got[5] = got[5][:12] + ("open",) + got[5][13:]
        failures, out = self.compare_calls(o.calls, got)
        self.assertEqual(failures, 1)
        self.assertIn("2 of 10 rows differ", out)
        self.assertIn("first at row 3, column(s) dur", out)
        self.assertIn(f"oracle: offset={o.calls[3][0]}", out)
        self.assertIn("dur=100,", out)
        self.assertIn("dur=101,", out)

    def test_type_null_or_register_order_off__then_fails(self):
        o, rows = self.calls("hand_unwind")
        mutations = [
            (0, 9, 100.0),                           # REAL for INTEGER
            (4, 8, 0),                               # 0 for NULL
            (0, 5, b"h"),                            # BLOB for TEXT
            (4, 13, '{"rdi":1,"rdi":1}'),            # a register twice
            (2, 14, '{"rax":7.0}'),                  # a REAL register
        ]
        for i, column, value in mutations:
            with self.subTest(column=oracle.CALLS_COLUMNS[column]):
                got = list(rows)
                got[i] = got[i][:column] + (value,) + got[i][column + 1:]
                failures, out = self.compare_calls(o.calls, got)
                self.assertEqual(failures, 1, out)
                self.assertIn(oracle.CALLS_COLUMNS[column], out)
        o, rows = self.calls("hand_overflow")  # registers out of order
        got = list(rows)
        got[2] = got[2][:13] + ('{"rsi":0,"rdi":6,"":3}',) + got[2][14:]
        self.assertEqual(self.compare_calls(o.calls, got)[0], 1)

    def test_missing_or_extra_row__then_fails(self):
        o, got = self.calls("hand_unwind")
        failures, out = self.compare_calls(o.calls, got[:-1])
        self.assertEqual(failures, 1)
        self.assertIn("(oracle 5 rows, table 4)", out)
        self.assertIn("table:  (no row)", out)
        failures, out = self.compare_calls(o.calls, got + got[:1])
        self.assertEqual(failures, 1)

    def test_percentile_within_one_percent__then_ok_else_fails(self):
        o = self.oracles["hand_unwind"]
        sums = compare.exact_sums(o)

        def check(p50):
            got = {k: (r[:9] + (p50,) + r[10:] if k == b"f" else r)
                   for k, r in o.functions.items()}
            return self.report(compare.compare_keyed, "atf_functions",
                               o.functions, got,
                               lambda k: compare.function_matchers(sums[k]))
        self.assertEqual(check(300)[0], 0)
        self.assertEqual(check(303)[0], 0)
        self.assertEqual(check(297.5)[0], 0)
        failures, out = check(304)
        self.assertEqual(failures, 1)
        self.assertIn("first 'f', column(s) p50_dur", out)
        self.assertIn("p50_dur=304,", out)
        self.assertEqual(check(None)[0], 1)

    def test_real_sum__then_close_not_integer(self):
        o = self.oracles["hand_overflow"]
        sums = compare.exact_sums(o)
        row = o.functions[b"s"]

        def check(total):
            got = dict(o.functions)
            got[b"s"] = row[:4] + (total,) + row[5:]
            return self.report(compare.compare_keyed, "atf_functions",
                               o.functions, got,
                               lambda k: compare.function_matchers(sums[k]))[0]
        self.assertEqual(check(1.8e19), 0)
        self.assertEqual(check(1.8e19 * (1 + 1e-15)), 0)
        self.assertEqual(check(1.8e19 * (1 + 1e-9)), 1)
        self.assertEqual(check(-1), 1)  # a wrapped integer

    def test_missing_symbol__then_fails(self):
        o = self.oracles["hand_recursion"]
        sums = compare.exact_sums(o)
        got = {k: v for k, v in o.functions.items() if k != b""}
        failures, out = self.report(
            compare.compare_keyed, "atf_functions", o.functions, got,
            lambda k: compare.function_matchers(sums[k]))
        self.assertEqual(failures, 1)
        self.assertIn("1 symbols missing from the table", out)

    def test_stack_off__then_first_differing_row(self):
        o = self.oracles["hand_unwind"]
        want = {at: rows for at, rows in o.stacks.items()}
        got = {at: [tuple(r[:5]) + (json_text(r[5]), r[6]) for r in rows]
               for at, rows in want.items()}
        self.assertEqual(self.report(compare.compare_stacks, want, got)[0], 0)
        at = max(want, key=lambda a: len(want[a]))
        got[at] = got[at][:-1]
        failures, out = self.report(compare.compare_stacks, want, got)
        self.assertEqual(failures, 1)
        self.assertIn(f"first at {at} (oracle 4 rows, table 3), row 3", out)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
