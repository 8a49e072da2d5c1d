"""Builders of the per-strike exposures, levels, summary, regime and their kin."""

from __future__ import annotations

import numpy as np

from gex_mcp.charts.bars import chart_bars
from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.labels import format_amount, format_count
from gex_mcp.models import (
    ChartBar,
    ChexResponse,
    ChexStrike,
    DexResponse,
    DexStrike,
    FlipDistanceResponse,
    GexChartInfo,
    GexResponse,
    GexStrike,
    LevelsResponse,
    OIChangesResponse,
    OIMover,
    Provenance,
    RegimeResponse,
    ScanRow,
    SummaryResponse,
    VexResponse,
    VexStrike,
    linear_hedges,
)
from gex_mcp.responses._common import (
    DEFAULT_CONTEXT,
    BuildContext,
    cents,
    data_quality,
    flip_fields,
    hedge_estimate,
    int_or_none,
    pct_from_spot,
)
from gex_mcp.responses.age import sessions_between
from gex_mcp.responses.expiries import expiry_rows


def gex_response(a: ChainAnalysis, prov: Provenance, ctx: BuildContext = DEFAULT_CONTEXT) -> GexResponse:
    s = a.strikes
    rows = [
        GexStrike(strike=float(k), call_gex=float(cg), put_gex=float(pg), net_gex=float(cg + pg),
                  call_oi=int(round(co)), put_oi=int(round(po)), call_volume=int(round(cv)),
                  put_volume=int(round(pv)), call_oi_change=int_or_none(cc),
                  put_oi_change=int_or_none(pc))
        for k, cg, pg, co, po, cv, pv, cc, pc in zip(
            s.strike, s.call_gex, s.put_gex, s.call_oi, s.put_oi, s.call_volume, s.put_volume,
            s.call_oi_change, s.put_oi_change)
    ]
    t = a.totals
    return GexResponse(**prov.model_dump(), **flip_fields(a.flip), net_gex=t["net_gex"],
                       net_gex_label=format_amount(t["net_gex"]), call_gex=t["call_gex"],
                       put_gex=t["put_gex"], min_oi=ctx.min_oi, strikes=rows,
                       data_quality=data_quality(a.prepared.quality))


def _greek_response(a: ChainAnalysis, prov: Provenance, greek: str, model, row_model,
                    interpret=None):
    """DEX/VEX/CHEX: per-strike call/put/net rows, the net total, its label and reading."""
    s = a.strikes
    total = a.totals[f"net_{greek}"]
    calls, puts = getattr(s, f"call_{greek}"), getattr(s, f"put_{greek}")
    rows = [row_model(**{"strike": float(k), f"call_{greek}": float(c), f"put_{greek}": float(p),
                         f"net_{greek}": float(c + p)})
            for k, c, p in zip(s.strike, calls, puts)]
    extra = {} if interpret is None else {f"{greek}_interpretation": interpret(total)}
    return model(**prov.model_dump(), **{f"net_{greek}": total,
                                         f"net_{greek}_label": format_amount(total)},
                 **extra, strikes=rows, data_quality=data_quality(a.prepared.quality))


def dex_response(a: ChainAnalysis, prov: Provenance,
                 ctx: BuildContext = DEFAULT_CONTEXT) -> DexResponse:
    return _greek_response(a, prov, "dex", DexResponse, DexStrike)


def vex_response(a: ChainAnalysis, prov: Provenance,
                 ctx: BuildContext = DEFAULT_CONTEXT) -> VexResponse:
    return _greek_response(a, prov, "vex", VexResponse, VexStrike, interpret_vanna)


def chex_response(a: ChainAnalysis, prov: Provenance,
                  ctx: BuildContext = DEFAULT_CONTEXT) -> ChexResponse:
    return _greek_response(a, prov, "chex", ChexResponse, ChexStrike, interpret_charm)


