/*
** v2_manifest.c - manifest.json of an ATF v2 trace, parsed with cJSON
** (Debian's libcjson, as trace.json is) into a struct: threads, time range,
** clock, format version, modules and the symbol table, integers exact to
** 64 bits (json_num.c), and a sorted index for symbol lookups.
**
** The tracer writes it with fprintf at session stop (fixed layout, keys in a
** fixed order); a crashed trace has none. Unknown keys are kept in the
** document and the text, never rejected.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "json_num.h"

typedef struct parse_ctx {
  const char *source;
  atf_json_numbers nums;
  atf_error *err;
} parse_ctx;

static atf_status bad(parse_ctx *ctx, const char *fmt, ...) ATF_PRINTF(2, 3);

/* "SOURCE: <what>" as ATF_ERR_MANIFEST. */
static atf_status bad(parse_ctx *ctx, const char *fmt, ...) {
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return atf_fail(ctx->err, ATF_ERR_MANIFEST, ATF_NO_OFFSET, "%s: %s",
                  ctx->source, what);
}

static atf_status nomem(parse_ctx *ctx) {
  return atf_fail(ctx->err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
}

/* OBJECT (named WHERE in messages) must be an object without a key given
** twice. */
static atf_status check_object(parse_ctx *ctx, const cJSON *object,
                               const char *where) {
  int out_of_memory;
  const char *twice;
  if (!cJSON_IsObject(object)) return bad(ctx, "%s must be an object", where);
  twice = atf_json_duplicate_key(object, &out_of_memory);
  if (out_of_memory) return nomem(ctx);
  if (twice)
    return bad(ctx, "%s: key \"%s\" appears more than once", where, twice);
  return ATF_OK;
}

/* The unsigned integer KEY of OBJECT, at most MAX. */
static atf_status get_uint(parse_ctx *ctx, const cJSON *object,
                           const char *where, const char *key, int required,
                           uint64_t max, atf_opt_u64 *out) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
  out->present = 0;
  if (!item)
    return required ? bad(ctx, "%s: key \"%s\" is missing", where, key)
                    : ATF_OK;
  if (!atf_json_u64(&ctx->nums, item, max, &out->value))
    return bad(ctx, "%s: key \"%s\" must be an integer from 0 to %llu", where,
               key, (unsigned long long)max);
  out->present = 1;
  return ATF_OK;
}

/* The string KEY of OBJECT, copied into *OUT (NULL when absent and not
** required). */
static atf_status get_string(parse_ctx *ctx, const cJSON *object,
                             const char *where, const char *key, int required,
                             char **out) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
  *out = NULL;
  if (!item)
    return required ? bad(ctx, "%s: key \"%s\" is missing", where, key)
                    : ATF_OK;
  if (!cJSON_IsString(item))
    return bad(ctx, "%s: key \"%s\" must be a string", where, key);
  *out = atf_strdup(item->valuestring);
  return *out ? ATF_OK : nomem(ctx);
}

/* "0x" and 1 to 16 hex digits (either case), as an exact u64. */
static int parse_hex(const char *s, uint64_t *out) {
  uint64_t v = 0;
  size_t n = 0;
  if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return 0;
  for (s += 2; *s; s++, n++) {
    int d;
    if (*s >= '0' && *s <= '9')
      d = *s - '0';
    else if (*s >= 'a' && *s <= 'f')
      d = *s - 'a' + 10;
    else if (*s >= 'A' && *s <= 'F')
      d = *s - 'A' + 10;
    else
      return 0;
    if (n == 16) return 0;
    v = v << 4 | (uint64_t)d;
  }
  if (n == 0) return 0;
  *out = v;
  return 1;
}

static atf_status get_hex(parse_ctx *ctx, const cJSON *object,
                          const char *where, const char *key, int required,
                          int *present, uint64_t *out) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
  *present = 0;
  if (!item)
    return required ? bad(ctx, "%s: key \"%s\" is missing", where, key)
                    : ATF_OK;
  if (!cJSON_IsString(item) || !parse_hex(item->valuestring, out))
    return bad(ctx,
               "%s: key \"%s\" must be a string \"0x\" and 1 to 16 hex "
               "digits",
               where, key);
  *present = 1;
  return ATF_OK;
}

