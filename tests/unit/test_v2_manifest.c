/*
** test_v2_manifest.c - manifest.json of ATF v2 traces: the tracer's own
** manifests read field by field, 64-bit values exact, symbol lookups,
** unknown keys kept, and each malformed shape a clear error.
*/
#include "atf_reader.h"
#include "check.h"
#include "v2_build.h"

static atf_status parse(const char *text, atf_v2_manifest *m, atf_error *err) {
  return atf_v2_manifest_parse(text, strlen(text), "m.json", m, err);
}

static void v2_manifest__small_fixture__then_every_field(void) {
  atf_v2_manifest m;
  atf_error err;
  CHECK(atf_v2_manifest_load(SMALL "/manifest.json", &m, &err) == ATF_OK);
  CHECK_U64(m.thread_count, 3);
  for (uint32_t i = 0; i < m.thread_count && i < 3; i++) {
    CHECK_U64(m.threads[i].slot, i);
    CHECK(m.threads[i].has_detail);
  }
  CHECK(m.time_start_ns.present && m.time_start_ns.value == 0);
  CHECK(m.time_end_ns.present && m.time_end_ns.value == 0);
  CHECK(m.clock_type.present && m.clock_type.value == 1);
  CHECK_STR(m.format_version, "2.1");
  CHECK_U64(m.module_count, 2);
  if (m.module_count == 2) {
    CHECK_U64(m.modules[0].module_id, 1130116725u);
    CHECK_STR(m.modules[0].path, "/Applications/Quill.app/Contents/Frameworks/"
                                 "QuillCore.framework/Versions/A/QuillCore");
    CHECK(m.modules[0].has_base_address);
    CHECK_U64(m.modules[0].base_address, 0x1025a4000ull);
    CHECK(m.modules[0].has_size);
    CHECK_U64(m.modules[0].size, 2048000);
    CHECK_STR(m.modules[0].uuid, "4A5A7498-C6FE-408C-A242-AC209E26B854");
    CHECK_U64(m.modules[1].module_id, 2489964777u); /* >= 2^31 */
    CHECK_U64(m.modules[1].base_address, 0x100000000ull);
  }
  CHECK(m.has_symbols);
  CHECK_U64(m.symbol_count, 13);
  CHECK_STR(atf_v2_symbol_name(&m, 0x9469d8e900000007ull),
            "-[QLWorker runLoop]");
  CHECK_STR(atf_v2_symbol_name(&m, 0x435c367500000005ull),
            "$s9QuillCore5CacheC3get3keySSSgSS_tF");
  CHECK_STR(atf_v2_symbol_name(&m, 0x9469d8e900000002ull),
            "-[QLAppDelegate applicationDidFinishLaunching:]");
  const atf_v2_symbol *s = atf_v2_symbol_find(&m, 0x9469d8e900000001ull);
  CHECK(s != NULL);
  if (s) {
    CHECK_STR(s->name, "_main");
    CHECK_U64(s->module_id, 2489964777u);
    CHECK_U64(s->symbol_index, 1);
    CHECK(s->function_id >= (1ull << 63));
  }
  CHECK(atf_v2_symbol_name(&m, 0x9469d8e900000009ull) == NULL);
  CHECK(atf_v2_symbol_name(&m, 0) == NULL);
  CHECK(atf_v2_module_find(&m, 2489964777u) == &m.modules[1]);
  CHECK(atf_v2_module_find(&m, 1) == NULL);
  CHECK(m.json && strstr(m.json, "\"format_version\": \"2.1\"") != NULL);
  atf_v2_manifest_free(&m);
}

static void v2_manifest__empty_fixture__then_no_symbol_table(void) {
  atf_v2_manifest m;
  atf_error err;
  CHECK(atf_v2_manifest_load(EMPTY "/manifest.json", &m, &err) == ATF_OK);
  CHECK_U64(m.thread_count, 1);
  CHECK_STR(m.format_version, "2.0");
  CHECK(!m.has_symbols);
  CHECK_U64(m.symbol_count, 0);
  CHECK_U64(m.module_count, 0);
  CHECK(atf_v2_symbol_name(&m, 0x9469d8e900000007ull) == NULL);
  atf_v2_manifest_free(&m);
}

