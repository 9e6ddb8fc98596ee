#!/usr/bin/python3
"""targets.py - the targets section at the end of scripts/bench: every
TARGET line the benchmark programs printed in this run (atf_bench,
plain_compare.py, python_decode.py), with the figure and whether it was met
or missed by how much.

  bench/targets.py FILE...

A TARGET line is tab-separated: TARGET, issue, what, ">=" or "<=", limit,
value ("nan": not measured), unit, note (when set, the target does not apply
to this trace: the note says why, and the figure is shown without a
verdict). Figures only; the exit code is 0 whatever was missed.
"""
import math
import sys


def verdict(op, limit, value, note):
    if math.isnan(value):
        return "not measured"
    if note:
        return f"n/a: {note}"
    met = value >= limit if op == ">=" else value <= limit
    if met:
        return "met"
    by = limit / value if op == ">=" else value / limit
    return f"MISSED by {by:.2f}x"


def main():
    rows = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if parts[0] != "TARGET" or len(parts) < 8:
                    continue
                _, issue, what, op, limit, value, unit, note = parts[:8]
                rows.append((issue, what, op, float(limit), float(value),
                             unit, note))
    # Issue by issue, in the order each program printed them.
    order = sorted(range(len(rows)), key=lambda i: (int(rows[i][0]), i))
    print(f"\n{'targets (this run)':62s} {'target':16s} {'measured':18s} "
          f"verdict")
    for i in order:
        issue, what, op, limit, value, unit, note = rows[i]
        shown = "-" if math.isnan(value) else f"{value:.2f} {unit}"
        target = f"{op} {limit:g} {unit}"
        print(f"  #{issue:3s} {what:56s} {target:16s} {shown:18s} "
              f"{verdict(op, limit, value, note)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