/* The array KEY of ROOT: *OUT (NULL when absent and not required), with
** *COUNT elements. */
static atf_status get_array(parse_ctx *ctx, const cJSON *root, const char *key,
                            int required, const cJSON **out, size_t *count) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
  *out = NULL;
  *count = 0;
  if (!item) return required ? bad(ctx, "key \"%s\" is missing", key) : ATF_OK;
  if (!cJSON_IsArray(item)) return bad(ctx, "key \"%s\" must be an array", key);
  *out = item;
  *count = (size_t)cJSON_GetArraySize(item);
  return ATF_OK;
}

static int by_slot(const void *a, const void *b) {
  uint32_t x = ((const atf_v2_manifest_thread *)a)->slot;
  uint32_t y = ((const atf_v2_manifest_thread *)b)->slot;
  return x < y ? -1 : x > y;
}

static atf_status parse_threads(parse_ctx *ctx, const cJSON *root,
                                atf_v2_manifest *m) {
  const cJSON *array;
  atf_v2_manifest_thread *sorted;
  size_t n, i = 0;
  atf_status rc = get_array(ctx, root, "threads", 1, &array, &n);
  if (rc != ATF_OK) return rc;
  m->threads = calloc(n ? n : 1, sizeof *m->threads);
  if (!m->threads) return nomem(ctx);
  for (const cJSON *c = array->child; c; c = c->next, i++) {
    char where[48];
    atf_opt_u64 id;
    const cJSON *detail;
    snprintf(where, sizeof where, "threads[%zu]", i);
    if ((rc = check_object(ctx, c, where)) ||
        (rc = get_uint(ctx, c, where, "id", 1, ATF_V2_MAX_SLOT, &id)))
      return rc;
    detail = cJSON_GetObjectItemCaseSensitive(c, "has_detail");
    if (detail && !cJSON_IsBool(detail))
      return bad(ctx, "%s: key \"has_detail\" must be true or false", where);
    m->threads[i].slot = (uint32_t)id.value;
    m->threads[i].has_detail = detail && cJSON_IsTrue(detail);
    m->thread_count = i + 1;
  }
  /* A slot listed twice would be one directory read twice. */
  sorted = malloc((n ? n : 1) * sizeof *sorted);
  if (!sorted) return nomem(ctx);
  memcpy(sorted, m->threads, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, by_slot);
  for (i = 1; i < n; i++)
    if (sorted[i].slot == sorted[i - 1].slot) {
      uint32_t slot = sorted[i].slot;
      free(sorted);
      return bad(ctx, "threads: id %u is listed more than once", slot);
    }
  free(sorted);
  return ATF_OK;
}

static atf_status parse_modules(parse_ctx *ctx, const cJSON *root,
                                atf_v2_manifest *m) {
  const cJSON *array;
  size_t n, i = 0;
  atf_status rc = get_array(ctx, root, "modules", 0, &array, &n);
  if (rc != ATF_OK || !array) return rc;
  m->modules = calloc(n ? n : 1, sizeof *m->modules);
  if (!m->modules) return nomem(ctx);
  for (const cJSON *c = array->child; c; c = c->next, i++) {
    atf_v2_module *mod = &m->modules[i];
    char where[48];
    atf_opt_u64 id, size;
    m->module_count = i + 1; /* freed whole or in part */
    snprintf(where, sizeof where, "modules[%zu]", i);
    if ((rc = check_object(ctx, c, where)) ||
        (rc = get_uint(ctx, c, where, "module_id", 1, UINT32_MAX, &id)) ||
        (rc = get_string(ctx, c, where, "path", 1, &mod->path)) ||
        (rc = get_hex(ctx, c, where, "base_address", 0, &mod->has_base_address,
                      &mod->base_address)) ||
        (rc = get_uint(ctx, c, where, "size", 0, UINT64_MAX, &size)) ||
        (rc = get_string(ctx, c, where, "uuid", 0, &mod->uuid)))
      return rc;
    mod->module_id = (uint32_t)id.value;
    mod->has_size = size.present;
    mod->size = size.value;
  }
  return ATF_OK;
}

