/*
** atf_reader.h - read ATF v4 traces (see FORMAT.md) from plain C.
**
** A trace is a pid_* directory holding events.bin (length-prefixed protobuf
** Events) and, once the tracer finalized it, trace.json (the manifest).
**
**   atf_trace_paths  p;  atf_map m;  atf_iter it;  atf_record r;  atf_event e;
**   atf_error err;
**   atf_trace_paths_resolve("ada_traces/s/pid_4242", &p, &err);
**   atf_map_open(p.events_path, &m, &err);
**   atf_iter_init(&it, &m);
**   while (atf_iter_next(&it, &r, &err) == ATF_OK) {
**     atf_event_decode(&r, &e, &err);           -- header fields, no payload
**     atf_payload_decode(&e, &pl, &err);        -- payload scalars, on demand
**   }
**   atf_map_close(&m);
**
** Everything decodes in place from the mapping: nothing is allocated per event,
** and byte ranges (atf_bytes) point into the mapping, valid until it is closed.
** Every function that can fail returns an atf_status and fills an atf_error.
** No SQLite in here: ext/ builds on this header alone.
*/
#ifndef ATF_READER_H
#define ATF_READER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and errors ------------------------------------------------ */

typedef enum atf_status {
  ATF_OK = 0,
  ATF_END,           /* iterator: no further record; a normal result */
  ATF_ERR_NOT_FOUND, /* a file or directory does not exist */
  ATF_ERR_IO,        /* open/stat/mmap/read failed, or not a regular file */
  ATF_ERR_NOMEM,
  ATF_ERR_VARINT,   /* varint longer than 10 bytes, overflowing, or cut */
  ATF_ERR_PROTOBUF, /* a record's bytes are not a valid Event message */
  ATF_ERR_RANGE,    /* seek past the end, or a value out of range */
  ATF_ERR_JSON,     /* trace.json is not valid JSON */
  ATF_ERR_MANIFEST, /* trace.json lacks a required key or has a wrong type */
  ATF_ERR_FORMAT,   /* a file is not what its place says (ATF v2: magic,
                       endianness, version, sizes), or a path is no trace */
} atf_status;

/* "No byte offset applies" in atf_error.offset. */
#define ATF_NO_OFFSET UINT64_MAX

/* What went wrong: a code, the byte offset in the file (or ATF_NO_OFFSET),
** and one line for a human that names the file, the offset and the cause. */
typedef struct atf_error {
  atf_status code;
  uint64_t offset;
  char message[512];
} atf_error;

/* A short English name for a status ("torn", "bad varint", ...). */
const char *atf_status_name(atf_status status);

/* ---- locating a trace ------------------------------------------------- */

/* The two files of a trace, from whatever path the user gave. */
typedef struct atf_trace_paths {
  char *events_path;   /* .../events.bin */
  char *manifest_path; /* .../trace.json (may not exist: not finalized) */
} atf_trace_paths;

/* Resolves PATH, a pid_* directory or the path of its events.bin or
** trace.json, to both file paths. Fails with ATF_ERR_NOT_FOUND when PATH does
** not exist. Neither file is opened. Free with atf_trace_paths_free. */
atf_status atf_trace_paths_resolve(const char *path, atf_trace_paths *out,
                                   atf_error *err);
void atf_trace_paths_free(atf_trace_paths *paths);

/* ---- memory map of events.bin ----------------------------------------- */

/* Identity of the mapped file, to tell whether it changed since. */
typedef struct atf_file_id {
  uint64_t device, inode, size;
  int64_t mtime_ns;
} atf_file_id;

typedef struct atf_map {
  const uint8_t *data; /* NULL when size is 0 */
  uint64_t size;
  atf_file_id id;
  char *path;
} atf_map;

/* Maps PATH read-only. An empty file is a valid map of size 0. Fails without
** blocking on anything but a regular file (directory, FIFO, device). */
atf_status atf_map_open(const char *path, atf_map *out, atf_error *err);
/* Unmaps and frees; safe on a zeroed or already closed map. */
void atf_map_close(atf_map *map);
/* Tells the kernel a long forward scan is coming (read ahead). */
void atf_map_advise_sequential(const atf_map *map);
/* Bytes of the window a forward scan keeps mapped (atf_map_scan_window). */
#define ATF_SCAN_WINDOW ((uint64_t)8 << 20)

