#!/bin/bash
# The dynamic symbols users link against: atf.so exports sqlite3_atf_init
# alone (the reader and ext/ functions stay local, so they can clash with
# nothing in the host), and libatf_reader.so exports the functions declared
# in the public headers reader/atf_*.h, none of internal.h.
# usage: exports.sh ATF_SO READER_SO READER_SOURCE_DIR
set -euo pipefail
atf_so=$1 reader_so=$2 reader_dir=$3
symbols() { nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}' | sed 's/@.*//' | LC_ALL=C sort -u; }

got=$(symbols "$atf_so")
if [ "$got" != sqlite3_atf_init ]; then
  echo "$atf_so exports more than sqlite3_atf_init:" >&2
  echo "$got" >&2
  exit 1
fi

# Declared names (static inline helpers of a header are not exported).
public=$(cat "$reader_dir"/atf_*.h | grep -v static | grep -oE '\batf_[a-z0-9_]+\(' | tr -d '(' | LC_ALL=C sort -u)
bad=$(LC_ALL=C comm -23 <(symbols "$reader_so") <(echo "$public"))
if [ -n "$bad" ]; then
  echo "$reader_so exports symbols that no public header declares:" >&2
  echo "$bad" >&2
  exit 1
fi
missing=$(LC_ALL=C comm -13 <(symbols "$reader_so") <(echo "$public"))
if [ -n "$missing" ]; then
  echo "$reader_so lacks functions its headers declare:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "atf.so: sqlite3_atf_init only; libatf_reader.so: $(symbols "$reader_so" | wc -l) public functions"
