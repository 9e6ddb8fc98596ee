#!/usr/bin/python3
"""test_v2_breaks.py - failing tests found by breaking the ATF v2 support
(issue 12) as a stranger would: each case is the smallest trace that shows
one bug, built here from the bundled v2 fixtures or written byte by byte
with struct (no project code involved in making the files).

usage: test_v2_breaks.py EXTENSION WORK_DIR [CASE...]
  EXTENSION  build/atf (the loadable extension, loaded into Debian's python3)
  WORK_DIR   a scratch folder (emptied per case)
  CASE       case names (default: all);
             exit 0 only when every case run passes

Every case states what a user should see (the README's promises: a clear
error naming the file, or rows plus an atf_check finding; tables that agree
with each other) and fails while the bug is there.
"""
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "atf2")
SMALL = os.path.join(FIXTURES, "session_20261129_210031", "pid_48213")


EXTENSION = None  # the extension's path (main): atf-gen is beside it


def connect(extension):
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(extension)
    return db


def copy_small(work):
    dst = os.path.join(work, "pid_48213")
    shutil.copytree(SMALL, dst)
    return dst


def patch(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def write_v2(trace, records, names):
    """A finalized one-thread (slot 0) v2 trace: RECORDS are (ts, function
    id, kind, depth, with_detail); every record with detail gets a 540-byte
    detail record linked both ways. Layout: tests/fixtures/atf2/README.md."""
    td = os.path.join(trace, "thread_0")
    os.makedirs(td)
    index, detail, k = bytearray(), bytearray(), 0
    for i, (ts, fid, kind, depth, with_detail) in enumerate(records):
        seq = 0xFFFFFFFF
        if with_detail:
            seq, k = k, k + 1
            payload = (struct.pack("<QQIIII", ts, fid, 4242, kind, depth, 0) +
                       struct.pack("<8Q", *range(i, i + 8)) +
                       struct.pack("<3Q", 0, 0x7FFC0000, 0x7FFC0000) +
                       bytes(128) + struct.pack("<I", 0) + bytes(264))
            detail += struct.pack("<IHHIIQ", 24 + len(payload),
                                  3 if kind == 1 else 4, 0, i, 0, ts) + payload
        index += struct.pack("<QQIIII", ts, fid, 0, kind, depth, seq)
    n = len(records)
    t0, t1 = records[0][0], records[-1][0]
    header = (b"ATI2" + bytes([1, 1, 1, 4]) +
              struct.pack("<IIB3sIIIQQQQ", 1 if k else 0, 0, 1, bytes(3), 0,
                          32, n, 64, 64 + 32 * n, t0, t1))
    footer = (b"2ITA" + struct.pack("<IQQQQ", 0, n, t0, t1, 32 * n) +
              bytes(24))
    with open(os.path.join(td, "index.atf"), "wb") as f:
        f.write(header + index + footer)
    if k:
        linked = [i for i, r in enumerate(records) if r[4]]
        dts = [r[0] for r in records if r[4]]
        dheader = (b"ATD2" + bytes([1, 1, 1, 4]) +
                   struct.pack("<IIIQQQQQI", 0, 0, 0, 64, k, len(detail),
                               linked[0], linked[-1], 0))
        dfooter = (b"2DTA" + struct.pack("<IQQQQ", 0, k, len(detail),
                                          dts[0], dts[-1]) + bytes(24))
        with open(os.path.join(td, "detail.atf"), "wb") as f:
            f.write(dheader + detail + dfooter)
    manifest = {
        "threads": [{"id": 0, "has_detail": True}],
        "time_start_ns": 0, "time_end_ns": 0, "clock_type": 1,
        "modules": [{"module_id": 7, "path": "/m"}],
        "symbols": [{"function_id": "0x%016x" % f, "module_id": f >> 32,
                     "symbol_index": f & 0xFFFFFFFF, "name": name}
                    for f, name in names.items()],
        "format_version": "2.1"}
    with open(os.path.join(trace, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


# ---- atf_check / atf_manifest when format detection fails ------------------

def check__v2_index_wrong_magic__then_bad_magic_finding(db, work):
    """atf_v2.h lists bad_magic among atf_check's codes; atf_events already
    names the file. atf_check instead fails with a v4 error
    ('events.bin: cannot open'), and atf_manifest with 'trace.json ...
    not finalized', because a failed atf_format_detect is taken for v4."""
    t = copy_small(work)
    patch(os.path.join(t, "thread_1", "index.atf"), 0, b"XXXX")
    try:
        rows = db.execute("SELECT severity, code, message FROM atf_check(?)",
                          (t,)).fetchall()
    except sqlite3.Error as e:
        raise Failed(f"atf_check failed: {e}")
    codes = [r[1] for r in rows]
    expect("bad_magic" in codes, f"no bad_magic finding: {codes}")


def manifest__v2_index_wrong_magic__then_error_names_the_file(db, work):
    t = copy_small(work)
    patch(os.path.join(t, "thread_1", "index.atf"), 0, b"XXXX")
    try:
        db.execute("SELECT * FROM atf_manifest(?)", (t,)).fetchall()
    except sqlite3.Error as e:
        expect("thread_1/index.atf" in str(e) and "trace.json" not in str(e),
               f"error does not name the damaged file: {e}")
        return
    # rows are fine too (manifest.json itself is whole)


def check__session_with_one_bad_v2_trace__then_rows_for_every_trace(db, work):
    """The session-wide health check, atf_check joined over atf_traces,
    aborts at the first v2 trace whose thread file has a wrong magic."""
    session = os.path.join(work, "session")
    os.makedirs(session)
    shutil.copytree(SMALL, os.path.join(session, "pid_1"))
    shutil.copytree(SMALL, os.path.join(session, "pid_2"))
    patch(os.path.join(session, "pid_1", "thread_0", "index.atf"), 0,
          b"ATX2")
    try:
        rows = db.execute(
            "SELECT t.pid, count(*) FROM atf_traces(?) t, atf_check(t.path) c"
            " GROUP BY 1", (session,)).fetchall()
    except sqlite3.Error as e:
        raise Failed(f"the join failed: {e}")
    expect(len(rows) == 2, f"rows: {rows}")


def events__v2_folder_with_stray_events_bin__then_error_holds_both(db, work):
    """atf_format_detect: a directory with both formats' files is an error
    (atf_traces says 'holds both'). atf_events, atf_calls and atf_check
    read it as an empty v4 trace instead: 0 rows, no error."""
    t = copy_small(work)
    open(os.path.join(t, "events.bin"), "wb").close()
    (err,) = db.execute("SELECT error FROM atf_traces(?)", (t,)).fetchone()
    expect(err and "holds both" in err, f"atf_traces error: {err}")
    try:
        n = db.execute("SELECT count(*) FROM atf_events(?)",
                       (t,)).fetchone()[0]
    except sqlite3.Error as e:
        expect("holds both" in str(e), f"unexpected error: {e}")
        return
    raise Failed(f"atf_events gave {n} rows and no error (181 records)")


# ---- a record whose thread_id is not its file's slot ----------------------

def slot_mismatch_trace(work, thread_id=0):
    """Small fixture, record 8 of thread_1 saying thread THREAD_ID: what
    atf_check reports as slot_mismatch."""
    t = copy_small(work)
    patch(os.path.join(t, "thread_1", "index.atf"), 64 + 32 * 8 + 16,
          struct.pack("<I", thread_id))
    return t


def stack__v2_record_thread_not_its_slot__then_stack_of_that_row(db, work):
    """atf_stack(t, e.rowid) for a row atf_events gave: the walk is limited
    to the file of the record's thread_id, so it never meets the rowid."""
    t = slot_mismatch_trace(work)
    rowid = (1 << 32) | 8
    expect(db.execute("SELECT count(*) FROM atf_events(?) WHERE rowid = ?",
                      (t, rowid)).fetchone()[0] == 1, "row missing")
    try:
        db.execute("SELECT * FROM atf_stack(?, ?)", (t, rowid)).fetchall()
    except sqlite3.Error as e:
        raise Failed(f"atf_stack failed on a row of atf_events: {e}")


def calls__v2_record_thread_not_its_slot__then_offset_lookup_finds_it(db,
                                                                      work):
    t = slot_mismatch_trace(work)
    rowid = (1 << 32) | 8
    scan = db.execute("SELECT offset FROM atf_calls(?) WHERE offset + 0 = ?",
                      (t, rowid)).fetchall()
    seek = db.execute("SELECT offset FROM atf_calls(?) WHERE offset = ?",
                      (t, rowid)).fetchall()
    expect(scan == seek, f"scan {scan}, offset = {seek}")


def threads__v2_record_thread_not_its_slot__then_filter_same_as_scan(db,
                                                                     work):
    """thread_id = is pushed down as 'read the file of that slot', while
    the unfiltered walk groups by the record's thread_id."""
    t = slot_mismatch_trace(work)
    scan = db.execute("SELECT * FROM atf_threads(?) WHERE thread_id + 0 = 0",
                      (t,)).fetchall()
    pushed = db.execute("SELECT * FROM atf_threads(?) WHERE thread_id = 0",
                        (t,)).fetchall()
    expect(scan == pushed, f"scan {scan}, pushed down {pushed}")
    scan = db.execute("SELECT count(*) FROM atf_calls(?) WHERE thread_id+0=0",
                      (t,)).fetchone()
    pushed = db.execute("SELECT count(*) FROM atf_calls(?) WHERE thread_id=0",
                        (t,)).fetchone()
    expect(scan == pushed, f"atf_calls: scan {scan}, pushed down {pushed}")


def threads__v2_record_thread_id_over_2p31__then_threads_are_files(db, work):
    """A record whose thread_id (here 2^32-1) is not its file's slot: the
    call tables pair each file's records as one thread, the slot (never the
    int32 cast of the recorded value, -1); atf_events shows the value as
    recorded; atf_check reports the record (slot_mismatch)."""
    t = slot_mismatch_trace(work, 0xFFFFFFFF)
    ev = {r[0] for r in db.execute(
        "SELECT DISTINCT thread_id FROM atf_events(?)", (t,))}
    th = {r[0] for r in db.execute("SELECT thread_id FROM atf_threads(?)",
                                   (t,))}
    calls = {r[0] for r in db.execute(
        "SELECT DISTINCT thread_id FROM atf_calls(?)", (t,))}
    found = db.execute("SELECT count(*) FROM atf_check(?) WHERE code = "
                       "'slot_mismatch' AND offset = ?",
                       (t, 64 + 32 * 8 + 16)).fetchone()[0]
    expect(4294967295 in ev, f"atf_events {sorted(ev)}")
    expect(th == {0, 1, 2} and calls <= th,
           f"atf_threads {sorted(th)}, atf_calls {sorted(calls)}")
    expect(found == 1, f"{found} slot_mismatch findings at the record")


# ---- manifest.json: the strict JSON path ---------------------------------

def manifest_variant(work, old, new):
    t = copy_small(work)
    p = os.path.join(t, "manifest.json")
    with open(p, "rb") as f:
        text = f.read()
    assert old in text
    with open(p, "wb") as f:
        f.write(text.replace(old, new, 1))
    return t


def manifest__v2_not_rfc8259__then_error_as_for_trace_json(db, work):
    """Issue 12: manifest.json goes through the same strict JSON path as
    trace.json, whose BOM, leading zeros and nesting over 512 are errors
    (README, Reliability). reader/v2_manifest.c still has the stub
    strict_json_check (returns ATF_OK) although json_check.c is merged."""
    cases = {
        "bom": (b"{", b"\xef\xbb\xbf{"),
        "leading zero": (b'"clock_type": 1', b'"clock_type": 01'),
        "nesting 600": (b'"clock_type": 1,',
                        b'"x": ' + b"[" * 600 + b"]" * 600 +
                        b', "clock_type": 1,'),
    }
    accepted = []
    for name, (old, new) in cases.items():
        sub = os.path.join(work, name.replace(" ", "_"))
        os.makedirs(sub)
        t = manifest_variant(sub, old, new)
        try:
            db.execute("SELECT * FROM atf_manifest(?)", (t,)).fetchall()
            accepted.append(name)
        except sqlite3.Error:
            pass
    expect(not accepted, f"accepted as JSON: {accepted}")


def check__v2_manifest_raw_control_character__then_reported(db, work):
    """trace.json's raw control characters are kept and reported
    (manifest_control_character); manifest.json's are not reported."""
    t = manifest_variant(work, b"_qc_tokenize", b"_qc\x01tokenize")
    codes = [r[0] for r in db.execute("SELECT code FROM atf_check(?)", (t,))]
    expect(any("control" in c for c in codes), f"codes: {codes}")


# ---- twins ------------------------------------------------------------------

def calls__v2_twin_batch_over_1024_records__then_each_call_once(db, work):
    """A drain batch of 600 calls (1200 index records) then their 1200 twins
    with detail, 40 ns later: each call is one call. The twin detector looks
    only 1024 records back, so every call is counted twice, and atf_check
    reports no duplicate_event at all (only ts_backwards)."""
    f = (7 << 32) | 1
    batch = []
    for i in range(600):
        batch += [(10000 + 1000 * i, f, 1, 1), (10500 + 1000 * i, f, 2, 1)]
    records = ([(ts, fid, k, d, False) for ts, fid, k, d in batch] +
               [(ts + 40, fid, k, d, True) for ts, fid, k, d in batch])
    t = os.path.join(work, "pid_1")
    write_v2(t, records, {f: "f"})
    (calls,) = db.execute("SELECT count(*) FROM atf_calls(?)",
                          (t,)).fetchone()
    (dups,) = db.execute("SELECT count(*) FROM atf_check(?) WHERE code = "
                         "'duplicate_event'", (t,)).fetchone()
    expect(calls == 600 or dups > 0,
           f"{calls} calls for 600, and no duplicate_event finding")
    expect(calls == 600, f"{calls} calls for 600")


def calls__v2_twins_across_clock_step__then_each_call_once(db, work):
    """f, then the clock steps back 500 ns, then g; the detail lane holds
    the calls only. The merge must not pass over g's copy because f's
    return (before the step) is later than it: 2 calls, 2 pairs."""
    f, g = (7 << 32) | 1, (7 << 32) | 2
    records = [(1000, f, 1, 1, False), (1100, f, 2, 1, False),
               (600, g, 1, 1, False), (700, g, 2, 1, False),
               (1040, f, 1, 1, True), (640, g, 1, 1, True)]
    t = os.path.join(work, "pid_1")
    write_v2(t, records, {f: "f", g: "g"})
    rows = db.execute("SELECT symbol, ts, end_ts FROM atf_calls(?) ORDER BY "
                      "offset", (t,)).fetchall()
    expect(rows == [("f", 1000, 1100), ("g", 600, 700)], f"calls: {rows}")
    expect(summary(db, t)["twins"] == 2, "twins: 2 pairs")


def calls__v2_tie_beside_orphan_detail__then_f_once(db, work):
    """The index lane dropped g's call; the detail lane has g and f at the
    same timestamp as f's index copy (a coarse clock). f's copies pair; g
    (detail only) stays one call."""
    f, g = (7 << 32) | 1, (7 << 32) | 2
    records = [(1000, f, 1, 2, False), (1000, g, 1, 1, True),
               (1000, f, 1, 2, True)]
    t = os.path.join(work, "pid_1")
    write_v2(t, records, {f: "f", g: "g"})
    rows = db.execute("SELECT symbol, count(*) FROM atf_calls(?) GROUP BY 1 "
                      "ORDER BY 1", (t,)).fetchall()
    expect(rows == [("f", 1), ("g", 1)], f"calls per symbol: {rows}")


def calls__v2_copy_missing_in_tight_loop__then_own_registers(db, work):
    """f called 4 times 200 ns apart; the detail lane lost the first call's
    copies. Each later call has its own registers (rdi is the record's index
    in write_v2: 8, 10, 12), the first none; a copy is never taken after
    the thread's next event."""
    f = (7 << 32) | 1
    plain = []
    for k in range(4):
        plain += [(1000 + 200 * k, f, 1, 1, False),
                  (1100 + 200 * k, f, 2, 1, False)]
    detail = [(ts + 40, fid, kd, d, True) for ts, fid, kd, d, _ in plain[2:]]
    t = os.path.join(work, "pid_1")
    write_v2(t, plain + detail, {f: "f"})
    rows = db.execute("SELECT ts, argument_registers ->> 'rdi' FROM "
                      "atf_calls(?) ORDER BY ts", (t,)).fetchall()
    expect(rows == [(1000, None), (1200, 8), (1400, 10), (1600, 12)],
           f"calls and their rdi: {rows}")


def calls__v2_detail_copy_first_in_file__then_index_copy_kept(db, work):
    """The drain wrote the call's detail copy before the index lane: the
    call keeps the index copy's timestamp (the event's), 100 ns long."""
    f = (7 << 32) | 1
    records = [(1040, f, 1, 1, True), (1000, f, 1, 1, False),
               (1100, f, 2, 1, False), (1140, f, 2, 1, True)]
    t = os.path.join(work, "pid_1")
    write_v2(t, records, {f: "f"})
    rows = db.execute("SELECT offset, ts, dur, argument_registers IS NOT NULL "
                      "FROM atf_calls(?)", (t,)).fetchall()
    expect(rows == [(1, 1000, 100, 1)], f"calls: {rows}")


def stack__v2_at_left_out_copy__then_stack_of_the_event(db, work):
    """atf_stack at the rowid of a copy the call tables leave out gives the
    stack at that event, whichever lane the drain wrote first."""
    f, g = (7 << 32) | 1, (7 << 32) | 2
    base = [(1000, g, 1, 1), (1100, f, 1, 2), (1200, f, 2, 2), (1300, g, 2, 1)]
    plain = [(ts, fid, k, d, False) for ts, fid, k, d in base]
    detail = [(ts + 40, fid, k, d, True) for ts, fid, k, d in base]
    want = [["g"], ["g", "f"], ["g"], []]
    for name, records, first in (("p", plain + detail, 4),
                                 ("d", detail + plain, 0)):
        t = os.path.join(work, name, "pid_1")
        write_v2(t, records, {f: "f", g: "g"})
        for i in range(4):
            got = [r[0] for r in db.execute(
                "SELECT symbol FROM atf_stack(?, ?) ORDER BY depth",
                (t, first + i))]
            expect(got == want[i], f"{name}: stack at copy {first + i}: {got}")


def calls__v2_generated_twins_with_clock_steps__then_same_as_v4(db, work):
    """atf-gen's v2 twins with detail for calls only, a clock stepping back
    at 5% of events and drain batches of 50 events: the same calls as the
    v4 trace of the same events."""
    gen = os.path.join(os.path.dirname(EXTENSION), "atf-gen")
    common = ["--seed", "9", "--events", "20000", "--threads", "4",
              "--clock-jump-percent", "5", "--unwind-percent", "3"]
    v4, v2 = os.path.join(work, "v4", "pid_1"), os.path.join(work, "v2", "pid_1")
    for out, extra in ((v4, []), (v2, ["--format", "v2", "--v2-twins",
                                       "--v2-detail", "calls",
                                       "--v2-twin-batch", "50"])):
        subprocess.run([gen] + common + extra + [out], check=True,
                       stdout=subprocess.DEVNULL)
    q = ("SELECT count(*), sum(dur), sum(self_dur), sum(status = 'open') "
         "FROM atf_calls(?)")
    want, got = db.execute(q, (v4,)).fetchone(), db.execute(q, (v2,)).fetchone()
    expect(want[0] > 5000 and got == want, f"v4 {want}, v2 {got}")
    (twins,) = db.execute("SELECT message ->> 'twins' FROM atf_check(?) "
                          "WHERE code = 'summary'", (v2,)).fetchone()
    expect(twins == want[0], f"{twins} pairs for {want[0]} calls")


def calls__v2_lost_index_records_then_clock_step__then_pairs_after_it(db,
                                                                       work):
    """The index lane lost two calls (only their detail copies, at 10010
    and 12010, exist); then the clock went back and 50 events follow, each
    held twice. The lost records' copies must not hide the step: 52 calls,
    50 pairs."""
    f, g = (7 << 32) | 1, (7 << 32) | 2
    plain, detail = [], [(10010, f, 1, 1, True), (12010, g, 1, 2, True)]
    for i in range(50):
        ts, fid = 5000 + 100 * i, f if i % 2 else g
        plain.append((ts, fid, 1, 3 + i, False))
        detail.append((ts + 10, fid, 1, 3 + i, True))
    t = os.path.join(work, "pid_1")
    write_v2(t, plain + detail, {f: "f", g: "g"})
    (calls,) = db.execute("SELECT count(*) FROM atf_calls(?)", (t,)).fetchone()
    expect(calls == 52, f"{calls} calls for 52")
    expect(summary(db, t)["twins"] == 50, "twins: 50 pairs")


def calls__v2_lost_index_record_tied_with_next__then_next_paired(db, work):
    """The index lane lost call A (its copy at 1400, the very ns of the next
    event B on a coarse clock); B (1400) is held twice (copy at 1450): 2
    calls, B with its copy's registers, 1 pair."""
    f, g = (7 << 32) | 1, (7 << 32) | 2
    records = [(1400, f, 1, 2, False), (1400, g, 1, 1, True),
               (1450, f, 1, 2, True)]
    t = os.path.join(work, "pid_1")
    write_v2(t, records, {f: "f", g: "g"})
    rows = db.execute("SELECT offset, symbol, argument_registers ->> 'rdi' "
                      "FROM atf_calls(?) ORDER BY offset", (t,)).fetchall()
    expect(rows == [(0, "f", 2), (1, "g", 1)], f"calls: {rows}")


def summary(db, trace):
    (m,) = db.execute("SELECT message FROM atf_check(?) WHERE code = "
                      "'summary'", (trace,)).fetchone()
    return json.loads(m)


def calls__v2_same_call_again_200ns_later_with_detail__then_two_calls(db,
                                                                      work):
    """f called twice at depth 2, 200 ns apart, detail captured only for
    the second call (the flight recorder switched on in between): two
    calls. The same function, kind and depth, and within 1000 ns, but a
    real copy is taken before the thread's next event (here the first
    call's return at 1200), so the second call is no copy of the first."""
    f, g = (7 << 32) | 1, (7 << 32) | 2
    records = [(1000, g, 1, 1, False), (1100, f, 1, 2, False),
               (1200, f, 2, 2, False), (1300, f, 1, 2, True),
               (1400, f, 2, 2, True), (1500, g, 2, 1, False)]
    t = os.path.join(work, "pid_1")
    write_v2(t, records, {f: "f", g: "g"})
    rows = db.execute("SELECT ts, dur FROM atf_calls(?) WHERE symbol = 'f' "
                      "ORDER BY ts", (t,)).fetchall()
    expect(rows == [(1100, 100), (1300, 100)], f"calls of f: {rows}")


CASES = [
    check__v2_index_wrong_magic__then_bad_magic_finding,
    manifest__v2_index_wrong_magic__then_error_names_the_file,
    check__session_with_one_bad_v2_trace__then_rows_for_every_trace,
    events__v2_folder_with_stray_events_bin__then_error_holds_both,
    stack__v2_record_thread_not_its_slot__then_stack_of_that_row,
    calls__v2_record_thread_not_its_slot__then_offset_lookup_finds_it,
    threads__v2_record_thread_not_its_slot__then_filter_same_as_scan,
    threads__v2_record_thread_id_over_2p31__then_threads_are_files,
    manifest__v2_not_rfc8259__then_error_as_for_trace_json,
    check__v2_manifest_raw_control_character__then_reported,
    calls__v2_twin_batch_over_1024_records__then_each_call_once,
    calls__v2_same_call_again_200ns_later_with_detail__then_two_calls,
    calls__v2_twins_across_clock_step__then_each_call_once,
    calls__v2_tie_beside_orphan_detail__then_f_once,
    calls__v2_copy_missing_in_tight_loop__then_own_registers,
    calls__v2_detail_copy_first_in_file__then_index_copy_kept,
    stack__v2_at_left_out_copy__then_stack_of_the_event,
    calls__v2_generated_twins_with_clock_steps__then_same_as_v4,
    calls__v2_lost_index_records_then_clock_step__then_pairs_after_it,
    calls__v2_lost_index_record_tied_with_next__then_next_paired,
]





def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    global EXTENSION
    extension, work = sys.argv[1], sys.argv[2]
    EXTENSION = os.path.abspath(extension)
    wanted = set(sys.argv[3:])
    failed = 0
    for case in CASES:
        if wanted and case.__name__ not in wanted:
            continue
        d = os.path.join(work, case.__name__)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        try:
            case(connect(extension), d)
            print(f"PASS {case.__name__}")
        except Failed as e:
            failed += 1
            print(f"FAIL {case.__name__}: {e}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
