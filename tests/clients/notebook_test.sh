#!/bin/bash
# examples/demo.ipynb executed headless, as a user with Debian's Jupyter
# runs it: the venv of python_venv.sh (Debian's python3 with atf_sqlite)
# registered as the kernel `atf-sqlite` in a private Jupyter path, then
# `jupyter nbconvert --execute`. Passes when every cell ran without error
# and the answers hold what the fixture holds (checked by notebook_check.py).
# usage: notebook_test.sh SOURCE_DIR VENV WORK_DIR
set -euo pipefail
src=$1 venv=$2 work=$3
command -v jupyter >/dev/null && jupyter nbconvert --version >/dev/null 2>&1 || {
  echo "jupyter nbconvert missing: scripts/test-clients installs Debian's jupyter-nbconvert" >&2
  exit 1
}
rm -rf "$work"
mkdir -p "$work"
"$venv/bin/python" -m ipykernel install --prefix "$work/jupyter" \
  --name atf-sqlite --display-name "Python 3 (atf-sqlite)" >/dev/null
# The notebook runs in its own folder (relative trace path), the executed
# copy goes to WORK_DIR.
JUPYTER_PATH="$work/jupyter/share/jupyter" JUPYTER_CONFIG_DIR="$work/config" \
  JUPYTER_RUNTIME_DIR="$work/runtime" IPYTHONDIR="$work/ipython" \
  jupyter nbconvert --to notebook --execute \
  --ExecutePreprocessor.timeout=120 \
  --output-dir "$work" --output demo.executed.ipynb "$src/examples/demo.ipynb"
/usr/bin/python3 "$(dirname "$0")/notebook_check.py" "$work/demo.executed.ipynb"
