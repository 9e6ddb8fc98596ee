/*
** v2_detail.c - detail.atf records: where record k lies, decoding one, the
** link between an index record and its detail record, and naming the
** registers of the payload.
**
** Records have a length each (total_length) and no table of offsets, so
** record k is found by walking from the first. The tracer writes them all
** 540 bytes long: while every record seen has one length, record k is at
** 64 + k * length, and the walk that proves it needs no memory. Lengths
** that differ make the walk keep a mark every ATF_V2_DETAIL_MARK_RECORDS
** records. The walk is lazy: it goes only as far as a lookup needs, and a
** lookup through atf_v2_detail_of that finds, at the uniform place, a record
** linking back to its index record needs no walk at all.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int detail_readable(const atf_v2_thread *t) {
  return t->has_detail && t->detail_status == ATF_OK && t->detail.header_whole;
}

static atf_status push_mark(atf_v2_detail_layout *l, uint64_t offset,
                            atf_error *err) {
  if (l->n_marks == l->cap_marks) {
    size_t cap = l->cap_marks ? 2 * l->cap_marks : 64;
    uint64_t *grown = realloc(l->marks, cap * sizeof *grown);
    if (!grown)
      return atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
    l->marks = grown;
    l->cap_marks = cap;
  }
  l->marks[l->n_marks++] = offset;
  return ATF_OK;
}

/* Walks until record K is known (K = UINT64_MAX: to the end). */
static atf_status walk_to(atf_v2_thread *t, uint64_t k, atf_error *err) {
  atf_v2_detail_layout *l = &t->layout;
  const uint8_t *base = t->detail_map.data;
  uint64_t end = t->detail.region_end;
  if (l->walk_end == 0) l->walk_end = ATF_V2_HEADER_BYTES;
  while (!l->walk_done && l->walked <= k) {
    uint64_t pos = l->walk_end;
    uint32_t len;
    if (end - pos < ATF_V2_DETAIL_RECORD_HEADER_BYTES) {
      l->walk_done = 1;
      l->torn_bytes = end - pos;
      break;
    }
    len = atf_le32(base + pos);
    if (len < ATF_V2_DETAIL_RECORD_HEADER_BYTES) {
      l->walk_done = 1;
      l->damaged = 1;
      l->damage_offset = pos;
      break;
    }
    if (len > end - pos) {
      l->walk_done = 1;
      l->torn_bytes = end - pos;
      break;
    }
    if (l->walked == 0) {
      l->stride = len;
      l->uniform = 1;
    } else if (l->uniform && len != l->stride) {
      /* From here on lengths differ: marks for the uniform part first. */
      l->uniform = 0;
      for (uint64_t j = 0; j < l->walked; j += ATF_V2_DETAIL_MARK_RECORDS) {
        atf_status rc = push_mark(l, 64 + j * l->stride, err);
        if (rc != ATF_OK) return rc;
      }
    }
    if (!l->uniform && l->walked % ATF_V2_DETAIL_MARK_RECORDS == 0) {
      atf_status rc = push_mark(l, pos, err);
      if (rc != ATF_OK) return rc;
    }
    l->walked++;
    l->walk_end = pos + len;
    atf_map_scan_window(&t->detail_map, l->walk_end, &l->window);
  }
  return ATF_OK;
}

atf_status atf_v2_detail_walk(atf_v2_thread *t, atf_error *err) {
  if (!detail_readable(t)) return ATF_OK;
  return walk_to(t, UINT64_MAX, err);
}

/* Offset of walked record K (< walked). */
static uint64_t walked_offset(const atf_v2_thread *t, uint64_t k) {
  const atf_v2_detail_layout *l = &t->layout;
  uint64_t pos, steps;
  if (l->uniform) return 64 + k * l->stride;
  pos = l->marks[k / ATF_V2_DETAIL_MARK_RECORDS];
  steps = k % ATF_V2_DETAIL_MARK_RECORDS;
  while (steps--)
    pos += atf_le32(t->detail_map.data + pos);
  return pos;
}

