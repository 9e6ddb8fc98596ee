/*
** fuzz_calls.c - libFuzzer target: arbitrary bytes as events.bin, its calls
** paired by the reader (atf_walker over atf_pairing), its stacks restored
** from call checkpoints (atf_call_index), and its call tables queried
** through the extension (atf_calls, atf_stack, atf_threads, atf_functions),
** all held against a pairing written here from CALLS_SPEC.md.
**
** The oracle. The records are framed and decoded once with the reader's own
** decoders (atf_iter_next, atf_event_decode, atf_payload_decode,
** atf_registers_collect: the pairing is under test here, not the decoding,
** which fuzz_events and fuzz_differential cover), then paired by a plain
** per-thread stack written from the spec: a return closes the innermost
** call it matches (symbols when both have one, else non-zero addresses; a
** call with nothing to compare passed over; a return with neither closes
** the innermost), the calls above it end unwound, a return matching nothing
** is an orphan; durations in 128-bit arithmetic, known when they fit int64.
** What a walk leaves out or fails on is decided per record as the walker's
** contract says: without skip_corrupt a record whose header does not decode,
** or a call or return of a wanted thread whose payload does not, is an
** error; with it, a record whose header, payload or registers do not decode
** is left out; framing damage is an error either way; a torn tail ends the
** trace.
**
** Checks, beyond crashes, leaks and undefined behaviour:
**   - full walks (with and without skip_corrupt, every thread or one,
**     close_at_last_ts as the input says): every call equal to the
**     oracle's, in the same order, field by field; the same error at the
**     same record; the thread statistics equal, drained and finished;
**   - call checkpoints, over an index built in one step and one built in
**     two (a prefix of the file, then the whole, as a live trace grows):
**     as many at the same interval, each restoring every thread's stack as
**     a walk from the start has it there; a walker restored at record
**     starts and other offsets and advanced there (atf_walker_advance_to)
**     has exactly the stack of a walk from the start, which has the
**     oracle's, with or without a thread filter (the event's thread, it
**     and another, another only), the same errors; a restored walker
**     walked on to the end gives the oracle's calls that close after its
**     checkpoint;
**   - through SQL (the input written to a temp pid dir in two steps, as
**     fuzz_sql does): atf_calls equals the oracle (with skip_corrupt too,
**     with thread_id =), offset = and IN (checkpoint lookups) equal the
**     full walk's row or give its error, atf_stack(T, at) equals the
**     oracle's stack or errors where the walk does, atf_threads equals the
**     oracle's statistics, atf_functions' totals agree with the calls.
**
** The reader here is built with ATF_TEST_SMALL_INDEX (blocks of 16 records,
** atf_reader.h), and each input sets the checkpoint budget
** (atf_test_call_index_bytes) from its last bytes, so that inputs of a few
** KB have many checkpoints and thinned ones.
*/
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "fuzz_common.h"

#ifndef ATF_TEST_SMALL_INDEX
#error "fuzz_calls needs the reader built with ATF_TEST_SMALL_INDEX"
#endif

int sqlite3_atf_init(sqlite3 *db, char **err_msg,
                     const sqlite3_api_routines *api);

#define NONE SIZE_MAX

/* Known bugs would be excused here (KNOWN_... switches, each with its
** reproducer in fuzz/regressions/fuzz_calls/); none is open. */

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  FUZZ_CHECK(p, "out of memory in the fuzzer");
  return p;
}

/* Room for one more in ARR (N used of CAP). */
#define GROW(arr, n, cap)                                                      \
  do {                                                                         \
    if ((n) == (cap)) {                                                        \
      (cap) = (cap) ? 2 * (cap) : 16;                                          \
      (arr) = xrealloc((arr), (cap) * sizeof *(arr));                          \
    }                                                                          \
  } while (0)

typedef unsigned long long ull;

/* ---- the records, decoded once ----------------------------------------- */

typedef struct rec {
  uint64_t offset, size;
  int header_ok;  /* atf_event_decode */
  int payload_ok; /* atf_payload_decode, whatever the kind */
  int regs_ok;    /* atf_registers_collect, when the payload decoded */
  int32_t thread;
  atf_kind kind;
  int has_ts;
  int64_t ts;
  atf_bytes symbol;
  uint64_t address;
} rec;

typedef struct trace {
  atf_map map;
  rec *recs; /* the whole records, in file order */
  size_t n, cap;
  uint64_t end;      /* just past the last whole record */
  atf_status end_rc; /* ATF_END (clean or torn), or the framing error */
  atf_error end_err;
  int32_t *threads; /* of the decoded headers, by first appearance */
  size_t n_threads, threads_cap;
} trace;

static void trace_read(trace *t) {
  atf_register *regs = NULL;
  uint32_t *scratch = NULL;
  atf_record r;
  atf_iter it;
  atf_iter_init(&it, &t->map);
  while ((t->end_rc = atf_iter_next(&it, &r, &t->end_err)) == ATF_OK) {
    atf_event ev;
    atf_payload pl;
    atf_error err;
    uint32_t count;
    rec *x;
    GROW(t->recs, t->n, t->cap);
    x = &t->recs[t->n++];
    memset(x, 0, sizeof *x);
    x->offset = r.offset;
    x->size = r.size;
    if (atf_event_decode(&r, &ev, &err) != ATF_OK) continue;
    x->header_ok = 1;
    x->thread = ev.thread_id;
    x->kind = ev.kind;
    x->has_ts = ev.has_timestamp;
    x->ts = ev.ts_ns;
    size_t k = 0;
    while (k < t->n_threads && t->threads[k] != ev.thread_id)
      k++;
    if (k == t->n_threads) {
      GROW(t->threads, t->n_threads, t->threads_cap);
      t->threads[t->n_threads++] = ev.thread_id;
    }
    if (atf_payload_decode(&ev, &pl, &err) != ATF_OK) continue;
    x->payload_ok = 1;
    x->symbol = pl.symbol;
    x->address = pl.address;
    regs = xrealloc(regs, ((size_t)pl.register_count + 1) * sizeof *regs);
    scratch = xrealloc(scratch,
                       2 * ((size_t)pl.register_count + 1) * sizeof *scratch);
    x->regs_ok = atf_registers_collect(&ev, regs, pl.register_count, scratch,
                                       &count, &err) == ATF_OK;
  }
  t->end = it.pos;
  free(regs);
  free(scratch);
}

static void trace_free(trace *t) {
  free(t->recs);
  free(t->threads);
}

/* The first record at or after OFFSET (t->n when none). */
static size_t record_from(const trace *t, uint64_t offset) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->recs[mid].offset < offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The index of the whole record starting at OFFSET, or NONE. */
static size_t record_at(const trace *t, uint64_t offset) {
  size_t i = record_from(t, offset);
  return i < t->n && t->recs[i].offset == offset ? i : NONE;
}

/* The error the reader gives for record I (I == t->n: the framing damage
** after the last whole record), as a walk with or without SKIP meets it. */
static void record_error(const trace *t, size_t i, int skip, atf_error *err) {
  atf_record r;
  atf_event ev;
  atf_payload pl;
  if (i == t->n) {
    *err = t->end_err;
    return;
  }
  FUZZ_CHECK(atf_record_at(&t->map, t->recs[i].offset, &r, err) == ATF_OK,
             "record %zu no longer frames", i);
  if (atf_event_decode(&r, &ev, err) != ATF_OK) return;
  if (atf_payload_decode(&ev, &pl, err) != ATF_OK) return;
  if (skip) {
    atf_register *regs = xrealloc(NULL, (pl.register_count + 1) * sizeof *regs);
    uint32_t *scratch =
        xrealloc(NULL, 2 * ((size_t)pl.register_count + 1) * sizeof *scratch);
    uint32_t count;
    atf_status rc = atf_registers_collect(&ev, regs, pl.register_count, scratch,
                                          &count, err);
    free(regs);
    free(scratch);
    if (rc != ATF_OK) return;
  }
  fuzz_fail("record %zu at %llu decodes: no error to expect", i,
            (ull)t->recs[i].offset);
}

/* ---- which records a walk takes ----------------------------------------- */

/* A thread filter: IDS sorted, N of them; IDS NULL: every thread. */
typedef struct filter {
  const int32_t *ids;
  size_t n;
} filter;

static const filter every_thread = {NULL, 0};

static int wants(const filter *f, int32_t id) {
  if (!f->ids) return 1;
  for (size_t i = 0; i < f->n; i++)
    if (f->ids[i] == id) return 1;
  return 0;
}

/* Whether R is damage to a walk: without SKIP, an error (its header, or
** the payload of a wanted call or return); with SKIP, left out (its header,
** or a wanted thread's payload or registers). */
static int is_bad(const rec *r, int skip, const filter *f) {
  if (!r->header_ok) return 1;
  if (!wants(f, r->thread)) return 0;
  if (skip) return !r->payload_ok || !r->regs_ok;
  return (r->kind == ATF_KIND_FUNCTION_CALL ||
          r->kind == ATF_KIND_FUNCTION_RETURN) &&
         !r->payload_ok;
}

