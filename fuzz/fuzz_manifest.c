/*
** fuzz_manifest.c - libFuzzer target: arbitrary bytes as trace.json, through
** the strict JSON recognizer (atf_json_check) and atf_manifest_parse (the
** recognizer, cJSON, and the reader's own 64-bit number recovery).
**
** The text is not NUL-terminated, and it ends right before an inaccessible
** page: cJSON comes from Debian's libcjson, which ASan does not instrument,
** so a read past TEXT[LEN) inside it faults on the guard page instead.
**
** The recognizer is held to jansson (Debian's libjansson, a strict parser)
** as an oracle: they accept the same texts, except where the recognizer's
** contract departs on purpose (raw control characters and bytes that are
** not UTF-8 inside strings are taken and noted; nesting is bounded at
** ATF_JSON_MAX_DEPTH) or jansson's does (numbers beyond int64 or a double's
** range, \u0000 in a key; and it takes a NUL byte after a number). What the
*recognizer accepts, cJSON must parse, with the same
** numbers in the same order as the tokens handed over. atf_manifest_parse
** fails with the recognizer's very error, or not for JSON reasons.
**
** On success the manifest must hold what atf_reader.h promises: the strings
** there, modules as given and as JSON, the whole text kept, and
** atf_manifest_duration_ns consistent with the two times. A failure must
** leave nothing allocated (LSan) and say why.
*/
#include <cjson/cJSON.h>
#include <jansson.h>
#include <math.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "json_check.h"

/* A copy of DATA ending where an inaccessible page begins. */
static const char *before_guard_page(const uint8_t *data, size_t size) {
  static uint8_t *area;
  static size_t room; /* bytes before the guard page */
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  if (size > room || !area) {
    if (area) munmap(area, room + page);
    room = (size + page - 1) / page * page;
    if (room == 0) room = page;
    area = mmap(NULL, room + page, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FUZZ_CHECK(area != MAP_FAILED, "mmap failed");
    FUZZ_CHECK(mprotect(area + room, page, PROT_NONE) == 0, "mprotect failed");
  }
  if (size) memcpy(area + room - size, data, size);
  return (const char *)(area + room - size);
}

static void check_success(const atf_manifest *m, const uint8_t *data,
                          size_t size) {
  atf_error err;
  uint64_t d = 0;
  FUZZ_CHECK(m->os && m->arch, "manifest: os or arch is NULL");
  FUZZ_CHECK(m->modules_json, "manifest: modules_json is NULL");
  FUZZ_CHECK(m->json && memcmp(m->json, data, size) == 0 && m->json[size] == 0,
             "manifest: json is not the text as read");
  FUZZ_CHECK(m->root, "manifest: no parsed document");
  FUZZ_CHECK(m->module_count == 0 || m->modules,
             "manifest: %zu modules but no array", m->module_count);

  /* modules_json is the modules, as JSON: the same strings in order. */
  cJSON *mods = cJSON_Parse(m->modules_json);
  FUZZ_CHECK(mods && cJSON_IsArray(mods) &&
                 (size_t)cJSON_GetArraySize(mods) == m->module_count,
             "manifest: modules_json '%s' is not an array of %zu",
             m->modules_json, m->module_count);
  size_t i = 0;
  for (cJSON *c = mods->child; c; c = c->next, i++) {
    FUZZ_CHECK(m->modules[i] && cJSON_IsString(c) &&
                   strcmp(c->valuestring, m->modules[i]) == 0,
               "manifest: module %zu differs from modules_json", i);
  }
  cJSON_Delete(mods);

  atf_status rc = atf_manifest_duration_ns(m, &d, &err);
  if (m->time_end_ns >= m->time_start_ns) {
    FUZZ_CHECK(rc == ATF_OK && d == m->time_end_ns - m->time_start_ns,
               "duration: status %d, %llu", (int)rc, (unsigned long long)d);
  } else {
    FUZZ_CHECK(rc == ATF_ERR_RANGE && err.code == ATF_ERR_RANGE,
               "duration with end before start: status %d", (int)rc);
  }
}

/* The number tokens the recognizer hands over, in order. */
typedef struct tokens {
  const char *text;
  size_t size, n, cap;
  struct token {
    const char *ptr;
    size_t len;
    unsigned depth;
  } * at;
} tokens;

static void on_number(void *user, const char *token, size_t len,
                      uint64_t offset, unsigned depth) {
  tokens *t = user;
  FUZZ_CHECK(offset < t->size && len <= t->size - offset &&
                 token == t->text + offset && depth <= ATF_JSON_MAX_DEPTH,
             "number token at %llu (%zu bytes, depth %u) outside the text",
             (unsigned long long)offset, len, depth);
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 64;
    t->at = realloc(t->at, t->cap * sizeof *t->at);
    FUZZ_CHECK(t->at, "out of memory");
  }
  t->at[t->n++] = (struct token){token, len, depth};
}

