"""Shape a `ChainAnalysis` into the response models (one builder per contract shape).

Every builder is `build(analysis, provenance, context) -> Model` and is named in the
endpoint table (`endpoints/table.py`). Numbers here are only re-labelled, rounded to
contract units (OI as integers), or put into words; every quantity is computed by the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from gex_mcp.chart_bars import chart_bars
from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.breakdown import expiry_kind
from gex_mcp.engine.calendar import AM_SETTLEMENT, NEW_YORK
from gex_mcp.engine.expected_move import expected_moves
from gex_mcp.engine.flip import DEFAULT_RANGE_PCT
from gex_mcp.engine.hedging import DEFAULT_MOVES_PCT, hedge_instruments, hedge_ladder
from gex_mcp.engine.max_pain import max_pain
from gex_mcp.engine.prepare import Quality
from gex_mcp.engine.profile import DEFAULT_PROFILE_POINTS, DEFAULT_PROFILE_RANGE_PCT, exposure_profile
from gex_mcp.engine.regime import NEUTRAL_BAND_PCT
from gex_mcp.engine.zero_dte import zero_dte_view
from gex_mcp.labels import format_amount
from gex_mcp.models import (
    ChartBar,
    ChexResponse,
    ChexStrike,
    DataQuality,
    DexResponse,
    DexStrike,
    ExpectedMoveResponse,
    ExpectedMoveRow,
    ExpirationListing,
    ExpirationsResponse,
    ExpiryBreakdownResponse,
    ExpiryExposure,
    FlipDistanceResponse,
    GexChartInfo,
    GexResponse,
    GexStrike,
    HedgeEstimate,
    HedgeInstrument,
    HedgeStep,
    HedgingResponse,
    LevelsResponse,
    MaxPainExpiry,
    MaxPainResponse,
    OIChangesResponse,
    OIMover,
    PayoutPoint,
    ProfilePoint,
    ProfileResponse,
    Provenance,
    RegimeResponse,
    ScanRow,
    SummaryResponse,
    VexResponse,
    VexStrike,
    ZeroDteResponse,
)


@dataclass(frozen=True)
class BuildContext:
    """What a builder needs besides the analysis and its provenance.

    Attributes:
        min_oi: the min_oi filter the analysis applied (contracts).
        neutral_band_pct: half-width of the neutral regime band, percent of spot.
        previous_oi_as_of: when OI change came from a stored snapshot, that snapshot's time.
        options: the endpoint's own arguments (validated), e.g. {"range_pct": 5.0}.
        flip_range_pct: the flip search range, percent of spot.
    """

    min_oi: int = 0
    neutral_band_pct: float = NEUTRAL_BAND_PCT
    previous_oi_as_of: datetime | None = None
    options: dict[str, Any] = field(default_factory=dict)
    flip_range_pct: float = DEFAULT_RANGE_PCT


DEFAULT_CONTEXT = BuildContext()


def _int_or_none(value: float) -> int | None:
    return None if not math.isfinite(value) else int(round(value))


def data_quality(q: Quality) -> DataQuality:
    return DataQuality(
        contracts_total=q.contracts_total, contracts_used=q.contracts_used,
        expired_dropped=q.expired_dropped, iv_reimplied=q.iv_reimplied, iv_from_pair=q.iv_from_pair,
        iv_missing_skipped=q.iv_missing_skipped, zero_open_interest=q.zero_open_interest,
        filtered_min_oi=q.filtered_min_oi, notes=list(q.notes))


def _cents(value: float | None) -> float | None:
    """Prices are reported to the cent; the engine keeps full precision."""
    return None if value is None else round(value, 2)


def flip_fields(a: ChainAnalysis) -> dict:
    f = a.flip
    return {
        "gamma_flip": _cents(f.price), "gamma_flip_status": f.status, "gamma_flip_reason": f.reason,
        "gamma_flip_crossings": [_cents(x) for x in f.crossings],
        "flip_search_range": None if f.search_range is None else tuple(_cents(x) for x in f.search_range),
    }


def gex_response(a: ChainAnalysis, prov: Provenance, ctx: BuildContext = DEFAULT_CONTEXT) -> GexResponse:
    s = a.strikes
    rows = [
        GexStrike(strike=float(k), call_gex=float(cg), put_gex=float(pg), net_gex=float(cg + pg),
                  call_oi=int(round(co)), put_oi=int(round(po)), call_volume=int(round(cv)),
                  put_volume=int(round(pv)), call_oi_change=_int_or_none(cc),
                  put_oi_change=_int_or_none(pc))
        for k, cg, pg, co, po, cv, pv, cc, pc in zip(
            s.strike, s.call_gex, s.put_gex, s.call_oi, s.put_oi, s.call_volume, s.put_volume,
            s.call_oi_change, s.put_oi_change)
    ]
    t = a.totals
    return GexResponse(**prov.model_dump(), **flip_fields(a), net_gex=t["net_gex"],
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
        **prov.model_dump(), **flip_fields(a), call_wall=lv.call_wall, put_wall=lv.put_wall,
        max_positive_gamma=lv.max_positive_gamma, max_negative_gamma=lv.max_negative_gamma,
        highest_oi_strike=lv.highest_oi_strike, zero_dte_magnet=lv.zero_dte_magnet)


def interpret_gamma(a: ChainAnalysis) -> str:
    r = a.regime
    if r.regime == "positive_gamma":
        return ("Dealers are long gamma: they sell rallies and buy dips, which tends to dampen "
                f"moves and pin price near large strikes ({r.reason}).")
    if r.regime == "negative_gamma":
        return ("Dealers are short gamma: they sell into declines and buy into rallies, which "
                f"tends to amplify moves and raise realised volatility ({r.reason}).")
    if r.regime == "neutral":
        return ("Spot sits at the gamma flip: dealer hedging is close to balanced and a move "
                f"either way can switch the regime ({r.reason}).")
    return f"The gamma regime cannot be determined: {r.reason}."


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


def _hedge(h) -> HedgeEstimate:
    return HedgeEstimate(spot_move_pct=h.move_pct, new_spot=round(h.new_spot, 2),
                         dealer_shares_to_trade=round(h.shares), direction=h.direction,
                         notional_usd=round(h.notional_usd))


def expiry_rows(a: ChainAnalysis) -> list[ExpiryExposure]:
    atm_iv = {m.expiration: m.atm_iv for m in expected_moves(a.chain, a.prepared)}
    return [ExpiryExposure(expiration=str(e.expiration), days_to_expiry=round(e.days_to_expiry, 4),
                           kind=e.kind, net_gex=e.net_gex, net_gex_label=format_amount(e.net_gex),
                           share_of_total_pct=e.share_of_total_pct, top_strike=e.top_strike,
                           open_interest=int(round(e.open_interest)),
                           atm_iv=_round(atm_iv.get(e.expiration), 4))
            for e in a.expiries]


def oi_mover_rows(a: ChainAnalysis) -> list[OIMover]:
    return [OIMover(strike=m.strike, call_oi_change=int(round(m.call_change)),
                    put_oi_change=int(round(m.put_change)), total_abs_change=int(round(m.total_abs)))
            for m in a.oi_movers]


def summary_response(a: ChainAnalysis, prov: Provenance,
                     ctx: BuildContext = DEFAULT_CONTEXT) -> SummaryResponse:
    t = a.totals
    zero = a.zero_dte_net_gex
    gross = sum(abs(e.net_gex) for e in a.expiries)
    zero_pct = (abs(zero) / gross * 100.0) if (zero is not None and gross > 0) else None
    gamma_text = interpret_gamma(a)
    return SummaryResponse(
        **prov.model_dump(), **flip_fields(a),
        gamma_regime=a.regime.regime, regime_reason=a.regime.reason,
        distance_to_flip_pct=_round(a.regime.distance_pct, 3), distance_to_flip_points=_cents(a.regime.distance_points),
        net_gex=t["net_gex"], net_gex_label=format_amount(t["net_gex"]),
        net_dex=t["net_dex"], net_dex_label=format_amount(t["net_dex"]),
        net_vex=t["net_vex"], net_vex_label=format_amount(t["net_vex"]),
        net_chex=t["net_chex"], net_chex_label=format_amount(t["net_chex"]),
        interpretation=gamma_text,
        interpretation_detail={"gamma": gamma_text, "vanna": interpret_vanna(t["net_vex"]),
                               "charm": interpret_charm(t["net_chex"])},
        dealer_hedge_up_1pct=_hedge(a.hedge_up), dealer_hedge_down_1pct=_hedge(a.hedge_down),
        zero_dte_net_gex=zero, zero_dte_pct_of_total=zero_pct,
        call_wall=a.levels.call_wall, put_wall=a.levels.put_wall,
        expiry_breakdown=expiry_rows(a), top_oi_movers=oi_mover_rows(a),
        data_quality=data_quality(a.prepared.quality))


def regime_response(a: ChainAnalysis, prov: Provenance,
                    ctx: BuildContext = DEFAULT_CONTEXT) -> RegimeResponse:
    t = a.totals
    return RegimeResponse(
        **prov.model_dump(), **flip_fields(a), gamma_regime=a.regime.regime,
        regime_reason=a.regime.reason, net_gex=t["net_gex"], net_gex_label=format_amount(t["net_gex"]),
        distance_to_flip_pct=_round(a.regime.distance_pct, 3), distance_to_flip_points=_cents(a.regime.distance_points),
        neutral_band_pct=ctx.neutral_band_pct)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _pct_from_spot(level: float | None, spot: float, *, sign: int = 1) -> float | None:
    """sign · (level − spot) / spot · 100, to 0.001%; sign −1 gives spot's distance above it."""
    return None if level is None else round(sign * (level - spot) / spot * 100.0, 3)


