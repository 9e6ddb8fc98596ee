#!/bin/bash
# Installs the atf_sqlite package as its README says, without network: a
# virtual environment of Debian's python3 (with the system's site packages:
# setuptools' wheel, and pandas and Jupyter where installed), then
# `pip install --no-build-isolation --no-index` of a copy of python/ (so
# that pip's in-tree build leaves the sources alone), with this build's
# extension.
# usage: python_venv.sh SOURCE_DIR BUILD_DIR VENV
set -euo pipefail
src=$1 build=$2 venv=$3
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r "$src/python" "$copy/python"
ATF_SQLITE_EXTENSION="$build/atf.so" \
  "$venv/bin/pip" install --quiet --no-build-isolation --no-index "$copy/python"
"$venv/bin/python" -c 'import atf_sqlite; print("installed", atf_sqlite.__version__, "at", atf_sqlite.loadable_path())'