/* Walks ITEM's numbers in document order against the tokens from *NEXT. */
static void match_numbers(const cJSON *item, unsigned depth, const tokens *t,
                          size_t *next) {
  if (cJSON_IsNumber(item)) {
    char buf[64];
    double expected;
    FUZZ_CHECK(*next < t->n, "cJSON has more numbers than the recognizer");
    const struct token *k = &t->at[(*next)++];
    FUZZ_CHECK(k->depth == depth, "number at depth %u, token at depth %u",
               depth, k->depth);
    /* strtod needs a NUL-terminated copy: a token longer than the buffer
    ** is matched by its place and depth only. */
    if (k->len < sizeof buf) {
      memcpy(buf, k->ptr, k->len);
      buf[k->len] = 0;
      expected = strtod(buf, NULL);
      FUZZ_CHECK(expected == item->valuedouble ||
                     (isnan(expected) && isnan(item->valuedouble)),
                 "token %s is %.17g, cJSON says %.17g", buf, expected,
                 item->valuedouble);
    }
  }
  for (const cJSON *c = item->child; c; c = c->next)
    match_numbers(c, depth + 1, t, next);
}

/* The notes say where: a first offset within the text exactly when counted,
** pointing at what was counted. */
static void check_notes(const atf_json_notes *n, const uint8_t *text,
                        size_t size) {
  FUZZ_CHECK(n->control_strings
                 ? n->first_control < size && text[n->first_control] >= 0x01 &&
                       text[n->first_control] < 0x20
                 : n->first_control == ATF_NO_OFFSET,
             "control note: %llu strings, first at %llu",
             (unsigned long long)n->control_strings,
             (unsigned long long)n->first_control);
  FUZZ_CHECK(n->invalid_utf8_strings ? n->first_invalid_utf8 < size &&
                                           text[n->first_invalid_utf8] >= 0x80
                                     : n->first_invalid_utf8 == ATF_NO_OFFSET,
             "UTF-8 note: %llu strings, first at %llu",
             (unsigned long long)n->invalid_utf8_strings,
             (unsigned long long)n->first_invalid_utf8);
  FUZZ_CHECK(n->escaped_nuls
                 ? n->first_escaped_nul + 6 <= size &&
                       memcmp(text + n->first_escaped_nul, "\\u0000", 6) == 0
                 : n->first_escaped_nul == ATF_NO_OFFSET,
             "NUL escape note: %llu, first at %llu",
             (unsigned long long)n->escaped_nuls,
             (unsigned long long)n->first_escaped_nul);
}

/* The recognizer against jansson and cJSON; returns its status and error. */
static atf_status check_recognizer(const char *text, size_t size,
                                   atf_error *err) {
  tokens t = {text, size, 0, 0, NULL};
  atf_json_notes notes;
  json_error_t jerr;
  atf_status rc =
      atf_json_check(text, size, "fuzz/x.json", on_number, &t, &notes, err);
  json_t *j = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  FUZZ_CHECK(rc == ATF_OK || rc == ATF_ERR_JSON, "atf_json_check: status %d",
             (int)rc);
  if (rc == ATF_OK) {
    check_notes(&notes, (const uint8_t *)text, size);
    FUZZ_CHECK(j || notes.control_strings || notes.invalid_utf8_strings ||
                   strstr(jerr.text, "too big") ||
                   strstr(jerr.text, "NUL byte in object key") ||
                   strstr(jerr.text, "real number overflow"),
               "accepted, but jansson says: %s (at %d)", jerr.text,
               jerr.position);
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, size, &end, 0);
    FUZZ_CHECK(doc, "accepted, but cJSON cannot parse it");
    while (end < text + size && strchr(" \t\r\n", *end) && *end)
      end++;
    FUZZ_CHECK(end == text + size, "cJSON stops at %ld of %zu",
               (long)(end - text), size);
    size_t next = 0;
    match_numbers(doc, 0, &t, &next);
    FUZZ_CHECK(next == t.n, "%zu number tokens, cJSON has %zu", t.n, next);
    cJSON_Delete(doc);
  } else {
    FUZZ_CHECK(err->code == ATF_ERR_JSON && err->offset <= size,
               "error at %llu of %zu", (unsigned long long)err->offset, size);
    /* jansson skips a NUL byte right after a number ("[1\0]" is [1]). */
    int at_nul = err->offset < size && text[err->offset] == 0;
    FUZZ_CHECK(!j || at_nul || strstr(err->message, "nested more than"),
               "jansson accepts what the recognizer refuses: %s", err->message);
  }
  json_decref(j);
  free(t.at);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  atf_manifest m;
  atf_error err, json_err;
  const char *text = before_guard_page(data, size);
  atf_status json_rc = check_recognizer(text, size, &json_err);
  atf_status rc = atf_manifest_parse(text, size, "fuzz/x.json", &m, &err);
  /* The manifest fails for JSON reasons exactly when the recognizer does,
  ** with its error (an empty file has a message of its own). */
  if (size > 0)
    FUZZ_CHECK(
        (rc == ATF_ERR_JSON) == (json_rc != ATF_OK) &&
            (json_rc == ATF_OK || (err.offset == json_err.offset &&
                                   strcmp(err.message, json_err.message) == 0)),
        "manifest status %d (%s), recognizer status %d (%s)", (int)rc,
        err.message, (int)json_rc, json_err.message);
  if (rc == ATF_OK) {
    check_success(&m, data, size);
    atf_manifest_free(&m);
  } else {
    /* No free: a failed parse owns nothing, which LSan holds it to. */
    FUZZ_CHECK(
        err.code == rc && (rc == ATF_ERR_JSON || rc == ATF_ERR_MANIFEST ||
                           rc == ATF_ERR_NOMEM),
        "atf_manifest_parse: status %d, err.code %d", (int)rc, (int)err.code);
    FUZZ_CHECK(memchr(err.message, 0, sizeof err.message) && err.message[0],
               "atf_manifest_parse: empty error message");
  }
  return 0;
}
