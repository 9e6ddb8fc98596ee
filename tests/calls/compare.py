"""compare.py - the differential test of the call-analysis tables: every row
and column of atf_calls, atf_threads, atf_functions and atf_stack, as the
extension (build/atf.so, loaded into Debian's python3 sqlite3 module) gives
them, against oracle.py's independent reading of CALLS_SPEC.md; and
atf_functions against the same statistics computed by SQL over atf_calls.

usage: compare.py EXTENSION PB2_DIR TRACE
  EXTENSION  build/atf (the loadable extension)
  PB2_DIR    the directory of atf_v4_pb2.py (build/python)
  TRACE      a trace directory

A trace with records that do not decode is compared with the option
'skip_corrupt', after checking that each table without it fails naming the
first such record's offset. Exit status 0 when everything is equal; else 1,
with the first differing row of each table, both sides, on stdout.

Compared exactly (value and SQL type): everything but the percentiles of
atf_functions, which may be within 1% of the exact nearest rank
(|estimate - exact| <= 0.01 * |exact|), and two values the spec does not pin
to the last bit: a sum past int64 (REAL: within 1e-12 relative of the exact
sum) and avg_dur when the sum of the durations is 2^53 or more (the same).
"""
import json
import os
import re
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402
from oracle import (CALLS_COLUMNS, FUNCTIONS_COLUMNS, STACK_COLUMNS,  # noqa
                    THREADS_COLUMNS)

TWO_53 = 1 << 53


class NotUtf8Text(bytes):
    """TEXT from SQLite that is not UTF-8 (the spec says BLOB then)."""

    def __repr__(self):
        return f"TEXT-not-UTF-8{bytes.__repr__(self)}"


def text_factory(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return NotUtf8Text(raw)


def connect(extension):
    db = sqlite3.connect(":memory:")
    db.text_factory = text_factory
    db.enable_load_extension(True)
    db.load_extension(extension)
    db.enable_load_extension(False)
    return db


# ---- matching values -------------------------------------------------------

def same(want, got):
    """Equal value and equal SQL type (an INTEGER is no REAL)."""
    return type(want) is type(got) and want == got


def registers_match(pairs, got):
    """ORACLE pairs [(key bytes, uint64)] against the JSON SQLite gave."""
    if pairs is None:
        return got is None
    utf8 = all(isinstance(oracle.text_or_blob(k), str) for k, _ in pairs)
    if type(got) is not (str if utf8 else bytes):
        return False
    text = got if utf8 else got.decode("utf-8", "surrogateescape")
    try:
        parsed = json.loads(text, object_pairs_hook=list)
    except ValueError:
        return False
    want = [(k.decode("utf-8", "surrogateescape"), oracle.signed64(v))
            for k, v in pairs]
    return parsed == want and all(type(v) is int for _, v in parsed)


def close(want, got, relative):
    """GOT a REAL within RELATIVE of WANT (a number)."""
    return (type(got) is float and
            abs(got - want) <= relative * abs(want))


def within_one_percent(exact, got):
    if exact is None:
        return got is None
    if type(got) not in (int, float):
        return False
    if exact == 0:
        return got == 0
    return abs(got - exact) <= 0.01 * abs(exact)


def show(value):
    if isinstance(value, list):  # the oracle's registers
        return "{" + ",".join(
            f"{json.dumps(k.decode('utf-8', 'surrogateescape'))}:"
            f"{oracle.signed64(v)}" for k, v in value) + "}"
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value!r} (REAL)"
    return repr(value)


def show_row(columns, row):
    if row is None:
        return "(no row)"
    return ", ".join(f"{c}={show(v)}" for c, v in zip(columns, row))


# ---- the report ----------------------------------------------------------

class Report:
    def __init__(self, trace):
        self.trace = trace
        self.failures = 0

    def ok(self, what, detail):
        print(f"ok   {what}: {detail}")

    def fail(self, what, lines):
        self.failures += 1
        print(f"FAIL {what}: {lines[0]}")
        for line in lines[1:]:
            print(f"       {line}")

    def sql(self, what, db, sql, params):
        """Rows and column names of SQL, or None after reporting its
        error."""
        try:
            cursor = db.execute(sql, params)
            rows = cursor.fetchall()
            return rows, [d[0] for d in cursor.description]
        except sqlite3.Error as e:
            self.fail(what, [f"SQL error: {e}", f"query: {sql}"])
            return None


def table_call(name, options):
    """NAME(?) or, with OPTIONS, NAME(?, ?): the trace and the options."""
    return f"{name}(?, ?)" if options is not None else f"{name}(?)"


