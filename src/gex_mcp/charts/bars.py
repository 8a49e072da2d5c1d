"""The bars a GEX chart draws: strikes within the window, binned so bars stay readable.

At ±10% an SPX chain lists ~230 strikes 5 points apart: drawn one bar each they are hair
thin. When more than `MAX_BARS` strikes fall in the window, neighbouring strikes are summed
into bins whose width is the smallest "nice" multiple of the strike spacing (1, 2, 4, 5, 10,
20, 25, 50, ... times it) that leaves at most `MAX_BARS` bins. A bin is labelled by the
multiple of its width nearest its strikes (bin k holds strikes in [(k − ½)w, (k + ½)w)).
Sums of GEX and OI are preserved, so the bars still add up to the window's totals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gex_mcp.models import GexResponse, in_window

MAX_BARS = 60
_NICE = (1, 2, 4, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


@dataclass(frozen=True)
class Bars:
    """Per bar: centre strike (USD), call/put/net GEX (USD per 1% move), call+put OI."""

    strike: np.ndarray
    call_gex: np.ndarray
    put_gex: np.ndarray
    net_gex: np.ndarray
    open_interest: np.ndarray
    width: float  # USD between bar centres
    binned: bool  # True when strikes were summed into bins
    strikes_shown: int  # strikes inside the window
    strikes_hidden: int  # strikes outside it


def strike_spacing(strikes: np.ndarray, spot: float | None) -> float:
    """Median gap between neighbouring strikes; 0.5% of the price for a single strike."""
    gaps = np.diff(np.unique(strikes))
    if gaps.size:
        return float(np.median(gaps))
    ref = abs(strikes[0]) if strikes.size else (spot or 1.0)
    return max(0.005 * ref, 1e-6)


def _finite(values: list[float]) -> np.ndarray:
    return np.nan_to_num(np.array(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)


def chart_bars(gex: GexResponse, window_pct: float, max_bars: int = MAX_BARS) -> Bars:
    """The bars of `gex` within ±window_pct% of spot (every strike without a usable spot)."""
    spot = gex.underlying_price
    has_spot = math.isfinite(spot) and spot > 0
    rows = [s for s in gex.strikes if math.isfinite(s.strike)
            and (not has_spot or in_window(s.strike, spot, window_pct))]
    strikes = np.array([s.strike for s in rows], dtype=float)
    calls, puts = _finite([s.call_gex for s in rows]), _finite([s.put_gex for s in rows])
    net = _finite([s.net_gex for s in rows])
    oi = np.array([s.call_oi + s.put_oi for s in rows], dtype=float)
    spacing = strike_spacing(strikes, spot if has_spot else None)
    hidden = len(gex.strikes) - len(rows)
    distinct = len(np.unique(strikes))
    if distinct <= max_bars:
        return Bars(strikes, calls, puts, net, oi, spacing, False, len(rows), hidden)
    span = float(strikes.max() - strikes.min())
    width = next((n * spacing for n in _NICE if span / (n * spacing) + 1 <= max_bars),
                 span / (max_bars - 1))
    index = np.round(strikes / width).astype(np.int64)
    keys, inverse = np.unique(index, return_inverse=True)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, weights=values, minlength=len(keys))

    return Bars(keys * width, total(calls), total(puts), total(net), total(oi), width, True,
                len(rows), hidden)
