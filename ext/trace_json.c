/*
** trace_json.c - atf_trace_json: an aggregate that turns the rows of a query
** into one Chrome Trace Event Format document (JSON), which Perfetto UI,
** chrome://tracing and speedscope open.
**
**   .once calls.json
**   SELECT atf_trace_json(ts, dur, thread_id, symbol)
**     FROM atf_calls('traces/s1/pid_4242') WHERE dur > 1000;
**
**   atf_trace_json(ts, dur, thread_id, name [, args [, pid [, options]]])
**
** Per row:
**   ts         INTEGER  ns; a row whose ts is NULL has no place on a timeline:
**                       it is left out and counted (otherData)
**   dur        INTEGER  ns: a complete event ("X"); negative (a clock that
**                       jumped back): an "X" of duration 0, counted
**              NULL     begun, never ended (a call open at the end of the
**                       trace): a "B" without "E", which Perfetto shows as
**                       "Did not end"
**              'instant'  an instant event ("i", thread scope): signals
**   thread_id  INTEGER  the event's tid
**   name       any      the event's name (text; NULL is '')
**   args       TEXT     a JSON object shown with the event (e.g. the
**                       registers); anything else is shown as {"value": ...};
**                       NULL: none
**   pid        INTEGER  the event's pid; NULL: the trace's (see options),
**                       else 1
**   options    TEXT     a JSON object, the same on every row (NULL: none):
**                       "trace": a trace path, which names the process after
**                       its executable (trace_start), gives the pid
**                       (trace.json, else the pid_N folder) and the first
**                       timestamp to rebase to; "absolute": true keeps
**                       timestamps since the epoch
**
** The document: {"traceEvents":[...],"otherData":{...}}. Timestamps are
** microseconds with exactly three decimals, written from the integer
** nanoseconds (never through a double), rebased by default to the trace's
** first timestamp (without a trace: the smallest ts of the rows), since
** viewers read numbers as doubles, which hold no nanosecond of a time since
** the epoch; a ts before the base is negative. Events come sorted as the
** viewers need them: by pid, tid, ts, and at the same ts the enclosing
** event first (a "B" before any "X", a longer "X" before a shorter; between
** equal ones the later row, as atf_calls gives a call after its children).
** Each (pid, tid) gets thread_name metadata "thread <id>" (ATF v4 names no
** threads). Keys come in the order Perfetto's tokenizer reads fastest (ph,
** ts first); no displayTimeUnit (Perfetto would read "ns" as the unit of
** ts).
**
** Strings are valid JSON and UTF-8 whatever they hold: control characters
** escaped, each byte that is not part of a UTF-8 character written as
** U+FFFD and counted in otherData ("invalid_utf8_bytes"). A document longer
** than SQLite's length limit is an error that says to filter.
*/
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_buf.h"
#include "json_check.h"
#include "trace_json.h"
SQLITE_EXTENSION_INIT3

#ifndef ATF_VERSION
#define ATF_VERSION "0.0.0"
#endif

/* Appends a string literal. */
#define RAW(b, literal) json_raw(b, literal, sizeof(literal) - 1)

#define DEFAULT_PID 1
/* The fewest bytes an event adds besides its tail: {"ph":"X","ts":0.000 */
#define MIN_HEAD_BYTES 20

typedef struct event {
  int64_t ts, dur;  /* ns; dur for "X" only */
  const char *tail; /* ,"pid":..,"tid":..,"name":..,"args":..} in a chunk */
  uint32_t tail_len;
  uint32_t group; /* its (pid, tid) */
  char ph;        /* 'B', 'X' or 'i' */
} event;

/* A distinct (pid, tid): a thread of the document. */
typedef struct group {
  int64_t pid, tid;
  uint32_t rank; /* in (pid, tid) order, set when the document is made */
} group;

/* What events are sorted by, apart from them so that the sort reads
** contiguous memory: the group's rank, ts, then at one ts the enclosing
** event first (ORDER: a "B", then an "X" by decreasing dur, then an
** instant), then the later row first (ROW). */
typedef struct sort_key {
  int64_t ts, order;
  uint32_t rank, row;
} sort_key;

