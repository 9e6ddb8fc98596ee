"""Runs the code blocks of README.md as written, so a broken example fails.

usage: readme_blocks.py LANG README SOURCE_DIR BUILD_DIR WORK_DIR

The convention (README.md's own authors follow it):

  Every fenced block whose info string starts with one of these languages
  runs, from a folder laid out like the repository root (each top-level entry
  of the source tree linked there, and build/ linked to the build under
  test), so that `./build/atf` and `tests/fixtures/...` mean what they mean
  to a reader in the repository:

    ```sql      the sqlite3 shell, `sqlite3 -bail :memory:` with the block on
                stdin; a block without a `.load` line of its own runs after
                `.load ./build/atf`, as in a session that loaded it
    ```python   the python of the virtual environment that has atf_sqlite
                installed (Debian's python3, system site packages: pandas)
    ```js       node, with `atf-sqlite` and `better-sqlite3` resolvable as in
                a project that installed them
    ```c        a complete program: its first line is a comment
                `/* build: cc -o NAME NAME.c ... */`, the command that builds
                it (pkg-config finds the atf-reader of this build's install
                prefix); it is written to NAME.c, built, and ./NAME is run
    ```sh       bash -euo pipefail

  The word `norun` after the language (```sql norun) shows a block without
  running it: a fragment, or commands that install packages or take long.
  Blocks of other languages (text, json, protobuf, none) never run.

A test per language (CTest: readme__<lang>_blocks__then_run) fails when a
block fails or when the README has no runnable block of that language.
"""
import os
import re
import shlex
import subprocess
import sys

RUNNABLE = ("sql", "python", "js", "c", "sh")
FENCE = re.compile(r"^(```+|~~~+)\s*([^`\s]*)\s*(.*)$")


def blocks(readme):
    """Yields (line number, language, flags, text) for each fenced block."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, rest = m.group(1), m.group(2).lower(), m.group(3)
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        yield start, lang, rest.split(), "\n".join(body) + "\n"


def lay_out(source, build, work, lang):
    """WORK/readme-LANG: the repository's top level, with build/ the build under
    test, and node_modules/ as an npm project that installed atf-sqlite."""
    root = os.path.join(work, "readme-" + lang)
    os.makedirs(root, exist_ok=True)
    for name in os.listdir(source):
        if name in ("build", ".git", "node_modules"):
            continue
        link = os.path.join(root, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(source, name), link)
    if not os.path.lexists(os.path.join(root, "build")):
        os.symlink(build, os.path.join(root, "build"))
    modules = os.path.join(root, "node_modules")
    os.makedirs(modules, exist_ok=True)
    for name, target in (("atf-sqlite", os.path.join(source, "node")),
                         ("better-sqlite3", os.path.join(
                             source, "node", "node_modules", "better-sqlite3"))):
        if not os.path.lexists(os.path.join(modules, name)):
            os.symlink(target, os.path.join(modules, name))
    return root


def command_for(lang, text, root, work, n):
    """The command that runs one block, and the stdin it gets."""
    if lang == "sql":
        preload = [] if re.search(r"^\s*\.load\b", text, re.M) else \
            ["-cmd", ".load ./build/atf"]
        return ["sqlite3", "-bail", "-batch"] + preload + [":memory:"], text
    if lang == "python":
        python = os.path.join(work, "venv", "bin", "python")
        return [python, "-"], text
    if lang == "js":
        path = os.path.join(root, "readme_block_%d.js" % n)
        with open(path, "w") as f:
            f.write(text)
        return ["node", path], ""
    if lang == "c":
        first = text.split("\n", 1)[0]
        m = re.match(r"^\s*/\*\s*build:\s*(.*?)\s*\*/\s*$", first)
        if not m:
            raise SystemExit("a c block must start with /* build: cc ... */")
        build = m.group(1)
        words = shlex.split(build)
        source = next(w for w in words if w.endswith(".c"))
        program = words[words.index("-o") + 1]
        with open(os.path.join(root, source), "w") as f:
            f.write(text)
        return ["bash", "-euo", "pipefail", "-c",
                "%s && ./%s" % (build, shlex.quote(program))], ""
    return ["bash", "-euo", "pipefail"], text


def main():
    lang, readme, source, build, work = sys.argv[1:6]
    root = lay_out(source, build, work, lang)
    env = dict(os.environ)
    prefix = os.path.join(work, "prefix")
    for sub in ("lib", "lib64"):
        pc = os.path.join(prefix, sub, "pkgconfig")
        if os.path.isdir(pc):
            env["PKG_CONFIG_PATH"] = pc
            env["LD_LIBRARY_PATH"] = os.path.join(prefix, sub)
    env["ATF_SQLITE_EXTENSION"] = os.path.join(build, "atf.so")
    ran = failed = 0
    for n, (line, block_lang, flags, text) in enumerate(blocks(readme)):
        if block_lang != lang or "norun" in flags:
            continue
        argv, stdin = command_for(lang, text, root, work, n)
        run = subprocess.run(argv, input=stdin, cwd=root, env=env, text=True,
                             capture_output=True, timeout=300)
        ran += 1
        where = "%s:%d (```%s)" % (readme, line, lang)
        if run.returncode != 0:
            failed += 1
            print("FAILED %s, exit %d\n--- block\n%s--- stdout\n%s--- stderr\n%s"
                  % (where, run.returncode, text, run.stdout, run.stderr))
        else:
            print("ran %s: %d lines of output" % (where, run.stdout.count("\n")))
    if ran == 0:
        print("README.md has no runnable ```%s block" % lang)
        return 1
    print("%d passed, %d failed" % (ran - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
