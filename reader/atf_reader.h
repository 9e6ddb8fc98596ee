/*
** atf_reader.h - read ATF v4 traces (see docs/FORMAT.md) from plain C.
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
  ATF_ERR_VARINT,      /* varint longer than 10 bytes, overflowing, or cut */
  ATF_ERR_PROTOBUF,    /* a record's bytes are not a valid Event message */
  ATF_ERR_RANGE,       /* seek past the end, or a value out of range */
  ATF_ERR_JSON,        /* trace.json is not JSON (RFC 8259) */
  ATF_ERR_MANIFEST,    /* trace.json lacks a required key or has a wrong type */
  ATF_ERR_INTERRUPTED, /* a long pass stopped because its caller asked */
  ATF_ERR_FORMAT,      /* a file is not what its place says (ATF v2: magic,
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

/* A short English name for a status: "ok", "end of stream", "not found",
** "I/O error", "out of memory", "bad varint", "malformed protobuf", "out of
** range", "malformed JSON", "invalid manifest", "interrupted". */
const char *atf_status_name(atf_status status);

/* A long pass (an index build, a walk of every call) asks FN(USER) every
** ATF_INTERRUPT_RECORDS records; nonzero stops it with ATF_ERR_INTERRUPTED.
** A NULL atf_interrupt, or a NULL FN, never stops. */
typedef struct atf_interrupt {
  int (*fn)(void *user);
  void *user;
} atf_interrupt;
#define ATF_INTERRUPT_RECORDS 4096

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

/* The N of the directory DIR when it is named pid_N (N decimal digits that
** fit int64), as the tracer names a traced process's folder: by DIR's last
** name, or, for ".", ".." and the like, the name it resolves to. Returns
** whether it is so named. */
int atf_dir_pid(const char *dir, int64_t *pid);

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
  int fd; /* kept open, so that atf_map_changed needs no path lookup */
} atf_map;

/* Maps PATH read-only. An empty file is a valid map of size 0. Fails without
** blocking on anything but a regular file (directory, FIFO, device). */
atf_status atf_map_open(const char *path, atf_map *out, atf_error *err);
/* Unmaps and frees; safe on a zeroed or already closed map. */
void atf_map_close(atf_map *map);
/* Whether the mapped file is no longer what MAP holds: grown, rewritten
** (size or modification time), or gone from its directory (deleted, or
** replaced by a rename over it, which unlinks it). One fstat of the open
** file, no path lookup: cheap enough for every query. A file replaced
** while another hard link keeps it is not seen. */
int atf_map_changed(const atf_map *map);
/* Tells the kernel a long forward scan is coming (read ahead). */
void atf_map_advise_sequential(const atf_map *map);

/* Files up to this size stay mapped once read, so that the next query on
** them does not pay for mapping pages again (0.4 us per 4 KiB page measured
** in a VM: more than decoding them); larger files are read through a window
** and resident memory stays bounded. */
#define ATF_KEEP_MAPPED_BYTES ((uint64_t)1 << 30)

/* Read-ahead of a forward pass: the window grows from nothing to
** ATF_SCAN_WINDOW as the pass proves long, so that a query reading a few
** records pays only for the pages it touches. */
#define ATF_SCAN_WINDOW_FIRST ((uint64_t)64 << 10)
#define ATF_SCAN_WINDOW ((uint64_t)8 << 20)
typedef struct atf_scan_window {
  uint64_t last;     /* the position given last time */
  uint64_t end;      /* read ahead up to here */
  uint64_t size;     /* of the last window; 0: not yet read ahead */
  uint64_t released; /* pages below this were released */
} atf_scan_window;

