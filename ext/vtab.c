/*
** vtab.c - see vtab.h.
*/
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "vtab.h"
SQLITE_EXTENSION_INIT3

/* ---- registration and the shared methods ------------------------------ */

/* What each module is registered with. */
typedef struct module_aux {
  const vtab_table *table;
  atf_conn *conn;
} module_aux;

atf_conn *vtab_conn_new(void) {
  atf_conn *conn = sqlite3_malloc64(sizeof *conn);
  if (conn) memset(conn, 0, sizeof *conn);
  return conn;
}

static void module_aux_free(void *p) {
  module_aux *aux = p;
  if (--aux->conn->refs == 0) {
    trace_cache_free(&aux->conn->cache);
    sqlite3_free(aux->conn);
  }
  sqlite3_free(aux);
}

int vtab_register(sqlite3 *db, atf_conn *conn, const vtab_table *table,
                  const sqlite3_module *module) {
  module_aux *aux = sqlite3_malloc64(sizeof *aux);
  if (!aux) return SQLITE_NOMEM;
  aux->table = table;
  aux->conn = conn;
  conn->refs++;
  /* On failure SQLite calls the destructor itself. */
  return sqlite3_create_module_v2(db, table->name, module, aux,
                                  module_aux_free);
}

/* A copy of a CREATE VIRTUAL TABLE argument with SQL quotes removed
** ('it''s' -> it's), from sqlite3_malloc; NULL when out of memory. */
static char *dequote(const char *arg) {
  size_t n = strlen(arg), j = 0;
  char quote = n >= 2 ? arg[0] : 0;
  char *out = sqlite3_malloc64(n + 1);
  if (!out) return NULL;
  if ((quote == '\'' || quote == '"' || quote == '`') && arg[n - 1] == quote) {
    for (size_t i = 1; i + 1 < n; i++) {
      out[j++] = arg[i];
      if (arg[i] == quote && arg[i + 1] == quote) i++; /* doubled quote */
    }
  } else if (quote == '[' && arg[n - 1] == ']') {
    memcpy(out, arg + 1, n - 2);
    j = n - 2;
  } else {
    memcpy(out, arg, n);
    j = n;
  }
  out[j] = 0;
  return out;
}

static int connect_table(sqlite3 *db, void *p, int argc,
                         const char *const *argv, sqlite3_vtab **out,
                         char **err_msg) {
  const module_aux *aux = p;
  const vtab_table *t = aux->table;
  atf_vtab *vtab;
  int rc;
  /* argv: module name, database, table name, then the arguments. */
  if (argc - 3 > t->n_args) {
    *err_msg = sqlite3_mprintf("%s: takes at most %d argument%s", t->name,
                               t->n_args, t->n_args > 1 ? "s" : "");
    return SQLITE_ERROR;
  }
  rc = sqlite3_declare_vtab(db, t->schema);
  if (rc != SQLITE_OK) {
    /* Say why: e.g. a small SQLITE_LIMIT_LENGTH refuses the schema. */
    *err_msg = sqlite3_mprintf("%s: SQLite refused the table's schema: %s",
                               t->name, sqlite3_errmsg(db));
    return rc;
  }
  rc = sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  if (rc != SQLITE_OK) return rc;
  vtab = sqlite3_malloc64(sizeof *vtab);
  if (!vtab) return SQLITE_NOMEM;
  memset(vtab, 0, sizeof *vtab);
  vtab->table = t;
  vtab->conn = aux->conn;
  vtab->db = db;
  for (int j = 0; j + 3 < argc; j++)
    if (!(vtab->args[j] = dequote(argv[j + 3]))) {
      vtab_disconnect(&vtab->base);
      return SQLITE_NOMEM;
    }
  *out = &vtab->base;
  return SQLITE_OK;
}

