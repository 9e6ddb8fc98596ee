/*
** test_demangle.c - atf_demangle(symbol) through SQLite's C API, with
** build/atf.so loaded as an application loads it: the names each scheme
** demangles to, what comes back unchanged, and hostile input (megabytes,
** deep nesting, names that expand exponentially) answered promptly.
*/
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "sqltest.h"

/* ---- one call ---------------------------------------------------------- */

/* What atf_demangle(?1) returned: its type and bytes (malloc'd, with a NUL
** after them). */
typedef struct result {
  int type;
  char *bytes;
  size_t len;
  double seconds;
} result;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* atf_demangle of a value bound as TYPE (SQLITE_TEXT, SQLITE_BLOB,
** SQLITE_NULL, SQLITE_INTEGER from N, SQLITE_FLOAT from N / 2). */
static result call_as(sqlite3 *db, int type, const void *p, size_t n) {
  result r = {0};
  sqlite3_stmt *st;
  double start;
  if (sqlite3_prepare_v2(db, "SELECT atf_demangle(?1)", -1, &st, NULL) !=
      SQLITE_OK) {
    fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
    exit(2);
  }
  switch (type) {
  case SQLITE_TEXT:
    sqlite3_bind_text64(st, 1, p, n, SQLITE_STATIC, SQLITE_UTF8);
    break;
  case SQLITE_BLOB: sqlite3_bind_blob64(st, 1, p, n, SQLITE_STATIC); break;
  case SQLITE_INTEGER: sqlite3_bind_int64(st, 1, (sqlite3_int64)n); break;
  case SQLITE_FLOAT: sqlite3_bind_double(st, 1, (double)n / 2); break;
  default: sqlite3_bind_null(st, 1);
  }
  start = now();
  if (sqlite3_step(st) != SQLITE_ROW) {
    fprintf(stderr, "step: %s\n", sqlite3_errmsg(db));
    exit(2);
  }
  r.seconds = now() - start;
  r.type = sqlite3_column_type(st, 0);
  if (r.type == SQLITE_BLOB) {
    const void *b = sqlite3_column_blob(st, 0);
    r.len = (size_t)sqlite3_column_bytes(st, 0);
    r.bytes = malloc(r.len + 1);
    if (r.len) memcpy(r.bytes, b, r.len);
  } else {
    const unsigned char *t = sqlite3_column_text(st, 0);
    r.len = (size_t)sqlite3_column_bytes(st, 0);
    r.bytes = malloc(r.len + 1);
    if (t) memcpy(r.bytes, t, r.len);
  }
  r.bytes[r.len] = 0;
  sqlite3_finalize(st);
  return r;
}

static result call(sqlite3 *db, const char *s) {
  return call_as(db, SQLITE_TEXT, s, strlen(s));
}

/* Checks atf_demangle(IN) is the text EXPECTED. */
#define CHECK_DEMANGLES(db, in, expected)                                      \
  do {                                                                         \
    result r_ = call((db), (in));                                              \
    CHECK(r_.type == SQLITE_TEXT);                                             \
    CHECK_STR(r_.bytes, (expected));                                           \
    free(r_.bytes);                                                            \
  } while (0)

#define CHECK_UNCHANGED(db, in) CHECK_DEMANGLES((db), (in), (in))

/* Seconds within which every answer here must come: the slowest measured
** is under a millisecond (under valgrind, tens), the hostile names below
** would take hours or terabytes unbounded. */
#define PROMPT 2.0

/* ---- schemes ------------------------------------------------------------ */

