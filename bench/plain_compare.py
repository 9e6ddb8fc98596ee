#!/usr/bin/python3
"""plain_compare.py - atf_events against a plain SQLite table holding the
same rows, the way a user meets them: one Python process (Debian's python3
and its SQLite), statements re-executed from Python's statement cache.

  /usr/bin/python3 bench/plain_compare.py build-bench/atf TRACE [--only NAME]

The plain table is `CREATE TABLE t AS SELECT * FROM atf_events(T)` plus an
index on offset, built once per run (in memory). Each measure runs both
sides in the same process and prints the two figures and their ratio
(atf_events / plain: below 1 is faster than the plain table). It prints
figures and asserts nothing about time; it does check that both sides give
the same answers.
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


def row(name, atf, plain, unit, scale):
    print(f"{name:58s} {atf * scale:12.3f} {plain * scale:12.3f} {unit:3s}"
          f" {atf / plain:7.2f}x", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ext")
    ap.add_argument("trace")
    ap.add_argument("--only")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    db = connect(a.ext)
    T = a.trace
    want = lambda k: a.only is None or a.only == k
    t0 = time.perf_counter()
    db.execute("CREATE TABLE t AS SELECT * FROM atf_events(?)", (T,))
    db.execute("CREATE INDEX t_offset ON t(offset)")
    n = db.execute("SELECT count(*) FROM t").fetchone()[0]
    print(f"plain table: {n} rows, built in {time.perf_counter() - t0:.1f} s"
          f" (SQLite {sqlite3.sqlite_version})")
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
            first / LOOKUPS, p_first / LOOKUPS, "us", 1e6)
        atf, s1 = best_of(a.repeat, lookups(sql, lambda o: (T, o)))
        plain, s2 = best_of(a.repeat, lookups(
            "SELECT * FROM t WHERE offset = ?1", lambda o: (o,)))
        assert s1 == s2
        row("SELECT * WHERE offset = ?, again (per lookup)",
            atf / LOOKUPS, plain / LOOKUPS, "us", 1e6)

    if want("next"):
        sql = "SELECT * FROM atf_events(?1) WHERE offset > ?2 LIMIT 1"
        atf, s1 = best_of(a.repeat, lookups(sql, lambda o: (T, o)))
        plain, s2 = best_of(a.repeat, lookups(
            "SELECT * FROM t WHERE offset > ?1 ORDER BY offset LIMIT 1",
            lambda o: (o,)))
        assert s1 == s2, (s1, s2)
        row("SELECT * WHERE offset > ? LIMIT 1 (per query)",
            atf / LOOKUPS, plain / LOOKUPS, "us", 1e6)

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
            atf, plain, "s", 1)

    def scan(name, cols):
        sql = "SELECT %s FROM {F}" % cols
        atf, r1 = best_of(a.repeat, lambda: db.execute(
            sql.format(F=atf_from), (T,)).fetchone())
        plain, r2 = best_of(a.repeat, lambda: db.execute(
            sql.format(F="t")).fetchone())
        assert r1 == r2, (r1, r2)
        row(name, atf, plain, "s", 1)

    if want("hot"):
        scan("count(*), sum(thread_id), max(ts), count(symbol)",
             "count(*), sum(thread_id), max(ts), count(symbol)")
    if want("every"):
        cols = [r[1] for r in db.execute("PRAGMA table_info(t)")]
        scan("every column aggregated (max of each)",
             ", ".join("max(%s)" % c for c in cols))
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
        row("SELECT * iterated in Python", atf, plain, "s", 1)
    print(f"peak resident memory of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