/* A forward pass over MAP has reached POS (call it after each record;
** start with a zeroed W). The first ATF_SCAN_WINDOW_FIRST bytes after a
** start or a jump are read as they are touched; past them, each window is
** mapped in one call (fewer page faults than touching pages one by one),
** twice the last up to ATF_SCAN_WINDOW. For a file over
** ATF_KEEP_MAPPED_BYTES the pages two windows behind leave this process's
** resident memory (they stay in the page cache), so that resident memory
** stays bounded however long the pass. */
void atf_map_scan_window(const atf_map *map, uint64_t pos, atf_scan_window *w);
/* The pass W is over: for a file over ATF_KEEP_MAPPED_BYTES the pages it
** still holds leave resident memory too, so that passes one after another
** (an index build, then a walk) do not add up. W is zeroed. */
void atf_map_scan_end(const atf_map *map, atf_scan_window *w);

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
** real events are far smaller (docs/FORMAT.md section 2). Below it, a record
** cut short by the end of the file is a torn tail. */
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

/* Moves to byte OFFSET, which the caller asserts is a record start (a block
** start or mark of the index, or a position the iterator reached; to tell
** whether any other offset is one, use atf_iter_skip_to). OFFSET == end is
** valid (end of stream); past the end is ATF_ERR_RANGE. */
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
/* The length (1 to 4) of the well-formed UTF-8 character at P, of which
** AVAIL (> 0) bytes are readable; 0 when the bytes there are not one. */
size_t atf_utf8_char(const uint8_t *p, size_t avail);

/* ---- block index -------------------------------------------------------- */

/* ATF_TEST_SMALL_INDEX (defined only by fuzz/CMakeLists.txt for
** fuzz_calls, which compiles the reader itself) shrinks the blocks and lets
** the test set the call checkpoints' budget, so that inputs of a few KB
** reach many blocks and thinned checkpoints. It changes atf_block's layout:
** a program and the reader it links must agree on it. */

/* Records per block: a power of two, so that ordinal / K finds a block. */
#ifdef ATF_TEST_SMALL_INDEX
#define ATF_INDEX_BLOCK_RECORDS 16
#else
#define ATF_INDEX_BLOCK_RECORDS 1024
#endif

/* Every ATF_INDEX_MARK_RECORDS-th record of a block is marked, so that a
** seek frames at most that many records. */
#ifdef ATF_TEST_SMALL_INDEX
#define ATF_INDEX_MARK_RECORDS 4
#else
#define ATF_INDEX_MARK_RECORDS 64
#endif
#define ATF_INDEX_MARKS (ATF_INDEX_BLOCK_RECORDS / ATF_INDEX_MARK_RECORDS)

/* Summary of ATF_INDEX_BLOCK_RECORDS consecutive records (fewer in the last
** block). Timestamps are not monotonic across threads, so each block keeps
** its min and max, never a sort order (filled by atf_index_ranges). 120
** bytes: ~6 MB for a 10 GB trace. */
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
  size_t ranged;        /* blocks[0..ranged) have their ts/event_id ranges */
  uint64_t records;     /* records indexed */
  uint64_t end;         /* offset just past the last indexed record */
  uint64_t torn_bytes;  /* a torn tail after end */
  int damaged;          /* framing damage at end: nothing past it is indexed */
  atf_file_id id;       /* identity of the file indexed */
  uint64_t fingerprint; /* of the bytes around both ends of what is indexed */
  uint64_t rebuilds;    /* times the index started again from scratch (the
                           file was rewritten): what was built on it is
                           stale when this changes */
} atf_index;

/* Builds or brings up to date IDX (zeroed before first use) over MAP in one
** pass over the framing alone (no record is decoded: a point lookup's first
** query pays for reading the length prefixes, not the events). When IDX
** already covers a prefix of the same file (same device and inode, grown,
** and the same bytes at both ends of what was indexed: appended to, not
** rewritten), only the new records are read. Framing damage stops the
** index there (IDX->damaged). STOP (may be NULL) is asked as atf_interrupt
** says. Fails only when memory runs out or STOP says so. */
atf_status atf_index_update(atf_index *idx, const atf_map *map,
                            const atf_interrupt *stop, atf_error *err);

/* Fills the ts and event_id ranges of the blocks that lack them
** (blocks[ranged..n_blocks)), decoding their headers: what range queries
** need, built on their first use. A header that does not decode marks its
** block ATF_BLOCK_UNDECODED. Fails only when memory runs out or STOP says
** so. */
atf_status atf_index_ranges(atf_index *idx, const atf_map *map,
                            const atf_interrupt *stop, atf_error *err);

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

