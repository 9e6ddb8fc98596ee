/*
** atf_v2.h - ATF v2 traces (per-thread index.atf/detail.atf files and
** manifest.json, as the ADA tracer's current writer produces them), format
** detection, and a check routine. Included by atf_reader.h; plain C, no
** SQLite. The byte layout is in the fixtures' README
** (tests/fixtures/atf2/README.md), departures of the writer from its own
** spec included.
**
**   atf_v2_trace t;  atf_v2_merge m;  atf_v2_event ev;  atf_v2_detail d;
**   atf_v2_link link;  atf_error err;
**   atf_v2_open("ada_traces/s/pid_48213", 0, &t, &err);
**   atf_v2_merge_init(&m, &t, NULL, 0, &err);
**   while (atf_v2_merge_next(&m, &ev) == ATF_OK) {      -- by timestamp
**     const char *name = atf_v2_symbol_name(&t.manifest, ev.function_id);
**     atf_v2_detail_of(&t, &ev, &d, &link, &err);       -- registers, stack
**   }
**   atf_v2_merge_free(&m);
**   atf_v2_close(&t);
**
** Records are read in place from read-only mappings (atf_map_open); nothing
** is allocated per record. An atf_v2_trace is not safe for concurrent use:
** detail lookups cache where records lie (see atf_v2_detail_at).
*/
#ifndef ATF_V2_H
#define ATF_V2_H

#include "atf_reader.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- format detection ------------------------------------------------- */

typedef enum atf_format {
  ATF_FORMAT_UNKNOWN = 0,
  ATF_FORMAT_V4,          /* events.bin (+ trace.json) */
  ATF_FORMAT_V2,          /* thread_<n>/index.atf (+ manifest.json) */
  ATF_FORMAT_SESSION,     /* a folder of pid_* traces, not a trace itself */
  ATF_FORMAT_SESSION_ROOT /* a folder of session folders */
} atf_format;

typedef struct atf_format_info {
  atf_format format;
  /* The trace directory (v4, v2: the pid_* directory, also when PATH named
  ** one of its files) or the folder itself (session, session root);
  ** malloc'd. */
  char *dir;
  uint32_t entries; /* session: pid_* traces; root: session folders */
  /* For a directory, the trace files it holds, set also when detection
  ** fails (both formats, a wrong magic): ATF_FILES_V4 (events.bin or
  ** trace.json), ATF_FILES_V2 (manifest.json, thread_<n>/ files). Nonzero:
  ** a trace, damaged or not, rather than a folder to look into. */
  unsigned trace_files;
} atf_format_info;
#define ATF_FILES_V4 1u
#define ATF_FILES_V2 2u

/* Says what PATH is, by what is on disk and the files' first bytes, never by
** a name alone:
** - a file starting with "ATI2"/"ATD2" is a v2 thread file: its trace is the
**   directory above its thread_<n> directory; a file named manifest.json
**   is v2 (its directory); any other file is v4's events.bin or trace.json
**   (as atf_trace_paths_resolve takes it);
** - a directory holding events.bin or trace.json is v4; one holding
**   thread_<n> directories with index.atf or detail.atf, or manifest.json,
**   is v2, provided each of those files that has 4 bytes or more starts with
**   its magic; both at once is an error (ATF_ERR_FORMAT);
** - a directory holding pid_<n> directories and no trace files is a session;
**   one holding directories that are sessions is a session root. Symbolic
**   links to directories are not followed.
** Errors: ATF_ERR_NOT_FOUND (PATH missing), ATF_ERR_FORMAT (none of the
** above, or a v2 file with the wrong magic: the message names the file,
** byte offset 0 and what is there), ATF_ERR_IO, ATF_ERR_NOMEM. Free OUT with
** atf_format_info_free (also after an error). */
atf_status atf_format_detect(const char *path, atf_format_info *out,
                             atf_error *err);
void atf_format_info_free(atf_format_info *info);
/* "atf4", "atf2", "session", "session_root", "unknown". */
const char *atf_format_name(atf_format format);

/* ---- every trace under a folder (traces.c) ------------------------------ */

/* Directories more than this many levels below the root are not looked at
** (a folder of sessions needs 2: root/session_x/pid_n). */
#define ATF_TRACES_MAX_DEPTH 8

/* One trace found by atf_traces_list. */
typedef struct atf_trace_entry {
  char *path;    /* ROOT joined with the names below it: the argument every
                    table takes (ROOT itself when it is a trace's file) */
  char *dir;     /* the trace directory (path, or the directory of the file) */
  char *session; /* the name of the directory holding dir; NULL for "/" */
  atf_format format; /* ATF_FORMAT_V4, ATF_FORMAT_V2, or ATF_FORMAT_UNKNOWN
                        when it holds both formats or cannot be read */
  char *error;       /* NULL, or why it could not even be told (malloc'd) */
  int has_pid;
  int64_t pid; /* from dir's name, pid_<n> (decimal, fits int64) */
} atf_trace_entry;

