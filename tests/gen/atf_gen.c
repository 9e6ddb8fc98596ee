/*
** atf_gen.c - the deterministic ATF v4 trace generator (see atf_gen.h).
**
** All randomness comes from splitmix64 seeded from the options, never from
** rand() or the clock, so a seed names a file byte for byte. The event
** stream reuses one set of protobuf-c structs (nothing is allocated per
** event) and the writer packs into one growing buffer behind a large stdio
** buffer: millions of events take seconds.
*/
#define _POSIX_C_SOURCE 200809L

#include "atf_gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- randomness --------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for test data (n is far below 2^32). */
static uint64_t below(uint64_t *state, uint64_t n) {
  return splitmix64(state) % n;
}

/* True PERCENT times in 100. Draws nothing when PERCENT is 0, so options
** that are off leave the stream of earlier versions byte for byte. */
static int chance(uint64_t *state, uint32_t percent) {
  return percent != 0 && below(state, 100) < percent;
}

/* ---- what the traced program looks like ---------------------------------- */

enum { REGION_EXE, REGION_LIBC, REGION_KERNEL };

typedef struct symbol_def {
  const char *name;
  int region;
} symbol_def;

/* Index 0 and 1 are the root frames of the main and the other threads. */
static const symbol_def symbols[] = {
    {"main", REGION_EXE},
    {"worker_thread", REGION_EXE},
    {"parse_args", REGION_EXE},
    {"read_config", REGION_EXE},
    {"load_plugins", REGION_EXE},
    {"init_logging", REGION_EXE},
    {"run_event_loop", REGION_EXE},
    {"handle_request", REGION_EXE},
    {"parse_header", REGION_EXE},
    {"validate_input", REGION_EXE},
    {"compute_checksum", REGION_EXE},
    {"serialize_response", REGION_EXE},
    {"write_response", REGION_EXE},
    {"flush_buffers", REGION_EXE},
    {"process_job", REGION_EXE},
    {"hash_table_insert", REGION_EXE},
    {"hash_table_lookup", REGION_EXE},
    {"json_parse_value", REGION_EXE},
    {"json_emit_string", REGION_EXE},
    {"compress_block", REGION_EXE},
    {"decompress_block", REGION_EXE},
    {"sha256_update", REGION_EXE},
    {"sha256_final", REGION_EXE},
    {"cleanup", REGION_EXE},
    {"std::vector<int, std::allocator<int> >::push_back(int const&)",
     REGION_EXE},
    {"Config::get(std::string const&) const", REGION_EXE},
    {"malloc", REGION_LIBC},
    {"free", REGION_LIBC},
    {"calloc", REGION_LIBC},
    {"realloc", REGION_LIBC},
    {"memcpy", REGION_LIBC},
    {"memset", REGION_LIBC},
    {"strlen", REGION_LIBC},
    {"strcmp", REGION_LIBC},
    {"open", REGION_LIBC},
    {"read", REGION_LIBC},
    {"write", REGION_LIBC},
    {"close", REGION_LIBC},
    {"fopen", REGION_LIBC},
    {"fread", REGION_LIBC},
    {"fclose", REGION_LIBC},
    {"pthread_mutex_lock", REGION_LIBC},
    {"pthread_mutex_unlock", REGION_LIBC},
    {"pthread_create", REGION_LIBC},
    {"clock_gettime", REGION_LIBC},
    {"mmap", REGION_LIBC},
    {"munmap", REGION_LIBC},
    {"printf", REGION_LIBC},
    {"entry_SYSCALL_64", REGION_KERNEL},
    {"do_syscall_64", REGION_KERNEL},
    {"__x64_sys_read", REGION_KERNEL},
    {"__x64_sys_write", REGION_KERNEL},
    {"__x64_sys_openat", REGION_KERNEL},
    {"handle_mm_fault", REGION_KERNEL},
    {"schedule", REGION_KERNEL},
};
#define SYMBOL_COUNT (sizeof symbols / sizeof symbols[0])
#define ROOT_SYMBOLS 2

/* What an orphan return names when its thread has calls open: no call has
** this symbol or this address (below the executable's first symbol). */
#define ORPHAN_SYMBOL "orphan_target"
#define ORPHAN_ADDRESS 0x0000555555553f00ull

