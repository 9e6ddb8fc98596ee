/*
** demangle.c - atf_demangle(symbol): C++ and Rust symbols as people read
** them.
**
**   sqlite3> SELECT atf_demangle('_ZNKSt6vectorIiSaIiEE4sizeEv');
**   std::vector<int, std::allocator<int> >::size() const
**   sqlite3> SELECT atf_demangle(symbol) AS fn, count(*) FROM atf_events('t')
**            WHERE kind = 'function_call' GROUP BY fn ORDER BY 2 DESC;
**
** Demangled, by libiberty (never by code of ours):
**   C++, Itanium ABI  _Z...      with parameter types: 'Foo::bar(int) const'
**   Rust legacy       _ZN...E    the path, its 17h<hash> segment left out
**                                and $LT$-style escapes decoded
**   Rust v0           _R...      the path with generic arguments, crate
**                                disambiguators left out
** Mach-O (macOS) symbols carry one more leading underscore (__Z..., __R...,
** as in the ADA tracer's v2 fixtures): it is dropped first, as c++filt
** --strip-underscore does; no ELF mangled name starts with "__Z" or "__R".
** Everything else comes back unchanged, the same type and bytes: plain C
** names, Swift ($s..., _$s...), Objective-C (-[Cls sel:]) and whatever no
** Debian library demangles, and names that are not valid mangled names.
** NULL stays NULL, numbers stay numbers. A BLOB (atf_events gives a symbol
** that is not UTF-8 as a BLOB) is demangled as bytes and comes back a BLOB.
**
** Limits, each of which leaves the symbol unchanged:
**   - input over DEMANGLE_MAX_INPUT (16 KiB): not handed to the library;
**   - a C++ name over 1024 bytes: libiberty's own guard against exhausting
**     the stack (as in c++filt and nm; exported C++ symbols of Debian's
**     libstdc++, libprotobuf and LLVM are all under 620 bytes);
**   - a result over DEMANGLE_MAX_OUTPUT (64 KiB): substitutions (C++) and
**     back-references (Rust v0) let a name print a part of itself twice, so
**     a hostile 250-byte name asks for 500 MB and a 300-byte one for hours;
**     the demangling is stopped when its output passes the limit;
**   - text holding a NUL, or a result that would not be valid UTF-8.
** The library needs up to about 256 KB of the calling thread's stack for
** names at its limits (measured; 8 MB is the Linux default).
**
** Why libiberty (Debian libiberty-dev: the demangler of c++filt, nm, gdb)
** rather than libstdc++'s abi::__cxa_demangle, compared on the same names:
**   - Rust: __cxa_demangle reads a legacy Rust name as C++, hash and
**     escapes left in ('core::ptr::drop_in_place$LT$...$GT$::h0f3b...'),
**     and does not know v0; libiberty demangles both.
**   - C: __cxa_demangle also decodes bare type codes, so C functions named
**     'i' or 'f' would come back 'int' and 'float'; libiberty leaves them.
**   - Bounds: both blow up on the same hostile names (they share
**     cp-demangle.c); only libiberty has a callback interface, which lets
**     us stop one at a size.
**   - C++ results are identical; libiberty.a is position-independent (no
**     absolute relocations, checked with readelf), so it links into atf.so
**     statically, its symbols kept local (--exclude-libs, CMakeLists.txt).
*/
#include <setjmp.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "atf_reader.h" /* atf_utf8_valid */
#include "demangle.h"
SQLITE_EXTENSION_INIT3

#define DEMANGLE_MAX_INPUT 16384
#define DEMANGLE_MAX_OUTPUT 65536
#define DEMANGLE_OPTIONS (DMGL_PARAMS | DMGL_ANSI)
/* Blocks the library may hold at once (Rust v0: one, for a punycode
** identifier); one more is refused, which the library reports as failure. */
#define DEMANGLE_MAX_BLOCKS 8

/* One demangling. The output grows to DEMANGLE_MAX_OUTPUT; past it, or when
** memory runs out, the callback jumps back to run() through STOP. */
typedef struct dm_call {
  jmp_buf stop;
  int nomem;
  char *out; /* sqlite3_malloc64 */
  size_t len, cap;
  void *blocks[DEMANGLE_MAX_BLOCKS]; /* the library's live allocations */
} dm_call;

/* The call running on this thread, for the allocator below. */
static _Thread_local dm_call *current;

/* ---- the library's allocator ------------------------------------------
** libiberty's callback interfaces are meant to allocate nothing, but Rust
** v0 mallocs a buffer for a punycode identifier while it prints it, so a
** jump out of the callback could leak it. The build renames malloc,
** realloc and free in libiberty's demangler objects (objcopy
** --redefine-sym, CMakeLists.txt) to these, which record the blocks of the
** running call; whatever a stopped call held is freed after it. */
void *atf_iberty_malloc(size_t n);
void *atf_iberty_realloc(void *p, size_t n);
void atf_iberty_free(void *p);