/* Files up to this size stay mapped once read, so that the next query on
** them does not pay for mapping pages again (0.4 us per 4 KiB page measured
** in a VM: more than decoding them); larger files are scanned through a
** window and resident memory stays bounded. */
#define ATF_KEEP_MAPPED_BYTES ((uint64_t)1 << 30)

/* A forward scan has reached POS: when it passes *WINDOW_END, maps the next
** window in one call (fewer page faults than touching pages one by one) and,
** for a file over ATF_KEEP_MAPPED_BYTES, lets the kernel drop the pages a
** window behind from this process's resident memory (they stay in the page
** cache), so that resident memory stays bounded however long the scan.
** Start with *WINDOW_END = 0. */
void atf_map_scan_window(const atf_map *map, uint64_t pos,
                         uint64_t *window_end);
/* Reads PATH's identity without opening it. */
atf_status atf_file_id_read(const char *path, atf_file_id *out, atf_error *err);

/* ---- varint ----------------------------------------------------------- */

/* Decodes the base-128 varint at P (at most END-P bytes readable) into *VALUE
** and its length into *LEN. Returns ATF_OK; ATF_END when the bytes run out
** before the varint ends (truncated); ATF_ERR_VARINT when it is longer than 10
** bytes or overflows 64 bits. Non-minimal encodings are accepted. */
atf_status atf_varint_decode(const uint8_t *p, const uint8_t *end,
                             uint64_t *value, size_t *len);

/* ---- framing: the record iterator ------------------------------------- */

/* One record: [varint length][body]. */
typedef struct atf_record {
  const char *source;  /* the file's path, for messages */
  uint64_t offset;     /* byte offset of the length prefix */
  uint64_t size;       /* prefix + body bytes; next record at offset + size */
  const uint8_t *body; /* the Event message, into the mapping */
  uint64_t body_len;
} atf_record;

/* A length prefix announcing this much or more is damage, never a record:
** real events are far smaller (FORMAT.md section 2). Below it, a record cut
** short by the end of the file is a torn tail. */
#define ATF_MAX_RECORD_BYTES ((uint64_t)1 << 32)

typedef struct atf_iter {
  const atf_map *map;
  uint64_t pos;          /* offset of the next record to read */
  uint64_t end;          /* records end here (map size, or less: a snapshot) */
  uint64_t torn_bytes;   /* set when next() met a torn last record */
  uint64_t records_read; /* records framed since init, skipped ones too */
} atf_iter;

/* Positions IT at the first record of MAP. */
void atf_iter_init(atf_iter *it, const atf_map *map);

/* Reads the record at the current position and moves past it. Returns ATF_OK;
** ATF_END at the end of the stream, and also at a torn last record (a prefix
** or body cut short by the end of the file), which sets it->torn_bytes to the
** bytes it leaves unread; ATF_ERR_VARINT for a length prefix that is no valid
** varint or announces ATF_MAX_RECORD_BYTES or more. On error the position
** does not move. */
atf_status atf_iter_next(atf_iter *it, atf_record *rec, atf_error *err);

/* Moves to byte OFFSET, which the caller asserts is a record start (see
** atf_iter_seek_record to check it). OFFSET == end is valid (end of stream);
** past the end is ATF_ERR_RANGE. */
atf_status atf_iter_seek(atf_iter *it, uint64_t offset, atf_error *err);

/* Byte offset of the next record, and bytes from there to the end. */
uint64_t atf_iter_position(const atf_iter *it);
uint64_t atf_iter_remaining(const atf_iter *it);

/* Skips records, without decoding them, from the current position up to the
** first record whose offset is >= TARGET. Returns ATF_OK (then
** atf_iter_position() == TARGET exactly when TARGET is a record start), or
** ATF_END / an error as atf_iter_next. */
atf_status atf_iter_skip_to(atf_iter *it, uint64_t target, atf_error *err);