def flip_distance_response(a: ChainAnalysis, prov: Provenance,
                           ctx: BuildContext = DEFAULT_CONTEXT) -> FlipDistanceResponse:
    spot = a.prepared.spot
    above = [x for x in a.flip.crossings if x > spot]
    below = [x for x in a.flip.crossings if x <= spot]
    lv = a.levels
    return FlipDistanceResponse(
        **prov.model_dump(), **flip_fields(a),
        distance_to_flip_pct=_round(a.regime.distance_pct, 3), distance_to_flip_points=_cents(a.regime.distance_points),
        nearest_crossing_above=_cents(min(above)) if above else None,
        nearest_crossing_below=_cents(max(below)) if below else None,
        call_wall=lv.call_wall, put_wall=lv.put_wall,
        distance_to_call_wall_pct=_pct_from_spot(lv.call_wall, spot),
        distance_to_put_wall_pct=_pct_from_spot(lv.put_wall, spot))


def expiry_breakdown_response(a: ChainAnalysis, prov: Provenance,
                              ctx: BuildContext = DEFAULT_CONTEXT) -> ExpiryBreakdownResponse:
    rows = expiry_rows(a)

    def share(kinds: tuple[str, ...]) -> float:
        return float(sum(r.share_of_total_pct for r in rows if r.kind in kinds))

    total = a.totals["net_gex"]
    return ExpiryBreakdownResponse(
        **prov.model_dump(), net_gex=total, net_gex_label=format_amount(total),
        zero_dte_pct=share(("0dte",)), weekly_pct=share(("weekly",)),
        monthly_pct=share(("monthly", "quarterly", "leaps")), expiries=rows)


