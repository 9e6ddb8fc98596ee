/*
** json_check.h - a strict JSON (RFC 8259) recognizer for the JSON files the
** reader parses (trace.json; ATF v2's manifest.json next). It builds
** nothing: it walks the text once, without recursion, and accepts it or
** says where and why it is not JSON, so that cJSON, which builds the values
** but accepts much that is not JSON, only ever sees JSON.
*/
#ifndef ATF_JSON_CHECK_H
#define ATF_JSON_CHECK_H

#include "atf_reader.h"

/* Called for each number token, in document order: TOKEN[0..LEN) (a valid
** JSON number) starts at byte OFFSET of the text, inside DEPTH arrays and
** objects (0: the whole text is that number; 1: a member of the top-level
** object or an element of the top-level array). */
typedef void (*atf_json_number_fn)(void *user, const char *token, size_t len,
                                   uint64_t offset, unsigned depth);

/* Checks that TEXT[0..LEN) is one JSON value (RFC 8259) with optional white
** space (space, tab, LF, CR) around it, arrays and objects nested at most
** ATF_JSON_MAX_DEPTH deep. Nothing in the text is assumed beyond JSON (any
** keys, any top-level value). Tolerated, and counted in NOTES (zeroed
** first): raw control characters other than NUL inside strings, strings
** that are not UTF-8, \u0000 escapes. ON_NUMBER (may be NULL) gets each
** number token, with USER.
**
** Fails with ATF_ERR_JSON, err->offset the byte where the text stops being
** JSON and the message "SOURCE: byte offset N: malformed JSON: why". That
** byte is the first one that cannot be there (LEN when the text ends too
** soon), except that a malformed number is reported at its first byte, a
** bad escape or unpaired surrogate at its backslash, a trailing comma at the
** comma. Errors: a byte order mark, comments, single quotes, NaN and
** Infinity, numbers with a leading zero or as 1., 1.e5, -.5, +1, escapes
** other than \" \\ \/ \b \f \n \r \t and \u with four hex digits, a UTF-16
** surrogate escape that is not part of a high-low pair, a trailing comma,
** a string, array or object not closed, a NUL byte anywhere, anything after
** the value, deeper nesting. */
atf_status atf_json_check(const char *text, size_t len, const char *source,
                          atf_json_number_fn on_number, void *user,
                          atf_json_notes *notes, atf_error *err);

#endif
