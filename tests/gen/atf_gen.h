/*
** atf_gen.h - a deterministic generator of ATF v4 traces (see
** docs/FORMAT.md) for tests and benchmarks.
**
** The same options give the same bytes. A trace is a trace_start, then calls
** and returns over several threads (properly nested per thread), optionally a
** SIGSEGV signal_delivery, and a trace_end. Events are packed with protobuf-c,
** so the files are what a protobuf encoder writes, independently of reader/.
** Damage can be injected: a torn last record, a record whose body is not a
** valid message, a missing trace.json.
**
**   atf_gen_options o;
**   atf_gen_options_default(&o);
**   o.events = 100000;
**   atf_gen_write("out/pid_1", &o, NULL, NULL);
*/
#ifndef ATF_GEN_H
#define ATF_GEN_H

#include <stdint.h>

#include "atf_v4.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct atf_gen_options {
  uint64_t seed;          /* same seed, same bytes */
  uint64_t events;        /* total events, trace_start and trace_end (and the
                             signal) included; >= 2 (>= 3 with the signal) */
  uint32_t threads;       /* >= 1; thread ids are pid + 0 .. pid + threads-1 */
  int with_signal;        /* a SIGSEGV signal_delivery before trace_end, and
                             exit_code -11 (else 0) */
  int without_manifest;   /* leave out trace.json (a crashed trace) */
  uint64_t tear_bytes;    /* cut this many bytes off the end of the last
                             record (0: whole file); must be < its size */
  int64_t corrupt_record; /* -1: none; else the ordinal of one record whose
                             body starts with a wire type 7 tag (not a valid
                             message) while its length prefix stays right */
} atf_gen_options;

/* Seed 1, 1000 events, 4 threads, signal on, the rest off. */
void atf_gen_options_default(atf_gen_options *o);

/* Streaming state: produces the events one at a time. */
typedef struct atf_gen atf_gen;

/* A generator for O's event stream (tear_bytes and corrupt_record are about
** the file and ignored here). NULL, with a message on stderr, when the
** options are invalid or memory runs out. */
atf_gen *atf_gen_new(const atf_gen_options *o);

/* The next event (owned by the generator, valid until the next call), or
** NULL after the last. */
const Event *atf_gen_next(atf_gen *g);

void atf_gen_free(atf_gen *g);

/* Writes DIR/events.bin, and DIR/trace.json unless O->without_manifest (an
** existing one is removed then), creating DIR as mkdir -p does. Returns 0, or
** -1 with a message on stderr. When OFFSETS is non-NULL, *OFFSETS receives a
** malloc'd array of the byte offsets of every record written (a torn last
** record included) and *N their count, which is O->events. */
int atf_gen_write(const char *dir, const atf_gen_options *o, uint64_t **offsets,
                  uint64_t *n);

#ifdef __cplusplus
}
#endif
#endif /* ATF_GEN_H */