/* The record a walk without skip_corrupt fails at: a bad one, t->n for
** framing damage, or NONE. */
static size_t first_error(const trace *t, const filter *f) {
  for (size_t i = 0; i < t->n; i++)
    if (is_bad(&t->recs[i], 0, f)) return i;
  return t->end_rc != ATF_END ? t->n : NONE;
}

/* ---- the oracle: pairing from the spec ---------------------------------- */

static int fits_int64(__int128 v) { return v >= INT64_MIN && v <= INT64_MAX; }

typedef struct ocall {
  uint64_t offset, return_offset, parent_offset, depth, children, address;
  int32_t thread;
  atf_call_status status;
  atf_bytes symbol;
  int has_ts, has_end_ts, has_dur, has_self_dur;
  int64_t ts, end_ts, dur, self_dur;
  size_t closed_at;    /* the record that closed it; t->n when open */
  __int128 child_durs; /* while open: the dur of its children, summed */
  int child_unknown;   /* ... one of which had none */
} ocall;

typedef struct othread {
  int32_t id;
  uint64_t events, calls, orphans, signals, max_depth;
  int has_ts;
  int64_t first_ts, last_ts;
  ocall *stack; /* outermost first */
  size_t depth, cap;
} othread;

/* The stack of a thread just after record INDEX, copied. */
typedef struct snapshot {
  size_t index;
  ocall *calls;
  size_t n;
  int taken;
} snapshot;

typedef struct oracle {
  const trace *t;
  int skip; /* skip_corrupt: bad records left out */
  int stop; /* without skip: a bad record is the walk's error (else left
               out, as the checkpoint walk tolerates them) */
  filter f;
  othread *threads; /* by first appearance */
  size_t n_threads, threads_cap;
  ocall *rows; /* in the order they closed */
  size_t n_rows, rows_cap;
  size_t error_at; /* the record the walk failed at (t->n: framing); NONE */
} oracle;

static void oracle_init(oracle *o, const trace *t, int skip, int stop,
                        filter f) {
  memset(o, 0, sizeof *o);
  o->t = t;
  o->skip = skip;
  o->stop = stop;
  o->f = f;
  o->error_at = NONE;
}

static void oracle_free(oracle *o) {
  for (size_t i = 0; i < o->n_threads; i++)
    free(o->threads[i].stack);
  free(o->threads);
  free(o->rows);
}

static othread *othread_of(oracle *o, int32_t id) {
  for (size_t i = 0; i < o->n_threads; i++)
    if (o->threads[i].id == id) return &o->threads[i];
  GROW(o->threads, o->n_threads, o->threads_cap);
  othread *th = &o->threads[o->n_threads++];
  memset(th, 0, sizeof *th);
  th->id = id;
  return th;
}

static void close_top(oracle *o, othread *th, atf_call_status status,
                      uint64_t return_offset, int has_end, int64_t end_ts,
                      size_t closed_at) {
  ocall c = th->stack[--th->depth];
  c.status = status;
  c.return_offset = return_offset;
  c.has_end_ts = has_end;
  c.end_ts = has_end ? end_ts : 0;
  c.closed_at = closed_at;
  if (c.has_end_ts && c.has_ts && fits_int64((__int128)c.end_ts - c.ts)) {
    c.has_dur = 1;
    c.dur = (int64_t)((__int128)c.end_ts - c.ts);
  }
  if (c.has_dur && !c.child_unknown && fits_int64(c.dur - c.child_durs)) {
    c.has_self_dur = 1;
    c.self_dur = (int64_t)(c.dur - c.child_durs);
  }
  if (th->depth) {
    ocall *parent = &th->stack[th->depth - 1];
    if (c.has_dur)
      parent->child_durs += c.dur;
    else
      parent->child_unknown = 1;
  }
  GROW(o->rows, o->n_rows, o->rows_cap);
  o->rows[o->n_rows++] = c;
}

/* Return R matches call C: both symbols when both have one, else both
** addresses when both are non-zero. */
static int matches(const rec *r, const ocall *c) {
  if (r->symbol.len && c->symbol.len)
    return r->symbol.len == c->symbol.len &&
           memcmp(r->symbol.ptr, c->symbol.ptr, r->symbol.len) == 0;
  return r->address && c->address && r->address == c->address;
}

static void feed(oracle *o, size_t i) {
  const rec *r = &o->t->recs[i];
  othread *th = othread_of(o, r->thread);
  th->events++;
  if (r->has_ts) {
    if (!th->has_ts) th->first_ts = r->ts;
    th->has_ts = 1;
    th->last_ts = r->ts;
  }
  if (r->kind == ATF_KIND_FUNCTION_CALL) {
    GROW(th->stack, th->depth, th->cap);
    ocall *c = &th->stack[th->depth];
    memset(c, 0, sizeof *c);
    c->offset = r->offset;
    c->return_offset = ATF_NO_OFFSET;
    c->depth = th->depth;
    c->parent_offset =
        th->depth ? th->stack[th->depth - 1].offset : ATF_NO_OFFSET;
    if (th->depth) th->stack[th->depth - 1].children++;
    c->thread = r->thread;
    c->status = ATF_CALL_OPEN;
    c->symbol = r->symbol;
    c->address = r->address;
    c->has_ts = r->has_ts;
    c->ts = r->has_ts ? r->ts : 0;
    if (!th->calls || c->depth > th->max_depth) th->max_depth = c->depth;
    th->calls++;
    th->depth++;
  } else if (r->kind == ATF_KIND_FUNCTION_RETURN) {
    size_t k = NONE;
    if (!r->symbol.len && !r->address) {
      if (th->depth) k = th->depth - 1;
    } else {
      for (size_t j = th->depth; j-- > 0;)
        if (matches(r, &th->stack[j])) {
          k = j;
          break;
        }
    }
    if (k == NONE) {
      th->orphans++;
      return;
    }
    while (th->depth > k + 1)
      close_top(o, th, ATF_CALL_UNWOUND, ATF_NO_OFFSET, r->has_ts, r->ts, i);
    close_top(o, th, ATF_CALL_RETURNED, r->offset, r->has_ts, r->ts, i);
  } else if (r->kind == ATF_KIND_SIGNAL_DELIVERY) {
    th->signals++;
  }
}

/* The calls still open, as atf_pairing_finish hands them out. */
static void oracle_finish(oracle *o, int close_at_last_ts) {
  for (size_t i = 0; i < o->n_threads; i++) {
    othread *th = &o->threads[i];
    while (th->depth)
      close_top(o, th, ATF_CALL_OPEN, ATF_NO_OFFSET,
                close_at_last_ts && th->has_ts, th->last_ts, o->t->n);
  }
}

/* Walks the records before LIMIT; takes the snapshots asked for. 0 when
** the walk failed. */
static int oracle_run_to(oracle *o, size_t limit, snapshot *snaps,
                         size_t n_snaps) {
  const trace *t = o->t;
  for (size_t i = 0; i < limit; i++) {
    const rec *r = &t->recs[i];
    if (is_bad(r, o->skip, &o->f)) {
      if (!o->skip && o->stop) {
        o->error_at = i;
        return 0;
      }
      continue;
    }
    if (!wants(&o->f, r->thread)) continue;
    feed(o, i);
    for (size_t s = 0; s < n_snaps; s++) {
      if (snaps[s].index != i) continue;
      othread *th = othread_of(o, r->thread);
      snaps[s].n = th->depth;
      snaps[s].calls = xrealloc(NULL, th->depth * sizeof(ocall));
      if (th->depth)
        memcpy(snaps[s].calls, th->stack, th->depth * sizeof(ocall));
      snaps[s].taken = 1;
    }
  }
  return 1;
}

/* Walks every record; takes the snapshots asked for; finishes (FINISH)
** unless the walk failed. */
static void oracle_run(oracle *o, int finish, int close_at_last_ts,
                       snapshot *snaps, size_t n_snaps) {
  const trace *t = o->t;
  if (!oracle_run_to(o, t->n, snaps, n_snaps)) return;
  if (t->end_rc != ATF_END) {
    o->error_at = t->n;
    return;
  }
  if (finish) oracle_finish(o, close_at_last_ts);
}

/* The row of the call at OFFSET, or NULL. */
static const ocall *oracle_row(const oracle *o, uint64_t offset) {
  for (size_t i = 0; i < o->n_rows; i++)
    if (o->rows[i].offset == offset) return &o->rows[i];
  return NULL;
}

/* ---- holding the reader against the oracle ------------------------------ */