typedef struct atf_trace_list {
  atf_trace_entry *entries; /* sorted by path, byte order (strcmp) */
  size_t count;
} atf_trace_list;

/* Every trace under ROOT: ROOT itself when it is a trace (or a file of
** one), else the directories below it, depth first, down to MAX_DEPTH
** levels (ATF_TRACES_MAX_DEPTH for SQL; at most 64). A directory is a
** trace when atf_format_detect says so or it holds trace files that do not
** detect (both formats, a wrong magic: an entry all the same); a trace's
** subdirectories are not looked into; other directories are. Names
** starting with '.' are skipped; symbolic links are never followed below
** ROOT (ROOT itself may be one), so a loop of them ends. A directory below
** ROOT that cannot be read is an entry with its error, never a failure.
** STOP (may be NULL) is asked every 16 directories.
** Errors: ATF_ERR_NOT_FOUND / ATF_ERR_IO (ROOT missing or unreadable),
** ATF_ERR_FORMAT (ROOT a file that belongs to no trace),
** ATF_ERR_INTERRUPTED, ATF_ERR_NOMEM. Free OUT with atf_trace_list_free
** (also after an error). */
atf_status atf_traces_list(const char *root, unsigned max_depth,
                           const atf_interrupt *stop, atf_trace_list *out,
                           atf_error *err);
void atf_trace_list_free(atf_trace_list *list);

/* What one trace is, read without reading its records when a manifest has
** the answer. A has_* flag of 0 means unknown (NULL in SQL). */
typedef struct atf_trace_summary {
  atf_format format;
  int finalized; /* v4: trace.json present and valid; v2: manifest.json
                    present and valid and every index.atf has its footer */
  int has_pid;
  int64_t pid;     /* from the name pid_<n>; else trace.json's pid (v4) */
  char *os, *arch; /* v4: trace.json's, else the first record's when it is
                      a trace_start; v2: the first index header's names */
  int has_threads;
  uint64_t threads; /* v2: thread_<n> directories; v4: unknown */
  int has_event_count;
  uint64_t event_count; /* v4: trace.json's eventCount, else records framed
                           (up to framing damage); v2: index records */
  int has_bytes;
  uint64_t bytes; /* v4: events.bin's size, else the bytes of the whole
                     records framed; v2: 32 per index record */
  int has_time_start, has_time_end;
  /* v4: trace.json's timeStartNs/timeEndNs, else the timestamps of the
  ** first and last records (int64 bits); v2: the reader's range
  ** (atf_v2_trace: time_start_ns, time_end_ns), unknown without records. */
  uint64_t time_start_ns, time_end_ns;
  /* NULL, or the first problem that makes part of the trace unreadable
  ** (a file that cannot be opened or parsed, framing damage, a thread the
  ** manifest names that is missing), with how many more there are; a torn
  ** tail or a missing manifest (a crash) is not one. malloc'd. */
  char *error;
} atf_trace_summary;

/* Summarizes the trace of ENTRY. v4: trace.json parsed; events.bin only
** stat'ed when it is valid, else framed once (the length prefixes; the
** first and last records' headers decoded), asking STOP (may be NULL) as a
** long pass does. v2: atf_v2_open, lenient (headers, no records). Damage
** goes to OUT->error; the call fails only with ATF_ERR_NOMEM or
** ATF_ERR_INTERRUPTED. Free OUT with atf_trace_summary_free. */
atf_status atf_trace_summarize(const atf_trace_entry *entry,
                               const atf_interrupt *stop,
                               atf_trace_summary *out, atf_error *err);
void atf_trace_summary_free(atf_trace_summary *s);

/* ---- on-disk constants ------------------------------------------------- */

#define ATF_V2_HEADER_BYTES 64
#define ATF_V2_FOOTER_BYTES 64
#define ATF_V2_INDEX_RECORD_BYTES 32
#define ATF_V2_DETAIL_RECORD_HEADER_BYTES 24
/* The payload fields up to and including stack_size (DetailEvent). */
#define ATF_V2_DETAIL_PAYLOAD_MIN_BYTES 252
#define ATF_V2_STACK_MAX 128 /* bytes of the stack window */
#define ATF_V2_NO_DETAIL 0xFFFFFFFFu
/* Thread directories a trace may hold (the tracer has 64 slots). */
#define ATF_V2_MAX_THREADS 1024
/* Slots are below 2^31, so that a rowid, (slot << 32) | record, is a
** positive 64-bit integer. */
#define ATF_V2_MAX_SLOT 0x7fffffffu

typedef enum atf_v2_kind {
  ATF_V2_CALL = 1,
  ATF_V2_RETURN = 2,
  ATF_V2_EXCEPTION = 3
} atf_v2_kind;

/* The kind as the tables name it in both formats: "function_call",
** "function_return" (atf_kind_name's names for v4), "exception" (v2 only);
** NULL for any other value. */
const char *atf_v2_kind_name(uint32_t kind);

