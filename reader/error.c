/*
** error.c - filling atf_error and naming statuses.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

atf_status atf_fail(atf_error *err, atf_status code, uint64_t offset,
                    const char *fmt, ...) {
  if (err) {
    va_list ap;
    err->code = code;
    err->offset = offset;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

char *atf_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  if (copy) memcpy(copy, s, n);
  return copy;
}

const char *atf_severity_name(atf_severity severity) {
  switch (severity) {
  case ATF_SEVERITY_INFO: return "info";
  case ATF_SEVERITY_WARNING: return "warning";
  case ATF_SEVERITY_ERROR: return "error";
  }
  return "unknown";
}

const char *atf_status_name(atf_status status) {
  switch (status) {
  case ATF_OK: return "ok";
  case ATF_END: return "end of stream";
  case ATF_ERR_NOT_FOUND: return "not found";
  case ATF_ERR_IO: return "I/O error";
  case ATF_ERR_NOMEM: return "out of memory";
  case ATF_ERR_VARINT: return "bad varint";
  case ATF_ERR_PROTOBUF: return "malformed protobuf";
  case ATF_ERR_RANGE: return "out of range";
  case ATF_ERR_JSON: return "malformed JSON";
  case ATF_ERR_MANIFEST: return "invalid manifest";
  case ATF_ERR_INTERRUPTED: return "interrupted";
  case ATF_ERR_FORMAT: return "wrong format";
  }
  return "unknown status";
}