/* ---- calls: pairing each function_call with its function_return ------- */

/*
** Pairing rules (README "Pairing rules"), per thread, events in file order:
** a call is pushed on its thread's stack; a return closes the innermost
** open call it matches, searching outward: it matches a call when both
** have a non-empty symbol and they are equal, otherwise when both have a
** non-zero address and they are equal; a call with nothing to compare is
** passed over; a return with neither symbol nor address closes the
** innermost call. The calls above the one closed end unwound at that
** return. A return that matches nothing is an orphan, counted. Calls still
** open at the end are open. Other events do not change the stacks.
*/
typedef enum atf_call_status {
  ATF_CALL_RETURNED, /* closed by its own return */
  ATF_CALL_UNWOUND,  /* closed by the return of a call below it */
  ATF_CALL_OPEN      /* no return in the trace */
} atf_call_status;

/* "returned", "unwound", "open". */
const char *atf_call_status_name(atf_call_status status);

/* A call and its end. Times in ns; a flag says whether each is known: dur
** = end_ts - ts when both are known and the difference fits int64 (a
** negative one, from a clock that jumped, is kept); self_dur = dur minus
** the dur of the direct children, known when dur and every child's dur
** are and the result fits int64 (computed exactly: the children's sum may
** pass int64 where self_dur does not). */
typedef struct atf_call {
  uint64_t offset;        /* of the call event */
  uint64_t return_offset; /* of its own return; ATF_NO_OFFSET unless
                             returned */
  /* The records whose registers are the call's and its return's: the call
  ** and return themselves, or (ATF v2) their twins holding the detail the
  ** kept record lacks (see atf_walker_new_v2). */
  uint64_t detail_offset, return_detail_offset;
  uint64_t parent_offset; /* the enclosing call; ATF_NO_OFFSET at depth 0 */
  uint64_t depth;         /* open calls below it on its thread */
  int32_t thread_id;
  atf_call_status status;
  atf_bytes symbol;   /* into the mapping (or the v2 manifest) */
  int symbol_unknown; /* ATF v2: no symbol table names its function */
  uint64_t address;
  int has_function_id; /* ATF v2: its function id and recorded depth */
  uint64_t function_id;
  uint32_t call_depth;
  uint64_t children; /* direct child calls, whatever their status */
  int64_t ts, end_ts, dur, self_dur;
  int has_ts, has_end_ts, has_dur, has_self_dur;
  /* Whether it was restored from a checkpoint (atf_walker_start_at): its
  ** children before that point were not seen, so children and self_dur
  ** are unknown (has_self_dur is 0). */
  int restored;
  uint64_t tag; /* the caller's, set by its push hook (atf_pairing_hook) */
} atf_call;

/* What pairing needs of an event. An ATF v2 event carries a function id
** and a recorded call depth instead of an address: a return then matches
** the innermost open call with the same function id and depth (symbols,
** from the manifest, are not compared). */
typedef struct atf_pair_event {
  uint64_t offset; /* the event's key: v4 byte offset, v2 rowid */
  int32_t thread_id;
  atf_kind kind;
  int has_ts;
  int64_t ts;
  atf_bytes symbol; /* call and return */
  int symbol_unknown;
  uint64_t address;
  int has_function_id;
  uint64_t function_id;
  uint32_t call_depth;
  int has_detail_offset;  /* else its registers are its own */
  uint64_t detail_offset; /* the record holding its registers */
} atf_pair_event;

/* What pairing counts per thread (atf_threads). */
typedef struct atf_thread_stats {
  int32_t thread_id;
  uint64_t events, calls, orphan_returns, signals;
  uint64_t open_calls;       /* calls open on it now */
  uint64_t max_depth;        /* of its calls, when calls > 0 */
  int has_ts;                /* some event of it had a timestamp */
  int64_t first_ts, last_ts; /* of its first and last such event */
} atf_thread_stats;