def oi_changes_response(a: ChainAnalysis, prov: Provenance,
                        ctx: BuildContext = DEFAULT_CONTEXT) -> OIChangesResponse:
    known = len(a.prepared.change_value) > 0 and bool(np.isfinite(a.prepared.change_value).any())
    if np.isfinite(a.prepared.oi_change).any():
        basis = "open interest change reported by the source"
    else:
        before = ctx.previous_oi_as_of
        basis = ("open interest minus the stored snapshot of "
                 f"{before.isoformat() if before else 'an earlier day'} (GEX_DATA_DIR history)")
    return OIChangesResponse(**prov.model_dump(), oi_change_known=known,
                             oi_change_basis=basis if known else "no previous open interest yet",
                             movers=oi_mover_rows(a))


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
        put_wall=levels.put_wall, distance_to_flip_pct=_pct_from_spot(flip, spot, sign=-1),
        below_flip=None if flip is None else spot < flip,
        near_call_wall=near(levels.call_wall), near_put_wall=near(levels.put_wall),
        as_of=levels.as_of, source=levels.source, is_demo=levels.is_demo,
        stale=levels.stale or regime.stale)


def expirations_response(a: ChainAnalysis, prov: Provenance,
                         ctx: BuildContext = DEFAULT_CONTEXT) -> ExpirationsResponse:
    """Every unsettled expiration of the chain: kind, settlement, days, OI, share of gross GEX.

    share_of_gross_gex_pct = Σ_{contracts of the date} |GEX| / Σ_{all contracts} |GEX| x 100.
    """
    chain = a.chain
    now = chain.as_of.timestamp()
    live = chain.settle_time > now
    dates, row_date = np.unique(chain.expiry[live], return_inverse=True)
    n = len(dates)
    settle = chain.settle_time[live]
    contracts = np.bincount(row_date, minlength=n)
    oi = np.bincount(row_date, weights=np.nan_to_num(chain.open_interest[live]), minlength=n)
    last_settle = np.full(n, -np.inf)
    np.maximum.at(last_settle, row_date, settle)
    used_date = np.searchsorted(dates, a.prepared.expiry)
    gex = a.contracts.gex
    gross = np.bincount(used_date, weights=np.abs(gex), minlength=n)
    net = np.bincount(used_date, weights=gex, minlength=n)
    total_gross = float(gross.sum())
    instants, which = np.unique(settle, return_inverse=True)
    am_row = np.array([datetime.fromtimestamp(s, NEW_YORK).time() == AM_SETTLEMENT
                       for s in instants.tolist()], dtype=bool)[which]
    has_am = np.bincount(row_date, weights=am_row, minlength=n) > 0
    has_pm = np.bincount(row_date, weights=~am_row, minlength=n) > 0
    rows = []
    for i, day in enumerate(dates):
        days = float((last_settle[i] - now) / 86400.0)
        am, pm = bool(has_am[i]), bool(has_pm[i])
        rows.append(ExpirationListing(
            expiration=str(day), kind=expiry_kind(day, a.prepared.today, days),
            settlement="AM+PM" if am and pm else "AM" if am else "PM",
            days_to_expiry=round(days, 4), contracts=int(contracts[i]),
            open_interest=int(round(oi[i])), net_gex=float(net[i]),
            share_of_gross_gex_pct=float(gross[i] / total_gross * 100.0) if total_gross > 0 else 0.0))
    weekday = chain.as_of.astimezone(NEW_YORK).date()
    friday = np.datetime64(weekday + timedelta(days=(4 - weekday.weekday()) % 7))
    return ExpirationsResponse(
        **prov.model_dump(), count=len(rows), expirations=rows,
        rolloff_next_expiry_pct=rows[0].share_of_gross_gex_pct if rows else 0.0,
        rolloff_by_friday_pct=float(sum(r.share_of_gross_gex_pct for r, d in zip(rows, dates)
                                        if d <= friday)))


