#!/usr/bin/python3
"""plain_compare.py - atf_events against a plain SQLite table holding the
same rows, the way a user meets them: one Python process (Debian's python3
and its SQLite), statements re-executed from Python's statement cache.

  /usr/bin/python3 bench/plain_compare.py build-bench/atf TRACE [--only NAME]

The plain table is `CREATE TABLE t AS SELECT * FROM atf_events(T)` plus an
index on offset, built once per run (in memory: about 1.4 bytes of heap per
byte of events.bin). Each measure runs both sides in the same process and
prints the two figures and their ratio (atf_events / plain: below 1 is
faster than the plain table); the ratios are issue #10's targets, printed at
the end and as TARGET lines for bench/targets.py. It prints figures and
asserts nothing about time; it does check that both sides give the same
answers (exit code 1 if not).

--only NAME runs one measure: lookup next correlated count hot every select.
"""
import argparse
import random
import resource
import sqlite3
import sys
import time

LOOKUPS = 3000
NEXT_CALLS = 20000


def connect(ext):
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(ext)
    db.enable_load_extension(False)
    return db


def best_of(n, fn):
    best = None
    result = None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()
        t = time.perf_counter() - t0
        best = t if best is None or t < best else best
    return best, result


# (issue, what, limit of atf/plain, ratio) of each measure with a target.
TARGETS = []


def row(name, atf, plain, unit, scale, target=None, note=""):
    """Prints one measure; TARGET is the (issue, limit, short name) of the
    bound its ratio should stay within."""
    print(f"{name:58s} {atf * scale:12.3f} {plain * scale:12.3f} {unit:3s}"
          f" {atf / plain:7.2f}x{'  ' + note if note else ''}", flush=True)
    if target:
        TARGETS.append((target[0], target[2], target[1], atf / plain))


