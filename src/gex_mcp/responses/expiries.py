"""Builders of per-expiration answers: breakdown, listing, max pain, expected move, 0DTE."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.breakdown import expiry_kind
from gex_mcp.engine.calendar import AM_SETTLEMENT, NEW_YORK
from gex_mcp.engine.max_pain import max_pain
from gex_mcp.engine.zero_dte import zero_dte_view
from gex_mcp.labels import format_amount
from gex_mcp.models import (
    ExpectedMoveResponse,
    ExpectedMoveRow,
    ExpirationListing,
    ExpirationsResponse,
    ExpiryBreakdownResponse,
    ExpiryExposure,
    ExpiryForwardExposure,
    MaxPainExpiry,
    MaxPainResponse,
    PayoutPoint,
    Provenance,
    ZeroDteResponse,
)
from gex_mcp.responses._common import (
    DEFAULT_CONTEXT,
    BuildContext,
    cents,
    flip_fields,
    hedge_step,
    pct_from_spot,
    round_or_none,
)


def expiry_rows(a: ChainAnalysis) -> list[ExpiryExposure]:
    """One row per settlement (the summary's short form: no forwards)."""
    atm_iv = {m.expiration: m.atm_iv for m in a.expected_moves}
    return [ExpiryExposure(expiration=str(e.expiration), days_to_expiry=round(e.days_to_expiry, 4),
                           kind=e.kind, net_gex=e.net_gex, net_gex_label=format_amount(e.net_gex),
                           share_of_total_pct=e.share_of_total_pct, top_strike=e.top_strike,
                           open_interest=int(round(e.open_interest)), settlement=e.settlement,
                           atm_iv=round_or_none(atm_iv.get(e.expiration), 4))
            for e in a.expiries]


def expiry_breakdown_response(a: ChainAnalysis, prov: Provenance,
                              ctx: BuildContext = DEFAULT_CONTEXT) -> ExpiryBreakdownResponse:
    rows = [ExpiryForwardExposure(**row.model_dump(), forward=cents(e.forward),
                                  implied_carry_pct=round_or_none(e.implied_carry_pct, 2))
            for row, e in zip(expiry_rows(a), a.expiries, strict=True)]

    def share(kinds: tuple[str, ...]) -> float:
        return float(sum(r.share_of_total_pct for r in rows if r.kind in kinds))

    total = a.totals["net_gex"]
    return ExpiryBreakdownResponse(
        **prov.model_dump(), net_gex=total, net_gex_label=format_amount(total),
        zero_dte_pct=share(("0dte",)), weekly_pct=share(("weekly",)),
        monthly_pct=share(("monthly", "quarterly", "leaps")), expiries=rows)


def expirations_response(a: ChainAnalysis, prov: Provenance,
                         ctx: BuildContext = DEFAULT_CONTEXT) -> ExpirationsResponse:
    """Every unsettled expiration of the chain: kind, settlement, days, OI, share of gross GEX.

    share_of_gross_gex_pct = Σ_{contracts of the date} |GEX| / Σ_{all contracts} |GEX| x 100.
    """
    chain = a.chain
    now = chain.as_of.timestamp()
    live = chain.live
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


def _live_dates(a: ChainAnalysis, only: str | None) -> list[np.datetime64]:
    chain = a.chain
    dates = np.unique(chain.expiry[chain.live])
    return [d for d in dates if only is None or str(d) == only]


MAX_PAIN_CURVE_STRIKES = 10  # strikes each side of max pain in the payout curve


def max_pain_response(a: ChainAnalysis, prov: Provenance,
                      ctx: BuildContext = DEFAULT_CONTEXT) -> MaxPainResponse:
    """Max pain of every listed expiration (or the chosen one), and the payout curve of the
    chosen (else the nearest) expiration around its max pain."""
    chain, spot = a.chain, a.chain.spot
    live = chain.live
    rows, curves = [], {}
    for day in _live_dates(a, prov.expiration):
        on = live & (chain.expiry == day)
        result = max_pain(chain.strike[on], chain.is_call[on], chain.open_interest[on],
                          chain.multiplier[on])
        oi = int(round(float(np.nansum(chain.open_interest[on]))))
        if result is None:
            rows.append(MaxPainExpiry(expiration=str(day), max_pain=None, max_pain_above_spot_pct=None,
                                      payout_usd=None, open_interest=oi))
            continue
        curves[str(day)] = result
        rows.append(MaxPainExpiry(expiration=str(day), max_pain=result.strike,
                                  max_pain_above_spot_pct=pct_from_spot(result.strike, spot),
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
    for m in a.expected_moves:
        if prov.expiration is not None and str(m.expiration) != prov.expiration:
            continue
        one = m.iv_move
        rows.append(ExpectedMoveRow(
            expiration=str(m.expiration), days_to_expiry=round(m.days_to_expiry, 4),
            atm_strike=m.atm_strike, forward=cents(m.forward), straddle=cents(m.straddle),
            straddle_move_pct=None if m.straddle is None else round(m.straddle / spot * 100, 3),
            atm_iv=None if m.atm_iv is None else round(m.atm_iv, 4), iv_move_1sd=cents(one),
            lower_1sd=None if one is None else cents(spot - one),
            upper_1sd=None if one is None else cents(spot + one),
            lower_2sd=None if one is None else cents(spot - 2 * one),
            upper_2sd=None if one is None else cents(spot + 2 * one)))
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
    r = view.regime
    return ZeroDteResponse(
        **prov.model_dump(), **flip_fields(view.flip), zero_dte_expiration=str(view.expiration), gamma_regime=r.regime, regime_reason=r.reason,
        net_gex=view.net_gex, share_of_gross_gex_pct=round(view.share_of_gross_pct, 3),
        open_interest=int(round(view.open_interest)), magnet=a.levels.zero_dte_magnet,
        pin_strike=view.pin_strike, pin_oi_share_pct=round(view.pin_oi_share_pct, 3),
        hedges=[hedge_step(h, []) for h in view.hedges])