static void demangle__cpp__then_readable_with_parameters(void) {
  sqlite3 *db = open_db();
  /* templates, std:: abbreviations, const methods */
  CHECK_DEMANGLES(db, "_ZNKSt6vectorIiSaIiEE4sizeEv",
                  "std::vector<int, std::allocator<int> >::size() const");
  CHECK_DEMANGLES(db, "_ZNK3Foo3barEv", "Foo::bar() const");
  CHECK_DEMANGLES(db, "_ZNSt3mapIiSsSt4lessIiESaISt4pairIKiSsEEEixERS3_",
                  "std::map<int, std::string, std::less<int>, "
                  "std::allocator<std::pair<int const, std::string> > >"
                  "::operator[](int const&)");
  CHECK_DEMANGLES(db,
                  "_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEC1EP"
                  "KcRKS3_",
                  "std::__cxx11::basic_string<char, std::char_traits<char>, "
                  "std::allocator<char> >::basic_string(char const*, "
                  "std::allocator<char> const&)");
  CHECK_DEMANGLES(db, "_ZSt4moveIRiEONSt16remove_referenceIT_E4typeEOS2_",
                  "std::remove_reference<int&>::type&& std::move<int&>(int&)");
  CHECK_DEMANGLES(db, "_Z3fooILi2EEvRAplT_Li1E_i",
                  "void foo<2>(int (&) [(2)+(1)])");
  /* operators */
  CHECK_DEMANGLES(db, "_ZplRK1AS1_", "operator+(A const&, A const&)");
  CHECK_DEMANGLES(db, "_ZN1AcvPKcEv", "A::operator char const*()");
  CHECK_DEMANGLES(db, "_ZdlPv", "operator delete(void*)");
  CHECK_DEMANGLES(db, "_ZNSt6vectorIiSaIiEEaSERKS1_",
                  "std::vector<int, std::allocator<int> >::operator=("
                  "std::vector<int, std::allocator<int> > const&)");
  /* special names, locals, compiler clones */
  CHECK_DEMANGLES(db, "_ZTV3Foo", "vtable for Foo");
  CHECK_DEMANGLES(db, "_ZZ4mainE1x", "main::x");
  CHECK_DEMANGLES(db, "_Z3foov.cold", "foo() [clone .cold]");
  /* Mach-O's extra leading underscore (the v2 fixtures' symbols) */
  CHECK_DEMANGLES(db, "__Z3foov", "foo()");
  CHECK_DEMANGLES(db, "__ZN2qc5Arena8allocateEmm",
                  "qc::Arena::allocate(unsigned long, unsigned long)");
  sqlite3_close(db);
}

static void demangle__rust_legacy__then_path_without_hash(void) {
  sqlite3 *db = open_db();
  CHECK_DEMANGLES(db, "_ZN4core3fmt9Formatter3pad17h0123456789abcdefE",
                  "core::fmt::Formatter::pad");
  CHECK_DEMANGLES(db,
                  "_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$"
                  "$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h0f3b3d1c4c7e5f6"
                  "1E",
                  "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}"
                  "}>");
  CHECK_DEMANGLES(db,
                  "_ZN71_$LT$Test$u20$$u2b$$u20$$u27$static$u20$as$u20$foo..Ba"
                  "r$LT$Test$GT$$GT$3bar17h930b740aa94f1d3aE",
                  "<Test + 'static as foo::Bar<Test>>::bar");
  /* Not a Rust hash (16 hex digits after h): read as C++, segment kept. */
  CHECK_DEMANGLES(db, "_ZN4main4main16h714a2e23ed7db23E",
                  "main::main::h714a2e23ed7db23");
  sqlite3_close(db);
}

static void demangle__rust_v0__then_path_with_generics(void) {
  sqlite3 *db = open_db();
  CHECK_DEMANGLES(db, "_RNvCs15kBYyAo9fc_7mycrate7example", "mycrate::example");
  CHECK_DEMANGLES(db,
                  "_RNvMsr_NtCs3ssYzQotkvD_3std4pathNtB5_7PathBuf3newCs15kBYyA"
                  "o9fc_7mycrate",
                  "<std::path::PathBuf>::new");
  CHECK_DEMANGLES(db, "_RINvNtC3std3mem8align_ofjEC3foo",
                  "std::mem::align_of::<usize>");
  CHECK_DEMANGLES(db,
                  "_RNvXs_NtCs1234_7mycrate3fooNtB4_3BarNtNtCs5678_4core3fmt7D"
                  "isplay3fmt",
                  "<mycrate::foo::Bar as core::fmt::Display>::fmt");
  CHECK_DEMANGLES(db, "_RINvCs1234_7mycrate3fooRShE", "mycrate::foo::<&[u8]>");
  /* an empty crate name, which libiberty prints as (NULL, 0) before it
  ** gives up on the rest (found by fuzz_demangle) */
  CHECK_UNCHANGED(db, "_RINvC0a1fKj1_EKb1_KcE");
  /* a punycode identifier: "gödel" */
  CHECK_DEMANGLES(db, "_RNvC7mycrateu8gdel_5qa",
                  "mycrate::g\xc3\xb6"
                  "del");
  sqlite3_close(db);
}

