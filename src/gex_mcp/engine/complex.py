"""An index and its ETF/mini siblings as one book, in the index's units.

Members (`COMPLEXES`): SPX + SPY + XSP, NDX + QQQ, RUT + IWM. Each member is put in index
points by its own forward ratio, per expiry T:

    ρ(T) = F_index(T) / F_member(T),

the forwards being each chain's own (put-call parity, see `forwards.py`), the index's
carry c = ln(F/S)/T interpolated in T between its expirations (flat beyond them). A member
contract (strike K, multiplier m) becomes one of strike ρK and multiplier m/ρ priced at the
index's spot with the index's carry: its moneyness F/K is unchanged, so at the index's spot
its GEX (s·Γ·OI·m·S²·0.01, USD per 1% move) and DEX (s·Δ·OI·m·S, USD) equal the member's
own, and a move of the index moves every member by the same percentage. The merged chain is
priced, flipped and levelled like any other. Per-strike rows and walls use the index's own
strike grid: each scaled strike is counted at the nearest listed index strike.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from gex_mcp.engine.exposure import (
    ContractExposures,
    StrikeExposures,
    contract_exposures,
    contract_greeks,
    strike_exposures,
)
from gex_mcp.engine.flip import DEFAULT_RANGE_PCT, GammaFlip, find_gamma_flip
from gex_mcp.engine.levels import Levels, find_levels
from gex_mcp.engine.prepare import PreparedChain, Quality
from gex_mcp.engine.regime import NEUTRAL_BAND_PCT, RegimeCall, classify_regime

#: index -> its members, the index first
COMPLEXES: dict[str, tuple[str, ...]] = {
    "SPX": ("SPX", "SPY", "XSP"),
    "NDX": ("NDX", "QQQ"),
    "RUT": ("RUT", "IWM"),
}
_PER_CONTRACT = ("expiry", "strike", "is_call", "iv", "t_years", "open_interest", "volume",
                 "oi_change", "multiplier", "sign", "dividend_yield", "forward_implied")


def complex_of(symbol: str) -> str | None:
    """The index whose complex holds `symbol` (an index or a member), else None."""
    for index, members in COMPLEXES.items():
        if symbol in members:
            return index
    return None


def _carry(prepared: PreparedChain) -> np.ndarray:
    """Per contract c = ln(F/S)/T = r - q: the continuous carry of its expiry's forward."""
    return prepared.rate - prepared.dividend_yield


def index_carry_at(index: PreparedChain, t_years: np.ndarray) -> np.ndarray:
    """The index's carry interpolated at `t_years` (linear in T, flat beyond its expiries)."""
    t, first = np.unique(index.t_years, return_index=True)
    return np.interp(t_years, t, _carry(index)[first])


def forward_ratios(index: PreparedChain, member: PreparedChain) -> np.ndarray:
    """ρ(T) per member contract: F_index(T) / F_member(T), index points per member unit."""
    t = member.t_years
    return (index.spot * np.exp(index_carry_at(index, t) * t)) / (member.spot * np.exp(_carry(member) * t))


def in_index_units(index: PreparedChain, members: list[PreparedChain]) -> tuple[PreparedChain, list[np.ndarray]]:
    """One prepared chain of the index's contracts and every member's (strike ρK, multiplier
    m/ρ, the index's carry), priced at the index's spot and clock; and each member's ρ."""
    names = {f.name for f in fields(index)}
    parts: dict[str, list[np.ndarray]] = {n: [getattr(index, n)] for n in _PER_CONTRACT if n in names}
    intrinsic = [index.intrinsic if index.intrinsic is not None else np.zeros(len(index), bool)]
    change = {n: [getattr(index, n)] for n in ("change_strike", "change_is_call", "change_value")}
    ratios = []
    for chain in members:
        rho = forward_ratios(index, chain)
        ratios.append(rho)
        scaled = {"strike": chain.strike * rho, "multiplier": chain.multiplier / rho,
                  "dividend_yield": index.rate - index_carry_at(index, chain.t_years)}
        for n in parts:
            parts[n].append(scaled.get(n, getattr(chain, n)))
        intrinsic.append(chain.intrinsic if chain.intrinsic is not None else np.zeros(len(chain), bool))
        near = float(np.median(rho)) if len(rho) else 1.0  # OI-change rows have no expiry
        change["change_strike"].append(chain.change_strike * near)
        change["change_is_call"].append(chain.change_is_call)
        change["change_value"].append(chain.change_value)
    quality = Quality(contracts_total=sum(c.quality.contracts_total for c in (index, *members)),
                      contracts_used=sum(c.quality.contracts_used for c in (index, *members)))
    merged = replace(index, **{n: np.concatenate(v) for n, v in parts.items()},
                     **{n: np.concatenate(v) for n, v in change.items()},
                     intrinsic=np.concatenate(intrinsic), quality=quality)
    return merged, ratios


def snap_to_grid(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Each value replaced by the nearest grid point (grid ascending; ties go down)."""
    right = np.clip(np.searchsorted(grid, values), 1, len(grid) - 1)
    left = right - 1
    return np.where(np.abs(values - grid[left]) <= np.abs(grid[right] - values), grid[left], grid[right])


@dataclass(frozen=True, eq=False)
class ComplexBook:
    """The merged book; `member` gives each contract's member position (0 = the index)."""

    prepared: PreparedChain  # exact scaled strikes: what is priced
    member: np.ndarray
    ratios: list[np.ndarray]  # per member contract ρ(T); [1.0] for the index
    contracts: ContractExposures
    strikes: StrikeExposures  # on the index's strike grid
    flip: GammaFlip
    levels: Levels
    regime: RegimeCall

    def member_net_gex(self, i: int) -> float:
        return float(self.contracts.gex[self.member == i].sum())

    def member_gross_share_pct(self, i: int) -> float:
        """Member i's Σ|GEX| / the book's Σ|GEX| x 100."""
        gross = float(np.abs(self.contracts.gex).sum())
        return float(np.abs(self.contracts.gex[self.member == i]).sum() / gross * 100) if gross else 0.0


def analyze_complex(index: PreparedChain, members: list[PreparedChain], *,
                    flip_range_pct: float = DEFAULT_RANGE_PCT,
                    neutral_band_pct: float = NEUTRAL_BAND_PCT) -> ComplexBook:
    """Merge the index and its members (see the module docstring), then price, flip, level."""
    chains = [index, *members]
    merged, member_ratios = in_index_units(index, members)
    ratios = [np.ones(len(index)), *member_ratios]
    member = np.concatenate([np.full(len(c), i) for i, c in enumerate(chains)])
    greeks = contract_greeks(merged)
    contracts = contract_exposures(merged, greeks)
    grid = np.unique(index.strike) if len(index) else np.unique(merged.strike)
    on_grid = replace(merged, strike=snap_to_grid(merged.strike, grid),
                      change_strike=snap_to_grid(merged.change_strike, grid))
    by_strike = strike_exposures(on_grid, contracts)
    flip = find_gamma_flip(merged, range_pct=flip_range_pct)
    return ComplexBook(
        prepared=merged, member=member, ratios=ratios, contracts=contracts, strikes=by_strike,
        flip=flip, levels=find_levels(on_grid, contracts, by_strike),
        regime=classify_regime(merged.spot, flip, neutral_band_pct=neutral_band_pct))


__all__ = ["COMPLEXES", "ComplexBook", "analyze_complex", "complex_of", "forward_ratios",
           "in_index_units", "index_carry_at", "snap_to_grid"]