atf_status atf_v2_detail_decode(const uint8_t *p, uint64_t avail,
                                uint64_t offset, atf_v2_detail *d,
                                atf_error *err) {
  const uint8_t *q;
  memset(d, 0, sizeof *d);
  if (avail < ATF_V2_DETAIL_RECORD_HEADER_BYTES)
    return atf_fail(err, ATF_ERR_FORMAT, offset,
                    "detail record at byte offset %llu: %llu bytes, less "
                    "than its 24-byte header",
                    (unsigned long long)offset, (unsigned long long)avail);
  d->offset = offset;
  d->total_length = atf_le32(p);
  if (d->total_length < ATF_V2_DETAIL_RECORD_HEADER_BYTES ||
      d->total_length > avail)
    return atf_fail(err, ATF_ERR_FORMAT, offset,
                    "detail record at byte offset %llu: total_length %u is "
                    "%s",
                    (unsigned long long)offset, d->total_length,
                    d->total_length < 24 ? "less than its 24-byte header"
                                         : "beyond the end of the records");
  d->event_type = atf_le16(p + 4);
  d->flags = atf_le16(p + 6);
  d->index_seq = atf_le32(p + 8);
  d->thread_id = atf_le32(p + 12);
  d->timestamp = atf_le64(p + 16);
  d->payload = p + 24;
  d->payload_len = d->total_length - 24;
  if (d->payload_len < ATF_V2_DETAIL_PAYLOAD_MIN_BYTES) return ATF_OK;
  q = d->payload;
  d->has_payload = 1;
  d->p_timestamp = atf_le64(q);
  d->p_function_id = atf_le64(q + 8);
  d->os_thread_id = atf_le32(q + 16);
  d->p_event_kind = atf_le32(q + 20);
  d->p_call_depth = atf_le32(q + 24);
  for (int i = 0; i < 8; i++)
    d->x_regs[i] = atf_le64(q + 32 + 8 * i);
  d->lr = atf_le64(q + 96);
  d->fp = atf_le64(q + 104);
  d->sp = atf_le64(q + 112);
  d->stack_size = atf_le32(q + 248);
  if (d->stack_size <= ATF_V2_STACK_MAX) {
    d->stack.ptr = q + 120;
    d->stack.len = d->stack_size;
  } else {
    d->stack_damaged = 1; /* the window holds 128 bytes: never read past */
  }
  return ATF_OK;
}

/* Decodes record K at OFFSET, known to be whole. */
static atf_status decode_at(const atf_v2_thread *t, uint64_t k, uint64_t offset,
                            atf_v2_detail *d, atf_error *err) {
  atf_status rc =
      atf_v2_detail_decode(t->detail_map.data + offset,
                           t->detail.region_end - offset, offset, d, err);
  d->seq = k;
  return rc;
}

atf_status atf_v2_detail_at(atf_v2_thread *t, uint64_t k, atf_v2_detail *d,
                            atf_error *err) {
  atf_status rc;
  if (!detail_readable(t))
    return atf_fail(err, ATF_ERR_RANGE, ATF_NO_OFFSET,
                    "thread %u has no readable detail.atf", t->slot);
  rc = walk_to(t, k, err);
  if (rc != ATF_OK) return rc;
  if (k >= t->layout.walked) return ATF_END;
  return decode_at(t, k, walked_offset(t, k), d, err);
}

