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
    flip_above_spot_pct: float | None  # (flip - spot) / spot * 100: + when the flip is above spot
    flip_above_spot_points: float | None  # flip - spot, USD


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
    the regime only when there is no flip and the status is "no_crossing". Distances follow
    the one convention: (flip - spot) / spot x 100, + when the flip is above spot.
    """
    if flip_price is None:
        if status == "no_crossing" and sign_at_spot != 0:
            regime = "positive_gamma" if sign_at_spot > 0 else "negative_gamma"
            return RegimeCall(regime, f"no gamma flip: {reason}", None, None)
        return RegimeCall("unknown", f"gamma flip {status}: {reason}", None, None)
    points = flip_price - spot
    pct = points / spot * 100.0
    # the words state the distance of the flip as printed (to the cent), as every view does
    said = (round(flip_price, 2) - spot) / spot * 100.0
    where = (f"the gamma flip {flip_price:.2f} is {abs(said):.2f}% {'above' if said > 0 else 'below'} "
             f"spot {spot:.2f}")
    if abs(pct) <= neutral_band_pct:
        return RegimeCall("neutral", f"{where}, within the ±{neutral_band_pct}% neutral band",
                          pct, points)
    return RegimeCall("positive_gamma" if points < 0 else "negative_gamma", where, pct, points)
