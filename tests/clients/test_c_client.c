/*
** test_c_client.c - the extension as a C program loads it: loading enabled
** through sqlite3_db_config (the C API only, SQL's load_extension() stays
** off), the exact SQL names it registers (tests/expected_sql_names.txt) and
** atf_version(); and the refusal of an SQLite older than it needs, shown by
** handing its entry point the host's own API routines with the version
** functions answering an older number.
**
** usage: test_c_client CASE   (EXTENSION, NAMES_FILE and VERSION are compiled
*in)
*/
#include <dlfcn.h>
#include <sqlite3.h>
/* The routines table only: SQLITE_CORE keeps sqlite3ext.h from renaming
** this program's own calls to go through it. */
#define SQLITE_CORE 1
#include <sqlite3ext.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* The names the extension registers, one "function NAME NARG" or
** "module NAME" a line, sorted, so that two lists compare with strcmp. */
#define NAMES_SQL                                                              \
  "SELECT 'function ' || name || ' ' || narg AS n FROM pragma_function_list "  \
  "UNION SELECT 'module ' || name FROM pragma_module_list ORDER BY n"

typedef struct names {
  char *line[256];
  int n;
} names;

static void names_free(names *ns) {
  for (int i = 0; i < ns->n; i++)
    free(ns->line[i]);
  ns->n = 0;
}

static int names_has(const names *ns, const char *line) {
  for (int i = 0; i < ns->n; i++)
    if (strcmp(ns->line[i], line) == 0) return 1;
  return 0;
}

