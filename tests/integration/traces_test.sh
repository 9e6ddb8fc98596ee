#!/bin/bash
# atf_traces through the real sqlite3 shell, over a folder built here that
# mixes ATF v4 and v2 traces, finalized, crashed and damaged (the bundled
# fixtures, traces written by atf-gen, hand-damaged copies), with symbolic
# links that loop, hidden folders and a deep chain of folders. Each case
# checks an exact outcome; a signal fails it.
# usage: traces_test.sh EXTENSION ATF_GEN SOURCE_DIR CASE
set -u
ext=$1 gen=$2 src=$3 case=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/atf-traces-XXXXXX")
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 2
v4=$src/tests/fixtures/ada_traces/session_20251125_170812/pid_4242
small=$src/tests/fixtures/atf2/session_20261129_210031/pid_48213

# The folder every case reads (paths relative to $work, so that the output
# is the same wherever the test runs).
build_root() {
  set -e
  mkdir root
  cp -R "$src/tests/fixtures/ada_traces" "$src/tests/fixtures/atf2" root/
  # Generated: finalized and crashed (torn), v4 and v2, and a trace whose
  # folder is not named pid_<n> (its pid comes from trace.json).
  local s=root/gen/session_gen
  "$gen" --seed 3 --events 500 --threads 2 $s/pid_100 >/dev/null
  "$gen" --seed 3 --events 500 --threads 2 --no-manifest --tear 7 $s/pid_101 >/dev/null
  "$gen" --format v2 --seed 3 --events 500 --threads 2 $s/pid_102 >/dev/null
  "$gen" --format v2 --seed 3 --events 500 --threads 2 --no-manifest --tear 5 \
    $s/pid_103 >/dev/null
  "$gen" --seed 4 --events 300 --threads 3 $s/named_trace >/dev/null
  # Damaged, one way each.
  local b=root/damaged/session_bad
  mkdir -p $b/pid_200 $b/pid_201 $b/pid_203 $b/pid_204
  cp "$v4/events.bin" $b/pid_200/ # trace.json that is not JSON
  printf '{"os": "linux", "arch": ' >$b/pid_200/trace.json
  cp "$v4/events.bin" $b/pid_201/ # crashed, then a length prefix of 11 bytes
  printf '\377\377\377\377\377\377\377\377\377\377\377' >>$b/pid_201/events.bin
  cp -R "$small" $b/pid_202 # a v2 thread file with the wrong magic
  printf 'XXXX' | dd of=$b/pid_202/thread_2/index.atf conv=notrunc status=none
  cp "$v4/events.bin" "$small/manifest.json" $b/pid_203/ # both formats
  cp "$v4/trace.json" $b/pid_204/ # finalized, events.bin gone
  # Links are not followed: a loop, a link to the root, one to a trace.
  mkdir root/loops
  ln -s .. root/loops/up
  ln -s . root/loops/self
  ln -s ../atf2/session_20261129_210031/pid_48213 root/loops/pid_9
  ln -s loop_b root/loops/loop_a
  ln -s loop_a root/loops/loop_b
  # Hidden folders are skipped.
  mkdir -p root/.hidden/session_h
  cp -R "$v4" root/.hidden/session_h/pid_1
  # Depth: root/deep is 1, pid_8 at 8 (listed), pid_9 at 9 (not).
  mkdir -p root/deep/d2/d3/d4/d5/d6/d7/d8
  cp -R "$v4" root/deep/d2/d3/d4/d5/d6/d7/pid_8
  cp -R "$v4" root/deep/d2/d3/d4/d5/d6/d7/d8/pid_9
  set +e
}