def levels_response(a: ChainAnalysis, prov: Provenance,
                    ctx: BuildContext = DEFAULT_CONTEXT) -> LevelsResponse:
    lv = a.levels
    return LevelsResponse(
        **prov.model_dump(), **flip_fields(a.flip), call_wall=lv.call_wall, put_wall=lv.put_wall,
        max_positive_gamma=lv.max_positive_gamma, max_negative_gamma=lv.max_negative_gamma,
        highest_oi_strike=lv.highest_oi_strike, zero_dte_magnet=lv.zero_dte_magnet)


def interpret_gamma(a: ChainAnalysis) -> str:
    r = a.regime
    if r.regime == "positive_gamma":
        return ("Dealers are long gamma: they sell rallies and buy dips, which tends to dampen "
                f"moves and pin price near large strikes ({r.reason})." + _against_regime(a))
    if r.regime == "negative_gamma":
        return ("Dealers are short gamma: they sell into declines and buy into rallies, which "
                f"tends to amplify moves and raise realised volatility ({r.reason})."
                + _against_regime(a))
    if r.regime == "neutral":
        return ("Spot sits at the gamma flip: dealer hedging is close to balanced and a move "
                f"either way can switch the regime ({r.reason}).")
    return f"The gamma regime cannot be determined: {r.reason}."


def _against_regime(a: ChainAnalysis) -> str:
    """A caveat when the ±1% hedge goes against the regime at spot: the move crosses the flip
    (or gamma changes sign within it), so the words never contradict the hedging numbers."""
    long = a.regime.regime == "positive_gamma"
    # long gamma: a fall should be bought; short gamma: a rise should be bought
    move, expected = (a.hedge_down, "buy") if long else (a.hedge_up, "buy")
    if move.direction in (expected, "none"):
        return ""
    word = "fall" if move.move_pct < 0 else "rise"
    flip = a.flip.price
    crosses = flip is not None and min(a.prepared.spot, move.new_spot) <= flip <= max(
        a.prepared.spot, move.new_spot)
    where = (f" crosses the gamma flip at {flip:.2f}, where dealers turn "
             f"{'short' if long else 'long'} gamma," if crosses else "")
    return (f" Caveat: a 1% {word} (to {move.new_spot:.2f}){where} and the re-priced dealer hedge "
            f"for it is a net {'sale' if move.direction == 'sell' else 'purchase'} of "
            f"{format_count(abs(move.shares))} shares.")


def interpret_vanna(net_vex: float) -> str:
    if net_vex > 0:
        return ("Net VEX is positive: if implied volatility falls, dealer delta falls and dealers "
                "buy the underlying to re-hedge (vol down, market up); rising IV makes them sell.")
    if net_vex < 0:
        return ("Net VEX is negative: if implied volatility falls, dealer delta rises and dealers "
                "sell to re-hedge; rising IV makes them buy.")
    return "Net VEX is zero: volatility changes move dealer hedges little."


def interpret_charm(net_chex: float) -> str:
    if net_chex > 0:
        return ("Net CHEX is positive: with time passing dealer delta grows, so dealers tend to "
                "sell the underlying into the close and over the coming days.")
    if net_chex < 0:
        return ("Net CHEX is negative: with time passing dealer delta shrinks, so dealers tend to "
                "buy the underlying into the close and over the coming days.")
    return "Net CHEX is zero: the passage of time moves dealer hedges little."


def oi_mover_rows(a: ChainAnalysis, ctx: BuildContext = DEFAULT_CONTEXT) -> list[OIMover]:
    """The strikes whose OI changed most; with the previous snapshot file, each row also gives
    the OI of its contracts that settled in between (apart from the changes)."""
    gone = ctx.previous_oi_expired_by_strike
    rows = []
    for m in a.oi_movers:
        c, p = (None, None) if gone is None else gone.get(m.strike, (0, 0))
        rows.append(OIMover(strike=m.strike, call_oi_change=int(round(m.call_change)),
                            put_oi_change=int(round(m.put_change)),
                            total_abs_change=int(round(m.total_abs)),
                            call_oi_expired=c, put_oi_expired=p))
    return rows


