"""Expiration answers: GEX by expiry, the listed expirations, max pain, expected move, 0DTE and OI changes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from gex_mcp.models.base import BaseModel, ExpiryKind, FlipInfo, Provenance, Regime
from gex_mcp.models.scenarios import HedgeStep
from gex_mcp.models.summary import ExpiryForwardExposure, OIMover


class ExpiryBreakdownResponse(Provenance):
    """GEX per expiration: is gamma concentrated in 0DTE/weekly or monthly options?"""

    net_gex: float
    net_gex_label: str
    zero_dte_pct: float = Field(description="Share of gross |GEX| in same-day expiries, percent.")
    weekly_pct: float = Field(description="Share of gross |GEX| in weekly (non-monthly, non-0DTE) "
                                          "settlements, percent.")
    monthly_pct: float = Field(description="Share of gross |GEX| in monthly, quarterly and LEAPS "
                                           "settlements, percent.")
    expiries: list[ExpiryForwardExposure]


class ExpirationListing(BaseModel):
    """One listed (not yet settled) settlement: a date with AM and PM options has two rows."""

    expiration: str = Field(description="Expiration date, YYYY-MM-DD.")
    kind: ExpiryKind = Field(description="0dte, weekly, monthly, quarterly or leaps.")
    settlement: Literal["AM", "PM"] = Field(
        description="AM: settles 09:30 New York (index monthlies); PM: 16:00. A date with both "
                    "(SPX and SPXW) has a row for each.")
    days_to_expiry: float = Field(description="Calendar days from as_of to this settlement.")
    contracts: int = Field(description="Option contracts listed for the settlement (calls and puts).")
    open_interest: int = Field(description="Call + put open interest, contracts.")
    net_gex: float = Field(description="Net dealer GEX of the settlement, USD per 1% move.")
    share_of_gross_gex_pct: float = Field(
        description="Sum of |GEX| over the settlement's contracts / the same sum over every "
                    "contract x 100, percent; shares add up to 100.")


class ExpirationsResponse(Provenance):
    """Every listed expiration with its kind, settlement, days, open interest and GEX share."""

    count: int = Field(description="Number of listed settlements (rows).")
    rolloff_next_expiry_pct: float = Field(
        description="Share of gross GEX expiring on the nearest expiration date (its AM and PM "
                    "settlements together), percent.")
    rolloff_by_friday_pct: float = Field(
        description="Share of gross GEX expiring on or before this week's Friday, percent.")
    expirations: list[ExpirationListing] = Field(description="Ascending dates.")


class MaxPainExpiry(BaseModel):
    expiration: str
    max_pain: float | None = Field(description="Settlement price minimising holders' payout, USD.")
    max_pain_above_spot_pct: float | None = Field(
        description="(max_pain - spot) / spot x 100: + when max pain is above spot.")
    payout_usd: float | None = Field(description="Holders' payout if settled at max pain, USD.")
    open_interest: int = Field(description="Call + put open interest, contracts.")


class PayoutPoint(BaseModel):
    settle_price: float = Field(description="Settlement price (a listed strike), USD.")
    payout_usd: float = Field(description="What call and put holders collect there, USD.")


class MaxPainResponse(Provenance):
    """Max pain per expiration, and the payout curve around it for one expiration."""

    expirations: list[MaxPainExpiry]
    curve_expiration: str | None = Field(description="The expiration the payout curve is for.")
    payout_curve: list[PayoutPoint] = Field(description="Payout at the strikes around max pain.")


class ExpectedMoveRow(BaseModel):
    expiration: str
    days_to_expiry: float
    atm_strike: float | None = Field(
        description="Strike nearest the expiration's forward quoted on both sides, USD.")
    forward: float | None = Field(
        None, description="The expiration's forward (put-call parity, else carried at the rate "
                          "settings), USD: the at-the-money reference.")
    straddle: float | None = Field(description="ATM call mid + put mid, USD per share.")
    straddle_move_pct: float | None = Field(description="straddle / spot x 100.")
    atm_iv: float | None = Field(description="Mean IV of the ATM call and put, decimal.")
    iv_move_1sd: float | None = Field(description="spot x ATM IV x sqrt(T), USD (one sigma).")
    lower_1sd: float | None = Field(description="spot - iv_move_1sd, USD.")
    upper_1sd: float | None = Field(description="spot + iv_move_1sd, USD.")
    lower_2sd: float | None = Field(description="spot - 2 x iv_move_1sd, USD.")
    upper_2sd: float | None = Field(description="spot + 2 x iv_move_1sd, USD.")


class ExpectedMoveResponse(Provenance):
    """The move the options market prices to each expiration: straddle and ATM-IV ranges."""

    moves: list[ExpectedMoveRow]


class ZeroDteResponse(Provenance, FlipInfo):
    """Today's expiration alone: regime, flip, magnet, pin risk and hedging of the 0DTE options."""

    zero_dte_expiration: str | None = Field(description="Today's date when options expire today; null when none.")
    gamma_regime: Regime = Field(description="Regime of the 0DTE options alone.")
    regime_reason: str
    net_gex: float | None = Field(description="Net GEX of the 0DTE options, USD per 1% move.")
    share_of_gross_gex_pct: float | None = Field(
        description="Sum of |GEX| of 0DTE contracts / the same over the whole chain x 100.")
    open_interest: int = Field(description="0DTE call + put open interest, contracts.")
    magnet: float | None = Field(description="Strike of largest |net GEX| among 0DTE options, USD.")
    pin_strike: float | None = Field(description="Strike within ±1% of spot holding the most 0DTE OI.")
    pin_oi_share_pct: float | None = Field(description="0DTE OI within ±1% of spot / all 0DTE OI x 100.")
    hedges: list[HedgeStep] = Field(description="Dealer re-hedge of the 0DTE book for each move.")


class OIChangesResponse(Provenance):
    """Strikes whose open interest changed most since the previous snapshot (each contract
    against itself; contracts that settled in between are counted apart, not as falls)."""

    oi_change_known: bool = Field(description="False when no previous OI is available yet.")
    oi_change_basis: str = Field(description="Where the previous OI came from and the real gap "
                                             "in sessions.")
    previous_as_of: datetime | None = Field(
        None, description="When the previous OI was taken; null when the source reports it.")
    expired_oi: int | None = Field(
        None, description="Open interest of previous-snapshot contracts that settled before this "
                          "snapshot: left out of every change. Null when unknown.")
    movers: list[OIMover]


