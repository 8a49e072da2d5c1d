"""Shape level records (`history.record.LevelRecord`) into the history answers, and answer
`levels` and `regime` with as_of from a stored record (live sources keep no past chains)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gex_mcp.labels import format_amount
from gex_mcp.level_records.accuracy import LEVELS, session_tests
from gex_mcp.level_records.series import (
    change_versus_prior_close,
    choose_interval,
    resample,
    session_closes,
    sessions_apart,
)
from gex_mcp.models import (
    HistoryChartInfo,
    HistoryPoint,
    HistoryResponse,
    LevelAccuracyResponse,
    LevelScore,
    LevelsResponse,
    Provenance,
    RegimeResponse,
    SessionClose,
    SessionLevelTest,
)
from gex_mcp.models.level_record import LevelRecord
from gex_mcp.responses._common import cents, round_or_none


@dataclass
class Window:
    """What a history answer covers: records in [since, until] and the record before them."""

    symbol: str
    source: str
    is_demo: bool
    basis: str
    since: datetime
    until: datetime
    records: Sequence[LevelRecord]
    earlier: LevelRecord | None
    notes: list[str] = field(default_factory=list)

    def header(self) -> dict:
        return {"symbol": self.symbol, "source": self.source, "is_demo": self.is_demo,
                "basis": self.basis, "since": self.since, "until": self.until}


def history_response(w: Window, interval: str) -> HistoryResponse:
    """Points: the last record per interval bucket, with changes versus the prior close."""
    closes = session_closes(([w.earlier] if w.earlier else []) + list(w.records))
    points = []
    for r in resample(w.records, interval):
        c = change_versus_prior_close(r, closes)
        points.append(HistoryPoint(
            as_of=r.as_of, session=r.session.isoformat(), spot=cents(r.spot),
            gamma_flip=cents(r.gamma_flip), gamma_flip_status=r.gamma_flip_status,
            call_wall=r.call_wall, put_wall=r.put_wall, max_positive_gamma=r.max_positive_gamma,
            max_negative_gamma=r.max_negative_gamma, net_gex=r.net_gex, net_dex=r.net_dex,
            net_vex=r.net_vex, net_chex=r.net_chex, gamma_regime=r.regime,
            zero_dte_share_pct=round_or_none(r.zero_dte_share_pct, 3),
            spot_change_pct=round_or_none(c.spot_pct, 3), gamma_flip_change=cents(c.gamma_flip),
            call_wall_change=cents(c.call_wall), put_wall_change=cents(c.put_wall),
            net_gex_change=c.net_gex,
            prior_close_sessions_before=None if c.prior is None else sessions_apart(c.prior.session, r.session)))
    first_prior = None
    if w.records:
        first_prior = change_versus_prior_close(w.records[0], closes).prior
    notes = list(w.notes)
    if not w.records:
        notes.append(f"no records of {w.symbol} between {w.since.isoformat()} and "
                     f"{w.until.isoformat()}")
    gaps = [p.prior_close_sessions_before for p in points if (p.prior_close_sessions_before or 0) > 1]
    if gaps:
        notes.append(f"{len(gaps)} of {len(points)} points compare with a close more than one "
                     f"session earlier (up to {max(gaps)} sessions): the snapshots are sparse, "
                     "so their changes span several sessions, not one day")
    return HistoryResponse(
        **w.header(), interval=interval, records=len(w.records),
        prior_close_as_of=first_prior.as_of if first_prior else None, points=points,
        sessions=[SessionClose(session=d.isoformat(), as_of=r.as_of, spot=cents(r.spot),
                               gamma_flip=cents(r.gamma_flip), call_wall=r.call_wall,
                               put_wall=r.put_wall, net_gex=r.net_gex, gamma_regime=r.regime)
                  for d, r in session_closes(w.records).items()],
        notes=notes)


def history_series_response(w: Window, interval: str) -> HistoryResponse:
    """The `history` answer: the window's records at `interval` ("auto" chooses one)."""
    return history_response(w, choose_interval(w.records, interval))