/* A PIE executable, libc, and the kernel text at 0xffffffff81000000. */
static uint64_t symbol_address(size_t i) {
  static const uint64_t base[] = {0x0000555555554000ull, 0x00007ffff7c00000ull,
                                  0xffffffff81000000ull};
  static const uint64_t stride[] = {0x1c0, 0x9a0, 0x1230};
  int region = symbols[i].region;
  return base[region] + (i + 1) * stride[region];
}

static const char *const argument_register_names[] = {"rdi", "rsi", "rdx",
                                                      "rcx", "r8",  "r9"};
#define ARGUMENT_REGISTERS 6

static const char *const signal_register_names[] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
    "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags"};
#define SIGNAL_REGISTERS 18
enum { SIGNAL_RSP = 7, SIGNAL_RIP = 16, SIGNAL_EFLAGS = 17 };

/* argv of the traced program: spaces and non-ASCII UTF-8 on purpose (the
** last arg, the seed, is filled in per generator). */
#define EXECUTABLE_PATH "/opt/ada/bin/sample-server"
static const char *const fixed_args[] = {
    EXECUTABLE_PATH,
    "--config",
    "/home/dev/My Projects/server config.toml",
    /* "Grüß Gott, 世界 🚀" */
    "--greeting=Gr\xc3\xbc\xc3\x9f Gott, \xe4\xb8\x96\xe7\x95\x8c "
    "\xf0\x9f\x9a\x80",
    "--seed",
};
#define FIXED_ARGS 5
#define ARG_COUNT (FIXED_ARGS + 1)

#define MAX_DEPTH 8 /* default of max_depth */
#define MAX_DEPTH_LIMIT 10000
#define STACK_COPY_MAX 256
#define EVENT_SECONDS_BASE 1700000000ll
#define WALL_CLOCK_BASE 1795627355989122807ull

/* The full range of uint64 register contents, edge values included often. */
static uint64_t register_value(uint64_t *rng) {
  uint64_t r = below(rng, 100);
  if (r < 12) return 0; /* packed as a map entry with its key alone */
  if (r < 17) return 1;
  if (r < 22) return 1ull << 63;
  if (r < 27) return UINT64_MAX;
  if (r < 50) return below(rng, 4096);
  if (r < 75) return 0x00007ffc00000000ull | (splitmix64(rng) & 0x3ffffffffull);
  return splitmix64(rng);
}

/* ---- the generator ------------------------------------------------------ */

typedef struct frame {
  uint32_t symbol;
} frame;

typedef struct manifest_values {
  int64_t pid;
  uint64_t session_id;
  uint64_t time_start_ns, time_end_ns;
  char modules[2][37];
} manifest_values;

struct atf_gen {
  atf_gen_options opt;
  uint64_t rng;
  uint64_t ordinal;    /* events produced so far */
  uint64_t middle_end; /* ordinal of the first event after the calls/returns */
  uint32_t max_depth;  /* frames per thread (opt.max_depth, or its default) */
  int64_t clock_ns;    /* the traced process's clock, always moving forward */
  manifest_values manifest;

  /* Per thread: call stack, its depth, and a fixed clock skew, which makes
  ** timestamps mostly, not strictly, increasing in file order. */
  frame *frames; /* threads * max_depth */
  uint32_t *depth;
  int64_t *skew_ns;
  uint64_t open_frames;

  atf_gen_event_info info; /* of the last event made */

  /* The protobuf-c structs every event is built in. */
  Event event;
  Google__Protobuf__Timestamp timestamp;
  TraceStart trace_start;
  char *args[ARG_COUNT];
  char seed_arg[24];
  TraceEnd trace_end;
  FunctionCall call;
  FunctionCall__ArgumentRegistersEntry call_regs[ARGUMENT_REGISTERS];
  FunctionCall__ArgumentRegistersEntry *call_reg_ptrs[ARGUMENT_REGISTERS];
  uint8_t stack_copy[STACK_COPY_MAX];
  FunctionReturn ret;
  FunctionReturn__ReturnRegistersEntry ret_reg;
  FunctionReturn__ReturnRegistersEntry *ret_reg_ptrs[1];
  SignalDelivery signal;
  SignalDelivery__RegistersEntry signal_regs[SIGNAL_REGISTERS];
  SignalDelivery__RegistersEntry *signal_reg_ptrs[SIGNAL_REGISTERS];
};

