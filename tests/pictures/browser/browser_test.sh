#!/bin/bash
# A real viewer: the README's two export commands run in the sqlite3 shell
# over TRACE, then each file is opened in speedscope in headless Chromium
# (speedscope_test.mjs), which must show every function of the trace. Mode
# view: scripts/view TRACE with $BROWSER set to a recorder (as xdg-open
# honours it), then the page speedscope's command asked for is opened.
# usage: browser_test.sh json|folded|view SOURCE_DIR EXTENSION TRACE ARTIFACTS
#   needs view/node_modules (npm ci in view/: scripts/test-clients) and
#   Debian's chromium (scripts/deps browser)
set -euo pipefail
mode=$1 src=$2 ext=$3 trace=$4 artifacts=$5
chromium=${ATF_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] ||
  { echo "no $chromium: scripts/deps browser installs Debian's chromium" >&2; exit 1; }
[ -d "$src/view/node_modules/playwright-core" ] && [ -d "$src/view/node_modules/speedscope" ] ||
  { echo "$src/view/node_modules is missing: scripts/test-clients runs npm ci there" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
lit=${trace//\'/\'\'}
run() { sqlite3 -bail :memory: -cmd ".load $ext" "$@"; }
# What each function is called in the trace, and as speedscope may show it.
run -separator $'\t' \
  "SELECT DISTINCT symbol, atf_demangle(symbol) FROM atf_calls('$lit')" >"$work/names"
# One profile per thread with calls, named after the process and its pid.
profiles=$(run "SELECT count(*) FROM atf_threads('$lit') WHERE calls > 0")
title=$(run "SELECT (SELECT executable_path FROM atf_events('$lit') WHERE kind = 'trace_start' LIMIT 1)
                    || ' (pid ' || (SELECT pid FROM atf_manifest('$lit')) || ')'")
case $mode in
json)
  file=$artifacts/calls.json
  run <<EOF
.once $file
SELECT atf_trace_json(ts, dur, thread_id, symbol, NULL, NULL, json_object('trace', '$lit'))
  FROM atf_calls('$lit');
EOF
  ;;
folded)
  file=$artifacts/stacks.folded
  run <<EOF
.once $file
SELECT stack || ' ' || self_dur FROM atf_flamegraph('$lit');
EOF
  profiles=1 title=""
  ;;
view)
  printf '#!/bin/sh\nprintf %%s "$1" >"%s/url.part" && mv "%s/url.part" "%s/url"\n' \
    "$work" "$work" "$work" >"$work/browser"
  chmod +x "$work/browser"
  env -u DISPLAY -u WAYLAND_DISPLAY BROWSER="$work/browser" ATF_EXTENSION="$ext" \
    TMPDIR="$work" "$src/scripts/view" "$trace"
  for _ in $(seq 100); do [ -f "$work/url" ] && break; sleep 0.2; done
  [ -f "$work/url" ] || { echo "scripts/view opened no browser" >&2; exit 1; }
  file=$(cat "$work/url")
  echo "scripts/view opened $file"
  ;;
*) echo "browser_test.sh: json, folded or view, not '$mode'" >&2; exit 2 ;;
esac
node "$src/tests/pictures/browser/speedscope_test.mjs" "$src/view" "$file" \
  "$work/names" "$artifacts" "$mode" "$profiles" "$title"
