#!/bin/bash
# Debian's sqlite-utils as a client: `sqlite-utils memory --load-extension`
# over a trace returns the same rows as the sqlite3 shell, every 64-bit
# integer exact in its JSON; `sqlite-utils query DB --load-extension` does
# too, and atf_version() is the project's version.
# usage: sqlite_utils_test.sh EXTENSION VERSION TRACE...
set -euo pipefail
ext=$1 version=$2
shift 2
command -v sqlite-utils >/dev/null || {
  echo "sqlite-utils missing: scripts/test installs Debian's sqlite-utils" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sql="SELECT offset, size, event_id, thread_id, ts, kind, symbol, address,
            registers, signal_number, signal_name, exit_code
       FROM atf_events(:trace)"
for trace in "$@"; do
  sqlite-utils memory --load-extension "$ext" "$sql" -p trace "$trace" >"$work/utils.json"
  sqlite3 -batch -json :memory: ".load $ext" ".parameter set :trace '${trace//\'/\'\'}'" \
    "$sql" >"$work/shell.json"
  sqlite-utils query "$work/empty.db" --load-extension "$ext" \
    "SELECT count(*) AS n, max(ts) AS max_ts FROM atf_events(:trace)" -p trace "$trace" \
    >"$work/query.json"
  /usr/bin/python3 - "$work" "$trace" <<'PY'
import json, sys
work, trace = sys.argv[1], sys.argv[2]
utils = json.load(open(work + "/utils.json"))
shell = json.load(open(work + "/shell.json"))
if utils != shell:
    for i, (a, b) in enumerate(zip(utils, shell)):
        if a != b:
            sys.exit("row %d differs:\n  sqlite-utils %s\n  sqlite3      %s" % (i, a, b))
    sys.exit("%d rows from sqlite-utils, %d from sqlite3" % (len(utils), len(shell)))
big = [r["ts"] for r in utils if r["ts"] is not None and r["ts"] > 2**53]
if not big:
    sys.exit("no timestamp above 2^53: the check is vacuous")
query = json.load(open(work + "/query.json"))
if query != [{"n": len(shell), "max_ts": max(r["ts"] for r in shell if r["ts"] is not None)}]:
    sys.exit("sqlite-utils query: %s" % query)
print("%s: %d rows equal to the sqlite3 shell's, %d timestamps above 2^53 exact"
      % (trace, len(utils), len(big)))
PY
done
got=$(sqlite-utils memory --load-extension "$ext" --csv --no-headers "SELECT atf_version()" | tr -d "\r")
[ "$got" = "$version" ] || { echo "atf_version() is '$got'" >&2; exit 1; }