def summary_response(a: ChainAnalysis, prov: Provenance,
                     ctx: BuildContext = DEFAULT_CONTEXT) -> SummaryResponse:
    t = a.totals
    zero = a.zero_dte_net_gex
    gross = sum(abs(e.net_gex) for e in a.expiries)
    zero_pct = (abs(zero) / gross * 100.0) if (zero is not None and gross > 0) else None
    gamma_text = interpret_gamma(a)
    return SummaryResponse(
        **prov.model_dump(), **flip_fields(a.flip),
        gamma_regime=a.regime.regime, regime_reason=a.regime.reason,
        flip_above_spot_pct=pct_from_spot(cents(a.flip.price), a.prepared.spot),
        flip_above_spot_points=cents(a.regime.flip_above_spot_points),
        net_gex=t["net_gex"], net_gex_label=format_amount(t["net_gex"]),
        net_dex=t["net_dex"], net_dex_label=format_amount(t["net_dex"]),
        net_vex=t["net_vex"], net_vex_label=format_amount(t["net_vex"]),
        net_chex=t["net_chex"], net_chex_label=format_amount(t["net_chex"]),
        interpretation=gamma_text,
        interpretation_detail={"gamma": gamma_text, "vanna": interpret_vanna(t["net_vex"]),
                               "charm": interpret_charm(t["net_chex"])},
        dealer_hedge_up_1pct=hedge_estimate(a.hedge_up), dealer_hedge_down_1pct=hedge_estimate(a.hedge_down),
        **linear_hedges(t["net_gex"], a.prepared.spot),
        zero_dte_net_gex=zero, zero_dte_pct_of_total=zero_pct,
        call_wall=a.levels.call_wall, put_wall=a.levels.put_wall,
        expiry_breakdown=expiry_rows(a), top_oi_movers=oi_mover_rows(a, ctx),
        data_quality=data_quality(a.prepared.quality))


def regime_response(a: ChainAnalysis, prov: Provenance,
                    ctx: BuildContext = DEFAULT_CONTEXT) -> RegimeResponse:
    t = a.totals
    return RegimeResponse(
        **prov.model_dump(), **flip_fields(a.flip), gamma_regime=a.regime.regime,
        regime_reason=a.regime.reason, net_gex=t["net_gex"], net_gex_label=format_amount(t["net_gex"]),
        flip_above_spot_pct=pct_from_spot(cents(a.flip.price), a.prepared.spot),
        flip_above_spot_points=cents(a.regime.flip_above_spot_points),
        neutral_band_pct=ctx.neutral_band_pct)


def flip_distance_response(a: ChainAnalysis, prov: Provenance,
                           ctx: BuildContext = DEFAULT_CONTEXT) -> FlipDistanceResponse:
    spot = a.prepared.spot
    above = [x for x in a.flip.crossings if x > spot]
    below = [x for x in a.flip.crossings if x <= spot]
    lv = a.levels
    return FlipDistanceResponse(
        **prov.model_dump(), **flip_fields(a.flip),
        flip_above_spot_pct=pct_from_spot(cents(a.flip.price), a.prepared.spot),
        flip_above_spot_points=cents(a.regime.flip_above_spot_points),
        nearest_crossing_above=cents(min(above)) if above else None,
        nearest_crossing_below=cents(max(below)) if below else None,
        call_wall=lv.call_wall, put_wall=lv.put_wall,
        # one convention with the flip: spot minus the level, + means spot is above it
        call_wall_above_spot_pct=pct_from_spot(lv.call_wall, spot),
        put_wall_above_spot_pct=pct_from_spot(lv.put_wall, spot))


