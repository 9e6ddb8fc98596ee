/*
** manifest.c - trace.json: checked as strict JSON (json_check.c), then
** parsed with cJSON, 64-bit integers exact.
**
** cJSON keeps numbers as doubles, exact only to 2^53, while nanosecond times
** and session ids go beyond. So the strict check hands over the number
** tokens of the top-level object's members, in document order, and they are
** matched to cJSON's number members walked in the same order: each integer
** is then read from its own digits.
*/
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "json_check.h"

typedef struct span {
  const char *ptr;
  size_t len;
} span;

/* The number tokens of the top-level members, as the check finds them. */
typedef struct member_numbers {
  span *tokens;
  size_t n, cap;
  int nomem;
} member_numbers;

static void on_number(void *user, const char *token, size_t len,
                      uint64_t offset, unsigned depth) {
  member_numbers *nums = user;
  (void)offset;
  if (depth != 1 || nums->nomem) return; /* nested: not a manifest key */
  if (nums->n == nums->cap) {
    size_t cap = nums->cap ? 2 * nums->cap : 16;
    span *grown = realloc(nums->tokens, cap * sizeof *grown);
    if (!grown) {
      nums->nomem = 1;
      return;
    }
    nums->tokens = grown;
    nums->cap = cap;
  }
  nums->tokens[nums->n++] = (span){token, len};
}

/* Reads TOKEN as a plain JSON integer (no fraction, no exponent). */
static int parse_integer(span token, int allow_negative, uint64_t *magnitude,
                         int *negative) {
  size_t i = 0;
  uint64_t v = 0;
  *negative = 0;
  if (i < token.len && token.ptr[i] == '-') {
    if (!allow_negative) return 0;
    *negative = 1;
    i++;
  }
  if (i == token.len) return 0;
  for (; i < token.len; i++) {
    unsigned d = (unsigned)(token.ptr[i] - '0');
    if (d > 9) return 0;
    if (v > (UINT64_MAX - d) / 10) return 0; /* overflow */
    v = v * 10 + d;
  }
  *magnitude = v;
  return 1;
}

/* The parse in progress: the document and each top-level member's token. */
typedef struct parse_ctx {
  const char *source;
  cJSON *root;
  span *member_token; /* per top-level member, for number members */
  atf_error *err;
} parse_ctx;

static atf_status key_error(parse_ctx *ctx, const char *key, const char *what) {
  return atf_fail(ctx->err, ATF_ERR_MANIFEST, ATF_NO_OFFSET,
                  "%s: key \"%s\" %s", ctx->source, key, what);
}

/* The top-level member KEY, its index in *INDEX; NULL when absent. */
static cJSON *member(parse_ctx *ctx, const char *key, size_t *index) {
  size_t i = 0;
  for (cJSON *c = ctx->root->child; c; c = c->next, i++)
    if (c->string && strcmp(c->string, key) == 0) {
      *index = i;
      return c;
    }
  return NULL;
}

/* Reads KEY as an unsigned 64-bit integer into OUT (present flag set). */
static atf_status get_u64(parse_ctx *ctx, const char *key, int required,
                          atf_opt_u64 *out) {
  size_t i;
  int negative;
  cJSON *item = member(ctx, key, &i);
  out->present = 0;
  if (!item) return required ? key_error(ctx, key, "is missing") : ATF_OK;
  if (!cJSON_IsNumber(item) ||
      !parse_integer(ctx->member_token[i], 0, &out->value, &negative))
    return key_error(ctx, key,
                     "must be an integer from 0 to 18446744073709551615");
  out->present = 1;
  return ATF_OK;
}

static atf_status get_string(parse_ctx *ctx, const char *key, char **out) {
  size_t i;
  cJSON *item = member(ctx, key, &i);
  if (!item) return key_error(ctx, key, "is missing");
  if (!cJSON_IsString(item)) return key_error(ctx, key, "must be a string");
  *out = atf_strdup(item->valuestring);
  return *out ? ATF_OK
              : atf_fail(ctx->err, ATF_ERR_NOMEM, ATF_NO_OFFSET,
                         "out of memory");
}

