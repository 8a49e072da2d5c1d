"""GEX by strike as a PNG bar chart (the guide's "GEX by Strike Bar Chart").

Drawn with matplotlib's object API on the Agg canvas: no pyplot, no global state,
no window, so renders may run concurrently in threads (one Figure per call).
Every text that comes from data has its ``$`` escaped, so a symbol or a source
name can never switch matplotlib into mathtext and fail at draw time.
"""

from __future__ import annotations

import io
import math
from datetime import datetime
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from gex_mcp.charts.bars import Bars, chart_bars
from gex_mcp.charts.style import (
    CALL_TINT,
    CALL_WALL,
    FLIP_AMBER,
    GREEN,
    GREY,
    PUT_TINT,
    PUT_WALL,
    RED,
    SPOT_BLUE,
    escape,
    human,
)
from gex_mcp.labels import format_count
from gex_mcp.models import GexResponse, LevelsResponse, window_bounds

__all__ = ["build_gex_figure", "render_gex_chart"]

DEFAULT_STRIKES_WINDOW_PCT = 10.0
DEFAULT_WIDTH_PX = 1400
DEFAULT_HEIGHT_PX = 700
DPI = 100
MIN_WIDTH_PX, MIN_HEIGHT_PX = 600, 300
MAX_SIZE_PX = 6000
_DESIGN_W, _DESIGN_H = DEFAULT_WIDTH_PX, DEFAULT_HEIGHT_PX
_MIN_SCALE, _MAX_SCALE = 0.5, 4.0
_MAX_ABS_VALUE = 1e300  # far past any market; keeps limit arithmetic below float max
NO_STRIKES_MESSAGE = "no strikes with open interest in view"
ZERO_GEX_MESSAGE = "GEX is zero at every strike in view"

# Fixed margins in design pixels (DPI = 100 at scale 1), converted to fractions per
# size, so text never collides with the axes (tight_layout could warn instead).
_LEFT_PX, _RIGHT_PX, _TOP_PX, _BOTTOM_PX = 85, 270, 150, 55
_OI_AXIS_PX = 80  # extra right margin for the open-interest axis


def render_gex_chart(gex: GexResponse, levels: LevelsResponse | None = None, **options: Any) -> bytes:
    """The chart of `build_gex_figure(gex, levels, **options)` as PNG bytes of exactly
    width_px x height_px pixels (same arguments and errors)."""
    fig = build_gex_figure(gex, levels, **options)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, facecolor="white")
    return buf.getvalue()