/* The events' tails, in chunks that never move (no copy as they grow). */
typedef struct chunk {
  struct chunk *next;
  size_t len, cap;
  char data[];
} chunk;
#define CHUNK_FIRST ((size_t)64 << 10)
#define CHUNK_MAX ((size_t)8 << 20)

typedef struct state {
  event *events;
  size_t n, cap;
  group *groups;
  size_t n_groups, groups_cap;
  uint32_t *slots; /* open addressing over groups: index + 1; 0 empty */
  size_t n_slots;
  json_buf row;    /* the current row's tail, built here */
  chunk *chunks;   /* the newest first */
  uint64_t stored; /* bytes of tails stored */
  char *options;   /* the first row's options text, to compare the others */
  int options_len, has_options;
  char *trace; /* options.trace */
  int absolute;
  atf_trace_info info;
  int has_info;
  int64_t default_pid;
  int64_t min_ts;
  int has_min_ts;
  sqlite3_int64 length_limit;
  uint64_t untimed, negative_dur, complete, begun, instant;
  uint64_t replaced_bytes, replaced_strings;
  int failed; /* an error was reported: later rows are ignored */
} state;

static void fail(sqlite3_context *ctx, state *s, const char *fmt, ...) {
  va_list ap;
  char *msg, *full;
  va_start(ap, fmt);
  msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  full = msg ? sqlite3_mprintf("atf_trace_json: %s", msg) : NULL;
  if (full)
    sqlite3_result_error(ctx, full, -1);
  else
    sqlite3_result_error_nomem(ctx);
  sqlite3_free(full);
  sqlite3_free(msg);
  if (s) s->failed = 1;
}

static void state_free(state *s) {
  sqlite3_free(s->events);
  sqlite3_free(s->groups);
  sqlite3_free(s->slots);
  json_free(&s->row);
  while (s->chunks) {
    chunk *next = s->chunks->next;
    sqlite3_free(s->chunks);
    s->chunks = next;
  }
  sqlite3_free(s->options);
  sqlite3_free(s->trace);
  if (s->has_info) atf_trace_info_free(&s->info);
  sqlite3_free(s);
}

static const char *type_name(int type) {
  switch (type) {
  case SQLITE_INTEGER: return "INTEGER";
  case SQLITE_FLOAT: return "REAL";
  case SQLITE_TEXT: return "TEXT";
  case SQLITE_BLOB: return "BLOB";
  default: return "NULL";
  }
}

static atf_bytes value_bytes(sqlite3_value *v) {
  atf_bytes b;
  if (sqlite3_value_type(v) == SQLITE_BLOB) {
    b.ptr = sqlite3_value_blob(v);
  } else {
    b.ptr = sqlite3_value_text(v);
  }
  b.len = (size_t)sqlite3_value_bytes(v);
  return b;
}

/* ---- options and the trace ----------------------------------------------- */

