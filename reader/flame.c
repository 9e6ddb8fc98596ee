/*
** flame.c - call paths folded for flame graphs (atf_reader.h, "folded call
** paths").
**
** A path is a node of a trie: (parent path, symbol), interned in one open
** addressing table as calls are pushed (the pairing's push hook), so that
** each call's tag is its path and nothing is kept per call. With per_thread
** each thread has a root node of its own, which is no path itself. Memory
** grows with the distinct paths, never with the calls.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct node {
  uint64_t hash;
  atf_bytes symbol; /* into the mapping; empty for a thread's root */
  uint32_t parent;  /* node id (index + 1) of the enclosing path; 0: none */
  int32_t thread;   /* a root's thread; the thread of a per-thread path */
  uint32_t depth;   /* frames in the path, a root's thread frame included */
  int is_root;
  atf_flame_path stats;
} node;

struct atf_flame {
  node *nodes;
  size_t n, cap;
  uint32_t *slots; /* open addressing: node index + 1; 0 empty */
  size_t n_slots;
  size_t paths;        /* nodes that are paths (not roots) */
  uint32_t *row_nodes; /* row i -> node index, built by atf_flame_count */
  size_t n_rows;       /* rows in row_nodes */
  uint32_t *chain;     /* scratch for atf_flame_stack */
  size_t chain_cap;
  char *text; /* the last stack rendered */
  size_t text_len, text_cap;
  int per_thread;
  int oom;
  /* Names of ATF v2 functions no symbol table names, "0x" and 16 hex
  ** digits, one text per function id (open addressing; text NULL: empty),
  ** shared by every path through that function. */
  struct id_name {
    uint64_t id;
    char *text;
  } * ids;
  size_t n_ids, n_id_slots;
};

atf_flame *atf_flame_new(int per_thread) {
  atf_flame *f = calloc(1, sizeof *f);
  if (f) f->per_thread = per_thread;
  return f;
}

void atf_flame_free(atf_flame *f) {
  if (!f) return;
  free(f->nodes);
  free(f->slots);
  free(f->row_nodes);
  free(f->chain);
  free(f->text);
  for (size_t i = 0; i < f->n_id_slots; i++)
    free(f->ids[i].text);
  free(f->ids);
  free(f);
}

static uint64_t mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

/* FNV-1a over the symbol, seeded with the parent (or the thread of a
** root). */
static uint64_t key_hash(uint32_t parent, int is_root, int32_t thread,
                         atf_bytes symbol) {
  uint64_t h = 14695981039346656037ull ^
               mix((uint64_t)parent << 1 | (uint64_t)(is_root != 0));
  if (is_root) return mix(h ^ (uint32_t)thread);
  for (size_t i = 0; i < symbol.len; i++)
    h = (h ^ symbol.ptr[i]) * 1099511628211ull;
  return mix(h);
}

static int grow_slots(atf_flame *f) {
  size_t n = f->n_slots ? 2 * f->n_slots : 256;
  uint32_t *slots = calloc(n, sizeof *slots);
  if (!slots) return 0;
  for (size_t i = 0; i < f->n; i++) {
    size_t s = f->nodes[i].hash & (n - 1);
    while (slots[s])
      s = (s + 1) & (n - 1);
    slots[s] = (uint32_t)i + 1;
  }
  free(f->slots);
  f->slots = slots;
  f->n_slots = n;
  return 1;
}

