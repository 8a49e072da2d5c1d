"""Level answers: key levels, the summary, regime, flip distance, and the watchlist scan built from them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from gex_mcp.engine.hedging import linear_hedge
from gex_mcp.models.base import BaseModel, DataQuality, ExpiryKind, FlipInfo, FlipStatus, Provenance, Regime

#: The one distance convention: (level - spot) / spot x 100, positive when the level is above spot.
FLIP_PCT = "(gamma_flip - spot) / spot x 100, percent: + when the flip is above spot."
FLIP_POINTS = "gamma_flip - spot, USD: + when the flip is above spot."


class LevelsResponse(Provenance, FlipInfo):
    """Key price levels (the guide's /v1/exposure/levels), USD; null when absent."""

    call_wall: float | None = Field(description="Strike of largest call GEX (resistance).")
    put_wall: float | None = Field(description="Strike of most negative put GEX (support).")
    max_positive_gamma: float | None = Field(description="Strike of largest net GEX.")
    max_negative_gamma: float | None = Field(description="Strike of most negative net GEX.")
    highest_oi_strike: float | None = Field(
        description="Strike with the largest call+put OI within ±20% of spot (the walls' window).")
    zero_dte_magnet: float | None = Field(
        description="Strike of largest |net GEX| among options expiring today; null when none.")


class HedgeEstimate(BaseModel):
    """Dealer re-hedge for a spot move, from re-priced dealer delta (IV fixed)."""

    spot_move_pct: float = Field(description="Assumed move, percent (+1 or -1).")
    new_spot: float = Field(description="Spot after the move, USD.")
    dealer_shares_to_trade: float = Field(description="Shares dealers must trade; + buy, - sell.")
    direction: Literal["buy", "sell", "none"]
    notional_usd: float = Field(description="|shares| x new spot, USD.")


class ExpiryExposure(BaseModel):
    """GEX of one expiration."""

    expiration: str
    days_to_expiry: float = Field(description="Calendar days from as_of to settlement.")
    kind: ExpiryKind
    net_gex: float = Field(description="Net dealer GEX of this settlement, USD per 1% move.")
    net_gex_label: str
    share_of_gross_gex_pct: float = Field(
        description="Sum of |GEX| over this settlement's contracts / the same sum over every "
                    "contract x 100, percent (as in expirations).")
    top_strike: float | None = Field(description="Strike of largest |net GEX| in this expiry.")
    open_interest: int = Field(description="Call + put OI of the settlement's listed contracts "
                                           "(as in expirations).")
    settlement: Literal["AM", "PM"] = Field(
        "PM", description="AM: settles 09:30 New York (index monthlies); PM: 16:00. A date with "
                          "both (SPX and SPXW) has a row for each.")
    atm_iv: float | None = Field(None, description="Mean IV of the at-the-money call and put, decimal.")


class ExpiryForwardExposure(ExpiryExposure):
    """GEX of one expiration, with the forward its greeks are priced off (expiry breakdown)."""

    forward: float | None = Field(
        None, description="Forward the greeks are priced off, USD: implied from put-call parity "
                          "near the money, else carried from spot at the rate/yield settings.")
    implied_carry_pct: float | None = Field(
        None, description="ln(forward/S*)/T x 100, percent a year (rate minus dividends and "
                          "borrow), S* = data_quality.implied_spot (else spot); null under a "
                          "week (see basis_points) and where parity could not be read.")
    basis_points: float | None = Field(
        None, description="forward - spot, USD, for expirations under a week (a timing basis "
                          "over hours is not a yearly carry); null otherwise.")


class OIMover(BaseModel):
    strike: float
    call_oi_change: int
    put_oi_change: int
    total_abs_change: int
    call_oi_expired: int | None = Field(
        None, description="Call OI at this strike that settled since the previous snapshot "
                          "(not in the change); null when unknown.")
    put_oi_expired: int | None = Field(
        None, description="Put OI at this strike that settled since the previous snapshot "
                          "(not in the change); null when unknown.")


class SummaryResponse(Provenance, FlipInfo):
    """Regime, totals, interpretation and hedging (the guide's /v1/exposure/summary)."""

    gamma_regime: Regime
    regime_reason: str
    flip_above_spot_pct: float | None = Field(description=FLIP_PCT)
    flip_above_spot_points: float | None = Field(description=FLIP_POINTS)
    net_gex: float
    net_gex_label: str
    net_dex: float
    net_dex_label: str
    net_vex: float
    net_vex_label: str
    net_chex: float
    net_chex_label: str
    interpretation: str
    interpretation_detail: dict[str, str] = Field(description="gamma, vanna and charm in words.")
    dealer_hedge_up_1pct: HedgeEstimate = Field(
        description="Re-priced: dealer delta re-computed at spot +1% (IV fixed), the change hedged.")
    dealer_hedge_down_1pct: HedgeEstimate = Field(description="Re-priced, for spot -1%.")
    linear_hedge_up_1pct: HedgeEstimate = Field(
        description="The guide's linear estimate: shares = -net GEX x 1% / spot (same size both ways).")
    linear_hedge_down_1pct: HedgeEstimate = Field(description="The linear estimate for spot -1%.")
    zero_dte_net_gex: float | None = Field(description="Net GEX of options expiring today; null when none.")
    zero_dte_pct_of_total: float | None
    call_wall: float | None
    put_wall: float | None
    expiry_breakdown: list[ExpiryExposure]
    top_oi_movers: list[OIMover] = Field(description="Largest |OI change| strikes; empty when unknown.")
    data_quality: DataQuality


class RegimeResponse(Provenance, FlipInfo):
    """Dealer gamma regime with the numbers behind it."""

    gamma_regime: Regime
    regime_reason: str
    net_gex: float = Field(description="Total dealer GEX at spot, USD per 1% move.")
    net_gex_label: str
    flip_above_spot_pct: float | None = Field(description=FLIP_PCT)
    flip_above_spot_points: float | None = Field(description=FLIP_POINTS)
    neutral_band_pct: float = Field(description="Half-width of the neutral band around the flip, percent.")


class FlipDistanceResponse(Provenance, FlipInfo):
    """How far spot is from the gamma flip and the walls."""

    flip_above_spot_pct: float | None = Field(description=FLIP_PCT)
    flip_above_spot_points: float | None = Field(description=FLIP_POINTS)
    nearest_crossing_above: float | None
    nearest_crossing_below: float | None
    call_wall: float | None
    put_wall: float | None
    call_wall_above_spot_pct: float | None = Field(
        description="(call_wall - spot) / spot x 100: + when the wall is above spot.")
    put_wall_above_spot_pct: float | None = Field(
        description="(put_wall - spot) / spot x 100: + when the wall is above spot.")


class ScanRow(BaseModel):
    """One symbol of a watchlist scan; `error` is set (and numbers null) when it failed."""

    symbol: str
    underlying_price: float | None = None
    gamma_flip: float | None = None
    gamma_flip_status: FlipStatus | None = None
    gamma_regime: Regime | None = None
    net_gex: float | None = None
    net_gex_label: str | None = None
    call_wall: float | None = None
    put_wall: float | None = None
    flip_above_spot_pct: float | None = Field(None, description=FLIP_PCT)
    below_flip: bool | None = Field(None, description="Spot below the gamma flip (negative gamma).")
    near_call_wall: bool | None = Field(None, description="Spot within near_wall_pct of the call wall.")
    near_put_wall: bool | None = Field(None, description="Spot within near_wall_pct of the put wall.")
    as_of: datetime | None = None
    source: str | None = None
    is_demo: bool = False
    stale: bool = False
    outdated: bool = Field(False, description="The snapshot is more than one session before the "
                                              "time asked about (see notes).")
    notes: list[str] = Field(default_factory=list,
                             description="What changes how to read this row (the answer's notes).")
    error: str | None = Field(None, description="Why this symbol failed; the scan goes on.")


class ScanResponse(BaseModel):
    """A watchlist scan: one row per symbol, in the order asked."""

    rows: list[ScanRow]
    near_wall_pct: float = Field(description="Threshold for near_call_wall / near_put_wall, percent of spot.")
    negative_gamma: list[str] = Field(description="Symbols in negative gamma (below their flip).")
    failed: list[str] = Field(description="Symbols that returned an error.")
    as_of_spread_seconds: float | None = Field(
        None, description="Seconds between the oldest and newest row's as_of; large when the "
                          "rows come from different times (e.g. saved snapshots).")


def linear_hedges(net_gex: float, spot: float) -> dict[str, HedgeEstimate]:
    """`linear_hedge_up_1pct` and `linear_hedge_down_1pct` of a summary: the guide's linear
    estimate (`engine.hedging.linear_hedge`), shares and notional whole, spot to the cent."""
    out = {}
    for name, move in (("linear_hedge_up_1pct", 1.0), ("linear_hedge_down_1pct", -1.0)):
        h = linear_hedge(net_gex, spot, move)
        out[name] = HedgeEstimate(spot_move_pct=move, new_spot=round(h.new_spot, 2),
                                  dealer_shares_to_trade=round(h.shares), direction=h.direction,
                                  notional_usd=round(h.notional_usd))
    return out