/*
** The pairing of one trace's events, fed in file order, format-agnostic.
** Memory: the open calls and one entry per thread, never the events. Each
** atf_pairing_feed may close calls; atf_pairing_pop hands them out in the
** order they closed (the unwound ones innermost first, then the returned
** one). atf_pairing_finish then hands out the calls still open: thread by
** thread in order of first appearance, innermost first.
*/
typedef struct atf_pairing atf_pairing;

atf_pairing *atf_pairing_new(void); /* NULL when out of memory */
void atf_pairing_free(atf_pairing *p);

/* A hook called as each call is pushed, with the call so far (depth,
** parent, symbol, ts...) and the tag of its parent (0 at depth 0); it
** returns the call's tag, carried to its atf_call. Lets a caller keep per
** call state, such as the call path for flame graphs, without a table of
** its own. NULL: tags are 0. */
typedef uint64_t (*atf_push_hook)(void *user, const atf_call *call,
                                  uint64_t parent_tag);
void atf_pairing_hook(atf_pairing *p, atf_push_hook hook, void *user);

/* Feeds EV. ATF_OK, or ATF_ERR_NOMEM. */
atf_status atf_pairing_feed(atf_pairing *p, const atf_pair_event *ev,
                            atf_error *err);
/* The next call closed so far, into OUT: 1, or 0 when there is none. */
int atf_pairing_pop(atf_pairing *p, atf_call *out);
/* Ends the trace: the calls still open are queued for atf_pairing_pop, as
** ATF_CALL_OPEN. With CLOSE_AT_LAST_TS, they end instead at the last
** timestamp of their thread's events (end_ts, dur and self_dur known), as
** a flame graph counts them; their status stays ATF_CALL_OPEN. */
void atf_pairing_finish(atf_pairing *p, int close_at_last_ts);

/* Pushes the call EV (a function_call) as restored from a checkpoint: on
** its thread's stack as if fed, counted nowhere, its atf_call marked
** restored. ATF_OK, or ATF_ERR_NOMEM. */
atf_status atf_pairing_restore(atf_pairing *p, const atf_pair_event *ev,
                               atf_error *err);

/* Orphan returns so far, over every thread. */
uint64_t atf_pairing_orphans(const atf_pairing *p);

/* The threads seen so far, in order of first appearance: how many, and the
** I-th. */
size_t atf_pairing_thread_count(const atf_pairing *p);
const atf_thread_stats *atf_pairing_thread(const atf_pairing *p, size_t i);
/* The calls open on THREAD now, outermost first, into *CALLS (valid until
** the next feed): their return_offset, end_ts and dur are unknown. Returns
** how many. */
size_t atf_pairing_stack(const atf_pairing *p, int32_t thread,
                         const atf_call **calls);

/*
** Walking the calls of a v4 trace: the records in file order, each event's
** header decoded, the payload of calls and returns of the wanted threads,
** fed to an atf_pairing. Memory: the pairing's. Records of threads not
** wanted are decoded to their header only.
*/
typedef struct atf_walk_options {
  const int32_t *threads; /* sorted: only these threads' events; NULL: all */
  size_t n_threads;
  int skip_corrupt;     /* leave out records that do not decode (as atf_check
                           calls them corrupt) and carry on; else an error */
  int tolerate;         /* leave out records whose header or payload does
                           not decode (registers are not read), carry on */
  int close_at_last_ts; /* for atf_pairing_finish */
  /* Called with each record's offset before it is fed (the stacks are then
  ** as just before it); nonzero stops the walk with ATF_ERR_INTERRUPTED. */
  int (*before_record)(void *user, uint64_t offset);
  atf_interrupt stop; /* asked as a long pass asks (atf_interrupt) */
  void *user;         /* before_record's */
} atf_walk_options;

/* What a walk read, for atf_stats. */
typedef struct atf_walk_counts {
  uint64_t records, headers, payloads, skipped;
  uint64_t twins;         /* ATF v2: second records of twin pairs, left out */
  uint64_t first_skipped; /* offset of the first record left out, or
                             ATF_NO_OFFSET */
  int torn;               /* torn tails it ended at (v4: 0 or 1; v2: one per
                             thread file) */
} atf_walk_counts;

typedef struct atf_walker atf_walker;

