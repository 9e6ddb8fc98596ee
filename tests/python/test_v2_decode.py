#!/usr/bin/python3
"""test_v2_decode.py - an independent ATF v2 decoder (Python struct, written
from tests/fixtures/atf2/README.md, sharing nothing with reader/) compared
record by record with the reader's merge (v2-dump).

usage: test_v2_decode.py V2_DUMP ATF_GEN WORK_DIR

Traces: the three fixtures written by the tracer, and generated ones
(finalized; twins; unfinalized with a cut last record; detail on calls
only; no detail). Every row must be equal: order, rowid, fields, the
detail link and the detail's payload. Exit 0 when all agree.
"""
import heapq
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "atf2")
NO_DETAIL = 0xFFFFFFFF


def index_records(data):
    """The records of one index.atf, by the placeholder rule."""
    if len(data) < 64:
        return []
    (footer_offset,) = struct.unpack_from("<Q", data, 40)
    if (footer_offset >= 64 and footer_offset + 64 <= len(data)
            and data[footer_offset:footer_offset + 4] == b"2ITA"):
        end = footer_offset
    else:
        end = len(data)
    n = (end - 64) // 32
    return [struct.unpack_from("<QQIIII", data, 64 + 32 * i) for i in range(n)]


def detail_records(data):
    """(index_seq, event_type, payload fields) of each whole detail record."""
    if len(data) < 64:
        return []
    (bytes_length,) = struct.unpack_from("<Q", data, 36)
    end = len(data)
    if (64 + bytes_length + 64 <= len(data)
            and data[64 + bytes_length:68 + bytes_length] == b"2DTA"):
        end = 64 + bytes_length
    out, pos = [], 64
    while pos + 24 <= end:
        total, etype, _flags, iseq, _tid, _ts = struct.unpack_from(
            "<IHHIIQ", data, pos)
        if total < 24 or pos + total > end:
            break
        p = pos + 24
        payload = None
        if total - 24 >= 252:
            _pts, _fid, os_tid, _kind, _depth = struct.unpack_from(
                "<QQIII", data, p)
            regs = struct.unpack_from("<8Q", data, p + 32)
            lr, fp, sp = struct.unpack_from("<3Q", data, p + 96)
            (stack_size,) = struct.unpack_from("<I", data, p + 248)
            stack = data[p + 120:p + 120 + stack_size] if stack_size <= 128 else b""
            payload = (os_tid, etype, stack_size, stack, regs, lr, fp, sp)
        out.append((iseq, payload))
        pos += total
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def decode(trace):
    """The rows of TRACE in merge order, as v2-dump prints them."""
    threads = {}
    for name in os.listdir(trace):
        if not name.startswith("thread_") or not name[7:].isdigit():
            continue
        slot = int(name[7:])
        d = os.path.join(trace, name)
        recs = index_records(read(os.path.join(d, "index.atf")))
        dpath = os.path.join(d, "detail.atf")
        dets = detail_records(read(dpath)) if os.path.exists(dpath) else []
        threads[slot] = (recs, dets)
    heads = []
    for slot, (recs, _) in threads.items():
        if recs:
            heads.append((recs[0][0], slot, 0))
    heapq.heapify(heads)
    lines = []
    while heads:
        ts, slot, seq = heapq.heappop(heads)
        recs, dets = threads[slot]
        _ts, fid, tid, kind, depth, dseq = recs[seq]
        if seq + 1 < len(recs):
            heapq.heappush(heads, (recs[seq + 1][0], slot, seq + 1))
        if dseq == NO_DETAIL:
            link = "none"
        elif dseq >= len(dets):
            link = "dangling"
        elif dets[dseq][0] != seq:
            link = "mismatch"
        else:
            link = "ok"
        line = "%d %d %016x %d %d %d %d %s" % (
            slot << 32 | seq, ts, fid, tid, kind, depth, dseq, link)
        if link == "ok":
            os_tid, etype, ssize, stack, regs, lr, fp, sp = dets[dseq][1]
            line += " %d %d %d %s" % (os_tid, etype, ssize,
                                       stack.hex() if stack else "-")
            line += "".join(" %x" % r for r in regs)
            line += " %x %x %x" % (lr, fp, sp)
        lines.append(line)
    return lines


def compare(dump, trace):
    got = subprocess.run([dump, trace], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    want = decode(trace)
    if got == want:
        print("ok %s: %d rows" % (trace, len(want)))
        return True
    print("DIFFERENT %s: reader %d rows, python %d" % (trace, len(got),
                                                       len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            print("  row %d\n  reader: %s\n  python: %s" % (i, g, w))
            break
    return False


def main():
    dump, gen, work = sys.argv[1:4]
    traces = [
        (os.path.join(FIXTURES, "session_20261129_210031", "pid_48213"), 181),
        (os.path.join(FIXTURES, "session_20261129_210032", "pid_48377"), 159),
        (os.path.join(FIXTURES, "session_20261129_210033", "pid_48502"), 0),
    ]
    generated = [
        ("plain", ["--events", "20000", "--threads", "6"]),
        ("twins", ["--events", "5000", "--threads", "3", "--v2-twins"]),
        ("crashed", ["--events", "5000", "--threads", "4", "--no-manifest",
                     "--tear", "9"]),
        ("calls", ["--events", "3000", "--threads", "2", "--v2-detail",
                   "calls", "--stack-max", "128"]),
        ("nodetail", ["--events", "3000", "--threads", "5", "--v2-detail",
                      "none"]),
    ]
    for name, args in generated:
        out = os.path.join(work, name)
        subprocess.run([gen, "--format", "v2", "--seed", "11"] + args + [out],
                       check=True, stdout=subprocess.DEVNULL)
        traces.append((out, None))
    ok = True
    for trace, expected_rows in traces:
        ok = compare(dump, trace) and ok
        if expected_rows is not None and len(decode(trace)) != expected_rows:
            print("python decodes %d rows of %s, the README says %d" %
                  (len(decode(trace)), trace, expected_rows))
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