def build_gex_figure(
    gex: GexResponse,
    levels: LevelsResponse | None = None,
    *,
    strikes_window_pct: float = DEFAULT_STRIKES_WINDOW_PCT,
    width_px: int = DEFAULT_WIDTH_PX,
    height_px: int = DEFAULT_HEIGHT_PX,
    regime: str | None = None,
    oi_overlay: bool = False,
) -> Figure:
    """Net dealer GEX per strike, with spot, gamma flip and the walls marked.

    Bars are net GEX (USD per 1% spot move) of each strike within
    ``±strikes_window_pct`` of spot, green above zero and red below, over light
    bars of the call and put components; more than 60 strikes are summed into wider
    bins (see ``chart_bars``). Spot (blue), the gamma flip (amber) and, when ``levels``
    is given, the call and put walls are marked above the plot with their prices and by
    faint lines behind the bars, so no mark hides a bar; a level outside the window is
    drawn as an arrow at the plot edge. The title
    says how many strikes the window hides; demo data carries a red watermark
    and stale data a STALE badge.

    Args:
        gex: Per-strike exposure; its flip is the one drawn.
        levels: Key levels of the same symbol and snapshot, for the walls; optional.
        strikes_window_pct: Half-width of the strike window, percent of spot.
        width_px: Image width in pixels.
        height_px: Image height in pixels.
        regime: the regime to print in the title, as the regime tool states it.
        oi_overlay: also draw call + put open interest per bar on a right-hand axis.

    Returns:
        The drawn, unsaved Figure; its texts, bars and annotations are what the PNG shows.

    Raises:
        ValueError: If ``strikes_window_pct`` is not a positive finite number, or a
            size is below MIN_WIDTH_PX x MIN_HEIGHT_PX or above MAX_SIZE_PX.
    """
    if not (math.isfinite(strikes_window_pct) and strikes_window_pct > 0):
        raise ValueError(
            f"strikes_window_pct must be a positive number of percent, got {strikes_window_pct!r}.")
    sizes = (("width_px", width_px, MIN_WIDTH_PX), ("height_px", height_px, MIN_HEIGHT_PX))
    for name, px, low in sizes:
        if not low <= px <= MAX_SIZE_PX:
            raise ValueError(f"{name} must be between {low} and {MAX_SIZE_PX} pixels, got {px!r}.")

    # Lay out on a 1400x700 design grid and scale through the dpi, so fonts, margins
    # and line widths shrink or grow with the image and the layout never breaks.
    scale = min(max(min(width_px / _DESIGN_W, height_px / _DESIGN_H), _MIN_SCALE), _MAX_SCALE)
    dpi = DPI * scale
    # Agg truncates the pixel size to int; the epsilon keeps e.g. 201/100*100 at 201.
    fig = Figure(figsize=((width_px + 1e-3) / dpi, (height_px + 1e-3) / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    design_w, design_h = width_px / scale, height_px / scale
    fig.subplots_adjust(
        left=_LEFT_PX / design_w,
        right=1 - (_RIGHT_PX + (_OI_AXIS_PX if oi_overlay else 0)) / design_w,
        top=1 - _TOP_PX / design_h,
        bottom=_BOTTOM_PX / design_h,
    )
    ax = fig.add_subplot()
    _draw(fig, ax, gex, levels, strikes_window_pct, regime, oi_overlay)
    return fig


def _draw(
    fig: Figure, ax: Axes, gex: GexResponse, levels: LevelsResponse | None, window_pct: float,
    regime: str | None, oi_overlay: bool,
) -> None:
    spot = gex.underlying_price
    has_spot = math.isfinite(spot) and spot > 0
    bars = chart_bars(gex, window_pct)
    lo_bound, hi_bound = window_bounds(spot, window_pct) if has_spot else (-math.inf, math.inf)
    strikes = bars.strike
    net = np.clip(bars.net_gex, -_MAX_ABS_VALUE, _MAX_ABS_VALUE)
    calls = np.clip(bars.call_gex, -_MAX_ABS_VALUE, _MAX_ABS_VALUE)
    puts = np.clip(bars.put_gex, -_MAX_ABS_VALUE, _MAX_ABS_VALUE)
    spacing = bars.width

    handles: list = []
    if len(strikes):
        ax.bar(strikes, calls, width=0.9 * spacing, color=CALL_TINT, zorder=1)
        ax.bar(strikes, puts, width=0.9 * spacing, color=PUT_TINT, zorder=1)
        ax.bar(strikes, net, width=0.5 * spacing, color=np.where(net >= 0, GREEN, RED), zorder=2)
        handles += [
            Patch(color=GREEN, label="net GEX > 0"),
            Patch(color=RED, label="net GEX < 0"),
            Patch(color=CALL_TINT, label="call GEX"),
            Patch(color=PUT_TINT, label="put GEX"),
        ]
    if not np.any(net) and not np.any(calls) and not np.any(puts):
        message = NO_STRIKES_MESSAGE if not len(strikes) else ZERO_GEX_MESSAGE
        ax.set_yticks([0.0] if len(strikes) else [])
        ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=14,
                color=GREY, zorder=7,
                bbox=dict(boxstyle="round,pad=0.4", facecolor="white", edgecolor="#d1d5db"))
    ax.axhline(0.0, color="#111827", linewidth=0.8, zorder=3)

    # Levels never cover bars: a faint line behind them, a labelled marker above the plot,
    # and an arrow at the edge for a level outside the window.
    marks: list[tuple[str, float | None, dict]] = [
        ("spot", spot if has_spot else None, dict(color=SPOT_BLUE, linestyle="--", linewidth=1.2)),
        ("gamma flip", gex.gamma_flip, dict(color=FLIP_AMBER, linestyle="-", linewidth=1.6)),
    ]
    if levels is not None:
        marks += [
            ("call wall", levels.call_wall, dict(color=CALL_WALL, linestyle="-.", linewidth=1.2)),
            ("put wall", levels.put_wall, dict(color=PUT_WALL, linestyle="-.", linewidth=1.2)),
        ]
    inside: list[tuple[str, float, dict]] = []
    outside: list[tuple[str, float, dict]] = []
    for name, value, style in marks:
        if value is None or not math.isfinite(value):
            if name == "gamma flip":
                label = f"flip: n/a ({gex.gamma_flip_status})"
                handles.append(Line2D([], [], label=label, **style))
            continue
        (inside if lo_bound <= value <= hi_bound else outside).append((name, value, style))

    xs = [*strikes.tolist(), *(v for _, v, _ in inside)]
    if xs:
        pad = max(spacing, 0.01 * (max(xs) - min(xs)))
        ax.set_xlim(min(xs) - pad, max(xs) + pad)
    elif has_spot:
        ax.set_xlim(lo_bound, hi_bound)
    for name, value, style in inside:
        ax.axvline(value, zorder=0.5, alpha=0.55, **style)
        handles.append(Line2D([], [], label=f"{name} {value:,.2f}", **style))
    _mark_above(ax, inside)
    _annotate_outside(ax, outside, handles)
    if oi_overlay and len(strikes):
        _draw_open_interest(ax, strikes, bars.open_interest, handles)

    ax.set_xlabel("Strike" + (f" (bins of {spacing:g})" if bars.binned else ""))
    ax.set_ylabel("Net GEX (USD per 1% move)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: human(v)))
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # the open-interest axis needs ~75 design pixels for its ticks and label
    legend_x = ax.get_position().x1 + (_OI_AXIS_PX if oi_overlay else 12) / (fig.get_figwidth() * DPI)
    fig.legend(handles=handles, loc="upper left", frameon=False, fontsize=10,
               bbox_to_anchor=(legend_x, ax.get_position().y1))

    _draw_titles(fig, ax, gex, bars, window_pct, regime)


def _mark_above(ax: Axes, inside: list[tuple[str, float, dict]]) -> None:
    """A marker on the top edge and a label above it per level; labels that would overlap
    go up a tier, so coinciding levels (a call wall on the put wall) all stay readable."""
    lo, hi = ax.get_xlim()
    axes_px = ax.get_position().width * ax.figure.get_figwidth() * DPI
    per_char = 6.0 / axes_px * (hi - lo)  # ~6 design pixels a character at fontsize 9
    placed: list[tuple[float, float, int]] = []  # (left, right, tier)
    for name, value, style in sorted(inside, key=lambda m: m[1]):
        label = f"{name} {value:,.2f}"
        half = len(label) * per_char / 2 + per_char
        tier = 0
        while any(t == tier and left < value + half and value - half < right
                  for left, right, t in placed):
            tier += 1
        placed.append((value - half, value + half, tier))
        ax.plot([value], [1.0], marker="v", markersize=9, color=style["color"], clip_on=False,
                transform=ax.get_xaxis_transform(), zorder=6)
        ax.annotate(label, xy=(value, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, 8 + 14 * tier), textcoords="offset points", ha="center",
                    va="bottom", fontsize=9, color=style["color"], annotation_clip=False)


def _draw_open_interest(ax: Axes, strikes: np.ndarray, oi: np.ndarray, handles: list) -> None:
    """Call + put open interest per bar, on its own right-hand axis."""
    twin = ax.twinx()
    twin.plot(strikes, oi, color=GREY, linewidth=1.0, marker=".", markersize=3, zorder=5)
    twin.set_ylabel("Open interest (contracts)", color=GREY)
    twin.set_ylim(0, max(float(oi.max()), 1.0) * 1.15)
    twin.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: human(v)))
    twin.spines["top"].set_visible(False)
    handles.append(Line2D([], [], color=GREY, marker=".", label="open interest"))


