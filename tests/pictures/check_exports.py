"""check_exports.py - the two picture exports of a trace, held to their
formats and checked against atf_calls by an independent computation.

usage: check_exports.py EXTENSION MODE TRACE [--skip-corrupt] [--no-untimed]
  EXTENSION  build/atf (the loadable extension)
  MODE       json   atf_trace_json, written by the sqlite3 shell with .once
                    as a user does, parsed by Python's json, then:
                    - the Trace Event Format as Perfetto's importer reads
                      it: {"traceEvents": [...], "otherData": {...}}, no
                      displayTimeUnit (Perfetto takes "ns" as the unit of
                      ts), every event's first keys "ph" then "ts", ts and
                      dur with exactly three decimals, no duplicate key, no
                      "E" events;
                    - each complete event is a call of atf_calls with a dur,
                      ts and dur to the nanosecond (rebased to the trace's
                      first timestamp), name as the symbol with each byte
                      that is no UTF-8 character as U+FFFD; each "B" a call
                      with no dur (open, when --no-untimed: the trace has no
                      event without a timestamp); multisets equal;
                    - events of a thread in viewer order (ts, enclosing
                      first) and nesting; thread_name metadata "thread <id>"
                      for every thread, before its events; process_name
                      and pid from the trace; otherData's counts;
                    - the same with signals as instant events and the
                      registers as args, and with absolute timestamps.
             flame  atf_flamegraph against paths and self times built here
                    from atf_calls and atf_threads (open calls closed at
                    their thread's last timestamp): rows equal as sets, every
                    variant (per_thread, thread_id = and IN); per thread the
                    sum of self time equals that of the calls; the file
                    `SELECT stack || ' ' || self_dur` writes with .once reads
                    line by line as flamegraph.pl and speedscope read it.
  --no-untimed    the trace has no event without a timestamp: no call that
                  ended has a NULL dur
  --jumping-clock the trace's clock jumps back: events need not nest (its
                  calls do not), every other check holds
  --skip-corrupt  the trace has a record that does not decode: each export
                  without the option fails naming its offset, and every
                  check runs with it.

Exit status 0 when everything holds; else 1 with what differs.
"""
import collections
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from decimal import Decimal

RANK = {"B": 0, "X": 1, "i": 2}


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def connect(extension):
    db = sqlite3.connect(":memory:")
    db.text_factory = bytes  # every string as its bytes, UTF-8 or not
    db.enable_load_extension(True)
    db.load_extension(extension)
    db.enable_load_extension(False)
    return db


