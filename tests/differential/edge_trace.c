/*
** edge_trace.c - see edge_trace.h.
*/
/* memmem: _GNU_SOURCE, which the tests are built with */
#include "edge_trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atf_v4.pb-c.h"

#define U64_TOP 0x8000000000000000ull

/* One edge event. Strings spell a NUL as \x01 (see edge_trace.h). */
typedef struct spec {
  uint64_t id;
  int32_t tid;
  int has_ts;
  int64_t sec;
  int32_t nanos;
  int kind;        /* 0: no payload; -1: a zero-length record; else the
                      EVENT__PAYLOAD_* case */
  const char *str; /* symbol, signal name or executable path */
  uint64_t addr;
  int32_t num; /* signal number or exit code */
  int n_regs;
  const char *keys[3];
  uint64_t vals[3];
  const char *stack;
  size_t stack_len;
  int n_args;
  const char *args[3];
  const char *os, *arch;
} spec;

enum {
  START = EVENT__PAYLOAD_TRACE_START,
  END = EVENT__PAYLOAD_TRACE_END,
  CALL = EVENT__PAYLOAD_FUNCTION_CALL,
  RET = EVENT__PAYLOAD_FUNCTION_RETURN,
  SIG = EVENT__PAYLOAD_SIGNAL_DELIVERY,
  EMPTY_RECORD = -1
};

static const spec edges[] = {
    {.id = 0,
     .tid = 0,
     .has_ts = 1,
     .kind = START,
     .str = "/usr/bin/edge",
     .n_args = 3,
     .args = {"edge", "caf\xc3\xa9", "--x"},
     .os = "linux",
     .arch = "x86_64"},
    {.id = 1,
     .tid = -1,
     .has_ts = 1,
     .sec = 1700000000,
     .kind = CALL,
     .str = "main",
     .addr = U64_TOP,
     .n_regs = 3,
     .keys = {"rdi", "rsi", ""},
     .vals = {UINT64_MAX, U64_TOP, 7},
     .stack = "\0\1\xff",
     .stack_len = 3},
    {.id = 2,
     .tid = INT32_MAX,
     .has_ts = 1,
     .sec = 9223372036,
     .nanos = 854775807,
     .kind = RET,
     .str = "main",
     .addr = UINT64_MAX,
     .n_regs = 1,
     .keys = {"rax"},
     .vals = {0x7fffffffffffffffull}},
    {.id = 0x7fffffffffffffffull,
     .tid = INT32_MIN,
     .has_ts = 1,
     .sec = -9223372036,
     .kind = CALL,
     .str = "sym\xff\xfe",
     .addr = 0x7fffffffffffffffull},
    {.id = U64_TOP,
     .tid = -INT32_MAX,
     .has_ts = 1,
     .sec = -1,
     .nanos = 999999999,
     .kind = CALL}, /* a call of defaults only */
    {.id = UINT64_MAX, .tid = 0, .kind = RET, .str = "r\x80"},
    {.id = 9210000000000000000ull,
     .tid = 1,
     .has_ts = 1,
     .sec = 9210000000,
     .kind = SIG,
     .str = "SIGSEGV",
     .num = 11,
     .n_regs = 2,
     .keys = {"rip", "rsp"},
     .vals = {U64_TOP + 1, 0xfffffffffffffff0ull}},
    {.id = U64_TOP + 13000000000000000ull,
     .tid = 2,
     .has_ts = 1,
     .sec = -9210000000,
     .kind = CALL,
     .str = "f",
     .addr = 1},
    {.id = 5, .tid = 5, .has_ts = 1, .sec = 1700000000, .nanos = 1},
    {.kind = EMPTY_RECORD},
    {.id = 1700000000000000000ull,
     .tid = 3,
     .has_ts = 1,
     .sec = 1699999999,
     .nanos = 999999999,
     .kind = CALL,
     .str = "a\1b",
     .addr = U64_TOP,
     .n_regs = 2,
     .keys = {"r\1x", "\"q\""},
     .vals = {1, UINT64_MAX},
     .stack = "\0",
     .stack_len = 1},
    {.id = 9223372036854775806ull,
     .tid = INT32_MAX,
     .has_ts = 1,
     .sec = 1700000000,
     .kind = SIG,
     .str = "SIG\1SEGV",
     .num = INT32_MIN,
     .n_regs = 1,
     .keys = {"\xff"},
     .vals = {U64_TOP}},
    {.id = 7,
     .tid = -7,
     .has_ts = 1,
     .sec = 1700000000,
     .kind = START,
     .str = "a\1exe",
     .n_args = 2,
     .args = {"x\1y", "\xff"},
     .os = "",
     .arch = ""},
    {.id = 9007199254740993ull,
     .tid = INT32_MIN,
     .has_ts = 1,
     .sec = 9007199,
     .nanos = 254740993,
     .kind = END,
     .num = INT32_MIN},
    {.id = 12, .tid = 12, .has_ts = 1, .nanos = 1, .kind = END},
    {.id = 13, .tid = 13, .has_ts = 1, .kind = SIG}, /* defaults only */
    {.id = 14, .tid = -13, .has_ts = 1, .sec = 9223372035, .kind = RET},
    {.id = 0, .tid = 0, .has_ts = 1}, /* ts 0 and no payload */
    {.id = 15,
     .tid = 2147483646,
     .has_ts = 1,
     .sec = -9223372036,
     .nanos = 854775807,
     .kind = CALL,
     .str = "near_min"},
};

