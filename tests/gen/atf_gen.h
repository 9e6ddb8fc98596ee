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
** For the call-analysis tables, options (all off by default, and then the
** bytes are those of earlier versions) add what real traces hold: returns
** that unwind several calls, orphan returns, recursion, deep nesting, calls
** and returns without symbol and/or address, events without timestamps, a
** clock that jumps back, and a trace that stops with calls open. Which call
** a return then closes is for the pairing rules to say, not the generator.
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

  /* Call shapes; 0 is off (percentages are of the events or calls
  ** concerned, 0 to 100). */
  uint32_t max_depth;          /* most calls open at once on a thread, 1 to
                                  10000; 0: 8 */
  uint32_t call_percent;       /* chance that a thread below max_depth calls
                                  rather than returns; 0: a fair coin */
  uint32_t unwind_percent;     /* returns of a call below the innermost one:
                                  the calls above end without their own
                                  return (longjmp, exceptions) */
  uint32_t orphan_percent;     /* calls and returns replaced by a return that
                                  matches no open call (a random symbol on an
                                  empty stack, else "orphan_target") */
  uint32_t recursion_percent;  /* calls (at depth >= 2) of a function already
                                  open on the thread: the innermost (direct
                                  recursion) or one below it (indirect) */
  uint32_t anonymous_percent;  /* calls and returns without their symbol, their
                                  address or both (a return without both only
                                  when it is the innermost call's) */
  uint32_t untimed_percent;    /* events without a timestamp */
  uint32_t clock_jump_percent; /* events before which the clock jumps back by
                                  up to 100 us (negative durations) */
  int stop_open;               /* no trace_end: after trace_start only calls
                                  and returns, the last of them one call on
                                  each thread (every thread stops inside a
                                  call), then the signal if with_signal */
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
