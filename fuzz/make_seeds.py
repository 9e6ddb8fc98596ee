#!/usr/bin/env python3
"""make_seeds.py - writes the seed corpora of the fuzz targets, fuzz/corpus/.

usage: fuzz/make_seeds.py ATF_GEN OUT_DIR   (e.g. build/atf-gen fuzz/corpus)

Seeds are small, varied starting points, not a test suite: the fixture trace
written by the real tracer, a few generated traces (torn, corrupt, one
thread, no signal), hand-made framing edge cases, manifests and their
variants, and single Event bodies that exercise each wire rule the reader
follows (unknown fields, groups, merges, oneof switches, map entries without
key or value, wrong wire types, NUL and non-UTF-8 strings, long varints);
for fuzz_calls, call shapes: generated traces with the generator's call
options (unwinding, orphans, recursion, anonymous calls, clock jumps, calls
left open, torn, corrupt), slimmed of registers so that a few KB hold many
index blocks, and hand-made ones, one per pairing rule and kind of damage.
For ATF v2: the tracer's three fixture sessions (tests/fixtures/atf2), their
index files laid end to end (fuzz_v2_index splits its input before each
"ATI2"), detail files (whole, cut, of mixed record lengths, with a length
below the header), generated traces (twins, crashed and cut) and manifests
with their variants.
The output is deterministic; the corpora are committed, so this runs only
when the seeds should change.
"""
import os
import shutil
import subprocess
import sys
import tempfile

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "tests", "fixtures", "ada_traces",
                       "session_20251125_170812", "pid_4242")
ATF2 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "tests", "fixtures", "atf2")
V2_TRACES = {
    "small": os.path.join(ATF2, "session_20261129_210031", "pid_48213"),
    "crashed": os.path.join(ATF2, "session_20261129_210032", "pid_48377"),
    "empty": os.path.join(ATF2, "session_20261129_210033", "pid_48502"),
}


# ---- protobuf wire encoding ---------------------------------------------

def varint(v, width=None):
    """Base-128 varint of V (two's complement for negatives); padded to WIDTH
    bytes with non-minimal continuation bytes when asked."""
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        if v or (width and len(out) + 1 < width):
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(number, wire, width=None):
    return varint(number << 3 | wire, width)


def f_varint(number, v):
    return tag(number, 0) + varint(v)


def f_len(number, data, len_width=None):
    if isinstance(data, str):
        data = data.encode()
    return tag(number, 2) + varint(len(data), len_width) + data


def timestamp(seconds, nanos):
    return f_varint(1, seconds) + f_varint(2, nanos)


def entry(key=None, value=None):
    out = b""
    if key is not None:
        out += f_len(1, key)
    if value is not None:
        out += f_varint(2, value)
    return out


def record(body):
    return varint(len(body)) + body


# ---- seeds ----------------------------------------------------------------

def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def split_records(data):
    """The bodies of the whole records of an events.bin."""
    bodies, pos = [], 0
    while pos < len(data):
        n, shift = 0, 0
        while pos < len(data):
            b = data[pos]
            pos += 1
            n |= (b & 0x7f) << shift
            shift += 7
            if b < 0x80:
                break
        else:
            break
        if pos + n > len(data):
            break
        bodies.append(data[pos:pos + n])
        pos += n
    return bodies


def read_varint(data, pos):
    v, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        v |= (b & 0x7f) << shift
        shift += 7
        if b < 0x80:
            return v, pos


def kind_of(body):
    """The payload field number (10..14) of a well-formed Event body; raises
    IndexError/ValueError (fields) on bytes that are no message."""
    kind = 0
    for number, wire, _ in fields(body):
        if wire == 2 and 10 <= number <= 14:
            kind = number
    return kind