/* Parses the options object TEXT: "trace" (string) and "absolute"
** (boolean, or 0/1). */
static int parse_options(sqlite3_context *ctx, state *s, atf_bytes text) {
  atf_json_notes notes;
  atf_error err;
  cJSON *root, *item;
  int rc = 0;
  if (atf_json_check((const char *)text.ptr, text.len, "options", NULL, NULL,
                     &notes, &err) != ATF_OK) {
    fail(ctx, s,
         "options must be a JSON object such as "
         "'{\"trace\":\"dir/pid_1\",\"absolute\":true}': %s",
         err.message);
    return 0;
  }
  if (notes.escaped_nuls) {
    fail(ctx, s, "options: a string holds \\u0000");
    return 0;
  }
  root = cJSON_ParseWithLength((const char *)text.ptr, text.len);
  if (!root) {
    sqlite3_result_error_nomem(ctx);
    s->failed = 1;
    return 0;
  }
  if (!cJSON_IsObject(root)) {
    fail(ctx, s,
         "options must be a JSON object, such as '{\"trace\":\"dir\"}'");
    goto done;
  }
  cJSON_ArrayForEach(item, root) {
    if (strcmp(item->string, "trace") == 0) {
      if (!cJSON_IsString(item)) {
        fail(ctx, s, "options: \"trace\" must be a string (a trace path)");
        goto done;
      }
      sqlite3_free(s->trace);
      if (!(s->trace = sqlite3_mprintf("%s", item->valuestring))) {
        sqlite3_result_error_nomem(ctx);
        s->failed = 1;
        goto done;
      }
    } else if (strcmp(item->string, "absolute") == 0) {
      if (cJSON_IsBool(item)) {
        s->absolute = cJSON_IsTrue(item);
      } else if (cJSON_IsNumber(item) &&
                 (item->valuedouble == 0 || item->valuedouble == 1)) {
        s->absolute = item->valuedouble == 1;
      } else {
        fail(ctx, s, "options: \"absolute\" must be true or false");
        goto done;
      }
    } else {
      fail(ctx, s,
           "options: unknown key \"%s\" (known: \"trace\", "
           "\"absolute\")",
           item->string);
      goto done;
    }
  }
  rc = 1;
done:
  cJSON_Delete(root);
  return rc;
}

/* Reads what options.trace says of its process. */
static int read_trace(sqlite3_context *ctx, state *s) {
  atf_error err;
  if (!s->trace) return 1;
  if (atf_trace_info_read(s->trace, &s->info, &err) != ATF_OK) {
    if (err.code == ATF_ERR_NOMEM) {
      sqlite3_result_error_nomem(ctx);
      s->failed = 1;
    } else {
      fail(ctx, s, "options.trace: %s", err.message);
    }
    return 0;
  }
  s->has_info = 1;
  if (s->info.has_pid) s->default_pid = s->info.pid;
  return 1;
}

/* The first row: options read, the trace with them. */
static int first_row(sqlite3_context *ctx, state *s, sqlite3_value *options) {
  s->default_pid = DEFAULT_PID;
  s->length_limit =
      sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
  json_reset(&s->row);
  if (!options || sqlite3_value_type(options) == SQLITE_NULL) return 1;
  {
    atf_bytes text = value_bytes(options);
    s->has_options = 1;
    s->options_len = (int)text.len;
    if (!(s->options = sqlite3_malloc64(text.len + 1))) {
      sqlite3_result_error_nomem(ctx);
      s->failed = 1;
      return 0;
    }
    if (text.len) memcpy(s->options, text.ptr, text.len);
    s->options[text.len] = 0;
    if (sqlite3_value_type(options) != SQLITE_TEXT) {
      fail(ctx, s, "options must be TEXT, a JSON object (got %s)",
           type_name(sqlite3_value_type(options)));
      return 0;
    }
    return parse_options(ctx, s, text) && read_trace(ctx, s);
  }
}

/* Whether this row's OPTIONS are the first row's. */
static int same_options(const state *s, sqlite3_value *options) {
  atf_bytes text;
  if (!options || sqlite3_value_type(options) == SQLITE_NULL)
    return !s->has_options;
  if (!s->has_options) return 0;
  text = value_bytes(options);
  return (int)text.len == s->options_len &&
         (text.len == 0 || memcmp(text.ptr, s->options, text.len) == 0);
}

/* A copy of DATA[0..LEN) among the tails; NULL when out of memory. */
static const char *store(state *s, const char *data, size_t len) {
  chunk *c = s->chunks;
  char *at;
  if (!c || c->cap - c->len < len) {
    size_t cap =
        c ? (c->cap < CHUNK_MAX ? 2 * c->cap : CHUNK_MAX) : CHUNK_FIRST;
    if (cap < len) cap = len;
    if (!(c = sqlite3_malloc64(sizeof(chunk) + cap))) return NULL;
    c->next = s->chunks;
    c->len = 0;
    c->cap = cap;
    s->chunks = c;
  }
  at = c->data + c->len;
  memcpy(at, data, len);
  c->len += len;
  s->stored += len;
  return at;
}

/* ---- one row ---------------------------------------------------------------
 */