static void demangle__other_schemes_and_plain_names__then_unchanged(void) {
  sqlite3 *db = open_db();
  /* Swift, Objective-C: no Debian library demangles them */
  CHECK_UNCHANGED(db, "$s4main3FooV3baryyF");
  CHECK_UNCHANGED(db, "_$s4main3FooV3baryyF");
  CHECK_UNCHANGED(db, "$sSS1poiyS2S_SStFZ");
  CHECK_UNCHANGED(db, "-[NSObject description]");
  CHECK_UNCHANGED(db, "+[Foo bar:baz:]");
  /* C names, including one-letter ones that are also C++ type codes */
  CHECK_UNCHANGED(db, "main");
  CHECK_UNCHANGED(db, "printf");
  CHECK_UNCHANGED(db, "i");
  CHECK_UNCHANGED(db, "f");
  CHECK_UNCHANGED(db, "_start");
  /* already demangled, prefixes only, broken names */
  CHECK_UNCHANGED(db, "std::vector<int>::push_back");
  CHECK_UNCHANGED(db, "_Z");
  CHECK_UNCHANGED(db, "_R");
  CHECK_UNCHANGED(db, "_ZN4core");
  CHECK_UNCHANGED(db, "_Z3fo");
  CHECK_UNCHANGED(db, "_RNvC7mycrate");
  CHECK_UNCHANGED(db, "__Z"); /* Mach-O's underscore, then nothing */
  CHECK_UNCHANGED(db, "__init");
  sqlite3_close(db);
}

/* ---- values that are not text ------------------------------------------- */

static void demangle__null_empty_and_numbers__then_as_given(void) {
  sqlite3 *db = open_db();
  result r = call_as(db, SQLITE_NULL, NULL, 0);
  CHECK(r.type == SQLITE_NULL);
  free(r.bytes);
  r = call_as(db, SQLITE_TEXT, "", 0);
  CHECK(r.type == SQLITE_TEXT);
  CHECK_U64(r.len, 0);
  free(r.bytes);
  r = call_as(db, SQLITE_INTEGER, NULL, 42);
  CHECK(r.type == SQLITE_INTEGER);
  CHECK_STR(r.bytes, "42");
  free(r.bytes);
  r = call_as(db, SQLITE_FLOAT, NULL, 3);
  CHECK(r.type == SQLITE_FLOAT);
  CHECK_STR(r.bytes, "1.5");
  free(r.bytes);
  CHECK_STR(query_text(db, "SELECT quote(atf_demangle(x''))", NULL), "X''");
  sqlite3_close(db);
}

static void demangle__blob__then_blob_of_the_demangled_bytes(void) {
  sqlite3 *db = open_db();
  /* A mangled name as a BLOB comes back a BLOB, demangled. */
  result r = call_as(db, SQLITE_BLOB, "_ZN3foo3barEv", 13);
  CHECK(r.type == SQLITE_BLOB);
  CHECK_BYTES(r.bytes, r.len, "foo::bar()");
  free(r.bytes);
  /* Not UTF-8 (how atf_events gives such a symbol): the bytes kept. */
  r = call_as(db, SQLITE_BLOB,
              "_Z3\xff\xfe"
              "xi",
              7);
  CHECK(r.type == SQLITE_BLOB);
  CHECK_BYTES(r.bytes, r.len, "\xff\xfex(int)");
  free(r.bytes);
  /* Not mangled, or holding a NUL: the same BLOB. */
  r = call_as(db, SQLITE_BLOB, "\xff\xfe", 2);
  CHECK(r.type == SQLITE_BLOB);
  CHECK_BYTES(r.bytes, r.len, "\xff\xfe");
  free(r.bytes);
  r = call_as(db, SQLITE_BLOB, "_Z3foov\0x", 9);
  CHECK(r.type == SQLITE_BLOB && r.len == 9 &&
        memcmp(r.bytes, "_Z3foov\0x", 9) == 0);
  free(r.bytes);
  /* The same demangling as TEXT never yields a BLOB. */
  r = call_as(db, SQLITE_TEXT, "_ZN3foo3barEv", 13);
  CHECK(r.type == SQLITE_TEXT);
  free(r.bytes);
  sqlite3_close(db);
}

