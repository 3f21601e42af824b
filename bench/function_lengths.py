"""Function lengths and module sizes of the package, read with `ast` (how readable is the code to change?).

    python bench/function_lengths.py [PACKAGE_DIR ...]      # default: assistant/

Prints, per package directory: how many functions and methods, the median and 90th percentile of their length
in lines (decorators to last line, docstring included), the longest ones, and the largest module. Give two
directories (e.g. an older checkout's package beside this one) to compare them side by side.
"""

from __future__ import annotations

import ast
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"


@dataclass(frozen=True)
class Figures:
    functions: int
    median: float
    p90: float
    over_30: int
    longest: list[tuple[int, str]]
    largest_module: tuple[int, str]


def function_lengths(source: str, module: str) -> list[tuple[int, str]]:
    """(lines, qualified name) of every function and method in one module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            found.append((node.end_lineno - first + 1, f"{module}:{node.name}"))
    return found


def figures(package: Path) -> Figures:
    lengths: list[tuple[int, str]] = []
    modules: list[tuple[int, str]] = []
    for path in sorted(package.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        modules.append((len(source.splitlines()), path.name))
        lengths += function_lengths(source, path.stem)
    values = sorted(n for n, _ in lengths)
    p90 = statistics.quantiles(values, n=10, method="inclusive")[-1]
    over_30 = sum(n > 30 for n in values)
    longest = sorted(lengths, reverse=True)[:5]
    return Figures(len(values), statistics.median(values), p90, over_30, longest, max(modules))


def main(argv: list[str]) -> None:
    for package in [Path(a) for a in argv] or [PACKAGE]:
        f = figures(package)
        print(
            f"{package}: {f.functions} functions, median {f.median:g} lines, p90 {f.p90:.1f} lines, "
            f"{f.over_30} over 30 lines; "
            f"largest module {f.largest_module[1]} ({f.largest_module[0]} lines)"
        )
        print("  longest: " + ", ".join(f"{name} ({n})" for n, name in f.longest))


if __name__ == "__main__":
    main(sys.argv[1:])
