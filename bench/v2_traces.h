/*
** v2_traces.h - what the ATF v2 benches share (v2_bench.c, reader level;
** v2_sql_bench.c, SQL level): the traces they read, made once under
** build-bench/ and reused, and the two reader passes whose difference is
** the k-way merge's cost.
*/
#ifndef ATF_V2_TRACES_H
#define ATF_V2_TRACES_H

#include <stddef.h>
#include <stdint.h>

#include "atf_reader.h"

/* The generator's seed for every v2 bench trace. */
#define V2_BENCH_SEED 2026u

/*
** Writes, unless already there, under BASE (the build-bench/ directory):
** - V2DIR: RECORDS calls and returns over THREADS threads as ATF v2
**   (atf_gen_write_v2; DETAIL an ATF_GEN_V2_DETAIL_*; TWINS: every event
**   with a detail record written twice, so 2 * RECORDS index records when
**   DETAIL is ATF_GEN_V2_DETAIL_ALL);
** - V4DIR (when not NULL): the same seeded events as ATF v4 (atf_gen_write),
**   plus the trace_start, SIGSEGV and trace_end that v2 has no record for.
** Stacks are at most 128 bytes, so every one fits v2's window and both
** formats carry the same bytes. A trace is reused when its manifest
** (manifest.json, trace.json: written last) is there. Each *DIR receives
** the path (LEN bytes); prints a line per trace generated. 0, or -1 with a
** message on stderr.
*/
int v2_traces_prepare(const char *base, uint64_t records, uint32_t threads,
                      int detail, int twins, char *v2dir, char *v4dir,
                      size_t len);

/* Every index record of T, each thread file in its own order: reading
** without the merge. *N receives the records read; returns a checksum of
** their timestamps, function ids and depths so that nothing is skipped. */
uint64_t v2_scan_files(const atf_v2_trace *t, uint64_t *n);

/* The same records through atf_v2_merge (by timestamp across the files):
** *N and the checksum *SUM as v2_scan_files gives them. 0, or -1 with a
** message on stderr when the merge cannot start (memory). */
int v2_scan_merge(const atf_v2_trace *t, uint64_t *n, uint64_t *sum);

#endif