static int compare_lines(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_add(names *ns, const char *line) {
  if (ns->n < 256) ns->line[ns->n++] = strdup(line);
}

static void names_of(sqlite3 *db, names *ns) {
  sqlite3_stmt *st;
  ns->n = 0;
  CHECK(sqlite3_prepare_v2(db, NAMES_SQL, -1, &st, NULL) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW)
    names_add(ns, (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
}

/* tests/expected_sql_names.txt without comments and blank lines, sorted. */
static void names_expected(names *ns) {
  char buf[512];
  FILE *f = fopen(NAMES_FILE, "r");
  ns->n = 0;
  CHECK(f != NULL);
  if (!f) return;
  while (fgets(buf, sizeof buf, f)) {
    char *hash = strchr(buf, '#'), *end;
    if (hash) *hash = 0;
    end = buf + strlen(buf);
    while (end > buf && strchr(" \t\r\n", end[-1]))
      *--end = 0;
    if (buf[0]) names_add(ns, buf);
  }
  fclose(f);
  qsort(ns->line, (size_t)ns->n, sizeof ns->line[0], compare_lines);
}

static sqlite3 *open_memory(void) {
  sqlite3 *db = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    fprintf(stderr, "sqlite3_open failed\n");
    exit(2);
  }
  return db;
}

static const char *text_of(sqlite3 *db, const char *sql) {
  static char out[512];
  sqlite3_stmt *st;
  snprintf(out, sizeof out, "ERROR: %s", sqlite3_errmsg(db));
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return out;
  if (sqlite3_step(st) == SQLITE_ROW)
    snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
  else
    snprintf(out, sizeof out, "ERROR: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return out;
}

static void c__load_through_db_config__then_expected_names_and_version(void) {
  sqlite3 *db = open_memory();
  char *err = NULL;
  names before, after, added = {{0}, 0}, expected;
  names_of(db, &before);
  CHECK(sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, 0) ==
        SQLITE_OK);
  CHECK(sqlite3_load_extension(db, EXTENSION, NULL, &err) == SQLITE_OK);
  if (err) fprintf(stderr, "load: %s\n", err);
  sqlite3_free(err);
  names_of(db, &after);
  for (int i = 0; i < after.n; i++)
    if (!names_has(&before, after.line[i])) names_add(&added, after.line[i]);
  names_expected(&expected);
  CHECK(added.n == expected.n);
  for (int i = 0; i < added.n || i < expected.n; i++) {
    const char *got = i < added.n ? added.line[i] : "(none)";
    const char *want = i < expected.n ? expected.line[i] : "(none)";
    if (strcmp(got, want) != 0)
      fprintf(stderr, "registered name %d: got \"%s\", expected \"%s\"\n", i,
              got, want);
    CHECK(strcmp(got, want) == 0);
  }
  CHECK_STR(text_of(db, "SELECT atf_version()"), VERSION);
  /* Enabled through the C API only: SQL cannot load another extension. */
  CHECK(strncmp(text_of(db, "SELECT load_extension('" EXTENSION "')"),
                "ERROR: not authorized", 21) == 0);
  names_free(&before);
  names_free(&after);
  names_free(&added);
  names_free(&expected);
  sqlite3_close(db);
}

/* The host's routines, with the version functions of an older SQLite. The
** extension keeps the pointer it is handed, so this table outlives it. */
static sqlite3_api_routines host_api;
static const char *fake_version;
static int fake_number;

static const char *fake_libversion(void) { return fake_version; }
static int fake_libversion_number(void) { return fake_number; }

static int capture_api(sqlite3 *db, char **err,
                       const sqlite3_api_routines *api) {
  (void)db;
  (void)err;
  host_api = *api;
  return SQLITE_OK;
}

typedef int (*entry_point)(sqlite3 *, char **, const sqlite3_api_routines *);

/* Calls the extension's entry point as a host of VERSION/NUMBER would;
** returns its result code and error message (sqlite3_free it). */
static int init_as_host(sqlite3 *db, const char *version, int number,
                        char **err) {
  void *handle = dlopen(EXTENSION ".so", RTLD_NOW | RTLD_LOCAL);
  entry_point init =
      handle ? (entry_point)(uintptr_t)dlsym(handle, "sqlite3_atf_init") : NULL;
  CHECK(init != NULL);
  if (!init) return SQLITE_INTERNAL;
  /* An auto-extension is called with the host's API routines. */
  sqlite3_auto_extension((void (*)(void))capture_api);
  sqlite3_close(open_memory());
  sqlite3_reset_auto_extension();
  fake_version = version;
  fake_number = number;
  host_api.libversion = fake_libversion;
  host_api.libversion_number = fake_libversion_number;
  *err = NULL;
  return init(db, err, &host_api);
}

static void c__older_sqlite_host__then_refused_naming_both_versions(void) {
  sqlite3 *db = open_memory();
  char *err = NULL;
  CHECK(init_as_host(db, "3.30.1", 3030001, &err) == SQLITE_ERROR);
  CHECK(err != NULL && strstr(err, "3.31.0") && strstr(err, "3.30.1"));
  fprintf(stderr, "message: %s\n", err ? err : "(none)");
  sqlite3_free(err);
  /* Nothing was registered. */
  CHECK_STR(text_of(db, "SELECT count(*) FROM pragma_module_list "
                        "WHERE name LIKE 'atf%'"),
            "0");
  CHECK_STR(text_of(db, "SELECT count(*) FROM pragma_function_list "
                        "WHERE name LIKE 'atf%'"),
            "0");
  sqlite3_close(db);
}

static void c__oldest_supported_sqlite__then_loads(void) {
  sqlite3 *db = open_memory();
  char *err = NULL;
  CHECK(init_as_host(db, "3.31.0", 3031000, &err) == SQLITE_OK);
  CHECK(err == NULL);
  sqlite3_free(err);
  CHECK_STR(text_of(db, "SELECT atf_version()"), VERSION);
  sqlite3_close(db);
}

static const check_case cases[] = {
    CASE(c__load_through_db_config__then_expected_names_and_version),
    CASE(c__older_sqlite_host__then_refused_naming_both_versions),
    CASE(c__oldest_supported_sqlite__then_loads),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