/* seconds -9223372037, nanos 145224192: INT64_MIN nanoseconds. */
static const spec int64_min_event = {.id = 16,
                                     .tid = -2,
                                     .has_ts = 1,
                                     .sec = -9223372037,
                                     .nanos = 145224192,
                                     .kind = CALL,
                                     .str = "at_int64_min"};

#define FILLER 1500

static const char *const kind_names[] = {[START] = "trace_start",
                                         [END] = "trace_end",
                                         [CALL] = "function_call",
                                         [RET] = "function_return",
                                         [SIG] = "signal_delivery"};

static size_t put_varint(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

/* Whether S (a C string) is UTF-8 once its \x01 are NULs. */
static int is_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int n = *p < 0x80             ? 0
            : (*p & 0xe0) == 0xc0 ? 1
            : (*p & 0xf0) == 0xe0 ? 2
            : (*p & 0xf8) == 0xf0 ? 3
                                  : -1;
    if (n < 0) return 0;
    for (int k = 1; k <= n; k++)
      if ((p[k] & 0xc0) != 0x80) return 0;
    p += n + 1;
  }
  return 1;
}

/* Replaces each \x01 of S by NUL where S occurs in the packed BODY. */
static void patch_nuls(uint8_t *body, size_t len, const char *s) {
  size_t n;
  uint8_t *at;
  if (!s || !strchr(s, '\1')) return;
  n = strlen(s);
  at = memmem(body, len, s, n);
  if (!at) return;
  for (size_t i = 0; i < n; i++)
    if (at[i] == 1) at[i] = 0;
}

typedef struct writer {
  FILE *f;
  uint64_t written;
  edge_row *rows;
  size_t n, cap;
  int failed;
} writer;

static void add_row(writer *w, const edge_row *r) {
  if (w->n == w->cap) {
    edge_row *grown;
    w->cap = w->cap ? 2 * w->cap : 64;
    grown = realloc(w->rows, w->cap * sizeof *grown);
    if (!grown) {
      w->failed = 1;
      return;
    }
    w->rows = grown;
  }
  w->rows[w->n++] = *r;
}

/* Writes one record: the length prefix, then BODY. */
static void put_record(writer *w, const uint8_t *body, size_t len,
                       edge_row *row) {
  uint8_t prefix[10];
  size_t plen = put_varint(prefix, len);
  if (fwrite(prefix, 1, plen, w->f) != plen ||
      (len && fwrite(body, 1, len, w->f) != len))
    w->failed = 1;
  row->offset = w->written;
  row->size = plen + len;
  w->written += plen + len;
  add_row(w, row);
}

/* The symbol bytes with NULs, kept for the expected rows. */
static const char *with_nuls(const char *s, size_t *len) {
  static char store[64][32];
  static size_t used;
  char *out;
  *len = strlen(s);
  if (!strchr(s, '\1')) return s;
  out = store[used++ % 64];
  for (size_t i = 0; i <= *len && i < 31; i++)
    out[i] = s[i] == 1 ? 0 : s[i];
  return out;
}