/* The node id (index + 1) of (PARENT, SYMBOL), or of THREAD's root; added
** when new. 0 when out of memory. */
static uint32_t intern(atf_flame *f, uint32_t parent, int is_root,
                       int32_t thread, atf_bytes symbol) {
  uint64_t h = key_hash(parent, is_root, thread, symbol);
  size_t s;
  node *nd;
  if (2 * (f->n + 1) > f->n_slots && !grow_slots(f)) return 0;
  for (s = h & (f->n_slots - 1); f->slots[s]; s = (s + 1) & (f->n_slots - 1)) {
    const node *g = &f->nodes[f->slots[s] - 1];
    if (g->hash != h || g->parent != parent || g->is_root != is_root) continue;
    if (is_root ? g->thread == thread
                : g->symbol.len == symbol.len &&
                      (symbol.len == 0 ||
                       memcmp(g->symbol.ptr, symbol.ptr, symbol.len) == 0))
      return f->slots[s];
  }
  if (f->n >= UINT32_MAX - 1) return 0;
  if (f->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 256;
    node *nodes = realloc(f->nodes, cap * sizeof *nodes);
    if (!nodes) return 0;
    f->nodes = nodes;
    f->cap = cap;
  }
  nd = &f->nodes[f->n];
  memset(nd, 0, sizeof *nd);
  nd->hash = h;
  nd->parent = parent;
  nd->is_root = is_root;
  nd->thread = is_root || !parent ? thread : f->nodes[parent - 1].thread;
  nd->depth = parent ? f->nodes[parent - 1].depth + 1 : 1;
  if (!is_root) {
    nd->symbol = symbol;
    f->paths++;
  }
  f->slots[s] = (uint32_t)++f->n;
  return (uint32_t)f->n;
}

/* The frame text of ATF v2 function ID that no symbol table names; empty
** when out of memory (f->oom then). */
static atf_bytes id_text(atf_flame *f, uint64_t id) {
  atf_bytes none = {NULL, 0};
  size_t s;
  if (2 * (f->n_ids + 1) > f->n_id_slots) {
    size_t n = f->n_id_slots ? 2 * f->n_id_slots : 64;
    struct id_name *ids = calloc(n, sizeof *ids);
    if (!ids) return f->oom = 1, none;
    for (size_t i = 0; i < f->n_id_slots; i++)
      if (f->ids[i].text) {
        for (s = mix(f->ids[i].id) & (n - 1); ids[s].text;
             s = (s + 1) & (n - 1))
          ;
        ids[s] = f->ids[i];
      }
    free(f->ids);
    f->ids = ids;
    f->n_id_slots = n;
  }
  for (s = mix(id) & (f->n_id_slots - 1); f->ids[s].text;
       s = (s + 1) & (f->n_id_slots - 1))
    if (f->ids[s].id == id)
      return (atf_bytes){(const uint8_t *)f->ids[s].text, 18};
  if (!(f->ids[s].text = malloc(19))) return f->oom = 1, none;
  snprintf(f->ids[s].text, 19, "0x%016llx", (unsigned long long)id);
  f->ids[s].id = id;
  f->n_ids++;
  return (atf_bytes){(const uint8_t *)f->ids[s].text, 18};
}

/* The push hook: a call's tag is the id of its path, its parent's path
** extended by its symbol (at depth 0: the thread's root, or nothing); an
** ATF v2 function no symbol table names is framed by its id. */
static uint64_t on_push(void *user, const atf_call *call, uint64_t parent) {
  atf_flame *f = user;
  uint32_t id, from = (uint32_t)parent;
  atf_bytes none = {NULL, 0};
  if (f->oom) return 0;
  if (!from && f->per_thread &&
      !(from = intern(f, 0, 1, call->thread_id, none))) {
    f->oom = 1;
    return 0;
  }
  atf_bytes symbol = call->symbol_unknown && call->has_function_id
                         ? id_text(f, call->function_id)
                         : call->symbol;
  if (f->oom) return 0;
  if (!(id = intern(f, from, 0, call->thread_id, symbol))) f->oom = 1;
  return id;
}

void atf_flame_attach(atf_flame *f, atf_pairing *p) {
  atf_pairing_hook(p, on_push, f);
}