void atf_gen_options_default(atf_gen_options *o) {
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->events = 1000;
  o->threads = 4;
  o->with_signal = 1;
  o->corrupt_record = -1;
  o->stack_max = STACK_COPY_MAX;
}

static void format_uuid(uint64_t *rng, char out[37]) {
  uint64_t hi = splitmix64(rng), lo = splitmix64(rng);
  /* Version 4, variant 10: what a random UUID looks like. */
  hi = (hi & ~0xf000ull) | 0x4000ull;
  lo = (lo & ~(3ull << 62)) | (2ull << 62);
  snprintf(out, 37,
           "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64
           "-%012" PRIx64,
           hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
           lo & (uint64_t)0xffffffffffff);
}

/* The manifest's values come from their own stream, so they do not depend on
** the events (as the real writer's wall clock does not). */
static void draw_manifest(const atf_gen_options *o, manifest_values *m) {
  uint64_t rng = o->seed ^ 0x6d616e6966657374ull; /* "manifest" */
  m->pid = 1000 + (int64_t)below(&rng, 60000);
  /* Beyond 2^53 so that a reader parsing doubles gets it wrong; below 2^63
  ** so that it is also a positive SQLite INTEGER. */
  m->session_id = (1ull << 53) + below(&rng, (1ull << 63) - (1ull << 53));
  m->time_start_ns = WALL_CLOCK_BASE + below(&rng, 86400000000000ull);
  m->time_end_ns = m->time_start_ns + o->events * 1200 + below(&rng, 1000000);
  format_uuid(&rng, m->modules[0]);
  format_uuid(&rng, m->modules[1]);
}

static int options_valid(const atf_gen_options *o) {
  uint64_t min_events = o->with_signal && !o->stop_open ? 3 : 2;
  const uint32_t percents[] = {o->call_percent,      o->unwind_percent,
                               o->orphan_percent,    o->recursion_percent,
                               o->anonymous_percent, o->untimed_percent,
                               o->clock_jump_percent};
  for (size_t i = 0; i < sizeof percents / sizeof percents[0]; i++)
    if (percents[i] > 100) {
      fprintf(stderr, "atf_gen: %" PRIu32 " percent: need 0 to 100\n",
              percents[i]);
      return 0;
    }
  if (o->max_depth > MAX_DEPTH_LIMIT) {
    fprintf(stderr, "atf_gen: max depth %" PRIu32 ": need 1 to %d\n",
            o->max_depth, MAX_DEPTH_LIMIT);
    return 0;
  }
  if (o->events < min_events) {
    fprintf(stderr,
            "atf_gen: %" PRIu64 " events: need at least %" PRIu64
            " (trace_start, %s)\n",
            o->events, min_events,
            o->stop_open     ? "a call or the signal"
            : o->with_signal ? "the signal, trace_end"
                             : "trace_end");
    return 0;
  }
  if (o->stack_max > STACK_COPY_MAX) {
    fprintf(stderr, "atf_gen: stack_max %" PRIu32 ": at most %d bytes\n",
            o->stack_max, STACK_COPY_MAX);
    return 0;
  }
  if (o->threads < 1 || o->threads > 10000) {
    fprintf(stderr, "atf_gen: %" PRIu32 " threads: need 1 to 10000\n",
            o->threads);
    return 0;
  }
  if (o->corrupt_record < -1 ||
      (o->corrupt_record >= 0 && (uint64_t)o->corrupt_record >= o->events)) {
    fprintf(stderr,
            "atf_gen: corrupt record %" PRId64 ": not one of the %" PRIu64
            " records\n",
            o->corrupt_record, o->events);
    return 0;
  }
  return 1;
}