/* The arguments of CREATE VIRTUAL TABLE: a trace given, that opens, and
** whatever else the table checks. */
static int check_created(const atf_vtab *vtab, char **err_msg) {
  const vtab_table *t = vtab->table;
  atf_error err;
  if (!vtab->args[0]) {
    *err_msg = t->missing_arg
                   ? sqlite3_mprintf("%s: %s", t->name, t->missing_arg)
                   : sqlite3_mprintf(
                         "%s: no trace given: use %s('path/to/pid_dir'), or "
                         "the path of its events.bin or trace.json",
                         t->name, t->name);
    return SQLITE_ERROR;
  }
  if ((t->probe ? t->probe : trace_probe)(vtab->args[0], &err) != ATF_OK) {
    *err_msg = sqlite3_mprintf("%s: %s", t->name, err.message);
    return SQLITE_ERROR;
  }
  if (t->options) {
    unsigned flags;
    int rc = vtab_parse_options(t, vtab->args[1], &flags, err_msg);
    if (rc != SQLITE_OK) return rc;
  }
  return t->check_args ? t->check_args(vtab->db, t, vtab->args, err_msg)
                       : SQLITE_OK;
}

int vtab_connect(sqlite3 *db, void *p, int argc, const char *const *argv,
                 sqlite3_vtab **out, char **err_msg) {
  int rc = connect_table(db, p, argc, argv, out, err_msg);
  /* SQLite calls xConnect for a table-valued call with no arguments and
  ** the module's name as the table's; otherwise for CREATE VIRTUAL TABLE
  ** (xCreate must be xConnect for the table to be eponymous too) or when
  ** a created table is first used. */
  if (rc == SQLITE_OK && (argc > 3 || strcmp(argv[2], argv[0]) != 0) &&
      (rc = check_created((atf_vtab *)*out, err_msg)) != SQLITE_OK) {
    vtab_disconnect(*out);
    *out = NULL;
  }
  return rc;
}

int vtab_disconnect(sqlite3_vtab *base) {
  atf_vtab *vtab = (atf_vtab *)base;
  for (int j = 0; j < VTAB_MAX_ARGS; j++)
    sqlite3_free(vtab->args[j]);
  sqlite3_free(vtab->base.zErrMsg);
  sqlite3_free(vtab);
  return SQLITE_OK;
}

int vtab_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
  size_t size = ((atf_vtab *)base)->table->cursor_size;
  vtab_cursor *cur = sqlite3_malloc64(size);
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, size);
  cur->eof = 1;
  *out = &cur->base;
  return SQLITE_OK;
}

static void reset_args(vtab_cursor *cur) {
  for (int j = 0; j < VTAB_MAX_ARGS; j++) {
    sqlite3_value_free(cur->args[j]);
    cur->args[j] = NULL;
  }
}

