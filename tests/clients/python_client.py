"""The atf_sqlite package as a Python user meets it, one case per run.

usage: python_client.py CASE ARGS...

  package VERSION NAMES_FILE TRACE
      run by the venv's python: load() registers exactly the names of
      NAMES_FILE, atf_version() and atf_sqlite.__version__ are VERSION,
      loading is enabled only during load()
  no_loading VENV
      finds a python3 whose sqlite3 cannot load extensions (pyenv's here);
      with the venv's package on its path, load() raises
      ExtensionLoadingUnavailable naming Debian's /usr/bin/python3.
      Exits 77 (skipped) when this machine has no such Python.
  pandas TRACE...
      run by the venv's python: read_frame() keeps every 64-bit integer of
      atf_events and atf_manifest exact (nullable Int64, UInt64 on request),
      where pandas.read_sql rounds the same columns
"""
import glob
import os
import shutil
import sqlite3
import subprocess
import sys

SKIP = 77


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


NAMES_SQL = ("SELECT 'function ' || name || ' ' || narg AS n "
             "FROM pragma_function_list "
             "UNION SELECT 'module ' || name FROM pragma_module_list")


def expected_names(path):
    names = set()
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line)
    return names


def case_package(version, names_file, trace):
    import atf_sqlite

    db = sqlite3.connect(":memory:")
    before = {r[0] for r in db.execute(NAMES_SQL)}
    atf_sqlite.load(db)
    added = {r[0] for r in db.execute(NAMES_SQL)} - before
    want = expected_names(names_file)
    if added != want:
        fail("registered names differ from %s:\n  missing: %s\n  unexpected: %s"
             % (names_file, sorted(want - added), sorted(added - want)))
    got = db.execute("SELECT atf_version()").fetchone()[0]
    if got != version or atf_sqlite.__version__ != version:
        fail("atf_version() %r, atf_sqlite.__version__ %r, expected %r"
             % (got, atf_sqlite.__version__, version))
    path = atf_sqlite.loadable_path()
    if not os.path.isfile(path + ".so"):
        fail("loadable_path() %r has no .so" % path)
    # Loading was enabled for load() alone.
    try:
        db.execute("SELECT load_extension(?)", (path,))
        fail("SQL's load_extension() works after load()")
    except sqlite3.OperationalError as e:
        if "not authorized" not in str(e):
            fail("unexpected error: %s" % e)
    n = db.execute("SELECT count(*) FROM atf_events(?)", (trace,)).fetchone()[0]
    print("atf_sqlite %s: %d names, %d events in %s"
          % (got, len(added), n, trace))


def pythons_without_loading():
    candidates = [shutil.which("python3"), shutil.which("python")]
    candidates += sorted(glob.glob(os.path.expanduser(
        "~/.pyenv/versions/*/bin/python3")))
    seen = set()
    for exe in candidates:
        if not exe or os.path.realpath(exe) in seen:
            continue
        seen.add(os.path.realpath(exe))
        probe = subprocess.run(
            [exe, "-c", "import sqlite3, sys; "
             "sys.exit(hasattr(sqlite3.Connection, 'enable_load_extension'))"],
            capture_output=True)
        if probe.returncode == 0:
            yield exe


def case_no_loading(venv):
    site = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages"))
    for exe in pythons_without_loading():
        env = dict(os.environ, PYTHONPATH=site[0])
        run = subprocess.run(
            [exe, "-c", "import sqlite3, atf_sqlite\n"
             "try:\n"
             "    atf_sqlite.load(sqlite3.connect(':memory:'))\n"
             "except atf_sqlite.ExtensionLoadingUnavailable as e:\n"
             "    print(e)\n"
             "else:\n"
             "    raise SystemExit('loaded')\n"],
            capture_output=True, text=True, env=env)
        print("%s: %s%s" % (exe, run.stdout, run.stderr))
        if run.returncode != 0 or "/usr/bin/python3" not in run.stdout \
                or "cannot load extensions" not in run.stdout:
            fail("%s: no clear error" % exe)
        return
    print("no python3 without extension loading on this machine: skipped")
    sys.exit(SKIP)


def case_pandas(traces):
    import pandas as pd
    import atf_sqlite

    db = sqlite3.connect(":memory:")
    atf_sqlite.load(db)
    queries = [("SELECT * FROM atf_events(?)", ("address",)),
               ("SELECT * FROM atf_manifest(?)", ("session_id",)),
               ("SELECT offset, key, value FROM atf_events(?), "
                "json_each(registers)", ("value",)),
               # NULL beside 64-bit values: what read_sql turns into float64
               ("SELECT offset, kind, ts, address, registers ->> '$.rdi' AS rdi, "
                "registers ->> '$.rsi' AS rsi FROM atf_events(?)",
                ("address", "rdi", "rsi"))]
    mask = (1 << 64) - 1
    lossy = 0
    for trace in traces:
        for sql, unsigned in queries:
            raw = db.execute(sql, (trace,)).fetchall()
            names = [d[0] for d in db.execute(sql, (trace,)).description]
            frame = atf_sqlite.read_frame(db, sql, (trace,))
            ufr = atf_sqlite.read_frame(db, sql, (trace,), unsigned=unsigned)
            naive = pd.read_sql(sql, db, params=(trace,))
            if list(frame.columns) != names or len(frame) != len(raw):
                fail("%s: shape %s, expected %d rows of %s"
                     % (sql, frame.shape, len(raw), names))
            for j, name in enumerate(names):
                column = [row[j] for row in raw]
                if not any(type(v) is int for v in column):
                    continue
                if str(frame[name].dtype) != "Int64":
                    fail("%s: column %s is %s" % (sql, name, frame[name].dtype))
                for i, v in enumerate(column):
                    got = frame[name].iloc[i]
                    if v is None:
                        if got is not pd.NA:
                            fail("%s row %d: %r for NULL" % (name, i, got))
                        continue
                    if int(got) != v:
                        fail("%s row %d: %r, exact %r" % (name, i, got, v))
                    if name in unsigned and int(ufr[name].iloc[i]) != v & mask:
                        fail("%s row %d unsigned: %r" % (name, i, ufr[name].iloc[i]))
                    n = naive[name].iloc[i]
                    if pd.isna(n) or int(n) != v:
                        lossy += 1
                if name in unsigned and str(ufr[name].dtype) != "UInt64":
                    fail("%s unsigned is %s" % (name, ufr[name].dtype))
        print("%s: every integer exact" % trace)
    # The data holds what pandas.read_sql gets wrong, so the checks above
    # are not vacuous.
    if lossy == 0:
        fail("pandas.read_sql rounded nothing: the traces test nothing")
    print("pandas.read_sql got %d of the same integers wrong" % lossy)


def main():
    case, args = sys.argv[1], sys.argv[2:]
    if case == "package":
        case_package(*args)
    elif case == "no_loading":
        case_no_loading(*args)
    elif case == "pandas":
        case_pandas(args)
    else:
        fail("unknown case %s" % case)


if __name__ == "__main__":
    main()
