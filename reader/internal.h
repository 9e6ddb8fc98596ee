/*
** internal.h - helpers shared by the reader's sources; not part of the API.
*/
#ifndef ATF_READER_INTERNAL_H
#define ATF_READER_INTERNAL_H

#include "atf_reader.h"

#if defined(__GNUC__)
#define ATF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ATF_PRINTF(f, a)
#endif

/* Fills ERR (which may be NULL) and returns CODE, so that callers can write
** `return atf_fail(err, ATF_ERR_IO, off, "%s: ...", path);`. */
atf_status atf_fail(atf_error *err, atf_status code, uint64_t offset,
                    const char *fmt, ...) ATF_PRINTF(4, 5);

/* malloc'd copy of S, or NULL when out of memory. */
char *atf_strdup(const char *s);

#endif
