"""Terminal views of the history answers (`history`, `level_accuracy`), for `dashboard.VIEWS`."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gex_mcp.labels import NEW_YORK, format_amount, new_york_time
from gex_mcp.models import HistoryResponse, LevelAccuracyResponse

_REGIME = {"positive_gamma": ("+γ", "green"), "negative_gamma": ("−γ", "red"),
           "neutral": ("0", "yellow"), "unknown": ("?", "white")}


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _head(r: HistoryResponse | LevelAccuracyResponse) -> Text:
    text = Text(f"{r.symbol}  source {r.source} ({r.basis.replace('_', ' ')})  "
                f"{new_york_time(r.since)} to {new_york_time(r.until)}")
    if r.is_demo:
        text.append("  DEMO DATA (synthetic)", style="bold magenta")
    return text


def _notes(notes: list[str]) -> list[Text]:
    return [Text(f"note: {n}", style="yellow") for n in notes]


def _with_change(value: str, change: str | None) -> Text:
    text = Text(value)
    if change:
        text.append(f" {change}", style="red" if change.startswith("-") else "green")
    return text


def _signed(value: float | None, fmt: str = "+,.2f") -> str | None:
    return None if value is None else format(value, fmt)


def history_view(r: HistoryResponse) -> RenderableType:
    """One row per point: each level with its change versus the prior session's close."""
    table = Table(title=f"{len(r.points)} points, interval {r.interval} ({r.records} records); "
                        "change versus the prior session's close after each value")
    table.add_column("session", no_wrap=True)
    table.add_column("time (NY)", no_wrap=True)
    for col in ("spot (Δ%)", "gamma flip", "call wall", "put wall", "net GEX", "regime"):
        table.add_column(col, justify="right", no_wrap=True)
    for p in r.points:
        mark, style = _REGIME[p.gamma_regime]
        net_change = None if p.net_gex_change is None else (
            ("+" if p.net_gex_change >= 0 else "") + format_amount(p.net_gex_change))
        table.add_row(
            p.session, f"{p.as_of.astimezone(NEW_YORK):%m-%d %H:%M}",
            _with_change(_p(p.spot), _signed(p.spot_change_pct) and f"{_signed(p.spot_change_pct)}%"),
            _with_change(_p(p.gamma_flip), _signed(p.gamma_flip_change)),
            _with_change(_p(p.call_wall), _signed(p.call_wall_change, "+,.0f")),
            _with_change(_p(p.put_wall), _signed(p.put_wall_change, "+,.0f")),
            _with_change(format_amount(p.net_gex), net_change), Text(mark, style=style))
    return Group(_head(r), table, *_notes(r.notes))


def level_accuracy_view(r: LevelAccuracyResponse) -> RenderableType:
    """Counts per level, then each session's range and which prior-close levels it touched."""
    scores = Table(title=f"{r.sessions_tested} sessions tested against the prior close's levels")
    for col in ("level", "sessions", "touched", "closed beyond", "held", "mean |distance| %"):
        scores.add_column(col, justify="right")
    for s in r.scores:
        scores.add_row(s.level.replace("_", " "), str(s.sessions), str(s.touches),
                       str(s.closes_beyond), str(s.held), _p(s.mean_abs_distance_pct))
    sessions = Table(title="sessions (T = touched, B = closed beyond; distance % from the prior close)")
    sessions.add_column("session", no_wrap=True)
    for col in ("prior close", "low", "high", "close", "range %", "call wall",
                "put wall", "flip"):
        sessions.add_column(col, justify="right")

    def cell(level: float | None, dist: float | None, touched: bool | None,
             beyond: bool | None) -> str:
        if level is None:
            return "n/a"
        flags = ("T" if touched else "") + ("B" if beyond else "")
        return f"{level:,.2f} ({dist:+.2f}%) {flags}".rstrip()

    for s in r.sessions:
        sessions.add_row(
            s.session, _p(s.reference_spot), _p(s.low), _p(s.high), _p(s.close), _p(s.range_pct),
            cell(s.call_wall, s.call_wall_distance_pct, s.call_wall_touched, s.call_wall_closed_beyond),
            cell(s.put_wall, s.put_wall_distance_pct, s.put_wall_touched, s.put_wall_closed_beyond),
            cell(s.gamma_flip, s.gamma_flip_distance_pct, s.gamma_flip_touched,
                 s.gamma_flip_closed_beyond))
    return Group(_head(r), scores, sessions, *_notes(r.notes))


HISTORY_VIEWS = {"history": history_view, "level_accuracy": level_accuracy_view}

__all__ = ["HISTORY_VIEWS", "history_view", "level_accuracy_view"]