def _annotate_outside(ax: Axes, outside: list[tuple[str, float, dict]], handles: list) -> None:
    """Arrow + text at the plot edge for levels beyond the strike window, stacked per side."""
    lo, hi = ax.get_xlim()
    sides = ["right" if value > (lo + hi) / 2 else "left" for _, value, _ in outside]
    rows = max(sides.count("left"), sides.count("right"))
    if rows:
        # Headroom above the tallest bar so the edge labels never sit on a bar.
        y0, y1 = ax.get_ylim()
        band = 0.08 + 0.07 * (rows - 1)
        ax.set_ylim(y0, y1 + (y1 - y0) * band / (1 - band))
    used = {"left": 0, "right": 0}
    for (name, value, style), side in zip(outside, sides):
        y = 0.95 - 0.07 * used[side]
        used[side] += 1
        x, dx, ha = (1.0, -34, "right") if side == "right" else (0.0, 34, "left")
        ax.annotate(
            f"{name} {value:,.2f}", xy=(x, y), xycoords="axes fraction",
            xytext=(dx, 0), textcoords="offset points", ha=ha, va="center", fontsize=9,
            color=style["color"], zorder=5,
            bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.85),
            arrowprops=dict(arrowstyle="->", color=style["color"], linewidth=1.4),
        )
        handles.append(Line2D([], [], label=f"{name} {value:,.2f} (off view)", **style))