def profile_response(a: ChainAnalysis, prov: Provenance,
                     ctx: BuildContext = DEFAULT_CONTEXT) -> ProfileResponse:
    """GEX and DEX across spot·(1 ± range_pct/100), `DEFAULT_PROFILE_POINTS` points."""
    range_pct = float(ctx.options.get("range_pct") or DEFAULT_PROFILE_RANGE_PCT)
    curve = exposure_profile(a.prepared, range_pct=range_pct, points=DEFAULT_PROFILE_POINTS)
    spot = a.prepared.spot
    lo, hi = int(np.argmin(curve.gex)), int(np.argmax(curve.gex))
    points = [ProfilePoint(spot=round(float(x), 2), move_pct=round(float(x / spot - 1) * 100, 3),
                           net_gex=float(g), net_dex=float(d))
              for x, g, d in zip(curve.spots, curve.gex, curve.dex)]
    return ProfileResponse(
        **prov.model_dump(), **flip_fields(a), range_pct=range_pct,
        net_gex_at_spot=a.totals["net_gex"], min_net_gex=float(curve.gex[lo]),
        min_net_gex_spot=_cents(float(curve.spots[lo])), max_net_gex=float(curve.gex[hi]),
        max_net_gex_spot=_cents(float(curve.spots[hi])), points=points)


def _hedge_step(h, units: list[float]) -> HedgeStep:
    return HedgeStep(move_pct=h.move_pct, new_spot=round(h.new_spot, 2),
                     dealer_shares_to_trade=round(h.shares), direction=h.direction,
                     notional_usd=round(h.notional_usd), instrument_units=units)


def hedging_response(a: ChainAnalysis, prov: Provenance,
                     ctx: BuildContext = DEFAULT_CONTEXT) -> HedgingResponse:
    """Re-priced dealer delta for each move, also in units of the liquid hedges."""
    moves = tuple(ctx.options.get("moves") or DEFAULT_MOVES_PCT)
    instruments = hedge_instruments(prov.symbol)
    steps = []
    for h in hedge_ladder(a.prepared, moves):
        # units of an instrument = shares / (USD per unit per point)
        steps.append(_hedge_step(h, [round(h.shares / factor, 1) for _, factor, _ in instruments]))
    return HedgingResponse(
        **prov.model_dump(), steps=steps,
        instruments=[HedgeInstrument(name=n, description=d, usd_per_point=f) for n, f, d in instruments])


def _live_dates(a: ChainAnalysis, only: str | None) -> list[np.datetime64]:
    chain = a.chain
    dates = np.unique(chain.expiry[chain.settle_time > chain.as_of.timestamp()])
    return [d for d in dates if only is None or str(d) == only]


MAX_PAIN_CURVE_STRIKES = 10  # strikes each side of max pain in the payout curve


