"""Total dealer GEX and DEX re-priced across hypothetical spots: the curve behind the flip.

With every option's IV and time held fixed (sticky strike), at spot x:

    GEX(x) = Σ s · Γ(x) · OI · m · x² · 0.01   (USD per 1% move)
    DEX(x) = Σ s · Δ(x) · OI · m · x           (USD of delta)

GEX(x) crosses zero at the gamma flip; at x = spot both equal the chain's totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gex_mcp.engine.flip import GammaProfile
from gex_mcp.engine.hedging import dealer_delta_shares
from gex_mcp.engine.prepare import PreparedChain

DEFAULT_PROFILE_RANGE_PCT = 5.0
DEFAULT_PROFILE_POINTS = 41


@dataclass(frozen=True)
class ExposureProfile:
    """Hypothetical spots (USD) and the dealer totals there."""

    spots: np.ndarray
    gex: np.ndarray  # USD per 1% move
    dex: np.ndarray  # USD of delta


def exposure_profile(prepared: PreparedChain, *, range_pct: float = DEFAULT_PROFILE_RANGE_PCT,
                     points: int = DEFAULT_PROFILE_POINTS) -> ExposureProfile:
    """GEX(x) and DEX(x) on `points` spots evenly spaced over spot·(1 ± range_pct/100).

    Raises:
        ValueError: range_pct not in (0, 100) or fewer than 3 points.
    """
    if not 0 < range_pct < 100 or points < 3:
        raise ValueError("range_pct must be in (0, 100) and points >= 3")
    spots = prepared.spot * (1.0 + np.linspace(-range_pct, range_pct, points) / 100.0)
    if len(prepared) == 0:
        zeros = np.zeros(points)
        return ExposureProfile(spots, zeros, zeros.copy())
    gex = GammaProfile(prepared, float(spots[0]), float(spots[-1]))(spots)
    dex = dealer_delta_shares(prepared, spots) * spots
    return ExposureProfile(spots, gex, dex)