static void count_replaced(state *s, uint64_t replaced) {
  if (replaced) {
    s->replaced_bytes += replaced;
    s->replaced_strings++;
  }
}

/* Appends JSON text TEXT (checked: one JSON value) with the strings made
** valid for the document: raw control characters escaped, bytes that are no
** UTF-8 character as U+FFFD (counted). */
static void append_json_fixed(state *s, atf_bytes text) {
  static const char hex[] = "0123456789abcdef";
  int in_string = 0, escaped = 0;
  size_t start = 0, i = 0;
  uint64_t replaced = 0;
  while (i < text.len) {
    unsigned char c = text.ptr[i];
    size_t n;
    if (!in_string || escaped) {
      if (c == '"' && !escaped) in_string = 1;
      escaped = 0;
      i++;
      continue;
    }
    if (c == '\\') {
      escaped = 1;
      i++;
      continue;
    }
    if (c == '"') in_string = 0;
    if (c >= 0x20 && c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0x80 && (n = atf_utf8_char(text.ptr + i, text.len - i))) {
      i += n;
      continue;
    }
    json_raw(&s->row, text.ptr + start, i - start);
    if (c >= 0x80) {
      RAW(&s->row, "\xef\xbf\xbd");
      replaced++;
    } else {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      json_raw(&s->row, esc, 6);
    }
    start = ++i;
  }
  json_raw(&s->row, text.ptr + start, text.len - start);
  count_replaced(s, replaced);
}

/* Whether TEXT is one JSON object (strict JSON, UTF-8 or not). */
static int is_json_object(atf_bytes text) {
  atf_json_notes notes;
  atf_error err;
  size_t i = 0;
  while (i < text.len && (text.ptr[i] == ' ' || text.ptr[i] == '\t' ||
                          text.ptr[i] == '\n' || text.ptr[i] == '\r'))
    i++;
  return i < text.len && text.ptr[i] == '{' &&
         atf_json_check((const char *)text.ptr, text.len, "args", NULL, NULL,
                        &notes, &err) == ATF_OK;
}

static void append_string(state *s, atf_bytes text) {
  count_replaced(s, json_string_replacing(&s->row, text));
}

/* ,"args":{...} for ARGS (nothing when NULL). */
static void append_args(state *s, sqlite3_value *args) {
  int type = sqlite3_value_type(args);
  if (type == SQLITE_NULL) return;
  RAW(&s->row, ",\"args\":");
  if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
    atf_bytes text = value_bytes(args);
    if (is_json_object(text)) {
      append_json_fixed(s, text);
      return;
    }
    RAW(&s->row, "{\"value\":");
    append_string(s, text);
  } else if (type == SQLITE_INTEGER) {
    RAW(&s->row, "{\"value\":");
    json_int64(&s->row, sqlite3_value_int64(args));
  } else {
    double d = sqlite3_value_double(args);
    char num[40];
    RAW(&s->row, "{\"value\":");
    if (isfinite(d)) {
      sqlite3_snprintf(sizeof num, num, "%!.17g", d);
      json_raw(&s->row, num, strlen(num));
    } else {
      /* SQLite holds no NaN; JSON has no infinity: a string says it. */
      if (d < 0)
        RAW(&s->row, "\"-Infinity\"");
      else
        RAW(&s->row, "\"Infinity\"");
    }
  }
  json_char(&s->row, '}');
}

static size_t group_slot(int64_t pid, int64_t tid, size_t n_slots) {
  uint64_t h = (uint64_t)pid * 0x9e3779b97f4a7c15ull ^ (uint64_t)tid;
  h *= 0xbf58476d1ce4e5b9ull;
  return (size_t)(h ^ (h >> 31)) & (n_slots - 1);
}

