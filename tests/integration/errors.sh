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
errors__manifest_not_strict_json__then_error_names_byte)
  # Forms cJSON alone would take: each an error at its byte.
  manifest_with 's/"pid": 4242/"pid": 04242/'
  expect_error "SELECT * FROM atf_manifest('$trace')" \
    "atf_manifest: $trace/trace.json: byte offset 48: malformed JSON: number '04242' has a leading zero"
  manifest_with 's/"linux"/"lin\\u00zzux"/'
  expect_error "SELECT * FROM atf_manifest('$trace')" \
    "$trace/trace.json: byte offset 14: malformed JSON: bad escape"
  manifest_with 's/eeee"]/eeee"],/'
  expect_error "SELECT * FROM atf_manifest('$trace')" \
    "$trace/trace.json: byte offset 285: malformed JSON: a trailing comma before '}'"
  expect_rows "SELECT severity, code, offset IS NULL FROM atf_check('$trace') WHERE code = 'bad_manifest'" \
    "error|bad_manifest|1" ;;
check__manifest_control_character_and_bad_utf8__then_warnings)
  # A raw 0x01 in "os" (byte 14), a 0xff in "arch" (byte 34): both kept,
  # both reported, at their byte in trace.json.
  cp "$fixture/events.bin" "$trace/"
  LC_ALL=C sed 's/"linux"/"lin\x01ux"/; s/"x86_64"/"x86\xff_64"/' \
    "$fixture/trace.json" >"$trace/trace.json"
  expect_rows "SELECT severity, code, offset FROM atf_check('$trace') WHERE code <> 'summary'" \
    "warning|manifest_control_character|14
warning|manifest_invalid_utf8|34"
  expect_rows "SELECT message FROM atf_check('$trace') WHERE code LIKE 'manifest_%' ORDER BY offset" \
    "$trace/trace.json: byte offset 14: raw control character 0x01 inside a string, which JSON requires escaped (\\u0001); kept as written (1 string holds such characters)
$trace/trace.json: byte offset 34: a string that is not valid UTF-8 (byte 0xff); kept as written, atf_manifest returns a value holding it as a BLOB (1 string is not UTF-8)"
  expect_rows "SELECT typeof(os), hex(os), typeof(arch), hex(arch) FROM atf_manifest('$trace')" \
    "text|6C696E017578|blob|783836FF5F3634" ;;
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
errors__malformed_records__then_each_error)
  # field number 0; a nested length beyond its message; wire type 6
  for bad in '\002\000\001' '\004\142\005\012\001' '\002\016\001'; do
    records_around "$bad"
    expect_error "SELECT symbol FROM atf_events('$trace')" \
      "$trace/events.bin: record at byte offset 3: malformed protobuf"
  done ;;
errors__record_over_length_limit__then_error_names_record)
  # A call whose symbol is 5000 bytes, beyond a 1000-byte SQLITE_LIMIT_LENGTH.
  python3 -c "
import sys
sym = b'x' * 5000
call = b'\x0a' + bytes([0x88, 0x27]) + sym
body = b'\x08\x02' + b'\x62' + bytes([len(call) & 0x7f | 0x80, len(call) >> 7]) + call
rec = bytes([len(body) & 0x7f | 0x80, len(body) >> 7]) + body
sys.stdout.buffer.write(b'\x02\x08\x01' + rec)" >"$trace/events.bin"
  output=$(sqlite3 -batch :memory: -cmd ".load $ext" \
    "SELECT count(*) FROM atf_events('$trace');" \
    ".limit length 1000" \
    "SELECT event_id, length(symbol) FROM atf_events('$trace');" 2>&1)
  case $output in
  *"record at byte offset 3: symbol of 5000 bytes exceeds SQLite's length limit"*)
    echo "ok: $output" ;;
  *) echo "no clear length error: $output"; exit 1 ;;
  esac
  case $output in
  *"1|"*) ;; # the row before it came back (event 1 has no symbol)
  *) echo "the row before the long record is missing: $output"; exit 1 ;;
  esac ;;
errors__invalid_utf8__then_blob_with_the_bytes)
  # A call whose symbol is ff fe 41: returned as a BLOB of those bytes.
  records_around '\011\010\002\142\005\012\003\377\376\101'
  expect_rows "SELECT typeof(symbol), hex(symbol) FROM atf_events('$trace') WHERE event_id = 2" \
    "blob|FFFE41"
  expect_rows "SELECT code FROM atf_check('$trace') WHERE severity <> 'info'" \
    "invalid_utf8
not_finalized" ;;
check__whole_fixture__then_summary_only)
  whole_trace
  expect_rows "SELECT severity, code, offset IS NULL, message ->> '\$.events', message ->> '\$.bytes', message ->> '\$.first_ts' FROM atf_check('$trace')" \
    "info|summary|1|63|6866|1700000000123456789" ;;
check__damaged_trace__then_each_finding)
  # A corrupt record, a torn tail, and a manifest whose counts disagree.
  # The trace_start (105 bytes), a bad record (3), then the fixture's
  # records from 105 cut 20 bytes into its last one (at 105 + 3 + 6730).
  { head -c 105 "$fixture/events.bin"; printf '\002\017\001'; tail -c +106 "$fixture/events.bin" | head -c 6750; } >"$trace/events.bin"
  sed 's/"eventCount": 63/"eventCount": 70/' "$fixture/trace.json" >"$trace/trace.json"
  expect_rows "SELECT severity || ' ' || code || ' ' || ifnull(offset, '-') FROM atf_check('$trace') WHERE code <> 'summary'" \
    "error corrupt_record 105
