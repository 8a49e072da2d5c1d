"""The level series of a `history` answer: records resampled to an interval, each point
with its change versus the prior session's close.

- Resampling keeps the last record of each interval bucket (buckets are whole multiples of
  the interval since the Unix epoch; "1d" is one bucket per trading session, `engine.calendar.session_of`).
- "auto" picks the finest interval that gives at most `MAX_AUTO_POINTS` points.
- A session's close is its last record; the prior session's close of a point is the close
  of the latest session before the point's own (weekends and holidays have no records, so
  Monday's prior close is Friday's). change = value - prior close's value (USD, or USD per
  1% move for net GEX); spot_change_pct = change / prior close spot x 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from gex_mcp.engine.calendar import is_trading_day
from gex_mcp.models.level_record import LevelRecord

INTERVAL_SECONDS: dict[str, int | None] = {
    "1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "1d": None}
MAX_AUTO_POINTS = 120


def resample(records: Sequence[LevelRecord], interval: str) -> list[LevelRecord]:
    """The last record of each bucket, oldest first (records must be ascending by time)."""
    seconds = INTERVAL_SECONDS[interval]
    chosen: dict[object, LevelRecord] = {}
    for r in records:
        key = r.session if seconds is None else int(r.epoch // seconds)
        chosen[key] = r
    return list(chosen.values())


def choose_interval(records: Sequence[LevelRecord], interval: str = "auto") -> str:
    """`interval`, or for "auto" the finest one not finer than the median gap between
    records that gives at most MAX_AUTO_POINTS points (hourly records: "1h")."""
    if interval != "auto":
        return interval
    if len(records) < 2:
        return "1d"
    stamps = np.sort(np.array([r.epoch for r in records], dtype=np.float64))
    median_gap = float(np.median(np.diff(stamps)))
    for name, seconds in INTERVAL_SECONDS.items():
        if seconds is None:
            return name
        if seconds >= 0.9 * median_gap and \
                len(np.unique(np.floor(stamps / seconds))) <= MAX_AUTO_POINTS:
            return name
    return "1d"


def session_closes(records: Sequence[LevelRecord]) -> dict[date, LevelRecord]:
    """The last record of each trading session, in date order."""
    closes: dict[date, LevelRecord] = {}
    for r in records:
        closes[r.session] = r
    return dict(sorted(closes.items()))


@dataclass(frozen=True)
class Change:
    """A point's change versus the prior session's close (None when either side is None)."""

    prior: LevelRecord | None
    spot: float | None
    spot_pct: float | None
    gamma_flip: float | None
    call_wall: float | None
    put_wall: float | None
    net_gex: float | None


def sessions_apart(earlier: date, later: date) -> int:
    """Trading sessions d with earlier < d <= later: 1 when `earlier` is the session before
    `later` (Friday before Monday), more when sessions lie between (sparse snapshots)."""
    if (later - earlier).days > 800:
        return int((later - earlier).days * 252 / 365)
    count, day = 0, earlier
    while day < later:
        day += timedelta(days=1)
        count += is_trading_day(day)
    return count


def _diff(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def change_versus_prior_close(point: LevelRecord, closes: dict[date, LevelRecord]) -> Change:
    """How `point` differs from the close of the latest session before its own."""
    earlier = [d for d in closes if d < point.session]
    prior = closes[earlier[-1]] if earlier else None
    if prior is None:
        return Change(None, None, None, None, None, None, None)
    spot = point.spot - prior.spot
    return Change(prior, spot, spot / prior.spot * 100.0 if prior.spot else None,
                  _diff(point.gamma_flip, prior.gamma_flip), _diff(point.call_wall, prior.call_wall),
                  _diff(point.put_wall, prior.put_wall), _diff(point.net_gex, prior.net_gex))


__all__ = ["INTERVAL_SECONDS", "MAX_AUTO_POINTS", "Change", "change_versus_prior_close",
           "choose_interval", "resample", "session_closes", "sessions_apart"]