typedef enum atf_v2_arch {
  ATF_V2_ARCH_X86_64 = 1,
  ATF_V2_ARCH_ARM64 = 2
} atf_v2_arch;

/* "x86_64", "arm64" / "ios", "android", "macos", "linux", "windows"; NULL
** for a value the format does not define. */
const char *atf_v2_arch_name(uint8_t arch);
const char *atf_v2_os_name(uint8_t os);

/* ---- headers and footers ------------------------------------------------ */

/* index.atf header, field for field (offsets in the fixtures' README). */
typedef struct atf_v2_index_header {
  uint8_t magic[4]; /* "ATI2" */
  uint8_t endian;   /* 1 = little */
  uint8_t version;  /* 1 */
  uint8_t arch, os;
  uint32_t flags; /* bit 0: detail.atf exists (set only at finalize) */
  uint32_t thread_id;
  uint8_t clock_type;
  uint32_t event_size;  /* 32 */
  uint32_t event_count; /* 0 in the placeholder */
  uint64_t events_offset, footer_offset;
  uint64_t time_start_ns, time_end_ns;
} atf_v2_index_header;

/* index.atf footer (24 reserved bytes at 40..63). */
typedef struct atf_v2_index_footer {
  uint8_t magic[4]; /* "2ITA" */
  uint32_t checksum;
  uint64_t event_count, time_start_ns, time_end_ns, bytes_written;
  int reserved_zero; /* the 24 reserved bytes are all 0 */
} atf_v2_index_footer;

/* detail.atf header (4 reserved bytes at 60..63). */
typedef struct atf_v2_detail_header {
  uint8_t magic[4]; /* "ATD2" */
  uint8_t endian, version, arch, os;
  uint32_t flags, thread_id;
  uint64_t events_offset, event_count, bytes_length;
  uint64_t index_seq_start, index_seq_end;
} atf_v2_detail_header;

/* detail.atf footer: length before the time range, unlike the index's. */
typedef struct atf_v2_detail_footer {
  uint8_t magic[4]; /* "2DTA" */
  uint32_t checksum;
  uint64_t event_count, bytes_length, time_start_ns, time_end_ns;
  int reserved_zero;
} atf_v2_detail_footer;

/* Decode the 64 bytes at P (the caller checked there are 64). No
** validation: see atf_v2_index_file_init. */
void atf_v2_index_header_decode(const uint8_t *p, atf_v2_index_header *out);
void atf_v2_index_footer_decode(const uint8_t *p, atf_v2_index_footer *out);
void atf_v2_detail_header_decode(const uint8_t *p, atf_v2_detail_header *out);
void atf_v2_detail_footer_decode(const uint8_t *p, atf_v2_detail_footer *out);

/* ---- one thread's files ------------------------------------------------ */

/* A disagreement found while opening a file: between the header, the
** footer and the file's size. Rows are still readable (see the rules at
** atf_v2_index_file_init); atf_v2_check_trace reports each one. */
#define ATF_V2_MAX_NOTES 8
typedef struct atf_v2_note {
  const char *code; /* "footer_mismatch", "slot_mismatch", ... */
  uint64_t offset;  /* byte offset in the file, or ATF_NO_OFFSET */
  char message[240];
} atf_v2_note;

/* What opening index.atf found. Records are [64, records_end): record i at
** 64 + 32 i, i < records. */
typedef struct atf_v2_index_file {
  atf_v2_index_header header;
  atf_v2_index_footer footer;
  int header_whole; /* the file has 64 bytes or more */
  int finalized;    /* a footer with its magic where the header says */
  uint64_t records;
  uint64_t records_end;
  uint64_t torn_bytes; /* bytes after the last whole record (unfinalized) */
  uint32_t note_count, notes_dropped;
  atf_v2_note notes[ATF_V2_MAX_NOTES];
} atf_v2_index_file;

/* Validates MAP (index.atf of thread SLOT) and finds its records:
** - fewer than 64 bytes: no records; the bytes present are a torn header
**   (torn_bytes) and must match the start of a header (magic, endian);
** - magic "ATI2", endian 1, version 1, event_size 32 and events_offset 64,
**   else ATF_ERR_FORMAT naming the file, the byte offset of the field and
**   what is there (an endian byte other than 1 is never read as big-endian);
** - finalized when the 4 bytes at footer_offset (64 + 32 N) are "2ITA"
**   with 64 bytes after it: records are those before the footer; a header
**   count, footer count, time range or bytes_written that disagrees with
**   them, a file longer than the footer's end, reserved bytes that are not
**   0: notes, rows still readable (the records the file holds are the
**   truth, the counts are what the writer meant);
** - otherwise unfinalized (the placeholder header, footer_offset 64, or a
**   footer_offset whose footer is not there: a note): records are
**   (size - 64) / 32 rounded down, a partial record after them is a torn
**   tail (torn_bytes);
** - a header thread_id other than SLOT: a note.
** More than 2^32 records is ATF_ERR_RANGE (a rowid holds the record number
** in 32 bits). */
atf_status atf_v2_index_file_init(const atf_map *map, uint32_t slot,
                                  atf_v2_index_file *out, atf_error *err);

