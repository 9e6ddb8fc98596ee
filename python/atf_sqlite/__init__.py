"""atf_sqlite: SQL over ATF function-call traces from Python's sqlite3.

    import sqlite3, atf_sqlite
    db = sqlite3.connect(":memory:")
    atf_sqlite.load(db)
    db.execute("SELECT kind, count(*) FROM atf_events(?) GROUP BY kind", (trace,))

loadable_path() is the extension's path for any other loader;
read_frame(conn, sql) is a pandas DataFrame with 64-bit integers kept exact.
"""
import os
import sys

__version__ = "0.1.0"
__all__ = ["loadable_path", "load", "read_frame", "ExtensionLoadingUnavailable"]


class ExtensionLoadingUnavailable(RuntimeError):
    """This Python's sqlite3 module was built without extension loading."""


def loadable_path():
    """The extension's path without its suffix, as load_extension takes it.

    Raises FileNotFoundError when the package was installed without it.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "atf")
    if not os.path.isfile(path + ".so"):
        raise FileNotFoundError(
            "atf_sqlite: %s.so is missing: reinstall the package from a "
            "build that has the extension" % path)
    return path


def load(conn):
    """Loads the extension into the sqlite3 connection CONN.

    Loading is enabled for this call only. Raises ExtensionLoadingUnavailable
    when this Python's sqlite3 cannot load extensions (some builds, pyenv's
    and python.org's among them, leave it out), and sqlite3.OperationalError
    when SQLite refuses the extension (e.g. an SQLite older than 3.31.0).
    """
    if not hasattr(conn, "enable_load_extension"):
        raise ExtensionLoadingUnavailable(
            "the sqlite3 module of %s (Python %s) cannot load extensions: "
            "it was built without them. Use Debian's /usr/bin/python3, "
            "whose sqlite3 can (e.g. /usr/bin/python3 -m venv "
            "--system-site-packages .venv), or a Python configured with "
            "--enable-loadable-sqlite-extensions."
            % (sys.executable, sys.version.split()[0]))
    conn.enable_load_extension(True)
    try:
        conn.load_extension(loadable_path())
    finally:
        conn.enable_load_extension(False)


def read_frame(conn, sql, params=(), unsigned=()):
    """The rows of SQL as a pandas DataFrame, 64-bit integers exact.

    pandas.read_sql turns an integer column with a NULL (address on events
    that are not calls, ts on an event without timestamp) into float64, which
    rounds values above 2**53. Here a column whose values are all integers
    or NULL becomes a nullable Int64 built from the integers themselves, never
    passing through float; columns named in UNSIGNED become UInt64 (the same
    64 bits read unsigned: 0xffffffff81000000 rather than negative). Other
    columns are what pandas infers from the Python values.
    """
    import numpy as np
    import pandas as pd

    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    columns = []
    for i, name in enumerate(names):
        values = [row[i] for row in rows]
        present = [v for v in values if v is not None]
        if present and all(type(v) is int for v in present):
            mask = np.array([v is None for v in values], dtype=bool)
            data = np.array([0 if v is None else v for v in values],
                            dtype=np.int64)
            if name in unsigned:
                data = data.view(np.uint64)
            columns.append(pd.arrays.IntegerArray(data, mask))
        elif present:
            columns.append(pd.Series(values))
        else:
            columns.append(pd.Series(values, dtype=object))
    frame = pd.DataFrame(dict(enumerate(columns)),
                         index=pd.RangeIndex(len(rows)))
    frame.columns = names
    return frame
