"""test_sql_surface.py - atf_trace_json's and atf_flamegraph's SQL surface,
one case per run: what each argument form does, and each error.

usage: test_sql_surface.py EXTENSION TRACE CASE   (TRACE: the bundled one)
"""
import json
import sqlite3
import sys
from decimal import Decimal

SQLITE_LIMIT_LENGTH = 0


def connect(extension):
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(extension)
    db.enable_load_extension(False)
    return db


def doc(db, sql, params=()):
    text = db.execute(sql, params).fetchone()[0]
    return json.loads(text, parse_float=Decimal)


def events(d, ph=None):
    return [e for e in d["traceEvents"] if e["ph"] != "M" and
            (ph is None or e["ph"] == ph)]


def fails(db, sql, params, *words):
    try:
        db.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        for w in words:
            assert w in str(e), f"error {str(e)!r} lacks {w!r}"
        print(f"error as expected: {e}")
        return
    raise AssertionError(f"no error: {sql}")


VALUES = "(VALUES (1000, 500, 1, 'a'), (1200, 100, 1, 'b'), (900, NULL, 2, 'c'))"


def case_rows_of_values__then_rebased_to_smallest_ts(db, trace):
    d = doc(db, f"SELECT atf_trace_json(column1, column2, column3, column4) FROM {VALUES}")
    got = [(e["ph"], e["tid"], e["ts"], e.get("dur"), e["pid"]) for e in events(d)]
    assert got == [("X", 1, Decimal("0.100"), Decimal("0.500"), 1),
                   ("X", 1, Decimal("0.300"), Decimal("0.100"), 1),
                   ("B", 2, Decimal("0.000"), None, 1)], got
    assert d["otherData"]["ts_base_ns"] == "900", d["otherData"]
    assert d["otherData"]["pid_from"] == "default"


def case_absolute__then_epoch_microseconds_exact(db, trace):
    d = doc(db, "SELECT atf_trace_json(ts, dur, thread_id, symbol, NULL, NULL, "
                "'{\"absolute\":true}') FROM atf_calls(?) LIMIT 1", (trace,))
    ts, dur = db.execute("SELECT ts, dur FROM atf_calls(?) LIMIT 1", (trace,)).fetchone()
    e = events(d)[0]
    assert e["ts"] == Decimal(ts) / 1000 and str(e["ts"]).endswith(str(ts)[-3:]), e
    assert e["dur"] == Decimal(dur) / 1000
    assert d["otherData"]["timestamps"].startswith("absolute")


def case_extreme_values__then_integer_arithmetic(db, trace):
    big = 9223372036854775807
    d = doc(db, "SELECT atf_trace_json(column1, column2, 1, 'x', NULL, NULL, "
                "'{\"absolute\":1}') FROM (VALUES (?, ?), (?, 1))",
            (big, big, -big - 1))
    got = sorted((e["ts"], e["dur"]) for e in events(d))
    assert got == [(Decimal("-9223372036854775.808"), Decimal("0.001")),
                   (Decimal("9223372036854775.807"),
                    Decimal("9223372036854775.807"))], got
    fails(db, "SELECT atf_trace_json(column1, 1, 1, 'x') FROM (VALUES (?), (?))",
          (big, -big - 1), "does not fit 64 bits")


def case_trace_option__then_process_named_and_base_first_ts(db, trace):
    d = doc(db, "SELECT atf_trace_json(ts, dur, thread_id, symbol, NULL, NULL, "
                "json_object('trace', ?1)) FROM atf_calls(?1) WHERE thread_id = 2",
            (trace,))
    meta = [e for e in d["traceEvents"] if e["ph"] == "M"]
    assert meta[0] == {"ph": "M", "ts": 0, "pid": 4242, "tid": 0,
                       "name": "process_name", "args": {"name": "/usr/bin/demo"}}, meta
    assert [e["args"]["name"] for e in meta[1:]] == ["thread 2"], meta
    first = db.execute("SELECT ts FROM atf_events(?) LIMIT 1", (trace,)).fetchone()[0]
    assert d["otherData"]["ts_base_ns"] == str(first)
    assert d["otherData"]["pid"] == 4242 and d["otherData"]["pid_from"] == "trace.json"
    assert all(e["pid"] == 4242 for e in events(d))