/* Wires up the reusable protobuf-c structs once; events only change their
** values. */
static void wire_structs(atf_gen *g) {
  Event event = EVENT__INIT;
  Google__Protobuf__Timestamp timestamp = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  TraceStart trace_start = TRACE_START__INIT;
  TraceEnd trace_end = TRACE_END__INIT;
  FunctionCall call = FUNCTION_CALL__INIT;
  FunctionCall__ArgumentRegistersEntry call_reg =
      FUNCTION_CALL__ARGUMENT_REGISTERS_ENTRY__INIT;
  FunctionReturn ret = FUNCTION_RETURN__INIT;
  FunctionReturn__ReturnRegistersEntry ret_reg =
      FUNCTION_RETURN__RETURN_REGISTERS_ENTRY__INIT;
  SignalDelivery signal = SIGNAL_DELIVERY__INIT;
  SignalDelivery__RegistersEntry signal_reg =
      SIGNAL_DELIVERY__REGISTERS_ENTRY__INIT;
  g->event = event;
  g->timestamp = timestamp;
  g->event.timestamp = &g->timestamp;

  g->trace_start = trace_start;
  snprintf(g->seed_arg, sizeof g->seed_arg, "%" PRIu64, g->opt.seed);
  for (int i = 0; i < FIXED_ARGS; i++)
    g->args[i] = (char *)fixed_args[i];
  g->args[FIXED_ARGS] = g->seed_arg;
  g->trace_start.executable_path = (char *)EXECUTABLE_PATH;
  g->trace_start.n_args = ARG_COUNT;
  g->trace_start.args = g->args;
  g->trace_start.operating_system = (char *)"linux";
  g->trace_start.cpu_architecture = (char *)"x86_64";

  g->trace_end = trace_end;

  g->call = call;
  for (int i = 0; i < ARGUMENT_REGISTERS; i++) {
    g->call_regs[i] = call_reg;
    g->call_regs[i].key = (char *)argument_register_names[i];
    g->call_reg_ptrs[i] = &g->call_regs[i];
  }
  g->call.n_argument_registers = ARGUMENT_REGISTERS;
  g->call.argument_registers = g->call_reg_ptrs;
  g->call.stack_shallow_copy.data = g->stack_copy;

  g->ret = ret;
  g->ret_reg = ret_reg;
  g->ret_reg.key = (char *)"rax";
  g->ret_reg_ptrs[0] = &g->ret_reg;
  g->ret.n_return_registers = 1;
  g->ret.return_registers = g->ret_reg_ptrs;

  g->signal = signal;
  for (int i = 0; i < SIGNAL_REGISTERS; i++) {
    g->signal_regs[i] = signal_reg;
    g->signal_regs[i].key = (char *)signal_register_names[i];
    g->signal_reg_ptrs[i] = &g->signal_regs[i];
  }
  g->signal.number = 11;
  g->signal.name = (char *)"SIGSEGV";
  g->signal.n_registers = SIGNAL_REGISTERS;
  g->signal.registers = g->signal_reg_ptrs;
}

atf_gen *atf_gen_new(const atf_gen_options *o) {
  atf_gen *g;
  if (!options_valid(o)) return NULL;
  g = calloc(1, sizeof *g);
  if (!g) goto nomem;
  g->opt = *o;
  g->max_depth = o->max_depth ? o->max_depth : MAX_DEPTH;
  g->frames = calloc((size_t)o->threads * g->max_depth, sizeof *g->frames);
  g->depth = calloc(o->threads, sizeof *g->depth);
  g->skew_ns = calloc(o->threads, sizeof *g->skew_ns);
  if (!g->frames || !g->depth || !g->skew_ns) goto nomem;

  draw_manifest(o, &g->manifest);
  g->rng = o->seed;
  g->middle_end = o->events - (o->stop_open ? 0 : 1) - (o->with_signal ? 1 : 0);
  g->clock_ns =
      (EVENT_SECONDS_BASE + (int64_t)below(&g->rng, 1000)) * 1000000000ll +
      (int64_t)below(&g->rng, 1000000000);
  for (uint32_t t = 1; t < o->threads; t++)
    g->skew_ns[t] = (int64_t)below(&g->rng, 4001) - 2000;

  wire_structs(g);
  return g;

nomem:
  fprintf(stderr, "atf_gen: out of memory\n");
  atf_gen_free(g);
  return NULL;
}

