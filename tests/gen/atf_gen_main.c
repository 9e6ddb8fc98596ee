/*
** atf_gen_main.c - atf-gen, the command line front of the trace generator:
** writes a deterministic ATF v4 trace (events.bin, trace.json), or the same
** events as an ATF v2 trace (thread_<n>/index.atf, detail.atf,
** manifest.json), into a directory, for tests, demos and benchmarks.
*/
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atf_gen.h"

static void usage(FILE *out) {
  fputs("usage: atf-gen [options] OUTDIR\n"
        "Writes a deterministic ATF v4 trace: OUTDIR/events.bin and "
        "OUTDIR/trace.json;\n"
        "with --format v2 the same events as an ATF v2 trace: "
        "OUTDIR/thread_<n>/index.atf,\n"
        "detail.atf and OUTDIR/manifest.json (see tests/gen/atf_gen.h).\n"
        "\n"
        "  --format F     v4 (default) or v2\n"
        "  --seed N       PRNG seed; the same seed gives the same bytes "
        "(default 1)\n"
        "  --events N     total events, trace_start and trace_end included "
        "(default 1000)\n"
        "  --threads N    threads the calls are spread over (default 4)\n"
        "  --no-signal    no SIGSEGV before trace_end; exit code 0\n"
        "  --no-manifest  leave out trace.json, as for a crashed trace (v2: "
        "no\n"
        "                 manifest.json, placeholder headers, no footers)\n"
        "  --tear N       cut N bytes off the end of the last record (v2: of "
        "the last\n"
        "                 index record, N < 32, with --no-manifest)\n"
        "  --stack-max N  widest stack copy in bytes, 0..256 (default 256; "
        "128 fits v2)\n"
        "  --v2-detail W  which v2 events get a detail record: all (default), "
        "calls, none\n"
        "  --v2-twins     v2: every event twice, as a real session with the "
        "detail lane on\n"
        "  --v2-twin-batch N  with --v2-twins: events per drain batch "
        "(default 8)\n"
        "  --corrupt I    damage the body of record I (0-based) so that it is "
        "no valid\n"
        "                 protobuf message; its length prefix stays right\n"
        "\n"
        "Call shapes for the call-analysis tables (P: percent, 0-100; all "
        "off by default):\n"
        "  --max-depth N           most calls open at once on a thread, "
        "1-10000 (default 8)\n"
        "  --call-percent P        chance a thread below max depth calls "
        "rather than\n"
        "                          returns (default: a fair coin)\n"
        "  --unwind-percent P      returns of a call below the innermost: "
        "those above\n"
        "                          end without their own return (longjmp)\n"
        "  --orphan-percent P      returns that match no open call\n"
        "  --recursion-percent P   calls of a function already open on "
        "the thread\n"
        "  --anonymous-percent P   calls and returns without symbol, "
        "address or both\n"
        "  --untimed-percent P     events without a timestamp\n"
        "  --clock-jump-percent P  events before which the clock jumps "
        "back (<= 100 us)\n"
        "  --stop-open             no trace_end: stop with a call open on "
        "every thread\n"
        "                          (the signal, if any, last)\n"
        "  --help         this text\n",
        out);
}

/* A whole decimal number that fits uint64 (no sign, no trailing junk). */
static int parse_u64(const char *text, uint64_t *out) {
  char *end;
  if (text[0] < '0' || text[0] > '9') return 0;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || *end) return 0;
  *out = (uint64_t)v;
  return 1;
}

/* The uint32_t option named ARG (a call shape), or NULL. */
static uint32_t *u32_option(atf_gen_options *o, const char *arg) {
  static const struct {
    const char *name;
    size_t offset;
  } table[] = {
      {"--max-depth", offsetof(atf_gen_options, max_depth)},
      {"--call-percent", offsetof(atf_gen_options, call_percent)},
      {"--unwind-percent", offsetof(atf_gen_options, unwind_percent)},
      {"--orphan-percent", offsetof(atf_gen_options, orphan_percent)},
      {"--recursion-percent", offsetof(atf_gen_options, recursion_percent)},
      {"--anonymous-percent", offsetof(atf_gen_options, anonymous_percent)},
      {"--untimed-percent", offsetof(atf_gen_options, untimed_percent)},
      {"--clock-jump-percent", offsetof(atf_gen_options, clock_jump_percent)},
      {"--v2-twin-batch", offsetof(atf_gen_options, v2_twin_batch)},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(arg, table[i].name) == 0)
      return (uint32_t *)((char *)o + table[i].offset);
  return NULL;
}

