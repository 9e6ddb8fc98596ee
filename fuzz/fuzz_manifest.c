/*
** fuzz_manifest.c - libFuzzer target: arbitrary bytes as trace.json, through
** atf_manifest_parse (cJSON plus the reader's own 64-bit number recovery).
**
** The text is not NUL-terminated, and it ends right before an inaccessible
** page: cJSON comes from Debian's libcjson, which ASan does not instrument,
** so a read past TEXT[LEN) inside it faults on the guard page instead. On
*success the manifest must hold what
** atf_reader.h promises: the strings there, modules as given and as JSON,
** the whole text kept, and atf_manifest_duration_ns consistent with the two
** times. A failure must leave nothing allocated (LSan) and say why.
*/
#include <cjson/cJSON.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  atf_manifest m;
  atf_error err;
  const char *text = before_guard_page(data, size);
  atf_status rc = atf_manifest_parse(text, size, "fuzz/trace.json", &m, &err);
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
