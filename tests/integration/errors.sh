#!/bin/bash
# Bad input through the real sqlite3 shell: each case builds a damaged trace
# from the fixture, runs a query, and checks the exact outcome: a clear error
# that names the file, the byte offset and the cause, or rows where the
# damage is tolerated (a torn tail). Never a crash: a signal fails the case.
# usage: errors.sh EXTENSION FIXTURE_DIR CASE
set -u
ext=$1 fixture=$2 case=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/atf-errors-XXXXXX")
trap 'rm -rf "$work"' EXIT
trace=$work/pid_1
mkdir "$trace"

# run SQL: prints the shell's stdout and stderr; sets $status.
run() {
  output=$(sqlite3 -batch -bail :memory: -cmd ".load $ext" "$1" 2>&1)
  status=$?
  if [ "$status" -gt 128 ]; then
    echo "sqlite3 died of signal $((status - 128)): $output"
    exit 1
  fi
}
# expect_error SQL PATTERN...: the query fails and the message has each
# pattern (fixed strings).
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
# expect_rows SQL EXPECTED: the query succeeds and prints exactly EXPECTED.
expect_rows() {
  run "$1"
  if [ "$status" -ne 0 ] || [ "$output" != "$2" ]; then
    echo "expected '$2' (status 0), got status $status: $output"
    exit 1
  fi
  echo "ok: $output"
}
whole_trace() { cp "$fixture/events.bin" "$fixture/trace.json" "$trace/"; }
manifest_with() { # a valid manifest, with one change made by sed
  sed "$1" "$fixture/trace.json" >"$trace/trace.json"
  cp "$fixture/events.bin" "$trace/"
}
# Three records: event_id 1, a middle one given as bytes, event_id 3.
records_around() {
  { printf '\002\010\001'; printf "$1"; printf '\002\010\003'; } >"$trace/events.bin"
}

case $case in
errors__missing_directory__then_error)
  expect_error "SELECT * FROM atf_events('$work/pid_404')" \
    "atf_events: $work/pid_404: No such file or directory" ;;
errors__missing_events_bin__then_error)
  cp "$fixture/trace.json" "$trace/"
  expect_error "SELECT count(*) FROM atf_events('$trace')" \
    "atf_events: $trace/events.bin: cannot open: No such file or directory" ;;
errors__missing_manifest__then_only_manifest_fails)
  cp "$fixture/events.bin" "$trace/"
  expect_rows "SELECT count(*) FROM atf_events('$trace')" "63"
  expect_error "SELECT * FROM atf_manifest('$trace')" \
    "atf_manifest: $trace/trace.json: trace not finalized" ;;
errors__corrupted_json__then_error)
  whole_trace
  printf '{"os": "linux", "arch": ' >"$trace/trace.json"
  expect_error "SELECT * FROM atf_manifest('$trace')" \
    "$trace/trace.json: byte offset" "malformed JSON"
  expect_rows "SELECT count(*) FROM atf_events('$trace')" "63" ;;
errors__empty_manifest__then_error)
  whole_trace
  : >"$trace/trace.json"
  expect_error "SELECT * FROM atf_manifest('$trace')" "$trace/trace.json: empty file" ;;
errors__missing_required_key__then_error)
  manifest_with '/"eventCount"/d'
  expect_error "SELECT * FROM atf_manifest('$trace')" \
    "$trace/trace.json: key \"eventCount\" is missing" ;;
errors__wrong_json_type__then_error)
  manifest_with 's/"os": "linux"/"os": 5/'
  expect_error "SELECT * FROM atf_manifest('$trace')" \
    "$trace/trace.json: key \"os\" must be a string"
  manifest_with 's/"timeEndNs": [0-9]*/"timeEndNs": -1/'
  expect_error "SELECT * FROM atf_manifest('$trace')" \
    "key \"timeEndNs\" must be an integer" ;;
errors__truncated_protobuf_in_record__then_error)
  # The middle record is whole (3 bytes as announced) but its varint is cut.
  records_around '\003\010\226\226'
  expect_error "SELECT event_id FROM atf_events('$trace')" \
    "atf_events: $trace/events.bin: record at byte offset 3" "varint cut short"
  # Rows before the damage come back to a query that stops earlier.
  expect_rows "SELECT event_id FROM atf_events('$trace') LIMIT 1" "1"
  # Framing alone does not look inside records.
  expect_rows "SELECT count(*) FROM atf_events('$trace')" "3" ;;
errors__invalid_wire_type__then_error)
  records_around '\002\017\001'
  expect_error "SELECT * FROM atf_events('$trace')" \
    "$trace/events.bin: record at byte offset 3" "invalid wire type 7" ;;
errors__invalid_varint_prefix__then_error)
  { printf '\002\010\001'; printf '\377\377\377\377\377\377\377\377\377\377\377'; } \
    >"$trace/events.bin"
  expect_error "SELECT count(*) FROM atf_events('$trace')" \
    "atf_events: $trace/events.bin: byte offset 3: invalid record length prefix" ;;
errors__torn_tail__then_rows_before_it)
  whole_trace
  head -c 6856 "$fixture/events.bin" >"$trace/events.bin" # 10 bytes short
  expect_rows "SELECT count(*), max(event_id) FROM atf_events('$trace')" "62|62"
  head -c 6835 "$fixture/events.bin" >"$trace/events.bin"
  printf '\201' >>"$trace/events.bin" # half a length prefix
  expect_rows "SELECT count(*), max(offset) FROM atf_events('$trace')" "62|6779" ;;
errors__not_a_regular_file__then_error_without_blocking)
  mkfifo "$trace/events.bin"
  expect_error "SELECT count(*) FROM atf_events('$trace')" \
    "$trace/events.bin: not a regular file" ;;
errors__no_trace_argument__then_error)
  expect_error "SELECT * FROM atf_events" "atf_events: no trace given" ;;
errors__view_in_main_schema__then_refused)
  # SQLITE_VTAB_DIRECTONLY: a database file cannot make these read paths.
  whole_trace
  db=$work/stranger.db
  sqlite3 "$db" "CREATE VIEW v AS SELECT 1" # a database to attack through
  output=$(sqlite3 -batch "$db" -cmd ".load $ext" \
    "CREATE VIEW peek AS SELECT count(*) FROM atf_events('$trace'); SELECT * FROM peek;" 2>&1)
  case $output in
  *"unsafe use of virtual table"*) echo "ok: $output" ;;
  *) echo "a view in main read the trace: $output"; exit 1 ;;
  esac
  expect_rows "CREATE TEMP VIEW mine AS SELECT count(*) FROM atf_events('$trace'); SELECT * FROM mine" "63" ;;
*)
  echo "unknown case $case"
  exit 2 ;;
esac
