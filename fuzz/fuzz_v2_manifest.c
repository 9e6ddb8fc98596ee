/*
** fuzz_v2_manifest.c - libFuzzer target: arbitrary bytes as an ATF v2
** manifest.json, through atf_v2_manifest_parse (cJSON, the reader's exact
** 64-bit numbers, the symbol index).
**
** The text is not NUL-terminated and ends right before an inaccessible
** page (cJSON is Debian's, not instrumented: a read past the end faults).
** On success: every thread slot unique and in range, every symbol found by
** its id and the one found the first in document order with that id, ids
** that are not in the table not found, the text kept. A failure leaves
** nothing allocated (LSan) and says why.
*/
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"

static const char *before_guard_page(const uint8_t *data, size_t size) {
  static uint8_t *area;
  static size_t room;
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

static void check_success(const atf_v2_manifest *m, const uint8_t *data,
                          size_t size) {
  FUZZ_CHECK(m->format_version && m->root, "format_version or root missing");
  FUZZ_CHECK(m->json && memcmp(m->json, data, size) == 0 && m->json[size] == 0,
             "json is not the text");
  for (size_t i = 0; i < m->thread_count; i++) {
    FUZZ_CHECK(m->threads[i].slot <= ATF_V2_MAX_SLOT, "slot");
    for (size_t j = 0; j < i; j++)
      FUZZ_CHECK(m->threads[j].slot != m->threads[i].slot, "slot twice");
  }
  for (size_t i = 0; i < m->module_count; i++)
    FUZZ_CHECK(m->modules[i].path, "module path");
  FUZZ_CHECK(m->symbol_count == 0 || m->has_symbols, "symbols without key");
  for (size_t i = 0; i < m->symbol_count; i++) {
    const atf_v2_symbol *s = &m->symbols[i];
    const atf_v2_symbol *found = atf_v2_symbol_find(m, s->function_id);
    size_t first = i;
    FUZZ_CHECK(s->name, "symbol name");
    for (size_t j = 0; j < i; j++)
      if (m->symbols[j].function_id == s->function_id) {
        first = j;
        break;
      }
    FUZZ_CHECK(found == &m->symbols[first],
               "symbol %zu: lookup found %p, the first with its id is %zu", i,
               (const void *)found, first);
    /* A neighbouring id is found only if the table has it. */
    uint64_t other = s->function_id + 1;
    int has = 0;
    for (size_t j = 0; j < m->symbol_count; j++)
      has |= m->symbols[j].function_id == other;
    FUZZ_CHECK((atf_v2_symbol_find(m, other) != NULL) == has,
               "id %llx found or missed wrongly", (unsigned long long)other);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  atf_v2_manifest m;
  atf_error err;
  const char *text = before_guard_page(data, size);
  atf_status rc =
      atf_v2_manifest_parse(text, size, "fuzz/manifest.json", &m, &err);
  if (rc == ATF_OK) {
    check_success(&m, data, size);
    atf_v2_manifest_free(&m);
  } else {
    FUZZ_CHECK(err.code == rc &&
                   (rc == ATF_ERR_JSON || rc == ATF_ERR_MANIFEST ||
                    rc == ATF_ERR_NOMEM),
               "status %d, err.code %d", (int)rc, (int)err.code);
    FUZZ_CHECK(memchr(err.message, 0, sizeof err.message) && err.message[0] &&
                   strstr(err.message, "fuzz/manifest.json"),
               "error message: %s", err.message);
  }
  return 0;
}