/* What opening detail.atf found. Records lie in [64, region_end). */
typedef struct atf_v2_detail_file {
  atf_v2_detail_header header;
  atf_v2_detail_footer footer;
  int header_whole;
  int finalized; /* a footer with its magic at 64 + bytes_length */
  uint64_t region_end;
  uint32_t note_count, notes_dropped;
  atf_v2_note notes[ATF_V2_MAX_NOTES];
} atf_v2_detail_file;

/* Validates MAP (detail.atf of thread SLOT) as atf_v2_index_file_init does
** (magic "ATD2", endian 1, version 1, events_offset 64; ATF_ERR_FORMAT
** otherwise). Finalized when "2DTA" is at 64 + bytes_length with 64 bytes
** after it: the records are the bytes_length bytes before it; otherwise the
** record region runs to the end of the file, whose last record may be cut
** (found by atf_v2_detail_walk). */
atf_status atf_v2_detail_file_init(const atf_map *map, uint32_t slot,
                                   atf_v2_detail_file *out, atf_error *err);

/* Where detail records lie, learnt lazily. A record is found at
** 64 + k * stride while every record seen has the same length (the tracer
** always writes 540 bytes) and its back link confirms it; otherwise the
** records are walked once by their total_length, keeping the offset of
** every ATF_V2_DETAIL_MARK_RECORDS-th record, and a lookup walks at most
** that many from a mark. Memory: none for uniform records; with mixed
** lengths 8 bytes per 256 records (a 10 GB detail file: 0.6 MB at 540 bytes
** a record, 13 MB at the 24-byte minimum). */
#define ATF_V2_DETAIL_MARK_RECORDS 256
typedef struct atf_v2_detail_layout {
  uint32_t stride;     /* total_length of record 0; 0 before it is read */
  int uniform;         /* every walked record has length stride */
  uint64_t walked;     /* records whose offsets are known (walked) */
  uint64_t walk_end;   /* offset just past record walked - 1 */
  int walk_done;       /* the walk reached the region's end */
  uint64_t torn_bytes; /* walk_done: bytes after the last whole record */
  int damaged;         /* walk_done at a length < 24: nothing after it */
  uint64_t damage_offset;
  uint64_t *marks; /* offsets of records 0, 256, 512, ... (mixed lengths) */
  size_t n_marks, cap_marks;
  atf_scan_window window; /* the walk's pages, released behind it */
} atf_v2_detail_layout;

typedef struct atf_v2_thread {
  uint32_t slot;             /* from the directory name thread_<slot> */
  char *dir;                 /* .../thread_<slot> */
  char *index_path;          /* .../thread_<slot>/index.atf */
  char *detail_path;         /* .../thread_<slot>/detail.atf */
  int has_index, has_detail; /* the files exist (and were opened) */
  atf_map index_map, detail_map;
  atf_v2_index_file index;
  atf_v2_detail_file detail;
  atf_v2_detail_layout layout;
  /* ATF_OK, or why the thread's index (then it has no rows) or its detail
  ** (then no row has detail) cannot be read; set only by a lenient open. */
  atf_status index_status, detail_status;
  atf_error index_error, detail_error;
  int owns_maps; /* atf_v2_thread_free closes the maps */
} atf_v2_thread;

/* Opens one thread from maps the caller made (fuzz targets, tests):
** validates both as atf_v2_{index,detail}_file_init, and fails as a strict
** atf_v2_open does. DETAIL may be NULL. The maps are referenced, not
** copied: they must outlive T, and atf_v2_thread_free leaves them open. */
atf_status atf_v2_thread_init_maps(atf_v2_thread *t, uint32_t slot,
                                   const atf_map *index, const atf_map *detail,
                                   atf_error *err);
void atf_v2_thread_free(atf_v2_thread *t);

/* ---- manifest.json ----------------------------------------------------- */

typedef struct atf_v2_manifest_thread {
  uint32_t slot; /* "id" */
  int has_detail;
} atf_v2_manifest_thread;

typedef struct atf_v2_module {
  uint32_t module_id;
  char *path;
  int has_base_address, has_size;
  uint64_t base_address; /* from "0x..." */
  uint64_t size;
  char *uuid; /* NULL when absent */
} atf_v2_module;

typedef struct atf_v2_symbol {
  uint64_t function_id; /* exact, from "0x" + hex; >= 2^63 occurs */
  uint32_t module_id, symbol_index;
  char *name;
} atf_v2_symbol;

typedef struct atf_v2_manifest {
  atf_v2_manifest_thread *threads; /* in document order */
  size_t thread_count;
  atf_opt_u64 time_start_ns, time_end_ns, clock_type;
  char *format_version;
  atf_v2_module *modules; /* document order */
  size_t module_count;
  atf_v2_symbol *symbols; /* document order */
  size_t symbol_count;
  int has_symbols;      /* the "symbols" key is there (a symbol table) */
  uint32_t *by_id;      /* symbol indices sorted by function_id (stable) */
  char *json;           /* the whole text as read, unknown keys included */
  void *root;           /* the parsed document (a cJSON *) */
  atf_json_notes notes; /* what the text holds that JSON forbids (kept) */
} atf_v2_manifest;