atf_status atf_v2_thread_detail_of(atf_v2_thread *t, const atf_v2_event *ev,
                                   atf_v2_detail *d, atf_v2_link *link,
                                   atf_error *err) {
  atf_v2_detail_layout *l = &t->layout;
  uint64_t k = ev->detail_seq;
  atf_status rc;
  *link = ATF_V2_LINK_NONE;
  if (ev->detail_seq == ATF_V2_NO_DETAIL) return ATF_OK;
  *link = ATF_V2_LINK_DANGLING;
  if (!detail_readable(t)) return ATF_OK;
  if (l->walked == 0) {
    rc = walk_to(t, 0, err); /* learns the stride */
    if (rc != ATF_OK) return rc;
  }
  if (k >= l->walked && l->walked > 0 && l->uniform) {
    /* The uniform place, taken only when the record there is whole, has
    ** the stride's length and links back to EV with its timestamp. */
    uint64_t pos = 64 + k * l->stride, end = t->detail.region_end;
    const uint8_t *p = t->detail_map.data + pos;
    if (k <= (end - 64) / l->stride && pos <= end && end - pos >= l->stride &&
        atf_le32(p) == l->stride && atf_le32(p + 8) == ev->seq &&
        atf_le64(p + 16) == ev->ts_ns) {
      rc = decode_at(t, k, pos, d, err);
      if (rc != ATF_OK) return rc == ATF_ERR_NOMEM ? rc : ATF_OK;
      *link = ATF_V2_LINK_OK;
      return ATF_OK;
    }
  }
  rc = walk_to(t, k, err);
  if (rc != ATF_OK) return rc;
  if (k >= l->walked) return ATF_OK; /* dangling */
  rc = decode_at(t, k, walked_offset(t, k), d, err);
  if (rc != ATF_OK) return rc == ATF_ERR_NOMEM ? rc : ATF_OK;
  if (d->index_seq != ev->seq) {
    *link = ATF_V2_LINK_MISMATCH;
    memset(d, 0, sizeof *d);
    return ATF_OK;
  }
  *link = ATF_V2_LINK_OK;
  return ATF_OK;
}

atf_status atf_v2_detail_of(atf_v2_trace *t, const atf_v2_event *ev,
                            atf_v2_detail *d, atf_v2_link *link,
                            atf_error *err) {
  atf_v2_thread *th = atf_v2_thread_of_slot(t, ev->slot);
  if (!th) {
    *link = ev->detail_seq == ATF_V2_NO_DETAIL ? ATF_V2_LINK_NONE
                                               : ATF_V2_LINK_DANGLING;
    return ATF_OK;
  }
  return atf_v2_thread_detail_of(th, ev, d, link, err);
}

/* ---- registers ------------------------------------------------------------
 */

static const char *const x86_call[8] = {"rdi", "rsi", "rdx", "rcx",
                                        "r8",  "r9",  "rbp", "rsp"};
static const char *const arm_call[8] = {"x0", "x1", "x2", "x3",
                                        "x4", "x5", "x6", "x7"};
static const char *const raw_regs[8] = {"x_regs0", "x_regs1", "x_regs2",
                                        "x_regs3", "x_regs4", "x_regs5",
                                        "x_regs6", "x_regs7"};

size_t atf_v2_registers(uint8_t arch, const atf_v2_detail *d,
                        atf_v2_register out[ATF_V2_MAX_REGISTERS]) {
  size_t n = 0;
  int is_return = d->p_event_kind == ATF_V2_RETURN;
  if (!d->has_payload) return 0;
  if (arch == ATF_V2_ARCH_X86_64) {
    if (is_return) {
      out[n++] = (atf_v2_register){"rax", d->x_regs[0]};
      out[n++] = (atf_v2_register){"rsp", d->sp};
    } else {
      for (int i = 0; i < 8; i++)
        out[n++] = (atf_v2_register){x86_call[i], d->x_regs[i]};
    }
    return n;
  }
  if (arch == ATF_V2_ARCH_ARM64 && is_return) {
    out[n++] = (atf_v2_register){"x0", d->x_regs[0]};
    out[n++] = (atf_v2_register){"sp", d->sp};
    return n;
  }
  for (int i = 0; i < 8; i++)
    out[n++] = (atf_v2_register){
        arch == ATF_V2_ARCH_ARM64 ? arm_call[i] : raw_regs[i], d->x_regs[i]};
  out[n++] = (atf_v2_register){"lr", d->lr};
  out[n++] = (atf_v2_register){"fp", d->fp};
  out[n++] = (atf_v2_register){"sp", d->sp};
  return n;
}