def case_pid_argument__then_events_of_that_process(db, trace):
    d = doc(db, f"SELECT atf_trace_json(column1, column2, column3, column4, NULL, "
                f"7) FROM {VALUES}")
    assert {e["pid"] for e in d["traceEvents"]} == {7}


def case_instant_and_args__then_instant_event_with_object(db, trace):
    d = doc(db, "SELECT atf_trace_json(1000, 'instant', 3, 'SIGSEGV', "
                "'{\"rip\": 4198400}')")
    (e,) = events(d)
    assert (e["ph"], e["s"], e["name"], e["args"]) == ("i", "t", "SIGSEGV",
                                                        {"rip": 4198400}), e


def case_args_not_an_object__then_shown_as_value(db, trace):
    d = doc(db, "SELECT atf_trace_json(column1, 1, 1, 'x', column2) FROM "
                "(VALUES (1, 'not json'), (2, '[1,2]'), (3, 42), (4, 1.5), "
                "(5, x'7b22ff223a317d'), (6, '{\"a\":\"\x01\"}'))")
    got = [e["args"] for e in sorted(events(d), key=lambda e: e["ts"])]
    assert got == [{"value": "not json"}, {"value": "[1,2]"}, {"value": 42},
                   {"value": Decimal("1.5")}, {"\ufffd": 1},
                   {"a": "\x01"}], got
    assert d["otherData"]["invalid_utf8_bytes"] == 1


def case_hostile_names__then_escaped_and_replacement_counted(db, trace):
    names = ["q\"uote", "back\\slash", "ctl\x00\x01\x1f\n\t", "\u2028\u00e9"]
    rows = ",".join(f"({i}, ?)" for i in range(len(names)))
    text = db.execute(f"SELECT atf_trace_json(column1, 0, 1, column2) FROM "
                      f"(VALUES {rows}, (9, x'61ff62e282'))", names).fetchone()[0]
    d = json.loads(text)
    got = [e["name"] for e in sorted(events(d), key=lambda e: e["ts"])]
    assert got == names + ["a\ufffdb\ufffd\ufffd"], got
    assert d["otherData"]["invalid_utf8_bytes"] == 3
    assert d["otherData"]["invalid_utf8_strings"] == 1
    assert all(0x20 <= ord(c) for c in text if c not in "\n"), "raw control char"


def case_null_ts__then_left_out_and_counted(db, trace):
    d = doc(db, "SELECT atf_trace_json(column1, 1, 1, 'x') FROM (VALUES (NULL), (5))")
    assert len(events(d)) == 1 and d["otherData"]["rows_without_ts"] == 1


def case_negative_dur__then_zero_length_and_counted(db, trace):
    d = doc(db, "SELECT atf_trace_json(10, -50, 1, 'jump')")
    assert events(d)[0]["dur"] == Decimal("0.000")
    assert d["otherData"]["negative_durations_as_zero"] == 1


def case_same_ts_and_dur__then_later_row_encloses(db, trace):
    # atf_calls gives a call after its children: at equal ts and dur the
    # later row is the outer one, written first.
    d = doc(db, "SELECT atf_trace_json(column1, column2, 1, column3) FROM "
                "(VALUES (0, 10, 'inner'), (0, 10, 'outer'), (0, NULL, 'open'), "
                "(0, 20, 'longer'))")
    assert [e["name"] for e in events(d)] == ["open", "longer", "outer", "inner"]


def case_no_rows__then_empty_document(db, trace):
    d = doc(db, "SELECT atf_trace_json(ts, dur, thread_id, symbol) FROM atf_calls(?) "
                "WHERE 0", (trace,))
    assert d["traceEvents"] == [] and d["otherData"]["complete_events"] == 0


