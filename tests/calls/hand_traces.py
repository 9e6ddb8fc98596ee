"""hand_traces.py - small traces written event by event with python3-protobuf,
each with the rows of every call-analysis table worked out by hand from
CALLS_SPEC.md (not by the oracle): test_oracle.py checks the oracle against
these rows, and compare.py checks the extension on the same files.

Offsets depend on the encoding, so expected rows name them as O[i], the
offset of the i-th record of the file as written.

usage: hand_traces.py PB2_DIR OUTDIR   (writes OUTDIR/hand_<name>/events.bin)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402  (for the raw schema only)

S = 10**9
U64_MAX = (1 << 64) - 1


def E(tid, ts, kind=None, symbol=b"", address=0, regs=(), **extra):
    """An event: thread TID, timestamp TS ns (None: no timestamp field),
    payload KIND with SYMBOL, ADDRESS and register entries REGS (key, value)
    written in this order (repeats and missing keys allowed)."""
    return dict(tid=tid, ts=ts, kind=kind, symbol=symbol, address=address,
                regs=list(regs), **extra)


def encode(raw_class, event, event_id):
    msg = raw_class()
    msg.event_id = event_id
    msg.thread_id = event["tid"]
    if event["ts"] is not None:
        msg.timestamp.SetInParent()  # present even when 0 (an empty message)
        msg.timestamp.seconds = event["ts"] // S  # floor, nanos >= 0
        msg.timestamp.nanos = event["ts"] % S
    kind = event["kind"]
    if kind == "function_call":
        p = msg.function_call
        entries = p.argument_registers
    elif kind == "function_return":
        p = msg.function_return
        entries = p.return_registers
    elif kind == "signal_delivery":
        msg.signal_delivery.number = 11
        msg.signal_delivery.name = b"SIGSEGV"
        entries = None
    elif kind == "trace_start":
        msg.trace_start.executable_path = b"/bin/hand"
        entries = None
    elif kind == "trace_end":
        msg.trace_end.exit_code = event.get("exit_code", 0)
        entries = None
    else:
        entries = None  # no payload
    if kind in ("function_call", "function_return"):
        p.symbol = event["symbol"]
        p.address = event["address"]
        for key, value in event["regs"]:
            entry = entries.add()
            if key is not None:
                entry.key = key
            if value is not None:
                entry.value = value
    return msg.SerializeToString()


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def write(pb2_dir, directory, events, torn_tail=b"", corrupt=None):
    """Writes DIRECTORY/events.bin; returns the record offsets. The body of
    record CORRUPT (an index) starts with a wire type 7 tag: no message."""
    raw = oracle.raw_event_class(pb2_dir)
    os.makedirs(directory, exist_ok=True)
    offsets, data = [], bytearray()
    for i, event in enumerate(events):
        body = encode(raw, event, i + 1)
        if i == corrupt:
            body = bytes([1 << 3 | 7]) + body[1:]
        offsets.append(len(data))
        data += varint(len(body)) + body
    data += torn_tail
    with open(os.path.join(directory, "events.bin"), "wb") as f:
        f.write(data)
    return offsets


CALL, RET, SIG = "function_call", "function_return", "signal_delivery"

# ---- hand_unwind: unwinding, orphans, bare returns, a return without ts ----
# Thread 1: main > f > g > h; a signal; f's return unwinds h and g; an orphan
# (a symbol nobody called); main returns without a timestamp. Thread 2: a
# call without symbol closed by a return with neither symbol nor address,
# then an orphan on an empty stack.
UNWIND = [
    E(1, 1000, "trace_start"),                                    # 0
    E(1, 1100, CALL, b"main", 0x10, [(b"rdi", 1)]),                # 1
    E(1, 1200, CALL, b"f", 0x20),                                  # 2
    E(1, 1300, CALL, b"g", 0x30),                                  # 3
    E(1, 1400, CALL, b"h", 0x40),                                  # 4
    E(1, 1450, SIG),                                               # 5
    E(1, 1500, RET, b"f", 0x20, [(b"rax", 7)]),                    # 6
    E(1, 1600, RET, b"zzz", 0x99),                                 # 7
    E(2, 1650, CALL, b"", 0x50),                                   # 8
    E(2, 1700, RET, b"", 0),                                       # 9
    E(2, 1750, RET, b"main", 0x10),                                # 10
    E(1, None, RET, b"main", 0x10),                                # 11
    E(1, 1900, "trace_end"),                                       # 12
]


def unwind_expected(O):
    R = {"rdi": 1}
    calls = [
        # offset, return_offset, thread, depth, parent, symbol, address,
        # ts, end_ts, dur, self_dur, children, status, args, return regs
        (O[4], None, 1, 3, O[3], "h", 0x40, 1400, 1500, 100, 100, 0,
         "unwound", [], None),
        (O[3], None, 1, 2, O[2], "g", 0x30, 1300, 1500, 200, 100, 1,
         "unwound", [], None),
        (O[2], O[6], 1, 1, O[1], "f", 0x20, 1200, 1500, 300, 100, 1,
         "returned", [], [("rax", 7)]),
        (O[8], O[9], 2, 0, None, "", 0x50, 1650, 1700, 50, 50, 0,
         "returned", [], []),
        (O[1], O[11], 1, 0, None, "main", 0x10, 1100, None, None, None, 1,
         "returned", list(R.items()), []),
    ]
    threads = [
        # thread, events, calls, first_ts, last_ts, max_depth, open,
        # orphans, signals
        (1, 10, 4, 1000, 1900, 3, 0, 1, 1),
        (2, 3, 1, 1650, 1750, 0, 0, 1, 0),
    ]
    functions = {
        # symbol: calls, returned, threads, total, self, min, avg, max,
        # p50, p90, p99
        "main": (1, 1, 1, None, None, None, None, None, None, None, None),
        "f": (1, 1, 1, 300, 100, 300, 300.0, 300, 300, 300, 300),
        "g": (1, 0, 1, 200, 100, 200, 200.0, 200, 200, 200, 200),
        "h": (1, 0, 1, 100, 100, 100, 100.0, 100, 100, 100, 100),
        "": (1, 1, 1, 50, 50, 50, 50.0, 50, 50, 50, 50),
    }
    main = (0, O[1], "main", 0x10, 1100, list(R.items()), 1)
    f = (1, O[2], "f", 0x20, 1200, [], 1)
    g = (2, O[3], "g", 0x30, 1300, [], 1)
    h = (3, O[4], "h", 0x40, 1400, [], 1)
    x = (0, O[8], "", 0x50, 1650, [], 2)
    stacks = {O[0]: [], O[1]: [main], O[4]: [main, f, g, h],
              O[5]: [main, f, g, h], O[6]: [main], O[7]: [main],
              O[8]: [x], O[9]: [], O[10]: [], O[11]: [], O[12]: []}
    return calls, threads, functions, stacks


# ---- hand_recursion: recursion, a jumping clock, address matching, open ----
# Thread 7: a > a > b > a (direct and indirect recursion); the inner a
# returns; b returns at a time before it was called (dur -150); the middle a
# is returned by a return with an address only. Thread 9 first appears with
# an event without payload; its c > d where d has neither symbol nor address
# (passed over by c's return, so unwound); e at -9e18 ns returns at +9e18
# (dur overflows int64: NULL) unwinding f, which has no timestamp. At the end
# a and g are open on thread 7, h on thread 9.
BIG = 9 * 10**18
RECURSION = [
    E(7, 100, CALL, b"a", 0xA),                                    # 0
    E(7, 200, CALL, b"a", 0xA),                                    # 1
    E(7, 300, CALL, b"b", 0xB),                                    # 2
    E(7, 250, CALL, b"a", 0xA),                                    # 3
    E(7, 260, RET, b"a", 0xA),                                     # 4
    E(7, 150, RET, b"b", 0xB),                                     # 5
    E(9, 400),                                                     # 6
    E(9, 500, CALL, b"c", 0xC),                                    # 7
    E(7, 600, RET, b"", 0xA),                                      # 8
    E(9, 700, CALL, b"", 0),                                       # 9
    E(9, 800, RET, b"c", 0xC),                                     # 10
    E(9, -BIG, CALL, b"e", 0),                                     # 11
    E(9, None, CALL, b"f", 0),                                     # 12
    E(9, BIG, RET, b"e", 0),                                       # 13
    E(7, 1000, CALL, b"g", 0x1F),                                  # 14
    E(9, 1100, CALL, b"h", 0x2F),                                  # 15
]


def recursion_expected(O):
    calls = [
        (O[3], O[4], 7, 3, O[2], "a", 0xA, 250, 260, 10, 10, 0,
         "returned", [], []),
        (O[2], O[5], 7, 2, O[1], "b", 0xB, 300, 150, -150, -160, 1,
         "returned", [], []),
        (O[1], O[8], 7, 1, O[0], "a", 0xA, 200, 600, 400, 550, 1,
         "returned", [], []),
        (O[9], None, 9, 1, O[7], "", 0, 700, 800, 100, 100, 0,
         "unwound", [], None),
        (O[7], O[10], 9, 0, None, "c", 0xC, 500, 800, 300, 200, 1,
         "returned", [], []),
        (O[12], None, 9, 1, O[11], "f", 0, None, BIG, None, None, 0,
         "unwound", [], None),
        (O[11], O[13], 9, 0, None, "e", 0, -BIG, BIG, None, None, 1,
         "returned", [], []),
        # open: thread 7 (first seen at record 0), innermost first, then 9
        (O[14], None, 7, 1, O[0], "g", 0x1F, 1000, None, None, None, 0,
         "open", [], None),
        (O[0], None, 7, 0, None, "a", 0xA, 100, None, None, None, 2,
         "open", [], None),
        (O[15], None, 9, 0, None, "h", 0x2F, 1100, None, None, None, 0,
         "open", [], None),
    ]
    threads = [
        (7, 8, 5, 100, 1000, 3, 2, 0, 0),
        (9, 8, 5, 400, 1100, 1, 1, 0, 0),
    ]
    functions = {
        # a: durations 10 (inner) and 400 (middle); both nested in an
        # open a, so no call adds to total_dur: NULL (see oracle.py).
        "a": (3, 2, 1, None, 560, 10, 205.0, 400, 10, 400, 400),
        "b": (1, 1, 1, -150, -160, -150, -150.0, -150, -150, -150, -150),
        "c": (1, 1, 1, 300, 200, 300, 300.0, 300, 300, 300, 300),
        "": (1, 0, 1, 100, 100, 100, 100.0, 100, 100, 100, 100),
        "e": (1, 1, 1, None, None, None, None, None, None, None, None),
        "f": (1, 0, 1, None, None, None, None, None, None, None, None),
        "g": (1, 0, 1, None, None, None, None, None, None, None, None),
        "h": (1, 0, 1, None, None, None, None, None, None, None, None),
    }
    a0 = (0, O[0], "a", 0xA, 100, [], 7)
    a1 = (1, O[1], "a", 0xA, 200, [], 7)
    b = (2, O[2], "b", 0xB, 300, [], 7)
    a3 = (3, O[3], "a", 0xA, 250, [], 7)
    c = (0, O[7], "c", 0xC, 500, [], 9)
    d = (1, O[9], "", 0, 700, [], 9)
    e = (0, O[11], "e", 0, -BIG, [], 9)
    f = (1, O[12], "f", 0, None, [], 9)
    g = (1, O[14], "g", 0x1F, 1000, [], 7)
    h = (0, O[15], "h", 0x2F, 1100, [], 9)
    stacks = {O[3]: [a0, a1, b, a3], O[4]: [a0, a1, b], O[5]: [a0, a1],
              O[6]: [], O[8]: [a0], O[9]: [c, d], O[10]: [],
              O[12]: [e, f], O[13]: [], O[14]: [a0, g], O[15]: [h]}
    return calls, threads, functions, stacks


# ---- hand_overflow: sums past int64, a BLOB symbol, odd registers, torn ----
# Two calls of s each lasting 9e18 ns (their sum is REAL); a call whose
# symbol is not UTF-8 (a BLOB) with registers rdi=5, rsi (key alone), rdi=6
# again (first place, last value) and an entry without key; a return value
# of 2^64-1; t left open by a torn last record. On thread 2, p lasts 9.2e18
# ns and its two calls of q 4.65e18 each (the clock went back between
# them): their sum passes int64, p's self_dur (-1e17) does not (found by
# fuzz_calls: the reader had it NULL).
BLOB = b"\xff\xfe"
HALF = 4_600_000_000_000_000_000
CHILD = 4_650_000_000_000_000_000
OVERFLOW = [
    E(1, 0, CALL, b"s", 0x100),                                    # 0
    E(1, BIG, RET, b"s", 0x100),                                   # 1
    E(1, 0, CALL, b"s", 0x100),                                    # 2
    E(1, BIG, RET, b"s", 0x100),                                   # 3
    E(1, BIG + 10, CALL, BLOB, 0x200,
      [(b"rdi", 5), (b"rsi", None), (b"rdi", 6), (None, 3)]),       # 4
    E(1, BIG + 20, RET, BLOB, 0x200, [(b"rax", U64_MAX)]),         # 5
    E(1, BIG + 30, CALL, b"t", 0x300),                             # 6
    E(2, -HALF, CALL, b"p", 0x400),                                # 7
    E(2, -HALF, CALL, b"q", 0x500),                                # 8
    E(2, -HALF + CHILD, RET, b"q", 0x500),                         # 9
    E(2, HALF - CHILD, CALL, b"q", 0x500),                         # 10
    E(2, HALF, RET, b"q", 0x500),                                  # 11
    E(2, HALF, RET, b"p", 0x400),                                  # 12
]
TORN = varint(50) + b"\x08\x01\x10"  # a prefix announcing more than is left


def overflow_expected(O):
    calls = [
        (O[0], O[1], 1, 0, None, "s", 0x100, 0, BIG, BIG, BIG, 0,
         "returned", [], []),
        (O[2], O[3], 1, 0, None, "s", 0x100, 0, BIG, BIG, BIG, 0,
         "returned", [], []),
        (O[4], O[5], 1, 0, None, BLOB, 0x200, BIG + 10, BIG + 20, 10, 10, 0,
         "returned", [("rdi", 6), ("rsi", 0), ("", 3)], [("rax", -1)]),
        (O[8], O[9], 2, 1, O[7], "q", 0x500, -HALF, -HALF + CHILD, CHILD,
         CHILD, 0, "returned", [], []),
        (O[10], O[11], 2, 1, O[7], "q", 0x500, HALF - CHILD, HALF, CHILD,
         CHILD, 0, "returned", [], []),
        (O[7], O[12], 2, 0, None, "p", 0x400, -HALF, HALF, 2 * HALF,
         2 * HALF - 2 * CHILD, 2, "returned", [], []),
        (O[6], None, 1, 0, None, "t", 0x300, BIG + 30, None, None, None, 0,
         "open", [], None),
    ]
    threads = [(1, 7, 4, 0, BIG + 30, 0, 1, 0, 0),
               (2, 6, 3, -HALF, HALF, 1, 0, 0, 0)]
    functions = {
        "s": (2, 2, 1, 2.0 * BIG, 2.0 * BIG, BIG, float(BIG), BIG, BIG, BIG,
              BIG),
        BLOB: (1, 1, 1, 10, 10, 10, 10.0, 10, 10, 10, 10),
        "t": (1, 0, 1, None, None, None, None, None, None, None, None),
        "p": (1, 1, 1, 2 * HALF, 2 * HALF - 2 * CHILD, 2 * HALF,
              float(2 * HALF), 2 * HALF, 2 * HALF, 2 * HALF, 2 * HALF),
        "q": (2, 2, 1, float(2 * CHILD), float(2 * CHILD), CHILD,
              float(CHILD), CHILD, CHILD, CHILD, CHILD),
    }
    p = (0, O[7], "p", 0x400, -HALF, [], 2)
    stacks = {O[10]: [p, (1, O[10], "q", 0x500, HALF - CHILD, [], 2)],
              O[12]: [],
              O[4]: [(0, O[4], BLOB, 0x200, BIG + 10,
                      [("rdi", 6), ("rsi", 0), ("", 3)], 1)],
              O[5]: [], O[6]: [(0, O[6], "t", 0x300, BIG + 30, [], 1)]}
    return calls, threads, functions, stacks


HAND_TRACES = {
    "hand_unwind": (UNWIND, b"", unwind_expected),
    "hand_recursion": (RECURSION, b"", recursion_expected),
    "hand_overflow": (OVERFLOW, TORN, overflow_expected),
}

# hand_unwind with f's return (record 6) damaged: an error naming it, or,
# with 'skip_corrupt', pairing without it (test_oracle.py has the rows).
HAND_CORRUPT = ("hand_corrupt", UNWIND, 6)


def write_all(pb2_dir, outdir):
    """Writes every hand trace; returns {name: (directory, offsets)}."""
    out = {}
    for name, (events, torn, _) in HAND_TRACES.items():
        directory = os.path.join(outdir, name)
        out[name] = (directory, write(pb2_dir, directory, events, torn))
    name, events, bad = HAND_CORRUPT
    directory = os.path.join(outdir, name)
    out[name] = (directory, write(pb2_dir, directory, events, corrupt=bad))
    return out


if __name__ == "__main__":
    for name, (directory, offsets) in write_all(sys.argv[1],
                                                sys.argv[2]).items():
        print(f"{directory}: {len(offsets)} records")
