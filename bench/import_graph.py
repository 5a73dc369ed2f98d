"""The package-level import graph of commsbot and adapters, and whether it has a cycle.

Counts every import, also those inside functions and under ``TYPE_CHECKING`` (grimp, the
library behind ``lint-imports``, reads them all). Prints one line per package with the
packages it imports, then the cycles (strongly connected groups of more than one package),
the widest port (methods and properties of a ``Protocol`` class) and the modules outside
``commsbot/store`` that import SQLAlchemy or SQLModel. Exits 1 when there is a cycle or SQL
outside the store.

``python bench/import_graph.py``; ``--root DIR`` reads another checkout (an older commit, to
compare); ``--write`` also writes the section "Import graph" of docs/benchmarks.md (not a
timing: the figures are counts).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent

#: Packages are ``commsbot.<name>`` and ``adapters.<name>``: the level the contracts name.
DEPTH = 2


def package(module: str) -> str:
    return ".".join(module.split(".")[:DEPTH])


def edges() -> dict[str, set[str]]:
    graph = grimp.build_graph("commsbot", "adapters", cache_dir=None)
    found: dict[str, set[str]] = defaultdict(set)
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = package(importer), package(imported)
            if a != b and "." in b:  # the root package itself (__version__) is no package
                found[a].add(b)
        if "." in package(importer):
            found.setdefault(package(importer), set())
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def sql_outside_store() -> list[str]:
    """Modules of commsbot and adapters, outside commsbot.store, that import SQL libraries.

    The composition root is left out: it holds the engine (a type, under TYPE_CHECKING) that
    it hands to the store.
    """
    graph = grimp.build_graph(
        "commsbot", "adapters", cache_dir=None, include_external_packages=True
    )
    return sorted(
        m
        for m in graph.modules
        if m.startswith(("commsbot.", "adapters."))
        and not m.startswith("commsbot.store")
        and m != "commsbot.bootstrap"
        and graph.find_modules_directly_imported_by(m) & {"sqlalchemy", "sqlmodel"}
    )


def widest_port(root: Path) -> tuple[int, str]:
    """(members, ``module:Class``) of the Protocol class with the most methods/properties."""
    best = (0, "")
    for path in sorted((root / "commsbot").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            if not any(getattr(b, "id", getattr(b, "attr", "")) == "Protocol" for b in node.bases):
                continue
            members = sum(
                isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and not item.name.startswith("__")
                for item in node.body
            )
            name = (
                f"{path.relative_to(root).with_suffix('').as_posix().replace('/', '.')}:{node.name}"
            )
            best = max(best, (members, name))
    return best


def report(root: Path = ROOT) -> str:
    graph = edges()
    lines = [f"{a} -> {', '.join(sorted(bs)) or '(nothing)'}" for a, bs in sorted(graph.items())]
    knots = cycles(graph)
    count = sum(len(bs) for bs in graph.values())
    summary = f"{len(graph)} packages, {count} package-level edges; " + (
        "cycles: " + "; ".join(" <-> ".join(k) for k in knots)
        if knots
        else "no cycle between packages"
    )
    width, port = widest_port(root)
    sql = sql_outside_store()
    extra = (
        f"Widest port: {port} ({width} methods and properties). "
        f"Modules outside commsbot/store importing SQLAlchemy or SQLModel: "
        f"{', '.join(sql) or 'none'}."
    )
    return "\n".join([*lines, "", summary, extra])


def main() -> int:
    root = Path(sys.argv[sys.argv.index("--root") + 1]) if "--root" in sys.argv else ROOT
    sys.path.insert(0, str(root.resolve()))
    text = report(root.resolve())
    print(text)
    *lines, _, summary, extra = text.splitlines()
    if "--write" in sys.argv:
        from _report import write_section

        body = (
            f"{summary}. {extra} Counted by `bench/import_graph.py` (every import, also inside"
            " functions and under `TYPE_CHECKING`); `lint-imports` enforces the layers.\n\n```\n"
            + "\n".join(lines)
            + "\n```"
        )
        write_section("Import graph", body)
    return 1 if "cycles:" in summary or "none." not in extra else 0


if __name__ == "__main__":
    sys.exit(main())
