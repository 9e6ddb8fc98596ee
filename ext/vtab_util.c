/*
** vtab_util.c - see vtab_util.h.
*/
#include <stdatomic.h>
#include <string.h>

#include "vtab_util.h"
SQLITE_EXTENSION_INIT3

static void module_aux_free(void *p) {
  atf_module_aux *aux = p;
  trace_cache_free(&aux->cache);
  sqlite3_free(aux);
}

int vtab_register(sqlite3 *db, const char *name, const sqlite3_module *module,
                  const char *schema) {
  atf_module_aux *aux = sqlite3_malloc64(sizeof *aux);
  if (!aux) return SQLITE_NOMEM;
  memset(aux, 0, sizeof *aux);
  aux->schema = schema;
  /* On failure SQLite calls the destructor itself. */
  return sqlite3_create_module_v2(db, name, module, aux, module_aux_free);
}

int vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                 sqlite3_vtab **out, char **err_msg) {
  const char *schema = ((atf_module_aux *)aux)->schema;
  atf_vtab *vtab;
  char *trace = NULL, *options = NULL;
  int rc, hidden = 0;
  /* The arguments are the hidden columns: trace, then options if any. */
  for (const char *p = schema; (p = strstr(p, "HIDDEN")); p++)
    hidden++;
  if (argc - 3 > hidden) {
    *err_msg = sqlite3_mprintf("%s: takes at most %d argument%s (%s)", argv[0],
                               hidden, hidden > 1 ? "s" : "",
                               hidden > 1 ? "the trace, options" : "the trace");
    return SQLITE_ERROR;
  }
  if (argc >= 4 && !(trace = vtab_dequote(argv[3]))) return SQLITE_NOMEM;
  if (argc >= 5 && !(options = vtab_dequote(argv[4]))) {
    sqlite3_free(trace);
    return SQLITE_NOMEM;
  }
  rc = sqlite3_declare_vtab(db, schema);
  if (rc == SQLITE_OK) rc = sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  vtab = rc == SQLITE_OK ? sqlite3_malloc64(sizeof *vtab) : NULL;
  if (!vtab) {
    sqlite3_free(trace);
    sqlite3_free(options);
    return rc == SQLITE_OK ? SQLITE_NOMEM : rc;
  }
  memset(vtab, 0, sizeof *vtab);
  vtab->trace = trace;
  vtab->options = options;
  vtab->aux = aux;
  vtab->db = db;
  *out = &vtab->base;
  return SQLITE_OK;
}

int vtab_disconnect(sqlite3_vtab *base) {
  atf_vtab *vtab = (atf_vtab *)base;
  sqlite3_free(vtab->trace);
  sqlite3_free(vtab->options);
  sqlite3_free(vtab);
  return SQLITE_OK;
}

const char *vtab_trace_arg(sqlite3_vtab *vtab, const char *table, int has_arg,
                           sqlite3_value *arg) {
  const char *trace = has_arg ? (const char *)sqlite3_value_text(arg)
                              : ((atf_vtab *)vtab)->trace;
  if (!trace) {
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = sqlite3_mprintf(
        "%s: no trace given: use %s('path/to/pid_dir'), or the path of its "
        "events.bin or trace.json",
        table, table);
  }
  return trace;
}

char *vtab_dequote(const char *arg) {
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

void vtab_set_error(sqlite3_vtab *vtab, const char *table,
                    const atf_error *err) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s: %s", table, err->message);
}

int vtab_plan_trace_only(sqlite3_vtab *vtab, sqlite3_index_info *info,
                         int trace_column, double rows, double cost) {
  int trace = -1, unusable = 0;
  for (int i = 0; i < info->nConstraint && !((atf_vtab *)vtab)->trace; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->iColumn != trace_column || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
      continue;
    if (c->usable) {
      trace = i;
      break;
    }
    unusable = 1;
  }
  if (trace < 0 && unusable) return SQLITE_CONSTRAINT;
  info->estimatedRows = (sqlite3_int64)rows;
  info->estimatedCost = trace >= 0 ? cost : cost * 1e6;
  if (trace >= 0) {
    info->idxNum = 1;
    info->aConstraintUsage[trace].argvIndex = 1;
    info->aConstraintUsage[trace].omit = 1;
  }
  return SQLITE_OK;
}

void vtab_result_text(sqlite3_context *ctx, atf_bytes bytes) {
  const char *p = bytes.len ? (const char *)bytes.ptr : "";
  if (atf_utf8_valid(bytes.ptr, bytes.len))
    sqlite3_result_text64(ctx, p, bytes.len, SQLITE_TRANSIENT, SQLITE_UTF8);
  else
    sqlite3_result_blob64(ctx, p, bytes.len, SQLITE_TRANSIENT);
}

static _Atomic sqlite3_uint64 records_framed, headers_decoded, payloads_decoded;

void vtab_stats_add(sqlite3_uint64 records, sqlite3_uint64 headers,
                    sqlite3_uint64 payloads) {
  atomic_fetch_add_explicit(&records_framed, records, memory_order_relaxed);
  atomic_fetch_add_explicit(&headers_decoded, headers, memory_order_relaxed);
  atomic_fetch_add_explicit(&payloads_decoded, payloads, memory_order_relaxed);
}

void vtab_stats_get(sqlite3_uint64 *records, sqlite3_uint64 *headers,
                    sqlite3_uint64 *payloads) {
  *records = atomic_load_explicit(&records_framed, memory_order_relaxed);
  *headers = atomic_load_explicit(&headers_decoded, memory_order_relaxed);
  *payloads = atomic_load_explicit(&payloads_decoded, memory_order_relaxed);
}
