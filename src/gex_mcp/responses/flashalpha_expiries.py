"""FlashAlpha's bodies for max pain, expected move and OI change, built from our answers.

FlashAlpha's SDK (`flashalpha/types.py`) names these `MaxPainResponse`,
`ExpectedMoveResponse` and `ExposureOiDiffResponse`; each body here has every field those
declare, from the answers of our rows (by name: `max_pain`, `gex`, `levels`,
`expected_move`, `oi_changes`), and keeps nothing else. The HTTP door asks the service for
the answers a body needs (`FlashAlphaPath.needs`) and adds `endpoint_version` and
`data_as_of`.

Our own judgements, where FlashAlpha's are not published (documented per field):
- max pain `signal`: bullish when max pain is more than 0.5% above spot (settlement pulls
  up), bearish more than 0.5% below, else neutral.
- `dealer_alignment.alignment`: converging when max pain lies between the put and call
  walls and spot is at or above the gamma flip (dealers dampen moves towards the pin);
  moderate between the walls below the flip; diverging outside the walls; unknown without
  walls.
- `pin_probability`: 100 · exp(-(d/σ)²/2), with d = |max pain - spot| and σ the 1-sigma
  move to that expiration (spot x ATM IV x sqrt(T)); null without σ.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np

from gex_mcp.errors import InputError
from gex_mcp.models import (
    ExpectedMoveResponse,
    GexResponse,
    LevelsResponse,
    MaxPainResponse,
    OIChangesResponse,
)

#: Strikes within this percent of spot are listed in the pain curve and OI by strike.
CURVE_WINDOW_PCT = 15.0
SIGNAL_BAND_PCT = 0.5
CONTRACT_MULTIPLIER = 100.0  # US equity and index options
DEFAULT_TOP_N = 20
MAX_TOP_N = 500


def _head(answer: Any) -> dict[str, Any]:
    return {"symbol": answer.symbol, "underlying_price": answer.underlying_price,
            "as_of": answer.as_of.isoformat()}


def pain_curve(strikes: np.ndarray, call_oi: np.ndarray, put_oi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Holders' payout if settled at each listed strike P, USD:
    calls Σ OI·max(P-K, 0)·100 and puts Σ OI·max(K-P, 0)·100 (one column per P)."""
    settle = strikes[:, None]
    calls = (np.maximum(settle - strikes[None, :], 0.0) * call_oi[None, :]).sum(axis=1) * CONTRACT_MULTIPLIER
    puts = (np.maximum(strikes[None, :] - settle, 0.0) * put_oi[None, :]).sum(axis=1) * CONTRACT_MULTIPLIER
    return calls, puts


def max_pain_body(answers: dict[str, Any], extras: dict[str, str]) -> dict[str, Any]:
    """GET /v1/maxpain/{symbol}: max pain of the chain (or of `expiration`), its pain curve,
    OI by strike, dealer alignment, expected-move context and every expiration's max pain."""
    mp: MaxPainResponse = answers["max_pain"]
    gex: GexResponse = answers["gex"]
    levels: LevelsResponse = answers["levels"]
    moves: ExpectedMoveResponse = answers["expected_move"]
    spot = gex.underlying_price
    strikes = np.array([s.strike for s in gex.strikes], dtype=float)
    call_oi = np.array([s.call_oi for s in gex.strikes], dtype=float)
    put_oi = np.array([s.put_oi for s in gex.strikes], dtype=float)
    best = None
    curve: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    if strikes.size and (call_oi.sum() + put_oi.sum()) > 0:
        calls, puts = pain_curve(strikes, call_oi, put_oi)
        total = calls + puts
        best = float(strikes[int(np.argmin(total))])
        near = np.abs(strikes - spot) <= spot * CURVE_WINDOW_PCT / 100.0
        near |= strikes == best
        curve = [{"strike": float(k), "call_pain": round(float(c)), "put_pain": round(float(p)),
                  "total_pain": round(float(c + p))}
                 for k, c, p, keep in zip(strikes, calls, puts, near, strict=True) if keep]
        rows = [{"strike": s.strike, "call_oi": s.call_oi, "put_oi": s.put_oi,
                 "total_oi": s.call_oi + s.put_oi, "call_volume": s.call_volume,
                 "put_volume": s.put_volume}
                for s, keep in zip(gex.strikes, near, strict=True) if keep]
    move = next((m for m in moves.moves if m.expiration == (mp.expiration or mp.curve_expiration)),
                moves.moves[0] if moves.moves else None)
    sigma = move.iv_move_1sd if move is not None else None
    distance = None if best is None else best - spot
    if distance is None:
        signal = direction = None
    else:
        pct = distance / spot * 100.0
        signal = "neutral" if abs(pct) <= SIGNAL_BAND_PCT else "bullish" if pct > 0 else "bearish"
        direction = "at" if distance == 0 else "above" if distance > 0 else "below"
    calls_total, puts_total = float(call_oi.sum()), float(put_oi.sum())
    return {
        **_head(gex),
        "max_pain_strike": best,
        "distance": {"absolute": None if distance is None else round(abs(distance), 2),
                     "percent": None if distance is None else round(abs(distance) / spot * 100.0, 3),
                     "direction": direction},
        "signal": signal,
        "expiration": mp.expiration,
        "put_call_oi_ratio": round(puts_total / calls_total, 4) if calls_total > 0 else None,
        "pain_curve": curve,
        "oi_by_strike": rows,
        "max_pain_by_expiration": [
            {"expiration": e.expiration, "max_pain_strike": e.max_pain,
             "dte": _days(e.expiration, gex.as_of.date()), "total_oi": e.open_interest}
            for e in mp.expirations],
        "dealer_alignment": {
            "alignment": _alignment(best, levels, spot),
            "description": _alignment_text(_alignment(best, levels, spot)),
            "gamma_flip": levels.gamma_flip, "gamma_flip_status": levels.gamma_flip_status,
            "call_wall": levels.call_wall, "put_wall": levels.put_wall},
        "regime": _regime(levels.gamma_flip, spot),
        "expected_move": {
            "straddle_price": None if move is None else move.straddle,
            "atm_iv": None if move is None else move.atm_iv,
            "max_pain_within_expected_range": (None if sigma is None or distance is None
                                               else abs(distance) <= sigma)},
        "pin_probability": (None if not sigma or distance is None
                            else round(100.0 * math.exp(-0.5 * (distance / sigma) ** 2))),
    }


