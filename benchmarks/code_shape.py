"""The shape of the code: files, lines, the largest files and the longest functions of the
engine (optimise/) and the problems (problems/), for the redesign's before/after figures.

    .venv/bin/python benchmarks/code_shape.py [ROOT]    # ROOT: a checkout (default: this one)

Prints a table and writes it to benchmarks/results/code_shape.md (only for this checkout).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def shape(root: Path) -> list[str]:
    files = sorted(p for d in ("optimise", "problems") for p in (root / d).rglob("*.py"))
    sizes = sorted(((len(p.read_text().splitlines()), str(p.relative_to(root))) for p in files), reverse=True)
    functions = []
    for p in files:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append((node.end_lineno - node.lineno + 1, f"{p.relative_to(root)}:{node.name}"))
    functions.sort(reverse=True)
    lines = [f"# Code shape of {root.name}", "", f"{len(files)} files, {sum(n for n, _ in sizes):,} lines", "",
             "| largest files | lines |", "|---|---|"]
    lines += [f"| {name} | {n} |" for n, name in sizes[:5]]
    lines += ["", "| longest functions | lines |", "|---|---|"]
    lines += [f"| {name} | {n} |" for n, name in functions[:5]]
    return lines


def main() -> int:
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE
    text = "\n".join(shape(root)) + "\n"
    print(text)
    if root == HERE:
        (HERE / "benchmarks" / "results" / "code_shape.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
