"""How robust is the gamma flip? The flip re-found under changed assumptions.

Each scenario re-prices the whole chain (see `flip.py`: every IV and expiry time held fixed
while spot moves) after changing one assumption:

- IV shift: every option's IV moved by the same number of vol points,
  σ' = max(σ + shift/100, IV_FLOOR) (floored rows counted);
- dealer model: the other sign model of `prepare.DEALER_MODELS`;
- without an expiration: the chain less one of the `TOP_EXPIRIES` expirations holding the
  most gross gamma near spot (Σ|GEX| of contracts struck within ±`NEAR_SPOT_PCT`% of spot).

For each: the flip and its status (a flip that vanishes says so), and total dealer GEX at
spot, G(S) = Σ s · Γ(S) · OI · m · S² · 0.01 (USD per 1% move).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gex_mcp.engine.exposure import ContractExposures
from gex_mcp.engine.flip import DEFAULT_RANGE_PCT, GammaFlip, GammaProfile, find_gamma_flip
from gex_mcp.engine.greeks import IV_FLOOR
from gex_mcp.engine.prepare import DEALER_MODELS, PreparedChain, dealer_sign
from gex_mcp.engine.zero_dte import take_contracts

DEFAULT_IV_SHIFTS = (-2.0, -1.0, 1.0, 2.0)  # vol points
NEAR_SPOT_PCT = 2.0
TOP_EXPIRIES = 3
#: the flip is called robust when a ±1 vol point shift moves it by at most this % of spot
ROBUST_MOVE_PCT = 0.5


@dataclass(frozen=True)
class FlipScenario:
    """One changed assumption and the flip re-found under it."""

    kind: str  # "iv_shift" | "dealer_model" | "without_expiration"
    flip: GammaFlip
    net_gex: float  # USD per 1% move, at the current spot
    iv_shift: float | None = None  # vol points
    ivs_floored: int = 0  # contracts whose shifted IV hit IV_FLOOR
    dealer_model: str | None = None
    expiration: np.datetime64 | None = None
    near_spot_share_pct: float | None = None  # the expiry's share of near-spot gross GEX


def net_gex_at_spot(prepared: PreparedChain) -> float:
    """G(S): total dealer GEX at the chain's own spot, USD per 1% move."""
    if len(prepared) == 0:
        return 0.0
    spot = prepared.spot
    return float(GammaProfile(prepared, spot, spot)(spot)[0])


def shift_ivs(prepared: PreparedChain, shift_points: float) -> tuple[PreparedChain, int]:
    """Every IV moved by `shift_points` vol points, floored at IV_FLOOR; (chain, floored)."""
    shifted = prepared.iv + shift_points / 100.0
    floored = shifted < IV_FLOOR
    if prepared.intrinsic is not None:  # intrinsic rows have no IV to shift (no gamma)
        shifted = np.where(prepared.intrinsic, prepared.iv, shifted)
        floored &= ~prepared.intrinsic
    return replace(prepared, iv=np.maximum(shifted, IV_FLOOR)), int(np.count_nonzero(floored))


def other_dealer_model(dealer_model: str) -> str:
    """The sign model that is not `dealer_model`."""
    return next(m for m in DEALER_MODELS if m != dealer_model)


def top_near_spot_expiries(prepared: PreparedChain, contracts: ContractExposures, *,
                           band_pct: float = NEAR_SPOT_PCT,
                           count: int = TOP_EXPIRIES) -> list[tuple[np.datetime64, float]]:
    """The `count` expirations with the largest Σ|GEX| over contracts struck within
    ±band_pct% of spot, with each one's share of that near-spot total (percent)."""
    near = np.abs(prepared.strike / prepared.spot - 1.0) <= band_pct / 100.0
    if not near.any():
        return []
    dates, inverse = np.unique(prepared.expiry[near], return_inverse=True)
    gross = np.bincount(inverse, weights=np.abs(contracts.gex[near]), minlength=len(dates))
    total = float(gross.sum())
    if total <= 0.0:
        return []
    order = np.argsort(-gross, kind="stable")[:count]
    return [(dates[i], float(gross[i] / total * 100.0)) for i in order if gross[i] > 0]


def flip_scenarios(prepared: PreparedChain, contracts: ContractExposures, *, dealer_model: str,
                   iv_shifts: tuple[float, ...] = DEFAULT_IV_SHIFTS,
                   range_pct: float = DEFAULT_RANGE_PCT) -> list[FlipScenario]:
    """The flip under each IV shift (in the order given), the other dealer model and without
    each of the top near-spot expirations when there are several (see the module docstring)."""
    out = []
    for shift in iv_shifts:
        shifted, floored = shift_ivs(prepared, shift)
        out.append(FlipScenario("iv_shift", find_gamma_flip(shifted, range_pct=range_pct),
                                net_gex_at_spot(shifted), iv_shift=shift, ivs_floored=floored))
    other = other_dealer_model(dealer_model)
    flipped = replace(prepared, sign=dealer_sign(prepared.is_call, other))
    out.append(FlipScenario("dealer_model", find_gamma_flip(flipped, range_pct=range_pct),
                            net_gex_at_spot(flipped), dealer_model=other))
    several = len(np.unique(prepared.expiry)) > 1  # leaving out the only one leaves nothing
    for expiry, share in top_near_spot_expiries(prepared, contracts) if several else []:
        rest = take_contracts(prepared, prepared.expiry != expiry)
        out.append(FlipScenario("without_expiration", find_gamma_flip(rest, range_pct=range_pct),
                                net_gex_at_spot(rest), expiration=expiry,
                                near_spot_share_pct=share))
    return out


__all__ = ["DEFAULT_IV_SHIFTS", "NEAR_SPOT_PCT", "ROBUST_MOVE_PCT", "TOP_EXPIRIES", "FlipScenario",
           "flip_scenarios", "net_gex_at_spot", "other_dealer_model", "shift_ivs",
           "top_near_spot_expiries"]
