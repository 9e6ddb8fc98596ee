"""hostile_trace.py - a small crashed trace whose strings hold everything the
exports must survive, written event by event with python3-protobuf (the
"raw" schema of tests/calls/oracle.py, so that strings may be any bytes).

  - symbols with quotes, backslashes, control characters, ';', LF and CR
    (which the folded format cannot hold), bytes that are not UTF-8 (a lone
    0xff, a 3-byte character cut short), valid UTF-8 beyond ASCII, '%', an
    empty symbol;
  - an executable path that is not UTF-8 either;
  - a call on thread 2 stamped before trace_start, which comes first in
    the file (a negative rebased timestamp);
  - a return that comes earlier than its call (a clock that jumped back: a
    negative duration and self time);
  - calls still open at the end (no trace_end: a crash), and a signal;
  - no trace.json: the pid comes from the pid_31337 folder.

usage: hostile_trace.py PB2_DIR OUTDIR   (writes OUTDIR/pid_31337/events.bin)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "calls"))
import oracle  # noqa: E402  (the raw schema)

S = 10**9
BASE = 1_700_000_000 * S
EXECUTABLE = b'/opt/\xffodd "exe"\\path'
CALL, RET, SIG, START = ("function_call", "function_return",
                         "signal_delivery", "trace_start")
QUOTE = b'say "hi" \\ back\\slash'
CONTROL = b"semi;colon\nnewline\rcr\x01ctl\ttab\x1fend"
BAD = b"bad\xff\xfeutf8\xe2\x82"
ACCENTS = "\u00e9t\u00e9 \u2713 \u6f22".encode()

# (thread, ts offset in ns or None, kind, symbol, address)
EVENTS = [
    (1, 500, START, b"", 0),
    (2, 400, CALL, b"worker", 0x2000),       # earlier than trace_start
    (1, 1000, CALL, b"main", 0x1000),
    (1, 1100, CALL, QUOTE, 0x1100),
    (1, 1200, CALL, CONTROL, 0x1200),
    (1, 1300, RET, CONTROL, 0x1200),
    (1, 1400, CALL, BAD, 0x1400),
    (1, 1500, RET, BAD, 0x1400),
    (1, 1600, RET, QUOTE, 0x1100),
    (2, 950, CALL, ACCENTS, 0x2100),
    (2, 2000, RET, ACCENTS, 0x2100),
    (1, 1650, SIG, b"", 0),
    (1, 1700, CALL, b"", 0x99),               # an empty symbol
    (1, 1800, RET, b"", 0x99),
    (2, 2100, CALL, b"jump", 0x2200),
    (2, 2050, RET, b"jump", 0x2200),          # the clock jumped back
    (2, 2200, RET, b"worker", 0x2000),
    (1, 1900, CALL, b"100%;done", 0x1900),    # open at the end
    (1, 1950, CALL, b"worker", 0x2000),       # same name, another path
    (2, 2300, CALL, b"worker", 0x2000),       # open at the end
    (1, 2400, SIG, b"", 0),                   # thread 1's last event
]


def encode(raw_class, event, event_id):
    tid, ts, kind, symbol, address = event
    msg = raw_class()
    msg.event_id = event_id
    msg.thread_id = tid
    if ts is not None:
        msg.timestamp.SetInParent()
        msg.timestamp.seconds = (BASE + ts) // S
        msg.timestamp.nanos = (BASE + ts) % S
    if kind == START:
        msg.trace_start.executable_path = EXECUTABLE
        msg.trace_start.operating_system = b"linux"
        msg.trace_start.cpu_architecture = b"x86_64"
    elif kind == SIG:
        msg.signal_delivery.number = 11
        msg.signal_delivery.name = b"SIGSEGV"
        entry = msg.signal_delivery.registers.add()
        entry.key = b"rip"
        entry.value = 0x401000
    else:
        payload = msg.function_call if kind == CALL else msg.function_return
        payload.symbol = symbol
        payload.address = address
        regs = (payload.argument_registers if kind == CALL
                else payload.return_registers)
        entry = regs.add()
        entry.key = b"rdi" if kind == CALL else b"rax"
        entry.value = event_id
    return msg.SerializeToString()


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def write(pb2_dir, outdir):
    raw = oracle.raw_event_class(pb2_dir)
    directory = os.path.join(outdir, "pid_31337")
    os.makedirs(directory, exist_ok=True)
    data = bytearray()
    for i, event in enumerate(EVENTS):
        body = encode(raw, event, i + 1)
        data += varint(len(body)) + body
    with open(os.path.join(directory, "events.bin"), "wb") as f:
        f.write(data)
    manifest = os.path.join(directory, "trace.json")
    if os.path.exists(manifest):
        os.remove(manifest)
    return directory


if __name__ == "__main__":
    print(write(sys.argv[1], sys.argv[2]))