static void **block_slot(void *p) {
  for (int i = 0; current && i < DEMANGLE_MAX_BLOCKS; i++)
    if (current->blocks[i] == p) return &current->blocks[i];
  return NULL;
}

void *atf_iberty_malloc(size_t n) { return atf_iberty_realloc(NULL, n); }

void *atf_iberty_realloc(void *p, size_t n) {
  void **slot = block_slot(p); /* p == NULL finds a free slot */
  void *q;
  if (!slot || n == 0) return NULL;
  if (!(q = sqlite3_realloc64(p, n))) return NULL;
  *slot = q;
  return q;
}

void atf_iberty_free(void *p) {
  void **slot = p ? block_slot(p) : NULL;
  if (slot) *slot = NULL, sqlite3_free(p);
}

/* ---- demangling --------------------------------------------------------*/

static void append(const char *s, size_t n, void *opaque) {
  dm_call *c = opaque;
  if (n == 0) return; /* S may then be NULL (Rust v0's empty identifier) */
  if (n > DEMANGLE_MAX_OUTPUT - c->len) longjmp(c->stop, 1);
  if (c->len + n + 1 > c->cap) {
    size_t cap = c->cap ? c->cap : 256;
    char *p;
    while (cap < c->len + n + 1)
      cap *= 2;
    if (cap > DEMANGLE_MAX_OUTPUT + 1) cap = DEMANGLE_MAX_OUTPUT + 1;
    if (!(p = sqlite3_realloc64(c->out, cap)))
      c->nomem = 1, longjmp(c->stop, 1);
    c->out = p, c->cap = cap;
  }
  memcpy(c->out + c->len, s, n);
  c->len += n;
}

/* Whether IN demangled into C->out. Rust first, as libiberty's own
** cplus_demangle does: a legacy Rust name is also a valid C++ one. What a
** jump must find intact lives in *C, not in this function (C11 7.13.2.1). */
static int run(dm_call *c, const char *in) {
  if (setjmp(c->stop) != 0) return 0;
  if (rust_demangle_callback(in, DEMANGLE_OPTIONS, append, c)) return 1;
  c->len = 0; /* Rust may print part of a name before it gives up */
  return cplus_demangle_v3_callback(in, DEMANGLE_OPTIONS, append, c) != 0;
}

static int demangle(dm_call *c, const char *in) {
  int ok;
  if (in[0] == '_' && in[1] == '_' && (in[2] == 'Z' || in[2] == 'R')) in++;
  memset(c, 0, sizeof *c);
  current = c;
  ok = run(c, in);
  current = NULL;
  for (int i = 0; i < DEMANGLE_MAX_BLOCKS; i++)
    sqlite3_free(c->blocks[i]);
  return ok && c->len > 0;
}

static void demangle_func(sqlite3_context *ctx, int argc,
                          sqlite3_value **argv) {
  sqlite3_value *v = argv[0];
  int type = sqlite3_value_type(v), ok;
  const char *in;
  char *copy = NULL;
  size_t n;
  dm_call c;
  (void)argc;
  if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
    sqlite3_result_value(ctx, v); /* NULL, integers and reals as they are */
    return;
  }
  in = type == SQLITE_TEXT ? (const char *)sqlite3_value_text(v)
                           : (const char *)sqlite3_value_blob(v);
  n = (size_t)sqlite3_value_bytes(v);
  if (n > 0 && !in) { /* converting it ran out of memory */
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (n == 0 || n > DEMANGLE_MAX_INPUT || memchr(in, 0, n)) {
    sqlite3_result_value(ctx, v);
    return;
  }
  if (type == SQLITE_BLOB) { /* the library reads a C string */
    if (!(copy = sqlite3_malloc64(n + 1))) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    memcpy(copy, in, n);
    copy[n] = 0;
    in = copy;
  }
  ok = demangle(&c, in);
  sqlite3_free(copy);
  if (c.nomem) {
    sqlite3_free(c.out);
    sqlite3_result_error_nomem(ctx);
  } else if (ok && type == SQLITE_BLOB) {
    sqlite3_result_blob64(ctx, c.out, c.len, sqlite3_free);
  } else if (ok && atf_utf8_valid((const uint8_t *)c.out, c.len)) {
    sqlite3_result_text64(ctx, c.out, c.len, sqlite3_free, SQLITE_UTF8);
  } else {
    sqlite3_free(c.out);
    sqlite3_result_value(ctx, v);
  }
}

int demangle_register(sqlite3 *db) {
  return sqlite3_create_function(db, "atf_demangle", 1,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC |
                                     SQLITE_INNOCUOUS,
                                 NULL, demangle_func, NULL, NULL);
}
