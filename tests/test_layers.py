"""The package's folders are its layers: each module imports only from its own layer or below, and no two
modules import each other, directly or around a loop (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lungxray"

#: lowest first; a module may import from its own layer and any layer before it
LAYERS = ("errors", "_util", "spec", "results", "data", "models", "judge", "audit", "report", "run", "sweep", "cli",
          "__main__")
ROOT_MODULES = {"__init__.py", "__main__.py", "errors.py"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _owner(name: str) -> str:
    """The module a dotted import name refers to (``lungxray.judge.verdict.decide`` -> ``lungxray.judge.verdict``)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def imports_of(module: str) -> set[str]:
    """Every lungxray module ``module`` imports, at the top or inside a function, TYPE_CHECKING blocks included."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("lungxray"):
            out |= {_owner(f"{node.module}.{a.name}") for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {_owner(a.name) for a in node.names if a.name.startswith("lungxray")}
    return out - {module, "lungxray"}


def layer_of(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else -1


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def test_the_root_holds_only_the_entry_points_and_errors():
    assert {p.name for p in PACKAGE.glob("*.py")} == ROOT_MODULES
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(LAYERS[1:-1])


def test_no_import_points_up_the_layers():
    up = sorted(f"{m} -> {d}" for m, deps in GRAPH.items() for d in deps if layer_of(d) > layer_of(m))
    assert not up, "imports that point up the layer order " + " < ".join(LAYERS) + ":\n" + "\n".join(up)


def test_no_import_cycle():
    assert not cycles(GRAPH)


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("path", sorted((PACKAGE / "audit" / "forensics").glob("*.py")), ids=lambda p: p.name)
def test_each_forensic_tool_module_is_short(path):
    assert len(path.read_text().splitlines()) < 400
