"""Chart numbers (the bars drawn, the levels marked) and the one strike-window test."""

from __future__ import annotations

from pydantic import Field

from gex_mcp.models.base import BaseModel, FlipStatus, Provenance, Regime


class ChartBar(BaseModel):
    strike: float = Field(description="Bar centre: the strike, or the bin's multiple of bar_width, USD.")
    call_gex: float = Field(description="USD per 1% move.")
    put_gex: float = Field(description="USD per 1% move.")
    net_gex: float = Field(description="USD per 1% move.")
    open_interest: int = Field(description="Call + put open interest, contracts.")


class GexChartInfo(Provenance):
    """The numbers behind a gex_chart image."""

    gamma_flip: float | None = Field(description="Gamma flip, USD; null when not determined.")
    gamma_flip_status: FlipStatus = Field(description="ok, no_crossing, ill_determined or no_data.")
    call_wall: float | None = Field(description="Strike of largest call GEX, USD.")
    put_wall: float | None = Field(description="Strike of most negative put GEX, USD.")
    net_gex: float = Field(description="Whole-chain net GEX, USD per 1% move.")
    net_gex_label: str = Field(description="net_gex in short form, e.g. '1.85B'.")
    gamma_regime: Regime = Field(description="Regime in the title, by the regime tool's rule.")
    window_pct: float = Field(description="Strikes drawn lie within ±window_pct percent of spot.")
    strikes_shown: int = Field(description="Strikes inside the window (summed into bars).")
    strikes_hidden: int = Field(description="Strikes outside the window, not drawn.")
    bar_width: float = Field(description="USD between bar centres: the strike spacing, or the bin width.")
    binned: bool = Field(description="True when neighbouring strikes were summed into wider bars.")
    bars: list[ChartBar] = Field(description="The plotted numbers, one row per bar.")


def window_bounds(spot: float, window_pct: float) -> tuple[float, float]:
    """Strikes in [spot·(1 − w/100), spot·(1 + w/100)] are "within ±w% of spot" (USD)."""
    return spot * (1 - window_pct / 100), spot * (1 + window_pct / 100)


def in_window(strike: float, spot: float, window_pct: float) -> bool:
    """The one strike-window test: MCP answers, terminal tables and charts list the same strikes."""
    lo, hi = window_bounds(spot, window_pct)
    return lo <= strike <= hi