/* Parses manifest.json text TEXT[0..LEN) (SOURCE names it in errors).
** Required: "threads" (array of {"id": integer < 2^31, "has_detail": bool})
** and "format_version" (string). Optional, typed when present:
** time_start_ns, time_end_ns, clock_type (unsigned integers), "modules"
** ({"module_id": u32, "path": string, "base_address": "0x" hex string,
** "size": u64, "uuid": string}) and "symbols" ({"function_id": "0x" + 1..16
** hex digits, "module_id": u32, "symbol_index": u32, "name": string}).
** Unknown keys anywhere are kept (in json/root). Integers are exact to 64
** bits (read from their own digits, not from cJSON's double). A key given
** twice in an object that is read, or a NUL character, is an error. The
** text is checked as strict JSON first (atf_json_check, as trace.json:
** what it tolerates is counted in notes).
** Errors: ATF_ERR_JSON (not JSON, with the byte offset), ATF_ERR_MANIFEST
** (key or type, naming the key and its array index). */
atf_status atf_v2_manifest_parse(const char *text, size_t len,
                                 const char *source, atf_v2_manifest *out,
                                 atf_error *err);
/* Reads and parses the file PATH; ATF_ERR_NOT_FOUND when it does not exist
** (a crashed trace). */
atf_status atf_v2_manifest_load(const char *path, atf_v2_manifest *out,
                                atf_error *err);
void atf_v2_manifest_free(atf_v2_manifest *m);

/* The symbol of FUNCTION_ID, O(log n); the first in document order when
** the table repeats an id; NULL when there is none (or no table). */
const atf_v2_symbol *atf_v2_symbol_find(const atf_v2_manifest *m,
                                        uint64_t function_id);
/* Its name, or NULL. */
const char *atf_v2_symbol_name(const atf_v2_manifest *m, uint64_t function_id);
/* The module of MODULE_ID (linear: modules are few), or NULL. */
const atf_v2_module *atf_v2_module_find(const atf_v2_manifest *m,
                                        uint32_t module_id);

/* ---- a whole trace ------------------------------------------------------ */

typedef struct atf_v2_trace {
  char *dir;
  atf_v2_thread *threads; /* sorted by slot */
  size_t thread_count;
  char *manifest_path;        /* DIR/manifest.json */
  int manifest_present;       /* for atf_v2_changed: it existed at open... */
  atf_file_id manifest_id;    /* ...with this identity */
  int has_manifest;           /* manifest.json exists */
  atf_status manifest_status; /* ATF_OK, or why it cannot be read */
  atf_error manifest_error;
  atf_v2_manifest manifest; /* zeroed unless has_manifest and status OK */
  /* Slots the manifest names that have no thread_<slot> directory. */
  uint32_t *missing_slots;
  size_t missing_count;
  uint8_t arch, os; /* of the first readable index header; 0 if none */
  uint64_t records; /* index records readable, all threads */
  uint64_t bytes;   /* 32 * records */
  /* The smallest timestamp among the threads' first records and the largest
  ** among their last records, in file order (O(threads), not a scan:
  ** timestamps can go backwards inside a file); 0 and 0 with no records. */
  uint64_t time_start_ns, time_end_ns;
} atf_v2_trace;

/* Open flags. */
#define ATF_V2_OPEN_LENIENT 0x1 /* see atf_v2_open */
/* Only a manifest.json that does not parse is kept (manifest_status; no
** symbols), as a v4 trace whose trace.json does not parse still reads. */
#define ATF_V2_OPEN_KEEP_BAD_MANIFEST 0x2

/* Opens the v2 trace in directory DIR: every thread_<slot> directory (slot
** a decimal number without leading zeros, at most ATF_V2_MAX_SLOT) with its
** index.atf and, when present, detail.atf mapped read-only (atf_map_open:
** regular files only, never blocking), each validated
** (atf_v2_index_file_init, atf_v2_detail_file_init), and manifest.json
** parsed when present (its absence is not an error: a crashed trace).
** Without ATF_V2_OPEN_LENIENT it fails, naming the file, on the first file
** that cannot be read: a thread file with the wrong magic, endianness,
** version or sizes, a thread directory without index.atf, a slot the
** manifest names that has no directory, a manifest that does not parse.
** With it, such a thread is kept with its status (no rows, or no detail),
** the manifest's status is kept, and the open fails only for DIR itself,
** more than ATF_V2_MAX_THREADS threads, or memory. Torn tails, unfinalized
** files and footer disagreements are never failures (notes; rows read). */
atf_status atf_v2_open(const char *dir, unsigned flags, atf_v2_trace *out,
                       atf_error *err);