def _days(expiration: str, today: date) -> int:
    return (date.fromisoformat(expiration) - today).days


def _regime(flip: float | None, spot: float) -> str:
    if flip is None:
        return "unknown"
    return "positive_gamma" if spot >= flip else "negative_gamma"


def _alignment(best: float | None, levels: LevelsResponse, spot: float) -> str:
    if best is None or levels.call_wall is None or levels.put_wall is None:
        return "unknown"
    if not levels.put_wall <= best <= levels.call_wall:
        return "diverging"
    return "converging" if levels.gamma_flip is not None and spot >= levels.gamma_flip else "moderate"


def _alignment_text(alignment: str) -> str:
    return {
        "converging": "Max pain lies between the put and call walls with spot in positive gamma: "
                      "dealer hedging dampens moves towards the pin.",
        "moderate": "Max pain lies between the walls, but spot is below the gamma flip: dealer "
                    "hedging may push price away before it pins.",
        "diverging": "Max pain lies outside the put and call walls: dealer hedging works against "
                     "the pin.",
        "unknown": "The walls are not determined, so alignment with dealer hedging is unknown.",
    }[alignment]


def expected_move_body(answers: dict[str, Any], extras: dict[str, str]) -> dict[str, Any]:
    """GET /v1/expected-move/{symbol}: per expiration the 1-sigma move from ATM IV
    (spot x IV x sqrt(T), USD and % of spot) and the range it implies; atmIv is decimal."""
    em: ExpectedMoveResponse = answers["expected_move"]
    spot = em.underlying_price
    return {**_head(em), "expected_moves": [
        {"expiry": m.expiration, "daysToExpiry": int(math.ceil(m.days_to_expiry)), "atmIv": m.atm_iv,
         "expectedMove": m.iv_move_1sd,
         "expectedMovePct": None if m.iv_move_1sd is None else round(m.iv_move_1sd / spot * 100.0, 3),
         "lowerBound": m.lower_1sd, "upperBound": m.upper_1sd}
        for m in em.moves]}


def top_n(extras: dict[str, str]) -> int:
    """The `topN` query parameter: 1..500, default 20."""
    raw = extras.get("topN")
    if raw is None:
        return DEFAULT_TOP_N
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"topN must be a whole number from 1 to {MAX_TOP_N}; got {raw!r:.40}.") from None
    if not 1 <= value <= MAX_TOP_N:
        raise InputError(f"topN must be from 1 to {MAX_TOP_N}; got {value}.")
    return value


def oi_diff_body(answers: dict[str, Any], extras: dict[str, str]) -> dict[str, Any]:
    """GET /v1/exposure/oi-diff/{symbol}: the top-N (strike, call/put) open-interest changes
    since the previous day (all expirations together: `expiry` is null) and the totals."""
    changes: OIChangesResponse = answers["oi_changes"]
    gex: GexResponse = answers["gex"]
    known = changes.oi_change_known
    rows = []
    for s in gex.strikes:
        for kind, today, change in (("call", s.call_oi, s.call_oi_change), ("put", s.put_oi, s.put_oi_change)):
            if change:
                rows.append({"strike": s.strike, "type": kind, "expiry": None, "today_oi": today,
                             "prior_oi": today - change, "oi_change": change})
    rows.sort(key=lambda r: (-abs(r["oi_change"]), r["strike"], r["type"]))
    total = {kind: sum(getattr(s, f"{kind}_oi_change") or 0 for s in gex.strikes) for kind in ("call", "put")}
    return {**_head(gex), "prior_snapshot_available": known,
            "total_call_oi_change": total["call"] if known else None,
            "total_put_oi_change": total["put"] if known else None,
            "top_oi_changes": rows[: top_n(extras)]}


__all__ = ["expected_move_body", "max_pain_body", "oi_diff_body", "pain_curve", "top_n"]