void atf_gen_free(atf_gen *g) {
  if (!g) return;
  free(g->frames);
  free(g->depth);
  free(g->skew_ns);
  free(g);
}

/* Stamps the common header of the next event on thread T. */
static void set_header(atf_gen *g, uint32_t t) {
  int64_t ts;
  if (chance(&g->rng, g->opt.clock_jump_percent))
    g->clock_ns -= 1 + (int64_t)below(&g->rng, 100000);
  g->clock_ns += 100 + (int64_t)below(&g->rng, 1900);
  ts = g->clock_ns + g->skew_ns[t];
  g->event.event_id = g->ordinal + 1;
  g->event.thread_id = (int32_t)(g->manifest.pid + t);
  g->info.thread = t;
  g->info.symbol = 0;
  g->info.call_depth = 0;
  g->timestamp.seconds = ts / 1000000000;
  g->timestamp.nanos = (int32_t)(ts % 1000000000);
  /* protobuf-c leaves out a NULL message: an event without a timestamp. */
  g->event.timestamp =
      chance(&g->rng, g->opt.untimed_percent) ? NULL : &g->timestamp;
}

/* Drops the symbol, the address or both of a call or return (the fields the
** caller just set), ANONYMOUS_PERCENT of the time; BOTH_OK says whether
** dropping both is allowed. */
static void maybe_anonymous(atf_gen *g, char **symbol, uint64_t *address,
                            int both_ok) {
  if (!chance(&g->rng, g->opt.anonymous_percent)) return;
  switch (below(&g->rng, both_ok ? 3 : 2)) {
  case 0: *symbol = (char *)""; break;
  case 1: *address = 0; break;
  default: *symbol = (char *)""; *address = 0;
  }
}

/* A thread with an open call, searching from a random one. */
static uint32_t thread_with_open_call(atf_gen *g) {
  uint32_t t = (uint32_t)below(&g->rng, g->opt.threads);
  while (g->depth[t] == 0)
    t = (t + 1) % g->opt.threads;
  return t;
}

static void make_call(atf_gen *g, uint32_t t) {
  uint32_t d = g->depth[t], sym;
  uint64_t r, len;
  frame *frames = g->frames + (size_t)t * g->max_depth;
  if (d == 0) {
    sym = t == 0 ? 0 : 1; /* main, or worker_thread */
  } else if (d >= 2 && chance(&g->rng, g->opt.recursion_percent)) {
    /* A function open above the root calls itself: the innermost one
    ** directly, or one further down through the calls between. */
    uint32_t k = d - 1;
    if (d >= 3 && below(&g->rng, 2)) k = 1 + (uint32_t)below(&g->rng, d - 2);
    sym = frames[k].symbol;
  } else {
    sym = ROOT_SYMBOLS + (uint32_t)below(&g->rng, SYMBOL_COUNT - ROOT_SYMBOLS);
  }
  frames[d].symbol = sym;
  g->depth[t] = d + 1;
  g->open_frames++;
  g->info.symbol = sym;
  g->info.call_depth = d + 1;

  g->call.symbol = (char *)symbols[sym].name;
  g->call.address = symbol_address(sym);
  maybe_anonymous(g, &g->call.symbol, &g->call.address, 1);
  for (int i = 0; i < ARGUMENT_REGISTERS; i++)
    g->call_regs[i].value = register_value(&g->rng);
  /* Mostly the full window (a tracer copies 256 bytes unless the stack is
  ** shallower), sometimes none: both are edges of the field. This puts the
  ** average record near 185 bytes, as benchmarks assume. */
  r = below(&g->rng, 100);
  len = r < 5    ? 0
        : r < 50 ? g->opt.stack_max
                 : below(&g->rng, (uint64_t)g->opt.stack_max + 1);
  for (uint64_t i = 0; i < len; i += 8) {
    uint64_t word = splitmix64(&g->rng);
    size_t n = len - i < 8 ? (size_t)(len - i) : 8;
    memcpy(g->stack_copy + i, &word, n);
  }
  g->call.stack_shallow_copy.len = (size_t)len;
  g->event.payload_case = EVENT__PAYLOAD_FUNCTION_CALL;
  g->event.function_call = &g->call;
}

