#!/bin/bash
# `cmake --install` as a user runs it, then programs built against what it
# installed, found only through pkg-config.
#
#   install_test.sh install BUILD_DIR PREFIX
#       installs into PREFIX (emptied first): the fixture of the other cases
#   install_test.sh pkgconfig PREFIX SOURCE_DIR TRACE
#       every file in place; each public header compiles alone; a program
#       built with `pkg-config --cflags --libs atf-reader` (shared) and one
#       linked with libatf_reader.a (static) print the same counts as SQL;
#       the installed extension, found by `pkg-config --variable=extension`,
#       loads in the sqlite3 shell
set -euo pipefail
case $1 in
install)
  build=$2 prefix=$3
  rm -rf "$prefix"
  cmake --install "$build" --prefix "$prefix"
  ;;
pkgconfig)
  prefix=$2 src=$3 trace=$4
  pcdir=$(dirname "$(find "$prefix" -name atf-reader.pc)")
  export PKG_CONFIG_PATH=$pcdir
  libdir=$(pkg-config --variable=libdir atf-reader)
  includedir=$(pkg-config --variable=includedir atf-reader)
  ext=$(pkg-config --variable=extension atf-reader)
  for f in "$libdir/libatf_reader.a" "$libdir/libatf_reader.so" \
           "$includedir/atf_reader.h" "$ext.so"; do
    [ -f "$f" ] || { echo "not installed: $f" >&2; exit 1; }
  done
  [ ! -e "$includedir/internal.h" ] || { echo "internal.h installed" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # Each public header stands alone.
  for h in "$includedir"/*.h; do
    echo "#include <$(basename "$h")>" >"$work/one.c"
    cc -std=c11 -Wall -Wextra -Werror -fsyntax-only $(pkg-config --cflags atf-reader) "$work/one.c"
  done
  cc -std=c11 -Wall -Wextra -Werror -o "$work/shared" "$src/tests/clients/pkgconfig_client.c" \
    $(pkg-config --cflags --libs atf-reader) -Wl,-rpath,"$libdir"
  cc -std=c11 -Wall -Wextra -Werror -o "$work/static" "$src/tests/clients/pkgconfig_client.c" \
    $(pkg-config --cflags atf-reader) "$libdir/libatf_reader.a" \
    $(pkg-config --libs-only-l --static atf-reader | sed 's/-latf_reader//')
  # grep reads ldd's whole output (no -q in a pipe: under pipefail an early
  # exit makes ldd die of SIGPIPE and the pipe fail now and then).
  shared_libs=$(ldd "$work/shared") static_libs=$(ldd "$work/static")
  grep -qF "$libdir/libatf_reader.so" <<<"$shared_libs" ||
    { echo "the shared build does not use $libdir/libatf_reader.so" >&2; echo "$shared_libs" >&2; exit 1; }
  ! grep -q libatf_reader <<<"$static_libs" ||
    { echo "the static build links libatf_reader.so" >&2; exit 1; }
  want=$(sqlite3 -batch :memory: ".load $ext" \
    "SELECT kind, count(*) FROM atf_events('$trace') GROUP BY kind ORDER BY kind")
  for prog in shared static; do
    got=$("$work/$prog" "$trace")
    if [ "$got" != "$want" ]; then
      echo "$prog program: got"; echo "$got"; echo "expected (SQL)"; echo "$want"
      exit 1
    fi
  done
  echo "installed under $prefix; shared and static programs agree with SQL:"
  echo "$want"
  ;;
*) echo "usage: install_test.sh install|pkgconfig ..." >&2; exit 2 ;;
esac
