#!/bin/bash
# The demo's questions, unchanged, over every kind of trace the tracer
# writes: each TRACE must give all eleven answers (sqlite3 runs with -bail,
# so an error stops the demo and fails this test).
# usage: demo_formats_test.sh SOURCE_DIR EXTENSION TRACE...
set -euo pipefail
src=$1 ext=$2
shift 2
for trace in "$@"; do
  out=$(ATF_EXTENSION="$ext" "$src/scripts/demo" "$trace" 2>&1) || {
    printf '%s\n' "$out" >&2
    echo "the demo failed over $trace" >&2
    exit 1
  }
  n=$(grep -c '^[0-9][0-9]*\. ' <<<"$out" || true)
  if [ "$n" != 11 ]; then
    printf '%s\n' "$out" >&2
    echo "$trace: $n of the demo's 11 questions answered" >&2
    exit 1
  fi
  echo "$trace: 11 questions answered"
done
