#!/bin/bash
# scripts/view as a user at a terminal without a display runs it: from
# another folder, a trace path relative to it whose names hold a quote,
# double quotes, spaces and a backslash, a filter with a string in it, and
# -o to a file of such a name. It must print the file's path and write
# Chrome JSON holding exactly the calls the filter keeps.
# usage: view_test.sh SOURCE_DIR EXTENSION FIXTURE
set -euo pipefail
src=$1 ext=$2 fixture=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work # scripts/view's own folders, removed with it
odd="it's a \"trace\" \\ dir"
mkdir -p "$work/$odd"
cp -r "$fixture" "$work/$odd/pid_4242"
cd "$work"
# No display, no $BROWSER: the path is printed, nothing is opened.
got=$(env -u DISPLAY -u WAYLAND_DISPLAY -u BROWSER ATF_EXTENSION="$ext" \
  "$src/scripts/view" "$odd/pid_4242" "symbol = 'main' AND thread_id = 1")
echo "$got"
file=$(tail -n1 <<<"$got" | sed 's/^  //')
[ -f "$file" ] || { echo "the last line names no file: $file" >&2; exit 1; }
grep -q "No browser can be opened" <<<"$got" || { echo "no explanation" >&2; exit 1; }
check() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
calls = [e for e in doc["traceEvents"] if e["ph"] != "M"]
meta = [e for e in doc["traceEvents"] if e["ph"] == "M"]
assert len(calls) == 5 and {e["name"] for e in calls} == {"main"}, calls
assert {e["tid"] for e in calls} == {1} and {e["pid"] for e in calls} == {4242}
assert meta[0]["args"]["name"] == "/usr/bin/demo", meta
print(f"{sys.argv[1]}: {len(calls)} calls of main on thread 1")
PY
}
check "$file"
[[ $file == "$work"/* ]] || { echo "$file is not under \$TMPDIR" >&2; exit 1; }
# -o, relative to the caller's folder.
ATF_EXTENSION="$ext" ATF_VIEW_NO_BROWSER=1 \
  "$src/scripts/view" -o "$odd/out \"1\".json" "$odd/pid_4242/events.bin" \
  "symbol = 'main' AND thread_id = 1" >/dev/null
check "$work/$odd/out \"1\".json"
# A filter that keeps nothing says so and fails.
if ATF_EXTENSION="$ext" ATF_VIEW_NO_BROWSER=1 "$src/scripts/view" \
  "$odd/pid_4242" "0" 2>"$work/err" >/dev/null; then
  echo "an empty export did not fail" >&2
  exit 1
fi
grep -q "kept no call" "$work/err"
echo "scripts/view: path printed, filter applied, odd paths handled"
