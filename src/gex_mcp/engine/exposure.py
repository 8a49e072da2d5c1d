"""Per-strike dealer exposures: GEX, DEX, VEX, CHEX.

Per contract, with s the dealer sign (+1 long, -1 short; see `prepare`), OI in
contracts, m the multiplier (shares per contract) and S the spot in USD:

| Exposure | Formula, per contract | Unit |
|---|---|---|
| GEX | s · Γ · OI · m · S² · 0.01 | USD of dealer delta per 1% spot move |
| DEX | s · Δ · OI · m · S | USD of dealer delta |
| VEX | s · vanna · OI · m · S · 0.01 | USD of dealer delta per vol point |
| CHEX | s · charm · OI · m · S / 365 | USD of dealer delta per calendar day |

Per-strike values sum the contracts at that strike over every expiry (and root) kept.
The GEX convention is SpotGamma's / FlashAlpha's: Γ·S²·0.01 is the dollar change of a
one-share delta for a 1% move. Under the default dealer model call GEX >= 0 and put GEX <= 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gex_mcp.engine.aggregate import oi_change_by_strike, sum_by_strike, unique_inverse
from gex_mcp.engine.greeks import Greeks, all_greeks
from gex_mcp.engine.prepare import PreparedChain

PCT = 0.01
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class ContractExposures:
    """Per-contract exposures (same order as the PreparedChain), USD."""

    gex: np.ndarray
    dex: np.ndarray
    vex: np.ndarray
    chex: np.ndarray


@dataclass(frozen=True)
class StrikeExposures:
    """Exposures summed per strike, ascending strikes; NaN OI change = unknown."""

    strike: np.ndarray
    call_gex: np.ndarray
    put_gex: np.ndarray
    call_dex: np.ndarray
    put_dex: np.ndarray
    call_vex: np.ndarray
    put_vex: np.ndarray
    call_chex: np.ndarray
    put_chex: np.ndarray
    call_oi: np.ndarray
    put_oi: np.ndarray
    call_volume: np.ndarray
    put_volume: np.ndarray
    call_oi_change: np.ndarray
    put_oi_change: np.ndarray

    @property
    def net_gex(self) -> np.ndarray:
        return self.call_gex + self.put_gex

    @property
    def net_dex(self) -> np.ndarray:
        return self.call_dex + self.put_dex

    @property
    def net_vex(self) -> np.ndarray:
        return self.call_vex + self.put_vex

    @property
    def net_chex(self) -> np.ndarray:
        return self.call_chex + self.put_chex


def contract_greeks(prepared: PreparedChain, spot: float | None = None) -> Greeks:
    """Greeks of every prepared contract at `spot` (default: the chain's spot); contracts
    marked `intrinsic` (deep in the money, no IV) take the σ -> 0 limit: delta ±e^{-qT},
    gamma and vanna 0, charm ±q e^{-qT}."""
    s = prepared.spot if spot is None else spot
    greeks = all_greeks(s, prepared.strike, prepared.t_years, prepared.iv, prepared.is_call,
                        prepared.rate, prepared.dividend_yield)
    deep = prepared.intrinsic
    if deep is None or not deep.any():
        return greeks
    side = np.where(prepared.is_call[deep], 1.0, -1.0)
    q = prepared.dividend_yield[deep]
    disc_q = np.exp(-q * prepared.t_years[deep])
    for name, value in (("delta", side * disc_q), ("gamma", 0.0), ("vanna", 0.0),
                        ("charm", side * q * disc_q)):
        getattr(greeks, name)[deep] = value
    return greeks


def contract_exposures(prepared: PreparedChain, greeks: Greeks) -> ContractExposures:
    """Dealer exposures of each contract at the chain's spot (formulas in the module doc)."""
    spot = prepared.spot
    shares = prepared.sign * prepared.open_interest * prepared.multiplier
    return ContractExposures(
        gex=shares * greeks.gamma * spot * spot * PCT,
        dex=shares * greeks.delta * spot,
        vex=shares * greeks.vanna * spot * PCT,
        chex=shares * greeks.charm * spot / DAYS_PER_YEAR,
    )


def strike_exposures(prepared: PreparedChain, per_contract: ContractExposures) -> StrikeExposures:
    """Sum contract exposures, OI, volume and OI change per strike."""
    strikes, _, inverse = unique_inverse(prepared.strike)
    n = len(strikes)

    def split(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return sum_by_strike(inverse, n, prepared.is_call, values)

    call_gex, put_gex = split(per_contract.gex)
    call_dex, put_dex = split(per_contract.dex)
    call_vex, put_vex = split(per_contract.vex)
    call_chex, put_chex = split(per_contract.chex)
    call_oi, put_oi = split(prepared.open_interest)
    call_vol, put_vol = split(prepared.volume)
    call_chg, put_chg = _oi_change_on(strikes, prepared)
    return StrikeExposures(
        strike=strikes, call_gex=call_gex, put_gex=put_gex, call_dex=call_dex, put_dex=put_dex,
        call_vex=call_vex, put_vex=put_vex, call_chex=call_chex, put_chex=put_chex,
        call_oi=call_oi, put_oi=put_oi, call_volume=call_vol, put_volume=put_vol,
        call_oi_change=call_chg, put_oi_change=put_chg,
    )


def _oi_change_on(strikes: np.ndarray, prepared: PreparedChain) -> tuple[np.ndarray, np.ndarray]:
    """OI change per strike of `strikes`, calls and puts; NaN where no previous OI is known."""
    known, call, put, call_seen, put_seen = oi_change_by_strike(
        prepared.change_strike, prepared.change_is_call, prepared.change_value)
    call_out, put_out = np.full(len(strikes), np.nan), np.full(len(strikes), np.nan)
    if len(known):
        pos = np.minimum(np.searchsorted(known, strikes), len(known) - 1)
        match = known[pos] == strikes
        call_out[match] = np.where(call_seen, call, np.nan)[pos[match]]
        put_out[match] = np.where(put_seen, put, np.nan)[pos[match]]
    return call_out, put_out