/* ---- decoding an Event ------------------------------------------------ */

typedef struct atf_bytes {
  const uint8_t *ptr;
  size_t len;
} atf_bytes;

/* The payload oneof; values are the Event field numbers. */
typedef enum atf_kind {
  ATF_KIND_NONE = 0,
  ATF_KIND_TRACE_START = 10,
  ATF_KIND_TRACE_END = 11,
  ATF_KIND_FUNCTION_CALL = 12,
  ATF_KIND_FUNCTION_RETURN = 13,
  ATF_KIND_SIGNAL_DELIVERY = 14,
} atf_kind;

/* "function_call" etc., or NULL for ATF_KIND_NONE. */
const char *atf_kind_name(atf_kind kind);

/* Event header: the top-level fields. Absent fields hold their defaults. */
typedef struct atf_event {
  uint64_t event_id;
  int32_t thread_id;
  int has_timestamp;
  int64_t ts_ns;     /* seconds * 1e9 + nanos, when has_timestamp */
  atf_kind kind;     /* the oneof member that won (the last one seen) */
  atf_record record; /* the record decoded */
  /* Where the payload of the winning kind starts in record.body: repeated
  ** occurrences of that member from there on merge. */
  uint64_t payload_from;
  int replaced; /* an earlier member was replaced (checked with the payload) */
} atf_event;

/* Decodes the header of REC with protobuf semantics: fields in any order,
** unknown fields of every wire type skipped (a known field with the wrong
** wire type counts as unknown), the last scalar wins, timestamps merge, the
** last oneof member wins. The payload is located, not decoded; REC is copied
** into EV, and its mapping must outlive EV. Errors (ATF_ERR_PROTOBUF) name
** the file and the record's offset. */
atf_status atf_event_decode(const atf_record *rec, atf_event *ev,
                            atf_error *err);

/* Payload scalars of EV's kind; fields of other kinds stay zero/empty. */
typedef struct atf_payload {
  atf_bytes symbol;           /* call, return */
  uint64_t address;           /* call, return */
  atf_bytes stack;            /* call */
  int32_t signal_number;      /* signal */
  atf_bytes signal_name;      /* signal */
  int32_t exit_code;          /* trace_end */
  atf_bytes executable_path;  /* trace_start */
  atf_bytes operating_system; /* trace_start */
  atf_bytes cpu_architecture; /* trace_start */
  uint32_t register_count;    /* map entries as written (duplicates too) */
  uint32_t arg_count;         /* trace_start args */
} atf_payload;

/* Decodes the payload of EV (all occurrences of its oneof member merged, as
** protobuf does) and checks its fields are well formed. Map entries are
** counted, not read: atf_registers_collect reads and checks them, so a
** query that does not ask for registers does not pay for them. Strings are
** not checked for UTF-8 (see atf_utf8_valid). */
atf_status atf_payload_decode(const atf_event *ev, atf_payload *out,
                              atf_error *err);

/* One register of a map field (argument_registers, return_registers or
** registers, whichever EV's kind has). A missing key is "", a missing value
** is 0. */
typedef struct atf_register {
  atf_bytes name;
  uint64_t value;
} atf_register;

/* Walks the repeated fields of EV's payload (args, registers) across every
** merged occurrence of the payload member. Only valid after
** atf_payload_decode succeeded on EV. */
typedef struct atf_payload_iter {
  const uint8_t *outer, *outer_end; /* the Event's fields, from payload_from */
  const uint8_t *inner, *inner_end; /* the payload occurrence being walked */
  uint32_t kind;
} atf_payload_iter;

void atf_payload_iter_init(const atf_event *ev, atf_payload_iter *it);
/* The next trace_start arg: ATF_OK, or ATF_END after the last. */
atf_status atf_args_next(atf_payload_iter *it, atf_bytes *arg);
/* The next map entry as written (duplicates too): ATF_OK, ATF_END, or
** ATF_ERR_PROTOBUF for a malformed entry (atf_registers_collect says
** where). */
atf_status atf_registers_next(atf_payload_iter *it, atf_register *reg);