static void demangle__text_with_nul__then_unchanged(void) {
  sqlite3 *db = open_db();
  result r = call_as(db, SQLITE_TEXT, "_Z3foov\0tail", 12);
  CHECK(r.type == SQLITE_TEXT && r.len == 12 &&
        memcmp(r.bytes, "_Z3foov\0tail", 12) == 0);
  free(r.bytes);
  sqlite3_close(db);
}

/* ---- hostile input -------------------------------------------------------
** Input lengths: the extension hands at most 16 KiB to the library, which
** itself refuses C++ names over 1024 bytes. Expansion: a result over 64 KiB
** is abandoned. */

/* A string of COUNT copies of PART between HEAD and TAIL, TAIL_COUNT times
** TAIL_PART after it (malloc'd). */
static char *repeat(const char *head, const char *part, size_t count,
                    const char *mid, const char *tail_part, size_t tail_count,
                    const char *tail) {
  size_t len = strlen(head) + strlen(part) * count + strlen(mid) +
               strlen(tail_part) * tail_count + strlen(tail);
  char *s = malloc(len + 1), *p = s;
  p += sprintf(p, "%s", head);
  for (size_t i = 0; i < count; i++)
    p += sprintf(p, "%s", part);
  p += sprintf(p, "%s", mid);
  for (size_t i = 0; i < tail_count; i++)
    p += sprintf(p, "%s", tail_part);
  sprintf(p, "%s", tail);
  return s;
}

static void check_unchanged_promptly(sqlite3 *db, const char *in) {
  result r = call(db, in);
  CHECK(r.type == SQLITE_TEXT);
  CHECK(r.len == strlen(in) && strcmp(r.bytes, in) == 0);
  CHECK(r.seconds < PROMPT);
  if (r.seconds >= PROMPT)
    fprintf(stderr, "%.40s... (%zu bytes) took %.3f s\n", in, strlen(in),
            r.seconds);
  free(r.bytes);
}

static void demangle__megabyte_of_garbage__then_unchanged_promptly(void) {
  sqlite3 *db = open_db();
  size_t n = 1 << 20;
  char *s = malloc(n + 1);
  unsigned x = 12345;
  /* printable bytes after a mangling prefix, so it looks worth a try */
  for (size_t i = 0; i < n; i++)
    x = x * 1103515245u + 12345u, s[i] = (char)(33 + (x >> 16) % 94);
  memcpy(s, "_ZN", 3);
  s[n] = 0;
  check_unchanged_promptly(db, s);
  memcpy(s, "_RNv", 4);
  check_unchanged_promptly(db, s);
  /* a megabyte BLOB of random bytes */
  CHECK_STR(query_text(db,
                       "WITH b(v) AS (SELECT randomblob(1048576)) "
                       "SELECT atf_demangle(v) = v AND typeof(atf_demangle(v))"
                       " = 'blob' FROM b",
                       NULL),
            "1");
  free(s);
  sqlite3_close(db);
}

static void demangle__deep_nesting__then_unchanged_promptly(void) {
  sqlite3 *db = open_db();
  /* f<A<A<...<int>...>>>() with 100,000 levels: 400 KB */
  char *s = repeat("_Z1fI", "1AI", 100000, "i", "E", 100000, "Evv");
  check_unchanged_promptly(db, s);
  free(s);
  /* the same within the extension's 16 KiB: the library refuses it */
  s = repeat("_Z1fI", "1AI", 3000, "i", "E", 3000, "Evv");
  check_unchanged_promptly(db, s);
  free(s);
  /* Rust v0: a path 3,000 deep, and &&&...i32 3,000 deep, in 12 KB */
  s = repeat("_R", "Nv", 3000, "C1a", "1b", 3000, "");
  check_unchanged_promptly(db, s);
  free(s);
  s = repeat("_RINvC1a1f", "R", 3000, "l", "", 0, "E");
  check_unchanged_promptly(db, s);
  free(s);
  sqlite3_close(db);
}

