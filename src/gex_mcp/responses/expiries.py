"""Builders of per-expiration answers: breakdown, listing, max pain, expected move, 0DTE."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.calendar import NEW_YORK
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
from gex_mcp.responses.settlements import settlement_rows


def expiry_rows(a: ChainAnalysis) -> list[ExpiryExposure]:
    """One row per priced settlement (the summary's short form: no forwards); shares of gross
    |GEX|, OI and kinds as in `expirations` (see settlements.py)."""
    atm_iv = {m.expiration: m.atm_iv for m in a.expected_moves}
    return [ExpiryExposure(expiration=r.expiration, days_to_expiry=round(r.days_to_expiry, 4),
                           kind=r.kind, net_gex=r.net_gex, net_gex_label=format_amount(r.net_gex),
                           share_of_gross_gex_pct=r.share_of_gross_gex_pct,
                           top_strike=r.priced.top_strike, open_interest=r.open_interest,
                           settlement=r.settlement,
                           atm_iv=round_or_none(atm_iv.get(r.priced.expiration), 4))
            for r in settlement_rows(a) if r.priced is not None]


def expiry_breakdown_response(a: ChainAnalysis, prov: Provenance,
                              ctx: BuildContext = DEFAULT_CONTEXT) -> ExpiryBreakdownResponse:
    priced = [r.priced for r in settlement_rows(a) if r.priced is not None]
    rows = [ExpiryForwardExposure(**row.model_dump(), forward=cents(e.forward),
                                  implied_carry_pct=round_or_none(e.implied_carry_pct, 2),
                                  basis_points=round_or_none(e.basis_points, 2))
            for row, e in zip(expiry_rows(a), priced, strict=True)]

    def share(kinds: tuple[str, ...]) -> float:
        return float(sum(r.share_of_gross_gex_pct for r in rows if r.kind in kinds))

    total = a.totals["net_gex"]
    return ExpiryBreakdownResponse(
        **prov.model_dump(), net_gex=total, net_gex_label=format_amount(total),
        zero_dte_pct=share(("0dte",)), weekly_pct=share(("weekly",)),
        monthly_pct=share(("monthly", "quarterly", "leaps")), expiries=rows)


def expirations_response(a: ChainAnalysis, prov: Provenance,
                         ctx: BuildContext = DEFAULT_CONTEXT) -> ExpirationsResponse:
    """Every unsettled settlement of the chain: kind, days, contracts, OI, net GEX and share of
    gross |GEX| (see settlements.py; the same rows as expiry_breakdown)."""
    chain = a.chain
    rows = [ExpirationListing(
        expiration=r.expiration, kind=r.kind, settlement=r.settlement,
        days_to_expiry=round(r.days_to_expiry, 4), contracts=r.contracts,
        open_interest=r.open_interest, net_gex=r.net_gex,
        share_of_gross_gex_pct=r.share_of_gross_gex_pct) for r in settlement_rows(a)]
    weekday = chain.as_of.astimezone(NEW_YORK).date()
    friday = (weekday + timedelta(days=(4 - weekday.weekday()) % 7)).isoformat()
    first = rows[0].expiration if rows else None
    return ExpirationsResponse(
        **prov.model_dump(), count=len(rows), expirations=rows,
        rolloff_next_expiry_pct=float(sum(r.share_of_gross_gex_pct for r in rows
                                          if r.expiration == first)),
        rolloff_by_friday_pct=float(sum(r.share_of_gross_gex_pct for r in rows
                                        if r.expiration <= friday)))


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