# run SQL: the shell's stdout and stderr in $output, its status in $status.
run() {
  output=$(sqlite3 -batch -bail :memory: -cmd ".load $ext" "$1" 2>&1)
  status=$?
  if [ "$status" -gt 128 ]; then
    echo "sqlite3 died of signal $((status - 128)): $output"
    exit 1
  fi
}
expect_rows() {
  run "$1"
  if [ "$status" -ne 0 ] || [ "$output" != "$2" ]; then
    printf 'expected (status 0):\n%s\ngot status %s:\n%s\n' "$2" "$status" \
      "$output"
    exit 1
  fi
  echo "ok: $output"
}
expect_error() {
  run "$1"
  shift
  if [ "$status" -eq 0 ]; then
    echo "expected an error, got: $output"
    exit 1
  fi
  for pattern in "$@"; do
    case $output in
    *"$pattern"*) ;;
    *) echo "error message lacks '$pattern': $output"; exit 1 ;;
    esac
  done
  echo "ok: $output"
}
# expect_script NAME: tests/sql/NAME.sql run from $work, its whole output
# compared with tests/sql/NAME.expected.
expect_script() {
  local actual
  actual=$(sqlite3 -batch -bail :memory: -cmd ".load $ext" \
    <"$src/tests/sql/$1.sql" 2>&1)
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '%s\nsqlite3 failed (%s)\n' "$actual" "$rc"
    exit 1
  fi
  printf '%s\n' "$actual" | diff -u "$src/tests/sql/$1.expected" - || exit 1
  echo "ok: $1.sql"
}

build_root
case $case in
traces__mixed_v4_v2_finalized_crashed_damaged__then_expected_rows)
  expect_script traces ;;
traces__damaged_traces__then_rows_with_error_never_a_failed_query)
  expect_rows "SELECT count(*), count(error), count(format), sum(finalized)
                 FROM atf_traces('root/damaged')" "5|5|4|1" ;;
traces__symlink_loop__then_ends_and_links_not_followed)
  expect_rows "SELECT count(*) FROM atf_traces('root/loops')" "0"
  # Through the links nothing is listed twice.
  expect_rows "SELECT count(*), count(DISTINCT path) FROM atf_traces('root')" \
    "15|15"
  # A root that is itself a link is followed, once.
  expect_rows "SELECT path, pid FROM atf_traces('root/loops/pid_9')" \
    "root/loops/pid_9|9" ;;
traces__depth_bound__then_deeper_traces_left_out)
  expect_rows "SELECT path FROM atf_traces('root') WHERE path LIKE 'root/deep/%'" \
    "root/deep/d2/d3/d4/d5/d6/d7/pid_8"
  # Counted from the root given: from root/deep, pid_9 is 8 levels down.
  expect_rows "SELECT path FROM atf_traces('root/deep')" \
    "root/deep/d2/d3/d4/d5/d6/d7/d8/pid_9
root/deep/d2/d3/d4/d5/d6/d7/pid_8" ;;
traces__hidden_folder__then_skipped)
  expect_rows "SELECT count(*) FROM atf_traces('root') WHERE path LIKE '%hidden%'" "0"
  # Given as the root, it is read.
  expect_rows "SELECT path FROM atf_traces('root/.hidden')" \
    "root/.hidden/session_h/pid_1" ;;
traces__missing_root__then_error)
  expect_error "SELECT * FROM atf_traces('root/nosuch')" \
    "atf_traces: root/nosuch: No such file or directory"
  expect_error "SELECT * FROM atf_traces" "atf_traces: no root given"
  expect_error "CREATE VIRTUAL TABLE temp.t USING atf_traces('root/nosuch')" \
    "atf_traces: root/nosuch: No such file or directory" ;;
traces__unreadable_folder__then_row_with_error)
  if [ "$(id -u)" -eq 0 ]; then
    echo "skipped: root reads any folder"
    exit 77
  fi
  chmod 000 root/damaged/session_bad
  expect_rows "SELECT path, format, error FROM atf_traces('root/damaged')" \
    "root/damaged/session_bad||root/damaged/session_bad: cannot read the directory: Permission denied" ;;
traces__view_in_main_schema__then_refused)
  db=$work/stranger.db
  sqlite3 "$db" "CREATE VIEW v AS SELECT 1"
  output=$(sqlite3 -batch "$db" -cmd ".load $ext" \
    "CREATE VIEW peek AS SELECT count(*) FROM atf_traces('root'); SELECT * FROM peek;" 2>&1)
  case $output in
  *"unsafe use of virtual table"*) echo "ok: $output" ;;
  *) echo "a view in main listed the folder: $output"; exit 1 ;;
  esac ;;
traces__v2_join__then_events_per_trace)
  expect_script traces_v2_join ;;
*)
  echo "unknown case $case"
  exit 2 ;;
esac