static void demangle__deep_nesting_within_limits__then_demangled(void) {
  sqlite3 *db = open_db();
  /* 250 levels, 1,009 bytes: just under libiberty's 1024 */
  size_t levels = 250;
  char *in = repeat("_Z1fI", "1AI", levels, "i", "E", levels, "Evv");
  char *inner = repeat("", "A<", levels, "int", "> ", levels - 1, ">");
  char *expected = malloc(strlen(inner) + 32);
  sprintf(expected, "void f<%s >()", inner);
  CHECK_DEMANGLES(db, in, expected);
  free(in), free(inner), free(expected);
  /* a Rust v0 path 500 deep */
  in = repeat("_R", "Nv", 500, "C1a", "1b", 500, "");
  expected = repeat("a", "::b", 500, "", "", 0, "");
  CHECK_DEMANGLES(db, in, expected);
  free(in), free(expected);
  sqlite3_close(db);
}

/* C++: f(X0, X1, ..., XN) with X0 = A<int, int>, Xk = A<Xk-1, Xk-1>, each
** Xk written as a substitution of the one before: the output doubles with
** every 8 bytes of input. */
static char *cpp_doubling(int n) {
  char *s = malloc(32 + 16 * (size_t)n), *p = s;
  p += sprintf(p, "_Z1f1AIiiE"); /* S_ = A, S0_ = A<int, int> */
  for (int k = 1; k <= n; k++) { /* Xk-1 is S<k-1 in base 36>_, n <= 36 */
    char d = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[k - 1];
    p += sprintf(p, "S_IS%c_S%c_E", d, d);
  }
  return s;
}

/* What cpp_doubling(n) demangles to, built from the definition. */
static char *cpp_doubling_expected(int n) {
  size_t cap = 64;
  for (int k = 0; k <= n; k++)
    cap += (size_t)20 << k;
  char *out = malloc(cap), *x = malloc(cap), *next = malloc(cap);
  strcpy(x, "A<int, int>");
  strcpy(out, "f(A<int, int>");
  for (int k = 1; k <= n; k++) {
    sprintf(next, "A<%s, %s >", x, x);
    strcpy(x, next);
    strcat(out, ", ");
    strcat(out, x);
  }
  strcat(out, ")");
  free(x), free(next);
  return out;
}

