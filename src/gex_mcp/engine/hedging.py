"""Dealer hedging flows for a spot move, by re-pricing dealer delta with IV fixed.

Dealer delta in shares: D(S) = Σ s · Δ(S) · OI · m. After a move to S' dealers hold
D(S') - D(S) more shares of delta than before, and trade the opposite to stay flat:
shares_to_trade = -(D(S') - D(S)); positive = buy. Notional = |shares| · S'.
Long gamma dealers sell into rallies and buy dips; short gamma dealers chase the move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gex_mcp.engine.greeks import delta
from gex_mcp.engine.prepare import PreparedChain


@dataclass(frozen=True)
class Hedge:
    move_pct: float
    new_spot: float
    shares: float  # + buy, - sell
    direction: str  # buy | sell | none
    notional_usd: float


def dealer_delta_shares(prepared: PreparedChain, spot: float | np.ndarray) -> float | np.ndarray:
    """D(spot): total dealer delta in shares of the underlying, at one spot (a float) or at
    each of an array of spots (an array of the same shape)."""
    spots = np.asarray(spot, dtype=float)
    d = delta(spots[..., None], prepared.strike, prepared.t_years, prepared.iv, prepared.is_call,
              prepared.rate, prepared.dividend_yield)
    if prepared.intrinsic is not None and prepared.intrinsic.any():  # σ -> 0: ±e^{-qT}
        limit = np.where(prepared.is_call, 1.0, -1.0) * np.exp(-prepared.dividend_yield
                                                               * prepared.t_years)
        d = np.where(prepared.intrinsic, limit, d)
    # einsum, not @: BLAS would start its worker threads, which on a small busy machine only
    # contend with the event loop (a 0.8 ms re-pricing took 16 ms in such runs)
    total = np.einsum("...j,j->...", d, prepared.sign * prepared.open_interest * prepared.multiplier)
    return float(total) if spots.ndim == 0 else total


def estimate_hedge(prepared: PreparedChain, move_pct: float, base_delta: float | None = None) -> Hedge:
    """Shares dealers trade to re-hedge after spot moves by `move_pct` percent."""
    spot = prepared.spot
    new_spot = spot * (1.0 + move_pct / 100.0)
    before = dealer_delta_shares(prepared, spot) if base_delta is None else base_delta
    shares = -(dealer_delta_shares(prepared, new_spot) - before)
    direction = "buy" if shares > 0.5 else "sell" if shares < -0.5 else "none"
    return Hedge(move_pct, new_spot, shares, direction, abs(shares) * new_spot)


#: How a dealer hedge in the underlying is usually carried: (instrument, USD per unit per
#: point of the underlying, description). units = notional / (factor · S').
LIQUID_HEDGES: dict[str, tuple[tuple[str, float, str], ...]] = {
    "SPX": (("ES", 50.0, "E-mini S&P 500 futures, $50 x index"),
            ("SPY", 0.1, "SPY shares, taking SPY = SPX / 10")),
    "XSP": (("SPY", 1.0, "SPY shares, taking SPY = XSP"),),
    "NDX": (("NQ", 20.0, "E-mini Nasdaq-100 futures, $20 x index"),),
    "RUT": (("RTY", 50.0, "E-mini Russell 2000 futures, $50 x index"),),
}
DEFAULT_MOVES_PCT = (-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0)


def linear_hedge(net_gex: float, spot: float, move_pct: float) -> Hedge:
    """The guide's linear estimate: dealer gamma x move, the same size both ways.

    Net GEX G is USD of dealer delta per 1% move (Γ_shares · S · 0.01 · S), so a move of
    m% changes dealer delta by G · m / S shares; dealers trade the opposite:
    shares = -G · m / S (+ buy), notional = |shares| · S (USD, at today's spot).
    """
    shares = -net_gex * move_pct / spot if spot > 0 else 0.0
    direction = "buy" if shares > 0 else "sell" if shares < 0 else "none"
    return Hedge(move_pct=move_pct, new_spot=spot * (1.0 + move_pct / 100.0), shares=shares,
                 direction=direction, notional_usd=abs(shares) * spot)


def hedge_instruments(symbol: str) -> tuple[tuple[str, float, str], ...]:
    """The liquid hedges of `symbol`: its index futures, else the underlying itself (factor 1)."""
    return LIQUID_HEDGES.get(symbol, ((symbol, 1.0, f"{symbol} shares"),))


def hedge_ladder(prepared: PreparedChain, moves_pct: tuple[float, ...] = DEFAULT_MOVES_PCT) -> list[Hedge]:
    """`estimate_hedge` for each move, sharing D(spot)."""
    base = dealer_delta_shares(prepared, prepared.spot)
    return [estimate_hedge(prepared, m, base) for m in moves_pct]