static void make_return(atf_gen *g, uint32_t t) {
  uint32_t d = g->depth[t], k = d - 1, sym;
  frame *frames = g->frames + (size_t)t * g->max_depth;
  if (d >= 2 && chance(&g->rng, g->opt.unwind_percent)) {
    /* The return of a call below the innermost: the calls above it end
    ** without theirs. It closes the innermost call of that symbol. */
    uint32_t target = (uint32_t)below(&g->rng, d - 1);
    k = d - 1;
    while (frames[k].symbol != frames[target].symbol)
      k--;
  }
  sym = frames[k].symbol;
  g->depth[t] = k;
  g->open_frames -= d - k;
  g->info.symbol = sym;
  g->info.call_depth = k + 1; /* a return carries the depth of the call it
                                 closes (v2) */
  g->ret.symbol = (char *)symbols[sym].name;
  g->ret.address = symbol_address(sym);
  maybe_anonymous(g, &g->ret.symbol, &g->ret.address, k == d - 1);
  g->ret_reg.value = register_value(&g->rng);
  g->event.payload_case = EVENT__PAYLOAD_FUNCTION_RETURN;
  g->event.function_return = &g->ret;
}

/* A return that matches no open call of thread T: one of a call made before
** the trace began when T has none open, else one naming no open call. */
static void make_orphan(atf_gen *g, uint32_t t) {
  if (g->depth[t] == 0) {
    uint32_t sym = (uint32_t)below(&g->rng, SYMBOL_COUNT);
    g->ret.symbol = (char *)symbols[sym].name;
    g->ret.address = symbol_address(sym);
  } else {
    g->ret.symbol = (char *)ORPHAN_SYMBOL;
    g->ret.address = ORPHAN_ADDRESS;
  }
  g->ret_reg.value = register_value(&g->rng);
  g->event.payload_case = EVENT__PAYLOAD_FUNCTION_RETURN;
  g->event.function_return = &g->ret;
}

/* Whether a thread below max_depth calls (rather than returns). */
static int calls_next(atf_gen *g) {
  if (g->opt.call_percent == 0) return below(&g->rng, 2) == 0;
  return below(&g->rng, 100) < g->opt.call_percent;
}

/* A call or a return. Without a signal the calls are wound down before the
** end: a call is made only while the events left can still return it, so a
** clean exit leaves no open call (when the calls and returns are an even
** number, i.e. events is even). With a signal calls stay open, as in a
** crash. With stop_open the last ones are a call on each thread. */
static void make_call_or_return(atf_gen *g) {
  uint64_t left = g->middle_end - g->ordinal; /* this event included */
  uint32_t t;
  int call;
  if (g->opt.stop_open && left <= g->opt.threads) {
    t = g->opt.threads - (uint32_t)left; /* threads in order, one each */
    call = g->depth[t] < g->max_depth;
  } else if (!g->opt.with_signal && !g->opt.stop_open && g->open_frames > 0 &&
             g->open_frames + 2 > left) {
    t = thread_with_open_call(g);
    call = 0;
  } else if (chance(&g->rng, g->opt.orphan_percent)) {
    t = (uint32_t)below(&g->rng, g->opt.threads);
    set_header(g, t);
    make_orphan(g, t);
    return;
  } else {
    t = (uint32_t)below(&g->rng, g->opt.threads);
    call = g->depth[t] == 0 || (g->depth[t] < g->max_depth && calls_next(g));
  }
  set_header(g, t);
  if (call)
    make_call(g, t);
  else
    make_return(g, t);
}