static int same_bytes(atf_bytes a, atf_bytes b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* CALL as the walker gave it against the oracle's WANT. A call RESTORED
** from a checkpoint has not seen its children before the checkpoint: its
** children and self_dur are not compared (and self_dur must be unknown). */
static void check_call(const atf_call *got, const ocall *want, int restored,
                       const char *what) {
  ull at = (ull)want->offset;
  FUZZ_CHECK(got->offset == want->offset, "%s: call at %llu, expected %llu",
             what, (ull)got->offset, at);
  FUZZ_CHECK(got->return_offset == want->return_offset &&
                 got->parent_offset == want->parent_offset &&
                 got->depth == want->depth && got->thread_id == want->thread &&
                 got->status == want->status,
             "%s: call %llu: return %llu parent %llu depth %llu thread %d "
             "status %d; expected %llu %llu %llu %d %d",
             what, at, (ull)got->return_offset, (ull)got->parent_offset,
             (ull)got->depth, got->thread_id, (int)got->status,
             (ull)want->return_offset, (ull)want->parent_offset,
             (ull)want->depth, want->thread, (int)want->status);
  FUZZ_CHECK(same_bytes(got->symbol, want->symbol) &&
                 got->address == want->address,
             "%s: call %llu: symbol or address differ", what, at);
  FUZZ_CHECK(
      got->has_ts == want->has_ts && (!got->has_ts || got->ts == want->ts),
      "%s: call %llu: ts %d/%lld, expected %d/%lld", what, at, got->has_ts,
      (long long)got->ts, want->has_ts, (long long)want->ts);
  FUZZ_CHECK(got->has_end_ts == want->has_end_ts &&
                 (!got->has_end_ts || got->end_ts == want->end_ts),
             "%s: call %llu: end_ts %d/%lld, expected %d/%lld", what, at,
             got->has_end_ts, (long long)got->end_ts, want->has_end_ts,
             (long long)want->end_ts);
  FUZZ_CHECK(
      got->has_dur == want->has_dur && (!got->has_dur || got->dur == want->dur),
      "%s: call %llu: dur %d/%lld, expected %d/%lld", what, at, got->has_dur,
      (long long)got->dur, want->has_dur, (long long)want->dur);
  FUZZ_CHECK(got->restored == restored, "%s: call %llu: restored %d, not %d",
             what, at, got->restored, restored);
  if (restored) {
    FUZZ_CHECK(!got->has_self_dur, "%s: restored call %llu has a self_dur",
               what, at);
    return;
  }
  FUZZ_CHECK(got->children == want->children,
             "%s: call %llu: %llu children, expected %llu", what, at,
             (ull)got->children, (ull)want->children);
  FUZZ_CHECK(got->has_self_dur == want->has_self_dur &&
                 (!got->has_self_dur || got->self_dur == want->self_dur),
             "%s: call %llu: self_dur %d/%lld, expected %d/%lld", what, at,
             got->has_self_dur, (long long)got->self_dur, want->has_self_dur,
             (long long)want->self_dur);
}

/* The walk's error RC/ERR against the error of record AT. */
static void check_error(atf_status rc, const atf_error *err, const trace *t,
                        size_t at, int skip, const char *what) {
  atf_error want;
  record_error(t, at, skip, &want);
  FUZZ_CHECK(rc == want.code && err->code == want.code &&
                 err->offset == want.offset &&
                 strcmp(err->message, want.message) == 0,
             "%s: error %d at %llu (%s), expected %d at %llu (%s)", what,
             (int)rc, (ull)err->offset, err->message, (int)want.code,
             (ull)want.offset, want.message);
}

/* The pairing's thread statistics against the oracle's. */
static void check_threads(const atf_pairing *p, const oracle *o,
                          const char *what) {
  FUZZ_CHECK(atf_pairing_thread_count(p) == o->n_threads,
             "%s: %zu threads, expected %zu", what, atf_pairing_thread_count(p),
             o->n_threads);
  for (size_t i = 0; i < o->n_threads; i++) {
    const atf_thread_stats *s = atf_pairing_thread(p, i);
    const othread *th = &o->threads[i];
    FUZZ_CHECK(s->thread_id == th->id && s->events == th->events &&
                   s->calls == th->calls && s->orphan_returns == th->orphans &&
                   s->signals == th->signals && s->open_calls == th->depth &&
                   (!th->calls || s->max_depth == th->max_depth),
               "%s: thread %d: events %llu calls %llu orphans %llu signals "
               "%llu open %llu max_depth %llu; expected thread %d %llu %llu "
               "%llu %llu %zu %llu",
               what, s->thread_id, (ull)s->events, (ull)s->calls,
               (ull)s->orphan_returns, (ull)s->signals, (ull)s->open_calls,
               (ull)s->max_depth, th->id, (ull)th->events, (ull)th->calls,
               (ull)th->orphans, (ull)th->signals, th->depth,
               (ull)th->max_depth);
    FUZZ_CHECK(s->has_ts == th->has_ts &&
                   (!s->has_ts ||
                    (s->first_ts == th->first_ts && s->last_ts == th->last_ts)),
               "%s: thread %d: first/last ts differ", what, s->thread_id);
  }
}

/* Walks W to its end with atf_walker_next against O's rows that close at
** or after record FROM (its checkpoint's; 0 for a walk from the start: the
** calls opened before it are restored ones), and its error.
**
** After a restore, the threads that had no open call at the checkpoint
** come, in the pairing, after those that had: the calls still open at the
** end come thread by thread in another order than from the start (no
** table shows it: a restored walk looks up one call or one stack). Those
** are compared as a set, each thread's innermost first. */
static void check_walk(atf_walker *w, const oracle *o, size_t from,
                       const char *what) {
  const trace *t = o->t;
  uint64_t from_offset = from < t->n ? t->recs[from].offset : t->end;
  size_t k = 0, n_open = 0, cap_open = 0;
  atf_call c, *open = NULL;
  atf_error err;
  atf_status rc;
  while (k < o->n_rows && o->rows[k].closed_at < from)
    k++;
  while ((rc = atf_walker_next(w, &c, &err)) == ATF_OK) {
    FUZZ_CHECK(k + n_open < o->n_rows,
               "%s: call at %llu after the %zu "
               "expected",
               what, (ull)c.offset, o->n_rows);
    if (from == 0 || o->rows[k].closed_at < t->n) {
      FUZZ_CHECK(n_open == 0, "%s: call at %llu closed after the open ones",
                 what, (ull)c.offset);
      check_call(&c, &o->rows[k++], c.offset < from_offset, what);
      continue;
    }
    for (size_t i = n_open; i-- > 0;)
      if (open[i].thread_id == c.thread_id) {
        FUZZ_CHECK(open[i].depth == c.depth + 1,
                   "%s: open call at %llu (depth %llu) after %llu (depth "
                   "%llu) of its thread",
                   what, (ull)c.offset, (ull)c.depth, (ull)open[i].offset,
                   (ull)open[i].depth);
        break;
      }
    GROW(open, n_open, cap_open);
    open[n_open++] = c;
  }
  for (size_t i = 0; i < n_open; i++) {
    const ocall *want = oracle_row(o, open[i].offset);
    FUZZ_CHECK(want && want->closed_at == t->n,
               "%s: open call at %llu, not expected open", what,
               (ull)open[i].offset);
    check_call(&open[i], want, open[i].offset < from_offset, what);
  }
  free(open);
  k += n_open;
  FUZZ_CHECK(k == o->n_rows, "%s: %zu calls, expected %zu (stopped with %d)",
             what, k, o->n_rows, (int)rc);
  if (o->error_at == NONE)
    FUZZ_CHECK(rc == ATF_END, "%s: ends with %d (%s), expected the end", what,
               (int)rc, err.message);
  else
    check_error(rc, &err, t, o->error_at, o->skip, what);
}

static atf_walker *walker_new(const trace *t, const filter *f, int skip,
                              int close_at_last_ts) {
  atf_walk_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = f->ids;
  opt.n_threads = f->n;
  opt.skip_corrupt = skip;
  opt.close_at_last_ts = close_at_last_ts;
  atf_walker *w = atf_walker_new(&t->map, &opt);
  FUZZ_CHECK(w, "atf_walker_new: out of memory");
  return w;
}

/* Full walks from the start, with and without skip_corrupt, under F. */
static void check_full_walks(const trace *t, const filter *f,
                             int close_at_last_ts) {
  for (int skip = 0; skip <= 1; skip++) {
    char what[96];
    oracle o;
    snprintf(what, sizeof what, "walk (skip_corrupt %d, %zu threads%s)", skip,
             f->ids ? f->n : t->n_threads,
             close_at_last_ts ? ", closed at last ts" : "");

    /* Drained: the statistics with the calls still open. */
    oracle_init(&o, t, skip, 1, *f);
    oracle_run(&o, 0, 0, NULL, 0);
    atf_walker *w = walker_new(t, f, skip, close_at_last_ts);
    atf_error err;
    atf_status rc = atf_walker_drain(w, &err);
    if (o.error_at == NONE)
      FUZZ_CHECK(rc == ATF_OK, "%s: drain fails: %s", what, err.message);
    else
      check_error(rc, &err, t, o.error_at, skip, what);
    check_threads(atf_walker_pairing(w), &o, what);
    atf_walker_free(w);
    oracle_free(&o);

    /* Every call, then the statistics with none open. */
    oracle_init(&o, t, skip, 1, *f);
    oracle_run(&o, 1, close_at_last_ts, NULL, 0);
    w = walker_new(t, f, skip, close_at_last_ts);
    check_walk(w, &o, 0, what);
    check_threads(atf_walker_pairing(w), &o, what);
    const atf_walk_counts *n = atf_walker_counts(w);
    FUZZ_CHECK(o.error_at != NONE || n->torn == (t->end < t->map.size),
               "%s: torn %d, but the records end at %llu of %llu", what,
               n->torn, (ull)t->end, (ull)t->map.size);
    atf_walker_free(w);
    oracle_free(&o);
  }
}

/* ---- checkpoints -------------------------------------------------------- */

/* An offset to restore at, and what a walk from the start has there. */
typedef struct target {
  uint64_t at;
  size_t record; /* its whole record, or NONE */
  int32_t thread;
  int32_t other; /* another thread, for the filters */
} target;

/* What atf_walker_advance_to(AT) must give under F: ATF_OK and the stack
** of snapshot SNAP (*ERR_AT NONE), or the error of record *ERR_AT, or a
** range error at AT (*ERR_AT NONE, return ATF_ERR_RANGE). */
static atf_status expect_advance(const trace *t, uint64_t at, const filter *f,
                                 size_t *err_at) {
  size_t next = record_from(t, at), bad = first_error(t, f);
  *err_at = NONE;
  if (bad != NONE && bad < next) {
    *err_at = bad;
    return ATF_ERR_PROTOBUF; /* (some error: record_error says which) */
  }
  if (next < t->n && t->recs[next].offset == at) {
    if (bad == next) {
      *err_at = bad;
      return ATF_ERR_PROTOBUF;
    }
    return ATF_OK;
  }
  if (next < t->n || at < t->end) return ATF_ERR_RANGE; /* inside a record */
  if (t->end_rc != ATF_END) {
    *err_at = t->n; /* framing damage at t->end */
    return t->end_rc;
  }
  return ATF_ERR_RANGE; /* at or past a torn tail or the end */
}

/* The stack of THREAD in W against the oracle's SNAP (none when THREAD is
** not wanted). */
static void check_stack(const atf_call *calls, size_t n, const snapshot *snap,
                        int wanted, const char *what) {
  size_t want = wanted ? snap->n : 0;
  FUZZ_CHECK(snap->taken || !wanted, "%s: no snapshot taken", what);
  FUZZ_CHECK(n == want, "%s: %zu calls open, expected %zu", what, n, want);
  for (size_t d = 0; d < n; d++) {
    const atf_call *c = &calls[d];
    const ocall *o = &snap->calls[d];
    FUZZ_CHECK(c->offset == o->offset && c->depth == o->depth &&
                   c->depth == d && c->parent_offset == o->parent_offset &&
                   c->thread_id == o->thread && c->status == ATF_CALL_OPEN &&
                   c->address == o->address &&
                   same_bytes(c->symbol, o->symbol) && c->has_ts == o->has_ts &&
                   (!c->has_ts || c->ts == o->ts),
               "%s: frame %zu: call %llu depth %llu parent %llu; expected "
               "%llu %llu %llu",
               what, d, (ull)c->offset, (ull)c->depth, (ull)c->parent_offset,
               (ull)o->offset, (ull)o->depth, (ull)o->parent_offset);
  }
}

/* Where a restore may leave a walker: the start, or a checkpoint's block
** at or before AT and not after the first record the checkpoint walk left
** out; the last such (a walk of at most INTERVAL blocks). */
static void check_restore_point(const atf_call_index *ci, const atf_index *idx,
                                uint64_t at, uint64_t from, const char *what) {
  size_t k = 0;
  int64_t block = atf_index_block_at(idx, at);
  if (block >= 0 && ci->n) {
    k = (size_t)block / ci->interval;
    if (k >= ci->n) k = ci->n - 1;
    while (k > 0 && ci->first_corrupt != ATF_NO_OFFSET &&
           idx->blocks[k * ci->interval].offset > ci->first_corrupt)
      k--;
  }
  uint64_t want = k ? idx->blocks[k * ci->interval].offset : 0;
  FUZZ_CHECK(from == want,
             "%s: restored at %llu, expected the checkpoint at %llu (block "
             "%lld, interval %zu, %zu checkpoints)",
             what, (ull)from, (ull)want, (long long)block, ci->interval, ci->n);
}

/* At T's offset, under F: a walk from the start, advanced there, has the
** oracle's stack or error; a walk restored from each call index and
** advanced there, the same. */
static void check_at(const trace *t, const target *tg, const filter *f,
                     const snapshot *snap, const atf_index *idx[2],
                     const atf_call_index *ci[2], const char *label) {
  char what[160];
  size_t err_at;
  atf_error err, err2;
  atf_status want = expect_advance(t, tg->at, f, &err_at);
  const atf_call *calls, *calls2;
  int wanted = wants(f, tg->thread);

  snprintf(what, sizeof what, "advance to %llu (%s)", (ull)tg->at, label);
  atf_walker *plain = walker_new(t, f, 0, 0);
  atf_status rc = atf_walker_advance_to(plain, tg->at, &err);
  if (want == ATF_OK) {
    FUZZ_CHECK(rc == ATF_OK, "%s: fails: %s", what, err.message);
    size_t n = atf_pairing_stack(atf_walker_pairing(plain), tg->thread, &calls);
    check_stack(calls, n, snap, wanted, what);
  } else if (err_at != NONE) {
    check_error(rc, &err, t, err_at, 0, what);
  } else {
    FUZZ_CHECK(rc == ATF_ERR_RANGE && err.offset == tg->at,
               "%s: %d at %llu (%s), expected a range error", what, (int)rc,
               (ull)err.offset, err.message);
  }

  for (int k = 0; k < 2; k++) {
    uint64_t from;
    snprintf(what, sizeof what, "restore at %llu (%s, index %d)", (ull)tg->at,
             label, k);
    atf_walker *w = walker_new(t, f, 0, 0);
    FUZZ_CHECK(atf_call_index_restore(ci[k], idx[k], &t->map, w, tg->at, &from,
                                      &err2) == ATF_OK,
               "%s: %s", what, err2.message);
    check_restore_point(ci[k], idx[k], tg->at, from, what);
    atf_status rc2 = atf_walker_advance_to(w, tg->at, &err2);
    FUZZ_CHECK(rc2 == rc, "%s: %d (%s), from the start %d (%s)", what, (int)rc2,
               err2.message, (int)rc, err.message);
    if (rc == ATF_OK) {
      size_t n =
          atf_pairing_stack(atf_walker_pairing(plain), tg->thread, &calls);
      size_t n2 = atf_pairing_stack(atf_walker_pairing(w), tg->thread, &calls2);
      FUZZ_CHECK(n2 == n, "%s: %zu calls open, from the start %zu", what, n2,
                 n);
      check_stack(calls2, n2, snap, wanted, what);
    } else {
      FUZZ_CHECK(err2.code == err.code && err2.offset == err.offset &&
                     strcmp(err2.message, err.message) == 0,
                 "%s: error %s, from the start %s", what, err2.message,
                 err.message);
    }
    atf_walker_free(w);
  }
  atf_walker_free(plain);
}

/* A walker restored at TG and walked on to the end: the calls that close
** after its checkpoint, as the oracle has them, and its error. */
static void check_walk_on(const trace *t, const target *tg, const filter *f,
                          const atf_index *idx, const atf_call_index *ci,
                          const char *label) {
  char what[160];
  uint64_t from;
  atf_error err;
  oracle o;
  snprintf(what, sizeof what, "walk on from the checkpoint before %llu (%s)",
           (ull)tg->at, label);
  atf_walker *w = walker_new(t, f, 0, 0);
  FUZZ_CHECK(atf_call_index_restore(ci, idx, &t->map, w, tg->at, &from, &err) ==
                 ATF_OK,
             "%s: %s", what, err.message);
  size_t from_record = record_at(t, from);
  FUZZ_CHECK(from_record != NONE || (from == t->end && t->n == 0),
             "%s: restored at %llu, no record start", what, (ull)from);
  oracle_init(&o, t, 0, 1, *f);
  oracle_run(&o, 1, 0, NULL, 0);
  check_walk(w, &o, from_record == NONE ? 0 : from_record, what);
  oracle_free(&o);
  atf_walker_free(w);
}

/* Each usable checkpoint of CI restores every thread's stack as a walk
** from the start has it just before the checkpoint's block. */
static void check_checkpoints(const trace *t, const atf_index *idx,
                              const atf_call_index *ci, const char *label) {
  for (size_t k = 1; k < ci->n; k++) {
    uint64_t at = idx->blocks[k * ci->interval].offset, from;
    size_t record = record_at(t, at);
    atf_error err;
    char what[128];
    oracle o;
    if (ci->first_corrupt != ATF_NO_OFFSET && at > ci->first_corrupt) break;
    snprintf(what, sizeof what, "checkpoint %zu at %llu (%s)", k, (ull)at,
             label);
    FUZZ_CHECK(record != NONE, "%s: no record start", what);
    atf_walker *w = walker_new(t, &every_thread, 0, 0);
    FUZZ_CHECK(atf_call_index_restore(ci, idx, &t->map, w, at, &from, &err) ==
                       ATF_OK &&
                   from == at,
               "%s: restored at %llu (%s)", what, (ull)from, err.message);
    oracle_init(&o, t, 0, 0, every_thread);
    oracle_run_to(&o, record, NULL, 0);
    const atf_pairing *p = atf_walker_pairing(w);
    size_t busy = 0;
    for (size_t i = 0; i < o.n_threads; i++) {
      const othread *th = &o.threads[i];
      const atf_call *calls;
      size_t n = atf_pairing_stack(p, th->id, &calls);
      busy += th->depth > 0;
      FUZZ_CHECK(n == th->depth, "%s: thread %d: %zu calls open, expected %zu",
                 what, th->id, n, th->depth);
      for (size_t d = 0; d < n; d++)
        FUZZ_CHECK(calls[d].offset == th->stack[d].offset &&
                       calls[d].depth == d && calls[d].restored,
                   "%s: thread %d frame %zu: call %llu, expected %llu", what,
                   th->id, d, (ull)calls[d].offset, (ull)th->stack[d].offset);
    }
    FUZZ_CHECK(atf_pairing_thread_count(p) == busy,
               "%s: %zu threads restored, %zu have open calls", what,
               atf_pairing_thread_count(p), busy);
    oracle_free(&o);
    atf_walker_free(w);
  }
}

/* One checkpoint per INTERVAL blocks of the index, the first at block 0. */
static void check_index_shape(const atf_call_index *ci, const atf_index *idx) {
  size_t want =
      ci->interval ? (idx->n_blocks + ci->interval - 1) / ci->interval : 0;
  FUZZ_CHECK(ci->end == idx->end && ci->n == want,
             "call index: %zu checkpoints at interval %zu for %zu blocks, "
             "end %llu (index %llu)",
             ci->n, ci->interval, idx->n_blocks, (ull)ci->end, (ull)idx->end);
  FUZZ_CHECK(ci->arena_len <= atf_test_call_index_bytes || ci->n <= 1,
             "call index: %zu bytes over the budget of %zu", ci->arena_len,
             atf_test_call_index_bytes);
}

/* ---- SQL ---------------------------------------------------------------- */

/* A value SQLite gave, or one expected. */
typedef struct sval {
  int type; /* SQLITE_INTEGER, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL,
               SQLITE_FLOAT */
  int64_t i;
  double r;
  uint8_t *b;
  size_t n;
} sval;

typedef struct qres {
  int rc;    /* SQLITE_DONE, or the error */
  char *msg; /* the error's */
  size_t rows, cols;
  sval *v; /* rows * cols */
  size_t cap;
} qres;

static void qres_free(qres *q) {
  for (size_t i = 0; i < q->rows * q->cols; i++)
    free(q->v[i].b);
  free(q->v);
  free(q->msg);
}

/* An integer bind, or NULL (is_null). */
typedef struct bind {
  int64_t i;
  int is_null;
} bind;

/* Runs SQL with ?1 = the trace directory and ?2... = BINDS, keeping every
** value of every row. */
static qres query(sqlite3 *db, const char *sql, const bind *binds,
                  int n_binds) {
  qres q;
  sqlite3_stmt *st = NULL;
  memset(&q, 0, sizeof q);
  FUZZ_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
             "cannot prepare %s: %s", sql, sqlite3_errmsg(db));
  sqlite3_bind_text(st, 1, fuzz_trace_dir, -1, SQLITE_STATIC);
  for (int i = 0; i < n_binds; i++)
    if (!binds[i].is_null) sqlite3_bind_int64(st, i + 2, binds[i].i);
  q.cols = (size_t)sqlite3_column_count(st);
  while ((q.rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (size_t c = 0; c < q.cols; c++) {
      sval v;
      memset(&v, 0, sizeof v);
      v.type = sqlite3_column_type(st, (int)c);
      if (v.type == SQLITE_INTEGER) v.i = sqlite3_column_int64(st, (int)c);
      if (v.type == SQLITE_FLOAT) v.r = sqlite3_column_double(st, (int)c);
      if (v.type == SQLITE_TEXT || v.type == SQLITE_BLOB) {
        const void *p = v.type == SQLITE_TEXT
                            ? (const void *)sqlite3_column_text(st, (int)c)
                            : sqlite3_column_blob(st, (int)c);
        v.n = (size_t)sqlite3_column_bytes(st, (int)c);
        v.b = xrealloc(NULL, v.n);
        if (v.n) memcpy(v.b, p, v.n);
      }
      GROW(q.v, q.rows * q.cols + c, q.cap);
      q.v[q.rows * q.cols + c] = v;
    }
    q.rows++;
  }
  if (q.rc != SQLITE_DONE) {
    const char *msg = sqlite3_errmsg(db);
    FUZZ_CHECK(msg && *msg, "%s: error %d without a message", sql, q.rc);
    /* The one kind of error a query may give here is an SQL error. */
    FUZZ_CHECK(q.rc == SQLITE_ERROR, "%s: rc %d (%s)", sql, q.rc, msg);
    q.msg = strdup(msg);
  }
  sqlite3_finalize(st);
  return q;
}

static sval v_int(int64_t i) { return (sval){SQLITE_INTEGER, i, 0, NULL, 0}; }
static sval v_null(void) { return (sval){SQLITE_NULL, 0, 0, NULL, 0}; }
static sval v_known(int known, int64_t i) {
  return known ? v_int(i) : v_null();
}
static sval v_offset(uint64_t o) {
  return o == ATF_NO_OFFSET ? v_null() : v_int((int64_t)o);
}
/* A string as the tables give it: TEXT when UTF-8, else a BLOB. */
static sval v_text(atf_bytes b) {
  return (sval){fuzz_utf8_reference(b.ptr, b.len) ? SQLITE_TEXT : SQLITE_BLOB,
                0, 0, (uint8_t *)b.ptr, b.len};
}
static sval v_str(const char *s) {
  return (sval){SQLITE_TEXT, 0, 0, (uint8_t *)s, strlen(s)};
}

static int same_value(const sval *a, const sval *b) {
  if (a->type != b->type) return 0;
  if (a->type == SQLITE_INTEGER) return a->i == b->i;
  if (a->type == SQLITE_FLOAT) return a->r == b->r;
  if (a->type == SQLITE_TEXT || a->type == SQLITE_BLOB)
    return a->n == b->n && (a->n == 0 || memcmp(a->b, b->b, a->n) == 0);
  return 1;
}

static void check_row(const qres *q, size_t row, const sval *want,
                      const char *what) {
  FUZZ_CHECK(row < q->rows, "%s: %zu rows, expected more", what, q->rows);
  for (size_t c = 0; c < q->cols; c++) {
    const sval *got = &q->v[row * q->cols + c];
    FUZZ_CHECK(same_value(got, &want[c]),
               "%s: row %zu column %zu: type %d value %lld, expected type %d "
               "value %lld",
               what, row, c, got->type, (long long)got->i, want[c].type,
               (long long)want[c].i);
  }
}

/* The outcome of Q is the error of record AT, as TABLE reports it. */
static void check_sql_error(const qres *q, const trace *t, size_t at, int skip,
                            const char *table, const char *what) {
  atf_error err;
  char want[700];
  record_error(t, at, skip, &err);
  snprintf(want, sizeof want, "%s: %s", table, err.message);
  FUZZ_CHECK(q->rc == SQLITE_ERROR && strcmp(q->msg, want) == 0,
             "%s: outcome %d (%s), expected the error %s", what, q->rc,
             q->msg ? q->msg : "", want);
}

static const char *status_text(atf_call_status s) {
  return s == ATF_CALL_RETURNED  ? "returned"
         : s == ATF_CALL_UNWOUND ? "unwound"
                                 : "open";
}

#define CALL_COLUMNS                                                           \
  "offset, return_offset, thread_id, depth, parent_offset, symbol, "           \
  "address, ts, end_ts, dur, self_dur, children, status"

static void call_row(const ocall *c, sval v[13]) {
  v[0] = v_int((int64_t)c->offset);
  v[1] = v_offset(c->return_offset);
  v[2] = v_int(c->thread);
  v[3] = v_int((int64_t)c->depth);
  v[4] = v_offset(c->parent_offset);
  v[5] = v_text(c->symbol);
  v[6] = v_int((int64_t)c->address);
  v[7] = v_known(c->has_ts, c->ts);
  v[8] = v_known(c->has_end_ts, c->end_ts);
  v[9] = v_known(c->has_dur, c->dur);
  v[10] = v_known(c->has_self_dur, c->self_dur);
  v[11] = v_int((int64_t)c->children);
  v[12] = v_str(status_text(c->status));
}

/* atf_calls rows (SQL, binding BINDS) against the oracle O. */
static void check_sql_calls(sqlite3 *db, const char *sql, const bind *binds,
                            int n_binds, const oracle *o) {
  qres q = query(db, sql, binds, n_binds);
  sval want[13];
  for (size_t i = 0; i < o->n_rows; i++) {
    call_row(&o->rows[i], want);
    check_row(&q, i, want, sql);
  }
  FUZZ_CHECK(q.rows == o->n_rows, "%s: %zu rows, expected %zu", sql, q.rows,
             o->n_rows);
  if (o->error_at == NONE)
    FUZZ_CHECK(q.rc == SQLITE_DONE, "%s: fails: %s", sql, q.msg);
  else
    check_sql_error(&q, o->t, o->error_at, o->skip, "atf_calls", sql);
  qres_free(&q);
}

/* atf_threads rows against the oracle's statistics with the calls still
** open (a drained walk). */
static void check_sql_threads(sqlite3 *db, const char *sql, const bind *binds,
                              int n_binds, const oracle *o) {
  qres q = query(db, sql, binds, n_binds);
  if (o->error_at != NONE) {
    check_sql_error(&q, o->t, o->error_at, o->skip, "atf_threads", sql);
    FUZZ_CHECK(q.rows == 0, "%s: rows before the error", sql);
    qres_free(&q);
    return;
  }
  FUZZ_CHECK(q.rc == SQLITE_DONE && q.rows == o->n_threads,
             "%s: outcome %d (%s), %zu rows, expected %zu", sql, q.rc,
             q.msg ? q.msg : "", q.rows, o->n_threads);
  for (size_t i = 0; i < o->n_threads; i++) {
    const othread *th = &o->threads[i];
    sval want[9] = {v_int(th->id),
                    v_int((int64_t)th->events),
                    v_int((int64_t)th->calls),
                    v_known(th->has_ts, th->first_ts),
                    v_known(th->has_ts, th->last_ts),
                    v_known(th->calls > 0, (int64_t)th->max_depth),
                    v_int((int64_t)th->depth),
                    v_int((int64_t)th->orphans),
                    v_int((int64_t)th->signals)};
    check_row(&q, i, want, sql);
  }
  qres_free(&q);
}

/* One call looked up by offset (a checkpoint restore, without
** skip_corrupt): the row of the full walk, or the error a walk of the
** call's thread from the start meets first. Not a record start, or a
** record that is no call: no row. */
static void check_sql_lookup(sqlite3 *db, const trace *t, const oracle *all,
                             uint64_t at, int skip) {
  char sql[200];
  bind b = {(int64_t)at, 0};
  size_t i = record_at(t, at);
  snprintf(sql, sizeof sql,
           "SELECT " CALL_COLUMNS " FROM atf_calls(?1%s) "
           "WHERE offset = ?2",
           skip ? ", 'skip_corrupt'" : "");
  qres q = query(db, sql, &b, 1);
  if (i == NONE) {
    /* The same condition outside the table gives no row, or the full
    ** walk's error: the lookup gives no row, or an error when the full
    ** walk has one. */
    FUZZ_CHECK((q.rc == SQLITE_DONE && q.rows == 0) ||
                   (q.rc == SQLITE_ERROR && all->error_at != NONE),
               "%s at %llu (no record start): outcome %d (%s), %zu rows", sql,
               (ull)at, q.rc, q.msg ? q.msg : "", q.rows);
  } else if (!t->recs[i].header_ok) {
    if (skip)
      FUZZ_CHECK(q.rc == SQLITE_DONE && q.rows == 0,
                 "%s at %llu (left out): outcome %d, %zu rows", sql, (ull)at,
                 q.rc, q.rows);
    else
      check_sql_error(&q, t, i, 0, "atf_calls", sql);
  } else if (t->recs[i].kind != ATF_KIND_FUNCTION_CALL) {
    FUZZ_CHECK(q.rc == SQLITE_DONE && q.rows == 0,
               "%s at %llu (no call): outcome %d (%s), %zu rows", sql, (ull)at,
               q.rc, q.msg ? q.msg : "", q.rows);
  } else {
    int32_t id = t->recs[i].thread;
    oracle o;
    oracle_init(&o, t, skip, 1, skip ? every_thread : (filter){&id, 1});
    oracle_run(&o, 1, 0, NULL, 0);
    const ocall *row = oracle_row(&o, at);
    if (row) {
      sval want[13];
      call_row(row, want);
      FUZZ_CHECK(q.rc == SQLITE_DONE && q.rows == 1,
                 "%s at %llu: outcome %d (%s), %zu rows, expected one", sql,
                 (ull)at, q.rc, q.msg ? q.msg : "", q.rows);
      check_row(&q, 0, want, sql);
    } else if (o.error_at != NONE) {
      check_sql_error(&q, t, o.error_at, skip, "atf_calls", sql);
    } else {
      FUZZ_CHECK(skip && q.rc == SQLITE_DONE && q.rows == 0,
                 "%s at %llu (left out): outcome %d, %zu rows", sql, (ull)at,
                 q.rc, q.rows);
    }
    oracle_free(&o);
  }
  qres_free(&q);
}

/* Several calls looked up at once (IN): the rows of the lookups one by one,
** in order of offset, up to the first that fails. AT sorted, distinct, each
** a record start. */
static void check_sql_lookup_in(sqlite3 *db, const uint64_t at[3]) {
  const char *in = "SELECT " CALL_COLUMNS " FROM atf_calls(?1) WHERE offset "
                   "IN (?2, ?3, ?4)";
  const char *one = "SELECT " CALL_COLUMNS " FROM atf_calls(?1) WHERE offset "
                    "= ?2";
  bind b[3] = {{(int64_t)at[0], 0}, {(int64_t)at[1], 0}, {(int64_t)at[2], 0}};
  qres q = query(db, in, b, 3);
  size_t row = 0;
  for (int k = 0; k < 3; k++) {
    qres r = query(db, one, &b[k], 1);
    for (size_t i = 0; i < r.rows; i++)
      check_row(&q, row++, &r.v[i * r.cols], in);
    if (r.rc != SQLITE_DONE) {
      FUZZ_CHECK(q.rc == SQLITE_ERROR && strcmp(q.msg, r.msg) == 0,
                 "%s: outcome %d (%s), one by one %s", in, q.rc,
                 q.msg ? q.msg : "", r.msg);
      qres_free(&r);
      break;
    }
    qres_free(&r);
    if (k == 2)
      FUZZ_CHECK(q.rc == SQLITE_DONE, "%s: fails (%s), one by one not", in,
                 q.msg);
  }
  FUZZ_CHECK(q.rows == row, "%s: %zu rows, one by one %zu", in, q.rows, row);
  qres_free(&q);
}

/* atf_stack(T, at): the oracle's stack of the event's thread (SNAP), or
** the error of a walk of that thread from the start; not a record start:
** an error. */
static void check_sql_stack(sqlite3 *db, const trace *t, const target *tg,
                            const snapshot *snap) {
  const char *sql = "SELECT depth, offset, symbol, address, ts, thread_id "
                    "FROM atf_stack(?1, ?2)";
  const char *where = "SELECT depth, offset, symbol, address, ts, thread_id "
                      "FROM atf_stack WHERE trace = ?1 AND at = ?2";
  bind b = {(int64_t)tg->at, 0};
  qres q = query(db, sql, &b, 1);
  if (tg->record == NONE) {
    FUZZ_CHECK(q.rc == SQLITE_ERROR && q.rows == 0,
               "%s at %llu (no record start): outcome %d, %zu rows", sql,
               (ull)tg->at, q.rc, q.rows);
  } else if (!t->recs[tg->record].header_ok) {
    check_sql_error(&q, t, tg->record, 0, "atf_stack", sql);
  } else {
    filter f = {&tg->thread, 1};
    size_t err_at;
    atf_status want = expect_advance(t, tg->at, &f, &err_at);
    if (want == ATF_OK) {
      FUZZ_CHECK(q.rc == SQLITE_DONE && q.rows == snap->n,
                 "%s at %llu: outcome %d (%s), %zu rows, expected %zu", sql,
                 (ull)tg->at, q.rc, q.msg ? q.msg : "", q.rows, snap->n);
      for (size_t d = 0; d < snap->n; d++) {
        const ocall *c = &snap->calls[d];
        sval row[6] = {v_int((int64_t)d),         v_int((int64_t)c->offset),
                       v_text(c->symbol),         v_int((int64_t)c->address),
                       v_known(c->has_ts, c->ts), v_int(c->thread)};
        check_row(&q, d, row, sql);
      }
    } else {
      FUZZ_CHECK(err_at != NONE, "%s at %llu: a whole record out of range", sql,
                 (ull)tg->at);
      check_sql_error(&q, t, err_at, 0, "atf_stack", sql);
    }
  }
  /* WHERE at = is the argument. */
  qres w = query(db, where, &b, 1);
  FUZZ_CHECK(w.rc == q.rc && w.rows == q.rows &&
                 (q.rc == SQLITE_DONE || strcmp(w.msg, q.msg) == 0),
             "%s: outcome %d, %zu rows; as an argument %d, %zu rows", where,
             w.rc, w.rows, q.rc, q.rows);
  for (size_t r = 0; r < q.rows; r++)
    check_row(&w, r, &q.v[r * q.cols], where);
  qres_free(&w);
  qres_free(&q);
  /* The registers: read, not compared (fuzz_sql holds atf_events'). */
  q = query(db, "SELECT argument_registers FROM atf_stack(?1, ?2)", &b, 1);
  qres_free(&q);
}

/* atf_functions' totals against the calls (with their durations). */
static void check_sql_functions(sqlite3 *db, const oracle *o) {
  const char *sql = "SELECT total(calls), total(returned), min(min_dur), "
                    "max(max_dur) FROM atf_functions(?1)";
  qres q = query(db, sql, NULL, 0);
  if (o->error_at != NONE) {
    check_sql_error(&q, o->t, o->error_at, 0, "atf_functions", sql);
    qres_free(&q);
    return;
  }
  uint64_t returned = 0;
  int has = 0;
  int64_t lo = 0, hi = 0;
  for (size_t i = 0; i < o->n_rows; i++) {
    const ocall *c = &o->rows[i];
    returned += c->status == ATF_CALL_RETURNED;
    if (!c->has_dur) continue;
    if (!has || c->dur < lo) lo = c->dur;
    if (!has || c->dur > hi) hi = c->dur;
    has = 1;
  }
  FUZZ_CHECK(q.rc == SQLITE_DONE && q.rows == 1, "%s: outcome %d (%s)", sql,
             q.rc, q.msg ? q.msg : "");
  FUZZ_CHECK(q.v[0].type == SQLITE_FLOAT && q.v[0].r == (double)o->n_rows &&
                 q.v[1].type == SQLITE_FLOAT && q.v[1].r == (double)returned,
             "%s: %g calls, %g returned; expected %zu, %llu", sql, q.v[0].r,
             q.v[1].r, o->n_rows, (ull)returned);
  sval want[2] = {v_known(has, lo), v_known(has, hi)};
  FUZZ_CHECK(same_value(&q.v[2], &want[0]) && same_value(&q.v[3], &want[1]),
             "%s: min/max dur %lld/%lld, expected %lld/%lld (%d)", sql,
             (long long)q.v[2].i, (long long)q.v[3].i, (long long)lo,
             (long long)hi, has);
  qres_free(&q);
  q = query(db, "SELECT * FROM atf_functions(?1)", NULL, 0);
  qres_free(&q);
}

/* ---- the input ---------------------------------------------------------- */

/* Input-controlled numbers: 8 bytes from the end of the input. */
static uint64_t tail_u64(const uint8_t *data, size_t size, size_t k) {
  uint64_t v = 0;
  if (size < 8 * (k + 1)) return k * 7919;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)data[size - 8 * (k + 1) + i] << (8 * i);
  return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_trace_init("fuzz-calls");
  return 0;
}