/* Fills OUT with EV's distinct registers in the order written, a repeated key
** keeping its first place and its last value (protobuf map semantics), and
** sets *COUNT. CAP, the room in OUT, must be at least register_count of the
** payload; SCRATCH must have room for 2 * CAP uint32 values. A malformed
** entry is ATF_ERR_PROTOBUF, naming the file and the record's offset. */
atf_status atf_registers_collect(const atf_event *ev, atf_register *out,
                                 uint32_t cap, uint32_t *scratch,
                                 uint32_t *count, atf_error *err);

/* Whether P[0..LEN) is well-formed UTF-8 (no overlongs, no surrogates). */
int atf_utf8_valid(const uint8_t *p, size_t len);

/* ---- block index -------------------------------------------------------- */

/* Records per block: a power of two, so that ordinal / K finds a block. */
#define ATF_INDEX_BLOCK_RECORDS 1024

/* Every ATF_INDEX_MARK_RECORDS-th record of a block is marked, so that a
** seek frames at most that many records. */
#define ATF_INDEX_MARK_RECORDS 64
#define ATF_INDEX_MARKS (ATF_INDEX_BLOCK_RECORDS / ATF_INDEX_MARK_RECORDS)

/* Summary of ATF_INDEX_BLOCK_RECORDS consecutive records (fewer in the last
** block). Timestamps are not monotonic across threads, so each block keeps
** its min and max, never a sort order. 120 bytes: ~6 MB for a 10 GB trace. */
typedef struct atf_block {
  uint64_t offset;        /* the first record's offset */
  uint64_t ordinal;       /* the first record's ordinal (0-based) in the file */
  uint32_t count;         /* records in the block */
  uint32_t flags;         /* ATF_BLOCK_* */
  int64_t min_ts, max_ts; /* over records with a timestamp */
  uint64_t min_event_id, max_event_id;
  /* Offset of record k * ATF_INDEX_MARK_RECORDS from the block's start, or
  ** UINT32_MAX when unknown (past count, or too far for 32 bits). */
  uint32_t marks[ATF_INDEX_MARKS];
} atf_block;

#define ATF_BLOCK_UNTIMED 0x1 /* some record has no timestamp */
#define ATF_BLOCK_UNDECODED                                                    \
  0x2 /* some header failed to decode: min/max are                             \
         not to be trusted, the block must be read */

typedef struct atf_index {
  atf_block *blocks;
  size_t n_blocks, cap;
  uint64_t records;    /* records indexed */
  uint64_t end;        /* offset just past the last indexed record */
  uint64_t torn_bytes; /* a torn tail after end */
  int damaged;         /* framing damage at end: nothing past it is indexed */
  atf_file_id id;      /* identity of the file indexed */
  uint64_t fingerprint; /* of the bytes around both ends of what is indexed */
} atf_index;

/* Builds or brings up to date IDX (zeroed before first use) over MAP in one
** pass over the framing and the event headers. When IDX already covers a
** prefix of the same file (same device and inode, grown, and the same bytes
** at both ends of what was indexed: appended to, not rewritten), only the
** new records are read. A header that does not decode marks its block
** ATF_BLOCK_UNDECODED; framing damage stops the index there (IDX->damaged).
** Fails only when memory runs out. */
atf_status atf_index_update(atf_index *idx, const atf_map *map, atf_error *err);

/* The block holding byte OFFSET (the last block starting at or before it),
** or -1 when OFFSET precedes every block or IDX is empty. */
int64_t atf_index_block_at(const atf_index *idx, uint64_t offset);

/* The last record start the index knows (a block start or a mark) at or
** before OFFSET, with its ordinal; 0 and 0 when there is none. A seek frames
** from there. */
uint64_t atf_index_floor(const atf_index *idx, uint64_t offset,
                         uint64_t *ordinal);
/* The same for the record of ordinal ORDINAL: the last known start at or
** before it, and the ordinal of that start. */
uint64_t atf_index_floor_ordinal(const atf_index *idx, uint64_t ordinal,
                                 uint64_t *start_ordinal);

void atf_index_free(atf_index *idx);

/* ---- checking a whole trace -------------------------------------------- */

