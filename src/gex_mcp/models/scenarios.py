"""What-if answers: the GEX/DEX profile across spot and dealer hedging for given moves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gex_mcp.models.base import BaseModel, DealerModel, FlipInfo, FlipStatus, Provenance, Regime


class ProfilePoint(BaseModel):
    """Dealer totals if spot were `spot`, every IV and expiry time held fixed."""

    spot: float = Field(description="Hypothetical spot, USD.")
    move_pct: float = Field(description="(spot / current spot - 1) x 100.")
    net_gex: float = Field(description="Total dealer GEX there, USD per 1% move.")
    net_dex: float = Field(description="Total dealer DEX there, USD of delta.")


class ProfileResponse(Provenance, FlipInfo):
    """Total dealer GEX and DEX re-priced across spot: the curve whose zero is the gamma flip."""

    range_pct: float = Field(description="Spots span ±range_pct percent of the current spot.")
    net_gex_at_spot: float = Field(description="GEX at the current spot, USD per 1% move.")
    min_net_gex: float = Field(description="Lowest GEX on the curve, USD per 1% move.")
    min_net_gex_spot: float = Field(description="Spot where it occurs, USD.")
    max_net_gex: float = Field(description="Highest GEX on the curve, USD per 1% move.")
    max_net_gex_spot: float = Field(description="Spot where it occurs, USD.")
    points: list[ProfilePoint]


class HedgeInstrument(BaseModel):
    name: str = Field(description="Ticker of the instrument, e.g. 'ES' or 'SPY'.")
    description: str
    usd_per_point: float = Field(description="USD per unit per point of the underlying.")


class HedgeStep(BaseModel):
    """Dealer re-hedge after one spot move (re-priced delta, IV fixed)."""

    move_pct: float = Field(description="Spot move, percent.")
    new_spot: float = Field(description="Spot after the move, USD.")
    dealer_shares_to_trade: float = Field(description="Units of the underlying dealers trade; + buy, - sell.")
    direction: Literal["buy", "sell", "none"]
    notional_usd: float = Field(description="|shares| x new spot, USD.")
    instrument_units: list[float] = Field(
        description="The same trade in units of each listed instrument (signed like the shares).")


class HedgingResponse(Provenance):
    """Dealer hedge flows for a ladder of spot moves, in shares, notional and liquid hedges."""

    instruments: list[HedgeInstrument] = Field(description="Columns of instrument_units, in order.")
    steps: list[HedgeStep]




ScenarioKind = Literal["iv_shift", "dealer_model", "without_expiration"]


class FlipScenario(BaseModel):
    """The gamma flip re-found with one assumption changed (spot re-priced, IVs held)."""

    scenario: str = Field(description="What changed, e.g. 'IV +1 vol pt', 'without 2023-02-17'.")
    kind: ScenarioKind
    iv_shift_points: float | None = Field(None, description="Every IV moved by this many vol points.")
    ivs_floored: int = Field(0, description="Contracts whose shifted IV was floored at 3%.")
    dealer_model: DealerModel | None = Field(None, description="The dealer model assumed instead.")
    expiration_removed: str | None = Field(None, description="The expiration left out, YYYY-MM-DD.")
    near_spot_gamma_share_pct: float | None = Field(
        None, description="That expiration's share of gross GEX struck within ±2% of spot, %.")
    gamma_flip: float | None = Field(description="Flip under this scenario, USD; null when none.")
    gamma_flip_status: FlipStatus
    gamma_flip_reason: str | None = Field(None, description="Why the flip is null, when it is.")
    flip_change: float | None = Field(
        None, description="Scenario flip - base flip, USD points; null when either is missing.")
    flip_change_pct: float | None = Field(None, description="flip_change / spot x 100.")
    net_gex: float = Field(description="Total dealer GEX at the current spot, USD per 1% move.")
    gamma_regime: Regime = Field(description="Regime at the current spot under this scenario.")


class FlipSensitivityResponse(Provenance, FlipInfo):
    """The gamma flip and net GEX under IV shifts, the other dealer model and without the
    expirations holding the most gamma near spot, with a one-line reading."""

    net_gex: float = Field(description="Total dealer GEX at spot as quoted, USD per 1% move.")
    gamma_regime: Regime = Field(description="Regime at spot as quoted.")
    scenarios: list[FlipScenario]
    max_flip_move_1vol: float | None = Field(
        None, description="Largest |flip change| for a ±1 vol point shift, USD points; null "
                          "when the flip is missing in either.")
    max_flip_move_1vol_pct: float | None = Field(None, description="The same, % of spot.")
    robust: bool | None = Field(
        None, description="True when ±1 vol point moves the flip by at most 0.5% of spot and "
                          "the flip exists in both; null when there is no flip to begin with.")
    reading: str = Field(description="One line for an agent: how far the flip moves and whether "
                                     "it is robust.")