def level_accuracy_response(w: Window, interval: str = "auto") -> LevelAccuracyResponse:
    """Per session and per level, from `level_records.accuracy.session_tests` (every record
    counts, so `interval` is not used)."""
    tested = session_tests(w.records, w.earlier)
    rows, scores = [], []
    for s in tested:
        by_level = {t.level: t for t in s.tests}
        row = {"session": s.session.isoformat(), "reference_as_of": s.reference.as_of,
               "reference_spot": cents(s.reference.spot),
               "reference_sessions_before": sessions_apart(s.reference.session, s.session),
               "points": s.points,
               "high": cents(s.high), "low": cents(s.low), "close": cents(s.close),
               "range_pct": round(s.range_pct, 3)}
        for name in LEVELS:
            t = by_level.get(name)
            row.update({name: None if t is None else t.price,
                        f"{name}_distance_pct": None if t is None else round(t.distance_pct, 3),
                        f"{name}_reach": None if t is None else round_or_none(t.reach, 3),
                        f"{name}_touched": None if t is None else t.touched,
                        f"{name}_closed_beyond": None if t is None else t.closed_beyond})
        rows.append(SessionLevelTest(**row))
    for name in LEVELS:
        tests = [t for s in tested for t in s.tests if t.level == name]
        scores.append(LevelScore(
            level=name, sessions=len(tests), touches=sum(t.touched for t in tests),
            closes_beyond=sum(t.closed_beyond for t in tests), held=sum(t.held for t in tests),
            mean_abs_distance_pct=round(sum(abs(t.distance_pct) for t in tests) / len(tests), 3)
            if tests else None))
    notes = list(w.notes)
    gaps = [r.reference_sessions_before for r in rows]
    if not tested and not w.records:
        notes.append("no records in the window: give more days, or record snapshots first")
    elif not tested and w.earlier is None:
        notes.append(f"too sparse to grade: no snapshot before {w.records[0].session} exists to "
                     "give a prior close, so more days will not help; grading needs snapshots "
                     "of consecutive sessions")
    elif not tested:
        notes.append("no session with a prior close in the window: give more days")
    elif min(gaps) > 1:
        notes.append(f"too sparse to grade: every tested session's reference close is more than "
                     f"one session earlier ({_span(gaps)} sessions), so touches and "
                     "closes beyond span several days, not the next session; grading needs "
                     "snapshots of consecutive sessions")
    elif max(gaps) > 1:
        notes.append(f"{sum(g > 1 for g in gaps)} of {len(gaps)} tested sessions refer to a close "
                     "more than one session earlier (sparse snapshots): their tests span several days")
    elif all(s.points == 1 for s in tested):
        notes.append("one snapshot per session: high = low = close, so a touch is an exact hit; "
                     "record more often (a live source polled each minute) for intraday touches")
    return LevelAccuracyResponse(**w.header(), sessions_tested=len(tested), scores=scores,
                                 sessions=rows, notes=notes)


def _span(gaps: list[int]) -> str:
    return str(gaps[0]) if min(gaps) == max(gaps) else f"{min(gaps)} to {max(gaps)}"


def history_chart_info(w: Window, interval: str, points: int) -> HistoryChartInfo:
    last = w.records[-1] if w.records else None
    return HistoryChartInfo(
        **w.header(), interval=interval, points=points,
        sessions=len({r.session for r in w.records}),
        last_spot=cents(last.spot) if last else None,
        last_gamma_flip=cents(last.gamma_flip) if last else None,
        last_call_wall=last.call_wall if last else None,
        last_put_wall=last.put_wall if last else None, notes=list(w.notes))


def _provenance(r: LevelRecord, symbol: str, source: str) -> dict:
    return Provenance(symbol=symbol, underlying_price=r.spot, as_of=r.as_of,
                      source=source).model_dump()


def _flip(r: LevelRecord) -> dict:
    return {"gamma_flip": cents(r.gamma_flip), "gamma_flip_status": r.gamma_flip_status,
            "gamma_flip_reason": r.gamma_flip_reason}


def levels_from_record(r: LevelRecord, symbol: str, source: str,
                       neutral_band_pct: float) -> LevelsResponse:
    """The levels answer of a stored record (no crossings or search range: not stored)."""
    return LevelsResponse(
        **_provenance(r, symbol, source), **_flip(r), call_wall=r.call_wall,
        put_wall=r.put_wall, max_positive_gamma=r.max_positive_gamma,
        max_negative_gamma=r.max_negative_gamma, highest_oi_strike=r.highest_oi_strike,
        zero_dte_magnet=r.zero_dte_magnet)


def regime_from_record(r: LevelRecord, symbol: str, source: str,
                       neutral_band_pct: float) -> RegimeResponse:
    """The regime answer of a stored record, as classified when it was recorded."""
    points = None if r.gamma_flip is None else r.gamma_flip - r.spot
    return RegimeResponse(
        **_provenance(r, symbol, source), **_flip(r), gamma_regime=r.regime,
        regime_reason=r.regime_reason, net_gex=r.net_gex, net_gex_label=format_amount(r.net_gex),
        flip_above_spot_pct=None if points is None else round(points / r.spot * 100.0, 3),
        flip_above_spot_points=cents(points), neutral_band_pct=neutral_band_pct)


__all__ = ["Window", "history_chart_info", "history_response", "history_series_response",
           "level_accuracy_response",
           "levels_from_record", "regime_from_record"]