def _draw_titles(
    fig: Figure, ax: Axes, gex: GexResponse, bars: Bars, window_pct: float, regime: str | None,
) -> None:
    left = ax.get_position().x0
    symbol = escape(gex.symbol)
    title = (f"{symbol} net GEX by strike | net {escape(gex.net_gex_label)} | "
             f"{_spot_vs_flip(gex, regime)}")
    fig.text(left, 1 - 22 / _height_px(fig), title, ha="left", va="center",
             fontsize=14, fontweight="bold", color="#111827")

    parts = [
        f"as of {_iso(gex.as_of)}",
        f"source {escape(gex.source)}",
        f"view ±{window_pct:g}% of spot: {bars.strikes_shown} strikes shown, "
        f"{bars.strikes_hidden} hidden" + (f", in {len(bars.strike)} bins" if bars.binned else ""),
    ]
    if gex.expiration:
        parts.append(f"expiry {escape(gex.expiration)}")
    if gex.min_oi > 0:
        parts.append(f"min OI {format_count(gex.min_oi)}")
    fig.text(left, 1 - 48 / _height_px(fig), "  |  ".join(parts), ha="left", va="center",
             fontsize=10, color=GREY)

    badges = []
    if gex.is_demo:
        badges.append("DEMO DATA")
        ax.text(0.5, 0.5, "DEMO DATA", transform=ax.transAxes, ha="center", va="center",
                fontsize=64, fontweight="bold", color=RED, alpha=0.13, rotation=18, zorder=6)
    if gex.stale:
        badges.append(f"STALE ({_age(gex.stale_age_seconds)})")
    if badges:
        fig.text(left, 1 - 72 / _height_px(fig), "   ".join(badges), ha="left", va="center",
                 fontsize=11, fontweight="bold", color="white",
                 bbox=dict(boxstyle="round,pad=0.25", facecolor=RED, edgecolor="none"))


def _spot_vs_flip(gex: GexResponse, regime: str | None = None) -> str:
    """Spot against the flip, and the regime as the regime tool states it (when given)."""
    spot, flip = gex.underlying_price, gex.gamma_flip
    words = f": {regime.replace('_', ' ')}" if regime else ""
    if flip is None or not math.isfinite(flip):
        return f"spot {spot:,.2f}, flip n/a ({gex.gamma_flip_status}){words}"
    if spot == flip:
        return f"spot {spot:,.2f} at flip{words}"
    where = "above" if spot > flip else "below"
    # the one distance convention: (level - spot) / spot x 100, + when the level is above spot
    dist = f" (flip {(flip - spot) / spot * 100:+.2f}% vs spot)" if spot else ""
    return f"spot {spot:,.2f} {where} flip {flip:,.2f}{dist}{words}"


def _age(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "age unknown"
    s = int(max(seconds, 0))
    if s < 60:
        return f"{s}s old"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s old"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m old"
    return f"{s // 86400}d {s % 86400 // 3600}h old"


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _height_px(fig: Figure) -> float:
    """Figure height in design pixels, the unit of the _*_PX margins."""
    return fig.get_figheight() * DPI
