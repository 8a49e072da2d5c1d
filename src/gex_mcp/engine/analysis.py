"""One call from a chain to everything the product reports: `analyze_chain`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from gex_mcp.engine.breakdown import ExpiryGex, OIMove, gex_by_expiry, top_oi_movers
from gex_mcp.engine.chain import OptionChain
from gex_mcp.engine.expected_move import ExpectedMove, expected_moves
from gex_mcp.engine.exposure import (
    ContractExposures,
    StrikeExposures,
    contract_exposures,
    contract_greeks,
    strike_exposures,
)
from gex_mcp.engine.flip import DEFAULT_RANGE_PCT, GammaFlip, find_gamma_flip
from gex_mcp.engine.hedging import Hedge, estimate_hedge
from gex_mcp.engine.levels import Levels, find_levels
from gex_mcp.engine.prepare import (
    DEFAULT_DEALER_MODEL,
    DEFAULT_DIVIDEND_YIELD,
    DEFAULT_RATE,
    PreparedChain,
    prepare_chain,
)
from gex_mcp.engine.regime import NEUTRAL_BAND_PCT, RegimeCall, classify_regime


@dataclass(frozen=True, eq=False)
class ChainAnalysis:
    """Every computed quantity for one chain, spot and parameter set.

    The fields are what every answer reads (a watchlist scan needs no more); the hedging
    flows, the per-expiry breakdown, the OI movers and the expected moves are computed on
    first use and kept with the analysis.
    """

    chain: OptionChain  # the input, as listed (settled and zero-OI rows included)
    prepared: PreparedChain
    contracts: ContractExposures
    strikes: StrikeExposures
    flip: GammaFlip
    levels: Levels
    regime: RegimeCall
    dealer_delta_shares: float  # D(S) = Σ s · Δ · OI · m at spot (see hedging.py)

    @cached_property
    def hedge_up(self) -> Hedge:
        """Dealer re-hedge after a 1% rise."""
        return estimate_hedge(self.prepared, +1.0, self.dealer_delta_shares)

    @cached_property
    def hedge_down(self) -> Hedge:
        """Dealer re-hedge after a 1% fall."""
        return estimate_hedge(self.prepared, -1.0, self.dealer_delta_shares)

    @cached_property
    def expiries(self) -> list[ExpiryGex]:
        """GEX, DEX and forwards per expiration (see breakdown.py)."""
        return gex_by_expiry(self.prepared, self.contracts)

    @cached_property
    def oi_movers(self) -> list[OIMove]:
        """Strikes with the largest |OI change|; empty when the previous OI is unknown."""
        return top_oi_movers(self.prepared)

    @property
    def totals(self) -> dict[str, float]:
        """Net and per-side totals, USD (see exposure.py for units)."""
        s = self.strikes
        return {
            "call_gex": float(s.call_gex.sum()), "put_gex": float(s.put_gex.sum()),
            "net_gex": float(self.contracts.gex.sum()), "net_dex": float(self.contracts.dex.sum()),
            "net_vex": float(self.contracts.vex.sum()), "net_chex": float(self.contracts.chex.sum()),
        }

    @cached_property
    def expected_moves(self) -> list[ExpectedMove]:
        """Straddle and ATM-IV move per unsettled expiration (see expected_move.py); computed
        on first use (several answers read it; ~7 ms on SPX) and kept with the analysis."""
        return expected_moves(self.chain, self.prepared)

    @property
    def zero_dte_net_gex(self) -> float | None:
        today = self.prepared.expiry == self.prepared.today
        return float(self.contracts.gex[today].sum()) if today.any() else None


def analyze_chain(
    chain: OptionChain,
    *,
    rate: float = DEFAULT_RATE,
    dividend_yield: float = DEFAULT_DIVIDEND_YIELD,
    dealer_model: str = DEFAULT_DEALER_MODEL,
    expiration: str | np.datetime64 | None = None,
    min_oi: float = 0.0,
    flip_range_pct: float = DEFAULT_RANGE_PCT,
    neutral_band_pct: float = NEUTRAL_BAND_PCT,
    previous_strike_oi: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> ChainAnalysis:
    """Prepare, price and aggregate a chain; find flip, levels, regime and hedging flows.

    Raises:
        ValueError: non-positive spot or unknown dealer model.
    """
    prepared = prepare_chain(chain, rate=rate, dividend_yield=dividend_yield,
                             dealer_model=dealer_model, expiration=expiration, min_oi=min_oi,
                             previous_strike_oi=previous_strike_oi)
    greeks = contract_greeks(prepared)
    contracts = contract_exposures(prepared, greeks)
    by_strike = strike_exposures(prepared, contracts)
    flip = find_gamma_flip(prepared, range_pct=flip_range_pct)
    shares_now = float(np.sum(prepared.sign * greeks.delta * prepared.open_interest * prepared.multiplier))
    return ChainAnalysis(
        chain=chain,
        prepared=prepared,
        contracts=contracts,
        strikes=by_strike,
        flip=flip,
        levels=find_levels(prepared, contracts, by_strike),
        regime=classify_regime(prepared.spot, flip, neutral_band_pct=neutral_band_pct),
        dealer_delta_shares=shares_now,
    )


__all__ = ["ChainAnalysis", "analyze_chain"]