/* A walker over MAP (which must outlive it) from its first record, or
** from FROM, a record start (with the stacks empty: see
** atf_call_index_restore). NULL when out of memory. */
atf_walker *atf_walker_new(const atf_map *map, const atf_walk_options *o);
/* A walker over the v2 trace T (which must outlive it): its index records
** merged by timestamp (only the threads of O's filter: a v2 thread is its
** slot), the copy with detail of each twin pair left out (counted: twins),
** calls paired by function id and depth. Twins are found fewer than
** ATF_V2_TWIN_REACH records apart (atf_v2_twins: a merge of each file's
** two lanes that reads ahead of the walk as far as a pair's copies lie
** apart), so the kept copy, without detail, takes its twin's as its
** registers (atf_call.detail_offset); memory: about 1 KB per thread
** walked that has a detail file. skip_corrupt and tolerate do not
** apply (v2 records are fixed-size); seek, stop_at, restore_call and the
** call checkpoints are v4's. Keys (atf_call.offset) are rowids. */
struct atf_v2_trace;
atf_walker *atf_walker_new_v2(struct atf_v2_trace *t,
                              const atf_walk_options *o);
void atf_walker_free(atf_walker *w);
/* Moves the walk to the record start FROM (the caller knows it is one). */
void atf_walker_seek(atf_walker *w, uint64_t from);
atf_pairing *atf_walker_pairing(atf_walker *w);
/* Whether W walks THREAD's calls. */
int atf_walker_wants(const atf_walker *w, int32_t thread);

/* The next call, in the order atf_pairing_pop gives them, the open ones
** after the last record: ATF_OK, ATF_END after the last, or an error (a
** record that does not decode, framing damage, ATF_ERR_INTERRUPTED). */
atf_status atf_walker_next(atf_walker *w, atf_call *out, atf_error *err);
/* Walks up to and including the record at AT, dropping the calls that
** close on the way: the stacks are then as just after that event. AT must
** be a record start: ATF_ERR_RANGE names it otherwise. */
atf_status atf_walker_advance_to(atf_walker *w, uint64_t at, atf_error *err);
/* Walks to the stop (atf_walker_stop_at, else the end) dropping the calls
** that close on the way, without finishing: the stacks are then as just
** before that point. ATF_OK, or an error as atf_walker_next. */
atf_status atf_walker_drain(atf_walker *w, atf_error *err);
/* Pushes the call whose event is at OFFSET as restored from a checkpoint
** (atf_pairing_restore), when its thread is wanted. */
atf_status atf_walker_restore_call(atf_walker *w, uint64_t offset,
                                   atf_error *err);
/* Stops the walk before the record at END (the calls still open are then
** as at the end of the trace). */
void atf_walker_stop_at(atf_walker *w, uint64_t end);
const atf_walk_counts *atf_walker_counts(const atf_walker *w);
/* The offset of the next record the walk reads. */
uint64_t atf_walker_position(const atf_walker *w);

/* The record starting at OFFSET in MAP (the caller knows it is a record
** start), framed: ATF_OK, or ATF_ERR_VARINT/ATF_ERR_RANGE when it is not
** whole. */
atf_status atf_record_at(const atf_map *map, uint64_t offset, atf_record *rec,
                         atf_error *err);

/*
** Call checkpoints: the open calls of every thread (their call events'
** offsets) at the start of every INTERVAL-th index block, so that the
** stacks at any event are restored from the checkpoint before it and a
** walk of at most INTERVAL blocks, not from the start of the trace. Built
** by one walk of the whole trace, on first need, and extended when the
** file grows. A checkpoint takes a few bytes per open call (offsets as
** varint deltas); when they outgrow the budget, every other one is dropped
** and INTERVAL doubles, so memory stays under ATF_CALL_INDEX_BYTES however
** many threads and however deep.
*/
#ifdef ATF_TEST_SMALL_INDEX
extern size_t atf_test_call_index_bytes; /* call_index.c; the test sets it */
#define ATF_CALL_INDEX_BYTES atf_test_call_index_bytes
#else
#define ATF_CALL_INDEX_BYTES ((size_t)4 << 20)
#endif

