#!/usr/bin/env python3
"""make_seeds.py - writes the seed corpora of the fuzz targets, fuzz/corpus/.

usage: fuzz/make_seeds.py ATF_GEN OUT_DIR   (e.g. build/atf-gen fuzz/corpus)

Seeds are small, varied starting points, not a test suite: the fixture trace
written by the real tracer, a few generated traces (torn, corrupt, one
thread, no signal), hand-made framing edge cases, manifests and their
variants, and single Event bodies that exercise each wire rule the reader
follows (unknown fields, groups, merges, oneof switches, map entries without
key or value, wrong wire types, NUL and non-UTF-8 strings, long varints).
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
    """The payload field number (10..14) of a well-formed Event body."""
    kind, pos = 0, 0
    while pos < len(body):
        t, pos = read_varint(body, pos)
        wire = t & 7
        if wire == 0:
            _, pos = read_varint(body, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            n, pos = read_varint(body, pos)
            pos += n
            if 10 <= t >> 3 <= 14:
                kind = t >> 3
        else:
            return -1
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
             "fuzz_v2_index", "fuzz_v2_detail", "fuzz_v2_manifest")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    with open(os.path.join(FIXTURE, "events.bin"), "rb") as f:
        fixture_events = f.read()
    with open(os.path.join(FIXTURE, "trace.json"), "rb") as f:
        fixture_manifest = f.read()

    with tempfile.TemporaryDirectory() as tmp:
        gen = generated_traces(atf_gen, tmp)
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
            except IndexError:  # a corrupt record
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