/* The index of (PID, TID) among the groups into *OUT, added when new; 0
** when out of memory. */
static int group_of(state *s, int64_t pid, int64_t tid, uint32_t *out) {
  size_t k;
  if (s->n_slots) {
    for (k = group_slot(pid, tid, s->n_slots); s->slots[k];
         k = (k + 1) & (s->n_slots - 1)) {
      const group *g = &s->groups[s->slots[k] - 1];
      if (g->pid == pid && g->tid == tid) {
        *out = s->slots[k] - 1;
        return 1;
      }
    }
  }
  if (2 * (s->n_groups + 1) > s->n_slots) { /* at most half full */
    size_t n = s->n_slots ? 2 * s->n_slots : 64;
    uint32_t *slots = sqlite3_malloc64(n * sizeof *slots);
    if (!slots) return 0;
    memset(slots, 0, n * sizeof *slots);
    for (size_t g = 0; g < s->n_groups; g++) {
      for (k = group_slot(s->groups[g].pid, s->groups[g].tid, n); slots[k];
           k = (k + 1) & (n - 1))
        ;
      slots[k] = (uint32_t)g + 1;
    }
    sqlite3_free(s->slots);
    s->slots = slots;
    s->n_slots = n;
  }
  if (s->n_groups == s->groups_cap) {
    size_t cap = s->groups_cap ? 2 * s->groups_cap : 16;
    group *groups = sqlite3_realloc64(s->groups, cap * sizeof *groups);
    if (!groups) return 0;
    s->groups = groups;
    s->groups_cap = cap;
  }
  for (k = group_slot(pid, tid, s->n_slots); s->slots[k];
       k = (k + 1) & (s->n_slots - 1))
    ;
  s->groups[s->n_groups].pid = pid;
  s->groups[s->n_groups].tid = tid;
  s->slots[k] = (uint32_t)++s->n_groups;
  *out = (uint32_t)s->n_groups - 1;
  return 1;
}

static int integer_arg(sqlite3_context *ctx, state *s, sqlite3_value *v,
                       const char *what, int64_t *out) {
  if (sqlite3_value_type(v) != SQLITE_INTEGER) {
    fail(ctx, s, "%s must be an INTEGER (got %s)", what,
         type_name(sqlite3_value_type(v)));
    return 0;
  }
  *out = sqlite3_value_int64(v);
  return 1;
}

static void trace_json_step(sqlite3_context *ctx, int argc,
                            sqlite3_value **argv) {
  state **slot = sqlite3_aggregate_context(ctx, sizeof(state *));
  sqlite3_value *options = argc > 6 ? argv[6] : NULL;
  state *s;
  event *ev;
  int64_t pid, tid;
  int dur_type = sqlite3_value_type(argv[1]);
  if (!slot) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (!*slot) {
    if (!(*slot = sqlite3_malloc64(sizeof(state)))) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    memset(*slot, 0, sizeof(state));
    if (!first_row(ctx, *slot, options)) return;
  }
  s = *slot;
  if (s->failed) return;
  if (!same_options(s, options)) {
    fail(ctx, s, "options must be the same on every row");
    return;
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    s->untimed++;
    return;
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 1024;
    event *events = sqlite3_realloc64(s->events, cap * sizeof *events);
    if (!events) {
      sqlite3_result_error_nomem(ctx);
      s->failed = 1;
      return;
    }
    s->events = events;
    s->cap = cap;
  }
  ev = &s->events[s->n];
  memset(ev, 0, sizeof *ev);
  pid = s->default_pid;
  if (!integer_arg(ctx, s, argv[0], "ts (nanoseconds)", &ev->ts) ||
      !integer_arg(ctx, s, argv[2], "thread_id", &tid) ||
      (argc > 5 && sqlite3_value_type(argv[5]) != SQLITE_NULL &&
       !integer_arg(ctx, s, argv[5], "pid", &pid)))
    return;
  if (s->n >= UINT32_MAX || !group_of(s, pid, tid, &ev->group)) {
    sqlite3_result_error_nomem(ctx);
    s->failed = 1;
    return;
  }
  if (dur_type == SQLITE_NULL) {
    ev->ph = 'B';
  } else if (dur_type == SQLITE_INTEGER) {
    ev->ph = 'X';
    ev->dur = sqlite3_value_int64(argv[1]);
    if (ev->dur < 0) {
      ev->dur = 0;
      s->negative_dur++;
    }
  } else if (dur_type == SQLITE_TEXT &&
             strcmp((const char *)sqlite3_value_text(argv[1]), "instant") ==
                 0) {
    ev->ph = 'i';
  } else {
    fail(ctx, s,
         "dur must be an INTEGER of nanoseconds, NULL (not ended) or "
         "'instant' (got %s)",
         type_name(dur_type));
    return;
  }
  json_reset(&s->row);
  RAW(&s->row, ",\"pid\":");
  json_int64(&s->row, pid);
  RAW(&s->row, ",\"tid\":");
  json_int64(&s->row, tid);
  if (ev->ph == 'i') RAW(&s->row, ",\"s\":\"t\"");
  RAW(&s->row, ",\"name\":");
  if (sqlite3_value_type(argv[3]) == SQLITE_NULL) {
    RAW(&s->row, "\"\"");
  } else {
    append_string(s, value_bytes(argv[3]));
  }
  if (argc > 4) append_args(s, argv[4]);
  json_char(&s->row, '}');
  if (s->row.oom) {
    sqlite3_result_error_nomem(ctx);
    s->failed = 1;
    return;
  }
  if (s->row.len > UINT32_MAX ||
      (uint64_t)s->row.len > (uint64_t)s->length_limit) {
    fail(ctx, s, "an event of %llu bytes is too long",
         (unsigned long long)s->row.len);
    return;
  }
  if (!(ev->tail = store(s, s->row.data, s->row.len))) {
    sqlite3_result_error_nomem(ctx);
    s->failed = 1;
    return;
  }
  ev->tail_len = (uint32_t)s->row.len;
  s->n++;
  if (!s->has_min_ts || ev->ts < s->min_ts) s->min_ts = ev->ts;
  s->has_min_ts = 1;
  if (s->stored + (uint64_t)s->n * MIN_HEAD_BYTES > (uint64_t)s->length_limit)
    fail(ctx, s,
         "the document would be longer than SQLite's length limit (%lld "
         "bytes): export fewer rows (WHERE on thread_id, ts, dur or depth)",
         (long long)s->length_limit);
}