def generated_traces(atf_gen, tmp):
    """name -> (events.bin bytes, trace.json bytes or None)."""
    runs = {
        "gen_seed1_10ev": ["--seed", "1", "--events", "10"],
        "gen_seed2_25ev_nosignal": ["--seed", "2", "--events", "25",
                                    "--threads", "3", "--no-signal"],
        "gen_seed3_20ev_torn5": ["--seed", "3", "--events", "20", "--tear",
                                 "5"],
        "gen_seed4_30ev_corrupt7": ["--seed", "4", "--events", "30",
                                    "--corrupt", "7"],
        "gen_seed5_50ev_1thread": ["--seed", "5", "--events", "50",
                                   "--threads", "1"],
        "gen_seed6_15ev_torn1_nomanifest": ["--seed", "6", "--events", "15",
                                            "--tear", "1", "--no-manifest"],
    }
    out = {}
    for name, args in runs.items():
        d = os.path.join(tmp, name)
        subprocess.run([atf_gen] + args + [d], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(d, "events.bin"), "rb") as f:
            events = f.read()
        manifest = None
        if os.path.exists(os.path.join(d, "trace.json")):
            with open(os.path.join(d, "trace.json"), "rb") as f:
                manifest = f.read()
        out[name] = (events, manifest)
    return out


def framing_edge_cases():
    ts_event = lambda i, s: f_varint(1, i) + f_len(3, timestamp(s, i))
    many = b"".join(record(ts_event(i, 1000 - (i * 7) % 50))
                    for i in range(2100))  # three index blocks
    return {
        "empty": b"",
        "one_empty_record": b"\x00",
        "torn_half_prefix": record(f_varint(1, 1)) + b"\x80",
        "torn_body": record(f_varint(1, 1)) + b"\x05\x08",
        "bad_prefix_11_bytes": record(f_varint(1, 1)) + b"\xff" * 11,
        "huge_prefix": record(f_varint(1, 1)) + varint(1 << 33) + b"\x08",
        "nonminimal_prefixes": varint(2, 6) + f_varint(1, 7) + varint(0, 3),
        "bad_record_between": record(f_varint(1, 1)) + record(b"\x0f\x01") +
        record(f_varint(1, 3)),
        "untimed_records": b"".join(record(f_varint(1, i)) for i in range(40)),
        "2100_timed_records": many,
    }


def event_bodies():
    """Single Event bodies, one per wire rule."""
    call = lambda *fields: f_len(12, b"".join(fields))
    ts = f_len(3, timestamp(1795627355, 989122807))
    return {
        "call_full": f_varint(1, 5) + f_varint(2, 3) + ts + call(
            f_len(1, "parse"), f_varint(2, 0xffffffff81000000),
            f_len(3, entry("rdi", 1)), f_len(3, entry("rsi", (1 << 64) - 1)),
            f_len(4, bytes(range(32)))),
        "return_full": f_varint(1, 6) + ts + f_len(13, f_len(1, "parse") +
                                                   f_varint(2, 0x401000) +
                                                   f_len(3, entry("rax", 0))),
        "trace_start": f_len(10, f_len(1, "/bin/x") + f_len(2, "/bin/x") +
                             f_len(2, "Gr\u00fc\u00df 世界") +
                             f_len(3, "linux") + f_len(4, "x86_64")),
        "trace_end_negative": f_len(11, f_varint(1, -11)),
        "signal": f_varint(2, -1) + f_len(14, f_varint(1, 11) +
                                          f_len(2, "SIGSEGV") +
                                          f_len(3, entry("rip", 1 << 63))),
        "empty_event": b"",
        "unknown_fields_every_wire": f_varint(1, 1) + f_varint(99, 5) +
        tag(98, 1) + bytes(8) + f_len(97, b"xyz") + tag(96, 5) + bytes(4),
        "group_unknown": f_varint(1, 1) + tag(20, 3) + f_varint(1, 2) +
        tag(20, 4) + call(f_len(1, "g")),
        "timestamp_twice_merges": f_len(3, timestamp(5, 0)) +
        f_len(3, f_varint(2, 7)),
        "oneof_member_twice_merges": call(f_len(1, "a")) +
        call(f_varint(2, 9)),
        "oneof_switch_last_wins": call(f_len(1, "a")) +
        f_len(11, f_varint(1, 1)) + call(f_len(1, "b")),
        "map_entry_no_key_no_value": call(f_len(3, entry(None, 5)),
                                          f_len(3, entry("rdi", None)),
                                          f_len(3, b"")),
        "map_duplicate_keys": call(f_len(3, entry("rdi", 1)),
                                   f_len(3, entry("rsi", 2)),
                                   f_len(3, entry("rdi", 3))),
        "wrong_wire_type_known_field": f_len(1, b"\x01") + call(
            f_varint(1, 3), f_len(1, "sym")),
        "string_with_nul": call(f_len(1, b"pa\x00rse")),
        "string_not_utf8": call(f_len(1, b"\xc0\xaf\xed\xa0\x80"),
                                f_len(3, entry(b"\xff", 1))),
        "long_tag_and_length": tag(1, 0, 6) + varint(3) +
        tag(12, 2) + varint(3, 7) + f_len(1, "x"),
        "varint_10_bytes_overflow": f_varint(1, 1) + tag(2, 0) +
        b"\xff" * 9 + b"\x7f",
        # A malformed map entry (wire type 7) in a member a later one
        # replaced: still damage (found by fuzz_differential).
        "replaced_member_bad_map_entry": call(f_len(3, b"\x0f")) +
        f_len(11, b""),
        "timestamp_overflow": f_len(3, timestamp((1 << 63) - 1, 0)),
        "timestamp_negative": f_len(3, timestamp(-5, -7)),
    }


