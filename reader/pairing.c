/*
** pairing.c - pairing calls with returns (atf_reader.h, "calls"), over
** events of any format, fed in file order.
**
** Per thread a stack of the open calls (and, beside it, what each has
** gathered of its children's durations); a hash from thread id to thread.
** A return searches its stack from the top; whatever it closes goes to a
** queue that atf_pairing_pop empties. Nothing here grows with the events,
** only with the open calls and the threads.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What a call on a stack has gathered of its direct children. */
typedef struct child_sum {
  __int128 dur; /* sum of their dur, exact: it may leave int64 on the way
                   while self_dur (dur minus it) fits */
  int known;    /* every child's dur known */
} child_sum;

typedef struct thread {
  atf_thread_stats stats;
  atf_call *stack; /* open calls, outermost first */
  child_sum *sums; /* beside stack */
  size_t depth, cap;
} thread;

struct atf_pairing {
  thread *threads; /* in order of first appearance */
  size_t n_threads, threads_cap;
  uint32_t *slots; /* open addressing: index + 1 into threads, 0 empty */
  size_t n_slots;
  atf_call *queue; /* closed calls not yet popped */
  size_t queue_len, queue_cap, queue_head;
  atf_push_hook hook;
  void *hook_user;
  uint64_t orphans; /* over every thread */
  int failed;       /* out of memory once: nothing is trusted after */
};

const char *atf_call_status_name(atf_call_status status) {
  switch (status) {
  case ATF_CALL_RETURNED: return "returned";
  case ATF_CALL_UNWOUND: return "unwound";
  case ATF_CALL_OPEN: return "open";
  }
  return "unknown";
}

atf_pairing *atf_pairing_new(void) { return calloc(1, sizeof(atf_pairing)); }

void atf_pairing_free(atf_pairing *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n_threads; i++) {
    free(p->threads[i].stack);
    free(p->threads[i].sums);
  }
  free(p->threads);
  free(p->slots);
  free(p->queue);
  free(p);
}

void atf_pairing_hook(atf_pairing *p, atf_push_hook hook, void *user) {
  p->hook = hook;
  p->hook_user = user;
}

static atf_status nomem(atf_pairing *p, atf_error *err) {
  p->failed = 1;
  return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
}

/* Grows *ARRAY of *CAP elements of SIZE bytes to hold at least NEED. */
static int grow(void **array, size_t *cap, size_t need, size_t size) {
  size_t n = *cap ? *cap : 8;
  void *bigger;
  if (need <= *cap) return 1;
  while (n < need)
    n *= 2;
  bigger = realloc(*array, n * size);
  if (!bigger) return 0;
  *array = bigger;
  *cap = n;
  return 1;
}

static size_t slot_of(int32_t id, size_t n_slots) {
  uint32_t h = (uint32_t)id * 2654435761u;
  return (size_t)(h ^ (h >> 16)) & (n_slots - 1);
}

/* The thread ID, added at the end of the threads when new; NULL when out
** of memory. */
static thread *thread_of(atf_pairing *p, int32_t id) {
  size_t s;
  if (p->n_slots) {
    for (s = slot_of(id, p->n_slots); p->slots[s];
         s = (s + 1) & (p->n_slots - 1))
      if (p->threads[p->slots[s] - 1].stats.thread_id == id)
        return &p->threads[p->slots[s] - 1];
  }
  /* New: keep the table at most half full. */
  if (2 * (p->n_threads + 1) > p->n_slots) {
    size_t n = p->n_slots ? 2 * p->n_slots : 16;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots) return NULL;
    for (size_t i = 0; i < p->n_threads; i++) {
      for (s = slot_of(p->threads[i].stats.thread_id, n); slots[s];
           s = (s + 1) & (n - 1))
        ;
      slots[s] = (uint32_t)i + 1;
    }
    free(p->slots);
    p->slots = slots;
    p->n_slots = n;
  }
  if (p->n_threads >= UINT32_MAX - 1 ||
      !grow((void **)&p->threads, &p->threads_cap, p->n_threads + 1,
            sizeof *p->threads))
    return NULL;
  for (s = slot_of(id, p->n_slots); p->slots[s]; s = (s + 1) & (p->n_slots - 1))
    ;
  p->slots[s] = (uint32_t)++p->n_threads;
  memset(&p->threads[p->n_threads - 1], 0, sizeof(thread));
  p->threads[p->n_threads - 1].stats.thread_id = id;
  return &p->threads[p->n_threads - 1];
}

