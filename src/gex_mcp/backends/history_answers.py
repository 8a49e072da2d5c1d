"""The history endpoints (`history`, `level_accuracy`, `history_chart`) and the as_of answers
that come from a stored record, over a `ChainBackend`'s `LevelHistory`.

Window: until = as_of, else the newest record (or snapshot); since = the `since` argument,
else until - days. The prior session's close of the first session is the last record before
that session's 09:30 New York open (looked for up to 10 days back).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import anyio.to_thread

from gex_mcp.engine.calendar import NEW_YORK, SESSION_OPEN, session_of
from gex_mcp.errors import InputError, NoDataError
from gex_mcp.level_records.moments import parse_moment
from gex_mcp.level_records.series import choose_interval, resample
from gex_mcp.responses.history import Window, history_chart_info
from gex_mcp.sources.base import normalize_symbol

if TYPE_CHECKING:
    from pydantic import BaseModel

    from gex_mcp.backends.chains import ChainBackend
    from gex_mcp.endpoints import Endpoint

FUTURE_SLACK = timedelta(minutes=1)


def past_moment(text: str | None, name: str, now: datetime, *, end_of_day: bool) -> datetime | None:
    """`parse_moment`, refusing a time in the future (InputError)."""
    moment = parse_moment(text, name, end_of_day=end_of_day)
    if moment is not None and moment > now + FUTURE_SLACK:
        if end_of_day and moment.astimezone(NEW_YORK).date() == now.astimezone(NEW_YORK).date():
            return now  # "today" means up to now
        raise InputError(f"{name} {text!r} is in the future; give a past time, or leave it out "
                         "for the latest.")
    return moment


async def window(chains: ChainBackend, symbol: str, source: str, *, days: int,
                 since: str | None, as_of: str | None, now: datetime) -> Window:
    """The records of the history window (see the module docstring).

    Raises:
        InputError: bad as_of or since, or since not before the window end.
        NoDataError: nothing recorded yet (live source) or no snapshot (file).
    """
    sym = normalize_symbol(symbol)
    lh = chains.level_history
    until = past_moment(as_of, "as_of", now, end_of_day=True)
    start = past_moment(since, "since", now, end_of_day=False)
    if until is None:
        until = await lh.latest_time(sym, source)
    if start is None:
        start = until - timedelta(days=days)
    if start >= until:
        raise InputError(f"since ({start.isoformat()}) must be before the window end "
                         f"({until.isoformat()}).")
    notes: list[str] = []
    records = await lh.records(sym, source, start, until, notes)
    first_day = records[0].session if records else session_of(start)
    earlier = await lh.before(sym, source, datetime.combine(first_day, SESSION_OPEN, NEW_YORK), notes)
    return Window(sym, source, source == "demo", lh.basis(source), start, until, records,
                  earlier, notes)


async def history_answer(chains: ChainBackend, ep: Endpoint, *, symbol: str, source: str,
                         days: int, since: str | None, as_of: str | None,
                         now: datetime, interval: str = "auto") -> BaseModel:
    """The answer of a history row: its `build(window, interval)`."""
    w = await window(chains, symbol, source, days=days, since=since, as_of=as_of, now=now)
    assert ep.build is not None, ep.name
    return ep.build(w, interval)


async def history_chart(chains: ChainBackend, *, symbol: str, source: str, days: int,
                        since: str | None, as_of: str | None, now: datetime,
                        interval: str = "auto") -> tuple[bytes, BaseModel]:
    """PNG bytes and `HistoryChartInfo` of the history window."""
    from gex_mcp.charts.history import render_history_chart

    w = await window(chains, symbol, source, days=days, since=since, as_of=as_of, now=now)
    chosen = choose_interval(w.records, interval)
    points = resample(w.records, chosen)
    info = history_chart_info(w, chosen, len(points))
    png = await anyio.to_thread.run_sync(render_history_chart, points, info)
    return png, info


async def record_answer(chains: ChainBackend, ep: Endpoint, *, symbol: str, source: str,
                        expiration: str | None, moment: datetime) -> BaseModel:
    """The answer at `moment` from the stored record (a live source), for rows with
    `from_record` (levels, regime).

    Raises:
        InputError: a row without `from_record`, or an expiration (records are all-expiry).
        NoDataError: no record at or before `moment`.
    """
    from gex_mcp.backends.level_history import no_replay_message

    if ep.from_record is None:
        raise InputError(no_replay_message(source))
    if expiration is not None:
        raise InputError(f"as_of with source {source} answers from stored records, which cover "
                         "every expiration: leave expiration out, or use source file.")
    sym = normalize_symbol(symbol)
    rec = await chains.level_history.record_at(sym, source, moment)
    if rec is None:
        raise NoDataError(f"No stored levels of {sym} from {source} at or before "
                          f"{moment.isoformat()}. This server records levels after each "
                          "analysis; history lists what is stored.")
    return ep.from_record(rec, sym, source, chains.params.neutral_band_pct)


__all__ = ["history_answer", "history_chart", "past_moment", "record_answer", "window"]