int vtab_close(sqlite3_vtab_cursor *base) {
  vtab_cursor *cur = (vtab_cursor *)base;
  const vtab_table *t = ((atf_vtab *)base->pVtab)->table;
  if (t->reset) t->reset(cur, 1);
  reset_args(cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

int vtab_eof(sqlite3_vtab_cursor *base) { return ((vtab_cursor *)base)->eof; }

/* ---- arguments -------------------------------------------------------- */

#define ARG_COLLATED(j) (1 << (3 * (j) + 2))

int vtab_plan_args(sqlite3_vtab *base, sqlite3_index_info *info, int *idx_num,
                   int *n_argv, int *has_trace) {
  atf_vtab *vtab = (atf_vtab *)base;
  *idx_num = *n_argv = 0;
  *has_trace = vtab->args[0] != NULL;
  for (int j = 0; j < vtab->table->n_args; j++) {
    int column = vtab->table->first_arg + j, passed = 0, waiting = 0;
    if (vtab->args[j]) continue; /* a created table's: = is a filter */
    /* BINARY constraints first: the first value passed is the one opened,
    ** and a value equal only under NOCASE (say) may name no file. */
    for (int pass = 0; pass < 2; pass++)
      for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *k = &info->aConstraint[i];
        int binary;
        if (k->iColumn != column || k->op != SQLITE_INDEX_CONSTRAINT_EQ)
          continue;
        binary =
            sqlite3_stricmp(sqlite3_vtab_collation(info, i), "BINARY") == 0;
        if (binary != (pass == 0)) continue;
        if (!k->usable) {
          waiting = 1;
          continue;
        }
        if (passed == 3) continue; /* SQLite tests the rest */
        info->aConstraintUsage[i].argvIndex = ++*n_argv;
        info->aConstraintUsage[i].omit = 1;
        if (!binary) *idx_num |= ARG_COLLATED(j);
        passed++;
      }
    /* Values after the first are compared in xFilter as BINARY compares
    ** them; when one has another collation, SQLite compares them all. */
    if (*idx_num & ARG_COLLATED(j))
      for (int i = 0; i < info->nConstraint; i++)
        if (info->aConstraint[i].iColumn == column &&
            info->aConstraintUsage[i].argvIndex > *n_argv - passed + 1)
          info->aConstraintUsage[i].omit = 0;
    if (waiting && !passed) return SQLITE_CONSTRAINT;
    *idx_num |= passed << (3 * j);
    if (j == 0 && passed) *has_trace = 1;
  }
  return SQLITE_OK;
}

/* Whether SQLite finds A = B for values of a column without affinity
** (BINARY collation): numbers by value, text and blobs byte for byte. */
static int same_value(sqlite3_value *a, sqlite3_value *b) {
  int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
  if (ta == SQLITE_NULL || tb == SQLITE_NULL) return 0;
  if ((ta == SQLITE_INTEGER || ta == SQLITE_FLOAT) &&
      (tb == SQLITE_INTEGER || tb == SQLITE_FLOAT)) {
    if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER)
      return sqlite3_value_int64(a) == sqlite3_value_int64(b);
    if (ta == SQLITE_FLOAT && tb == SQLITE_FLOAT)
      return sqlite3_value_double(a) == sqlite3_value_double(b);
    if (ta == SQLITE_FLOAT) {
      sqlite3_value *t = a;
      a = b;
      b = t;
    }
    /* An integer equals a real only when the real is that integer. */
    double d = sqlite3_value_double(b);
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
           d == floor(d) && (sqlite3_int64)d == sqlite3_value_int64(a);
  }
  if (ta != tb) return 0;
  if (ta == SQLITE_TEXT) {
    const unsigned char *x = sqlite3_value_text(a), *y = sqlite3_value_text(b);
    int n = sqlite3_value_bytes(a);
    return n == sqlite3_value_bytes(b) && memcmp(x, y, (size_t)n) == 0;
  }
  {
    const void *x = sqlite3_value_blob(a), *y = sqlite3_value_blob(b);
    int n = sqlite3_value_bytes(a);
    return n == sqlite3_value_bytes(b) &&
           (n == 0 || memcmp(x, y, (size_t)n) == 0);
  }
}

int vtab_filter_args(vtab_cursor *cur, int idx_num, sqlite3_value **argv,
                     int *n_argv, int *match) {
  const vtab_table *t = ((atf_vtab *)cur->base.pVtab)->table;
  int a = 0;
  reset_args(cur);
  *match = 1;
  for (int j = 0; j < t->n_args; j++) {
    int n = VTAB_ARG_COUNT(idx_num, j);
    for (int k = 0; k < n; k++, a++) {
      if (sqlite3_value_type(argv[a]) == SQLITE_NULL) *match = 0;
      if (k > 0 && !(idx_num & ARG_COLLATED(j)) &&
          !same_value(argv[a - k], argv[a]))
        *match = 0;
    }
    if (n > 0 && !(cur->args[j] = sqlite3_value_dup(argv[a - n])))
      return SQLITE_NOMEM;
  }
  *n_argv = a;
  return SQLITE_OK;
}