def max_pain_response(a: ChainAnalysis, prov: Provenance,
                      ctx: BuildContext = DEFAULT_CONTEXT) -> MaxPainResponse:
    """Max pain of every listed expiration (or the chosen one), and the payout curve of the
    chosen (else the nearest) expiration around its max pain."""
    chain, spot = a.chain, a.chain.spot
    live = chain.settle_time > chain.as_of.timestamp()
    rows, curves = [], {}
    for day in _live_dates(a, prov.expiration):
        on = live & (chain.expiry == day)
        result = max_pain(chain.strike[on], chain.is_call[on], chain.open_interest[on],
                          chain.multiplier[on])
        oi = int(round(float(np.nansum(chain.open_interest[on]))))
        if result is None:
            rows.append(MaxPainExpiry(expiration=str(day), max_pain=None, distance_pct=None,
                                      payout_usd=None, open_interest=oi))
            continue
        curves[str(day)] = result
        rows.append(MaxPainExpiry(expiration=str(day), max_pain=result.strike,
                                  distance_pct=_pct_from_spot(result.strike, spot),
                                  payout_usd=result.payout_usd, open_interest=oi))
    chosen = prov.expiration or next(iter(curves), None)
    curve: list[PayoutPoint] = []
    if chosen in curves:
        r = curves[chosen]
        i = int(np.searchsorted(r.strikes, r.strike))
        window = slice(max(0, i - MAX_PAIN_CURVE_STRIKES), i + MAX_PAIN_CURVE_STRIKES + 1)
        curve = [PayoutPoint(settle_price=float(k), payout_usd=float(v))
                 for k, v in zip(r.strikes[window], r.payouts[window])]
    return MaxPainResponse(**prov.model_dump(), expirations=rows,
                           curve_expiration=chosen if curve else None, payout_curve=curve)


def expected_move_response(a: ChainAnalysis, prov: Provenance,
                           ctx: BuildContext = DEFAULT_CONTEXT) -> ExpectedMoveResponse:
    """Straddle and ATM-IV moves per expiration (the chosen one, or all)."""
    spot = a.chain.spot
    rows = []
    for m in expected_moves(a.chain, a.prepared):
        if prov.expiration is not None and str(m.expiration) != prov.expiration:
            continue
        one = m.iv_move
        rows.append(ExpectedMoveRow(
            expiration=str(m.expiration), days_to_expiry=round(m.days_to_expiry, 4),
            atm_strike=m.atm_strike, straddle=_cents(m.straddle),
            straddle_move_pct=None if m.straddle is None else round(m.straddle / spot * 100, 3),
            atm_iv=None if m.atm_iv is None else round(m.atm_iv, 4), iv_move_1sd=_cents(one),
            lower_1sd=None if one is None else _cents(spot - one),
            upper_1sd=None if one is None else _cents(spot + one),
            lower_2sd=None if one is None else _cents(spot - 2 * one),
            upper_2sd=None if one is None else _cents(spot + 2 * one)))
    return ExpectedMoveResponse(**prov.model_dump(), moves=rows)


def zero_dte_response(a: ChainAnalysis, prov: Provenance,
                      ctx: BuildContext = DEFAULT_CONTEXT) -> ZeroDteResponse:
    """The 0DTE options as a chain of their own (see engine/zero_dte.py); nulls with a reason
    when nothing expires today."""
    view = zero_dte_view(a.prepared, a.contracts, flip_range_pct=ctx.flip_range_pct,
                         neutral_band_pct=ctx.neutral_band_pct)
    if view is None:
        return ZeroDteResponse(
            **prov.model_dump(), gamma_flip=None, gamma_flip_status="no_data",
            gamma_flip_reason=f"no {prov.symbol} options with open interest expire on "
                              f"{a.prepared.today} at as_of",
            zero_dte_expiration=None, gamma_regime="unknown",
            regime_reason="no options expire today", net_gex=None, share_of_gross_gex_pct=None,
            open_interest=0, magnet=None, pin_strike=None, pin_oi_share_pct=None, hedges=[])
    f, r = view.flip, view.regime
    return ZeroDteResponse(
        **prov.model_dump(), gamma_flip=_cents(f.price), gamma_flip_status=f.status,
        gamma_flip_reason=f.reason, gamma_flip_crossings=[_cents(x) for x in f.crossings],
        flip_search_range=None if f.search_range is None else tuple(_cents(x) for x in f.search_range),
        zero_dte_expiration=str(view.expiration), gamma_regime=r.regime, regime_reason=r.reason,
        net_gex=view.net_gex, share_of_gross_gex_pct=round(view.share_of_gross_pct, 3),
        open_interest=int(round(view.open_interest)), magnet=a.levels.zero_dte_magnet,
        pin_strike=view.pin_strike, pin_oi_share_pct=round(view.pin_oi_share_pct, 3),
        hedges=[_hedge_step(h, []) for h in view.hedges])
