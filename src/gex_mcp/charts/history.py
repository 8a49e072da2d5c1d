"""The history chart: spot with the gamma flip and the walls over time, net GEX below (PNG).

Drawn like `charts/gex.py` (matplotlib object API on Agg, one Figure per call, `$` escaped).
The x axis is trading time: one step per point, sessions separated by thin lines and
labelled by date, so nights and weekends take no room. Levels are drawn as steps (a level
holds until the next record); the background is tinted by the recorded gamma regime.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from gex_mcp.charts.style import CALL_WALL, FLIP_AMBER, GREEN, GREY, PUT_WALL, RED, SPOT_BLUE, escape, human
from gex_mcp.labels import NEW_YORK
from gex_mcp.models import HistoryChartInfo
from gex_mcp.models.level_record import LevelRecord

WIDTH_PX, HEIGHT_PX, DPI = 1400, 760, 100
_REGIME_TINT = {"positive_gamma": "#dcfce7", "negative_gamma": "#fee2e2", "neutral": "#f3f4f6"}
_BASIS_WORDS = {"stored_records": "stored records", "snapshot_files": "snapshot files",
                "demo_replay": "demo market, replayed hourly"}


def _values(points: Sequence[LevelRecord], name: str) -> np.ndarray:
    return np.array([np.nan if getattr(p, name) is None else getattr(p, name) for p in points],
                    dtype=float)


def render_history_chart(points: Sequence[LevelRecord], info: HistoryChartInfo) -> bytes:
    """PNG bytes (WIDTH_PX x HEIGHT_PX) of the resampled `points`, oldest first."""
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    fig.subplots_adjust(left=0.07, right=0.81, top=0.86, bottom=0.09, hspace=0.08)
    x = np.arange(len(points))
    basis = _BASIS_WORDS.get(info.basis, info.basis)
    fig.suptitle(escape(f"{info.symbol} spot, gamma flip and walls"), x=0.07, ha="left",
                 fontsize=16, fontweight="bold")
    fig.text(0.07, 0.895, escape(
        f"{info.since.astimezone(NEW_YORK):%Y-%m-%d %H:%M} to "
        f"{info.until.astimezone(NEW_YORK):%Y-%m-%d %H:%M} New York · source {info.source} "
        f"({basis}) · {len(points)} points, interval {info.interval}"), fontsize=10, color=GREY)
    if not points:
        top.text(0.5, 0.5, "no records in this window", ha="center", va="center",
                 transform=top.transAxes, fontsize=14, color=GREY)
    else:
        for i, p in enumerate(points):
            top.axvspan(i - 0.5, i + 0.5, color=_REGIME_TINT.get(p.regime, "white"), lw=0, zorder=0)
        sessions = [p.session for p in points]
        starts = [i for i in range(len(points)) if i == 0 or sessions[i] != sessions[i - 1]]
        for ax in (top, bottom):
            for i in starts[1:]:
                ax.axvline(i - 0.5, color="#9ca3af", lw=0.8, zorder=1)
        ends = [*starts[1:], len(points)]
        ticks, labels = [], []
        for first, stop in zip(starts, ends):  # label each session at its middle, if room
            middle = (first + stop - 1) / 2
            if not ticks or middle - ticks[-1] >= max(1.0, len(points) / 14):
                ticks.append(middle)
                labels.append(f"{sessions[first]:%a %m-%d}")
        bottom.set_xticks(ticks, labels, fontsize=9)
        marker = "o" if len(points) <= 40 else None
        top.plot(x, _values(points, "spot"), color=SPOT_BLUE, lw=2.4, marker=marker,
                 ms=4, label="spot", zorder=4)
        # the call wall is drawn wide underneath, so a put wall at the same strike shows both
        for name, colour, style, width, z, label in (
                ("gamma_flip", FLIP_AMBER, "--", 1.8, 3.2, "gamma flip"),
                ("call_wall", CALL_WALL, "-", 4.0, 2.9, "call wall"),
                ("put_wall", PUT_WALL, "-", 1.6, 3.0, "put wall")):
            top.stairs(_values(points, name), np.arange(len(points) + 1) - 0.5, baseline=None,
                       color=colour, ls=style, lw=width, label=label, zorder=z,
                       alpha=0.55 if name == "call_wall" else 1.0)
        net = _values(points, "net_gex")
        bottom.bar(x, net, width=0.8, color=np.where(net >= 0, GREEN, RED))
        bottom.set_xlim(-0.5, len(points) - 0.5)
        bottom.axhline(0, color=GREY, lw=0.8)
        top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=10)
        last = points[-1]
        summary = [f"last {last.as_of.astimezone(NEW_YORK):%Y-%m-%d %H:%M}",
                   f"spot {last.spot:,.2f}"]
        summary += [f"{label} {'n/a' if v is None else f'{v:,.2f}'}" for label, v in (
            ("flip", last.gamma_flip), ("call wall", last.call_wall), ("put wall", last.put_wall))]
        summary += [f"net GEX {human(last.net_gex)}", last.regime.replace("_", " "),
                    "", "background: gamma regime", "green +, red −, grey neutral"]
        top.text(1.01, 0.55, escape("\n".join(summary)), transform=top.transAxes, va="top",
                 fontsize=9.5, color=GREY, linespacing=1.5)
    top.set_ylabel("USD")
    top.grid(axis="y", color="#e5e7eb", lw=0.8)
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"))
    bottom.set_ylabel("net GEX\nUSD per 1%", fontsize=9)
    bottom.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
    if info.is_demo:
        fig.text(0.45, 0.5, "DEMO DATA", fontsize=60, color=RED, alpha=0.12, ha="center",
                 va="center", rotation=20)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


__all__ = ["render_history_chart"]
