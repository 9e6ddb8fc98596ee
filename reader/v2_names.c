/*
** v2_names.c - names of the values ATF v2 headers and records define.
*/
#include "internal.h"

const char *atf_v2_kind_name(uint32_t kind) {
  switch (kind) {
  case ATF_V2_CALL: return atf_kind_name(ATF_KIND_FUNCTION_CALL);
  case ATF_V2_RETURN: return atf_kind_name(ATF_KIND_FUNCTION_RETURN);
  case ATF_V2_EXCEPTION: return "exception";
  }
  return NULL;
}

const char *atf_v2_arch_name(uint8_t arch) {
  switch (arch) {
  case ATF_V2_ARCH_X86_64: return "x86_64";
  case ATF_V2_ARCH_ARM64: return "arm64";
  }
  return NULL;
}

const char *atf_v2_os_name(uint8_t os) {
  switch (os) {
  case 1: return "ios";
  case 2: return "android";
  case 3: return "macos";
  case 4: return "linux";
  case 5: return "windows";
  }
  return NULL;
}