static void make_signal(atf_gen *g) {
  uint32_t t = (uint32_t)below(&g->rng, g->opt.threads);
  uint32_t d = g->depth[t];
  set_header(g, t);
  for (int i = 0; i < SIGNAL_REGISTERS; i++)
    g->signal_regs[i].value = register_value(&g->rng);
  /* The faulting instruction is inside the innermost open call, if any. */
  g->signal_regs[SIGNAL_RIP].value =
      symbol_address(d ? g->frames[(size_t)t * g->max_depth + d - 1].symbol
                       : 0) +
      below(&g->rng, 0x100);
  g->signal_regs[SIGNAL_RSP].value =
      0x00007ffc00000000ull | (splitmix64(&g->rng) & 0x3fffffff0ull);
  g->signal_regs[SIGNAL_EFLAGS].value = 0x10246; /* IF, ZF, PF, RF */
  g->event.payload_case = EVENT__PAYLOAD_SIGNAL_DELIVERY;
  g->event.signal_delivery = &g->signal;
}

const Event *atf_gen_next(atf_gen *g) {
  uint64_t last = g->opt.events - 1;
  if (g->ordinal > last) return NULL;
  if (g->ordinal == 0) {
    set_header(g, 0);
    g->event.payload_case = EVENT__PAYLOAD_TRACE_START;
    g->event.trace_start = &g->trace_start;
  } else if (g->ordinal == last && !g->opt.stop_open) {
    set_header(g, 0);
    g->trace_end.exit_code = g->opt.with_signal ? -11 : 0;
    g->event.payload_case = EVENT__PAYLOAD_TRACE_END;
    g->event.trace_end = &g->trace_end;
  } else if (g->ordinal >= g->middle_end) {
    make_signal(g);
  } else {
    make_call_or_return(g);
  }
  g->ordinal++;
  return &g->event;
}

void atf_gen_last_info(const atf_gen *g, atf_gen_event_info *info) {
  *info = g->info;
}

int64_t atf_gen_pid(const atf_gen *g) { return g->manifest.pid; }

const char *atf_gen_module_uuid(const atf_gen *g, int i) {
  return g->manifest.modules[i & 1];
}

size_t atf_gen_symbol_count(void) { return SYMBOL_COUNT; }

const char *atf_gen_symbol_name(size_t i) { return symbols[i].name; }

int atf_gen_symbol_region(size_t i) { return symbols[i].region; }

uint64_t atf_gen_symbol_address(size_t i) { return symbol_address(i); }

/* ---- files -------------------------------------------------------------- */

int atf_gen_make_dirs(const char *path) {
  char *copy;
  int rc = 0;
  if (path[0] == '\0') {
    errno = ENOENT;
    return -1;
  }
  copy = strdup(path);
  if (!copy) return -1;
  for (char *p = copy + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
      rc = -1;
      break;
    }
    *p = saved;
    if (saved == '\0') break;
  }
  free(copy);
  if (rc == 0) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) rc = -1;
  }
  return rc;
}

static char *join_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  if (path) snprintf(path, n, "%s/%s", dir, name);
  return path;
}

