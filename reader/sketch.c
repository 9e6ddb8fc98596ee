/*
** sketch.c - percentiles of integers in memory that does not grow with the
** values: a log-bucketed histogram with DDSketch's mapping (Masson, Rim,
** Lee, VLDB 2019). A positive value v goes to bucket i = ceil(log_g(v)),
** g = (1 + a) / (1 - a), which holds (g^(i-1), g^i]; the bucket's value
** 2 g^i / (g + 1) is within a relative a of every value in it. Negative
** values go to a second histogram by magnitude, zeros are counted apart.
** Buckets are a dense array over the range of indexes seen: about
** ln(max/min) / 2a of them (690 for three decades at a = 0.5%).
**
** Reported values are rounded to integers, which adds up to 0.5; with
** a = 0.5% the total stays within 1% of the exact value (a value below
** 1 / 2a comes back exact).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* a = 0.005: g = 1.005 / 0.995; ln(g) and 2 / (g + 1). */
#define LOG_GAMMA 0.010000083334583179
#define TO_VALUE 0.9950000000000001

typedef atf_sketch_side side;

/* The bucket of magnitude M (>= 1); the epsilon keeps an exact power of g
** in its own bucket despite rounding. */
static int32_t bucket_of(uint64_t m) {
  return (int32_t)ceil(log((double)m) / LOG_GAMMA - 1e-9);
}

static int add_to(side *s, int32_t i) {
  if (!s->counts) {
    if (!(s->counts = calloc(16, sizeof *s->counts))) return 0;
    s->first = i - 8;
    s->n = 16;
  } else if (i < s->first || i >= s->first + (int32_t)s->n) {
    /* Grow to cover I, at least doubling to keep appends amortized. */
    int32_t lo = i < s->first ? i : s->first;
    int32_t hi =
        i >= s->first + (int32_t)s->n ? i + 1 : s->first + (int32_t)s->n;
    uint32_t n = (uint32_t)(hi - lo);
    uint64_t *counts;
    if (n < 2 * s->n) {
      if (i < s->first)
        lo = hi - (int32_t)(2 * s->n);
      else
        hi = lo + (int32_t)(2 * s->n);
      n = 2 * s->n;
    }
    if (!(counts = calloc(n, sizeof *counts))) return 0;
    memcpy(counts + (s->first - lo), s->counts, s->n * sizeof *counts);
    free(s->counts);
    s->counts = counts;
    s->first = lo;
    s->n = n;
  }
  s->counts[i - s->first]++;
  return 1;
}

int atf_sketch_add(atf_sketch *sk, int64_t v) {
  if (v == 0) {
    sk->zeros++;
  } else if (v > 0) {
    if (!add_to(&sk->positive, bucket_of((uint64_t)v))) return 0;
  } else {
    uint64_t m = v == INT64_MIN ? (uint64_t)1 << 63 : (uint64_t)-v;
    if (!add_to(&sk->negative, bucket_of(m))) return 0;
  }
  sk->count++;
  return 1;
}

/* The value bucket I stands for, rounded, within int64. */
static int64_t value_of(int32_t i) {
  double v = TO_VALUE * exp(i * LOG_GAMMA);
  if (v >= 9.2233720368547748e18) return INT64_MAX;
  return (int64_t)llround(v);
}

int64_t atf_sketch_quantile(const atf_sketch *sk, double q) {
  /* Nearest rank: the value at rank ceil(q * n), 1-based. */
  uint64_t rank = (uint64_t)ceil(q * (double)sk->count), seen = 0;
  if (rank < 1) rank = 1;
  if (rank > sk->count) rank = sk->count;
  /* Negative values, largest magnitude first. */
  for (uint32_t k = sk->negative.n; k-- > 0;) {
    seen += sk->negative.counts[k];
    if (seen >= rank) return -value_of(sk->negative.first + (int32_t)k);
  }
  seen += sk->zeros;
  if (seen >= rank) return 0;
  for (uint32_t k = 0; k < sk->positive.n; k++) {
    seen += sk->positive.counts[k];
    if (seen >= rank) return value_of(sk->positive.first + (int32_t)k);
  }
  return 0; /* an empty sketch: callers do not ask */
}

size_t atf_sketch_bytes(const atf_sketch *sk) {
  return (sk->positive.n + sk->negative.n) * sizeof(uint64_t);
}

void atf_sketch_free(atf_sketch *sk) {
  free(sk->positive.counts);
  free(sk->negative.counts);
  memset(sk, 0, sizeof *sk);
}