/* The offsets to restore at: record starts (the first, the last, calls,
** returns, others the input picks), offsets inside records, the end of the
** records, the end of the file. Sorted, distinct. */
static size_t pick_targets(const trace *t, uint64_t salt, target *out,
                           size_t cap) {
  uint64_t at[16];
  size_t n = 0;
  if (t->n) {
    size_t calls = 0, returns = 0;
    for (size_t i = 0; i < t->n; i++) {
      calls += t->recs[i].kind == ATF_KIND_FUNCTION_CALL;
      returns += t->recs[i].kind == ATF_KIND_FUNCTION_RETURN;
    }
    size_t want_call = calls ? (salt >> 40) % calls : NONE;
    size_t want_return = returns ? (salt >> 48) % returns : NONE;
    for (size_t i = 0, c = 0, r = 0; i < t->n; i++) {
      if (t->recs[i].kind == ATF_KIND_FUNCTION_CALL && c++ == want_call)
        at[n++] = t->recs[i].offset;
      if (t->recs[i].kind == ATF_KIND_FUNCTION_RETURN && r++ == want_return)
        at[n++] = t->recs[i].offset;
    }
    at[n++] = t->recs[0].offset;
    at[n++] = t->recs[t->n - 1].offset;
    at[n++] = t->recs[salt % t->n].offset;
    at[n++] = t->recs[(salt >> 8) % t->n].offset;
    at[n++] = t->recs[(salt >> 16) % t->n].offset;
    at[n++] = t->recs[(salt >> 24) % t->n].offset + 1;
  }
  at[n++] = t->end;
  at[n++] = t->map.size;
  at[n++] = (salt >> 32) % (t->map.size + 1);
  /* sort, distinct */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && at[j - 1] > at[j]; j--) {
      uint64_t x = at[j];
      at[j] = at[j - 1];
      at[j - 1] = x;
    }
  size_t m = 0;
  for (size_t i = 0; i < n && m < cap; i++) {
    if (m && out[m - 1].at == at[i]) continue;
    target *tg = &out[m++];
    tg->at = at[i];
    tg->record = record_at(t, at[i]);
    if (tg->record != NONE && t->recs[tg->record].header_ok)
      tg->thread = t->recs[tg->record].thread;
    else
      tg->thread = t->n_threads ? t->threads[salt % t->n_threads] : 0;
    tg->other = tg->thread ^ 1;
    for (size_t k = 0; k < t->n_threads; k++)
      if (t->threads[(k + (salt >> 4)) % t->n_threads] != tg->thread) {
        tg->other = t->threads[(k + (salt >> 4)) % t->n_threads];
        break;
      }
  }
  return m;
}