static size_t put_varint(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

/* trace.json, laid out byte for byte as the real writer does (no final
** newline), written to a temporary name and renamed as it does. */
static int write_manifest(const char *dir, const atf_gen_options *o,
                          const manifest_values *m, uint64_t bytes_written) {
  char *path = join_path(dir, "trace.json");
  char *tmp = join_path(dir, ".trace.json.tmp");
  FILE *f = NULL;
  int rc = -1;
  if (!path || !tmp) goto done;
  f = fopen(tmp, "w");
  if (!f) goto done;
  fprintf(f,
          "{\n"
          "  \"os\": \"linux\",\n"
          "  \"arch\": \"x86_64\",\n"
          "  \"pid\": %" PRId64 ",\n"
          "  \"sessionId\": %" PRIu64 ",\n"
          "  \"timeStartNs\": %" PRIu64 ",\n"
          "  \"timeEndNs\": %" PRIu64 ",\n"
          "  \"eventCount\": %" PRIu64 ",\n"
          "  \"bytesWritten\": %" PRIu64 ",\n"
          "  \"modules\": [\"%s\", \"%s\"]\n"
          "}",
          m->pid, m->session_id, m->time_start_ns, m->time_end_ns, o->events,
          bytes_written, m->modules[0], m->modules[1]);
  if (ferror(f)) goto done;
  if (fclose(f) != 0) {
    f = NULL;
    goto done;
  }
  f = NULL;
  if (rename(tmp, path) != 0) goto done;
  rc = 0;
done:
  if (rc != 0)
    fprintf(stderr, "atf_gen: %s: %s\n", path ? path : dir, strerror(errno));
  if (f) fclose(f);
  free(path);
  free(tmp);
  return rc;
}

int atf_gen_write(const char *dir, const atf_gen_options *o, uint64_t **offsets,
                  uint64_t *n) {
  atf_gen *g = NULL;
  char *events_path = NULL, *manifest_path = NULL;
  FILE *f = NULL;
  uint8_t *body = NULL;
  size_t body_cap = 0;
  uint64_t *record_offsets = NULL, written = 0, last_size = 0, count = 0;
  const Event *ev;
  int rc = -1;

  if (offsets) *offsets = NULL;
  if (n) *n = 0;
  g = atf_gen_new(o);
  if (!g) return -1;
  if (atf_gen_make_dirs(dir) != 0) {
    fprintf(stderr, "atf_gen: cannot create directory %s: %s\n", dir,
            strerror(errno));
    goto done;
  }
  events_path = join_path(dir, "events.bin");
  manifest_path = join_path(dir, "trace.json");
  if (!events_path || !manifest_path) goto nomem;
  if (offsets) {
    record_offsets = malloc(o->events * sizeof *record_offsets);
    if (!record_offsets) goto nomem;
  }
  f = fopen(events_path, "wb");
  if (!f) {
    fprintf(stderr, "atf_gen: %s: %s\n", events_path, strerror(errno));
    goto done;
  }
  setvbuf(f, NULL, _IOFBF, 1 << 20);

  while ((ev = atf_gen_next(g)) != NULL) {
    uint8_t prefix[10];
    size_t size = event__get_packed_size(ev), prefix_len;
    if (size > body_cap) {
      size_t cap = body_cap ? body_cap : 1024;
      while (cap < size)
        cap *= 2;
      uint8_t *grown = realloc(body, cap);
      if (!grown) goto nomem;
      body = grown;
      body_cap = cap;
    }
    event__pack(ev, body);
    /* Field 1 with wire type 7: no parser accepts it. The first byte is
    ** always a tag (event_id is never 0), so the rest stays aligned. */
    if (o->corrupt_record >= 0 && count == (uint64_t)o->corrupt_record)
      body[0] = (uint8_t)(1 << 3 | 7);
    prefix_len = put_varint(prefix, size);
    if (fwrite(prefix, 1, prefix_len, f) != prefix_len ||
        fwrite(body, 1, size, f) != size) {
      fprintf(stderr, "atf_gen: %s: write failed: %s\n", events_path,
              strerror(errno));
      goto done;
    }
    if (record_offsets) record_offsets[count] = written;
    written += prefix_len + size;
    last_size = prefix_len + size;
    count++;
  }
  if (fclose(f) != 0) {
    f = NULL;
    fprintf(stderr, "atf_gen: %s: %s\n", events_path, strerror(errno));
    goto done;
  }
  f = NULL;

  if (o->tear_bytes) {
    if (o->tear_bytes >= last_size) {
      fprintf(stderr,
              "atf_gen: tear %" PRIu64
              " bytes: the last record has only %" PRIu64 "\n",
              o->tear_bytes, last_size);
      goto done;
    }
    if (truncate(events_path, (off_t)(written - o->tear_bytes)) != 0) {
      fprintf(stderr, "atf_gen: %s: %s\n", events_path, strerror(errno));
      goto done;
    }
  }

  if (o->without_manifest) {
    if (unlink(manifest_path) != 0 && errno != ENOENT) {
      fprintf(stderr, "atf_gen: %s: %s\n", manifest_path, strerror(errno));
      goto done;
    }
  } else if (write_manifest(dir, o, &g->manifest, written) != 0) {
    goto done;
  }

  if (offsets) {
    *offsets = record_offsets;
    record_offsets = NULL;
  }
  if (n) *n = count;
  rc = 0;
  goto done;

nomem:
  fprintf(stderr, "atf_gen: out of memory\n");
done:
  if (f) fclose(f);
  free(record_offsets);
  free(body);
  free(events_path);
  free(manifest_path);
  atf_gen_free(g);
  return rc;
}