atf_status atf_flame_add(atf_flame *f, const atf_call *call, atf_error *err) {
  atf_flame_path *st;
  if (f->oom || call->tag == 0 || call->tag > f->n)
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  st = &f->nodes[call->tag - 1].stats;
  st->calls++;
  if (!call->has_self_dur)
    st->untimed++;
  else if (call->self_dur >= 0)
    atf_sum_add(&st->self_dur, call->self_dur);
  else
    atf_sum_add(&st->negative_self_dur, call->self_dur);
  return ATF_OK;
}

atf_status atf_flame_finish(atf_flame *f, size_t *rows, atf_error *err) {
  uint32_t *nodes;
  *rows = 0;
  if (f->oom || !(nodes = realloc(f->row_nodes,
                                  (f->paths ? f->paths : 1) * sizeof *nodes)))
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  f->row_nodes = nodes;
  f->n_rows = 0;
  for (size_t i = 0; i < f->n; i++)
    if (!f->nodes[i].is_root) nodes[f->n_rows++] = (uint32_t)i;
  *rows = f->n_rows;
  return ATF_OK;
}

void atf_flame_get(const atf_flame *f, size_t i, atf_flame_path *out) {
  const node *nd = &f->nodes[f->row_nodes[i]];
  *out = nd->stats;
  out->thread_id = nd->thread;
}

static int reserve_text(atf_flame *f, size_t more) {
  if (f->text_len + more <= f->text_cap) return 1;
  size_t cap = f->text_cap ? f->text_cap : 256;
  while (cap < f->text_len + more)
    cap *= 2;
  char *bigger = realloc(f->text, cap);
  if (!bigger) return 0;
  f->text = bigger;
  f->text_cap = cap;
  return 1;
}

/* Appends SYMBOL as one frame: ';', LF and CR, which the folded format
** cannot hold in a frame, as %3B, %0A, %0D. */
static int append_frame(atf_flame *f, atf_bytes symbol) {
  static const char hex[] = "0123456789ABCDEF";
  if (!reserve_text(f, 3 * symbol.len)) return 0;
  for (size_t i = 0; i < symbol.len; i++) {
    uint8_t c = symbol.ptr[i];
    if (c == ';' || c == '\n' || c == '\r') {
      f->text[f->text_len++] = '%';
      f->text[f->text_len++] = hex[c >> 4];
      f->text[f->text_len++] = hex[c & 15];
    } else {
      f->text[f->text_len++] = (char)c;
    }
  }
  return 1;
}

atf_status atf_flame_stack(atf_flame *f, size_t i, atf_bytes *out,
                           atf_error *err) {
  uint32_t id = f->row_nodes[i] + 1;
  size_t depth = f->nodes[id - 1].depth, k = depth;
  if (depth > f->chain_cap) {
    uint32_t *chain = realloc(f->chain, depth * sizeof *chain);
    if (!chain)
      return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
    f->chain = chain;
    f->chain_cap = depth;
  }
  for (; id; id = f->nodes[id - 1].parent)
    f->chain[--k] = id;
  f->text_len = 0;
  for (k = 0; k < depth; k++) {
    const node *nd = &f->nodes[f->chain[k] - 1];
    if (k && !reserve_text(f, 1)) break;
    if (k) f->text[f->text_len++] = ';';
    if (nd->is_root) {
      char frame[24];
      int len = snprintf(frame, sizeof frame, "thread %d", (int)nd->thread);
      atf_bytes b = {(const uint8_t *)frame, (size_t)len};
      if (!append_frame(f, b)) break;
    } else if (!append_frame(f, nd->symbol)) {
      break;
    }
  }
  if (k < depth)
    return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
  out->ptr = (const uint8_t *)f->text;
  out->len = f->text_len;
  return ATF_OK;
}

size_t atf_flame_bytes(const atf_flame *f) {
  return f->cap * sizeof *f->nodes + f->n_slots * sizeof *f->slots +
         f->n_rows * sizeof *f->row_nodes + f->chain_cap * sizeof *f->chain +
         f->text_cap;
}