warning torn_tail 6838
warning event_count_mismatch -
warning bytes_written_mismatch -"
  expect_rows "SELECT message ->> '\$.events', message ->> '\$.corrupt', message ->> '\$.torn_bytes' FROM atf_check('$trace') WHERE code = 'summary'" \
    "63|1|20"
  # skip_corrupt leaves out exactly that record; without it, an error.
  expect_rows "SELECT count(*), sum(offset = 105) FROM atf_events('$trace', 'skip_corrupt')" "62|0"
  expect_error "SELECT count(symbol) FROM atf_events('$trace')" "record at byte offset 105"
  expect_error "SELECT * FROM atf_events('$trace', 'skip_everything')" "unknown option 'skip_everything'" ;;
check__bad_length_prefix__then_error_and_unread_bytes)
  { printf '\002\010\001'; printf '\377\377\377\377\377\377\377\377\377\377\377'; printf '\002\010\003'; } >"$trace/events.bin"
  expect_rows "SELECT code, offset FROM atf_check('$trace') WHERE severity = 'error'" "bad_length_prefix|3"
  expect_rows "SELECT count(*) FROM atf_events('$trace', 'skip_corrupt')" "1" ;;
check__many_corrupt_records__then_capped_and_counted)
  python3 -c "
import sys
sys.stdout.buffer.write(b'\x02\x0f\x01' * 1500 + b'\x02\x08\x07')" >"$trace/events.bin"
  expect_rows "SELECT code, count(*) FROM atf_check('$trace') GROUP BY code ORDER BY code" \
    "corrupt_record|1000
more|1
not_finalized|1
summary|1"
  expect_rows "SELECT message FROM atf_check('$trace') WHERE code = 'more'" \
    "500 more corrupt_record findings beyond the first 1000"
  expect_rows "SELECT count(*), max(event_id) FROM atf_events('$trace', 'skip_corrupt')" "1|7" ;;
check__bad_manifest__then_error_without_offset)
  whole_trace
  printf '{"os": "linux", "arch": ' >"$trace/trace.json"
  expect_rows "SELECT severity, code, offset IS NULL FROM atf_check('$trace') WHERE code = 'bad_manifest'" \
    "error|bad_manifest|1" ;;
security__odd_paths__then_read)
  odd="$work/it's a \"trace\" ünïcødé"
  mkdir -p "$odd"
  cp "$fixture/events.bin" "$fixture/trace.json" "$odd/"
  sql_path=${odd//\'/\'\'}
  expect_rows "SELECT count(*) FROM atf_events('$sql_path')" "63"
  expect_rows "SELECT pid FROM atf_manifest('$sql_path/trace.json')" "4242"
  expect_rows "CREATE VIRTUAL TABLE temp.t USING atf_events('$sql_path'); SELECT count(*) FROM temp.t" "63" ;;
security__directory_device_or_fifo__then_clean_error)
  mkdir "$trace/events.bin" # a directory where the file should be
  expect_error "SELECT count(*) FROM atf_events('$trace')" "$trace/events.bin: not a regular file"
  expect_error "SELECT count(*) FROM atf_events('/dev/zero')" "/dev/zero: not a regular file"
  # $work holds pid_1: a session folder, not a trace, and said so.
  expect_error "SELECT count(*) FROM atf_events('$work')" "$work: a session folder (1 trace), not one trace: list its traces with atf_traces('$work')"
  rmdir "$trace/events.bin"
  mkfifo "$trace/events.bin"
  # No writer will ever come: this must not block (timeout would fail it).
  output=$(timeout 10 sqlite3 -batch :memory: -cmd ".load $ext" "SELECT count(*) FROM atf_check('$trace')" 2>&1)
  case $output in
  *"not a regular file"*) echo "ok: $output" ;;
  *) echo "FIFO not refused at once: $output"; exit 1 ;;
  esac ;;
security__trigger_in_main_schema__then_refused)
  whole_trace
  db=$work/stranger.db
  output=$(sqlite3 -batch "$db" -cmd ".load $ext" \
    "CREATE TABLE log(n); CREATE TRIGGER peek AFTER INSERT ON log BEGIN SELECT count(*) FROM atf_events('$trace'); END; INSERT INTO log VALUES (1);" 2>&1)
  case $output in
  *"unsafe use of virtual table"*) echo "ok: $output" ;;
  *) echo "a trigger in main read the trace: $output"; exit 1 ;;
  esac
  output=$(sqlite3 -batch "$db" -cmd ".load $ext" \
    "CREATE VIEW v2 AS SELECT * FROM atf_check('$trace'); SELECT * FROM v2;" 2>&1)
  case $output in
  *"unsafe use of virtual table"*) echo "ok: $output" ;;
  *) echo "a view in main ran atf_check: $output"; exit 1 ;;
  esac ;;
*)
  echo "unknown case $case"
  exit 2 ;;
esac
