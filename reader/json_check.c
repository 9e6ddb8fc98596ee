/*
** json_check.c - the strict JSON (RFC 8259) recognizer: one pass, a state
** machine with an explicit stack of open arrays and objects (bounded by
** ATF_JSON_MAX_DEPTH), so that no text can exhaust the C stack.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "json_check.h"

typedef struct scan {
  const uint8_t *p;
  size_t len;
  const char *source;
  atf_json_number_fn on_number;
  void *user;
  atf_json_notes *notes;
  atf_error *err;
} scan;

static atf_status fail(const scan *s, size_t at, const char *fmt, ...)
    ATF_PRINTF(3, 4);

static atf_status fail(const scan *s, size_t at, const char *fmt, ...) {
  char why[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  return atf_fail(s->err, ATF_ERR_JSON, at,
                  "%s: byte offset %zu: malformed JSON: %s", s->source, at,
                  why);
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t skip_ws(const scan *s, size_t i) {
  while (i < s->len && (s->p[i] == ' ' || s->p[i] == '\t' || s->p[i] == '\n' ||
                        s->p[i] == '\r'))
    i++;
  return i;
}

/* Whether the text at I begins with WORD. */
static int starts(const scan *s, size_t i, const char *word) {
  size_t n = strlen(word);
  return s->len - i >= n && memcmp(s->p + i, word, n) == 0;
}

/* What sits at byte I, for "expected X, found Y". */
static void describe(const scan *s, size_t i, char *out, size_t cap) {
  uint8_t c = s->p[i];
  if (c >= 0x20 && c < 0x7f && c != '\'')
    snprintf(out, cap, "'%c'", c);
  else
    snprintf(out, cap, "byte 0x%02x", c);
}

/* A byte where EXPECTED should be. The forms that JSON's lenient cousins
** (JSON5, JavaScript) allow get a message of their own. */
static atf_status unexpected(const scan *s, size_t i, const char *expected) {
  char found[32];
  if (i == s->len)
    return fail(s, i, "the text ends where %s is expected", expected);
  if (s->p[i] == 0) return fail(s, i, "a NUL byte");
  if (starts(s, i, "//") || starts(s, i, "/*"))
    return fail(s, i, "a comment (JSON has none)");
  if (s->p[i] == '\'')
    return fail(s, i, "a single quote (JSON strings take double quotes)");
  if (starts(s, i, "NaN")) return fail(s, i, "NaN is not a JSON value");
  if (starts(s, i, "Infinity"))
    return fail(s, i, "Infinity is not a JSON value");
  describe(s, i, found, sizeof found);
  return fail(s, i, "expected %s, found %s", expected, found);
}

/* Why T[0..N) is not a JSON number, or NULL when it is one:
** -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static const char *number_error(const uint8_t *t, size_t n) {
  size_t i = 0;
  if (t[0] == '-') i++;
  if (i == n || !is_digit(t[i]))
    return t[0] == '-' ? "has no digit after its '-'"
                       : "does not begin with a digit or '-'";
  if (t[i] == '0') {
    if (++i < n && is_digit(t[i])) return "has a leading zero";
  } else {
    while (i < n && is_digit(t[i]))
      i++;
  }
  if (i < n && t[i] == '.') {
    if (++i == n || !is_digit(t[i]))
      return "has no digit after its decimal point";
    while (i < n && is_digit(t[i]))
      i++;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    if (++i < n && (t[i] == '+' || t[i] == '-')) i++;
    if (i == n || !is_digit(t[i])) return "has no digit in its exponent";
    while (i < n && is_digit(t[i]))
      i++;
  }
  return i < n ? "is not a JSON number" : NULL;
}

/* The number at *I. No valid JSON puts a digit, sign, '.', 'e' or 'E' right
** after a number, so the token is the longest run of those bytes. */
static atf_status scan_number(const scan *s, size_t *i, unsigned depth) {
  size_t start = *i, end = *i;
  const char *why;
  while (end < s->len &&
         (is_digit(s->p[end]) || s->p[end] == '-' || s->p[end] == '+' ||
          s->p[end] == '.' || s->p[end] == 'e' || s->p[end] == 'E'))
    end++;
  if (end - start == 1 && s->p[start] == '-' && starts(s, end, "Infinity"))
    return fail(s, start, "-Infinity is not a JSON value");
  why = number_error(s->p + start, end - start);
  if (why) {
    int shown = end - start > 24 ? 24 : (int)(end - start);
    return fail(s, start, "number '%.*s%s' %s", shown,
                (const char *)s->p + start, end - start > 24 ? "..." : "", why);
  }
  if (s->on_number)
    s->on_number(s->user, (const char *)s->p + start, end - start, start,
                 depth);
  *i = end;
  return ATF_OK;
}