static void check_reader(const uint8_t *data, size_t cut, uint64_t salt,
                         trace *t, target *targets, size_t n_targets,
                         snapshot *snaps) {
  atf_error err;
  int close_at_last_ts = (salt >> 56) & 1;

  /* Full walks: every thread, and one. */
  check_full_walks(t, &every_thread, close_at_last_ts);
  if (t->n_threads) {
    int32_t one = t->threads[(salt >> 12) % t->n_threads];
    check_full_walks(t, &(filter){&one, 1}, close_at_last_ts);
  }

  /* The call index in one step, and in two: a prefix, then the whole. */
  atf_index idx1, idx2;
  atf_call_index ci1, ci2;
  memset(&idx1, 0, sizeof idx1);
  memset(&idx2, 0, sizeof idx2);
  memset(&ci1, 0, sizeof ci1);
  memset(&ci2, 0, sizeof ci2);
  FUZZ_CHECK(atf_index_update(&idx1, &t->map, NULL, &err) == ATF_OK &&
                 atf_call_index_update(&ci1, &idx1, &t->map, NULL, &err) ==
                     ATF_OK,
             "call index: %s", err.message);
  atf_map prefix = fuzz_map_of(data, cut);
  prefix.path = fuzz_events_path;
  FUZZ_CHECK(atf_index_update(&idx2, &prefix, NULL, &err) == ATF_OK &&
                 atf_call_index_update(&ci2, &idx2, &prefix, NULL, &err) ==
                     ATF_OK,
             "call index of a prefix: %s", err.message);
  check_index_shape(&ci2, &idx2);
  FUZZ_CHECK(atf_index_update(&idx2, &t->map, NULL, &err) == ATF_OK &&
                 atf_call_index_update(&ci2, &idx2, &t->map, NULL, &err) ==
                     ATF_OK,
             "call index grown: %s", err.message);
  FUZZ_CHECK(idx2.end == idx1.end && idx2.n_blocks == idx1.n_blocks,
             "block index grown: end %llu, %zu blocks; in one step %llu, %zu",
             (ull)idx2.end, idx2.n_blocks, (ull)idx1.end, idx1.n_blocks);
  check_index_shape(&ci1, &idx1);
  check_index_shape(&ci2, &idx2);
  FUZZ_CHECK(ci2.interval == ci1.interval && ci2.n == ci1.n &&
                 ci2.first_corrupt == ci1.first_corrupt,
             "call index in two steps: interval %zu, %zu checkpoints, first "
             "corrupt %llu; in one %zu, %zu, %llu",
             ci2.interval, ci2.n, (ull)ci2.first_corrupt, ci1.interval, ci1.n,
             (ull)ci1.first_corrupt);
  check_checkpoints(t, &idx1, &ci1, "one step");
  check_checkpoints(t, &idx2, &ci2, "two steps");
  const atf_index *idx[2] = {&idx1, &idx2};
  const atf_call_index *ci[2] = {&ci1, &ci2};

  /* Stacks at each target: every thread, its own, it and another, another
  ** only. */
  for (size_t k = 0; k < n_targets; k++) {
    const target *tg = &targets[k];
    int32_t two[2] = {tg->thread < tg->other ? tg->thread : tg->other,
                      tg->thread < tg->other ? tg->other : tg->thread};
    filter filters[4] = {every_thread,
                         {&tg->thread, 1},
                         {two, tg->thread == tg->other ? 1 : 2},
                         {&tg->other, 1}};
    const char *labels[4] = {"every thread", "its thread", "two threads",
                             "another thread"};
    for (int f = 0; f < 4; f++)
      check_at(t, tg, &filters[f], &snaps[k], idx, ci, labels[f]);
  }

  /* One walker advanced from target to target. */
  atf_walker *w = walker_new(t, &every_thread, 0, 0);
  for (size_t k = 0; k < n_targets; k++) {
    size_t err_at;
    const atf_call *calls;
    char what[96];
    if (expect_advance(t, targets[k].at, &every_thread, &err_at) != ATF_OK)
      break;
    snprintf(what, sizeof what, "advance on to %llu", (ull)targets[k].at);
    FUZZ_CHECK(atf_walker_advance_to(w, targets[k].at, &err) == ATF_OK,
               "%s: %s", what, err.message);
    size_t n =
        atf_pairing_stack(atf_walker_pairing(w), targets[k].thread, &calls);
    check_stack(calls, n, &snaps[k], 1, what);
  }
  atf_walker_free(w);

  /* Restored, then walked on to the end. */
  if (n_targets) {
    const target *tg = &targets[(salt >> 20) % n_targets];
    int32_t one = tg->thread;
    for (int k = 0; k < 2; k++) {
      check_walk_on(t, tg, &every_thread, idx[k], ci[k], "every thread");
      check_walk_on(t, tg, &(filter){&one, 1}, idx[k], ci[k], "its thread");
    }
  }

  atf_call_index_free(&ci1);
  atf_call_index_free(&ci2);
  atf_index_free(&idx1);
  atf_index_free(&idx2);
}

