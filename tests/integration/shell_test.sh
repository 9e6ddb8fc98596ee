#!/bin/sh
# Runs SQL through the real sqlite3 shell with the extension loaded and
# compares everything it prints with the expected output.
# usage: shell_test.sh EXTENSION SQL_FILE EXPECTED_FILE WORKDIR
set -eu
ext=$1 sql=$2 expected=$3 workdir=$4
actual=$(cd "$workdir" && sqlite3 -batch -bail :memory: -cmd ".load $ext" <"$sql" 2>&1) || {
  printf '%s\n' "$actual"
  echo "sqlite3 failed" >&2
  exit 1
}
printf '%s\n' "$actual" | diff -u "$expected" -
