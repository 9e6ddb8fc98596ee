/*
** json_num.c - exact integers, NUL and duplicate keys in documents parsed
** with cJSON (see json_num.h).
*/
#include <stdlib.h>
#include <string.h>

#include "json_num.h"

struct atf_json_number {
  const cJSON *item;
  atf_json_token token;
};

/* Tokens of the numbers of TEXT (which cJSON accepted), in order; returns
** how many there are, filling at most CAP. */
static size_t find_tokens(const char *text, size_t len, atf_json_token *out,
                          size_t cap) {
  size_t i = 0, n = 0;
  while (i < len) {
    char c = text[i];
    if (c == '"') { /* a string, escapes included */
      for (i++; i < len && text[i] != '"'; i++)
        if (text[i] == '\\') i++;
      i++;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = i;
      while (i < len && text[i] && strchr("+-.eE0123456789", text[i]))
        i++;
      if (n < cap) out[n].ptr = text + start, out[n].len = i - start;
      n++;
    } else {
      i++;
    }
  }
  return n;
}

/* Number items under ITEM in document order (cJSON keeps children in the
** order of the text); fills OUT from N when OUT is non-NULL. Recursion is
** bounded: cJSON refuses nesting beyond CJSON_NESTING_LIMIT (1000). */
static size_t collect_items(const cJSON *item, struct atf_json_number *out,
                            size_t n) {
  if (cJSON_IsNumber(item)) {
    if (out) out[n].item = item;
    n++;
  }
  for (const cJSON *c = item->child; c; c = c->next)
    n = collect_items(c, out, n);
  return n;
}

static int by_item(const void *a, const void *b) {
  const cJSON *x = ((const struct atf_json_number *)a)->item;
  const cJSON *y = ((const struct atf_json_number *)b)->item;
  return x < y ? -1 : x > y;
}

atf_status atf_json_numbers_locate(const cJSON *root, const char *text,
                                   size_t len, const char *source,
                                   atf_json_numbers *out, atf_error *err) {
  size_t n = collect_items(root, NULL, 0);
  atf_json_token *tokens;
  memset(out, 0, sizeof *out);
  out->by_item = malloc((n ? n : 1) * sizeof *out->by_item);
  tokens = malloc((n ? n : 1) * sizeof *tokens);
  if (!out->by_item || !tokens) {
    free(tokens);
    atf_json_numbers_free(out);
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  }
  if (find_tokens(text, len, tokens, n) != n) {
    free(tokens);
    atf_json_numbers_free(out);
    return atf_fail(err, ATF_ERR_JSON, ATF_NO_OFFSET,
                    "%s: cannot match the numbers of the text", source);
  }
  collect_items(root, out->by_item, 0);
  for (size_t i = 0; i < n; i++)
    out->by_item[i].token = tokens[i];
  free(tokens);
  qsort(out->by_item, n, sizeof *out->by_item, by_item);
  out->n = n;
  return ATF_OK;
}

void atf_json_numbers_free(atf_json_numbers *nums) {
  free(nums->by_item);
  memset(nums, 0, sizeof *nums);
}

int atf_json_u64(const atf_json_numbers *nums, const cJSON *item, uint64_t max,
                 uint64_t *out) {
  struct atf_json_number key = {item, {NULL, 0}}, *found;
  uint64_t v = 0;
  if (!cJSON_IsNumber(item)) return 0;
  found = bsearch(&key, nums->by_item, nums->n, sizeof key, by_item);
  if (!found || found->token.len == 0) return 0;
  for (size_t i = 0; i < found->token.len; i++) {
    unsigned d = (unsigned)(found->token.ptr[i] - '0');
    if (d > 9) return 0; /* a sign, a fraction or an exponent */
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  if (v > max) return 0;
  *out = v;
  return 1;
}

int atf_json_has_nul(const char *text, size_t len) {
  if (memchr(text, 0, len)) return 1;
  for (size_t i = 0; i + 5 < len; i++)
    if (text[i] == '\\' && text[i + 1] == 'u' && text[i + 2] == '0' &&
        text[i + 3] == '0' && text[i + 4] == '0' && text[i + 5] == '0') {
      size_t backslashes = 0; /* "\\u0000" is an escaped backslash */
      while (backslashes < i && text[i - 1 - backslashes] == '\\')
        backslashes++;
      if (backslashes % 2 == 0) return 1;
    }
  return 0;
}

static int by_key(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *atf_json_duplicate_key(const cJSON *object, int *nomem) {
  size_t n = 0, k = 0;
  const char **keys, *twice = NULL;
  *nomem = 0;
  for (const cJSON *c = object->child; c; c = c->next)
    n++;
  if (n < 2) return NULL;
  keys = malloc(n * sizeof *keys);
  if (!keys) {
    *nomem = 1;
    return NULL;
  }
  for (const cJSON *c = object->child; c; c = c->next)
    keys[k++] = c->string ? c->string : "";
  qsort(keys, n, sizeof *keys, by_key);
  for (size_t i = 1; i < n && !twice; i++)
    if (strcmp(keys[i - 1], keys[i]) == 0) twice = keys[i];
  free(keys);
  return twice;
}
