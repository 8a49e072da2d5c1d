"""Level-history answers: the series, session closes, how the levels held, the history chart's numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from gex_mcp.models.base import BaseModel, FlipStatus, Regime

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
    prior_close_sessions_before: int | None = Field(
        None, description="Sessions between the close the changes refer to and this point's: 1 "
                          "is the previous session; more means sparse snapshots (see notes).")


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
    reference_sessions_before: int = Field(
        1, description="Sessions between the reference close and this session: 1 is the prior "
                       "session; more means the test spans several days (see notes).")
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