typedef struct id_pos {
  uint64_t function_id;
  uint32_t pos;
} id_pos;

static int by_function_id(const void *a, const void *b) {
  const id_pos *x = a, *y = b;
  if (x->function_id != y->function_id)
    return x->function_id < y->function_id ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos; /* stable: document order */
}

/* m->by_id: the symbols' positions sorted by function id. */
static atf_status sort_symbols(parse_ctx *ctx, atf_v2_manifest *m) {
  size_t n = m->symbol_count;
  id_pos *tmp = malloc((n ? n : 1) * sizeof *tmp);
  if (!tmp) return nomem(ctx);
  for (size_t i = 0; i < n; i++)
    tmp[i] = (id_pos){m->symbols[i].function_id, (uint32_t)i};
  qsort(tmp, n, sizeof *tmp, by_function_id);
  for (size_t i = 0; i < n; i++)
    m->by_id[i] = tmp[i].pos;
  free(tmp);
  return ATF_OK;
}

static atf_status parse_symbols(parse_ctx *ctx, const cJSON *root,
                                atf_v2_manifest *m) {
  const cJSON *array;
  size_t n, i = 0;
  atf_status rc = get_array(ctx, root, "symbols", 0, &array, &n);
  if (rc != ATF_OK || !array) return rc;
  if (n > UINT32_MAX) return bad(ctx, "symbols: more than 2^32 entries");
  m->has_symbols = 1;
  m->symbols = calloc(n ? n : 1, sizeof *m->symbols);
  m->by_id = malloc((n ? n : 1) * sizeof *m->by_id);
  if (!m->symbols || !m->by_id) return nomem(ctx);
  for (const cJSON *c = array->child; c; c = c->next, i++) {
    atf_v2_symbol *sym = &m->symbols[i];
    char where[48];
    atf_opt_u64 module, index;
    int present;
    m->symbol_count = i + 1;
    snprintf(where, sizeof where, "symbols[%zu]", i);
    if ((rc = check_object(ctx, c, where)) ||
        (rc = get_hex(ctx, c, where, "function_id", 1, &present,
                      &sym->function_id)) ||
        (rc = get_uint(ctx, c, where, "module_id", 1, UINT32_MAX, &module)) ||
        (rc = get_uint(ctx, c, where, "symbol_index", 1, UINT32_MAX, &index)) ||
        (rc = get_string(ctx, c, where, "name", 1, &sym->name)))
      return rc;
    sym->module_id = (uint32_t)module.value;
    sym->symbol_index = (uint32_t)index.value;
  }
  return sort_symbols(ctx, m);
}

static atf_status parse_members(parse_ctx *ctx, const cJSON *root,
                                atf_v2_manifest *m) {
  atf_status rc;
  if ((rc = parse_threads(ctx, root, m)) ||
      (rc = get_uint(ctx, root, "manifest", "time_start_ns", 0, UINT64_MAX,
                     &m->time_start_ns)) ||
      (rc = get_uint(ctx, root, "manifest", "time_end_ns", 0, UINT64_MAX,
                     &m->time_end_ns)) ||
      (rc = get_uint(ctx, root, "manifest", "clock_type", 0, UINT64_MAX,
                     &m->clock_type)) ||
      (rc = get_string(ctx, root, "manifest", "format_version", 1,
                       &m->format_version)) ||
      (rc = parse_modules(ctx, root, m)) || (rc = parse_symbols(ctx, root, m)))
    return rc;
  return ATF_OK;
}