def compare_ordered(report, table, columns, matchers, want_rows, got_rows):
    """Row by row, column by column; reports the first differing row."""
    differing, first = 0, None
    for i in range(max(len(want_rows), len(got_rows))):
        want = want_rows[i] if i < len(want_rows) else None
        got = got_rows[i] if i < len(got_rows) else None
        if want is None or got is None:
            bad = list(columns)
        else:
            bad = [c for c, m, w, g in zip(columns, matchers, want, got)
                   if not m(w, g)]
        if bad:
            differing += 1
            if first is None:
                first = (i, bad, want, got)
    if first is None:
        report.ok(table, f"{len(want_rows)} rows equal")
        return
    i, bad, want, got = first
    report.fail(table, [
        f"{differing} of {max(len(want_rows), len(got_rows))} rows differ "
        f"(oracle {len(want_rows)} rows, table {len(got_rows)}); first at "
        f"row {i}, column(s) {', '.join(bad)}:",
        f"oracle: {show_row(columns, want)}",
        f"table:  {show_row(columns, got)}"])


def check_columns(report, table, want, got):
    if list(got) != list(want):
        report.fail(f"{table} columns", [
            f"columns {got}", f"expected {list(want)} (CALLS_SPEC.md)"])
        return False
    return True


# ---- the tables ------------------------------------------------------------

def calls_matchers():
    m = {c: same for c in CALLS_COLUMNS}
    m["argument_registers"] = m["return_registers"] = registers_match
    return [m[c] for c in CALLS_COLUMNS]


def compare_calls(report, db, trace, options, o):
    params = (trace,) + ((options,) if options else ())
    source = table_call("atf_calls", options)
    got = report.sql("atf_calls", db, f"SELECT rowid, * FROM {source}",
                     params)
    if got is None:
        return None
    rows, names = got
    if not check_columns(report, "atf_calls", CALLS_COLUMNS, names[1:]):
        return None
    bad_rowid = [r for r in rows if r[0] != r[1]]
    if bad_rowid:
        report.fail("atf_calls rowid", [
            f"{len(bad_rowid)} rows whose rowid is not the offset, first: "
            f"rowid={bad_rowid[0][0]} offset={bad_rowid[0][1]}"])
    rows = [r[1:] for r in rows]
    compare_ordered(report, "atf_calls", CALLS_COLUMNS, calls_matchers(),
                    o.calls, rows)
    return rows


def compare_threads(report, db, trace, options, o):
    params = (trace,) + ((options,) if options else ())
    got = report.sql("atf_threads", db,
                     f"SELECT * FROM {table_call('atf_threads', options)}",
                     params)
    if got is None:
        return
    rows, names = got
    if check_columns(report, "atf_threads", THREADS_COLUMNS, names):
        compare_ordered(report, "atf_threads", THREADS_COLUMNS,
                        [same] * len(THREADS_COLUMNS), o.threads, rows)


def function_matchers(exact_sums):
    """Matchers for one symbol's row; EXACT_SUMS: (total, self, durations)
    as exact integers, to know when a REAL may be rounded."""
    total, self_sum, dur_sum = exact_sums

    def real_or_same(exact):
        def match(want, got):
            if isinstance(want, float):  # past int64: REAL
                return close(exact, got, 1e-12)
            return same(want, got)
        return match

    def avg(want, got):
        if want is None or abs(dur_sum) < TWO_53:
            return same(want, got)
        return close(want, got, 1e-12)

    m = {c: same for c in FUNCTIONS_COLUMNS}
    m["total_dur"] = real_or_same(total)
    m["self_dur"] = real_or_same(self_sum)
    m["avg_dur"] = avg
    for c, _ in oracle.PERCENTILES:
        m[c] = within_one_percent
    return [m[c] for c in FUNCTIONS_COLUMNS]


def symbol_key(symbol):
    if isinstance(symbol, str):
        return symbol.encode("utf-8")
    return bytes(symbol) if isinstance(symbol, (bytes, bytearray)) else symbol


