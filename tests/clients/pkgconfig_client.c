/*
** pkgconfig_client.c - a program built against the installed reader with
** `pkg-config --cflags --libs atf-reader`: prints "kind|count" for each
** kind of event in a trace, sorted by kind, as SQL's GROUP BY would.
** usage: pkgconfig_client TRACE_DIR
*/
#include <atf_reader.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  atf_trace_paths paths;
  atf_map map;
  atf_iter it;
  atf_record rec;
  atf_event ev;
  atf_error err;
  unsigned long counts[ATF_KIND_SIGNAL_DELIVERY + 1] = {0};
  const char *names[ATF_KIND_SIGNAL_DELIVERY + 1];
  int order[ATF_KIND_SIGNAL_DELIVERY + 1], n = 0;
  atf_status st;
  if (argc != 2) {
    fprintf(stderr, "usage: %s TRACE_DIR\n", argv[0]);
    return 2;
  }
  if (atf_trace_paths_resolve(argv[1], &paths, &err) != ATF_OK ||
      atf_map_open(paths.events_path, &map, &err) != ATF_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  atf_iter_init(&it, &map);
  while ((st = atf_iter_next(&it, &rec, &err)) == ATF_OK) {
    if (atf_event_decode(&rec, &ev, &err) != ATF_OK) break;
    if (ev.kind >= ATF_KIND_TRACE_START && ev.kind <= ATF_KIND_SIGNAL_DELIVERY)
      counts[ev.kind]++;
  }
  if (st != ATF_END) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  for (int k = ATF_KIND_TRACE_START; k <= ATF_KIND_SIGNAL_DELIVERY; k++) {
    if (!counts[k]) continue;
    names[k] = atf_kind_name((atf_kind)k);
    int i = n++;
    while (i > 0 && strcmp(names[order[i - 1]], names[k]) > 0) {
      order[i] = order[i - 1];
      i--;
    }
    order[i] = k;
  }
  for (int i = 0; i < n; i++)
    printf("%s|%lu\n", names[order[i]], counts[order[i]]);
  atf_map_close(&map);
  atf_trace_paths_free(&paths);
  return 0;
}