atf_status atf_v2_manifest_parse(const char *text, size_t len,
                                 const char *source, atf_v2_manifest *out,
                                 atf_error *err) {
  const char *parse_end = NULL;
  parse_ctx ctx = {source, {NULL, 0}, err};
  cJSON *root;
  atf_status rc;
  memset(out, 0, sizeof *out);
  if (len == 0)
    return atf_fail(err, ATF_ERR_JSON, 0, "%s: empty file, not a JSON object",
                    source);
  /* Strict JSON first (as trace.json), so that cJSON only sees JSON. */
  rc = atf_json_check(text, len, source, NULL, NULL, &out->notes, err);
  if (rc != ATF_OK) return rc;
  root = cJSON_ParseWithLengthOpts(text, len, &parse_end, 0);
  if (root) /* only white space may follow the value */
    while (parse_end < text + len && *parse_end &&
           strchr(" \t\r\n", *parse_end))
      parse_end++;
  if (!root || parse_end != text + len) {
    uint64_t at = parse_end ? (uint64_t)(parse_end - text) : 0;
    cJSON_Delete(root);
    return atf_fail(err, ATF_ERR_JSON, at,
                    "%s: byte offset %llu: malformed JSON", source,
                    (unsigned long long)at);
  }
  out->root = root;
  if (atf_json_has_nul(text, len)) {
    rc = bad(&ctx, "a NUL character (\\u0000) in the manifest");
    goto fail;
  }
  if ((rc = check_object(&ctx, root, "the manifest"))) goto fail;
  out->json = malloc(len + 1);
  if (!out->json) {
    rc = nomem(&ctx);
    goto fail;
  }
  memcpy(out->json, text, len);
  out->json[len] = 0;
  rc = atf_json_numbers_locate(root, text, len, source, &ctx.nums, err);
  if (rc != ATF_OK) goto fail;
  rc = parse_members(&ctx, root, out);
  atf_json_numbers_free(&ctx.nums);
  if (rc != ATF_OK) goto fail;
  return ATF_OK;
fail:
  atf_v2_manifest_free(out);
  return rc;
}

atf_status atf_v2_manifest_load(const char *path, atf_v2_manifest *out,
                                atf_error *err) {
  atf_map map;
  atf_status rc;
  memset(out, 0, sizeof *out);
  rc = atf_map_open(path, &map, err);
  if (rc != ATF_OK) return rc;
  rc = atf_v2_manifest_parse(map.size ? (const char *)map.data : "",
                             (size_t)map.size, path, out, err);
  atf_map_close(&map);
  return rc;
}

void atf_v2_manifest_free(atf_v2_manifest *m) {
  for (size_t i = 0; i < m->module_count; i++) {
    free(m->modules[i].path);
    free(m->modules[i].uuid);
  }
  for (size_t i = 0; i < m->symbol_count; i++)
    free(m->symbols[i].name);
  free(m->threads);
  free(m->modules);
  free(m->symbols);
  free(m->by_id);
  free(m->format_version);
  free(m->json);
  cJSON_Delete(m->root);
  memset(m, 0, sizeof *m);
}

const atf_v2_symbol *atf_v2_symbol_find(const atf_v2_manifest *m,
                                        uint64_t function_id) {
  size_t lo = 0, hi = m->symbol_count;
  if (!m->by_id) return NULL;
  while (lo < hi) { /* the first entry >= FUNCTION_ID */
    size_t mid = lo + (hi - lo) / 2;
    if (m->symbols[m->by_id[mid]].function_id < function_id)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < m->symbol_count &&
      m->symbols[m->by_id[lo]].function_id == function_id)
    return &m->symbols[m->by_id[lo]];
  return NULL;
}

const char *atf_v2_symbol_name(const atf_v2_manifest *m, uint64_t function_id) {
  const atf_v2_symbol *s = atf_v2_symbol_find(m, function_id);
  return s ? s->name : NULL;
}

const atf_v2_module *atf_v2_module_find(const atf_v2_manifest *m,
                                        uint32_t module_id) {
  for (size_t i = 0; i < m->module_count; i++)
    if (m->modules[i].module_id == module_id) return &m->modules[i];
  return NULL;
}