def compare_keyed(report, what, want, got, matchers_of):
    """WANT and GOT: {symbol bytes: row}; rows of both sides compared."""
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    differing, first = 0, None
    for k, w in want.items():
        if k not in got:
            continue
        bad = [c for c, m, a, b in zip(FUNCTIONS_COLUMNS, matchers_of(k),
                                       w, got[k]) if not m(a, b)]
        if bad:
            differing += 1
            if first is None:
                first = (k, bad)
    lines = []
    if missing:
        lines.append(f"{len(missing)} symbols missing from the table, first: "
                     f"{show_row(FUNCTIONS_COLUMNS, want[missing[0]])}")
    if extra:
        lines.append(f"{len(extra)} symbols the oracle does not have, first: "
                     f"{show_row(FUNCTIONS_COLUMNS, got[extra[0]])}")
    if first is not None:
        k, bad = first
        lines += [f"{differing} of {len(want)} symbols differ; first "
                  f"{show(oracle.text_or_blob(k))}, column(s) "
                  f"{', '.join(bad)}:",
                  f"expected: {show_row(FUNCTIONS_COLUMNS, want[k])}",
                  f"table:    {show_row(FUNCTIONS_COLUMNS, got[k])}"]
    if lines:
        report.fail(what, [f"{len(want)} symbols expected, {len(got)} "
                           f"given"] + lines)
    else:
        report.ok(what, f"{len(want)} symbols equal")


def exact_sums(o):
    return {k: (s["total"], s["self"], s["dur_sum"])
            for k, s in o.function_stats.items()}


def compare_functions(report, db, trace, options, o):
    params = (trace,) + ((options,) if options else ())
    got = report.sql("atf_functions", db,
                     f"SELECT * FROM {table_call('atf_functions', options)}",
                     params)
    if got is None:
        return None
    rows, names = got
    if not check_columns(report, "atf_functions", FUNCTIONS_COLUMNS, names):
        return None
    table = {}
    for r in rows:
        if symbol_key(r[0]) in table:
            report.fail("atf_functions", [f"symbol {show(r[0])} twice"])
        table[symbol_key(r[0])] = r
    sums = exact_sums(o)
    compare_keyed(report, "atf_functions", o.functions, table,
                  lambda k: function_matchers(sums[k]))
    return table


# Statistics per symbol by SQL over a table holding atf_calls' rows.
# Recursion counted once: a call adds to total_dur unless a call of the same
# symbol is among its ancestors (the calls open below it when it was called,
# which parent_offset chains); the path of hex(symbol)s from the root finds
# them ('/' never occurs in hex, so '/S/' matches whole symbols only).
# SQLite's sum() fails past int64 where the spec wants REAL, so each sum is
# taken in two parts that always fit (x / 2^32 and x % 2^32, both truncating
# toward zero) and put together in Python. Nearest rank: the value at rank
# ceil(q * n), with ceil(n/2) = (n+1)/2, ceil(9n/10) = (9n+9)/10 and
# ceil(99n/100) = (99n+99)/100 in integers.
STATS_SQL = """
WITH RECURSIVE walk(offset, path, nested) AS (
  SELECT offset, '/' || hex(symbol) || '/', 0 FROM {calls}
   WHERE parent_offset IS NULL
  UNION ALL
  SELECT c.offset, w.path || hex(c.symbol) || '/',
         instr(w.path, '/' || hex(c.symbol) || '/') > 0
    FROM walk w JOIN {calls} c ON c.parent_offset = w.offset
),
flagged AS (
  SELECT c.symbol, c.thread_id, c.status, c.dur, c.self_dur, w.nested
    FROM {calls} c JOIN walk w ON w.offset = c.offset
),
ranked AS (
  SELECT symbol, dur,
         row_number() OVER (PARTITION BY symbol ORDER BY dur) AS rn,
         count(*) OVER (PARTITION BY symbol) AS n
    FROM {calls} WHERE dur IS NOT NULL
),
pct AS (
  SELECT symbol,
         max(CASE WHEN rn = (n + 1) / 2 THEN dur END) AS p50,
         max(CASE WHEN rn = (9 * n + 9) / 10 THEN dur END) AS p90,
         max(CASE WHEN rn = (99 * n + 99) / 100 THEN dur END) AS p99
    FROM ranked GROUP BY symbol
)
SELECT f.symbol, count(*), sum(f.status = 'returned'),
       count(DISTINCT f.thread_id),
       sum(CASE WHEN NOT f.nested THEN f.dur / 4294967296 END),
       sum(CASE WHEN NOT f.nested THEN f.dur % 4294967296 END),
       sum(f.self_dur / 4294967296), sum(f.self_dur % 4294967296),
       min(f.dur), avg(f.dur), max(f.dur),
       sum(f.dur / 4294967296), sum(f.dur % 4294967296),
       p.p50, p.p90, p.p99,
       (SELECT count(*) FROM walk), (SELECT count(*) FROM {calls})
  FROM flagged f LEFT JOIN pct p ON p.symbol IS f.symbol
 GROUP BY f.symbol
"""