static int enqueue(atf_pairing *p, const atf_call *c) {
  if (p->queue_head == p->queue_len) p->queue_head = p->queue_len = 0;
  if (!grow((void **)&p->queue, &p->queue_cap, p->queue_len + 1,
            sizeof *p->queue))
    return 0;
  p->queue[p->queue_len++] = *c;
  return 1;
}

/* a - b when it fits int64. */
static int difference(int64_t a, int64_t b, int64_t *out) {
  return !__builtin_sub_overflow(a, b, out);
}

/* Closes the top call of T, ending at END_TS (if HAS_END), with STATUS;
** folds its dur into its parent and queues it. */
static int close_top(atf_pairing *p, thread *t, atf_call_status status,
                     const atf_pair_event *ret, int has_end, int64_t end_ts) {
  atf_call *c = &t->stack[t->depth - 1];
  const child_sum *sum = &t->sums[t->depth - 1];
  c->status = status;
  c->return_offset = ret ? ret->offset : ATF_NO_OFFSET;
  c->return_detail_offset = !ret                     ? ATF_NO_OFFSET
                            : ret->has_detail_offset ? ret->detail_offset
                                                     : ret->offset;
  c->has_end_ts = has_end;
  c->end_ts = has_end ? end_ts : 0;
  c->has_dur = has_end && c->has_ts && difference(end_ts, c->ts, &c->dur);
  if (!c->has_dur) c->dur = 0;
  c->has_self_dur = c->has_dur && sum->known && !c->restored &&
                    c->dur - sum->dur >= INT64_MIN &&
                    c->dur - sum->dur <= INT64_MAX;
  c->self_dur = c->has_self_dur ? (int64_t)(c->dur - sum->dur) : 0;
  if (t->depth > 1) {
    child_sum *parent = &t->sums[t->depth - 2];
    if (c->has_dur)
      parent->dur += c->dur; /* 2^64 children would be needed to overflow */
    else
      parent->known = 0;
  }
  t->depth--;
  t->stats.open_calls = t->depth;
  return enqueue(p, c);
}

/* Whether return EV matches call C (the rules above atf_call_status, and
** atf_pair_event's for v2). */
static int matches(const atf_pair_event *ev, const atf_call *c) {
  if (ev->has_function_id && c->has_function_id)
    return ev->function_id == c->function_id && ev->call_depth == c->call_depth;
  if (ev->symbol.len && c->symbol.len)
    return ev->symbol.len == c->symbol.len &&
           memcmp(ev->symbol.ptr, c->symbol.ptr, ev->symbol.len) == 0;
  return ev->address && c->address && ev->address == c->address;
}

static atf_status push_call(atf_pairing *p, thread *t, const atf_pair_event *ev,
                            int restored, atf_error *err) {
  atf_call *c;
  if (!grow((void **)&t->stack, &t->cap, t->depth + 1, sizeof *t->stack))
    return nomem(p, err);
  /* sums has the same capacity as stack. */
  {
    child_sum *sums = realloc(t->sums, t->cap * sizeof *sums);
    if (!sums) return nomem(p, err);
    t->sums = sums;
  }
  c = &t->stack[t->depth];
  memset(c, 0, sizeof *c);
  c->offset = ev->offset;
  c->return_offset = c->return_detail_offset = ATF_NO_OFFSET;
  c->detail_offset = ev->has_detail_offset ? ev->detail_offset : ev->offset;
  c->depth = t->depth;
  c->parent_offset = t->depth ? t->stack[t->depth - 1].offset : ATF_NO_OFFSET;
  c->thread_id = ev->thread_id;
  c->status = ATF_CALL_OPEN;
  c->symbol = ev->symbol;
  c->symbol_unknown = ev->symbol_unknown;
  c->address = ev->address;
  c->has_function_id = ev->has_function_id;
  c->function_id = ev->function_id;
  c->call_depth = ev->call_depth;
  c->has_ts = ev->has_ts;
  c->ts = ev->has_ts ? ev->ts : 0;
  c->restored = restored;
  if (p->hook)
    c->tag =
        p->hook(p->hook_user, c, t->depth ? t->stack[t->depth - 1].tag : 0);
  t->sums[t->depth].dur = 0;
  t->sums[t->depth].known = 1;
  if (t->depth && !restored) t->stack[t->depth - 1].children++;
  t->depth++;
  t->stats.open_calls = t->depth;
  if (!restored) {
    t->stats.calls++;
    if (t->depth - 1 > t->stats.max_depth || t->stats.calls == 1)
      t->stats.max_depth = t->depth - 1;
  }
  return ATF_OK;
}

