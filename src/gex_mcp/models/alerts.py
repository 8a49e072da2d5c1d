"""Alert answers: one alert, the watchlist and recent alerts (`gex_mcp.alerts`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from gex_mcp.models.base import BaseModel

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
