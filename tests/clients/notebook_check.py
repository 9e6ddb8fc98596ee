"""Checks an executed examples/demo.ipynb: every code cell ran, none raised,
and the answers show what the bundled trace holds (SIGSEGV on thread 2,
parse_args' return values, pid 4242, a kernel-range address read back
exactly as unsigned).

usage: notebook_check.py EXECUTED_NOTEBOOK
"""
import json
import sys

nb = json.load(open(sys.argv[1]))
problems = []
texts = []
for i, cell in enumerate(nb["cells"]):
    if cell["cell_type"] != "code":
        continue
    if cell.get("execution_count") is None:
        problems.append("cell %d did not run" % i)
    if not cell.get("outputs"):
        problems.append("cell %d has no output" % i)
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            problems.append("cell %d: %s: %s" % (i, out["ename"], out["evalue"]))
        data = out.get("data", {})
        texts.append("".join(data.get("text/plain", "")))
        texts.append("".join(out.get("text", "")))
text = "\n".join(texts)
# What the fixture holds, in the shapes the cells print.
for needle in ["SIGSEGV", "parse_args", "4242", "std::vector<int>::push_back",
               "0xffffffff81000019", "18446744073709551615"]:
    if needle not in text:
        problems.append("no %r in the outputs" % needle)
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print("%s: %d code cells ran, answers as expected"
      % (sys.argv[1], sum(c["cell_type"] == "code" for c in nb["cells"])))
