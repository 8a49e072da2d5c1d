"""Every package `src/gex_mcp` imports (module level or inside a function) is declared in
pyproject.toml's dependencies, so an install never works only by a transitive accident."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_top_names() -> set[str]:
    names = set()
    for path in (ROOT / "src" / "gex_mcp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"gex_mcp", "__future__"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # the runtime extras count too (redis, postgres: imported lazily, only when configured)
    extras = [d for name, deps in project.get("optional-dependencies", {}).items()
              if name != "test" for d in deps]
    return {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].strip().lower().replace("_", "-")
            for d in [*project["dependencies"], *extras]}


def test_every_imported_package_is_declared():
    by_module = packages_distributions()
    missing = {}
    for name in sorted(_imported_top_names()):
        dists = {d.lower().replace("_", "-") for d in by_module.get(name, [name])}
        if not dists & _declared():
            missing[name] = sorted(dists)
    assert not missing, f"imported but not in [project].dependencies: {missing}"


def test_the_reader_finds_third_party_imports():
    assert {"numpy", "httpx", "mcp", "starlette"} <= _imported_top_names()