def oi_changes_response(a: ChainAnalysis, prov: Provenance,
                        ctx: BuildContext = DEFAULT_CONTEXT) -> OIChangesResponse:
    known = len(a.prepared.change_value) > 0 and bool(np.isfinite(a.prepared.change_value).any())
    if np.isfinite(a.prepared.oi_change).any():
        basis = "open interest change reported by the source"
    else:
        basis = "open interest minus " + previous_basis(ctx, prov.as_of)
    return OIChangesResponse(**prov.model_dump(), oi_change_known=known,
                             oi_change_basis=basis if known else "no previous open interest yet",
                             previous_as_of=ctx.previous_oi_as_of if known else None,
                             expired_oi=ctx.previous_oi_expired if known else None,
                             movers=oi_mover_rows(a, ctx))


def previous_basis(ctx: BuildContext, as_of) -> str:
    """'the snapshot of 2020-06-22 16:15 ET, 4 sessions earlier (the previous snapshot file);
    expired: 28,886' -- the real gap, in sessions, and the OI that settled in between."""
    before = ctx.previous_oi_as_of
    if before is None:
        return f"an earlier snapshot ({ctx.previous_oi_from})"
    gap = sessions_between(before, as_of)
    when = f"{before.astimezone(NEW_YORK):%Y-%m-%d %H:%M} ET"
    text = (f"the snapshot of {when}, {gap} session{'' if gap == 1 else 's'} earlier "
            f"({ctx.previous_oi_from})")
    if ctx.previous_oi_expired is not None:
        text += (f"; expired: {ctx.previous_oi_expired:,} contracts of open interest settled in "
                 "between and are left out, not counted as falls")
    return text


def chart_info(gex: GexResponse, levels: LevelsResponse, regime: RegimeResponse,
               window_pct: float) -> GexChartInfo:
    """The numbers a gex_chart image draws: provenance, flip, walls, regime and every bar."""
    bars = chart_bars(gex, window_pct)
    rows = [ChartBar(strike=float(k), call_gex=float(c), put_gex=float(p), net_gex=float(n),
                     open_interest=int(round(o)))
            for k, c, p, n, o in zip(bars.strike, bars.call_gex, bars.put_gex, bars.net_gex,
                                     bars.open_interest)]
    return GexChartInfo(
        **{name: getattr(gex, name) for name in Provenance.model_fields},
        gamma_flip=gex.gamma_flip, gamma_flip_status=gex.gamma_flip_status,
        call_wall=levels.call_wall, put_wall=levels.put_wall, net_gex=gex.net_gex,
        net_gex_label=gex.net_gex_label, gamma_regime=regime.gamma_regime, window_pct=window_pct,
        strikes_shown=bars.strikes_shown, strikes_hidden=bars.strikes_hidden,
        bar_width=bars.width, binned=bars.binned, bars=rows)


def scan_row(levels: LevelsResponse, regime: RegimeResponse, near_wall_pct: float) -> ScanRow:
    """One watchlist row from a symbol's levels and regime answers (any backend)."""
    spot, flip = levels.underlying_price, levels.gamma_flip

    def near(level: float | None) -> bool | None:
        return None if level is None else abs(level - spot) / spot * 100 <= near_wall_pct

    return ScanRow(
        symbol=levels.symbol, underlying_price=spot, gamma_flip=flip,
        gamma_flip_status=levels.gamma_flip_status, gamma_regime=regime.gamma_regime,
        net_gex=regime.net_gex, net_gex_label=regime.net_gex_label, call_wall=levels.call_wall,
        put_wall=levels.put_wall, flip_above_spot_pct=regime.flip_above_spot_pct,
        below_flip=None if flip is None else spot < flip,
        near_call_wall=near(levels.call_wall), near_put_wall=near(levels.put_wall),
        as_of=levels.as_of, source=levels.source, is_demo=levels.is_demo,
        stale=levels.stale or regime.stale, outdated=levels.outdated, notes=levels.notes)