static atf_status get_pid(parse_ctx *ctx, atf_manifest *m) {
  size_t i;
  int negative;
  uint64_t magnitude;
  cJSON *item = member(ctx, "pid", &i);
  if (!item) return ATF_OK;
  if (!cJSON_IsNumber(item) ||
      !parse_integer(ctx->member_token[i], 1, &magnitude, &negative) ||
      magnitude > (negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
    return key_error(ctx, "pid", "must be a 64-bit signed integer");
  m->has_pid = 1;
  m->pid = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
  return ATF_OK;
}

static atf_status get_modules(parse_ctx *ctx, atf_manifest *m) {
  size_t i, n = 0;
  cJSON *item = member(ctx, "modules", &i);
  if (item) {
    if (!cJSON_IsArray(item))
      return key_error(ctx, "modules", "must be an array of strings");
    n = (size_t)cJSON_GetArraySize(item);
    m->modules = calloc(n ? n : 1, sizeof *m->modules);
    if (!m->modules) goto nomem;
    for (cJSON *c = item->child; c; c = c->next) {
      if (!cJSON_IsString(c))
        return key_error(ctx, "modules", "must be an array of strings");
      m->modules[m->module_count] = atf_strdup(c->valuestring);
      if (!m->modules[m->module_count++]) goto nomem;
    }
  }
  m->modules_json = item ? cJSON_PrintUnformatted(item) : atf_strdup("[]");
  if (!m->modules_json) goto nomem;
  return ATF_OK;
nomem:
  return atf_fail(ctx->err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
}

static atf_status parse_members(parse_ctx *ctx, atf_manifest *m) {
  atf_opt_u64 start, end, count;
  atf_status rc;
  if ((rc = get_string(ctx, "os", &m->os)) ||
      (rc = get_string(ctx, "arch", &m->arch)) ||
      (rc = get_u64(ctx, "timeStartNs", 1, &start)) ||
      (rc = get_u64(ctx, "timeEndNs", 1, &end)) ||
      (rc = get_u64(ctx, "eventCount", 1, &count)) || (rc = get_pid(ctx, m)) ||
      (rc = get_u64(ctx, "sessionId", 0, &m->session_id)) ||
      (rc = get_u64(ctx, "bytesWritten", 0, &m->bytes_written)) ||
      (rc = get_u64(ctx, "spanCount", 0, &m->span_count)) ||
      (rc = get_u64(ctx, "firstEventOffset", 0, &m->first_event_offset)) ||
      (rc = get_u64(ctx, "lastEventOffset", 0, &m->last_event_offset)) ||
      (rc = get_u64(ctx, "eventsFileSize", 0, &m->events_file_size)) ||
      (rc = get_modules(ctx, m)))
    return rc;
  m->time_start_ns = start.value;
  m->time_end_ns = end.value;
  m->event_count = count.value;
  return ATF_OK;
}

typedef struct keyed {
  const char *key;
  size_t index; /* in document order */
} keyed;

static int by_key_then_index(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c) return c;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* A key given twice is ambiguous (parsers disagree on which wins). Sets
** *TWICE to the first key in document order that appears again, or NULL.
** Sorted, not compared pairwise: a hostile file of 100,000 keys costs
** milliseconds, not seconds. */
static atf_status duplicate_key(parse_ctx *ctx, const char **twice) {
  size_t n = (size_t)cJSON_GetArraySize(ctx->root), i = 0, first = SIZE_MAX;
  keyed *keys = malloc((n ? n : 1) * sizeof *keys);
  *twice = NULL;
  if (!keys)
    return atf_fail(ctx->err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  for (const cJSON *c = ctx->root->child; c; c = c->next, i++)
    keys[i] = (keyed){c->string ? c->string : "", i};
  qsort(keys, n, sizeof *keys, by_key_then_index);
  for (i = 1; i < n; i++) /* the first of a run of equal keys comes first */
    if (strcmp(keys[i - 1].key, keys[i].key) == 0 && keys[i - 1].index < first)
      if (i == 1 || strcmp(keys[i - 2].key, keys[i - 1].key) != 0) {
        first = keys[i - 1].index;
        *twice = keys[i - 1].key;
      }
  free(keys);
  return ATF_OK;
}

/* Gives each top-level number member its token: the members in document
** order are cJSON's children in order, and NUMS holds their tokens. */
static atf_status locate_tokens(parse_ctx *ctx, const member_numbers *nums) {
  size_t members = (size_t)cJSON_GetArraySize(ctx->root), numbers = 0, i = 0;
  for (cJSON *c = ctx->root->child; c; c = c->next)
    numbers += cJSON_IsNumber(c) ? 1 : 0;
  if (numbers != nums->n) /* cJSON and the check disagree: never seen */
    return atf_fail(ctx->err, ATF_ERR_JSON, ATF_NO_OFFSET,
                    "%s: cannot match the numbers of the text", ctx->source);
  ctx->member_token = calloc(members ? members : 1, sizeof *ctx->member_token);
  if (!ctx->member_token)
    return atf_fail(ctx->err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  numbers = 0;
  for (cJSON *c = ctx->root->child; c; c = c->next, i++)
    if (cJSON_IsNumber(c)) ctx->member_token[i] = nums->tokens[numbers++];
  return ATF_OK;
}

/* Checks TEXT strictly, then builds the document with cJSON. */
static atf_status parse_json(parse_ctx *ctx, const char *text, size_t len,
                             member_numbers *nums, atf_json_notes *notes) {
  const char *parse_end = NULL;
  atf_status rc =
      atf_json_check(text, len, ctx->source, on_number, nums, notes, ctx->err);
  if (rc != ATF_OK) return rc;
  if (nums->nomem)
    return atf_fail(ctx->err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  ctx->root = cJSON_ParseWithLengthOpts(text, len, &parse_end, 0);
  if (ctx->root) { /* only white space may follow the value */
    while (parse_end < text + len && strchr(" \t\r\n", *parse_end) &&
           *parse_end)
      parse_end++;
  }
  if (!ctx->root || parse_end != text + len) {
    /* JSON that cJSON refuses (out of memory, or a limit of cJSON's). */
    uint64_t at = parse_end ? (uint64_t)(parse_end - text) : ATF_NO_OFFSET;
    cJSON_Delete(ctx->root);
    ctx->root = NULL;
    return atf_fail(ctx->err, ATF_ERR_JSON, at,
                    "%s: byte offset %llu: cJSON cannot parse this JSON",
                    ctx->source, (unsigned long long)at);
  }
  return ATF_OK;
}

atf_status atf_manifest_parse(const char *text, size_t len, const char *source,
                              atf_manifest *out, atf_error *err) {
  parse_ctx ctx = {source, NULL, NULL, err};
  member_numbers nums = {NULL, 0, 0, 0};
  atf_status rc;
  memset(out, 0, sizeof *out);
  if (len == 0)
    return atf_fail(err, ATF_ERR_JSON, 0, "%s: empty file, not a JSON object",
                    source);
  rc = parse_json(&ctx, text, len, &nums, &out->notes);
  if (rc != ATF_OK) goto done;
  out->root = ctx.root;
  if (!cJSON_IsObject(ctx.root)) {
    rc = atf_fail(err, ATF_ERR_MANIFEST, ATF_NO_OFFSET,
                  "%s: the manifest must be a JSON object", source);
    goto done;
  }
  /* Keys and strings are C strings once cJSON has them: a NUL inside one
  ** would silently cut it ("os\u0000x" would read as "os"). */
  if (out->notes.escaped_nuls) {
    rc = atf_fail(err, ATF_ERR_MANIFEST, out->notes.first_escaped_nul,
                  "%s: byte offset %llu: a NUL character (\\u0000) in the "
                  "manifest",
                  source, (unsigned long long)out->notes.first_escaped_nul);
    goto done;
  }
  const char *twice;
  if ((rc = duplicate_key(&ctx, &twice)) != ATF_OK) goto done;
  if (twice) {
    rc = atf_fail(err, ATF_ERR_MANIFEST, ATF_NO_OFFSET,
                  "%s: key \"%s\" appears more than once", source, twice);
    goto done;
  }
  out->json = malloc(len + 1);
  if (!out->json) {
    rc = atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
    goto done;
  }
  memcpy(out->json, text, len);
  out->json[len] = 0;
  rc = locate_tokens(&ctx, &nums);
  if (rc == ATF_OK) rc = parse_members(&ctx, out);
done:
  free(nums.tokens);
  free(ctx.member_token);
  if (rc != ATF_OK) atf_manifest_free(out);
  return rc;
}

atf_status atf_manifest_load(const char *path, atf_manifest *out,
                             atf_error *err) {
  atf_map map;
  atf_status rc;
  memset(out, 0, sizeof *out);
  rc = atf_map_open(path, &map, err);
  if (rc != ATF_OK) return rc;
  rc = atf_manifest_parse(map.size ? (const char *)map.data : "",
                          (size_t)map.size, path, out, err);
  atf_map_close(&map);
  return rc;
}

void atf_manifest_free(atf_manifest *m) {
  for (size_t i = 0; i < m->module_count; i++)
    free(m->modules[i]);
  free(m->modules);
  free(m->modules_json);
  free(m->os);
  free(m->arch);
  free(m->json);
  cJSON_Delete(m->root);
  memset(m, 0, sizeof *m);
}

atf_status atf_manifest_duration_ns(const atf_manifest *m, uint64_t *out,
                                    atf_error *err) {
  if (m->time_end_ns < m->time_start_ns)
    return atf_fail(err, ATF_ERR_RANGE, ATF_NO_OFFSET,
                    "manifest: timeEndNs %llu precedes timeStartNs %llu",
                    (unsigned long long)m->time_end_ns,
                    (unsigned long long)m->time_start_ns);
  *out = m->time_end_ns - m->time_start_ns;
  return ATF_OK;
}
