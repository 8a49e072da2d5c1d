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


def dealer_delta_shares(prepared: PreparedChain, spot: float) -> float:
    """D(spot): total dealer delta in shares of the underlying."""
    d = delta(spot, prepared.strike, prepared.t_years, prepared.iv, prepared.is_call,
              prepared.rate, prepared.dividend_yield)
    return float(np.sum(prepared.sign * d * prepared.open_interest * prepared.multiplier))


def estimate_hedge(prepared: PreparedChain, move_pct: float, base_delta: float | None = None) -> Hedge:
    """Shares dealers trade to re-hedge after spot moves by `move_pct` percent."""
    spot = prepared.spot
    new_spot = spot * (1.0 + move_pct / 100.0)
    before = dealer_delta_shares(prepared, spot) if base_delta is None else base_delta
    shares = -(dealer_delta_shares(prepared, new_spot) - before)
    direction = "buy" if shares > 0.5 else "sell" if shares < -0.5 else "none"
    return Hedge(move_pct, new_spot, shares, direction, abs(shares) * new_spot)
