"""Terminal views of the response models, drawn with rich (the CLI's non-JSON output)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import BaseModel
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gex_mcp.endpoints import View
from gex_mcp.labels import format_amount, format_count, new_york_time
from gex_mcp.models import (
    ChexResponse,
    DexResponse,
    ExpiryBreakdownResponse,
    GexResponse,
    LevelsResponse,
    OIChangesResponse,
    Provenance,
    RegimeResponse,
    ScanResponse,
    SummaryResponse,
    VexResponse,
    in_window,
)
from gex_mcp.terminal.history import HISTORY_VIEWS
from gex_mcp.terminal.scenarios import SCENARIO_VIEWS

REGIME_STYLE = {"positive_gamma": "bold green", "negative_gamma": "bold red",
                "neutral": "bold yellow", "unknown": "bold white"}
BAR_WIDTH = 24


def _price(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _flags(p: Provenance) -> Text:
    retrieved = f" (retrieved {new_york_time(p.retrieved_at)})" if p.retrieved_at else ""
    text = Text(f"{p.symbol}  {p.underlying_price:,.2f}  as of {new_york_time(p.as_of)}{retrieved}  "
                f"source {p.source}")
    if p.expiration:
        text.append(f"  expiration {p.expiration}")
    if p.is_demo:
        text.append("  DEMO DATA (synthetic)", style="bold magenta")
    if p.stale:
        text.append(f"  STALE ({p.stale_age_seconds:.0f}s old: {p.stale_reason})", style="bold red")
    if p.requested_as_of is not None:
        text.append(f"  requested {new_york_time(p.requested_as_of)}")
    if p.outdated:
        text.append("  OLD SNAPSHOT", style="bold yellow")
    for note in p.notes:
        text.append(f"\n  note: {note}", style="yellow")
    return text


def _flip_text(flip: float | None, status: str, reason: str | None) -> str:
    return _price(flip) if flip is not None else f"n/a ({status}: {reason})"


def _bar(value: float, scale: float) -> Text:
    n = 0 if scale <= 0 else round(abs(value) / scale * BAR_WIDTH)
    return Text("█" * n, style="green" if value >= 0 else "red")


def _window(strikes: list, spot: float, window_pct: float | None) -> list:
    if not window_pct:
        return strikes
    return [s for s in strikes if in_window(s.strike, spot, window_pct)]


def gex_view(g: GexResponse, window_pct: float | None = 5.0) -> RenderableType:
    rows = _window(g.strikes, g.underlying_price, window_pct)
    scale = max((abs(r.net_gex) for r in rows), default=0.0)
    table = Table(title=f"GEX by strike (USD per 1% move), ±{window_pct}% of spot" if window_pct
                  else "GEX by strike (USD per 1% move)", expand=False)
    for col in ("strike", "call GEX", "put GEX", "net GEX", "", "call OI", "put OI", "ΔOI c/p"):
        table.add_column(col, justify="left" if col == "" else "right")
    for r in rows:
        mark = " ◀ spot" if rows and r is min(rows, key=lambda x: abs(x.strike - g.underlying_price)) else ""
        chg = ("n/a" if r.call_oi_change is None
               else f"{format_count(r.call_oi_change, signed=True)}/{format_count(r.put_oi_change, signed=True)}")
        table.add_row(f"{r.strike:,.2f}{mark}", format_amount(r.call_gex), format_amount(r.put_gex),
                      format_amount(r.net_gex), _bar(r.net_gex, scale), format_count(r.call_oi),
                      format_count(r.put_oi), chg)
    head = Text.assemble(
        ("Net GEX ", "bold"), (g.net_gex_label, "green" if g.net_gex >= 0 else "red"),
        f"   call {format_amount(g.call_gex)}  put {format_amount(g.put_gex)}   ",
        ("Gamma flip ", "bold"), _flip_text(g.gamma_flip, g.gamma_flip_status, g.gamma_flip_reason))
    hidden = len(g.strikes) - len(rows)
    foot = Text(f"{len(rows)} strikes shown, {hidden} outside the window (--window 0 for all). "
                f"Contracts used {format_count(g.data_quality.contracts_used)} of "
                f"{format_count(g.data_quality.contracts_total)}.",
                style="dim")
    return Group(_flags(g), head, table, foot)


def greek_view(r: DexResponse | VexResponse | ChexResponse, window_pct: float | None = 5.0) -> RenderableType:
    kind = {DexResponse: ("dex", "USD of delta"), VexResponse: ("vex", "USD of delta per vol point"),
            ChexResponse: ("chex", "USD of delta per day")}[type(r)]
    name, unit = kind
    rows = _window(r.strikes, r.underlying_price, window_pct)
    values = [getattr(x, f"net_{name}") for x in rows]
    scale = max((abs(v) for v in values), default=0.0)
    table = Table(title=f"{name.upper()} by strike ({unit})")
    for col in ("strike", f"call {name}", f"put {name}", f"net {name}", ""):
        table.add_column(col, justify="left" if col == "" else "right")
    for x, v in zip(rows, values):
        table.add_row(f"{x.strike:,.2f}", format_amount(getattr(x, f"call_{name}")),
                      format_amount(getattr(x, f"put_{name}")), format_amount(v), _bar(v, scale))
    total = getattr(r, f"net_{name}_label")
    parts: list[RenderableType] = [_flags(r), Text.assemble((f"Net {name.upper()} ", "bold"), total)]
    interp = getattr(r, f"{name}_interpretation", None)
    if interp:
        parts.append(Text(interp, style="italic"))
    parts.append(table)
    return Group(*parts)


def _vs_spot(level: float, spot: float) -> str:
    """A level's distance in words: (level - spot) / spot x 100, + above spot (as the answers'
    `<level>_above_spot_pct`, from the level as printed)."""
    pct = (level - spot) / spot * 100
    return f"{pct:+.2f}% {'above' if pct >= 0 else 'below'} spot"


def levels_view(lv: LevelsResponse) -> RenderableType:
    table = Table(title="Key levels")
    table.add_column("level")
    table.add_column("price", justify="right")
    table.add_column("vs spot", justify="right")
    spot = lv.underlying_price
    for label, value in (("Gamma flip", lv.gamma_flip), ("Call wall (resistance)", lv.call_wall),
                         ("Put wall (support)", lv.put_wall), ("Max + gamma", lv.max_positive_gamma),
                         ("Max - gamma", lv.max_negative_gamma), ("Highest OI", lv.highest_oi_strike),
                         ("0DTE magnet", lv.zero_dte_magnet)):
        rel = "" if value is None else f"{(value - spot) / spot * 100:+.2f}%"
        table.add_row(label, _price(value), rel)
    parts: list[RenderableType] = [_flags(lv), table]
    if lv.gamma_flip is None:
        parts.append(Text(f"Flip not determined: {lv.gamma_flip_status} ({lv.gamma_flip_reason})", style="yellow"))
    return Group(*parts)


def summary_view(s: SummaryResponse) -> RenderableType:
    badge = Text(f" {s.gamma_regime.replace('_', ' ').upper()} ", style=f"reverse {REGIME_STYLE[s.gamma_regime]}")
    totals = Table.grid(padding=(0, 3))
    for _ in range(4):
        totals.add_column()
    totals.add_row(*(f"Net {n.upper()} {getattr(s, f'net_{n}_label')}" for n in ("gex", "dex", "vex", "chex")))
    hedge = Table(title="Dealer hedging: re-priced (delta at the new spot, IV fixed) and the guide's "
                        "linear estimate (-net GEX x move / spot)")
    for col in ("estimate", "move", "new spot", "shares", "direction", "notional"):
        hedge.add_column(col, justify="right")
    for kind, pair in (("re-priced", (s.dealer_hedge_up_1pct, s.dealer_hedge_down_1pct)),
                       ("linear", (s.linear_hedge_up_1pct, s.linear_hedge_down_1pct))):
        for h in pair:
            hedge.add_row(kind, f"{h.spot_move_pct:+.0f}%", _price(h.new_spot),
                          format_count(h.dealer_shares_to_trade, signed=True), h.direction,
                          format_amount(h.notional_usd))
    exp = Table(title="GEX by expiration")
    for col in ("expiration", "kind", "days", "net GEX", "share", "top strike"):
        exp.add_column(col, justify="right")
    for e in s.expiry_breakdown[:12]:
        exp.add_row(e.expiration, e.kind, f"{e.days_to_expiry:.1f}", e.net_gex_label,
                    f"{e.share_of_gross_gex_pct:.1f}%", _price(e.top_strike))
    parts: list[RenderableType] = [
        _flags(s),
        Text.assemble(badge, "  flip ", _flip_text(s.gamma_flip, s.gamma_flip_status, s.gamma_flip_reason),
                      "" if s.gamma_flip is None else f"  ({_vs_spot(s.gamma_flip, s.underlying_price)})",
                      f"  call wall {_price(s.call_wall)}  put wall {_price(s.put_wall)}"),
        totals, Panel(Text(s.interpretation), title="Interpretation", expand=False),
        Text(s.interpretation_detail.get("vanna", ""), style="italic"),
        Text(s.interpretation_detail.get("charm", ""), style="italic"), hedge, exp,
    ]
    if s.top_oi_movers:
        movers = Table(title="Top OI movers (vs the previous snapshot)")
        for col in ("strike", "Δ call OI", "Δ put OI"):
            movers.add_column(col, justify="right")
        for m in s.top_oi_movers:
            movers.add_row(_price(m.strike), format_count(m.call_oi_change, signed=True),
                           format_count(m.put_oi_change, signed=True))
        parts.append(movers)
    return Group(*parts)


def scan_view(scan: ScanResponse) -> RenderableType:
    table = Table(title=f"GEX scan ({len(scan.rows)} symbols)")
    for col in ("symbol", "price", "flip", "regime", "net GEX", "call wall", "put wall", "to flip", "flags"):
        table.add_column(col, justify="left" if col in ("symbol", "regime", "flags") else "right")
    for r in scan.rows:
        if r.error:
            table.add_row(r.symbol, "", "", Text("error", style="red"), "", "", "", "", Text(r.error, style="red"))
            continue
        flags: Iterable[str] = [f for f, on in (("below flip", r.below_flip), ("near call wall", r.near_call_wall),
                                               ("near put wall", r.near_put_wall), ("DEMO", r.is_demo),
                                               ("STALE", r.stale), ("OLD", r.outdated)) if on]
        table.add_row(r.symbol, _price(r.underlying_price), _price(r.gamma_flip),
                      Text((r.gamma_regime or "unknown").replace("_gamma", ""),
                           style=REGIME_STYLE.get(r.gamma_regime or "unknown", "")),
                      r.net_gex_label or "", _price(r.call_wall), _price(r.put_wall),
                      "" if r.gamma_flip is None or not r.underlying_price else _vs_spot(r.gamma_flip, r.underlying_price),
                      ", ".join(flags))
    return table


def regime_view(r: RegimeResponse) -> RenderableType:
    badge = Text(f" {r.gamma_regime.replace('_', ' ').upper()} ",
                 style=f"reverse {REGIME_STYLE[r.gamma_regime]}")
    return Group(_flags(r), Text.assemble(badge, "  ", r.regime_reason),
                 Text(f"Net GEX {r.net_gex_label}; flip "
                      f"{_flip_text(r.gamma_flip, r.gamma_flip_status, r.gamma_flip_reason)}; "
                      f"neutral band ±{r.neutral_band_pct}%"))


def expiries_view(e: ExpiryBreakdownResponse) -> RenderableType:
    table = Table(title="GEX by expiration (share of |GEX|)")
    for col in ("expiration", "settles", "kind", "days", "net GEX", "share", "top strike", "OI",
                "forward", "carry/yr"):
        table.add_column(col, justify="right")
    for x in e.expiries:
        carry = (f"{x.basis_points:+.2f} pts" if x.basis_points is not None
                 else "—" if x.implied_carry_pct is None else f"{x.implied_carry_pct:.2f}%")
        table.add_row(x.expiration, x.settlement, x.kind, f"{x.days_to_expiry:.1f}", x.net_gex_label,
                      f"{x.share_of_gross_gex_pct:.1f}%", _price(x.top_strike), format_count(x.open_interest),
                      _price(x.forward), carry)
    head = Text(f"Net GEX {e.net_gex_label}: 0DTE {e.zero_dte_pct:.1f}%, weekly {e.weekly_pct:.1f}%, "
                f"monthly and longer {e.monthly_pct:.1f}%")
    parts = [_flags(e), head, table]
    if any(x.basis_points is not None for x in e.expiries):
        parts.append(Text("pts: under a week, the forward's basis to spot (F - S, USD), not a "
                          "yearly carry."))
    if any(x.implied_carry_pct is None and x.basis_points is None for x in e.expiries):
        parts.append(Text("carry —: put-call parity unreadable for that expiration; its forward "
                          "uses GEX_RATE and GEX_DIVIDEND_YIELD.", style="yellow"))
    return Group(*parts)


def oi_changes_view(o: OIChangesResponse) -> RenderableType:
    if not o.oi_change_known:
        return Group(_flags(o), Text(
            "No previous open interest yet: OI change appears once a snapshot from an earlier "
            "day is in the history (GEX_DATA_DIR), or when the source reports it.", style="yellow"))
    table = Table(title="Top OI movers")
    for col in ("strike", "Δ call OI", "Δ put OI", "|Δ| total"):
        table.add_column(col, justify="right")
    for m in o.movers:
        table.add_row(_price(m.strike), format_count(m.call_oi_change, signed=True),
                      format_count(m.put_oi_change, signed=True), format_count(m.total_abs_change))
    return Group(_flags(o), Text(f"Basis: {o.oi_change_basis}", style="dim"), table)


def _cell(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) and not isinstance(value, bool):
        return format_count(value)
    if isinstance(value, float):
        if abs(value) >= 1e4:
            return format_amount(value)
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, BaseModel):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    return str(value)


def model_view(model: BaseModel) -> RenderableType:
    """Any answer without a dedicated view: provenance line, its facts, then each list as a table."""
    skip = set(Provenance.model_fields) if isinstance(model, Provenance) else set()
    skip.add("data_quality")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    tables: list[RenderableType] = []
    for name, value in model:
        if name in skip:
            continue
        if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            table = Table(title=name.replace("_", " "))
            columns = list(type(value[0]).model_fields)
            for col in columns:
                table.add_column(col.replace("_", " "), justify="right")
            for row in value:
                table.add_row(*(_cell(getattr(row, col)) for col in columns))
            tables.append(table)
        else:
            facts.add_row(name.replace("_", " "), _cell(value))
    head = [_flags(model)] if isinstance(model, Provenance) else []
    return Group(*head, facts, *tables)


#: The view of each `View` an endpoint row names; per-strike views also take the strike
#: window (percent).
VIEWS: dict[View, Callable[..., RenderableType]] = {
    "gex": gex_view, "greek": greek_view, "levels": levels_view, "summary": summary_view,
    "scan": scan_view, "regime": regime_view, "expiries": expiries_view,
    "oi_changes": oi_changes_view, "generic": model_view, **HISTORY_VIEWS, **SCENARIO_VIEWS,
}


def view_for(view: View) -> Callable[..., RenderableType]:
    """The terminal view a row names (`Endpoint.view`)."""
    return VIEWS[view]
