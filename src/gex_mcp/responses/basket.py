"""The basket answer: members' summaries weighted into one book (FlashAlpha's basket shape).

    wᵢ = weightᵢ / Σ weightⱼ over the members that answered (missing ones are dropped)
    aggregate net_X = Σ wᵢ x net_Xᵢ        X in gex (USD per 1% move), dex (USD of delta),
                                           vex (USD of delta per vol point), chex (USD/day)
    contribution_pctᵢ = |wᵢ x net_gexᵢ| / Σ|wⱼ x net_gexⱼ| x 100

Weights are notional shares (equal when none are given). A member's regime is FlashAlpha's (`guide_regime`: spot against its flip).
"""

from __future__ import annotations

from collections.abc import Mapping

from gex_mcp.labels import format_amount
from gex_mcp.models import BasketAggregate, BasketConstituent, BasketResponse, SummaryResponse
from gex_mcp.responses.age import MAX_SESSIONS_BEHIND, gap_in_words, sessions_between
from gex_mcp.responses.guide import guide_regime

GREEKS = ("gex", "dex", "vex", "chex")


def basket_response(summaries: Mapping[str, SummaryResponse], weights: Mapping[str, float],
                    missing: list[str], source: str) -> BasketResponse:
    """The basket of the members in `summaries` (in order), `weights` by symbol (any scale,
    not all zero over the members), from source `source`."""
    total = sum(weights[s] for s in summaries)
    share = {s: weights[s] / total for s in summaries}
    aggregate = {f"net_{g}": sum(share[s] * getattr(a, f"net_{g}") for s, a in summaries.items())
                 for g in GREEKS}
    gross = sum(abs(share[s] * a.net_gex) for s, a in summaries.items())
    times = [a.as_of for a in summaries.values()]
    notes = [f"No data for {', '.join(missing)}: left out, the other weights re-scaled."] if missing else []
    if sessions_between(min(times), max(times)) > MAX_SESSIONS_BEHIND:
        oldest, newest = (min(summaries, key=lambda s: summaries[s].as_of),
                          max(summaries, key=lambda s: summaries[s].as_of))
        notes.append(f"The members' snapshots are {gap_in_words((max(times) - min(times)).total_seconds())} "
                     f"apart ({oldest} oldest, {newest} newest): the sum mixes different days.")
    stale = [s for s, a in summaries.items() if a.stale]
    if stale:
        notes.append(f"Cached answers served after upstream failed: {', '.join(stale)}.")
    return BasketResponse(
        as_of=max(times), source=source,
        is_demo=any(a.is_demo for a in summaries.values()),
        constituent_count=len(summaries), missing_symbols=missing,
        aggregate=BasketAggregate(**aggregate),
        aggregate_labels={k: format_amount(v) for k, v in aggregate.items()},
        constituents=[BasketConstituent(
            symbol=s, weight=round(share[s], 6), underlying_price=a.underlying_price,
            **{f"net_{g}": getattr(a, f"net_{g}") for g in GREEKS},
            contribution_pct=round(abs(share[s] * a.net_gex) / gross * 100.0, 3) if gross else None,
            regime=guide_regime(a.gamma_flip, a.underlying_price), as_of=a.as_of, stale=a.stale)
            for s, a in summaries.items()],
        as_of_spread_seconds=round((max(times) - min(times)).total_seconds(), 1), notes=notes)


__all__ = ["basket_response"]
