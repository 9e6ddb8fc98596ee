/*
** json_num.h - helpers for documents parsed with cJSON, shared by the
** reader's JSON files; not part of the API.
**
** cJSON keeps numbers as doubles, exact only to 2^53. atf_json_numbers
** matches every number item of a document to its token in the text (both
** in document order), so that an integer is read from its own digits.
*/
#ifndef ATF_JSON_NUM_H
#define ATF_JSON_NUM_H

#include <cjson/cJSON.h>

#include "internal.h"

typedef struct atf_json_token {
  const char *ptr;
  size_t len;
} atf_json_token;

typedef struct atf_json_numbers {
  struct atf_json_number *by_item; /* sorted by item address */
  size_t n;
} atf_json_numbers;

/* Locates the number tokens of TEXT[0..LEN), which cJSON parsed into ROOT.
** ATF_ERR_JSON when they cannot be matched (SOURCE names the file). */
atf_status atf_json_numbers_locate(const cJSON *root, const char *text,
                                   size_t len, const char *source,
                                   atf_json_numbers *out, atf_error *err);
void atf_json_numbers_free(atf_json_numbers *nums);

/* ITEM read as a plain unsigned integer (digits only: no sign, fraction or
** exponent) of at most MAX: 1 and *OUT, or 0. */
int atf_json_u64(const atf_json_numbers *nums, const cJSON *item, uint64_t max,
                 uint64_t *out);

/* Whether TEXT holds a NUL byte or a \u0000 escape: cJSON's C strings
** would end there and silently cut a key or a value. */
int atf_json_has_nul(const char *text, size_t len);

/* A key that OBJECT holds twice (O(n log n)), or NULL; *NOMEM set when
** memory ran out. */
const char *atf_json_duplicate_key(const cJSON *object, int *nomem);

#endif