def joined(high, low):
    """An exact sum from its two parts; None when both are NULL."""
    if high is None and low is None:
        return None
    return (high or 0) * 4294967296 + (low or 0)


def stats_by_sql(db, calls_table):
    """{symbol bytes: (atf_functions row, (total, self, durations) exact)}
    computed by SQL over CALLS_TABLE (columns of atf_calls). Raises
    ValueError when parent_offset does not chain every call to a root."""
    db.execute(f"CREATE INDEX IF NOT EXISTS temp.{calls_table}_parent "
               f"ON {calls_table}(parent_offset)")
    out = {}
    for r in db.execute(STATS_SQL.format(calls=calls_table)):
        (symbol, calls, returned, threads, t_hi, t_lo, s_hi, s_lo, mn, avg,
         mx, d_hi, d_lo, p50, p90, p99, walked, total_calls) = r
        if walked != total_calls:
            raise ValueError(f"{walked} of {total_calls} calls reached from "
                             f"a depth-0 call through parent_offset")
        total, self_sum, durs = (joined(t_hi, t_lo), joined(s_hi, s_lo),
                                 joined(d_hi, d_lo))
        row = (symbol, calls, returned, threads,
               oracle._sum_value(total, total is not None),
               oracle._sum_value(self_sum, self_sum is not None),
               mn, avg, mx, p50, p90, p99)
        out[symbol_key(symbol)] = (row, (total or 0, self_sum or 0,
                                         durs or 0))
    return out


def compare_functions_with_sql(report, db, trace, options, functions_table):
    what = "atf_functions vs SQL over atf_calls"
    params = (trace,) + ((options,) if options else ())
    try:
        db.execute("DROP TABLE IF EXISTS temp.calls")
        db.execute(f"CREATE TEMP TABLE calls AS SELECT * FROM "
                   f"{table_call('atf_calls', options)}", params)
        stats = stats_by_sql(db, "calls")
    except (sqlite3.Error, ValueError) as e:
        report.fail(what, [f"SQL error: {e}"])
        return
    if functions_table is None:
        report.fail(what, ["nothing to compare: atf_functions failed "
                           "(above)"])
        return
    want = {k: v[0] for k, v in stats.items()}
    # Exact statistics from SQL; the table's percentiles within 1% of them.
    compare_keyed(report, what, want, functions_table,
                  lambda k: function_matchers(stats[k][1]))


