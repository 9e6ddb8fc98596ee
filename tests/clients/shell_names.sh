#!/bin/bash
# The sqlite3 shell as a client: .load registers exactly the names of
# tests/expected_sql_names.txt (what pragma_function_list/pragma_module_list
# gain), and atf_version() is the project's version.
# usage: shell_names.sh EXTENSION NAMES_FILE VERSION
set -euo pipefail
ext=$1 names_file=$2 version=$3
. "$(dirname "$0")/names.sh"
before=$(sqlite3 -batch :memory: "$NAMES_SQL" | LC_ALL=C sort)
after=$(sqlite3 -batch :memory: ".load $ext" "$NAMES_SQL" | LC_ALL=C sort)
added=$(LC_ALL=C comm -13 <(echo "$before") <(echo "$after"))
if ! diff -u --label expected <(expected_names "$names_file") \
    --label registered <(echo "$added"); then
  echo "the extension registers other names than $names_file" >&2
  exit 1
fi
got=$(sqlite3 -batch :memory: ".load $ext" "SELECT atf_version()")
[ "$got" = "$version" ] || { echo "atf_version() is '$got', expected '$version'" >&2; exit 1; }
echo "sqlite3 shell: $(echo "$added" | wc -l) names as expected, atf_version() $got"