static atf_status pop_return(atf_pairing *p, thread *t,
                             const atf_pair_event *ev, atf_error *err) {
  size_t k = t->depth;
  if (ev->symbol.len || ev->address || ev->has_function_id) {
    while (k > 0 && !matches(ev, &t->stack[k - 1]))
      k--;
  }
  if (k == 0) {
    t->stats.orphan_returns++;
    p->orphans++;
    return ATF_OK;
  }
  /* Calls above the matched one were left without their own return. */
  while (t->depth > k)
    if (!close_top(p, t, ATF_CALL_UNWOUND, NULL, ev->has_ts, ev->ts))
      return nomem(p, err);
  if (!close_top(p, t, ATF_CALL_RETURNED, ev, ev->has_ts, ev->ts))
    return nomem(p, err);
  return ATF_OK;
}

atf_status atf_pairing_feed(atf_pairing *p, const atf_pair_event *ev,
                            atf_error *err) {
  thread *t;
  if (p->failed) return nomem(p, err);
  if (!(t = thread_of(p, ev->thread_id))) return nomem(p, err);
  t->stats.events++;
  if (ev->has_ts) {
    if (!t->stats.has_ts) t->stats.first_ts = ev->ts;
    t->stats.has_ts = 1;
    t->stats.last_ts = ev->ts;
  }
  switch (ev->kind) {
  case ATF_KIND_FUNCTION_CALL: return push_call(p, t, ev, 0, err);
  case ATF_KIND_FUNCTION_RETURN: return pop_return(p, t, ev, err);
  case ATF_KIND_SIGNAL_DELIVERY: t->stats.signals++; return ATF_OK;
  default: return ATF_OK;
  }
}

atf_status atf_pairing_restore(atf_pairing *p, const atf_pair_event *ev,
                               atf_error *err) {
  thread *t;
  if (p->failed) return nomem(p, err);
  if (!(t = thread_of(p, ev->thread_id))) return nomem(p, err);
  return push_call(p, t, ev, 1, err);
}

int atf_pairing_pop(atf_pairing *p, atf_call *out) {
  if (p->queue_head == p->queue_len) return 0;
  *out = p->queue[p->queue_head++];
  return 1;
}

void atf_pairing_finish(atf_pairing *p, int close_at_last_ts) {
  for (size_t i = 0; i < p->n_threads; i++) {
    thread *t = &p->threads[i];
    while (t->depth > 0)
      if (!close_top(p, t, ATF_CALL_OPEN, NULL,
                     close_at_last_ts && t->stats.has_ts, t->stats.last_ts)) {
        p->failed = 1;
        return;
      }
  }
}

uint64_t atf_pairing_orphans(const atf_pairing *p) { return p->orphans; }

size_t atf_pairing_thread_count(const atf_pairing *p) { return p->n_threads; }

const atf_thread_stats *atf_pairing_thread(const atf_pairing *p, size_t i) {
  return &p->threads[i].stats;
}

size_t atf_pairing_stack(const atf_pairing *p, int32_t id,
                         const atf_call **calls) {
  size_t s;
  *calls = NULL;
  if (!p->n_slots) return 0;
  for (s = slot_of(id, p->n_slots); p->slots[s]; s = (s + 1) & (p->n_slots - 1))
    if (p->threads[p->slots[s] - 1].stats.thread_id == id) {
      *calls = p->threads[p->slots[s] - 1].stack;
      return p->threads[p->slots[s] - 1].depth;
    }
  return 0;
}