typedef struct atf_call_index {
  size_t interval; /* index blocks per checkpoint, a power of two */
  size_t n, cap;   /* checkpoints: k is at the start of block k*interval */
  size_t *at;      /* where checkpoint k starts in the arena */
  uint8_t *arena;  /* the checkpoints, encoded */
  size_t arena_len, arena_cap;
  size_t blocks; /* index blocks the walk has passed */
  uint64_t end;  /* the walk's position: records before it are in */
  uint8_t *tail; /* the stacks at END, encoded like a checkpoint */
  size_t tail_len, tail_cap;
  uint64_t first_corrupt;  /* first record that did not decode, or
                              ATF_NO_OFFSET: checkpoints after it are not
                              used (a walk from the start would fail) */
  uint64_t records_walked; /* for atf_stats */
  uint64_t index_rebuilds; /* the index's when built: a change means
                              the file was rewritten, start again */
} atf_call_index;

/* Brings CI up to date with IDX (current for MAP): walks the records from
** CI->end to IDX->end, asking STOP (atf_interrupt). Fails on out of memory or
*interruption; damage is
** recorded (first_corrupt), not failed on. */
atf_status atf_call_index_update(atf_call_index *ci, const atf_index *idx,
                                 const atf_map *map, const atf_interrupt *stop,
                                 atf_error *err);

/* Restores into W (fresh, from atf_walker_new with its thread filter) the
** stacks of the last usable checkpoint at or before the record at OFFSET,
** and moves W there: the walk from there to OFFSET is then as from the
** start. Without a usable checkpoint W stays at the start. *FROM gets
** where W now is. The frames' calls are decoded from MAP. */
atf_status atf_call_index_restore(const atf_call_index *ci,
                                  const atf_index *idx, const atf_map *map,
                                  atf_walker *w, uint64_t offset,
                                  uint64_t *from, atf_error *err);

/* Bytes the checkpoints take. */
size_t atf_call_index_bytes(const atf_call_index *ci);
void atf_call_index_free(atf_call_index *ci);

/* ---- per-function statistics ------------------------------------------- */

/* Percentiles of int64 values within 1% relative error, in memory that
** grows with the range of the values, not their count (sketch.c). Zero it
** before use. */
typedef struct atf_sketch_side {
  uint64_t *counts;
  int32_t first;
  uint32_t n;
} atf_sketch_side;
typedef struct atf_sketch {
  atf_sketch_side positive, negative;
  uint64_t zeros, count;
} atf_sketch;

/* Adds V: 1, or 0 when out of memory. */
int atf_sketch_add(atf_sketch *sk, int64_t v);
/* The nearest-rank Q-quantile (the value at rank ceil(Q * count), 1-based,
** of the values sorted), within 1% of it; count must be > 0. */
int64_t atf_sketch_quantile(const atf_sketch *sk, double q);
size_t atf_sketch_bytes(const atf_sketch *sk);
void atf_sketch_free(atf_sketch *sk);

/* A sum of int64 that goes on as a double (its REAL value) once it no
** longer fits 64 bits, never wrapping. */
typedef struct atf_sum {
  int64_t exact;
  double real;
  int overflowed; /* then REAL is the sum */
} atf_sum;
void atf_sum_add(atf_sum *s, int64_t v);

/* What atf_functions reports of one symbol: durations over its calls that
** have one (returned and unwound), negative ones from a jumping clock
** included as they are. */
typedef struct atf_function_stats {
  atf_bytes symbol; /* into the mapping; calls with no symbol share "";
                       a v2 function no symbol table names: "0x" and its
                       id in 16 hex digits */
  uint64_t calls, returned, threads;
  atf_sum total_dur;    /* recursion counted once: a call inside an open call
                           of the same symbol on its thread adds nothing */
  uint64_t total_calls; /* the calls total_dur sums: none, it is unknown */
  atf_sum self_dur;     /* over calls whose self_dur is known */
  uint64_t self_calls;  /* how many */
  uint64_t durations;   /* calls that have a dur */
  int64_t min_dur, max_dur; /* when durations > 0 */
  double avg_dur;
  int64_t p50_dur, p90_dur, p99_dur; /* within 1% (atf_sketch) */
} atf_function_stats;