int vtab_parse_options(const vtab_table *t, const char *text, unsigned *flags,
                       char **err_msg) {
  const char *p = text;
  *flags = 0;
  while (p && *p) {
    size_t n = strcspn(p, ", ");
    int known = -1;
    for (int i = 0; n > 0 && t->options && t->options[i] && known < 0; i++)
      if (strlen(t->options[i]) == n && strncmp(p, t->options[i], n) == 0)
        known = i;
    if (known >= 0) {
      *flags |= 1u << known;
    } else if (n > 0) {
      sqlite3_str *s = sqlite3_str_new(NULL);
      sqlite3_str_appendf(s, "%s: unknown option '%.*s' (known:", t->name,
                          (int)n, p);
      for (int i = 0; t->options && t->options[i]; i++)
        sqlite3_str_appendf(s, "%s %s", i ? "," : "", t->options[i]);
      sqlite3_str_appendall(s, t->options ? ")" : " none)");
      *err_msg = sqlite3_str_finish(s);
      return *err_msg ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    p += n;
    p += strspn(p, ", ");
  }
  return SQLITE_OK;
}

int vtab_options(vtab_cursor *cur, unsigned *flags) {
  sqlite3_vtab *vtab = cur->base.pVtab;
  char *err_msg = NULL;
  int rc = vtab_parse_options(((atf_vtab *)vtab)->table, vtab_arg_text(cur, 1),
                              flags, &err_msg);
  if (rc != SQLITE_OK) {
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = err_msg;
  }
  return rc;
}

const char *vtab_arg_text(vtab_cursor *cur, int j) {
  if (cur->args[j]) return (const char *)sqlite3_value_text(cur->args[j]);
  return ((atf_vtab *)cur->base.pVtab)->args[j];
}

const char *vtab_trace(vtab_cursor *cur) {
  const char *trace = vtab_arg_text(cur, 0);
  if (!trace) {
    const vtab_table *t = ((atf_vtab *)cur->base.pVtab)->table;
    if (t->missing_arg)
      vtab_error(cur->base.pVtab, SQLITE_ERROR, "%s", t->missing_arg);
    else
      vtab_error(cur->base.pVtab, SQLITE_ERROR,
                 "no trace given: use %s('path/to/pid_dir'), or the path of "
                 "its events.bin or trace.json",
                 t->name);
  }
  return trace;
}

void vtab_result_arg(vtab_cursor *cur, sqlite3_context *ctx, int j) {
  const char *created = ((atf_vtab *)cur->base.pVtab)->args[j];
  if (cur->args[j])
    sqlite3_result_value(ctx, cur->args[j]);
  else if (created)
    sqlite3_result_text(ctx, created, -1, SQLITE_TRANSIENT);
}

/* ---- errors and values ------------------------------------------------ */

int vtab_error(sqlite3_vtab *vtab, int rc, const char *fmt, ...) {
  va_list ap;
  char *what;
  va_start(ap, fmt);
  what = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg =
      what ? sqlite3_mprintf("%s: %s", ((atf_vtab *)vtab)->table->name, what)
           : NULL;
  sqlite3_free(what);
  return vtab->zErrMsg ? rc : SQLITE_NOMEM;
}

static int statement_interrupted(void *db) {
  sqlite3_stmt *probe;
  int rc = sqlite3_prepare_v2(db, "SELECT 1", -1, &probe, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(probe);
    sqlite3_finalize(probe);
  }
  return rc == SQLITE_INTERRUPT;
}

atf_interrupt vtab_interrupt(vtab_cursor *cur) {
  atf_interrupt stop = {statement_interrupted,
                        ((atf_vtab *)cur->base.pVtab)->db};
  return stop;
}

int vtab_reader_error(sqlite3_vtab *vtab, const atf_error *err) {
  if (err->code == ATF_ERR_NOMEM) return SQLITE_NOMEM;
  if (err->code == ATF_ERR_INTERRUPTED) return SQLITE_INTERRUPT;
  return vtab_error(vtab, SQLITE_ERROR, "%s", err->message);
}

trace_cache *vtab_cache(vtab_cursor *cur) {
  return &((atf_vtab *)cur->base.pVtab)->conn->cache;
}

void vtab_result_text(sqlite3_context *ctx, atf_bytes bytes) {
  const char *p = bytes.len ? (const char *)bytes.ptr : "";
  if (atf_utf8_valid(bytes.ptr, bytes.len))
    sqlite3_result_text64(ctx, p, bytes.len, SQLITE_TRANSIENT, SQLITE_UTF8);
  else
    sqlite3_result_blob64(ctx, p, bytes.len, SQLITE_TRANSIENT);
}

void vtab_result_sum(sqlite3_context *ctx, const atf_sum *s) {
  if (s->overflowed)
    sqlite3_result_double(ctx, s->real);
  else
    sqlite3_result_int64(ctx, s->exact);
}