static void v2_manifest__u64_max_and_top_bit__then_exact(void) {
  atf_v2_manifest m;
  atf_error err;
  const char *text =
      "{\"threads\": [{\"id\": 2147483647, \"has_detail\": false}],"
      " \"time_start_ns\": 18446744073709551615,"
      " \"time_end_ns\": 9007199254740993, \"format_version\": \"2.1\","
      " \"modules\": [{\"module_id\": 4294967295, \"path\": \"/m\","
      "  \"base_address\": \"0xFFFFFFFFFFFFFFFF\","
      "  \"size\": 18446744073709551615}],"
      " \"symbols\": [{\"function_id\": \"0xffffffffffffffff\","
      "  \"module_id\": 4294967295, \"symbol_index\": 4294967295,"
      "  \"name\": \"max\"}, {\"function_id\": \"0x8000000000000001\","
      "  \"module_id\": 2147483648, \"symbol_index\": 1, \"name\": "
      "\"a\\\"b\"}]}";
  CHECK(parse(text, &m, &err) == ATF_OK);
  CHECK_U64(m.threads[0].slot, 2147483647u);
  CHECK(!m.threads[0].has_detail);
  CHECK_U64(m.time_start_ns.value, UINT64_MAX);
  CHECK_U64(m.time_end_ns.value, 9007199254740993ull); /* 2^53 + 1 */
  CHECK(!m.clock_type.present);
  CHECK_U64(m.modules[0].module_id, UINT32_MAX);
  CHECK_U64(m.modules[0].base_address, UINT64_MAX);
  CHECK_U64(m.modules[0].size, UINT64_MAX);
  CHECK(m.modules[0].uuid == NULL);
  CHECK_STR(atf_v2_symbol_name(&m, UINT64_MAX), "max");
  CHECK_STR(atf_v2_symbol_name(&m, 0x8000000000000001ull), "a\"b");
  atf_v2_manifest_free(&m);
}

static void v2_manifest__unknown_keys__then_kept(void) {
  atf_v2_manifest m;
  atf_error err;
  const char *text =
      "{\"future\": {\"x\": [1, 2.5e3, -7]}, \"threads\": [{\"id\": 0, "
      "\"has_detail\": true, \"cpu\": 3}], \"format_version\": \"2.9\", "
      "\"modules\": [], \"symbols\": [{\"function_id\": \"0x1\", "
      "\"module_id\": 0, \"symbol_index\": 1, \"name\": \"f\", \"extra\": "
      "null}], \"time_start_ns\": 5}";
  CHECK(parse(text, &m, &err) == ATF_OK);
  CHECK_U64(m.time_start_ns.value, 5); /* after a fraction and negatives */
  CHECK_STR(atf_v2_symbol_name(&m, 1), "f");
  CHECK(strstr(m.json, "\"future\"") != NULL);
  CHECK(m.root != NULL);
  atf_v2_manifest_free(&m);
}

static void v2_manifest__function_id_repeated__then_first_in_document(void) {
  atf_v2_manifest m;
  atf_error err;
  const char *text =
      "{\"threads\": [], \"format_version\": \"2.1\", \"symbols\": ["
      "{\"function_id\": \"0x2\", \"module_id\": 0, \"symbol_index\": 2, "
      "\"name\": \"first\"},"
      "{\"function_id\": \"0x1\", \"module_id\": 0, \"symbol_index\": 1, "
      "\"name\": \"one\"},"
      "{\"function_id\": \"0x2\", \"module_id\": 0, \"symbol_index\": 2, "
      "\"name\": \"second\"}]}";
  CHECK(parse(text, &m, &err) == ATF_OK);
  CHECK_STR(atf_v2_symbol_name(&m, 2), "first");
  CHECK_STR(atf_v2_symbol_name(&m, 1), "one");
  atf_v2_manifest_free(&m);
}

