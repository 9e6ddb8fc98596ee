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
  uint32_t stack_max;     /* bytes of the widest stack copy, 0..256 (default
                             256); 128 makes every stack fit ATF v2's window.
                             With 256 the bytes are those of earlier versions */
  /* ATF v2 only (atf_gen_write_v2): */
  int v2_detail; /* ATF_GEN_V2_DETAIL_*: which events get a detail
                    record (default all) */
  int v2_twins;  /* every event twice, as a real session with the
                    detail lane on (see atf_gen_write_v2) */
  uint32_t v2_twin_batch; /* with v2_twins: events a drain pass takes from
                             a lane (0: 8) */
} atf_gen_options;

enum {
  ATF_GEN_V2_DETAIL_ALL = 0, /* calls and returns */
  ATF_GEN_V2_DETAIL_CALLS,   /* calls only */
  ATF_GEN_V2_DETAIL_NONE
};

/* Seed 1, 1000 events, 4 threads, signal on, 256-byte stacks, the rest
** off. */
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

/* What the generator knows of the event atf_gen_next returned last. */
typedef struct atf_gen_event_info {
  uint32_t thread;     /* 0 .. threads-1 (its thread_id is pid + thread) */
  uint32_t symbol;     /* call, return: index in the symbol table below */
  uint32_t call_depth; /* call, return: the depth after entering the call
                          (outermost 1); a return carries its call's */
} atf_gen_event_info;
void atf_gen_last_info(const atf_gen *g, atf_gen_event_info *info);

/* The traced process's pid (thread ids are pid + 0 ..), and the UUIDs of
** trace.json's two modules (I = 0, 1). */
int64_t atf_gen_pid(const atf_gen *g);
const char *atf_gen_module_uuid(const atf_gen *g, int i);

/* The generator's symbol table: names, the region each lies in (0: the
** executable, 1: libc, 2: the kernel) and their addresses. */
size_t atf_gen_symbol_count(void);
const char *atf_gen_symbol_name(size_t i);
int atf_gen_symbol_region(size_t i);
uint64_t atf_gen_symbol_address(size_t i);

/* Writes DIR/events.bin, and DIR/trace.json unless O->without_manifest (an
** existing one is removed then), creating DIR as mkdir -p does. Returns 0, or
** -1 with a message on stderr. When OFFSETS is non-NULL, *OFFSETS receives a
** malloc'd array of the byte offsets of every record written (a torn last
** record included) and *N their count, which is O->events. */
int atf_gen_write(const char *dir, const atf_gen_options *o, uint64_t **offsets,
                  uint64_t *n);

/* mkdir -p PATH: 0, or -1 with errno set. */
int atf_gen_make_dirs(const char *path);

/* ---- ATF v2 ---------------------------------------------------------------
** atf_gen_write_v2 writes the same seeded events as atf_gen_write, laid out
** as the ADA tracer's ATF v2 writer lays out its files
** (tests/fixtures/atf2/README.md), so that a test can ask both formats the
** same question. The mapping:
** - function_call -> a CALL index record, function_return -> RETURN, in the
**   v4 stream's order within each thread. trace_start, trace_end and
**   signal_delivery have no v2 record: they are dropped (stats.dropped).
** - v4 thread id pid + t -> slot t (thread_<t>/, the records' thread_id);
**   a thread gets its files at its first call or return, as the drain
**   makes a writer at a thread's first event. The OS thread id (pid + t)
**   goes into the detail records' payload.
** - symbols -> function ids module_id << 32 | symbol_index: module_id is the
**   tracer's FNV-1a 32 of the module path (the executable
**   /opt/ada/bin/sample-server, 0x601bb9ab; libc
**   /usr/lib/x86_64-linux-gnu/libc.so.6, 0x83239999; [kernel.kallsyms],
**   0xc4ce16ae: two module ids >= 2^31, so function ids >= 2^63 occur);
**   symbol_index counts from 1 per module in the generator's table order;
**   manifest.json carries the table (modules with base address, size and
**   uuid; symbols in a seeded order, as the tracer's hash map has them).
** - call_depth: a call's depth after entering it (the outermost 1); a
**   return carries its call's.
** - detail records (v2_detail): a call's rdi, rsi, rdx, rcx, r8, r9 go to
**   x_regs[0..5] by name; rbp (x_regs[6], fp) and rsp (x_regs[7], sp),
**   which v4 events lack, are drawn from their own seeded stream; the first
**   min(stack length, 128) bytes of the stack copy are the window (with
**   stack_max 128 it is the whole copy). A return's rax goes to x_regs[0]
**   and an rsp to sp, stack_size 0. Every record is 540 bytes.
** - v2_twins: every event twice, as the drain writes a thread's index lane
**   and then its detail lane: per thread, batches of 8 events
**   (v2_twin_batch), first without detail, then those with detail again
**   with a timestamp 40 to 399 ns later but not after the thread's next
**   event (as the agent takes it), so timestamps go backwards in each file
**   between batches.
** - without_manifest: an unfinalized (crashed) trace: placeholder headers,
**   no footers, no manifest.json. tear_bytes (under 32, only then): the
**   last index record written is cut by that many bytes.
** - threads <= 64 (the tracer's slots); corrupt_record is not for v2.
** DIR is created as mkdir -p does; thread_0 .. thread_63 already there are
** replaced. Returns 0, or -1 with a message on stderr. */
typedef struct atf_gen_v2_stats {
  uint64_t records;   /* index records written (before a tear) */
  uint64_t details;   /* detail records */
  uint32_t threads;   /* thread directories */
  uint64_t dropped;   /* v4 events with no v2 record */
  uint32_t last_slot; /* the slot of the last index record written */
} atf_gen_v2_stats;

int atf_gen_write_v2(const char *dir, const atf_gen_options *o,
                     atf_gen_v2_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* ATF_GEN_H */
