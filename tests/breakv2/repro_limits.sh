#!/bin/bash
# repro_limits.sh BUILD_DIR WORK_DIR - reproductions of the ATF v2 findings
# that are about cost, not answers (not CTest tests: they need a 1.2 GB
# file and minutes of a shared machine). Prints the figures; see the report
# of the breakv2 branch for what was expected.
#
#  1. Resident memory of a pass over v2 grows with the index file (the
#     README promises bounded resident memory for files over 1 GiB, which
#     v4 keeps: v2 never calls atf_map_scan_window).
#  2. rowid ranges and ts windows over v2 read every record (the README's
#     "Seeks, not scans" and the 0.2 ms ts window of atf_calls are v4's).
#  3. A manifest.json of 1M symbols (196 MB) costs about 1.2 GB of heap.
set -euo pipefail
build=$(cd "$1" && pwd)
work=$2
mkdir -p "$work"
cd "$work"
q() { /usr/bin/time -f "   %e s, max RSS %M KB" sqlite3 -cmd ".load $build/atf" :memory: "$1"; }

echo "1. RSS of count(*) over one 1.15 GB index.atf (v2) and a 1.48 GB events.bin (v4)"
[ -d big1 ] || "$build/atf-gen" --format v2 --seed 6 --events 36000000 \
  --threads 1 --v2-detail none --no-signal big1 >/dev/null
[ -d big1v4 ] || "$build/atf-gen" --seed 6 --events 8000000 --threads 1 \
  --no-signal big1v4 >/dev/null
q "SELECT count(*) FROM atf_events('big1')"
q "SELECT count(*) FROM atf_events('big1v4')"

echo "2. a rowid range of 11 rows and a 1 us ts window of atf_calls, 4M records"
[ -d big64 ] || "$build/atf-gen" --format v2 --seed 5 --events 4000000 \
  --threads 64 --v2-detail none --no-signal big64 >/dev/null
q "SELECT count(*) FROM atf_events('big64') WHERE rowid = (5<<32)+7"
q "SELECT count(*) FROM atf_events('big64') WHERE rowid BETWEEN (5<<32) AND (5<<32)+10"
q "SELECT count(*) FROM atf_calls('big64') WHERE ts BETWEEN 1700000622222000000 AND 1700000622222001000"

echo "3. a manifest.json with 1M symbols"
if [ ! -d bigman ]; then
  cp -r "$(dirname "$0")/../fixtures/atf2/session_20261129_210031/pid_48213" bigman
  /usr/bin/python3 - <<'EOF'
import json
p = 'bigman/manifest.json'
m = json.load(open(p))
m['symbols'] += [dict(function_id='0x%016x' % ((7 << 32) | i), module_id=7,
                      symbol_index=i, name='sym_%d_' % i + 'x' * 60)
                 for i in range(1, 1000001)]
json.dump(m, open(p, 'w'), indent=2)
EOF
fi
ls -la bigman/manifest.json | awk '{print "   manifest.json: " $5 " bytes"}'
q "SELECT count(*) FROM atf_events('bigman')"