def print_targets():
    if not TARGETS:
        return
    print(f"\ntargets (#10, atf_events / plain table)"
          f"{'':20s} {'target':10s} {'measured':10s} verdict")
    for issue, what, limit, ratio in TARGETS:
        verdict = ("met" if ratio <= limit
                   else f"MISSED by {ratio / limit:.2f}x")
        print(f"  {what:56s} <= {limit:<7g} {ratio:7.2f}x   {verdict}")
    print()
    for issue, what, limit, ratio in TARGETS:
        print(f"TARGET\t{issue}\tvs plain table: {what}\t<=\t{limit!r}\t"
              f"{ratio!r}\tx\t")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ext")
    ap.add_argument("trace")
    ap.add_argument("--only", choices=["lookup", "next", "correlated",
                                        "count", "hot", "every", "select"])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    db = connect(a.ext)
    T = a.trace
    want = lambda k: a.only is None or a.only == k
    t0 = time.perf_counter()
    db.execute("CREATE TABLE t AS SELECT * FROM atf_events(?)", (T,))
    db.execute("CREATE INDEX t_offset ON t(offset)")
    n, nbytes = db.execute(
        "SELECT count(*), max(offset + size) FROM t").fetchone()
    print(f"plain table: {n} rows of {nbytes / 1e6:.1f} MB of events.bin, "
          f"built in {time.perf_counter() - t0:.1f} s (SQLite "
          f"{sqlite3.sqlite_version}, Python {sys.version.split()[0]}); "
          f"best of {a.repeat}")
    offsets = [r[0] for r in db.execute("SELECT offset FROM t")]
    rng = random.Random(7)
    picks = [offsets[rng.randrange(len(offsets))] for _ in range(LOOKUPS)]
    atf_from = "atf_events(?1)"
    print(f"{'measure':58s} {'atf_events':>12s} {'plain':>12s} {'':3s}"
          f" {'ratio':>8s}")

    def lookups(sql, args_of):
        def run():
            out = 0
            for off in picks:
                for r in db.execute(sql, args_of(off)):
                    out += r[0]
            return out
        return run

    if want("lookup"):
        # First pass: a fresh connection, nothing mapped or indexed yet.
        fresh = connect(a.ext)
        sql = "SELECT * FROM atf_events(?1) WHERE offset = ?2"
        t0 = time.perf_counter()
        s1 = 0
        for off in picks:
            for r in fresh.execute(sql, (T, off)):
                s1 += r[0]
        first = time.perf_counter() - t0
        fresh.close()
        p_first, s2 = best_of(1, lookups("SELECT * FROM t WHERE offset = ?1",
                                         lambda o: (o,)))
        assert s1 == s2
        row("SELECT * WHERE offset = ?, first pass (per lookup)",
            first / LOOKUPS, p_first / LOOKUPS, "us", 1e6,
            ("10", 1.5, "offset = ?, 1st pass (fresh connection)"),
            "fresh connection: mapping and index build included")
        atf, s1 = best_of(a.repeat, lookups(sql, lambda o: (T, o)))
        plain, s2 = best_of(a.repeat, lookups(
            "SELECT * FROM t WHERE offset = ?1", lambda o: (o,)))
        assert s1 == s2
        row("SELECT * WHERE offset = ?, again (per lookup)",
            atf / LOOKUPS, plain / LOOKUPS, "us", 1e6,
            ("10", 1.5, "offset = ?, 2nd pass"))

    if want("next"):
        sql = "SELECT * FROM atf_events(?1) WHERE offset > ?2 LIMIT 1"
        atf, s1 = best_of(a.repeat, lookups(sql, lambda o: (T, o)))
        plain, s2 = best_of(a.repeat, lookups(
            "SELECT * FROM t WHERE offset > ?1 ORDER BY offset LIMIT 1",
            lambda o: (o,)))
        assert s1 == s2, (s1, s2)
        row("SELECT * WHERE offset > ? LIMIT 1 (per query)",
            atf / LOOKUPS, plain / LOOKUPS, "us", 1e6,
            ("10", 1.5, "offset > ? LIMIT 1"))

    if want("correlated"):
        q = ("SELECT count(*), sum((SELECT r.offset FROM {F} r WHERE "
             "r.offset > c.offset AND r.thread_id = c.thread_id ORDER BY "
             "r.offset LIMIT 1)) FROM (SELECT offset, thread_id FROM {F} "
             "WHERE kind = 'function_call' ORDER BY offset LIMIT %d) c"
             % NEXT_CALLS)
        atf, r1 = best_of(a.repeat, lambda: db.execute(
            q.format(F=atf_from), (T,)).fetchone())
        plain, r2 = best_of(a.repeat, lambda: db.execute(
            q.format(F="t")).fetchone())
        assert r1 == r2, (r1, r2)
        row("next event of the thread after 20,000 calls (whole query)",
            atf, plain, "s", 1,
            ("10", 1.5, "correlated next event (20,000 calls)"))

    def scan(name, cols, target, note_of=None):
        sql = "SELECT %s FROM {F}" % cols
        atf, r1 = best_of(a.repeat, lambda: db.execute(
            sql.format(F=atf_from), (T,)).fetchone())
        plain, r2 = best_of(a.repeat, lambda: db.execute(
            sql.format(F="t")).fetchone())
        assert r1 == r2, (r1, r2)
        row(name, atf, plain, "s", 1, target,
            note_of(atf, plain) if note_of else "")

    if want("count"):
        # No ratio: SQLite counts a plain table by adding up the cell counts
        # of its smallest b-tree's pages (OP_Count), without reading a row.
        sql = "SELECT count(*) FROM {F}"
        atf, r1 = best_of(a.repeat, lambda: db.execute(
            sql.format(F=atf_from), (T,)).fetchone())
        plain, r2 = best_of(a.repeat, lambda: db.execute(
            sql.format(F="t")).fetchone())
        assert r1 == r2, (r1, r2)
        print(f"{'count(*)':58s} {atf:12.3f} {plain:12.6f} s   "
              f"{'-':>8s}  atf_events {nbytes / atf / 1e9:.2f} GB/s of "
              f"events.bin; plain: page cell counts, no row read",
              flush=True)
    if want("hot"):
        scan("count(*), sum(thread_id), max(ts), count(symbol)",
             "count(*), sum(thread_id), max(ts), count(symbol)",
             ("10", 1.0, "hot columns"))
    if want("every"):
        cols = [r[1] for r in db.execute("PRAGMA table_info(t)")]
        scan("every column aggregated (max of each)",
             ", ".join("max(%s)" % c for c in cols),
             ("10", 1.2, "every column aggregated"))
    if want("select"):
        def iterate(sql, args):
            def run():
                k = 0
                for r in db.execute(sql, args):
                    k += 1
                return k
            return run
        atf, k1 = best_of(a.repeat, iterate("SELECT * FROM atf_events(?1)",
                                            (T,)))
        plain, k2 = best_of(a.repeat, iterate("SELECT * FROM t", ()))
        assert k1 == k2
        row("SELECT * iterated in Python", atf, plain, "s", 1,
            ("10", 1.2, "SELECT * iterated in Python"))
    print(f"peak resident memory of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
          f" (the plain table included)")
    print_targets()


if __name__ == "__main__":
    sys.exit(main())