def stack_sample(o, corrupt_from):
    """Offsets at which to compare atf_stack: the first and last records,
    signals, events without payload, trace start and end, calls and
    returns of each outcome spread over the trace, and the deepest call.
    Only before CORRUPT_FROM: atf_stack takes no options, and the spec does
    not say what it does past a record that does not decode."""
    def spread(items, n):
        if len(items) <= n:
            return items
        return [items[i * (len(items) - 1) // (n - 1)] for i in range(n)]

    records = [e for e in o.records if e.offset < corrupt_from]
    if not records:
        return []
    picked = [records[0].offset, records[-1].offset]
    by_kind = {}
    for e in records:
        by_kind.setdefault(e.kind, []).append(e.offset)
    picked += spread(by_kind.get("signal_delivery", []), 50)
    picked += spread(by_kind.get(None, []), 20)
    picked += by_kind.get("trace_start", [])[:5] + \
        by_kind.get("trace_end", [])[:5]
    picked += spread(by_kind.get("function_call", []), 60)
    for outcome, n in (("returned", 40), ("unwinding", 30), ("orphan", 20)):
        picked += spread([off for off, what in o.returns.items()
                          if what == outcome and off < corrupt_from], n)
    deep = [r for r in o.calls if r[0] < corrupt_from]
    if deep:
        picked.append(max(deep, key=lambda r: r[3])[0])
    return sorted(set(picked))


def stack_matchers():
    m = {c: same for c in STACK_COLUMNS}
    m["argument_registers"] = registers_match
    return [m[c] for c in STACK_COLUMNS]


def compare_stacks(report, want, got):
    """WANT, GOT: {offset: atf_stack rows}; reports the first differing
    row of the first differing offset."""
    matchers = stack_matchers()
    first, differing = None, 0
    for at in sorted(want):
        w, rows = want[at], got.get(at, [])
        for i in range(max(len(w), len(rows))):
            a = w[i] if i < len(w) else None
            b = rows[i] if i < len(rows) else None
            if a is None or b is None or \
                    not all(f(x, y) for f, x, y in zip(matchers, a, b)):
                differing += 1
                if first is None:
                    first = (at, i, len(w), len(rows), a, b)
                break
    if first is None:
        report.ok("atf_stack", f"{len(want)} offsets equal")
        return
    at, i, nw, ng, a, b = first
    report.fail("atf_stack", [
        f"{differing} of {len(want)} offsets differ; first at {at} "
        f"(oracle {nw} rows, table {ng}), row {i}:",
        f"oracle: {show_row(STACK_COLUMNS, a)}",
        f"table:  {show_row(STACK_COLUMNS, b)}"])


def compare_stack(report, db, trace, o, corrupt_from):
    offsets = stack_sample(o, corrupt_from)
    want = o.stacks_at(offsets)
    got = {}
    for at in offsets:
        result = report.sql(f"atf_stack at {at}", db,
                            "SELECT * FROM atf_stack(?, ?)", (trace, at))
        if result is None:
            return
        rows, names = result
        if not check_columns(report, "atf_stack", STACK_COLUMNS, names):
            return
        got[at] = rows
    compare_stacks(report, want, got)
    # NULL at: no rows. An offset that is no record start: an error naming it.
    result = report.sql("atf_stack at NULL", db,
                        "SELECT count(*) FROM atf_stack(?, NULL)", (trace,))
    if result is not None and result[0][0][0] != 0:
        report.fail("atf_stack at NULL",
                    [f"{result[0][0][0]} rows, expected 0"])
    bad_at = o.records[0].offset + 1
    expect_error(report, f"atf_stack at {bad_at} (not a record start)", db,
                 "SELECT * FROM atf_stack(?, ?)", (trace, bad_at), bad_at)


def expect_error(report, what, db, sql, params, offset):
    try:
        db.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        if re.search(rf"(?<!\d){offset}(?!\d)", str(e)):
            report.ok(what, f"error names {offset}: {e}")
        else:
            report.fail(what, [f"the error does not name {offset}: {e}"])
        return
    report.fail(what, [f"no error; expected one naming offset {offset}"])


def compare_registers_with_events(report, db, trace, options, rows):
    """argument_registers and return_registers are, text for text, what
    atf_events.registers gives for the call and its return."""
    what = "atf_calls registers vs atf_events"
    params = (trace,) + ((options,) if options else ())
    got = report.sql(what, db,
                     f"SELECT offset, registers FROM "
                     f"{table_call('atf_events', options)} WHERE kind IN "
                     f"('function_call', 'function_return')", params)
    if got is None or rows is None:
        return
    text = dict(got[0])
    for r in rows:
        pairs = ((r[0], r[13]),) + (((r[1], r[14]),) if r[1] is not None
                                    else ())
        for offset, value in pairs:
            if offset not in text or not same(text[offset], value):
                report.fail(what, [
                    f"call at {r[0]}: registers of {offset} are "
                    f"{show(value)}, atf_events has "
                    f"{show(text.get(offset, '(no such event)'))}"])
                return
        if r[1] is None and r[14] is not None:
            report.fail(what, [f"call at {r[0]} ({r[12]}): return_registers "
                               f"{show(r[14])}, expected NULL"])
            return
    report.ok(what, f"{len(rows)} calls equal")


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    extension, pb2_dir, trace = argv
    report = Report(trace)
    print(f"trace {trace}")
    o = oracle.Oracle(trace, pb2_dir, skip_corrupt=True)
    corrupt_from, options = float("inf"), None
    if o.corrupt:
        corrupt_from, options = o.corrupt[0], "skip_corrupt"
    db = connect(extension)
    if options:
        print(f"record at {corrupt_from} does not decode: each table must "
              f"fail naming it, and is compared with '{options}'")
        for table in ("atf_calls", "atf_functions", "atf_threads"):
            expect_error(report, f"{table} without skip_corrupt", db,
                         f"SELECT * FROM {table}(?)", (trace,), corrupt_from)
    rows = compare_calls(report, db, trace, options, o)
    compare_registers_with_events(report, db, trace, options, rows)
    compare_threads(report, db, trace, options, o)
    functions = compare_functions(report, db, trace, options, o)
    compare_functions_with_sql(report, db, trace, options, functions)
    compare_stack(report, db, trace, o, corrupt_from)
    if report.failures:
        print(f"{report.failures} check(s) failed for {trace}")
        return 1
    print(f"all tables equal for {trace}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