def case_bad_arguments__then_errors_name_them(db, trace):
    fails(db, "SELECT atf_trace_json(1.5, 1, 1, 'x')", (), "ts", "INTEGER", "REAL")
    fails(db, "SELECT atf_trace_json(1, 'later', 1, 'x')", (), "dur", "'instant'")
    fails(db, "SELECT atf_trace_json(1, 1, NULL, 'x')", (), "thread_id")
    fails(db, "SELECT atf_trace_json(1, 1, 1, 'x', NULL, 'p')", (), "pid")
    fails(db, "SELECT atf_trace_json(1, 1, 1, 'x', NULL, NULL, 'trace=x')", (),
          "options must be a JSON object")
    fails(db, "SELECT atf_trace_json(1, 1, 1, 'x', NULL, NULL, '{\"tracee\":1}')",
          (), "unknown key \"tracee\"")
    fails(db, "SELECT atf_trace_json(1, 1, 1, 'x', NULL, NULL, '[]')", (),
          "JSON object")
    fails(db, "SELECT atf_trace_json(column1, 1, 1, 'x', NULL, NULL, column2) "
              "FROM (VALUES (1, '{}'), (2, '{\"absolute\":true}'))", (),
          "same on every row")
    fails(db, "SELECT atf_trace_json(1, 1, 1, 'x', NULL, NULL, "
              "'{\"trace\":\"/nonexistent/pid_1\"}')", (), "/nonexistent/pid_1")


def case_over_length_limit__then_error_says_filter(db, trace):
    sql = "SELECT atf_trace_json(ts, dur, thread_id, symbol) FROM atf_calls(?)"
    n = len(db.execute(sql, (trace,)).fetchone()[0].encode())
    db.setlimit(SQLITE_LIMIT_LENGTH, n)
    assert len(db.execute(sql, (trace,)).fetchone()[0].encode()) == n
    # One byte short: found when the document is put together.
    db.setlimit(SQLITE_LIMIT_LENGTH, n - 1)
    fails(db, sql, (trace,), "length limit", str(n - 1), "WHERE")
    # Far short: found while the rows come, before they are all kept.
    db.setlimit(SQLITE_LIMIT_LENGTH, 300)
    fails(db, sql, (trace,), "length limit (300 bytes)", "WHERE")


def case_view_of_a_stranger__then_refused(db, trace):
    db.execute("CREATE VIEW v AS SELECT atf_trace_json(1, 1, 1, 'x') AS j")
    fails(db, "SELECT j FROM v", (), "unsafe use of atf_trace_json")


def case_flamegraph_options__then_unknown_word_named(db, trace):
    fails(db, "SELECT * FROM atf_flamegraph(?, 'per-thread')", (trace,),
          "per-thread", "per_thread", "skip_corrupt")
    n = db.execute("SELECT count(*) FROM atf_flamegraph(?, NULL)", (trace,)).fetchone()[0]
    assert n == 0, "a NULL argument means no rows"


def case_flamegraph_thread_filter__then_pushed_down(db, trace):
    before = json.loads(db.execute("SELECT atf_stats()").fetchone()[0])
    rows = db.execute("SELECT stack FROM atf_flamegraph(?) WHERE thread_id = 3",
                      (trace,)).fetchall()
    after = json.loads(db.execute("SELECT atf_stats()").fetchone()[0])
    assert sorted(r[0] for r in rows) == ["_ZN3foo3barEv", "malloc"], rows
    calls_all = db.execute("SELECT count(*) FROM atf_calls(?) WHERE thread_id = 3",
                           (trace,)).fetchone()[0]
    decoded = after["payloads_decoded"] - before["payloads_decoded"]
    # Only thread 3's calls and returns have their payload decoded.
    assert decoded == 2 * calls_all, (decoded, calls_all)
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM atf_flamegraph(?) WHERE thread_id = 3",
        (trace,)))
    assert "VIRTUAL TABLE INDEX" in plan, plan


def main():
    extension, trace, case = sys.argv[1:4]
    fn = globals().get("case_" + case)
    if fn is None:
        print(f"no case {case}")
        return 2
    fn(connect(extension), trace)
    print(f"{case}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