def replaced(raw):
    """RAW with each byte that starts no well-formed UTF-8 character as
    U+FFFD, and the number of such bytes (decoded here one character at a
    time, independently of the extension)."""
    out, bad, i = [], 0, 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            try:
                ch = raw[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.append(ch)
                i += n
                break
        else:
            out.append("\ufffd")
            bad += 1
            i += 1
    return "".join(out), bad


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def table(name, trace, *words):
    """NAME(trace[, 'options']) as SQL text (a NULL options argument would
    mean no rows)."""
    words = " ".join(w for w in words if w)
    return (f"{name}({sql_literal(trace)}, {sql_literal(words)})" if words
            else f"{name}({sql_literal(trace)})")


def shell_once(extension, sql):
    """What the sqlite3 shell writes to a file with .once for SQL."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        script = f".once {out}\n{sql}\n"
        run = subprocess.run(["sqlite3", "-bail", ":memory:", "-cmd",
                              f".load {extension}"], input=script.encode(),
                             capture_output=True)
        if run.returncode != 0:
            raise Failure(f"sqlite3 failed: {run.stderr.decode(errors='replace')}")
        with open(out, "rb") as f:
            return f.read()


# ---- the calls, as atf_calls gives them ------------------------------------

def calls(db, trace, opt):
    rows = db.execute(
        "SELECT offset, parent_offset, thread_id, symbol, ts, end_ts, dur, "
        "status, argument_registers FROM " + table("atf_calls", trace, opt))
    return [dict(zip(("offset", "parent", "tid", "symbol", "ts", "end_ts",
                      "dur", "status", "regs"), r)) for r in rows]


def first_ts(db, trace):
    row = db.execute("SELECT ts FROM atf_events(?, 'skip_corrupt') "
                     "WHERE ts IS NOT NULL LIMIT 1", (trace,)).fetchone()
    return row[0] if row else None


def trace_pid(db, trace):
    try:
        row = db.execute("SELECT pid FROM atf_manifest(?)", (trace,)).fetchone()
        if row and row[0] is not None:
            return row[0]
    except sqlite3.Error:
        pass
    m = re.fullmatch(r"pid_(\d+)", os.path.basename(os.path.realpath(trace)))
    return int(m.group(1)) if m else 1


def executable(db, trace):
    row = db.execute("SELECT executable_path FROM atf_events(?, 'skip_corrupt') "
                     "WHERE kind = 'trace_start' LIMIT 1", (trace,)).fetchone()
    return row[0] if row else None


# ---- Chrome JSON --------------------------------------------------------------

def strict_pairs(pairs):
    keys = [k for k, _ in pairs]
    check(len(keys) == len(set(keys)), f"duplicate key in {keys}")
    return collections.OrderedDict(pairs)


def parse_document(text):
    def no_constant(name):
        raise Failure(f"non-JSON constant {name}")
    check(isinstance(text, bytes), "document is not bytes")
    decoded = text.decode("utf-8")  # raises when not UTF-8
    return json.loads(decoded, parse_float=Decimal,
                      object_pairs_hook=strict_pairs,
                      parse_constant=no_constant)


def ns(value, what):
    check(isinstance(value, Decimal) and value.as_tuple().exponent == -3,
          f"{what} {value!r} is not microseconds with three decimals")
    return int(value * 1000)


def check_document(doc, *, base, pid, exe, trace_given):
    """Format rules; returns the events (not metadata) as dicts with ns."""
    check(list(doc.keys()) == ["traceEvents", "otherData"],
          f"top-level keys {list(doc.keys())}")
    events, threads_named, process_named = [], {}, []
    seen_event = set()
    for e in doc["traceEvents"]:
        keys = list(e.keys())
        check(keys[:2] == ["ph", "ts"], f"first keys {keys[:2]} in {e}")
        ph = e["ph"]
        check(ph in ("X", "B", "i", "M"), f"phase {ph!r}")
        check(isinstance(e["pid"], int) and isinstance(e["tid"], int),
              f"pid/tid not integers in {e}")
        if ph == "M":
            check(e["ts"] == 0, f"metadata ts {e['ts']}")
            if e["name"] == "thread_name":
                key = (e["pid"], e["tid"])
                check(key not in threads_named, f"thread {key} named twice")
                check(key not in seen_event, f"thread {key} named after its events")
                threads_named[key] = e["args"]["name"]
            else:
                check(e["name"] == "process_name", f"metadata {e['name']}")
                process_named.append((e["pid"], e["args"]["name"]))
            continue
        ev = {"ph": ph, "pid": e["pid"], "tid": e["tid"],
              "ts": ns(e["ts"], "ts") + base, "name": e["name"],
              "args": e.get("args")}
        if ph == "X":
            ev["dur"] = ns(e["dur"], "dur")
            check(ev["dur"] >= 0, f"negative dur in {e}")
        else:
            check("dur" not in e, f"dur on a {ph} event")
        if ph == "i":
            check(e.get("s") == "t", f"instant without thread scope: {e}")
        check(isinstance(ev["name"], str), f"name {ev['name']!r}")
        seen_event.add((ev["pid"], ev["tid"]))
        events.append(ev)
    for key in seen_event:
        check(threads_named.get(key) == f"thread {key[1]}",
              f"thread {key} named {threads_named.get(key)!r}")
    check(all(e["pid"] == pid for e in events),
          f"an event's pid is not {pid}")
    if trace_given and exe:
        check(process_named == [(pid, replaced(exe)[0])],
              f"process_name {process_named}, expected {(pid, exe)}")
    else:
        check(process_named == [], f"unexpected process_name {process_named}")
    return events


NESTING = True  # off for a clock that jumps back: its calls do not nest


def check_viewer_order_and_nesting(events):
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[(e["pid"], e["tid"])].append(e)
    order = [(e["pid"], e["tid"]) for e in events]
    check(order == sorted(order), "events not grouped by pid, tid")
    for key, evs in by_thread.items():
        def sort_key(e):
            return (e["ts"], RANK[e["ph"]], -e.get("dur", 0))
        keys = [sort_key(e) for e in evs]
        check(keys == sorted(keys), f"thread {key}: events out of viewer order")
        if not NESTING:
            continue
        stack = []  # ends of the enclosing events (None: never ends)
        for e in evs:
            if e["ph"] == "i":
                continue
            end = e["ts"] + e["dur"] if e["ph"] == "X" else None
            while stack and stack[-1] is not None and stack[-1] <= e["ts"]:
                stack.pop()
            if stack and stack[-1] is not None:
                check(end is not None and end <= stack[-1],
                      f"thread {key}: {e} overlaps its enclosing event")
            stack.append(end)


# Calls that ended at a return without a timestamp have no dur either; they
# are no open calls and would show as never ending: the export leaves them
# out, as the README says to.
KEEP = " WHERE dur IS NOT NULL OR status = 'open'"


def json_case(extension, db, trace, opt, *, no_untimed):
    all_rows = calls(db, trace, opt)
    rows = [r for r in all_rows if r["dur"] is not None or r["status"] == b"open"]
    check(not no_untimed or len(rows) == len(all_rows),
          "a closed call without dur in a trace said to have none")
    pid = trace_pid(db, trace)
    exe = executable(db, trace)
    base = first_ts(db, trace)
    options = json.dumps({"trace": trace})
    text = shell_once(extension,
                      f"SELECT atf_trace_json(ts, dur, thread_id, symbol, NULL, "
                      f"NULL, {sql_literal(options)}) FROM "
                      f"{table('atf_calls', trace, opt)}{KEEP};")
    text = text.rstrip(b"\n")
    check(b"displayTimeUnit" not in text, "displayTimeUnit in the document")
    doc = parse_document(text)
    events = check_document(doc, base=base, pid=pid, exe=exe, trace_given=True)
    check_viewer_order_and_nesting(events)
    check(not any(e["ph"] == "E" for e in events), "an E event")

    want_x, want_b, bad_bytes, bad_strings, negative = [], [], 0, 0, 0
    for r in rows:
        if r["ts"] is None:
            continue
        name, bad = replaced(r["symbol"])
        bad_bytes += bad
        bad_strings += bad > 0
        if r["dur"] is None:
            want_b.append((r["tid"], r["ts"], name))
            check(r["status"] == b"open", f"call with no dur not open: {r}")
        else:
            negative += r["dur"] < 0
            want_x.append((r["tid"], r["ts"], max(r["dur"], 0), name))
    got_x = [(e["tid"], e["ts"], e["dur"], e["name"]) for e in events
             if e["ph"] == "X"]
    got_b = [(e["tid"], e["ts"], e["name"]) for e in events if e["ph"] == "B"]
    diff = collections.Counter(want_x) - collections.Counter(got_x)
    check(not diff and len(got_x) == len(want_x),
          f"complete events differ from atf_calls: missing {list(diff)[:3]}, "
          f"extra {list((collections.Counter(got_x) - collections.Counter(want_x)))[:3]}")
    check(collections.Counter(want_b) == collections.Counter(got_b),
          "not-ended events differ from the calls without dur")
    other = doc["otherData"]
    exe_bad = replaced(exe)[1] if exe else 0
    path_bad = replaced(trace.encode())[1]
    expect = {"complete_events": len(want_x), "not_ended_events": len(want_b),
              "instant_events": 0,
              "rows_without_ts": sum(r["ts"] is None for r in rows),
              "negative_durations_as_zero": negative,
              "invalid_utf8_bytes": bad_bytes + exe_bad + path_bad,
              "invalid_utf8_strings": bad_strings + (exe_bad > 0) + (path_bad > 0),
              "pid": pid, "ts_base_ns": str(base)}
    for key, value in expect.items():
        check(other.get(key) == value,
              f"otherData.{key} = {other.get(key)!r}, expected {value!r}")
    print(f"json: {len(got_x)} complete, {len(got_b)} not ended, "
          f"{len(doc['traceEvents']) - len(events)} metadata, "
          f"{bad_bytes} bytes replaced; nesting and order hold")

    # Signals as instants, registers as args, timestamps absolute.
    sql = ("SELECT atf_trace_json(ts, dur, thread_id, name, args, NULL, ?1) FROM ("
           " SELECT ts, dur, thread_id, symbol AS name, argument_registers AS args"
           f"   FROM {table('atf_calls', trace, opt)}{KEEP}"
           " UNION ALL SELECT ts, 'instant', thread_id, signal_name, registers"
           f"   FROM {table('atf_events', trace, 'skip_corrupt')}"
           "  WHERE kind = 'signal_delivery')")
    doc = parse_document(db.execute(
        sql, (json.dumps({"trace": trace, "absolute": True}),)).fetchone()[0])
    events = check_document(doc, base=0, pid=pid, exe=exe, trace_given=True)
    check_viewer_order_and_nesting(events)

    def canonical(regs):
        return json.dumps(json.loads(replaced(regs)[0], parse_float=Decimal,
                                     object_pairs_hook=collections.OrderedDict))
    signals = db.execute("SELECT thread_id, ts, signal_name, registers FROM "
                         + table("atf_events", trace, "skip_corrupt") +
                         " WHERE kind = 'signal_delivery' AND ts IS NOT NULL"
                         ).fetchall()
    got_i = sorted((e["tid"], e["ts"], e["name"], json.dumps(e["args"]))
                   for e in events if e["ph"] == "i")
    want_i = sorted((t, ts, replaced(n)[0], canonical(regs))
                    for t, ts, n, regs in signals)
    check(got_i == want_i, f"instants {got_i[:2]} != signals {want_i[:2]}")
    got_args = collections.Counter(
        (e["tid"], e["ts"], e["name"], json.dumps(e["args"]))
        for e in events if e["ph"] in ("X", "B"))
    want_args = collections.Counter(
        (r["tid"], r["ts"], replaced(r["symbol"])[0], canonical(r["regs"]))
        for r in rows if r["ts"] is not None)
    check(got_args == want_args, "args differ from the calls' registers")
    check(doc["otherData"]["timestamps"].startswith("absolute"), "not absolute")
    check(doc["otherData"]["instant_events"] == len(want_i), "instant count")
    print(f"json: {len(got_i)} signals as instants, registers as args, "
          f"absolute timestamps exact")


# ---- folded stacks --------------------------------------------------------------

def escape_frame(symbol):
    return (symbol.replace(b";", b"%3B").replace(b"\n", b"%0A")
            .replace(b"\r", b"%0D"))


def expected_paths(rows, last_ts, per_thread, threads=None):
    """Folded paths computed from atf_calls rows: {stack: [self, negative,
    calls, untimed, thread]}, per thread {tid: self time sum}."""
    by_offset = {r["offset"]: r for r in rows}
    children = collections.defaultdict(list)
    for r in rows:
        if r["parent"] is not None:
            children[r["parent"]].append(r)

    def eff_dur(r):
        end = r["end_ts"] if r["status"] != b"open" else last_ts.get(r["tid"])
        return None if end is None or r["ts"] is None else end - r["ts"]

    paths, per_thread_sum = {}, collections.Counter()
    for r in rows:
        if threads is not None and r["tid"] not in threads:
            continue
        frames, p = [], r
        while p is not None:
            frames.append(escape_frame(p["symbol"]))
            p = by_offset.get(p["parent"]) if p["parent"] is not None else None
        frames.reverse()
        if per_thread:
            frames.insert(0, b"thread %d" % r["tid"])
        stack = b";".join(frames)
        d = eff_dur(r)
        kids = [eff_dur(c) for c in children[r["offset"]]]
        self_time = None if d is None or None in kids else d - sum(kids)
        entry = paths.setdefault(stack, [0, 0, 0, 0, r["tid"] if per_thread else None])
        entry[2] += 1
        if self_time is None:
            entry[3] += 1
        elif self_time >= 0:
            entry[0] += self_time
        else:
            entry[1] += self_time
        if self_time is not None:
            per_thread_sum[r["tid"]] += self_time
    return paths, per_thread_sum


def flame_rows(db, trace, words, where="", params=()):
    got = {}
    order = []
    for stack, kind, self_dur, n, neg, untimed, tid in db.execute(
            "SELECT stack, typeof(stack), self_dur, calls, negative_self_dur, "
            "untimed, thread_id FROM " + table("atf_flamegraph", trace, *words)
            + " " + where, tuple(params)):
        check(stack not in got, f"path {stack!r} twice")
        try:
            stack.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
        check(kind == (b"text" if utf8 else b"blob"),
              f"stack {stack!r} is {kind}")
        got[stack] = [self_dur, neg, n, untimed, tid]
        order.append(stack)
    return got, order


def flame_case(extension, db, trace, opt):
    rows = calls(db, trace, opt)
    last_ts = dict(db.execute("SELECT thread_id, last_ts FROM "
                              + table("atf_threads", trace, opt)).fetchall())
    tids = sorted(last_ts)
    for per_thread in (False, True):
        want, sums = expected_paths(rows, last_ts, per_thread)
        got, order = flame_rows(db, trace, (opt, "per_thread" if per_thread else None))
        if got != want:
            missing = [k for k in want if k not in got][:3]
            extra = [k for k in got if k not in want][:3]
            wrong = [(k, got[k], want[k]) for k in want if k in got and got[k] != want[k]][:3]
            raise Failure(f"atf_flamegraph (per_thread={per_thread}) differs: "
                          f"missing {missing}, extra {extra}, wrong {wrong}")
        # A path's enclosing path comes first (order of first appearance).
        seen = set()
        for stack in order:
            parent = stack.rsplit(b";", 1)[0] if b";" in stack else None
            if parent is not None and parent in want:
                check(parent in seen, f"{stack!r} before its parent")
            seen.add(stack)
        if per_thread:
            got_sums = collections.Counter()
            for stack, (self_dur, neg, _, _, tid) in got.items():
                got_sums[tid] += self_dur + neg
            check(dict(got_sums) == {t: v for t, v in sums.items() if t in got_sums}
                  and set(sums) <= set(got_sums) | {t for t, v in sums.items() if v == 0},
                  f"per-thread self time {dict(got_sums)} != calls {dict(sums)}")
        print(f"flame (per_thread={per_thread}): {len(got)} paths equal, "
              f"{sum(v[2] for v in got.values())} calls")
    # thread_id = and IN restrict the walk.
    for chosen in ([tids[0]], tids[:2]) if tids else ():
        want, _ = expected_paths(rows, last_ts, False, set(chosen))
        marks = ",".join("?" * len(chosen))
        got, _ = flame_rows(db, trace, (opt,), f"WHERE thread_id IN ({marks})", chosen)
        check(got == {k: v for k, v in want.items()},
              f"thread_id IN {chosen}: paths differ")
    # The file the shell writes: every line a folded stack and a count.
    text = shell_once(extension,
                      f"SELECT stack || ' ' || self_dur FROM "
                      f"{table('atf_flamegraph', trace, opt)};")
    lines = text.split(b"\n")
    check(lines[-1] == b"", "no newline at the end")
    lines = lines[:-1]
    want, _ = expected_paths(rows, last_ts, False)
    check(len(lines) == len(want), f"{len(lines)} lines for {len(want)} paths")
    total = 0
    for line in lines:
        fg = re.match(rb"^(.*)\s+?(\d+(?:\.\d*)?)$", line)  # flamegraph.pl
        ss = re.match(rb"^(.*) (\d+)$", line)              # speedscope
        check(fg and ss and fg.group(1) == ss.group(1) and ss.group(1) in want,
              f"line {line!r} is no folded stack")
        check(int(ss.group(2)) == want[ss.group(1)][0], f"count of {line!r}")
        total += int(ss.group(2))
    print(f"flame: the folded file has {len(lines)} lines, {total} ns")


def main(argv):
    global NESTING
    extension, mode, trace = argv[1], argv[2], argv[3]
    skip = "--skip-corrupt" in argv
    NESTING = "--jumping-clock" not in argv
    db = connect(extension)
    opt = "skip_corrupt" if skip else None
    if skip:
        for sql in ("SELECT atf_trace_json(ts, dur, thread_id, symbol) FROM atf_calls(?)",
                    "SELECT count(*) FROM atf_flamegraph(?)"):
            try:
                db.execute(sql, (trace,)).fetchall()
                raise Failure(f"no error without skip_corrupt: {sql}")
            except sqlite3.Error as e:
                check("byte offset" in str(e) or "record at" in str(e),
                      f"error names no offset: {e}")
                print(f"without skip_corrupt: {e}")
    try:
        if mode in ("json", "both"):
            json_case(extension, db, trace, opt, no_untimed="--no-untimed" in argv)
        if mode in ("flame", "both"):
            flame_case(extension, db, trace, opt)
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