/* Rust v0: f::<T0, T1, ..., TN> with T0 = (i32, i32), Tk = (Tk-1, Tk-1),
** each Tk a tuple of two back-references to the one before. */
static char *rust_doubling(int n, const char *leaf) {
  static const char b62[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  char *s = malloc(64 + 2 * strlen(leaf) + 16 * (size_t)n), *p = s;
  size_t prev;
  p += sprintf(p, "_RINvC1a1f");
  prev = (size_t)(p - s) - 2; /* back-references count from after _R */
  p += sprintf(p, "T%s%sE", leaf, leaf);
  for (int k = 1; k <= n; k++) {
    size_t here = (size_t)(p - s) - 2, v = prev - 1;
    char num[8];
    int len = 0;
    /* base-62 number: "_" is 0, otherwise the digits of value - 1 */
    do
      num[len++] = b62[v % 62], v /= 62;
    while (v);
    p += sprintf(p, "TB");
    for (int i = len - 1; i >= 0; i--)
      *p++ = num[i];
    p += sprintf(p, "_B");
    for (int i = len - 1; i >= 0; i--)
      *p++ = num[i];
    p += sprintf(p, "_E");
    prev = here;
  }
  sprintf(p, "E");
  return s;
}

static char *rust_doubling_expected(int n) {
  size_t cap = 64;
  for (int k = 0; k <= n; k++)
    cap += (size_t)20 << k;
  char *out = malloc(cap), *x = malloc(cap), *next = malloc(cap);
  strcpy(x, "(i32, i32)");
  strcpy(out, "a::f::<(i32, i32)");
  for (int k = 1; k <= n; k++) {
    sprintf(next, "(%s, %s)", x, x);
    strcpy(x, next);
    strcat(out, ", ");
    strcat(out, x);
  }
  strcat(out, ">");
  free(x), free(next);
  return out;
}

/* The largest N whose EXPECTED(N) fits in 64 KiB. */
static int largest_within_limit(char *(*expected)(int)) {
  int n = 0;
  for (;;) {
    char *e = expected(n + 1);
    size_t len = strlen(e);
    free(e);
    if (len > 65536) return n;
    n++;
  }
}

static void demangle__exponential_expansion__then_bounded_and_prompt(void) {
  sqlite3 *db = open_db();
  int n = largest_within_limit(cpp_doubling_expected);
  char *in, *expected;
  /* The largest that fits in 64 KiB is demangled in full... */
  in = cpp_doubling(n);
  expected = cpp_doubling_expected(n);
  CHECK(strlen(expected) > 32768);
  CHECK_DEMANGLES(db, in, expected);
  free(in), free(expected);
  /* ...the next one, and one that would print 2^40 times more, not. */
  in = cpp_doubling(n + 1);
  check_unchanged_promptly(db, in);
  free(in);
  in = cpp_doubling(34); /* the most one-digit substitutions allow */
  check_unchanged_promptly(db, in);
  free(in);

  n = largest_within_limit(rust_doubling_expected);
  in = rust_doubling(n, "l");
  expected = rust_doubling_expected(n);
  CHECK(strlen(expected) > 32768);
  CHECK_DEMANGLES(db, in, expected);
  free(in), free(expected);
  in = rust_doubling(n + 1, "l");
  check_unchanged_promptly(db, in);
  free(in);
  in = rust_doubling(60, "l");
  check_unchanged_promptly(db, in);
  free(in);
  /* Leaves with a long punycode identifier: the stop comes while libiberty
  ** holds the buffer it decodes it into (ASan and valgrind see no leak). */
  in =
      rust_doubling(60, "NtC1au44x_0gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  check_unchanged_promptly(db, in);
  free(in);
  sqlite3_close(db);
}

/* ---- flags ----------------------------------------------------------------
 */

static void demangle__in_schema_and_index__then_allowed(void) {
  sqlite3 *db = open_db();
  /* An index on an expression needs SQLITE_DETERMINISTIC; a view used with
  ** trusted_schema off needs SQLITE_INNOCUOUS. */
  CHECK(sqlite3_exec(db,
                     "PRAGMA trusted_schema = OFF; "
                     "CREATE TABLE t(s); "
                     "INSERT INTO t VALUES ('_ZN3foo3barEv'), ('main'); "
                     "CREATE INDEX t_fn ON t(atf_demangle(s)); "
                     "CREATE VIEW v AS SELECT atf_demangle(s) AS fn FROM t",
                     NULL, NULL, NULL) == SQLITE_OK);
  CHECK_STR(query_text(db, "SELECT group_concat(fn, ' ') FROM v", NULL),
            "foo::bar() main");
  CHECK_STR(query_text(db,
                       "SELECT s FROM t WHERE atf_demangle(s) = 'foo::bar()'",
                       NULL),
            "_ZN3foo3barEv");
  CHECK(strstr(plan_of(db, "SELECT s FROM t WHERE atf_demangle(s) = 'x'"),
               "USING INDEX t_fn") != NULL);
  sqlite3_close(db);
}

static const check_case cases[] = {
    CASE(demangle__cpp__then_readable_with_parameters),
    CASE(demangle__rust_legacy__then_path_without_hash),
    CASE(demangle__rust_v0__then_path_with_generics),
    CASE(demangle__other_schemes_and_plain_names__then_unchanged),
    CASE(demangle__null_empty_and_numbers__then_as_given),
    CASE(demangle__blob__then_blob_of_the_demangled_bytes),
    CASE(demangle__text_with_nul__then_unchanged),
    CASE(demangle__megabyte_of_garbage__then_unchanged_promptly),
    CASE(demangle__deep_nesting__then_unchanged_promptly),
    CASE(demangle__deep_nesting_within_limits__then_demangled),
    CASE(demangle__exponential_expansion__then_bounded_and_prompt),
    CASE(demangle__in_schema_and_index__then_allowed),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