int main(int argc, char **argv) {
  atf_gen_options o;
  const char *outdir = NULL;
  int v2 = 0;
  atf_gen_options_default(&o);

  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    uint64_t v;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(arg, "--no-signal") == 0) {
      o.with_signal = 0;
      continue;
    }
    if (strcmp(arg, "--no-manifest") == 0) {
      o.without_manifest = 1;
      continue;
    }
    if (strcmp(arg, "--stop-open") == 0) {
      o.stop_open = 1;
      continue;
    }
    uint32_t *field = u32_option(&o, arg);
    if (field) {
      if (i + 1 >= argc || !parse_u64(argv[i + 1], &v)) {
        fprintf(stderr, "atf-gen: %s needs a non-negative integer\n", arg);
        usage(stderr);
        return 2;
      }
      i++;
      /* Out of range: rejected by atf_gen_new below. */
      *field = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
      continue;
    }
    if (strcmp(arg, "--v2-twins") == 0) {
      o.v2_twins = 1;
      continue;
    }
    if (strcmp(arg, "--format") == 0 || strcmp(arg, "--v2-detail") == 0) {
      const char *v = i + 1 < argc ? argv[i + 1] : "";
      int ok = 1;
      if (strcmp(arg, "--format") == 0 && strcmp(v, "v4") == 0)
        v2 = 0;
      else if (strcmp(arg, "--format") == 0 && strcmp(v, "v2") == 0)
        v2 = 1;
      else if (strcmp(arg, "--v2-detail") == 0 && strcmp(v, "all") == 0)
        o.v2_detail = ATF_GEN_V2_DETAIL_ALL;
      else if (strcmp(arg, "--v2-detail") == 0 && strcmp(v, "calls") == 0)
        o.v2_detail = ATF_GEN_V2_DETAIL_CALLS;
      else if (strcmp(arg, "--v2-detail") == 0 && strcmp(v, "none") == 0)
        o.v2_detail = ATF_GEN_V2_DETAIL_NONE;
      else
        ok = 0;
      if (!ok) {
        fprintf(stderr, "atf-gen: %s '%s': not a choice it has\n", arg, v);
        usage(stderr);
        return 2;
      }
      i++;
      continue;
    }
    if (strcmp(arg, "--seed") == 0 || strcmp(arg, "--events") == 0 ||
        strcmp(arg, "--threads") == 0 || strcmp(arg, "--tear") == 0 ||
        strcmp(arg, "--corrupt") == 0 || strcmp(arg, "--stack-max") == 0) {
      if (i + 1 >= argc || !parse_u64(argv[i + 1], &v)) {
        fprintf(stderr, "atf-gen: %s needs a non-negative integer\n", arg);
        usage(stderr);
        return 2;
      }
      i++;
      if (strcmp(arg, "--seed") == 0) {
        o.seed = v;
      } else if (strcmp(arg, "--events") == 0) {
        o.events = v;
      } else if (strcmp(arg, "--threads") == 0) {
        if (v > UINT32_MAX) v = 0; /* rejected below as out of range */
        o.threads = (uint32_t)v;
      } else if (strcmp(arg, "--tear") == 0) {
        o.tear_bytes = v;
      } else if (strcmp(arg, "--stack-max") == 0) {
        o.stack_max = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
      } else {
        o.corrupt_record = v > INT64_MAX ? INT64_MAX : (int64_t)v;
      }
      continue;
    }
    if (arg[0] == '-' && arg[1] != '\0') {
      fprintf(stderr, "atf-gen: unknown option %s\n", arg);
      usage(stderr);
      return 2;
    }
    if (outdir) {
      fprintf(stderr, "atf-gen: more than one OUTDIR (%s, %s)\n", outdir, arg);
      usage(stderr);
      return 2;
    }
    outdir = arg;
  }
  if (!outdir) {
    fprintf(stderr, "atf-gen: missing OUTDIR\n");
    usage(stderr);
    return 2;
  }

  /* Check the options here so that bad ones are usage errors (exit 2), not
  ** failures to write. */
  atf_gen *probe = atf_gen_new(&o);
  if (!probe) return 2;
  atf_gen_free(probe);

  if (v2) {
    atf_gen_v2_stats st;
    if (atf_gen_write_v2(outdir, &o, &st) != 0) return 1;
    printf("atf-gen: %s: ATF v2, %" PRIu64 " index records, %" PRIu64
           " detail records, %" PRIu32 " threads (seed %" PRIu64 ", %" PRIu64
           " v4 events without a v2 record%s%s)\n",
           outdir, st.records, st.details, st.threads, o.seed, st.dropped,
           o.without_manifest ? ", unfinalized" : "",
           o.v2_twins ? ", twins" : "");
    return 0;
  }

  uint64_t records = 0;
  if (atf_gen_write(outdir, &o, NULL, &records) != 0) return 1;

  char path[4096];
  struct stat st;
  snprintf(path, sizeof path, "%s/events.bin", outdir);
  if (stat(path, &st) != 0) {
    fprintf(stderr, "atf-gen: %s: %s\n", path, strerror(errno));
    return 1;
  }
  printf("atf-gen: %s: %" PRIu64 " events, %" PRIu64 " bytes (seed %" PRIu64
         ", %" PRIu32 " threads%s%s)\n",
         outdir, records, (uint64_t)st.st_size, o.seed, o.threads,
         o.with_signal ? ", SIGSEGV" : "",
         o.without_manifest ? ", no trace.json" : "");
  return 0;
}