static void v2_manifest__large_table__then_every_id_found(void) {
  enum { N = 20000 };
  size_t cap = (size_t)N * 200 + 100, k = 0;
  char *text = malloc(cap);
  atf_v2_manifest m;
  atf_error err;
  k += (size_t)snprintf(text + k, cap - k,
                        "{\"threads\": [], \"format_version\": \"2.1\", "
                        "\"symbols\": [");
  /* Ids in a scrambled order, module ids above 2^31. */
  for (uint32_t i = 0; i < N; i++) {
    uint32_t j = (i * 7919u) % N;
    k += (size_t)snprintf(text + k, cap - k,
                          "%s{\"function_id\": \"0x%08x%08x\", \"module_id\": "
                          "%u, \"symbol_index\": %u, \"name\": \"s%u\"}",
                          i ? "," : "", 0x80000000u + j % 3, j,
                          0x80000000u + j % 3, j, j);
  }
  k += (size_t)snprintf(text + k, cap - k, "]}");
  CHECK(atf_v2_manifest_parse(text, k, "big.json", &m, &err) == ATF_OK);
  CHECK_U64(m.symbol_count, N);
  for (uint32_t j = 0; j < N; j++) {
    char want[16];
    uint64_t id = (uint64_t)(0x80000000u + j % 3) << 32 | j;
    snprintf(want, sizeof want, "s%u", j);
    const char *got = atf_v2_symbol_name(&m, id);
    if (!got || strcmp(got, want) != 0) {
      CHECK_STR(got, want);
      break;
    }
    if (atf_v2_symbol_name(&m, id ^ (1ull << 40))) {
      CHECK(!"an id that is not in the table was found");
      break;
    }
  }
  atf_v2_manifest_free(&m);
  free(text);
}