static void put_spec(writer *w, const spec *s) {
  Event e = EVENT__INIT;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  TraceStart start = TRACE_START__INIT;
  TraceEnd end = TRACE_END__INIT;
  FunctionCall call = FUNCTION_CALL__INIT;
  FunctionReturn ret = FUNCTION_RETURN__INIT;
  SignalDelivery sig = SIGNAL_DELIVERY__INIT;
  FunctionCall__ArgumentRegistersEntry ce[3], *cep[3];
  FunctionReturn__ReturnRegistersEntry re[3], *rep[3];
  SignalDelivery__RegistersEntry se[3], *sep[3];
  char *args[3];
  uint8_t body[1024];
  size_t len;
  edge_row row = {0};

  if (s->kind == EMPTY_RECORD) {
    put_record(w, NULL, 0, &row);
    return;
  }
  e.event_id = s->id;
  e.thread_id = s->tid;
  if (s->has_ts) {
    ts.seconds = s->sec;
    ts.nanos = s->nanos;
    e.timestamp = &ts;
  }
  for (int i = 0; i < s->n_regs; i++) {
    function_call__argument_registers_entry__init(&ce[i]);
    function_return__return_registers_entry__init(&re[i]);
    signal_delivery__registers_entry__init(&se[i]);
    ce[i].key = re[i].key = se[i].key = (char *)s->keys[i];
    ce[i].value = re[i].value = se[i].value = s->vals[i];
    cep[i] = &ce[i], rep[i] = &re[i], sep[i] = &se[i];
  }
  e.payload_case =
      s->kind > 0 ? (Event__PayloadCase)s->kind : EVENT__PAYLOAD__NOT_SET;
  switch (s->kind) {
  case START:
    start.executable_path = (char *)(s->str ? s->str : "");
    for (int i = 0; i < s->n_args; i++)
      args[i] = (char *)s->args[i];
    start.n_args = (size_t)s->n_args;
    start.args = args;
    start.operating_system = (char *)(s->os ? s->os : "");
    start.cpu_architecture = (char *)(s->arch ? s->arch : "");
    e.trace_start = &start;
    break;
  case END:
    end.exit_code = s->num;
    e.trace_end = &end;
    break;
  case CALL:
    call.symbol = (char *)(s->str ? s->str : "");
    call.address = s->addr;
    call.n_argument_registers = (size_t)s->n_regs;
    call.argument_registers = cep;
    call.stack_shallow_copy.data = (uint8_t *)s->stack;
    call.stack_shallow_copy.len = s->stack_len;
    e.function_call = &call;
    break;
  case RET:
    ret.symbol = (char *)(s->str ? s->str : "");
    ret.address = s->addr;
    ret.n_return_registers = (size_t)s->n_regs;
    ret.return_registers = rep;
    e.function_return = &ret;
    break;
  case SIG:
    sig.number = s->num;
    sig.name = (char *)(s->str ? s->str : "");
    sig.n_registers = (size_t)s->n_regs;
    sig.registers = sep;
    e.signal_delivery = &sig;
    break;
  }
  len = event__get_packed_size(&e);
  if (len > sizeof body) {
    w->failed = 1;
    return;
  }
  event__pack(&e, body);
  patch_nuls(body, len, s->str);
  for (int i = 0; i < s->n_regs; i++)
    patch_nuls(body, len, s->keys[i]);
  for (int i = 0; i < s->n_args; i++)
    patch_nuls(body, len, s->args[i]);

  row.event_id = s->id;
  row.thread_id = s->tid;
  row.has_ts = s->has_ts;
  row.ts = (int64_t)((__int128)s->sec * 1000000000 + s->nanos);
  row.kind = s->kind > 0 ? kind_names[s->kind] : NULL;
  if (s->kind == CALL || s->kind == RET) {
    row.symbol = with_nuls(s->str ? s->str : "", &row.symbol_len);
    row.symbol_utf8 = is_utf8(s->str ? s->str : "");
  }
  put_record(w, body, len, &row);
}

static void put_edges(writer *w, int with_int64_min) {
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
    put_spec(w, &edges[i]);
  if (with_int64_min) put_spec(w, &int64_min_event);
}

int edge_trace_write(const char *dir, int with_int64_min, edge_row **rows,
                     size_t *n) {
  char path[1024];
  writer w = {0};
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    perror(dir);
    return -1;
  }
  snprintf(path, sizeof path, "%s/events.bin", dir);
  w.f = fopen(path, "wb");
  if (!w.f) {
    perror(path);
    return -1;
  }
  put_edges(&w, with_int64_min);
  for (int i = 0; i < FILLER; i++) {
    static char sym[FILLER][16];
    spec s = {.id = 1000 + (uint64_t)i,
              .tid = i % 3 - 1,
              .has_ts = 1,
              .sec = 1700000000,
              .nanos = 0,
              .kind = i % 2 ? RET : CALL,
              .addr = U64_TOP + 0x1000 + 16 * (uint64_t)i};
    /* ts = 1.7e18 + 1000 i - 500000: exactly 1.7e18 at i = 500 */
    int64_t ns = 1000 * (int64_t)i - 500000;
    s.sec += ns < 0 ? -1 : 0;
    s.nanos = (int32_t)(ns < 0 ? ns + 1000000000 : ns);
    snprintf(sym[i], sizeof sym[i], "fill_%d", i % 7);
    s.str = sym[i];
    put_spec(&w, &s);
  }
  put_edges(&w, with_int64_min);
  if (fclose(w.f) != 0) w.failed = 1;
  if (w.failed) {
    fprintf(stderr, "edge_trace: %s: cannot write\n", path);
    free(w.rows);
    return -1;
  }
  if (rows) {
    *rows = w.rows;
    *n = w.n;
  } else {
    free(w.rows);
  }
  return 0;
}