/* ---- the document ----------------------------------------------------------
 */

static int compare_keys(const void *pa, const void *pb) {
  const sort_key *a = pa, *b = pb;
  if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
  if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
  if (a->order != b->order) return a->order < b->order ? -1 : 1;
  return a->row > b->row ? -1 : a->row < b->row ? 1 : 0;
}

static int compare_groups(const void *pa, const void *pb) {
  const group *a = *(group *const *)pa, *b = *(group *const *)pb;
  if (a->pid != b->pid) return a->pid < b->pid ? -1 : 1;
  return (a->tid > b->tid) - (a->tid < b->tid);
}

/* The events in document order, as sort keys (NULL when out of memory):
** the groups ranked by (pid, tid), then the keys sorted. */
static sort_key *sorted_keys(state *s) {
  group **order =
      sqlite3_malloc64((s->n_groups ? s->n_groups : 1) * sizeof *order);
  sort_key *keys = sqlite3_malloc64((s->n ? s->n : 1) * sizeof *keys);
  if (!order || !keys) {
    sqlite3_free(order);
    sqlite3_free(keys);
    return NULL;
  }
  for (size_t g = 0; g < s->n_groups; g++)
    order[g] = &s->groups[g];
  qsort(order, s->n_groups, sizeof *order, compare_groups);
  for (size_t g = 0; g < s->n_groups; g++)
    order[g]->rank = (uint32_t)g;
  sqlite3_free(order);
  for (size_t i = 0; i < s->n; i++) {
    const event *e = &s->events[i];
    keys[i].ts = e->ts;
    keys[i].order = e->ph == 'B'   ? INT64_MIN
                    : e->ph == 'X' ? -e->dur
                                   : INT64_MAX;
    keys[i].rank = s->groups[e->group].rank;
    keys[i].row = (uint32_t)i;
  }
  qsort(keys, s->n, sizeof *keys, compare_keys);
  return keys;
}

