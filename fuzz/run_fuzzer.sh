#!/bin/sh
# Runs one libFuzzer target for a while on its seed corpus, as the CTest
# test fuzz__<target> does (fuzz/CMakeLists.txt) and scripts/fuzz-long.
# usage: run_fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS [libFuzzer options]
# New corpus entries go to WORK_DIR/corpus, crash/leak/timeout reproducers
# to WORK_DIR/artifacts; SEED_DIR (the committed seeds) is only read.
set -eu
fuzzer=$1 seeds=$2 work=$3 seconds=$4
shift 4
mkdir -p "$work/corpus" "$work/artifacts"
# -timeout: an input that takes 10 s is a finding, not a slow machine.
exec "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" "$seeds"
