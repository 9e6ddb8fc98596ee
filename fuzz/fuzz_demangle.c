/*
** fuzz_demangle.c - libFuzzer target: arbitrary bytes through
** atf_demangle(), as TEXT and as BLOB, in an in-memory SQLite database.
**
** The demangler is libiberty's (ext/demangle.c), whose past bugs were
** crashes, stack exhaustion and exponential blow-ups; here the extension's
** bounds around it are held: an answer for every input within libFuzzer's
** -timeout, no leak when a demangling is stopped, and
**   - a TEXT argument gives TEXT, a BLOB a BLOB;
**   - only a name with a mangling prefix (_Z, _R, _GLOBAL_, or Mach-O's
**     __Z, __R) changes;
**   - a changed answer is at most 64 KiB, has no NUL, and is valid UTF-8
**     when it is TEXT;
**   - TEXT and BLOB of the same bytes demangle to the same bytes, unless
**     the TEXT result would not be UTF-8 (then the TEXT is unchanged).
*/
#include <sqlite3.h>

#include "fuzz_common.h"

int sqlite3_atf_init(sqlite3 *db, char **err_msg,
                     const sqlite3_api_routines *api);

static sqlite3 *db;
static sqlite3_stmt *stmt;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite3_open");
  FUZZ_CHECK(sqlite3_atf_init(db, NULL, NULL) == SQLITE_OK, "atf_init");
  FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT atf_demangle(?1)", -1, &stmt,
                                NULL) == SQLITE_OK,
             "prepare: %s", sqlite3_errmsg(db));
  return 0;
}

/* atf_demangle of DATA bound as TYPE; the answer copied to OUT (malloc'd). */
static int demangle(int type, const uint8_t *data, size_t size, uint8_t **out,
                    size_t *len) {
  int got;
  const void *p;
  if (type == SQLITE_TEXT)
    sqlite3_bind_text64(stmt, 1, (const char *)data, size, SQLITE_STATIC,
                        SQLITE_UTF8);
  else
    sqlite3_bind_blob64(stmt, 1, data, size, SQLITE_STATIC);
  FUZZ_CHECK(sqlite3_step(stmt) == SQLITE_ROW, "step: %s", sqlite3_errmsg(db));
  got = sqlite3_column_type(stmt, 0);
  p = got == SQLITE_BLOB ? sqlite3_column_blob(stmt, 0)
                         : (const void *)sqlite3_column_text(stmt, 0);
  *len = (size_t)sqlite3_column_bytes(stmt, 0);
  *out = malloc(*len + 1);
  FUZZ_CHECK(*out != NULL, "malloc");
  if (*len) memcpy(*out, p, *len);
  sqlite3_reset(stmt);
  return got;
}

static int same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static int has_prefix(const uint8_t *data, size_t size, const char *prefix) {
  size_t n = strlen(prefix);
  return size >= n && memcmp(data, prefix, n) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *text, *blob;
  size_t text_len, blob_len;
  int text_changed, blob_changed;
  int mangled = has_prefix(data, size, "_Z") || has_prefix(data, size, "_R") ||
                has_prefix(data, size, "_GLOBAL_") ||
                has_prefix(data, size, "__Z") || has_prefix(data, size, "__R");

  FUZZ_CHECK(demangle(SQLITE_TEXT, data, size, &text, &text_len) == SQLITE_TEXT,
             "TEXT gave another type");
  FUZZ_CHECK(demangle(SQLITE_BLOB, data, size, &blob, &blob_len) == SQLITE_BLOB,
             "BLOB gave another type");
  text_changed = !same(text, text_len, data, size);
  blob_changed = !same(blob, blob_len, data, size);
  if (blob_changed) {
    FUZZ_CHECK(mangled, "a name without a mangling prefix changed");
    FUZZ_CHECK(blob_len > 0 && blob_len <= 65536, "answer of %zu bytes",
               blob_len);
    FUZZ_CHECK(!memchr(blob, 0, blob_len), "NUL in the answer");
  }
  if (text_changed) {
    FUZZ_CHECK(fuzz_utf8_reference(text, text_len), "TEXT answer not UTF-8");
    FUZZ_CHECK(same(text, text_len, blob, blob_len),
               "TEXT and BLOB demangled differently");
  } else if (blob_changed) {
    FUZZ_CHECK(!fuzz_utf8_reference(blob, blob_len),
               "BLOB demangled, TEXT left though the answer is UTF-8");
  }
  free(text);
  free(blob);
  return 0;
}