void atf_v2_close(atf_v2_trace *t);

/* Whether any of T's files changed (identity, size, mtime) since it was
** opened, or a thread directory or manifest.json appeared or went: the
** caller then opens it again (the rows of a trace are a snapshot). */
int atf_v2_changed(const atf_v2_trace *t);

/* The thread of SLOT (binary search), or NULL. */
atf_v2_thread *atf_v2_thread_of_slot(const atf_v2_trace *t, uint32_t slot);

/* ---- index records --------------------------------------------------------
 */

typedef struct atf_v2_event {
  uint64_t rowid;  /* (slot << 32) | seq: unique, stable as files grow */
  uint32_t slot;   /* of the file (thread_<slot>) */
  uint32_t seq;    /* the record's number in its file (its index_seq) */
  uint64_t offset; /* byte offset in index.atf */
  uint64_t ts_ns;
  uint64_t function_id; /* module_id << 32 | symbol_index */
  uint32_t thread_id;   /* as recorded: the writer's slot */
  uint32_t kind;        /* atf_v2_kind as recorded (other values pass) */
  uint32_t call_depth;  /* a call: depth after entering (outermost 1) */
  uint32_t detail_seq;  /* ATF_V2_NO_DETAIL, or its detail record */
} atf_v2_event;

/* Record SEQ of T, O(1). ATF_ERR_RANGE when SEQ >= the thread's records. */
atf_status atf_v2_event_read(const atf_v2_thread *t, uint64_t seq,
                             atf_v2_event *out, atf_error *err);
/* Decodes the 32 bytes at P as record SEQ of SLOT (no checks). */
void atf_v2_event_decode(const uint8_t *p, uint32_t slot, uint64_t seq,
                         atf_v2_event *out);
/* The record a rowid names: ATF_ERR_RANGE when no thread has that slot or
** the record is beyond it (a rowid that names no row). */
atf_status atf_v2_event_by_rowid(const atf_v2_trace *t, uint64_t rowid,
                                 atf_v2_event *out, atf_error *err);

/* ---- detail records ---------------------------------------------------- */

typedef struct atf_v2_detail {
  uint64_t seq;    /* k: its position among the thread's detail records */
  uint64_t offset; /* byte offset in detail.atf */
  /* record header */
  uint32_t total_length;
  uint16_t event_type; /* 3 call, 4 return */
  uint16_t flags;
  uint32_t index_seq; /* back link: the index record it belongs to */
  uint32_t thread_id; /* the slot */
  uint64_t timestamp;
  const uint8_t *payload; /* into the mapping */
  uint32_t payload_len;   /* total_length - 24 */
  /* The DetailEvent payload, when payload_len >= 252 (has_payload). */
  int has_payload;
  uint64_t p_timestamp, p_function_id;
  uint32_t os_thread_id; /* the OS thread id the agent read */
  uint32_t p_event_kind, p_call_depth;
  uint64_t x_regs[8], lr, fp, sp;
  uint32_t stack_size; /* as recorded */
  atf_bytes stack;     /* its stack_size valid bytes; empty when damaged */
  int stack_damaged;   /* stack_size > ATF_V2_STACK_MAX */
} atf_v2_detail;

/* Record K of T's detail.atf (see atf_v2_detail_layout for the cost).
** ATF_OK; ATF_END when there is no whole record K (past the last one, or
** past a length < 24, which is damage that atf_v2_check_trace reports);
** ATF_ERR_RANGE when T has no readable detail file. */
atf_status atf_v2_detail_at(atf_v2_thread *t, uint64_t k, atf_v2_detail *out,
                            atf_error *err);

/* How an index record and a detail record link. */
typedef enum atf_v2_link {
  ATF_V2_LINK_NONE = 0, /* detail_seq is ATF_V2_NO_DETAIL */
  ATF_V2_LINK_OK,       /* record k exists and links back (index_seq) */
  ATF_V2_LINK_DANGLING, /* no record k (or no detail file) */
  ATF_V2_LINK_MISMATCH  /* record k's index_seq names another record */
} atf_v2_link;

/* The detail of index record EV (of thread T, from atf_v2_event_read or
** the merge): *LINK tells which case holds; OUT is filled only for
** ATF_V2_LINK_OK, so that a row never shows another event's detail: the
** record must name EV as its index record (index_seq). While record
** lengths are uniform the record is taken at 64 + k * stride when it links
** back so and carries EV's timestamp (O(1), no walk); otherwise its exact
** place comes from the walk (atf_v2_detail_at).
** Returns ATF_OK whatever the link (errors: none but ATF_ERR_NOMEM). */
atf_status atf_v2_detail_of(atf_v2_trace *t, const atf_v2_event *ev,
                            atf_v2_detail *out, atf_v2_link *link,
                            atf_error *err);
/* The same with the thread given. */
atf_status atf_v2_thread_detail_of(atf_v2_thread *t, const atf_v2_event *ev,
                                   atf_v2_detail *out, atf_v2_link *link,
                                   atf_error *err);

