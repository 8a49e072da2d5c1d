"""Terminal view of flip_sensitivity: one row per scenario, the reading on top."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gex_mcp.labels import format_amount, new_york_time
from gex_mcp.models import FlipSensitivityResponse

REGIME_STYLE = {"positive_gamma": "green", "negative_gamma": "red", "neutral": "yellow",
                "unknown": "white"}


def flip_sensitivity_view(a: FlipSensitivityResponse) -> RenderableType:
    """The flip as quoted, the reading, then each scenario's flip, change and regime."""
    head = Text(f"{a.symbol}  {a.underlying_price:,.2f}  as of {new_york_time(a.as_of)}  "
                f"source {a.source}")
    if a.is_demo:
        head.append("  DEMO DATA (synthetic)", style="bold magenta")
    flip = f"{a.gamma_flip:,.2f}" if a.gamma_flip is not None else f"n/a ({a.gamma_flip_status})"
    facts = Text(f"gamma flip {flip}  net GEX {format_amount(a.net_gex)}  {a.gamma_regime}\n")
    facts.append(a.reading, style="bold green" if a.robust else "bold yellow")
    table = Table(title="the flip under each scenario")
    for col in ("scenario", "flip", "change", "change %", "net GEX", "regime"):
        table.add_column(col, justify="left" if col in ("scenario", "regime") else "right")
    for s in a.scenarios:
        name = s.scenario + (f" ({s.near_spot_gamma_share_pct:.0f}% near spot)"
                             if s.near_spot_gamma_share_pct is not None else "")
        table.add_row(
            name, f"{s.gamma_flip:,.2f}" if s.gamma_flip is not None else f"none ({s.gamma_flip_status})",
            "n/a" if s.flip_change is None else f"{s.flip_change:+,.2f}",
            "n/a" if s.flip_change_pct is None else f"{s.flip_change_pct:+.3f}",
            format_amount(s.net_gex), Text(s.gamma_regime, style=REGIME_STYLE[s.gamma_regime]))
    return Group(head, facts, table)


SCENARIO_VIEWS: dict[str, Callable[..., RenderableType]] = {"flip_sensitivity": flip_sensitivity_view}
