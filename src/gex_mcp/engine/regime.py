"""Dealer gamma regime from spot versus the gamma flip.

Positive gamma above the flip (dealers dampen moves), negative below (they amplify),
neutral within ±`NEUTRAL_BAND_PCT` percent of spot around it. Without a flip, the sign
of total dealer gamma at spot decides when it keeps one sign over the whole searched
range ("no_crossing"); otherwise the regime is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from gex_mcp.engine.flip import GammaFlip

NEUTRAL_BAND_PCT = 0.25


@dataclass(frozen=True)
class RegimeCall:
    regime: str  # positive_gamma | negative_gamma | neutral | unknown
    reason: str
    distance_pct: float | None  # (spot - flip) / spot * 100
    distance_points: float | None  # spot - flip, USD


def classify_regime(spot: float, flip: GammaFlip, *,
                    neutral_band_pct: float = NEUTRAL_BAND_PCT) -> RegimeCall:
    """Classify the regime and give the numbers behind it."""
    return regime_from_flip(spot, flip.price, status=flip.status, reason=flip.reason,
                            sign_at_spot=flip.sign_at_spot, neutral_band_pct=neutral_band_pct)


def regime_from_flip(spot: float, flip_price: float | None, *, status: str,
                     reason: str | None = None, sign_at_spot: int = 0,
                     neutral_band_pct: float = NEUTRAL_BAND_PCT) -> RegimeCall:
    """The one regime rule, for any backend that knows spot and the flip (USD).

    `sign_at_spot` is the sign of total dealer gamma at spot (0 when unknown); it decides
    the regime only when there is no flip and the status is "no_crossing".
    """
    if flip_price is None:
        if status == "no_crossing" and sign_at_spot != 0:
            regime = "positive_gamma" if sign_at_spot > 0 else "negative_gamma"
            return RegimeCall(regime, f"no gamma flip: {reason}", None, None)
        return RegimeCall("unknown", f"gamma flip {status}: {reason}", None, None)
    points = spot - flip_price
    pct = points / spot * 100.0
    if abs(pct) <= neutral_band_pct:
        return RegimeCall("neutral", f"spot {spot:.2f} is within {neutral_band_pct}% of the "
                          f"gamma flip {flip_price:.2f}", pct, points)
    if points > 0:
        return RegimeCall("positive_gamma", f"spot {spot:.2f} is {pct:.2f}% above the gamma flip "
                          f"{flip_price:.2f}", pct, points)
    return RegimeCall("negative_gamma", f"spot {spot:.2f} is {-pct:.2f}% below the gamma flip "
                      f"{flip_price:.2f}", pct, points)
