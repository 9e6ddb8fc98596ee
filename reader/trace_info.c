/*
** trace_info.c - what a trace says of its process (atf_reader.h): its pid,
** its executable and its first timestamp, for exports that name the
** process and rebase time.
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The pid of the pid_N directory holding EVENTS_PATH (atf_dir_pid). */
static int events_folder_pid(const char *events_path, int64_t *pid) {
  char *dir = atf_strdup(events_path), *slash;
  int ok;
  if (!dir) return 0;
  slash = strrchr(dir, '/');
  if (slash)
    *slash = 0;
  else
    strcpy(dir, ".");
  ok = atf_dir_pid(dir, pid);
  free(dir);
  return ok;
}

/* An ATF v2 trace: the pid_N folder's pid, the smallest first timestamp of
** its threads (where the merge starts); v2 names no executable. */
static atf_status info_v2(const char *dir, atf_trace_info *out,
                          atf_error *err) {
  atf_v2_trace t;
  atf_status rc = atf_v2_open(dir, ATF_V2_OPEN_LENIENT, &t, err);
  if (rc != ATF_OK) return rc;
  if (atf_dir_pid(dir, &out->pid)) out->has_pid = out->pid_from_folder = 1;
  if (t.records) {
    out->has_first_ts = 1;
    out->first_ts = (int64_t)t.time_start_ns;
  }
  atf_v2_close(&t);
  return ATF_OK;
}

atf_status atf_trace_info_read(const char *trace, atf_trace_info *out,
                               atf_error *err) {
  atf_trace_paths paths;
  atf_manifest manifest;
  atf_map map;
  atf_iter it;
  atf_record rec;
  atf_event ev;
  atf_payload pl;
  atf_error ignored;
  atf_status rc;
  atf_format_info format;
  int want_exe = 1;
  memset(out, 0, sizeof *out);
  if (atf_format_detect(trace, &format, &ignored) == ATF_OK &&
      format.format == ATF_FORMAT_V2) {
    rc = info_v2(format.dir, out, err);
    atf_format_info_free(&format);
    return rc;
  }
  atf_format_info_free(&format);
  if ((rc = atf_trace_paths_resolve(trace, &paths, err)) != ATF_OK) return rc;
  if (atf_manifest_load(paths.manifest_path, &manifest, &ignored) == ATF_OK) {
    if (manifest.has_pid) {
      out->has_pid = 1;
      out->pid = manifest.pid;
    }
    atf_manifest_free(&manifest);
  }
  if (!out->has_pid && events_folder_pid(paths.events_path, &out->pid))
    out->has_pid = out->pid_from_folder = 1;
  if ((rc = atf_map_open(paths.events_path, &map, err)) != ATF_OK) {
    atf_trace_paths_free(&paths);
    return rc;
  }
  atf_iter_init(&it, &map);
  while ((want_exe || !out->has_first_ts) &&
         atf_iter_next(&it, &rec, &ignored) == ATF_OK) {
    if (it.records_read > ATF_INDEX_BLOCK_RECORDS) want_exe = 0;
    if (atf_event_decode(&rec, &ev, &ignored) != ATF_OK) continue;
    if (ev.has_timestamp && !out->has_first_ts) {
      out->has_first_ts = 1;
      out->first_ts = ev.ts_ns;
    }
    if (want_exe && ev.kind == ATF_KIND_TRACE_START &&
        atf_payload_decode(&ev, &pl, &ignored) == ATF_OK) {
      want_exe = 0;
      out->executable = malloc(pl.executable_path.len + 1);
      if (!out->executable) {
        rc = atf_fail(err, ATF_ERR_NOMEM, ATF_NO_OFFSET, "out of memory");
        break;
      }
      if (pl.executable_path.len)
        memcpy(out->executable, pl.executable_path.ptr, pl.executable_path.len);
      out->executable[pl.executable_path.len] = 0;
      out->executable_len = pl.executable_path.len;
    }
  }
  atf_map_close(&map);
  atf_trace_paths_free(&paths);
  if (rc != ATF_OK) atf_trace_info_free(out);
  return rc;
}

void atf_trace_info_free(atf_trace_info *info) {
  free(info->executable);
  memset(info, 0, sizeof *info);
}
