"""What the hot-column query costs a Python user without atf-sqlite: Google's
python3-protobuf parses every length-prefixed record of events.bin with
Event.FromString, and the loop reads thread_id, the timestamp and the symbol,
accumulating what

    SELECT count(*), sum(thread_id), max(ts), count(symbol) FROM atf_events(?)

returns, so the totals can be checked against the SQL ones. Prints events/s
and MB/s (1 MB = 1e6 bytes of events.bin decoded), and with
--compare-events-per-sec how many times faster the C figure is (issue #3
target: >= 25x).

Run with Debian's interpreter (its python3-protobuf), after protoc wrote
atf_v4_pb2.py (bench/CMakeLists.txt does, into build-bench/bench/python):

    /usr/bin/python3 bench/python_decode.py --pb2-dir build-bench/bench/python \\
        build-bench/bench-trace-2000000/events.bin [--limit-mb N]
        [--compare-events-per-sec X] [--expect-totals C,S,M,K]

scripts/bench runs it after atf_bench, with the C figures.
"""
import argparse
import mmap
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("events_bin", help="path of events.bin")
    ap.add_argument("--pb2-dir", required=True,
                    help="directory holding protoc's atf_v4_pb2.py")
    ap.add_argument("--limit-mb", type=float, default=0,
                    help="decode only the records within the first N MB "
                         "(default 0: the whole file)")
    ap.add_argument("--compare-events-per-sec", type=float, default=0,
                    help="the C hot-column figure, to print the ratio")
    ap.add_argument("--expect-totals", default="",
                    help="count,sum,max_ts,count_symbol from the SQL query, "
                         "checked when the whole file is decoded")
    args = ap.parse_args()

    sys.path.insert(0, args.pb2_dir)
    import atf_v4_pb2  # noqa: E402  (protoc's output, found via --pb2-dir)
    from google.protobuf import __version__ as pb_version
    from google.protobuf.internal import api_implementation

    size = os.path.getsize(args.events_bin)
    limit = size if args.limit_mb <= 0 else min(size, int(args.limit_mb * 1e6))
    print(f"python:     {sys.version.split()[0]}, python3-protobuf "
          f"{pb_version} ({api_implementation.Type()} implementation)")
    print(f"decoding:   {args.events_bin}: "
          + ("the whole file" if limit == size else
             f"the first {limit / 1e6:.0f} MB of {size / 1e6:.1f} MB "
             f"(--limit-mb)"))
    sys.stdout.flush()

    from_string = atf_v4_pb2.Event.FromString
    count = sum_thread_id = count_symbol = 0
    max_ts = None
    pos = 0
    with open(args.events_bin, "rb") as f:
        # mmap: slices copy one record at a time, the file is never read
        # whole into memory (a 10 GB trace would not fit).
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        start = time.perf_counter()
        while pos < limit:
            record = pos
            # The length prefix: a base-128 varint, as a plain reader
            # decodes it.
            length = shift = 0
            while pos < limit:
                byte = data[pos]
                pos += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    break
            else:
                pos = record  # a prefix cut by the limit or a torn tail
                break
            if pos + length > limit:
                pos = record  # the record crosses the limit: not decoded
                break
            event = from_string(data[pos:pos + length])
            pos += length
            count += 1
            sum_thread_id += event.thread_id
            if event.HasField("timestamp"):
                ts = event.timestamp.seconds * 1_000_000_000 + \
                    event.timestamp.nanos
                if max_ts is None or ts > max_ts:
                    max_ts = ts
            kind = event.WhichOneof("payload")
            if kind == "function_call" or kind == "function_return":
                count_symbol += 1  # symbol is never NULL for these kinds
        elapsed = time.perf_counter() - start
        decoded = pos

    eps = count / elapsed if elapsed > 0 else 0
    print(f"python3-protobuf: {count} events in {elapsed:.2f} s: "
          f"{eps:,.0f} events/s, {decoded / 1e6 / elapsed:.1f} MB/s, "
          f"{elapsed * 1e9 / max(count, 1):.0f} ns/event")
    print(f"totals:     count {count}, sum(thread_id) {sum_thread_id}, "
          f"max(ts) {max_ts}, count(symbol) {count_symbol}")
    status = 0
    if args.expect_totals:
        mine = [count, sum_thread_id, max_ts or 0, count_symbol]
        theirs = [int(x) for x in args.expect_totals.split(",")]
        if limit < size:
            print("            (not compared with SQL: only part of the "
                  "file was decoded)")
        elif mine == theirs:
            print("            same totals as the SQL hot-column query")
        else:
            print(f"            DIFFERENT from the SQL hot-column query: "
                  f"{theirs}", file=sys.stderr)
            status = 1
    if args.compare_events_per_sec > 0 and eps > 0:
        ratio = args.compare_events_per_sec / eps
        print(f"C hot columns (atf_events): "
              f"{args.compare_events_per_sec:,.0f} events/s = {ratio:.1f}x "
              f"python3-protobuf (target >= 25x)")
        # For bench/targets.py (scripts/bench's targets section).
        print(f"TARGET\t3\tatf_events hot columns vs python3-protobuf\t>=\t"
              f"25\t{ratio!r}\tx faster\t")
    return status


if __name__ == "__main__":
    sys.exit(main())
