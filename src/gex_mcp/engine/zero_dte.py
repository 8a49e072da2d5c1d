"""Today's expiration on its own: flip, regime, pin risk and hedging of the 0DTE options.

The 0DTE contracts (expiring on as_of's New York date, not yet settled) are analysed as a
chain of their own: their gamma flip and regime (same rules as the whole chain), their
net GEX and its share of the chain's gross GEX (Σ|GEX| of 0DTE contracts / Σ|GEX| of all),
and pin risk: the share of 0DTE open interest at strikes within ±PIN_BAND_PCT of spot and the
strike holding the most of it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from gex_mcp.engine.exposure import ContractExposures
from gex_mcp.engine.flip import GammaFlip, find_gamma_flip
from gex_mcp.engine.hedging import Hedge, hedge_ladder
from gex_mcp.engine.prepare import PreparedChain
from gex_mcp.engine.regime import RegimeCall, classify_regime

PIN_BAND_PCT = 1.0
ZERO_DTE_MOVES_PCT = (-1.0, -0.5, 0.5, 1.0)
_PER_CONTRACT = ("expiry", "strike", "is_call", "iv", "t_years", "open_interest", "volume",
                 "oi_change", "multiplier", "sign", "dividend_yield", "forward_implied",
                 "intrinsic")


@dataclass(frozen=True)
class ZeroDte:
    expiration: np.datetime64
    net_gex: float  # USD per 1% move
    share_of_gross_pct: float
    open_interest: float  # contracts
    flip: GammaFlip
    regime: RegimeCall
    pin_strike: float | None  # USD
    pin_oi_share_pct: float  # 0DTE OI within ±PIN_BAND_PCT of spot / 0DTE OI x 100
    hedges: list[Hedge]


def take_contracts(prepared: PreparedChain, mask: np.ndarray) -> PreparedChain:
    """The prepared chain restricted to the contracts in `mask` (OI-change rows kept)."""
    names = {f.name for f in fields(prepared)}
    return replace(prepared, **{n: getattr(prepared, n)[mask] for n in _PER_CONTRACT
                                if n in names and getattr(prepared, n) is not None})


def zero_dte_view(prepared: PreparedChain, contracts: ContractExposures, *,
                  flip_range_pct: float, neutral_band_pct: float,
                  moves_pct: tuple[float, ...] = ZERO_DTE_MOVES_PCT) -> ZeroDte | None:
    """The 0DTE options alone; None when nothing with open interest expires today."""
    today = prepared.expiry == prepared.today
    if not today.any():
        return None
    sub = take_contracts(prepared, today)
    flip = find_gamma_flip(sub, range_pct=flip_range_pct)
    gross = float(np.abs(contracts.gex).sum())
    near = np.abs(sub.strike - sub.spot) <= sub.spot * PIN_BAND_PCT / 100.0
    oi_total = float(sub.open_interest.sum())
    pin = None
    if near.any():
        strikes, inverse = np.unique(sub.strike[near], return_inverse=True)
        by_strike = np.bincount(inverse, weights=sub.open_interest[near])
        pin = float(strikes[int(np.argmax(by_strike))])
    return ZeroDte(
        expiration=prepared.today, net_gex=float(contracts.gex[today].sum()),
        share_of_gross_pct=float(np.abs(contracts.gex[today]).sum() / gross * 100) if gross else 0.0,
        open_interest=oi_total, flip=flip,
        regime=classify_regime(sub.spot, flip, neutral_band_pct=neutral_band_pct),
        pin_strike=pin,
        pin_oi_share_pct=float(sub.open_interest[near].sum() / oi_total * 100) if oi_total else 0.0,
        hedges=hedge_ladder(sub, moves_pct))