/* Walks T's detail records to the end of the region (once; later calls
** return at once): afterwards t->layout says how many whole records there
** are (walked), a torn tail, or damage. ATF_ERR_NOMEM only. */
atf_status atf_v2_detail_walk(atf_v2_thread *t, atf_error *err);

/* Decodes the detail record at P (AVAIL bytes readable from P, which holds
** its whole total_length) into OUT: header, then the payload when it is
** long enough. ATF_ERR_FORMAT when total_length < 24 or > AVAIL. */
atf_status atf_v2_detail_decode(const uint8_t *p, uint64_t avail,
                                uint64_t offset, atf_v2_detail *out,
                                atf_error *err);

/* ---- registers ----------------------------------------------------------- */

typedef struct atf_v2_register {
  const char *name; /* static string */
  uint64_t value;
} atf_v2_register;

#define ATF_V2_MAX_REGISTERS 11

/* The registers D holds, named for ARCH (the trace's header arch), in this
** order; the set depends on the payload's event kind (p_event_kind):
**   x86_64 call:   rdi rsi rdx rcx r8 r9 rbp rsp   = x_regs[0..7]
**   x86_64 return: rax = x_regs[0], rsp = sp
**   arm64 call:    x0..x7 = x_regs[0..7], lr, fp, sp
**   arm64 return:  x0 = x_regs[0], sp
**   other arch:    x_regs0..x_regs7, lr, fp, sp (raw, whatever the kind)
** A kind other than return (call, exception, unknown) gets the call set.
** On x86_64 the agent writes rbp and rsp again into fp and sp; they are not
** repeated under other names (D keeps the raw fields). Returns the count
** (0 when D has no payload). */
size_t atf_v2_registers(uint8_t arch, const atf_v2_detail *d,
                        atf_v2_register out[ATF_V2_MAX_REGISTERS]);

/* ---- merge: all threads by timestamp ----------------------------------- */

/* A k-way merge of the threads' index records: each file read in its own
** order; the next row is the head with the smallest timestamp, ties broken
** by slot (then record number, within one file). A merge, not a sort:
** timestamps going backwards inside a file stay in file order. A binary
** heap of the thread heads: O(log k) per record, no allocation per record.
** The records counted at open are the snapshot merged. */
typedef struct atf_v2_merge_head {
  uint64_t ts;
  uint32_t slot;
  uint32_t thread; /* index into trace->threads */
} atf_v2_merge_head;

typedef struct atf_v2_merge {
  const atf_v2_trace *trace;
  atf_v2_merge_head *heap;
  size_t heap_len;
  uint64_t *next;           /* per thread: the next record to read */
  atf_scan_window *windows; /* per thread: its index file read ahead and,
                               past ATF_KEEP_MAPPED_BYTES, released behind */
  uint64_t emitted;
} atf_v2_merge;

/* Starts a merge over T's threads, or only those whose slot is among
** SLOTS[0..N_SLOTS) when SLOTS is non-NULL. ATF_ERR_NOMEM only. */
atf_status atf_v2_merge_init(atf_v2_merge *m, const atf_v2_trace *t,
                             const uint32_t *slots, size_t n_slots,
                             atf_error *err);
/* The next record in merge order: ATF_OK, or ATF_END after the last. */
atf_status atf_v2_merge_next(atf_v2_merge *m, atf_v2_event *out);
void atf_v2_merge_free(atf_v2_merge *m);

/* ---- twins: a call recorded twice ---------------------------------------- */

/* Real sessions can hold each event twice in one thread file: once from
** the index lane without detail, once from the detail lane with detail and
** a timestamp taken a little later. The drain writes the lanes in batches
** of any size, so the two copies can be far apart, in either file order.
** The records of a file without detail and those with detail are two
** lanes, each in file order (and in time order, as a lane is drained);
** twins are found by merging them by timestamp, two heads at a time:
**   - the heads are twins when they have the same function id, kind and
**     call depth and the one with detail is 0 to ATF_V2_TWIN_WINDOW_NS
**     later, and not later than the index lane's next record (the agent
**     takes both copies before the thread goes on; not checked where the
**     clock went back);
**   - else the earlier head has no twin (the one without detail on a tie)
**     and the merge moves past it - unless its twin is among the next
**     ATF_V2_TWIN_LOOKAHEAD records of the other lane (a clock that went
**     back, a record the other lane never got): then the other head has
**     none.
** A record without a copy (a return while the flight recorder is off, an
** event a lane dropped) is passed over that way; each record belongs to at
** most one pair. Copies ATF_V2_TWIN_REACH or more records apart are not
** found (the bound keeps the pages read ahead few; beyond it a batch's
** events count twice, and with a clock that also steps back often, the
** merge can pair copies of different events or fall out of step). A thread without a
** detail file has no twins. The call tables keep the copy without detail
** (its timestamp is the event's) and read the other's detail record as
** its registers. Memory: about 1 KB; time: linear in the file. */
#define ATF_V2_TWIN_WINDOW_NS 1000
#define ATF_V2_TWIN_LOOKAHEAD 64
#define ATF_V2_TWIN_REACH (1u << 18) /* 8 MiB of index.atf */

