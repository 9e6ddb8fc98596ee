/*
** functions.c - per-symbol statistics of a walk's calls (atf_reader.h,
** "per-function statistics").
**
** Symbols are interned by their bytes as calls are pushed; a second table,
** keyed by (symbol, thread), counts each symbol's open calls per thread (a
** call pushed while one is open is recursive: its dur is not added to the
** total again) and, by existing, the threads a symbol ran on.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct function {
  atf_function_stats stats;
  char *id_name;   /* "0x..." for a v2 function no symbol table names */
  atf_sum dur_sum; /* for avg_dur */
  atf_sketch sketch;
  uint64_t hash;
} function;

typedef struct pair { /* (symbol, thread) */
  uint64_t key;       /* symbol id << 32 | thread id bits; 0 marks empty */
  uint64_t open;      /* calls of the symbol open on the thread */
} pair;

struct atf_functions {
  function *fns;
  size_t n, cap;
  uint32_t *sym_slots; /* open addressing: function index + 1 */
  size_t n_sym_slots;
  pair *pairs;
  size_t n_pairs, n_pair_slots;
  int oom;
};

void atf_sum_add(atf_sum *s, int64_t v) {
  int64_t sum;
  if (s->overflowed) {
    s->real += (double)v;
  } else if (__builtin_add_overflow(s->exact, v, &sum)) {
    s->overflowed = 1;
    s->real = (double)s->exact + (double)v;
  } else {
    s->exact = sum;
  }
}