/* NS as microseconds with exactly three decimals, from the integer. */
static void append_us(json_buf *b, int64_t ns) {
  uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
  char frac[4] = {'.', (char)('0' + mag / 100 % 10),
                  (char)('0' + mag / 10 % 10), (char)('0' + mag % 10)};
  if (ns < 0) json_char(b, '-');
  json_int64(b, (int64_t)(mag / 1000));
  json_raw(b, frac, 4);
}

/* The length append_us writes for NS. */
static size_t us_len(int64_t ns) {
  uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
  size_t n = (ns < 0) + 4 + 1;
  for (mag /= 1000; mag >= 10; mag /= 10)
    n++;
  return n;
}

/* A metadata event naming process PID or thread TID; returns the bytes of
** NAME written as U+FFFD. */
static uint64_t append_metadata(json_buf *b, const char *what, int64_t pid,
                                int64_t tid, atf_bytes name, int *first) {
  uint64_t replaced;
  if (!*first) json_char(b, ',');
  *first = 0;
  RAW(b, "\n{\"ph\":\"M\",\"ts\":0,\"pid\":");
  json_int64(b, pid);
  RAW(b, ",\"tid\":");
  json_int64(b, tid);
  RAW(b, ",\"name\":\"");
  json_raw(b, what, strlen(what));
  RAW(b, "\",\"args\":{\"name\":");
  replaced = json_string_replacing(b, name);
  RAW(b, "}}");
  return replaced;
}

static void append_count(json_buf *b, const char *key, uint64_t n) {
  RAW(b, ",\"");
  json_raw(b, key, strlen(key));
  RAW(b, "\":");
  json_int64(b, (int64_t)n);
}

