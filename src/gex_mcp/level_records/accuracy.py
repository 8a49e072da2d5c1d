"""How the levels held, session by session, from a spot series.

For each session with records, the levels tested are those of the prior session's close
(the last record of the latest earlier session): what a trader knew before the open. With
ref = that record's spot, and the session's spot path (its records' spots, oldest first):

    high, low, close   = max, min and last spot of the path (USD)
    range_pct          = (high - low) / ref x 100
    distance_pct       = (level - ref) / ref x 100            (signed: + above)
    reach              = (high - ref) / (level - ref) for a level above ref,
                         (ref - low) / (ref - level) for one below: the share of the way
                         to the level the session travelled (>= 1: it got there)
    touched            = low <= level <= high
    closed_beyond      = the close is on the other side of the level from ref (the level
                         was crossed and not regained: a call wall above ref broken upward,
                         a put wall below ref broken downward, the flip crossed)
    held               = touched and not closed_beyond

The sources give no intraday high and low, so the range is that of the recorded spots: a
session with one snapshot has no range, and a touch is then an exact hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gex_mcp.level_records.series import session_closes
from gex_mcp.models.level_record import LevelRecord

LEVELS = ("call_wall", "put_wall", "gamma_flip")


@dataclass(frozen=True)
class LevelTest:
    level: str
    price: float
    distance_pct: float
    reach: float | None
    touched: bool
    closed_beyond: bool

    @property
    def held(self) -> bool:
        return self.touched and not self.closed_beyond


@dataclass(frozen=True)
class SessionTest:
    session: date
    reference: LevelRecord
    points: int
    high: float
    low: float
    close: float
    range_pct: float
    tests: tuple[LevelTest, ...]


def _test(level: str, price: float, ref: float, high: float, low: float, close: float) -> LevelTest:
    if price > ref:
        reach: float | None = (high - ref) / (price - ref)
    elif price < ref:
        reach = (ref - low) / (ref - price)
    else:
        reach = None
    beyond = (close - price) * (ref - price) < 0
    return LevelTest(level, price, (price - ref) / ref * 100.0, reach,
                     low <= price <= high, beyond)


def session_tests(records: Sequence[LevelRecord],
                  earlier: LevelRecord | None = None) -> list[SessionTest]:
    """One `SessionTest` per session of `records` (ascending) that has a prior close;
    `earlier` is the last record before `records`, giving the first session its prior."""
    by_session: dict[date, list[LevelRecord]] = {}
    for r in records:
        by_session.setdefault(r.session, []).append(r)
    closes = session_closes(([earlier] if earlier is not None else []) + list(records))
    out = []
    for day, path in by_session.items():
        prior = [d for d in closes if d < day]
        if not prior:
            continue
        ref = closes[prior[-1]]
        spots = [r.spot for r in path]
        high, low, close = max(spots), min(spots), spots[-1]
        tests = tuple(_test(name, getattr(ref, name), ref.spot, high, low, close)
                      for name in LEVELS if getattr(ref, name) is not None)
        out.append(SessionTest(day, ref, len(path), high, low, close,
                               (high - low) / ref.spot * 100.0, tests))
    return out


__all__ = ["LEVELS", "LevelTest", "SessionTest", "session_tests"]
