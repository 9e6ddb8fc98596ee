#!/bin/bash
# One case of node/test/*.test.js under Node's own test runner, as one CTest
# test: passes when that case ran and passed (a name that matches nothing
# fails, rather than passing with nothing run).
# usage: node_test.sh NODE PACKAGE_DIR FILE CASE   (ATF_* environment: helpers.js)
set -euo pipefail
node=$1 dir=$2 file=$3 case=$4
[ -x "$node" ] || { echo "no $node: scripts/test-clients installs it (npm ci)" >&2; exit 1; }
[ -d "$dir/node_modules/better-sqlite3" ] ||
  { echo "$dir/node_modules is missing: scripts/test-clients runs npm ci there" >&2; exit 1; }
status=0
out=$("$node" --test --test-reporter=tap --test-name-pattern="^${case}\$" \
  "$dir/test/$file" 2>&1) || status=$?
echo "$out"
[ "$status" -eq 0 ] || exit "$status"
grep -q '^# pass 1$' <<<"$out" ||
  { echo "case $case did not run and pass exactly once under $node" >&2; exit 1; }
