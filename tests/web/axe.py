"""axe-core (npm's release, installed by scripts/ensure-axe.sh into build/node/) run in a page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "build" / "node" / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.x A and AA rules plus axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_source() -> str:
    path = Path(os.environ.get("GEX_AXE") or AXE)
    if not path.is_file():
        pytest.fail("axe-core is missing: run `bash scripts/ensure-axe.sh` (the README's test command does).")
    return path.read_text(encoding="utf-8")


_RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
    .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' '))})))"""


def axe_run(target) -> list[dict]:
    """The violations axe finds in a Playwright page or frame (sync API): id, impact, nodes."""
    target.evaluate(axe_source() + "\n;undefined")
    return target.evaluate(_RUN, TAGS)


async def axe_run_async(target) -> list[dict]:
    """axe_run for a Playwright page or frame of the async API."""
    await target.evaluate(axe_source() + "\n;undefined")
    return await target.evaluate(_RUN, TAGS)


def axe_violations(target) -> dict[str, list[str]]:
    """Violation ids grouped by impact (critical, serious, moderate, minor)."""
    out: dict[str, list[str]] = {}
    for v in axe_run(target):
        out.setdefault(v["impact"], []).append(f"{v['id']} ({len(v['nodes'])})")
    return out