/* The four hex digits after "\u" at I (the backslash), or -1. */
static long escape_code(const scan *s, size_t i) {
  long v = 0;
  if (s->len - i < 6 || s->p[i] != '\\' || s->p[i + 1] != 'u') return -1;
  for (size_t k = 2; k < 6; k++) {
    int h = hex_value(s->p[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

static void note(uint64_t *count, uint64_t *first, size_t at) {
  if ((*count)++ == 0) *first = at;
}

/* The escape at *I (its backslash), I + 1 < LEN. */
static atf_status scan_escape(const scan *s, size_t *i) {
  size_t at = *i;
  uint8_t c = s->p[at + 1];
  long code, low;
  char found[32];
  if (strchr("\"\\/bfnrt", c) && c) {
    *i += 2;
    return ATF_OK;
  }
  if (c != 'u') {
    describe(s, at + 1, found, sizeof found);
    return fail(s, at, "unknown escape: '\\' followed by %s", found);
  }
  code = escape_code(s, at);
  for (size_t k = at + 2; code < 0 && k < at + 6; k++) {
    if (k == s->len) return ATF_END; /* the string is cut short */
    if (hex_value(s->p[k]) < 0) {
      describe(s, k, found, sizeof found);
      return fail(s, at, "bad escape: \\u takes four hex digits, found %s",
                  found);
    }
  }
  if (code >= 0xdc00 && code <= 0xdfff)
    return fail(s, at,
                "unpaired surrogate: \\u%.4s has no high surrogate before it",
                (const char *)s->p + at + 2);
  if (code >= 0xd800 && code <= 0xdbff) {
    if (s->len - at == 6) return ATF_END;
    low = escape_code(s, at + 6);
    if (low < 0xdc00 || low > 0xdfff)
      return fail(s, at,
                  "unpaired surrogate: \\u%.4s is not followed by a low "
                  "surrogate (\\udc00 to \\udfff)",
                  (const char *)s->p + at + 2);
    *i += 12;
    return ATF_OK;
  }
  if (code == 0)
    note(&s->notes->escaped_nuls, &s->notes->first_escaped_nul, at);
  *i += 6;
  return ATF_OK;
}

/* The string at *I (its opening quote). */
static atf_status scan_string(const scan *s, size_t *i) {
  size_t start = *i, k = *i + 1;
  int control = 0, invalid = 0;
  while (k < s->len) {
    uint8_t c = s->p[k];
    if (c == '"') {
      *i = k + 1;
      return ATF_OK;
    }
    if (c == '\\') {
      atf_status rc = k + 1 < s->len ? scan_escape(s, &k) : ATF_END;
      if (rc == ATF_END) break;
      if (rc != ATF_OK) return rc;
    } else if (c == 0) {
      return fail(s, k, "a NUL byte inside a string");
    } else if (c < 0x20) { /* tolerated: real writers leave them raw */
      if (!control++)
        note(&s->notes->control_strings, &s->notes->first_control, k);
      k++;
    } else if (c < 0x80) {
      k++;
    } else {
      size_t n = atf_utf8_char_len(s->p + k, s->len - k);
      if (n == 0 && !invalid++)
        note(&s->notes->invalid_utf8_strings, &s->notes->first_invalid_utf8, k);
      k += n ? n : 1;
    }
  }
  return fail(s, s->len, "the text ends inside a string begun at byte %zu",
              start);
}

/* true, false or null at *I. */
static atf_status scan_literal(const scan *s, size_t *i) {
  static const char *const words[] = {"true", "false", "null"};
  for (size_t w = 0; w < 3; w++)
    if (starts(s, *i, words[w])) {
      *i += strlen(words[w]);
      return ATF_OK;
    }
  return unexpected(s, *i, "a value");
}

static atf_status ends_inside(const scan *s, size_t open_at) {
  return fail(s, s->len, "the text ends inside an %s begun at byte %zu",
              s->p[open_at] == '{' ? "object" : "array", open_at);
}

atf_status atf_json_check(const char *text, size_t len, const char *source,
                          atf_json_number_fn on_number, void *user,
                          atf_json_notes *notes, atf_error *err) {
  scan s = {(const uint8_t *)text, len, source, on_number, user, notes, err};
  size_t open_at[ATF_JSON_MAX_DEPTH]; /* where each open container began */
  unsigned depth = 0;
  enum { VALUE, KEY, AFTER_VALUE } state = VALUE;
  size_t i = 0;
  atf_status rc;
  notes->control_strings = notes->invalid_utf8_strings = 0;
  notes->escaped_nuls = 0;
  notes->first_control = notes->first_invalid_utf8 = ATF_NO_OFFSET;
  notes->first_escaped_nul = ATF_NO_OFFSET;
  if (starts(&s, 0, "\xef\xbb\xbf"))
    return fail(&s, 0, "a byte order mark (EF BB BF): JSON text has none");
  for (;;) {
    i = skip_ws(&s, i);
    if (state == AFTER_VALUE) {
      uint8_t close;
      if (depth == 0) {
        if (i == len) return ATF_OK;
        return unexpected(&s, i, "the end of the text after the value");
      }
      if (i == len) return ends_inside(&s, open_at[depth - 1]);
      close = s.p[open_at[depth - 1]] == '{' ? '}' : ']';
      if (s.p[i] == close) {
        depth--;
        i++;
      } else if (s.p[i] == ',') {
        size_t comma = i;
        i = skip_ws(&s, i + 1);
        if (i < len && s.p[i] == close)
          return fail(&s, comma, "a trailing comma before '%c'", close);
        state = close == '}' ? KEY : VALUE;
      } else {
        return unexpected(&s, i,
                          close == '}' ? "',' or '}' after an object member"
                                       : "',' or ']' after an array element");
      }
      continue;
    }
    if (i == len)
      return depth ? ends_inside(&s, open_at[depth - 1])
                   : fail(&s, i,
                          "no value: the text is empty or only "
                          "white space");
    if (state == KEY) {
      if (s.p[i] != '"')
        return unexpected(&s, i, "an object key (a string in double quotes)");
      if ((rc = scan_string(&s, &i)) != ATF_OK) return rc;
      i = skip_ws(&s, i);
      if (i == len) return ends_inside(&s, open_at[depth - 1]);
      if (s.p[i] != ':') return unexpected(&s, i, "':' after an object key");
      i++;
      state = VALUE;
      continue;
    }
    /* state == VALUE */
    uint8_t c = s.p[i];
    if (c == '{' || c == '[') {
      if (depth == ATF_JSON_MAX_DEPTH)
        return fail(&s, i, "arrays and objects nested more than %d deep",
                    ATF_JSON_MAX_DEPTH);
      open_at[depth++] = i;
      i = skip_ws(&s, i + 1);
      if (i < len && s.p[i] == (c == '{' ? '}' : ']')) {
        depth--; /* empty */
        i++;
        state = AFTER_VALUE;
      } else {
        state = c == '{' ? KEY : VALUE;
      }
      continue;
    }
    if (c == '"')
      rc = scan_string(&s, &i);
    else if (c == '-' || c == '+' || c == '.' || is_digit(c))
      rc = scan_number(&s, &i, depth);
    else
      rc = scan_literal(&s, &i);
    if (rc != ATF_OK) return rc;
    state = AFTER_VALUE;
  }
}
