"""The layers of docs/architecture.md, held over every module of `src/gex_mcp`.

Every `import` and `from ... import` is read from the source (module level and inside
functions alike; relative imports resolved), so a lazy import cannot hide a break. Imports
under `if TYPE_CHECKING:` are never executed: they count for the layer rules (a door must
not even name a store type) but not for cycles, which only executed imports can form.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "gex_mcp"

#: Each module's layer, by its first name under gex_mcp (a package or a top-level module).
LAYER_OF = {
    "engine": "engine",
    "parsing": "parsing",
    "sources": "sources",
    "store": "store",
    **dict.fromkeys(("backends", "level_records", "responses", "endpoints", "alerts", "service"),
                    "service"),
    "charts": "charts",
    **dict.fromkeys(("mcp_server", "http", "terminal", "web", "cli", "launch", "__main__"), "door"),
    **dict.fromkeys(("errors", "models", "labels", "settings", "gc_pause", ""), "shared"),
}
SERVICE_LAYER = {"service"}
DOORS = {"door"}

#: layer -> the layers it must never import.
FORBIDDEN: dict[str, set[str]] = {
    "engine": {"parsing", "sources", "store", "service", "charts", "door", "shared"},
    "parsing": {"sources", "store", "service", "charts", "door"},
    "sources": {"store", "service", "charts", "door"},
    "store": {"sources", "service", "charts", "door"},
    "charts": {"engine", "parsing", "sources", "store", "service", "door"},
    "shared": {"parsing", "sources", "store", "service", "charts", "door"},
    "service": {"door"},
    "door": {"engine", "parsing", "sources", "store"},
}
#: The shared modules the engine may not use either (it is pure numpy), except errors.
ENGINE_MAY_USE = {"gex_mcp.errors"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    typing_only: bool


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of ours that `name` (a module or a name inside one) lives in."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _typing_blocks(tree: ast.Module) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:`."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def _edges() -> list[Edge]:
    edges = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _typing_blocks(tree)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor) + (f".{base}" if base else "")
                names = [f"{base}.{alias.name}" for alias in node.names]
                names = [n if n in MODULES else base for n in names]
            else:
                continue
            for name in names:
                target = _resolve(name) if name.startswith(PACKAGE) else None
                if target is not None and target != module:
                    edges.append(Edge(module, target, node.lineno, id(node) in typing_only))
    return edges


EDGES = _edges()


def layer(module: str) -> str:
    first = module.split(".")[1] if "." in module else ""
    return LAYER_OF[first]


def test_every_module_has_a_layer():
    unknown = sorted(m for m in MODULES if (m.split(".")[1] if "." in m else "") not in LAYER_OF)
    assert not unknown, f"add these to LAYER_OF (and to docs/architecture.md): {unknown}"


def test_the_reader_sees_lazy_and_relative_imports():
    """The reader must find a function-level import and a relative one, or it proves nothing."""
    lazy = [e for e in EDGES if e.source == "gex_mcp.cli" and e.target.startswith("gex_mcp.mcp_server")]
    assert lazy, "cli imports the MCP server inside a function; the reader missed it"
    relative = [e for e in EDGES if e.source.startswith("gex_mcp.engine.")
                and e.target.startswith("gex_mcp.engine.")]
    assert relative


@pytest.mark.parametrize("layer_name", sorted(FORBIDDEN))
def test_layer_imports_nothing_it_must_not(layer_name):
    breaks = [f"{e.source}:{e.line} imports {e.target} ({layer(e.target)})"
              for e in EDGES if layer(e.source) == layer_name
              and layer(e.target) in FORBIDDEN[layer_name]
              and not (layer_name == "engine" and e.target in ENGINE_MAY_USE)]
    assert not breaks, "\n".join(breaks)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _graph(key) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for e in EDGES:
        if not e.typing_only and key(e.source) != key(e.target):
            graph[key(e.source)].add(key(e.target))
    for m in MODULES:
        graph.setdefault(key(m), set())
    return graph


def _package(module: str) -> str:
    """A module's package under gex_mcp (a top-level module is its own)."""
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_modules():
    assert _cycles(_graph(lambda m: m)) == []


def test_no_import_cycle_between_packages():
    assert _cycles(_graph(_package)) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_crosses_a_module():
    """`from x import _name` between our modules: a helper two modules share is public."""
    crossing = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
                crossing += [f"{module}:{node.lineno} {node.module}.{a.name}" for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__")]
    assert not crossing, "\n".join(crossing)


def test_at_most_nine_modules_at_the_top():
    top = sorted(p.name for p in (SRC / PACKAGE).glob("*.py"))
    assert len(top) <= 9, top


def test_no_module_over_500_lines():
    long = {str(p.relative_to(SRC)): n for p in (SRC / PACKAGE).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, long