static void v2_manifest__malformed__then_error_naming_what(void) {
  static const struct {
    const char *text;
    atf_status code;
    const char *says;
  } cases[] = {
      {"", ATF_ERR_JSON, "empty file"},
      {"{\"threads\": [", ATF_ERR_JSON, "malformed JSON"},
      {"{} x", ATF_ERR_JSON, "byte offset 3: malformed JSON"},
      {"[]", ATF_ERR_MANIFEST, "the manifest must be an object"},
      {"{\"format_version\": \"2.0\"}", ATF_ERR_MANIFEST,
       "key \"threads\" is missing"},
      {"{\"threads\": []}", ATF_ERR_MANIFEST,
       "key \"format_version\" is missing"},
      {"{\"threads\": {}, \"format_version\": \"2.0\"}", ATF_ERR_MANIFEST,
       "key \"threads\" must be an array"},
      {"{\"threads\": [{\"id\": \"0\"}], \"format_version\": \"2.0\"}",
       ATF_ERR_MANIFEST, "threads[0]: key \"id\" must be an integer"},
      {"{\"threads\": [{\"id\": 2147483648}], \"format_version\": \"2.0\"}",
       ATF_ERR_MANIFEST,
       "threads[0]: key \"id\" must be an integer from 0 to "
       "2147483647"},
      {"{\"threads\": [{\"id\": 1.0}], \"format_version\": \"2.0\"}",
       ATF_ERR_MANIFEST, "threads[0]: key \"id\" must be an integer"},
      {"{\"threads\": [{\"id\": -1}], \"format_version\": \"2.0\"}",
       ATF_ERR_MANIFEST, "threads[0]: key \"id\" must be an integer"},
      {"{\"threads\": [{\"id\": 1, \"has_detail\": 1}], \"format_version\": "
       "\"2.0\"}",
       ATF_ERR_MANIFEST,
       "threads[0]: key \"has_detail\" must be true or false"},
      {"{\"threads\": [{\"id\": 1}, {\"id\": 1}], \"format_version\": \"2.0\"}",
       ATF_ERR_MANIFEST, "threads: id 1 is listed more than once"},
      {"{\"threads\": [1], \"format_version\": \"2.0\"}", ATF_ERR_MANIFEST,
       "threads[0] must be an object"},
      {"{\"threads\": [], \"format_version\": 2}", ATF_ERR_MANIFEST,
       "key \"format_version\" must be a string"},
      {"{\"threads\": [], \"time_end_ns\": 18446744073709551616, "
       "\"format_version\": \"2.0\"}",
       ATF_ERR_MANIFEST, "key \"time_end_ns\" must be an integer"},
      {"{\"threads\": [], \"format_version\": \"2.0\", \"modules\": [{"
       "\"module_id\": 4294967296, \"path\": \"/m\"}]}",
       ATF_ERR_MANIFEST,
       "modules[0]: key \"module_id\" must be an integer from "
       "0 to 4294967295"},
      {"{\"threads\": [], \"format_version\": \"2.0\", \"modules\": [{"
       "\"module_id\": 1}]}",
       ATF_ERR_MANIFEST, "modules[0]: key \"path\" is missing"},
      {"{\"threads\": [], \"format_version\": \"2.0\", \"modules\": [{"
       "\"module_id\": 1, \"path\": \"/m\", \"base_address\": 4096}]}",
       ATF_ERR_MANIFEST, "modules[0]: key \"base_address\" must be a string"},
      {"{\"threads\": [], \"format_version\": \"2.0\", \"symbols\": [{"
       "\"function_id\": 1, \"module_id\": 0, \"symbol_index\": 1, \"name\": "
       "\"f\"}]}",
       ATF_ERR_MANIFEST, "symbols[0]: key \"function_id\" must be a string"},
      {"{\"threads\": [], \"format_version\": \"2.0\", \"symbols\": [{"
       "\"function_id\": \"0x10000000000000000\", \"module_id\": 0, "
       "\"symbol_index\": 1, \"name\": \"f\"}]}",
       ATF_ERR_MANIFEST, "1 to 16 hex digits"},
      {"{\"threads\": [], \"format_version\": \"2.0\", \"symbols\": [{"
       "\"function_id\": \"0x\", \"module_id\": 0, \"symbol_index\": 1, "
       "\"name\": \"f\"}]}",
       ATF_ERR_MANIFEST, "1 to 16 hex digits"},
      {"{\"threads\": [], \"format_version\": \"2.0\", \"symbols\": [{"
       "\"function_id\": \"12\", \"module_id\": 0, \"symbol_index\": 1, "
       "\"name\": \"f\"}]}",
       ATF_ERR_MANIFEST, "1 to 16 hex digits"},
      {"{\"threads\": [], \"format_version\": \"2.0\", \"symbols\": [{"
       "\"function_id\": \"0x1\", \"module_id\": 0, \"symbol_index\": 1}]}",
       ATF_ERR_MANIFEST, "symbols[0]: key \"name\" is missing"},
      {"{\"threads\": [], \"threads\": [], \"format_version\": \"2.0\"}",
       ATF_ERR_MANIFEST, "key \"threads\" appears more than once"},
      {"{\"threads\": [{\"id\": 1, \"id\": 2}], \"format_version\": \"2.0\"}",
       ATF_ERR_MANIFEST, "threads[0]: key \"id\" appears more than once"},
      {"{\"threads\": [], \"format_version\": \"2.\\u00000\"}",
       ATF_ERR_MANIFEST, "NUL character"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    atf_v2_manifest m;
    atf_error err;
    atf_status rc = parse(cases[i].text, &m, &err);
    if (rc != cases[i].code || !strstr(err.message, cases[i].says) ||
        !strstr(err.message, "m.json")) {
      fprintf(stderr, "case %zu: %s -> %d %s\n", i, cases[i].text, (int)rc,
              rc ? err.message : "ok");
      CHECK(!"the expected error");
    }
    if (rc == ATF_OK) atf_v2_manifest_free(&m);
  }
  /* A NUL byte in the text itself. */
  atf_v2_manifest m;
  atf_error err;
  const char nul[] = "{\"threads\": [], \"format_version\": \"2\0\"}";
  CHECK(atf_v2_manifest_parse(nul, sizeof nul - 1, "m.json", &m, &err) !=
        ATF_OK);
}

static void v2_manifest__missing_file__then_not_found(void) {
  atf_v2_manifest m;
  atf_error err;
  CHECK(atf_v2_manifest_load(CRASHED "/manifest.json", &m, &err) ==
        ATF_ERR_NOT_FOUND);
}

static const check_case cases[] = {
    CASE(v2_manifest__small_fixture__then_every_field),
    CASE(v2_manifest__empty_fixture__then_no_symbol_table),
    CASE(v2_manifest__u64_max_and_top_bit__then_exact),
    CASE(v2_manifest__unknown_keys__then_kept),
    CASE(v2_manifest__function_id_repeated__then_first_in_document),
    CASE(v2_manifest__large_table__then_every_id_found),
    CASE(v2_manifest__malformed__then_error_naming_what),
    CASE(v2_manifest__missing_file__then_not_found),
    {0}};

int main(int argc, char **argv) { return check_main(argc, argv, cases); }