static void trace_json_final(sqlite3_context *ctx) {
  state **slot = sqlite3_aggregate_context(ctx, 0);
  state *s = slot ? *slot : NULL;
  json_buf out;
  sort_key *keys = NULL;
  int64_t base = 0;
  int first = 1;
  memset(&out, 0, sizeof out);
  json_reset(&out);
  if (s && s->failed) goto done;
  if (s && !s->absolute) {
    if (s->has_info && s->info.has_first_ts)
      base = s->info.first_ts;
    else if (s->has_min_ts)
      base = s->min_ts;
  }
  if (s) {
    /* The size of the events (17 bytes before ts, the comma included),
    ** then a bound for the rest: one allocation, and a document over the
    ** length limit known before anything is written. */
    uint64_t events = 0, need;
    for (size_t i = 0; i < s->n; i++) {
      const event *e = &s->events[i];
      int64_t at;
      if (__builtin_sub_overflow(e->ts, base, &at)) {
        fail(ctx, s, "ts %lld minus the base %lld does not fit 64 bits",
             (long long)e->ts, (long long)base);
        goto done;
      }
      events += 17 + us_len(at) + e->tail_len;
      if (e->ph == 'X') events += 7 + us_len(e->dur);
    }
    if (events > (uint64_t)s->length_limit) {
      fail(ctx, s,
           "the document would be longer than SQLite's length limit (%lld "
           "bytes): export fewer rows (WHERE on thread_id, ts, dur or depth)",
           (long long)s->length_limit);
      goto done;
    }
    need = events + 4096 + 128 * (uint64_t)s->n_groups +
           6 * (uint64_t)(s->has_info ? s->info.executable_len : 0) +
           6 * (uint64_t)(s->trace ? strlen(s->trace) : 0);
    /* json_buf grows from there should the bound be short. */
    if (need < SIZE_MAX && (out.data = sqlite3_malloc64(need)) != NULL)
      out.cap = (size_t)need;
    if (!out.data || !(keys = sorted_keys(s))) {
      sqlite3_result_error_nomem(ctx);
      goto done;
    }
  }
  RAW(&out, "{\"traceEvents\":[");
  if (s && s->has_info && s->info.executable && s->info.executable_len) {
    atf_bytes exe = {(const uint8_t *)s->info.executable,
                     s->info.executable_len};
    count_replaced(s, append_metadata(&out, "process_name", s->default_pid, 0,
                                      exe, &first));
  }
  for (size_t i = 0; s && i < s->n; i++) {
    if (i == 0 || keys[i].rank != keys[i - 1].rank) {
      const group *g = &s->groups[s->events[keys[i].row].group];
      char name[32];
      atf_bytes b = {(const uint8_t *)name, 0};
      sqlite3_snprintf(sizeof name, name, "thread %lld", (long long)g->tid);
      b.len = strlen(name);
      append_metadata(&out, "thread_name", g->pid, g->tid, b, &first);
    }
  }
  for (size_t i = 0; s && i < s->n; i++) {
    const event *e = &s->events[keys[i].row];
    int64_t at = e->ts - base; /* checked above */
    if (!first) json_char(&out, ',');
    first = 0;
    RAW(&out, "\n{\"ph\":\"");
    json_char(&out, e->ph);
    RAW(&out, "\",\"ts\":");
    append_us(&out, at);
    if (e->ph == 'X') {
      RAW(&out, ",\"dur\":");
      append_us(&out, e->dur);
      s->complete++;
    } else if (e->ph == 'B') {
      s->begun++;
    } else {
      s->instant++;
    }
    json_raw(&out, e->tail, e->tail_len);
    if (out.oom) break;
  }
  RAW(&out, "\n],\n\"otherData\":{\"exporter\":\"atf-sqlite " ATF_VERSION
            "\",\"timestamps\":");
  if (s && s->absolute) {
    RAW(&out, "\"absolute: microseconds since the epoch\"");
  } else {
    char text[24];
    atf_bytes b = {(const uint8_t *)text, 0};
    RAW(&out, "\"rebased: microseconds since ts_base_ns\",\"ts_base_ns\":");
    sqlite3_snprintf(sizeof text, text, "%lld", (long long)base);
    b.len = strlen(text);
    json_string(&out, b); /* a string: a double would round it */
  }
  if (s && s->trace) {
    atf_bytes t = {(const uint8_t *)s->trace, strlen(s->trace)};
    RAW(&out, ",\"trace\":");
    count_replaced(s, json_string_replacing(&out, t));
  }
  if (s) {
    const char *from = !s->has_info || !s->info.has_pid ? "default"
                       : s->info.pid_from_folder        ? "folder"
                                                        : "trace.json";
    atf_bytes b = {(const uint8_t *)from, strlen(from)};
    append_count(&out, "pid", (uint64_t)s->default_pid);
    RAW(&out, ",\"pid_from\":");
    json_string(&out, b);
  }
  append_count(&out, "complete_events", s ? s->complete : 0);
  append_count(&out, "not_ended_events", s ? s->begun : 0);
  append_count(&out, "instant_events", s ? s->instant : 0);
  append_count(&out, "rows_without_ts", s ? s->untimed : 0);
  append_count(&out, "negative_durations_as_zero", s ? s->negative_dur : 0);
  append_count(&out, "invalid_utf8_strings", s ? s->replaced_strings : 0);
  append_count(&out, "invalid_utf8_bytes", s ? s->replaced_bytes : 0);
  RAW(&out, "}}");
  if (out.oom) {
    sqlite3_result_error_nomem(ctx);
  } else if (s && out.len > (size_t)s->length_limit) {
    fail(ctx, s,
         "the document would be %llu bytes, longer than SQLite's length limit "
         "(%lld bytes): export fewer rows (WHERE on thread_id, ts, dur or "
         "depth)",
         (unsigned long long)out.len, (long long)s->length_limit);
  } else {
    sqlite3_result_text64(ctx, out.data, out.len, sqlite3_free, SQLITE_UTF8);
    out.data = NULL;
  }
done:
  sqlite3_free(keys);
  json_free(&out);
  if (s) state_free(s);
}

int trace_json_register(sqlite3 *db) {
  int rc = SQLITE_OK;
  /* DIRECTONLY: options may name a file to read. */
  for (int n = 4; n <= 7 && rc == SQLITE_OK; n++)
    rc = sqlite3_create_function(db, "atf_trace_json", n,
                                 SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, NULL,
                                 trace_json_step, trace_json_final);
  return rc;
}
