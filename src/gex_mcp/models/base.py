"""The base every answer shares: finite-only JSON, provenance (source, as_of, stale, demo),
data-quality notes and the gamma flip fields; the names of sources, regimes and flip statuses."""

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
        None, description="Seconds from as_of to the time asked about: requested_as_of in a "
                          "replay, else this answer's time (minutes for delayed live quotes, "
                          "days or years for a saved snapshot). Say how old the data is.")
    requested_as_of: datetime | None = Field(
        None, description="The time a replay asked for (as_of argument or GEX_FILE_AS_OF); "
                          "null for the present.")
    outdated: bool = Field(
        False, description="True when the snapshot is more than one session before the time "
                           "asked about (or its file was retrieved sessions after its quotes); "
                           "a note gives the gap in words.")
    notes: list[str] = Field(
        default_factory=list,
        description="What changes how to read this answer, in short sentences: partial listing "
                    "or a single expiration, skipped contracts above 5%, forward fallbacks, "
                    "implausible carry, an old snapshot. Empty when nothing does.")


class FlipInfo(BaseModel):
    """Gamma flip: spot where total dealer gamma (re-priced, IV fixed) crosses zero."""

    gamma_flip: float | None = Field(description="Flip price, USD; null when not determined.")
    gamma_flip_status: FlipStatus = Field(description="ok, no_crossing, ill_determined or no_data.")
    gamma_flip_reason: str | None = Field(None, description="Why the flip is null, when it is.")
    gamma_flip_crossings: list[float] = Field(
        default_factory=list, description="Every zero crossing found in the searched range, USD.")
    flip_search_range: tuple[float, float] | None = Field(
        None, description="Spot range searched for crossings, USD.")


