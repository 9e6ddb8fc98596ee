/*
** check.h - the tests' tiny harness: CHECK macros and a main that runs one
** named case (as CTest does, one test per behaviour) or all of them.
**
**   static void varint__single_byte__then_correct(void) { CHECK(...); }
**   static const check_case cases[] = {CASE(varint__single_byte__then_correct),
**                                      {0}};
**   int main(int argc, char **argv) { return check_main(argc, argv, cases); }
*/
#ifndef ATF_CHECK_H
#define ATF_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      check_failures++;                                                        \
    }                                                                          \
  } while (0)

#define CHECK_U64(actual, expected)                                            \
  do {                                                                         \
    uint64_t a_ = (uint64_t)(actual), e_ = (uint64_t)(expected);               \
    if (a_ != e_) {                                                            \
      fprintf(stderr, "%s:%d: %s is %" PRIu64 ", expected %" PRIu64 "\n",      \
              __FILE__, __LINE__, #actual, a_, e_);                            \
      check_failures++;                                                        \
    }                                                                          \
  } while (0)

#define CHECK_I64(actual, expected)                                            \
  do {                                                                         \
    int64_t a_ = (int64_t)(actual), e_ = (int64_t)(expected);                  \
    if (a_ != e_) {                                                            \
      fprintf(stderr, "%s:%d: %s is %" PRId64 ", expected %" PRId64 "\n",      \
              __FILE__, __LINE__, #actual, a_, e_);                            \
      check_failures++;                                                        \
    }                                                                          \
  } while (0)

#define CHECK_STR(actual, expected)                                            \
  do {                                                                         \
    const char *a_ = (actual), *e_ = (expected);                               \
    if (!a_ || strcmp(a_, e_) != 0) {                                          \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,      \
              __LINE__, #actual, a_ ? a_ : "(null)", e_);                      \
      check_failures++;                                                        \
    }                                                                          \
  } while (0)

/* A byte range equals a C string. */
#define CHECK_BYTES(ptr, len, expected)                                        \
  do {                                                                         \
    const char *e_ = (expected);                                               \
    size_t l_ = (size_t)(len);                                                 \
    if (l_ != strlen(e_) || (l_ && memcmp((ptr), e_, l_) != 0)) {              \
      fprintf(stderr, "%s:%d: %s is \"%.*s\", expected \"%s\"\n", __FILE__,    \
              __LINE__, #ptr, (int)l_, (const char *)(ptr), e_);               \
      check_failures++;                                                        \
    }                                                                          \
  } while (0)

typedef struct check_case {
  const char *name;
  void (*run)(void);
} check_case;

#define CASE(fn)                                                               \
  { #fn, fn }

/* Runs the case named argv[1], or every case; prints the tally. */
static inline int check_main(int argc, char **argv, const check_case *cases) {
  int passed = 0, failed = 0, found = 0;
  for (const check_case *c = cases; c->name; c++) {
    if (argc > 1 && strcmp(argv[1], c->name) != 0) continue;
    int before = check_failures;
    found++;
    c->run();
    if (check_failures == before) {
      passed++;
    } else {
      failed++;
      fprintf(stderr, "FAILED: %s\n", c->name);
    }
  }
  if (argc > 1 && !found) {
    fprintf(stderr, "no test case named %s\n", argv[1]);
    return 2;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

#endif
