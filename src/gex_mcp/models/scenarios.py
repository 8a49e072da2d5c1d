"""What-if answers: the GEX/DEX profile across spot and dealer hedging for given moves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gex_mcp.models.base import BaseModel, FlipInfo, Provenance


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


