"""Response models, one per contract shape of the guide, shared by MCP, CLI and REST.

Field names follow `spec/gex-dashboard-api-guide.txt`; extra fields (flip status,
crossings, units, data quality, provenance) are additions, never renames.
All numbers are finite: a value that cannot be determined is null with a reason.
Units: GEX in USD of dealer delta per 1% spot move; DEX in USD of delta; VEX in USD
of delta per vol point; CHEX in USD of delta per calendar day; prices in USD.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel as _PydanticModel
from pydantic import ConfigDict, Field

from gex_mcp.engine.prepare import DEALER_MODELS, DEFAULT_DEALER_MODEL

#: Every data source a call may name; the one definition (settings, service, MCP, CLI).
SOURCE_NAMES = ("cboe", "flashalpha", "file", "demo")
SourceName = Literal[SOURCE_NAMES]  # type: ignore[valid-type]
DealerModel = Literal[DEALER_MODELS]  # type: ignore[valid-type]
FlipStatus = Literal["ok", "no_crossing", "ill_determined", "no_data"]
Regime = Literal["positive_gamma", "negative_gamma", "neutral", "unknown"]
ExpiryKind = Literal["0dte", "weekly", "monthly", "quarterly", "leaps", "other"]


class BaseModel(_PydanticModel):
    """Project base: non-finite floats serialise as null, never as NaN/Infinity."""

    model_config = ConfigDict(ser_json_inf_nan="null", defer_build=True)


class DataQuality(BaseModel):
    """How the input chain was cleaned before analysis (counts of contracts)."""

    contracts_total: int = Field(description="Contracts in the snapshot.")
    contracts_used: int = Field(description="Contracts that entered the sums.")
    expired_dropped: int = Field(0, description="Rows already settled at as_of, dropped.")
    iv_reimplied: int = Field(0, description="Rows whose missing IV was implied from the bid/ask mid.")
    iv_from_pair: int = Field(0, description="Rows whose IV came from the other side of the same strike and expiry.")
    iv_missing_skipped: int = Field(0, description="Rows with open interest but no usable IV, skipped.")
    iv_intrinsic: int = Field(
        0, description="Deep in-the-money rows with no usable IV, counted at intrinsic value "
                       "(delta ±1, zero gamma) rather than dropped.")
    zero_open_interest: int = Field(0, description="Rows with zero OI (contribute nothing).")
    filtered_min_oi: int = Field(0, description="Rows below the min_oi filter.")
    duplicates_dropped: int = Field(
        0, description="Rows repeating a contract already listed (same root, expiry, strike, side).")
    iv_implausible: int = Field(
        0, description="Rows whose quoted IV was outside 3%-1000% a year (placeholders), re-implied "
                       "or skipped like a missing IV.")
    iv_percent_scaled: bool = Field(False, description="The IV column was in percent and was divided by 100.")
    forward_fallbacks: int = Field(
        0, description="Expirations whose forward could not be read from put-call parity "
                       "(one-sided or missing quotes), priced with GEX_RATE/GEX_DIVIDEND_YIELD.")
    implied_spot: float | None = Field(
        None, description="Underlying price the put-call parity forwards from a week to 3 "
                          "months extrapolate to (their term structure at T = 0), USD.")
    spot_stale: bool = Field(
        False, description="The quoted spot was further from implied_spot than the forwards are "
                           "from each other (and 0.5%): the analysis is priced from implied_spot.")
    quote_clock: str | None = Field(
        None, description="How as_of was chosen where the file quotes IVs: the candidate time "
                          "(download time, last close, overnight session) whose time to expiry "
                          "reproduces them from the mids, with the misfit in vol points.")
    notes: list[str] = Field(default_factory=list, description="Loader and engine remarks.")


class Provenance(BaseModel):
    """Where and when an answer comes from. Present on every response."""

    symbol: str = Field(description="Underlying symbol, e.g. 'SPY' or 'SPX'.")
    underlying_price: float = Field(description="Spot price used, USD.")
    as_of: datetime = Field(description="Snapshot time of the chain, ISO-8601 with offset.")
    retrieved_at: datetime | None = Field(
        None, description="When the data was downloaded, when later than as_of (as_of is the "
                          "quotes' market time: a weekend download holds the last close).")
    source: str = Field(description="Data source: cboe, flashalpha, file:<name> or demo.")
    is_demo: bool = Field(False, description="True when the numbers come from the synthetic demo market.")
    stale: bool = Field(False, description="True when upstream failed and a cached answer is served.")
    stale_age_seconds: float | None = Field(None, description="Age of the stale answer, seconds.")
    stale_reason: str | None = Field(None, description="Why the answer is stale.")
    expiration: str | None = Field(None, description="Expiration filter (YYYY-MM-DD), null = all.")
    dealer_model: DealerModel = Field(DEFAULT_DEALER_MODEL, description="Dealer positioning assumed.")
    age_seconds: float | None = Field(
        None, description="Seconds from as_of to this answer: minutes for delayed live quotes, "
                          "days or years for a saved snapshot. Say how old the data is.")


class FlipInfo(BaseModel):
    """Gamma flip: spot where total dealer gamma (re-priced, IV fixed) crosses zero."""

    gamma_flip: float | None = Field(description="Flip price, USD; null when not determined.")
    gamma_flip_status: FlipStatus = Field(description="ok, no_crossing, ill_determined or no_data.")
    gamma_flip_reason: str | None = Field(None, description="Why the flip is null, when it is.")
    gamma_flip_crossings: list[float] = Field(
        default_factory=list, description="Every zero crossing found in the searched range, USD.")
    flip_search_range: tuple[float, float] | None = Field(
        None, description="Spot range searched for crossings, USD.")


class GexStrike(BaseModel):
    strike: float
    call_gex: float = Field(description="Dealer call gamma exposure, USD per 1% move.")
    put_gex: float = Field(description="Dealer put gamma exposure, USD per 1% move.")
    net_gex: float = Field(description="call_gex + put_gex, USD per 1% move.")
    call_oi: int
    put_oi: int
    call_volume: int
    put_volume: int
    call_oi_change: int | None = Field(description="Day-over-day call OI change; null when unknown.")
    put_oi_change: int | None = Field(description="Day-over-day put OI change; null when unknown.")


class GexResponse(Provenance, FlipInfo):
    """Per-strike gamma exposure (the guide's /v1/exposure/gex)."""

    net_gex: float = Field(description="Total dealer GEX, USD per 1% move.")
    net_gex_label: str = Field(description="net_gex in short form, e.g. '1.85B'.")
    call_gex: float = Field(description="Total call GEX, USD per 1% move.")
    put_gex: float = Field(description="Total put GEX, USD per 1% move.")
    min_oi: int = Field(0, description="Strikes with call+put OI below this were omitted.")
    strikes: list[GexStrike]
    data_quality: DataQuality


class DexStrike(BaseModel):
    strike: float
    call_dex: float
    put_dex: float
    net_dex: float


class VexStrike(BaseModel):
    strike: float
    call_vex: float
    put_vex: float
    net_vex: float


class ChexStrike(BaseModel):
    strike: float
    call_chex: float
    put_chex: float
    net_chex: float


class DexResponse(Provenance):
    """Per-strike dealer delta exposure, USD of delta (the guide's /v1/exposure/dex)."""

    net_dex: float
    net_dex_label: str
    strikes: list[DexStrike]
    data_quality: DataQuality


class VexResponse(Provenance):
    """Per-strike dealer vanna exposure, USD of delta per vol point (/v1/exposure/vex)."""

    net_vex: float
    net_vex_label: str
    vex_interpretation: str
    strikes: list[VexStrike]
    data_quality: DataQuality


class ChexResponse(Provenance):
    """Per-strike dealer charm exposure, USD of delta per calendar day (/v1/exposure/chex)."""

    net_chex: float
    net_chex_label: str
    chex_interpretation: str
    strikes: list[ChexStrike]
    data_quality: DataQuality


class LevelsResponse(Provenance, FlipInfo):
    """Key price levels (the guide's /v1/exposure/levels), USD; null when absent."""

    call_wall: float | None = Field(description="Strike of largest call GEX (resistance).")
    put_wall: float | None = Field(description="Strike of most negative put GEX (support).")
    max_positive_gamma: float | None = Field(description="Strike of largest net GEX.")
    max_negative_gamma: float | None = Field(description="Strike of most negative net GEX.")
    highest_oi_strike: float | None = Field(description="Strike with the largest call+put OI.")
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
    net_gex: float
    net_gex_label: str
    share_of_total_pct: float = Field(
        description="|net GEX of this expiry| / sum over expiries of |net GEX|, percent.")
    top_strike: float | None = Field(description="Strike of largest |net GEX| in this expiry.")
    open_interest: int
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


class SummaryResponse(Provenance, FlipInfo):
    """Regime, totals, interpretation and hedging (the guide's /v1/exposure/summary)."""

    gamma_regime: Regime
    regime_reason: str
    distance_to_flip_pct: float | None = Field(description="(spot - flip) / spot x 100.")
    distance_to_flip_points: float | None = Field(description="spot - flip, USD.")
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
    dealer_hedge_up_1pct: HedgeEstimate
    dealer_hedge_down_1pct: HedgeEstimate
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
    distance_to_flip_pct: float | None
    distance_to_flip_points: float | None
    neutral_band_pct: float = Field(description="Half-width of the neutral band around the flip, percent.")


class FlipDistanceResponse(Provenance, FlipInfo):
    """How far spot is from the gamma flip and the walls."""

    distance_to_flip_pct: float | None = Field(description="(spot - flip) / spot x 100; + means above.")
    distance_to_flip_points: float | None = Field(description="spot - flip, USD.")
    nearest_crossing_above: float | None
    nearest_crossing_below: float | None
    call_wall: float | None
    put_wall: float | None
    distance_to_call_wall_pct: float | None = Field(
        description="(spot - call_wall) / spot x 100; + means spot above the wall, as for the flip.")
    distance_to_put_wall_pct: float | None = Field(
        description="(spot - put_wall) / spot x 100; + means spot above the wall, as for the flip.")


class ExpiryBreakdownResponse(Provenance):
    """GEX per expiration: is gamma concentrated in 0DTE/weekly or monthly options?"""

    net_gex: float
    net_gex_label: str
    zero_dte_pct: float = Field(description="Share of |GEX| in same-day expiries, percent.")
    weekly_pct: float = Field(description="Share of |GEX| in weekly (non-monthly, non-0DTE) expiries, percent.")
    monthly_pct: float = Field(description="Share of |GEX| in monthly, quarterly and LEAPS expiries, percent.")
    expiries: list[ExpiryForwardExposure]


class ExpirationListing(BaseModel):
    """One listed (not yet settled) expiration date."""

    expiration: str = Field(description="Expiration date, YYYY-MM-DD.")
    kind: ExpiryKind = Field(description="0dte, weekly, monthly, quarterly or leaps.")
    settlement: Literal["AM", "PM", "AM+PM"] = Field(
        description="AM: settles 09:30 New York (index monthlies); PM: 16:00; AM+PM: both "
                    "settle that day (e.g. SPX and SPXW).")
    days_to_expiry: float = Field(description="Calendar days from as_of to the date's last settlement.")
    contracts: int = Field(description="Option contracts listed for the date (calls and puts).")
    open_interest: int = Field(description="Call + put open interest, contracts.")
    net_gex: float = Field(description="Net dealer GEX of the date, USD per 1% move.")
    share_of_gross_gex_pct: float = Field(
        description="Sum of |GEX| over the date's contracts / the same sum over every contract "
                    "x 100, percent; shares add up to 100.")


class ExpirationsResponse(Provenance):
    """Every listed expiration with its kind, settlement, days, open interest and GEX share."""

    count: int = Field(description="Number of listed expirations.")
    rolloff_next_expiry_pct: float = Field(
        description="Share of gross GEX expiring at the nearest expiration, percent.")
    rolloff_by_friday_pct: float = Field(
        description="Share of gross GEX expiring on or before this week's Friday, percent.")
    expirations: list[ExpirationListing] = Field(description="Ascending dates.")


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


class MaxPainExpiry(BaseModel):
    expiration: str
    max_pain: float | None = Field(description="Settlement price minimising holders' payout, USD.")
    distance_pct: float | None = Field(description="(max_pain - spot) / spot x 100.")
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
    atm_strike: float | None = Field(description="Strike nearest spot quoted on both sides, USD.")
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
    """Strikes whose open interest changed most since the previous day's snapshot."""

    oi_change_known: bool = Field(description="False when no previous OI is available yet.")
    oi_change_basis: str = Field(description="Where the previous OI came from.")
    movers: list[OIMover]


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
    distance_to_flip_pct: float | None = None
    below_flip: bool | None = Field(None, description="Spot below the gamma flip (negative gamma).")
    near_call_wall: bool | None = Field(None, description="Spot within near_wall_pct of the call wall.")
    near_put_wall: bool | None = Field(None, description="Spot within near_wall_pct of the put wall.")
    as_of: datetime | None = None
    source: str | None = None
    is_demo: bool = False
    stale: bool = False
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


# ---- chart numbers and the strike window ----------------------------------------------


class ChartBar(BaseModel):
    strike: float = Field(description="Bar centre: the strike, or the bin's multiple of bar_width, USD.")
    call_gex: float = Field(description="USD per 1% move.")
    put_gex: float = Field(description="USD per 1% move.")
    net_gex: float = Field(description="USD per 1% move.")
    open_interest: int = Field(description="Call + put open interest, contracts.")


class GexChartInfo(Provenance):
    """The numbers behind a gex_chart image."""

    gamma_flip: float | None = Field(description="Gamma flip, USD; null when not determined.")
    gamma_flip_status: FlipStatus = Field(description="ok, no_crossing, ill_determined or no_data.")
    call_wall: float | None = Field(description="Strike of largest call GEX, USD.")
    put_wall: float | None = Field(description="Strike of most negative put GEX, USD.")
    net_gex: float = Field(description="Whole-chain net GEX, USD per 1% move.")
    net_gex_label: str = Field(description="net_gex in short form, e.g. '1.85B'.")
    gamma_regime: Regime = Field(description="Regime in the title, by the regime tool's rule.")
    window_pct: float = Field(description="Strikes drawn lie within ±window_pct percent of spot.")
    strikes_shown: int = Field(description="Strikes inside the window (summed into bars).")
    strikes_hidden: int = Field(description="Strikes outside the window, not drawn.")
    bar_width: float = Field(description="USD between bar centres: the strike spacing, or the bin width.")
    binned: bool = Field(description="True when neighbouring strikes were summed into wider bars.")
    bars: list[ChartBar] = Field(description="The plotted numbers, one row per bar.")


HistoryInterval = Literal["auto", "1m", "5m", "15m", "30m", "1h", "1d"]
HistoryBasis = Literal["stored_records", "snapshot_files", "demo_replay"]
LevelName = Literal["call_wall", "put_wall", "gamma_flip"]


class HistoryPoint(BaseModel):
    """One point of the level series (the last record of its interval), USD unless noted."""

    as_of: datetime = Field(description="Snapshot time of the record.")
    session: str = Field(description="Trading session the snapshot shows, YYYY-MM-DD (a weekend "
                                     "or pre-open snapshot belongs to the previous trading day).")
    spot: float
    gamma_flip: float | None
    gamma_flip_status: FlipStatus
    call_wall: float | None
    put_wall: float | None
    max_positive_gamma: float | None
    max_negative_gamma: float | None
    net_gex: float = Field(description="USD per 1% move.")
    net_dex: float = Field(description="USD of delta.")
    net_vex: float = Field(description="USD of delta per vol point.")
    net_chex: float = Field(description="USD of delta per calendar day.")
    gamma_regime: Regime
    zero_dte_share_pct: float | None = Field(
        description="Share of gross |GEX| in options expiring that day, percent; null when none.")
    spot_change_pct: float | None = Field(
        description="(spot - prior session close spot) / prior close spot x 100.")
    gamma_flip_change: float | None = Field(description="Flip minus the prior session close's flip.")
    call_wall_change: float | None = Field(description="Call wall minus the prior close's.")
    put_wall_change: float | None = Field(description="Put wall minus the prior close's.")
    net_gex_change: float | None = Field(description="Net GEX minus the prior close's.")


class SessionClose(BaseModel):
    """The last record of one trading session."""

    session: str = Field(description="YYYY-MM-DD.")
    as_of: datetime
    spot: float
    gamma_flip: float | None
    call_wall: float | None
    put_wall: float | None
    net_gex: float
    gamma_regime: Regime


class HistoryResponse(BaseModel):
    """The level series of one symbol over a time window."""

    symbol: str
    source: str
    is_demo: bool
    basis: HistoryBasis = Field(
        description="stored_records: what this server recorded after each analysis (at most "
                    "one a minute); snapshot_files: each snapshot file analysed; demo_replay: "
                    "the demo market regenerated hourly.")
    since: datetime = Field(description="Window start.")
    until: datetime = Field(description="Window end (as_of, else the newest record).")
    interval: HistoryInterval = Field(description="Bucket width of the points (auto resolved).")
    records: int = Field(description="Records in the window before resampling.")
    prior_close_as_of: datetime | None = Field(
        description="The close before the window's first session (its changes refer to it).")
    points: list[HistoryPoint]
    sessions: list[SessionClose] = Field(description="Each session's close, oldest first.")
    notes: list[str] = Field(default_factory=list)


class LevelScore(BaseModel):
    """How one level held over the sessions tested (counts of sessions)."""

    level: LevelName
    sessions: int = Field(description="Sessions whose prior close had this level.")
    touches: int = Field(description="Sessions whose low <= level <= high.")
    closes_beyond: int = Field(description="Sessions that closed on the other side of the level "
                                           "from the prior close (crossed and not regained).")
    held: int = Field(description="Touched and not closed beyond.")
    mean_abs_distance_pct: float | None = Field(
        description="Mean |level - prior close spot| / prior close spot x 100.")


class SessionLevelTest(BaseModel):
    """One session: its spot range and each prior-close level's fate."""

    session: str = Field(description="Trading session, YYYY-MM-DD.")
    reference_as_of: datetime = Field(description="The prior close whose levels are tested.")
    reference_spot: float
    points: int = Field(description="Spot records in the session.")
    high: float = Field(description="Highest recorded spot (no intraday high from the sources).")
    low: float
    close: float = Field(description="Last recorded spot.")
    range_pct: float = Field(description="(high - low) / reference_spot x 100.")
    call_wall: float | None
    call_wall_distance_pct: float | None = Field(description="(level - reference_spot) / reference_spot x 100.")
    call_wall_reach: float | None = Field(description="Share of the way to the level travelled; >= 1 reached.")
    call_wall_touched: bool | None
    call_wall_closed_beyond: bool | None
    put_wall: float | None
    put_wall_distance_pct: float | None
    put_wall_reach: float | None
    put_wall_touched: bool | None
    put_wall_closed_beyond: bool | None
    gamma_flip: float | None
    gamma_flip_distance_pct: float | None
    gamma_flip_reach: float | None
    gamma_flip_touched: bool | None
    gamma_flip_closed_beyond: bool | None


class LevelAccuracyResponse(BaseModel):
    """How the call wall, put wall and gamma flip of each prior close held the next session."""

    symbol: str
    source: str
    is_demo: bool
    basis: HistoryBasis
    since: datetime
    until: datetime
    sessions_tested: int
    scores: list[LevelScore]
    sessions: list[SessionLevelTest]
    notes: list[str] = Field(default_factory=list)


class HistoryChartInfo(BaseModel):
    """The numbers behind a history_chart image."""

    symbol: str
    source: str
    is_demo: bool
    basis: HistoryBasis
    since: datetime
    until: datetime
    interval: HistoryInterval
    points: int = Field(description="Points drawn.")
    sessions: int = Field(description="New York sessions spanned.")
    last_spot: float | None
    last_gamma_flip: float | None
    last_call_wall: float | None
    last_put_wall: float | None
    notes: list[str] = Field(default_factory=list)


def window_bounds(spot: float, window_pct: float) -> tuple[float, float]:
    """Strikes in [spot·(1 − w/100), spot·(1 + w/100)] are "within ±w% of spot" (USD)."""
    return spot * (1 - window_pct / 100), spot * (1 + window_pct / 100)


def in_window(strike: float, spot: float, window_pct: float) -> bool:
    """The one strike-window test: MCP answers, terminal tables and charts list the same strikes."""
    lo, hi = window_bounds(spot, window_pct)
    return lo <= strike <= hi


# ---- alerts (gex_mcp.alerts) ----------------------------------------------------------------

AlertRule = Literal["flip_cross", "near_wall", "net_gex_sign", "regime_change", "wall_move"]


class AlertEvent(BaseModel):
    """One alert: a rule fired for one symbol on one poll."""

    id: int = Field(0, description="Sequence number, increasing, unique within this server run.")
    symbol: str = Field(description="Underlying symbol.")
    rule: AlertRule = Field(description="The rule that fired.")
    message: str = Field(description="One sentence saying what happened, with the numbers.")
    as_of: datetime = Field(description="Snapshot time of the chain that fired it.")
    spot: float = Field(description="Spot at that snapshot, USD.")
    level: float | None = Field(None, description="The level involved (flip or wall strike), USD.")
    previous: float | str | None = Field(
        None, description="Value before: side/sign/regime label, or the old wall strike (USD).")
    current: float | str | None = Field(
        None, description="Value now: side/sign/regime label, or the new wall strike (USD).")
    net_gex: float = Field(description="Net GEX at that snapshot, USD per 1% move.")
    source: str = Field(description="Data source of the snapshot.")
    is_demo: bool = Field(False, description="True when it comes from the synthetic demo market.")


class WatchedSymbol(BaseModel):
    """One symbol on the server's watchlist and how its polling goes."""

    symbol: str
    source: str = Field(description="Source polled for this symbol.")
    rules: list[AlertRule] = Field(description="Rules checked on every poll.")
    polls: int = Field(0, description="Polls answered so far.")
    last_as_of: datetime | None = Field(None, description="Snapshot time of the last answered poll.")
    last_spot: float | None = Field(None, description="Spot at the last answered poll, USD.")
    last_error: str | None = Field(None, description="Why the last poll failed, when it did.")
    alerts: int = Field(0, description="Alerts fired for this symbol so far.")


class WatchlistResponse(BaseModel):
    """The server's watchlist, the poller's state and the alert resources to subscribe to."""

    watching: list[WatchedSymbol]
    poll_every_seconds: float | None = Field(
        description="Seconds between polls (the cache lifetime unless set); null before the first.")
    paused: str | None = Field(None, description="Why polling is paused (market closed), if it is.")
    ticks: int = Field(description="Polls of the whole watchlist so far.")
    alerts_fired: int = Field(description="Alerts fired since the server started.")
    resources: list[str] = Field(description="Alert resources: subscribe to be notified when one fires.")


class AlertsResponse(BaseModel):
    """The most recent alerts (newest last), all symbols or one."""

    symbol: str | None = Field(None, description="The symbol, or null for every watched symbol.")
    alerts: list[AlertEvent]
    kept: int = Field(description="How many alerts the server keeps (older ones are dropped).")