/*
** Per-symbol statistics of the calls of one walk: attach it to the walk's
** pairing before the first event (it hooks the pushes, to know recursion),
** add every call the pairing hands out, then read one row per symbol, in
** order of the symbol's first call. Memory grows with the symbols (and the
** threads each ran on), not with the calls.
*/
typedef struct atf_functions atf_functions;
atf_functions *atf_functions_new(void); /* NULL when out of memory */
void atf_functions_free(atf_functions *f);
void atf_functions_attach(atf_functions *f, atf_pairing *p);
/* ATF_OK, or ATF_ERR_NOMEM. */
atf_status atf_functions_add(atf_functions *f, const atf_call *call,
                             atf_error *err);
size_t atf_functions_count(const atf_functions *f);
void atf_functions_get(const atf_functions *f, size_t i,
                       atf_function_stats *out);

/* ---- folded call paths, for flame graphs -------------------------------- */

/* What a flame graph counts of one call path: durations in ns. */
typedef struct atf_flame_path {
  atf_sum self_dur;          /* the self_dur of its calls, each negative one
                                (a clock that jumped back) counted as 0 */
  atf_sum negative_self_dur; /* the negative ones left out (<= 0) */
  uint64_t calls;            /* its calls */
  uint64_t untimed;          /* those whose self_dur is unknown: they add
                                nothing to self_dur */
  int32_t thread_id;         /* its thread (per_thread only) */
} atf_flame_path;

/*
** The call paths of one walk, folded: a path is the symbols of a call and
** of the calls open below it on its thread, outermost first. Attach it to
** the walk's pairing before the first event (its push hook gives each call
** its path as tag), add every call the pairing hands out, then read one row
** per distinct path in order of first appearance. With PER_THREAD the
** paths of each thread are apart and start with a frame "thread <id>".
** Memory grows with the distinct paths, not with the calls.
*/
typedef struct atf_flame atf_flame;
atf_flame *atf_flame_new(int per_thread); /* NULL when out of memory */
void atf_flame_free(atf_flame *f);
void atf_flame_attach(atf_flame *f, atf_pairing *p);
/* ATF_OK, or ATF_ERR_NOMEM (also when a push found no memory). */
atf_status atf_flame_add(atf_flame *f, const atf_call *call, atf_error *err);
/* Ends the adding: *ROWS gets the number of paths. ATF_OK, or
** ATF_ERR_NOMEM. */
atf_status atf_flame_finish(atf_flame *f, size_t *rows, atf_error *err);
/* Path I (0 <= I < rows) once finished. */
void atf_flame_get(const atf_flame *f, size_t i, atf_flame_path *out);
/* Path I as folded-stack text into *OUT (valid until the next call): its
** frames outermost first, joined by ';'. A frame cannot hold ';', LF or CR
** in that format: they are written %3B, %0A and %0D. An empty symbol is an
** empty frame. The bytes are the symbols' (UTF-8 or not). */
atf_status atf_flame_stack(atf_flame *f, size_t i, atf_bytes *out,
                           atf_error *err);
/* Heap bytes it holds. */
size_t atf_flame_bytes(const atf_flame *f);

/* ---- what a trace says of its process ------------------------------------ */

typedef struct atf_trace_info {
  int has_pid;
  int64_t pid;         /* trace.json's pid; else the N of a pid_N folder */
  int pid_from_folder; /* the pid is the folder's */
  char *executable;    /* the trace_start event's executable_path (its bytes,
                          NUL-terminated), NULL when none was found */
  size_t executable_len;
  int has_first_ts;
  int64_t first_ts; /* ns: the first timestamp of the file, in file order */
} atf_trace_info;

/* Reads what TRACE (a pid_* directory, or its events.bin or trace.json)
** says of its process: the pid (trace.json's when it reads and has one,
** else the pid_N folder's name), the executable (a trace_start among the
** first ATF_INDEX_BLOCK_RECORDS records) and the first timestamp. Records
** that do not decode are passed over. Fails when events.bin cannot be
** opened or memory runs out. An ATF v2 trace: the folder's pid, the
** earliest first record of its threads, no executable (fails as
** atf_v2_open does, lenient). Free with atf_trace_info_free. */
atf_status atf_trace_info_read(const char *trace, atf_trace_info *out,
                               atf_error *err);