typedef struct atf_v2_twin_lane {
  uint64_t scan;   /* the next record of the file to look at */
  uint32_t ring[ATF_V2_TWIN_LOOKAHEAD + 2]; /* next undecided, head first */
  uint32_t first, count;
  uint64_t pushed;    /* records of the lane put in the ring so far */
  uint64_t pushed_ts; /* the last one's timestamp */
  uint64_t last_step; /* the ordinal of the last that went back in time */
  int decided;        /* the fields below hold the last record decided */
  uint32_t last;      /* its number */
  int last_paired;    /* it has a twin: */
  uint32_t last_twin; /* the twin's number */
  uint64_t last_ts;
} atf_v2_twin_lane;

typedef struct atf_v2_twin_merge {
  atf_v2_twin_lane lane[2]; /* [0] without detail, [1] with detail */
} atf_v2_twin_merge;

typedef struct atf_v2_twins {
  const atf_v2_thread *thread;
  /* One merge for questions about records without detail, one for those
  ** with: each is asked in its lane's file order, so neither has to
  ** remember answers it found ahead for the other. */
  atf_v2_twin_merge merge[2];
} atf_v2_twins;

/* Finds the twins of T's file (which must outlive TW). */
void atf_v2_twins_init(atf_v2_twins *tw, const atf_v2_thread *t);
/* Whether record EV (read from the thread's file) has a twin: 1 and *TWIN
** = the twin's record number, else 0. Each record costs O(1) when the
** records are asked about in file order; asking about an earlier record
** starts the merge over. */
int atf_v2_twins_find(atf_v2_twins *tw, const atf_v2_event *ev,
                      uint32_t *twin);
/* The record number the call tables keep for record EV of T: EV's own, or
** its twin's when EV is the copy with detail of a pair. O(records before
** EV in the file). */
uint32_t atf_v2_twin_kept(const atf_v2_thread *t, const atf_v2_event *ev);

/* ---- checking a whole v2 trace ------------------------------------------ */

typedef struct atf_v2_check_summary {
  uint64_t threads;    /* thread directories */
  uint64_t events;     /* index records readable */
  uint64_t bytes;      /* their bytes (32 each) */
  uint64_t details;    /* whole detail records */
  uint64_t torn_bytes; /* torn tails, all files */
  uint64_t dangling;   /* links that dangle or mismatch, both directions */
  uint64_t twins;      /* pairs of twin records */
  uint64_t backwards;  /* records older than the one before in the file */
  uint64_t unreadable; /* files that cannot be read */
  uint64_t orphans;    /* returns that pair with no open call */
  int has_ts;
  uint64_t first_ts, last_ts; /* in merge order */
  uint64_t min_ts, max_ts;
} atf_v2_check_summary;

/* Reads all of the v2 trace DIR (opened leniently) and reports through FN
** (atf_finding, one per problem; the message names the file and the byte
** offset; OFFSET is the byte offset in that file, or ATF_NO_OFFSET). Codes:
**   error:   bad_magic, bad_endian, bad_header (version, sizes, offsets,
**            more than 2^32 records), unreadable_file (not a regular file,
**            cannot be mapped), missing_thread (the manifest names it, no
**            thread_<n> directory), missing_thread_file (a thread directory
**            without index.atf), bad_manifest, bad_detail_length
**            (total_length < 24: the detail records after it cannot be
**            found), stack_size_out_of_range, short_detail_payload
**   warning: not_finalized (a placeholder header or a file without even a
**            header; no manifest.json), torn_tail, footer_mismatch (header,
**            footer and file disagree), header_mismatch (arch/os differ
**            between files), slot_mismatch, dangling_detail_link (index ->
**            detail and detail -> index), detail_mismatch (timestamp,
**            function, kind or depth differ between linked records),
**            unlisted_thread (on disk, not in the manifest), duplicate_event
**            (twins, see atf_v2_twins), ts_backwards, unknown_event_kind,
**            symbol_id_mismatch (function_id is not module_id << 32 |
**            symbol_index), duplicate_symbol, invalid_utf8 (a symbol name or
**            module path), orphan_return (a return, not the second of a
**            twin pair, that pairs with no open call, as the walker pairs)
** SUM gets the totals. STOP (may be NULL) is asked as a long pass asks
** (atf_interrupt). Returns ATF_OK unless DIR cannot be opened as a v2
** trace at all (missing, not a directory, no thread_<n> and no manifest,
** more than ATF_V2_MAX_THREADS threads), memory runs out, or STOP stops
** it (ATF_ERR_INTERRUPTED). */
atf_status atf_v2_check_trace(const char *dir, atf_finding_fn fn, void *user,
                              const atf_interrupt *stop,
                              atf_v2_check_summary *sum, atf_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ATF_V2_H */