# ---- seeds for fuzz_calls: call shapes -----------------------------------

def fields(data):
    """(number, wire, raw bytes of the whole field) of a message; raises
    IndexError/ValueError on bytes that are no message."""
    out, pos = [], 0
    while pos < len(data):
        start = pos
        t, pos = read_varint(data, pos)
        wire = t & 7
        if wire == 0:
            _, pos = read_varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            n, pos = read_varint(data, pos)
            pos += n
        else:
            raise ValueError("group or bad wire type")
        if pos > len(data):
            raise IndexError("field past the end")
        out.append((t >> 3, wire, data[start:pos]))
    return out


def slim(body):
    """BODY without the registers and stack copy of its call or return
    payload: the same pairing in a fifth of the bytes, so that a seed of a
    few KB holds enough records for many index blocks. A body that is no
    message (a --corrupt record) stays as it is."""
    try:
        out = b""
        for number, wire, raw in fields(body):
            if number in (12, 13) and wire == 2:
                _, pos = read_varint(raw, 0)
                _, pos = read_varint(raw, pos)
                kept = b"".join(r for n, _, r in fields(raw[pos:])
                                if n in (1, 2))
                raw = f_len(number, kept)
            out += raw
        return out
    except (IndexError, ValueError):
        return body


def ev(thread, ts, payload=b""):
    """An Event body: THREAD, timestamp TS ns (None: none), PAYLOAD."""
    out = f_varint(2, thread) if thread else b""
    if ts is not None:
        out += f_len(3, timestamp(ts // 10**9, ts % 10**9))
    return out + payload


def call(symbol=b"", address=0):
    return f_len(12, (f_len(1, symbol) if symbol else b"") +
                 (f_varint(2, address) if address else b""))


def ret(symbol=b"", address=0):
    return f_len(13, (f_len(1, symbol) if symbol else b"") +
                 (f_varint(2, address) if address else b""))


def trace_of(bodies):
    return b"".join(record(b) for b in bodies)


def hand_made_calls():
    """Small traces, one per pairing rule and per kind of damage."""
    seeds = {}

    # Three threads interleaved, nested calls, enough records for a dozen
    # blocks of fuzz_calls' small index.
    bodies, stacks, ts = [], {1: [], 2: [], -3: []}, 1000
    for i in range(240):
        thread = (1, 2, -3)[(i * 7) % 3]
        stack = stacks[thread]
        ts += 10 + i % 7
        if len(stack) < 1 + (i * 13) % 5:
            name = b"f%d" % ((i * 5) % 6)
            stack.append(name)
            bodies.append(ev(thread, ts, call(name, 0x1000 + len(stack))))
        else:
            bodies.append(ev(thread, ts, ret(stack.pop())))
    seeds["calls_nested_3threads"] = trace_of(bodies)

    # A return below the innermost call unwinds the calls above it.
    seeds["calls_unwind"] = trace_of(
        [ev(1, 10 * i, call(b"abcde"[i:i + 1])) for i in range(5)] +
        [ev(1, 100, ret(b"b")), ev(1, 110, ret(b"a")),
         ev(1, 120, call(b"x")), ev(1, 130, call(b"y")),
         ev(1, 140, ret(b"x"))])

    # Orphans: a return on an empty stack, one matching nothing, one on
    # another thread than its call.
    seeds["calls_orphans"] = trace_of(
        [ev(1, 5, ret(b"main")), ev(1, 10, call(b"main")),
         ev(1, 20, ret(b"other")), ev(2, 30, ret(b"main")),
         ev(1, 40, ret(b"main")), ev(2, 50, ret(address=7))])

    # Symbols, addresses, neither: a symbol compares before an address; an
    # address compares when not both have a symbol; a call with nothing to
    # compare is passed over; a bare return closes the innermost call.
    seeds["calls_anonymous"] = trace_of(
        [ev(1, 1, call(b"f", 0x10)), ev(1, 2, call(address=0x20)),
         ev(1, 3, call()), ev(1, 4, ret(address=0x20)),
         ev(1, 5, call(b"g", 0x10)), ev(1, 6, ret(b"f", 0x10)),
         ev(1, 7, call(b"h")), ev(1, 8, call(address=0x30)),
         ev(1, 9, ret()), ev(1, 10, ret(b"h", 0x30)),
         ev(1, 11, call(b"k", 0x40)), ev(1, 12, ret(address=0x40)),
         ev(1, 13, call(address=0x50)), ev(1, 14, ret(b"k", 0x50)),
         ev(1, 15, call(b"m")), ev(1, 16, call()), ev(1, 17, ret(b"m")),
         ev(1, 18, call(b"n", 0x60)), ev(1, 19, call(address=0x70)),
         ev(1, 20, ret(b"n"))])

    # Deep recursion: checkpoints holding 180 calls, thinned.
    seeds["calls_recursion_deep"] = trace_of(
        [ev(4, i, call(b"r", 0x500)) for i in range(180)] +
        [ev(4, 180 + i, ret(b"r", 0x500)) for i in range(90)])

    # Durations at the edges of 64 bits: a call whose dur does not fit; a
    # parent whose children's durations sum past int64 while its self_dur
    # (dur minus that sum) fits; a negative duration (the clock went back).
    big = 4_600_000_000_000_000_000
    child = 4_650_000_000_000_000_000
    seeds["calls_dur_edges"] = trace_of(
        [ev(1, -9_000_000_000_000_000_000, call(b"far")),
         ev(1, 9_000_000_000_000_000_000, ret(b"far")),
         ev(1, -big, call(b"parent")),
         ev(1, -big, call(b"c1")), ev(1, -big + child, ret(b"c1")),
         ev(1, big - child, call(b"c2")), ev(1, big, ret(b"c2")),
         ev(1, big, ret(b"parent")),
         ev(1, 500, call(b"back")), ev(1, 400, ret(b"back"))])

    # Calls without timestamps, a return without one, open calls at a torn
    # tail.
    seeds["calls_untimed_torn"] = trace_of(
        [ev(1, None, call(b"a")), ev(1, 10, call(b"b")),
         ev(1, None, ret(b"b")), ev(1, 20, call(b"c")),
         ev(2, 30, call(b"d")), ev(2, None, f_len(14, f_varint(1, 11)))]) + \
        record(ev(1, 40, ret(b"c")))[:-2]

    # Damage inside calls' extents: a header that does not decode, a call
    # whose payload does not, a return whose registers do not (only
    # skip_corrupt leaves it out), a signal whose payload does not (the
    # same), then framing damage.
    bodies = [ev(1, 10, call(b"a")), ev(2, 11, call(b"b")),
              ev(1, 12, call(b"c")), b"\x0f\x01",
              ev(1, 13, ret(b"c")), ev(2, 14, f_len(12, b"\x0f")),
              ev(2, 15, f_len(13, f_len(1, b"b") + f_len(3, b"\x0f"))),
              ev(1, 16, f_len(14, b"\x0f")), ev(1, 17, ret(b"a"))]
    seeds["calls_corrupt"] = trace_of(bodies)
    seeds["calls_corrupt_then_framing"] = trace_of(bodies) + \
        b"\xff" * 11 + record(ev(1, 18, ret(b"a")))

    # Many threads, each with a call open: wide checkpoints.
    seeds["calls_many_threads"] = trace_of(
        [ev(t, t, call(b"t%d" % t)) for t in range(1, 41)] +
        [ev(t, 100 + t, call(b"u")) for t in range(1, 41)] +
        [ev(t, 200 + t, ret(b"t%d" % t)) for t in range(1, 41, 2)])
    return seeds


def generated_calls(atf_gen, tmp):
    """Generator traces with its call shapes, slimmed (but one)."""
    runs = {
        "gen_calls_unwind": ["--seed", "11", "--events", "100", "--threads",
                             "3", "--max-depth", "12", "--unwind-percent",
                             "30"],
        "gen_calls_orphans_anonymous": ["--seed", "12", "--events", "100",
                                        "--orphan-percent", "20",
                                        "--anonymous-percent", "30"],
        "gen_calls_recursion": ["--seed", "13", "--events", "100",
                                "--threads", "1", "--max-depth", "40",
                                "--recursion-percent", "60",
                                "--call-percent", "70"],
        "gen_calls_clock": ["--seed", "14", "--events", "100",
                            "--untimed-percent", "20",
                            "--clock-jump-percent", "20"],
        "gen_calls_stop_open_torn": ["--seed", "15", "--events", "100",
                                     "--stop-open", "--tear", "3"],
        "gen_calls_corrupt": ["--seed", "16", "--events", "100",
                              "--corrupt", "40", "--unwind-percent", "10"],
        "gen_calls_registers": ["--seed", "17", "--events", "16",
                                "--threads", "2"],
    }
    out = {}
    for name, args in runs.items():
        d = os.path.join(tmp, name)
        subprocess.run([atf_gen] + args + [d], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(d, "events.bin"), "rb") as f:
            events = f.read()
        if name != "gen_calls_registers":
            whole = split_records(events)
            torn = events[len(trace_of(whole)):]
            events = trace_of(slim(b) for b in whole) + torn
        out[name] = events
    return out


def manifests(fixture_manifest):
    base = ('{"os":"linux","arch":"x86_64","pid":4242,"sessionId":777,'
            '"timeStartNs":1795626492336936044,'
            '"timeEndNs":1795626492337555818,"eventCount":103,'
            '"bytesWritten":11421,"modules":["11111111-2222-3333-4444-'
            '555555555555"]}')
    return {
        "fixture": fixture_manifest,
        "writer_layout": base.encode(),
        "required_only": b'{"os":"darwin","arch":"aarch64","timeStartNs":1,'
                         b'"timeEndNs":2,"eventCount":0}',
        "u64_max_and_draft_keys":
            b'{"os":"linux","arch":"x86_64","timeStartNs":0,'
            b'"timeEndNs":18446744073709551615,"eventCount":5,'
            b'"sessionId":18446744073709551615,"spanCount":3,'
            b'"firstEventOffset":0,"lastEventOffset":900,'
            b'"eventsFileSize":1000,"modules":[]}',
        "unknown_keys_nested":
            b'{"os":"linux","arch":"x86_64","timeStartNs":1,"timeEndNs":1,'
            b'"eventCount":1,"extra":{"a":[1,2.5,-3e2,{"b":null}],"c":true},'
            b'"pid":-1,"modules":["\\u00e9\\ud83d\\ude80","x"]}\n',
        "end_before_start":
            b'{"os":"linux","arch":"x86_64","timeStartNs":10,"timeEndNs":9,'
            b'"eventCount":0}',
        "missing_os": b'{"arch":"x86_64","timeStartNs":1,"timeEndNs":2,'
                      b'"eventCount":0}',
        "wrong_types": b'{"os":1,"arch":"x86_64","timeStartNs":"1",'
                       b'"timeEndNs":2.5,"eventCount":-1,"modules":[1]}',
        "too_big": b'{"os":"l","arch":"a","timeStartNs":18446744073709551616,'
                   b'"timeEndNs":2,"eventCount":0}',
        "duplicate_key": b'{"os":"l","os":"m","arch":"a","timeStartNs":1,'
                         b'"timeEndNs":2,"eventCount":0}',
        "not_an_object": b'[1, 2, 3]',
        "truncated": base[:60].encode(),
        # JSON at its edges, and forms of what JSON is not (json_check.c).
        "edge_json":
            b' \t\r\n{ "os" :\t"\\u00e9\\ud83d\\ude00\\"\\\\\\/\\b'
            b'\\f\\n\\r\\t",\r\n"arch":"x86_64\x7f","n":[1e5,-0.5E-3,0,'
            b'-0,1E+2,0.0e-0,12345678901234567890123,1.5e-400,2e400],'
            b'"timeStartNs":5,"x":{"a":[[],{},true,false,null,""]},'
            b'"timeEndNs":9007199254740993,"eventCount":0,"modules":[]}\n',
        "raw_control_and_bad_utf8":
            b'{"os":"li\x01nux","arch":"x86\xff_64","k\xc0\xaf":"\t",'
            b'"timeStartNs":1,"timeEndNs":2,"eventCount":0,'
            b'"modules":["\xed\xa0\x80"]}',
        "v2_manifest_shape":
            b'{\n  "threads": [\n    {"id": 0, "has_detail": true}\n  ],\n'
            b'  "time_start_ns": 0,\n  "time_end_ns": 0,\n'
            b'  "clock_type": 1,\n  "symbols": [{"function_id": '
            b'"0x9469d8e900000001", "module_id": 2489964777, '
            b'"symbol_index": 1, "name": "-[QLWorker runLoop]"}],\n'
            b'  "format_version": "2.1"\n}\n',
        "leading_zero": base.replace('"pid":4242', '"pid":04242').encode(),
        "trailing_comma": base.replace(']}', '],}').encode(),
        "bad_escape": base.replace('"linux"', '"lin\\u00zzux"').encode(),
        "lone_surrogate": base.replace('"linux"', '"\\ud800x"').encode(),
        "byte_order_mark": b'\xef\xbb\xbf' + base.encode(),
        "deep_nesting": base[:-1].encode() + b',"d":' + b'[' * 600 +
        b']' * 600 + b'}',
    }


def slurp(path):
    with open(path, "rb") as f:
        return f.read()


def v2_thread_files(trace, name):
    """The NAME files (index.atf, detail.atf) of TRACE's threads by slot."""
    slots = sorted(int(d[7:]) for d in os.listdir(trace)
                   if d.startswith("thread_") and d[7:].isdigit())
    out = []
    for slot in slots:
        p = os.path.join(trace, "thread_%d" % slot, name)
        if os.path.exists(p):
            out.append(slurp(p))
    return out


def v2_detail_record(length, index_seq, ts, stack_size):
    payload = bytearray(516)
    payload[0:8] = ts.to_bytes(8, "little")
    payload[248:252] = stack_size.to_bytes(4, "little")
    head = (length.to_bytes(4, "little") + b"\x03\x00\x00\x00" +
            index_seq.to_bytes(4, "little") + b"\x00" * 4 +
            ts.to_bytes(8, "little"))
    body = bytes(payload) + b"\x00" * max(0, length - 540)
    return (head + body)[:length]


def v2_seeds(atf_gen, tmp):
    """target -> {name: bytes} for the three v2 fuzz targets."""
    index, detail, manifest = {}, {}, {}
    traces = dict(V2_TRACES)
    runs = {
        "gen_twins": ["--seed", "7", "--events", "120", "--threads", "2",
                      "--v2-twins"],
        "gen_crashed_torn": ["--seed", "8", "--events", "90", "--threads",
                             "3", "--no-manifest", "--tear", "5"],
        "gen_calls_only": ["--seed", "9", "--events", "40", "--threads", "1",
                           "--v2-detail", "calls", "--stack-max", "64"],
    }
    for name, args in runs.items():
        d = os.path.join(tmp, "v2_" + name)
        subprocess.run([atf_gen, "--format", "v2"] + args + [d], check=True,
                       stdout=subprocess.DEVNULL)
        traces[name] = d
    for name, trace in traces.items():
        files = v2_thread_files(trace, "index.atf")
        index[name + "_all"] = b"".join(files)
        for i, data in enumerate(v2_thread_files(trace, "detail.atf")):
            detail["%s_%d" % (name, i)] = data
        mpath = os.path.join(trace, "manifest.json")
        if os.path.exists(mpath):
            manifest[name] = slurp(mpath)
    small_1 = slurp(os.path.join(V2_TRACES["small"], "thread_1", "index.atf"))
    index["small_thread_1"] = small_1
    index["torn_header"] = small_1[:40]
    index["footer_count_wrong"] = (small_1[:28] + b"\x07\x00\x00\x00" +
                                   small_1[32:])
    index["big_endian_byte"] = small_1[:4] + b"\x02" + small_1[5:]
    index["footer_gone"] = small_1[:-20]
    head = slurp(os.path.join(V2_TRACES["crashed"], "thread_1",
                              "detail.atf"))[:64]
    mixed = [v2_detail_record(n, i, 1000 + i, s) for i, (n, s) in
             enumerate([(540, 128), (300, 0), (1000, 200), (24, 0),
                        (540, 40), (252 + 24, 128)])]
    detail["mixed_lengths"] = head + b"".join(mixed)
    detail["length_below_header"] = (head + mixed[0] +
                                     b"\x0a\x00\x00\x00" + mixed[1][4:])
    detail["cut_in_record"] = head + mixed[0] + mixed[1][:100]
    small_m = manifest["small"].decode()
    manifest["u64_edges"] = (
        b'{"threads": [{"id": 2147483647, "has_detail": false}], '
        b'"time_start_ns": 18446744073709551615, "format_version": "2.1", '
        b'"modules": [{"module_id": 4294967295, "path": "/m", '
        b'"base_address": "0xFFFFFFFFFFFFFFFF", "size": 0}], '
        b'"symbols": [{"function_id": "0xffffffffffffffff", "module_id": 1, '
        b'"symbol_index": 2, "name": "a\\"b"}]}')
    manifest["unknown_keys"] = small_m.replace(
        '"clock_type": 1,', '"clock_type": 1, "x": {"y": [1, -2, 3.5e2]},'
    ).encode()
    manifest["duplicate_ids"] = small_m.replace(
        "0x435c367500000004", "0x435c367500000005").encode()
    manifest["thread_twice"] = small_m.replace('"id": 2', '"id": 1').encode()
    manifest["truncated"] = manifest["small"][:100]
    return {"fuzz_v2_index": index, "fuzz_v2_detail": detail,
            "fuzz_v2_manifest": manifest}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    atf_gen, out = sys.argv[1], sys.argv[2]
    dirs = {t: os.path.join(out, t) for t in
            ("fuzz_events", "fuzz_sql", "fuzz_manifest", "fuzz_differential",
             "fuzz_calls", "fuzz_v2_index", "fuzz_v2_detail",
             "fuzz_v2_manifest")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    with open(os.path.join(FIXTURE, "events.bin"), "rb") as f:
        fixture_events = f.read()
    with open(os.path.join(FIXTURE, "trace.json"), "rb") as f:
        fixture_manifest = f.read()

    with tempfile.TemporaryDirectory() as tmp:
        gen = generated_traces(atf_gen, tmp)
        gen_calls = generated_calls(atf_gen, tmp)
        v2 = v2_seeds(atf_gen, tmp)
    for target, seeds in v2.items():
        for name, data in seeds.items():
            write(os.path.join(dirs[target], name), data)

    traces = {"fixture": fixture_events}
    traces.update({k: v[0] for k, v in gen.items()})
    traces.update(framing_edge_cases())
    for name, data in traces.items():
        write(os.path.join(dirs["fuzz_events"], name), data)
        write(os.path.join(dirs["fuzz_sql"], name), data)

    calls = dict(gen_calls)
    calls.update(hand_made_calls())
    calls["gen_seed1_10ev"] = gen["gen_seed1_10ev"][0]
    for name in ("empty", "torn_half_prefix", "bad_record_between"):
        calls[name] = traces[name]
    for name, data in calls.items():
        write(os.path.join(dirs["fuzz_calls"], name), data)

    for name, data in manifests(fixture_manifest).items():
        write(os.path.join(dirs["fuzz_manifest"], name), data)
    for name, (_, manifest) in gen.items():
        if manifest is not None:
            write(os.path.join(dirs["fuzz_manifest"], name), manifest)

    # Record bodies: one of each kind from the real tracer's trace and from
    # a generated one, then the hand-made wire cases.
    for source, data in (("fixture", fixture_events),
                         ("gen", gen["gen_seed5_50ev_1thread"][0])):
        seen = set()
        for i, body in enumerate(split_records(data)):
            try:
                kind = kind_of(body)
            except (IndexError, ValueError):  # a corrupt record
                kind = -1
            if kind in seen:
                continue
            seen.add(kind)
            write(os.path.join(dirs["fuzz_differential"],
                               "%s_record_%d" % (source, i)), body)
    for name, body in event_bodies().items():
        write(os.path.join(dirs["fuzz_differential"], name), body)


if __name__ == "__main__":
    main()