typedef enum atf_severity {
  ATF_SEVERITY_INFO,
  ATF_SEVERITY_WARNING, /* the trace reads, but something is off */
  ATF_SEVERITY_ERROR    /* records or the manifest cannot be read */
} atf_severity;

/* One problem found in a trace. CODE is one of: torn_tail, corrupt_record,
** bad_length_prefix, invalid_utf8, not_finalized, bad_manifest,
** event_count_mismatch, bytes_written_mismatch. */
typedef struct atf_finding {
  atf_severity severity;
  const char *code;
  uint64_t offset; /* byte offset in events.bin (or JSON), or ATF_NO_OFFSET */
  char message[600];
} atf_finding;

/* Called for each finding; returns nonzero to stop the check. */
typedef int (*atf_finding_fn)(void *user, const atf_finding *finding);

typedef struct atf_check_summary {
  uint64_t events, bytes; /* whole records read, and their bytes */
  uint64_t corrupt;       /* records that do not decode */
  uint64_t torn_bytes;    /* a torn tail left unread */
  uint64_t unread_bytes;  /* bytes past framing damage */
  int has_ts;
  int64_t first_ts, last_ts; /* in file order */
  int64_t min_ts, max_ts;
} atf_check_summary;

/* Reads all of TRACE (a pid_* directory, events.bin or trace.json path):
** every record framed and decoded (header, payload, registers), every
** string checked for UTF-8, the manifest parsed and compared with the file.
** FN gets each finding; SUM the totals. Fails only when events.bin cannot
** be opened (or memory runs out); damage is findings, not failure. */
atf_status atf_check_trace(const char *trace, atf_finding_fn fn, void *user,
                           atf_check_summary *sum, atf_error *err);

/* "info", "warning", "error". */
const char *atf_severity_name(atf_severity severity);

/* ---- manifest: trace.json --------------------------------------------- */

/* An optional unsigned key of the manifest. */
typedef struct atf_opt_u64 {
  int present;
  uint64_t value;
} atf_opt_u64;

typedef struct atf_manifest {
  char *os;
  char *arch;
  uint64_t time_start_ns;
  uint64_t time_end_ns;
  uint64_t event_count;
  int has_pid;
  int64_t pid;
  atf_opt_u64 session_id;
  atf_opt_u64 bytes_written;
  atf_opt_u64 span_count; /* keys of an earlier draft of the format */
  atf_opt_u64 first_event_offset;
  atf_opt_u64 last_event_offset;
  atf_opt_u64 events_file_size;
  size_t module_count;
  char **modules;     /* module UUIDs in registration order */
  char *modules_json; /* the modules as a compact JSON array ("[]" if none) */
  char *json;         /* the whole file as read, unknown keys included */
  void *root;         /* the parsed document (a cJSON *) */
} atf_manifest;

/* Parses the JSON text TEXT[0..LEN) (SOURCE names it in errors). Requires the
** keys os, arch (strings), timeStartNs, timeEndNs, eventCount (unsigned
** integers); optional keys must have their type when present; unknown keys
** are kept. Integers are exact to 64 bits, beyond what a double holds.
** Errors: ATF_ERR_JSON (not JSON), ATF_ERR_MANIFEST (key or type). */
atf_status atf_manifest_parse(const char *text, size_t len, const char *source,
                              atf_manifest *out, atf_error *err);
/* Reads and parses the file PATH; ATF_ERR_NOT_FOUND when it does not exist. */
atf_status atf_manifest_load(const char *path, atf_manifest *out,
                             atf_error *err);
void atf_manifest_free(atf_manifest *m);
/* timeEndNs - timeStartNs; ATF_ERR_RANGE when the end precedes the start. */
atf_status atf_manifest_duration_ns(const atf_manifest *m, uint64_t *out,
                                    atf_error *err);

#ifdef __cplusplus
}
#endif

/* ---- ATF v2 ------------------------------------------------------------ */
/* Per-thread index.atf/detail.atf files and manifest.json, format
** detection and the v2 check: see atf_v2.h. */
#include "atf_v2.h"

#endif /* ATF_READER_H */