void atf_trace_info_free(atf_trace_info *info);

/* ---- checking a whole trace -------------------------------------------- */

typedef enum atf_severity {
  ATF_SEVERITY_INFO,
  ATF_SEVERITY_WARNING, /* the trace reads, but something is off */
  ATF_SEVERITY_ERROR    /* records or the manifest cannot be read */
} atf_severity;

/* One problem found in a trace. CODE is one of: torn_tail, corrupt_record,
** bad_length_prefix, invalid_utf8, not_finalized, bad_manifest,
** event_count_mismatch, bytes_written_mismatch, manifest_control_character
** (a raw control character in a string of trace.json),
** manifest_invalid_utf8 (a string of trace.json that is not UTF-8). */
typedef struct atf_finding {
  atf_severity severity;
  const char *code;
  /* Byte offset in events.bin; in trace.json for the manifest_* codes;
  ** ATF_NO_OFFSET when none applies. */
  uint64_t offset;
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
** string checked for UTF-8, the manifest parsed, its strings checked
** (atf_json_notes) and its counts compared with the file.
** FN gets each finding; SUM the totals. Fails only when events.bin cannot
** be opened, memory runs out or STOP (may be NULL) says so; damage is
** findings, not failure. */
atf_status atf_check_trace(const char *trace, atf_finding_fn fn, void *user,
                           const atf_interrupt *stop, atf_check_summary *sum,
                           atf_error *err);

/* "info", "warning", "error". */
const char *atf_severity_name(atf_severity severity);

/* ---- manifest: trace.json --------------------------------------------- */

/* Arrays and objects nest at most this deep in the JSON files the reader
** reads (cJSON, which builds their values, stops at 1000). */
#define ATF_JSON_MAX_DEPTH 512

/* What a JSON text holds that the reader takes although JSON (RFC 8259)
** forbids it or C strings cannot keep it, for atf_check to report. Counts,
** and the byte offset in the text of the first occurrence (ATF_NO_OFFSET
** when the count is 0). */
typedef struct atf_json_notes {
  /* Strings (keys too) holding a raw control character U+0001..U+001F,
  ** which JSON requires escaped; kept byte for byte. */
  uint64_t control_strings, first_control;
  /* Strings holding bytes that are not UTF-8; kept byte for byte. The
  ** offset is that of the first ill-formed byte. */
  uint64_t invalid_utf8_strings, first_invalid_utf8;
  /* \u0000 escapes: valid JSON, but a C string would end there. The offset
  ** is that of the backslash. */
  uint64_t escaped_nuls, first_escaped_nul;
} atf_json_notes;

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
  char **modules;       /* module UUIDs in registration order */
  char *modules_json;   /* the modules as a compact JSON array ("[]" if none) */
  char *json;           /* the whole file as read, unknown keys included */
  void *root;           /* the parsed document (a cJSON *) */
  atf_json_notes notes; /* what the text holds that JSON forbids */
} atf_manifest;

/* Parses the JSON text TEXT[0..LEN) (SOURCE names it in errors). The text
** must be one JSON value (RFC 8259, checked strictly: no byte order mark,
** comment, trailing comma, leading zero, NaN, lone surrogate, ...; nesting
** at most ATF_JSON_MAX_DEPTH deep) with two exceptions, kept byte for byte
** and counted in OUT->notes: raw control characters other than NUL inside
** strings (real writers leave them unescaped), and strings that are not
** UTF-8. Requires the keys os, arch (strings), timeStartNs, timeEndNs,
** eventCount (unsigned integers); optional keys must have their type when
** present; unknown keys are kept. Integers are exact to 64 bits, beyond what
** a double holds. Errors: ATF_ERR_JSON (not JSON: err->offset is the byte
** where the text stops being JSON), ATF_ERR_MANIFEST (a key given twice, a
** missing key or a wrong type, a \u0000 escape). */
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