static uint64_t hash_bytes(atf_bytes b) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < b.len; i++)
    h = (h ^ b.ptr[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

atf_functions *atf_functions_new(void) {
  return calloc(1, sizeof(atf_functions));
}

void atf_functions_free(atf_functions *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n; i++) {
    atf_sketch_free(&f->fns[i].sketch);
    free(f->fns[i].id_name);
  }
  free(f->fns);
  free(f->sym_slots);
  free(f->pairs);
  free(f);
}

/* Rebuilds the symbol slots at twice the size. */
static int grow_symbols(atf_functions *f) {
  size_t n = f->n_sym_slots ? 2 * f->n_sym_slots : 64;
  uint32_t *slots = calloc(n, sizeof *slots);
  if (!slots) return 0;
  for (size_t i = 0; i < f->n; i++) {
    size_t s = f->fns[i].hash & (n - 1);
    while (slots[s])
      s = (s + 1) & (n - 1);
    slots[s] = (uint32_t)i + 1;
  }
  free(f->sym_slots);
  f->sym_slots = slots;
  f->n_sym_slots = n;
  return 1;
}

/* The id of SYMBOL, interned when new; -1 when out of memory. */
static int64_t intern(atf_functions *f, atf_bytes symbol) {
  uint64_t h = hash_bytes(symbol);
  size_t s;
  function *fn;
  if (2 * (f->n + 1) > f->n_sym_slots && !grow_symbols(f)) return -1;
  for (s = h & (f->n_sym_slots - 1); f->sym_slots[s];
       s = (s + 1) & (f->n_sym_slots - 1)) {
    const function *g = &f->fns[f->sym_slots[s] - 1];
    if (g->hash == h && g->stats.symbol.len == symbol.len &&
        (symbol.len == 0 ||
         memcmp(g->stats.symbol.ptr, symbol.ptr, symbol.len) == 0))
      return f->sym_slots[s] - 1;
  }
  if (f->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 64;
    function *fns = realloc(f->fns, cap * sizeof *fns);
    if (!fns || f->n >= UINT32_MAX - 1) return -1;
    f->fns = fns;
    f->cap = cap;
  }
  fn = &f->fns[f->n];
  memset(fn, 0, sizeof *fn);
  fn->stats.symbol = symbol;
  fn->hash = h;
  f->sym_slots[s] = (uint32_t)++f->n;
  return (int64_t)f->n - 1;
}

static size_t pair_slot(uint64_t key, size_t n) {
  key ^= key >> 31;
  key *= 0x9e3779b97f4a7c15ull;
  return (size_t)(key >> 17) & (n - 1);
}

/* The (symbol, thread) pair of KEY, added when new (*ADDED then 1); NULL
** when out of memory. */
static pair *pair_of(atf_functions *f, uint64_t key, int *added) {
  size_t s;
  *added = 0;
  if (2 * (f->n_pairs + 1) > f->n_pair_slots) {
    size_t n = f->n_pair_slots ? 2 * f->n_pair_slots : 256;
    pair *pairs = calloc(n, sizeof *pairs);
    if (!pairs) return NULL;
    for (size_t i = 0; i < f->n_pair_slots; i++) {
      if (!f->pairs[i].key) continue;
      for (s = pair_slot(f->pairs[i].key, n); pairs[s].key;
           s = (s + 1) & (n - 1))
        ;
      pairs[s] = f->pairs[i];
    }
    free(f->pairs);
    f->pairs = pairs;
    f->n_pair_slots = n;
  }
  for (s = pair_slot(key, f->n_pair_slots); f->pairs[s].key;
       s = (s + 1) & (f->n_pair_slots - 1))
    if (f->pairs[s].key == key) return &f->pairs[s];
  f->pairs[s].key = key;
  f->n_pairs++;
  *added = 1;
  return &f->pairs[s];
}

/* (symbol id + 1) << 32 | thread bits: never 0. */
static uint64_t pair_key(uint64_t id, int32_t thread) {
  return (id + 1) << 32 | (uint32_t)thread;
}

/* The name a call's function is keyed and shown by: its symbol, or, for an
** ATF v2 function no symbol table names, its id as "0x" and 16 hex digits
** (*OWNED then holds the malloc'd text). */
static atf_bytes key_of(const atf_call *call, char **owned) {
  atf_bytes key = call->symbol;
  *owned = NULL;
  if (call->symbol_unknown && call->has_function_id && (*owned = malloc(19))) {
    snprintf(*owned, 19, "0x%016llx", (unsigned long long)call->function_id);
    key.ptr = (const uint8_t *)*owned;
    key.len = 18;
  }
  return key;
}

/* The push hook: the call's tag is its symbol id << 1, plus 1 when a call
** of the same symbol is already open on its thread. */
static uint64_t on_push(void *user, const atf_call *call, uint64_t parent) {
  atf_functions *f = user;
  char *owned;
  atf_bytes key = key_of(call, &owned);
  size_t before = f->n;
  int64_t id = intern(f, key);
  /* A new function keeps the text it is keyed by; a known one has its own. */
  if (id >= 0 && f->n > before)
    f->fns[id].id_name = owned;
  else
    free(owned);
  pair *p;
  int added, nested;
  (void)parent;
  if (id < 0 ||
      !(p = pair_of(f, pair_key((uint64_t)id, call->thread_id), &added))) {
    f->oom = 1;
    return 0;
  }
  if (added) f->fns[id].stats.threads++;
  nested = p->open > 0;
  p->open++;
  return (uint64_t)id << 1 | (uint64_t)nested;
}

void atf_functions_attach(atf_functions *f, atf_pairing *p) {
  atf_pairing_hook(p, on_push, f);
}

atf_status atf_functions_add(atf_functions *f, const atf_call *call,
                             atf_error *err) {
  uint64_t id = call->tag >> 1;
  int nested = (int)(call->tag & 1), added;
  function *fn;
  atf_function_stats *st;
  pair *p;
  if (f->oom || id >= f->n)
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  fn = &f->fns[id];
  st = &fn->stats;
  st->calls++;
  if (call->status == ATF_CALL_RETURNED) st->returned++;
  if (call->has_dur) {
    if (!st->durations || call->dur < st->min_dur) st->min_dur = call->dur;
    if (!st->durations || call->dur > st->max_dur) st->max_dur = call->dur;
    st->durations++;
    atf_sum_add(&fn->dur_sum, call->dur);
    if (!nested) {
      atf_sum_add(&st->total_dur, call->dur);
      st->total_calls++;
    }
    if (!atf_sketch_add(&fn->sketch, call->dur))
      return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  }
  if (call->has_self_dur) {
    st->self_calls++;
    atf_sum_add(&st->self_dur, call->self_dur);
  }
  /* The call is closed: one open call fewer of its symbol on its thread. */
  p = pair_of(f, pair_key(id, call->thread_id), &added);
  if (p && p->open) p->open--;
  return ATF_OK;
}

size_t atf_functions_count(const atf_functions *f) { return f->n; }

void atf_functions_get(const atf_functions *f, size_t i,
                       atf_function_stats *out) {
  const function *fn = &f->fns[i];
  *out = fn->stats;
  if (out->durations) {
    out->avg_dur = (fn->dur_sum.overflowed ? fn->dur_sum.real
                                           : (double)fn->dur_sum.exact) /
                   (double)out->durations;
    out->p50_dur = atf_sketch_quantile(&fn->sketch, 0.50);
    out->p90_dur = atf_sketch_quantile(&fn->sketch, 0.90);
    out->p99_dur = atf_sketch_quantile(&fn->sketch, 0.99);
  }
}
