#!/bin/bash
# scripts/demo TRACE as a user runs it: from another folder, with a path
# relative to that folder whose names hold a quote, double quotes, spaces
# and a backslash. The output must equal the demo over the bundled trace
# given by its absolute path. ATF_EXTENSION skips the build (the build
# under test is used; the demo never reconfigures it).
# usage: demo_test.sh SOURCE_DIR EXTENSION FIXTURE
set -euo pipefail
src=$1 ext=$2 fixture=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
odd="it's a \"trace\" \\ dir"
mkdir -p "$work/$odd"
cp -r "$fixture" "$work/$odd/pid_4242"
expected=$(ATF_EXTENSION="$ext" "$src/scripts/demo" "$fixture")
got=$(cd "$work" && ATF_EXTENSION="$ext" "$src/scripts/demo" "$odd/pid_4242")
# The first line names the trace as given; the answers must be the same.
if [ "$(tail -n +2 <<<"$got")" != "$(tail -n +2 <<<"$expected")" ]; then
  diff <(echo "$expected") <(echo "$got") >&2 || true
  exit 1
fi
grep -q SIGSEGV <<<"$got" || { echo "no SIGSEGV in the demo's answers" >&2; exit 1; }
head -3 <<<"$got"
echo "scripts/demo ran over '$odd/pid_4242' from $work"