static void check_sql(const uint8_t *data, size_t size, size_t cut,
                      uint64_t salt, const trace *t, const target *targets,
                      size_t n_targets, const snapshot *snaps) {
  sqlite3 *db;
  FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite3_open");
  FUZZ_CHECK(sqlite3_atf_init(db, NULL, NULL) == SQLITE_OK,
             "sqlite3_atf_init: %s", sqlite3_errmsg(db));

  /* A prefix first, its checkpoints built by a stack and a lookup, then the
  ** whole file: the queries after that use extended checkpoints. */
  fuzz_trace_write(data, cut, 0);
  if (cut < size) {
    size_t last = record_from(t, cut);
    while (last > 0 && t->recs[last - 1].offset + t->recs[last - 1].size > cut)
      last--;
    bind b = {last ? (int64_t)t->recs[(salt >> 28) % last].offset : 0, 0};
    qres q = query(db, "SELECT count(*) FROM atf_stack(?1, ?2)", &b, 1);
    qres_free(&q);
    q = query(db, "SELECT count(*) FROM atf_calls(?1) WHERE offset = ?2", &b,
              1);
    qres_free(&q);
    fuzz_trace_write(data + cut, size - cut, 1);
  }

  oracle plain, skip;
  oracle_init(&plain, t, 0, 1, every_thread);
  oracle_run(&plain, 1, 0, NULL, 0);
  oracle_init(&skip, t, 1, 1, every_thread);
  oracle_run(&skip, 1, 0, NULL, 0);
  check_sql_calls(db, "SELECT " CALL_COLUMNS " FROM atf_calls(?1)", NULL, 0,
                  &plain);
  check_sql_calls(db,
                  "SELECT " CALL_COLUMNS " FROM atf_calls(?1, 'skip_corrupt')",
                  NULL, 0, &skip);
  qres q = query(db,
                 "SELECT argument_registers, return_registers FROM "
                 "atf_calls(?1)",
                 NULL, 0);
  qres_free(&q);

  oracle drained, drained_skip;
  oracle_init(&drained, t, 0, 1, every_thread);
  oracle_run(&drained, 0, 0, NULL, 0);
  oracle_init(&drained_skip, t, 1, 1, every_thread);
  oracle_run(&drained_skip, 0, 0, NULL, 0);
  check_sql_threads(db,
                    "SELECT thread_id, events, calls, first_ts, last_ts, "
                    "max_depth, open_calls, orphan_returns, signals FROM "
                    "atf_threads(?1)",
                    NULL, 0, &drained);
  check_sql_threads(db,
                    "SELECT thread_id, events, calls, first_ts, last_ts, "
                    "max_depth, open_calls, orphan_returns, signals FROM "
                    "atf_threads(?1, 'skip_corrupt')",
                    NULL, 0, &drained_skip);
  oracle_free(&drained);
  oracle_free(&drained_skip);

  /* One thread, pushed down. */
  if (t->n_threads) {
    int32_t one = t->threads[(salt >> 36) % t->n_threads];
    bind b = {one, 0};
    oracle o;
    oracle_init(&o, t, 0, 1, (filter){&one, 1});
    oracle_run(&o, 1, 0, NULL, 0);
    check_sql_calls(
        db, "SELECT " CALL_COLUMNS " FROM atf_calls(?1) WHERE thread_id = ?2",
        &b, 1, &o);
    oracle_free(&o);
    oracle_init(&o, t, 0, 1, (filter){&one, 1});
    oracle_run(&o, 0, 0, NULL, 0);
    check_sql_threads(db,
                      "SELECT thread_id, events, calls, first_ts, last_ts, "
                      "max_depth, open_calls, orphan_returns, signals FROM "
                      "atf_threads(?1) WHERE thread_id = ?2",
                      &b, 1, &o);
    oracle_free(&o);
  }
  check_sql_functions(db, &plain);

  /* Lookups and stacks at the targets. */
  uint64_t starts[3];
  size_t n_starts = 0;
  for (size_t k = 0; k < n_targets; k++) {
    check_sql_lookup(db, t, &plain, targets[k].at, 0);
    check_sql_lookup(db, t, &skip, targets[k].at, 1);
    check_sql_stack(db, t, &targets[k], &snaps[k]);
    if (targets[k].record != NONE && n_starts < 3)
      starts[n_starts++] = targets[k].at;
  }
  if (n_starts == 3) check_sql_lookup_in(db, starts);
  bind null = {0, 1};
  q = query(db, "SELECT * FROM atf_stack(?1, ?2)", &null, 1);
  FUZZ_CHECK(q.rc == SQLITE_DONE && q.rows == 0,
             "atf_stack(T, NULL): outcome %d, %zu rows", q.rc, q.rows);
  qres_free(&q);

  oracle_free(&plain);
  oracle_free(&skip);
  FUZZ_CHECK(sqlite3_close(db) == SQLITE_OK, "sqlite3_close: %s",
             sqlite3_errmsg(db));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const size_t budgets[8] = {SIZE_MAX, 0,   4,   16,
                                    48,       128, 512, (size_t)8 << 20};
  uint64_t salt = tail_u64(data, size, 0);
  size_t cut = size ? (size_t)(tail_u64(data, size, 1) % (size + 1)) : 0;
  trace t;
  target targets[16];
  snapshot snaps[16];

  atf_test_call_index_bytes = budgets[(salt >> 60) & 7];
  memset(&t, 0, sizeof t);
  t.map = fuzz_map_of(data, size);
  t.map.path = fuzz_events_path; /* the SQL side's, for the same messages */
  trace_read(&t);

  /* The stacks just after each target record, from a walk that leaves out
  ** what a walk without skip_corrupt fails on: right wherever the walk
  ** does not fail before (other threads' damage aside, see is_bad). */
  size_t n_targets = pick_targets(&t, salt, targets, 16);
  memset(snaps, 0, sizeof snaps);
  for (size_t k = 0; k < n_targets; k++)
    snaps[k].index = targets[k].record;
  oracle tolerant;
  oracle_init(&tolerant, &t, 0, 0, every_thread);
  oracle_run(&tolerant, 0, 0, snaps, n_targets);
  oracle_free(&tolerant);

  check_reader(data, cut, salt, &t, targets, n_targets, snaps);
  check_sql(data, size, cut, salt, &t, targets, n_targets, snaps);

  for (size_t k = 0; k < n_targets; k++)
    free(snaps[k].calls);
  trace_free(&t);
  return 0;
}
