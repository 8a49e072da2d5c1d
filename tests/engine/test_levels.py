"""Levels, hedging and expiry breakdown against independent per-row computations."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.breakdown import expiry_kind
from tests.engine import reference
from tests.engine.factory import make_chain

STRIKES = tuple(np.arange(85.0, 116.0, 1.0))


def test_levels_match_a_dictionary_recount_of_the_contracts():
    """Walls, max gamma and highest OI equal argmaxes over a per-row recount."""
    a = analyze_chain(make_chain(seed=31, strikes=STRIKES), rate=0.04)
    p, c = a.prepared, a.contracts
    call, put, oi = defaultdict(float), defaultdict(float), defaultdict(float)
    for k, is_call, gex, n in zip(p.strike, p.is_call, c.gex, p.open_interest):
        (call if is_call else put)[k] += gex
        oi[k] += n
    net = {k: call[k] + put[k] for k in oi}
    assert a.levels.call_wall == max(call, key=call.get)
    assert a.levels.put_wall == min(put, key=put.get)
    assert a.levels.max_positive_gamma == max(net, key=net.get)
    assert a.levels.max_negative_gamma == min(net, key=net.get)
    assert a.levels.highest_oi_strike == max(oi, key=oi.get)


def test_zero_dte_magnet_uses_only_todays_expiry_and_is_null_without_one():
    """The magnet is the largest |net GEX| strike among same-day contracts."""
    chain = make_chain(seed=8, strikes=STRIKES, days=(0, 7))
    a = analyze_chain(chain, rate=0.04)
    p, c = a.prepared, a.contracts
    today = p.expiry == p.today
    net = defaultdict(float)
    for k, g in zip(p.strike[today], c.gex[today]):
        net[k] += g
    assert a.levels.zero_dte_magnet == max(net, key=lambda k: abs(net[k]))
    assert analyze_chain(make_chain(seed=8, strikes=STRIKES, days=(7,)), rate=0.04).levels.zero_dte_magnet is None


def test_hedge_estimate_equals_repriced_reference_delta_difference():
    """Shares to trade = -(dealer delta at 1.01 S - at S), from the scalar reference."""
    a = analyze_chain(make_chain(seed=12, strikes=STRIKES), rate=0.04)
    p = a.prepared

    def dealer_delta(S):
        return sum(s * reference.greeks(S, k, t, v, p.rate, float(q), bool(cl))["delta"] * n * m
                   for s, k, t, v, cl, n, m, q in zip(p.sign, p.strike, p.t_years, p.iv, p.is_call,
                                                      p.open_interest, p.multiplier,
                                                      p.dividend_yield))
    for hedge, factor in ((a.hedge_up, 1.01), (a.hedge_down, 0.99)):
        expected = -(dealer_delta(p.spot * factor) - dealer_delta(p.spot))
        assert hedge.shares == pytest.approx(expected, rel=1e-9)
        assert hedge.direction == ("buy" if expected > 0 else "sell")
        assert hedge.notional_usd == pytest.approx(abs(expected) * p.spot * factor)


def test_long_gamma_dealers_sell_rallies_and_buy_dips():
    """A calls-only book (dealers long gamma) sells on +1% and buys on -1%."""
    a = analyze_chain(make_chain(call_oi=1000.0, put_oi=0.0, strikes=STRIKES), rate=0.04)
    assert a.hedge_up.direction == "sell"
    assert a.hedge_down.direction == "buy"


def test_expiry_shares_add_to_100_and_nets_add_to_total():
    """Per-expiry net GEX sums to the chain total; shares sum to 100%."""
    a = analyze_chain(make_chain(seed=44, strikes=STRIKES, days=(0, 4, 11, 39)), rate=0.04)
    assert sum(e.net_gex for e in a.expiries) == pytest.approx(a.totals["net_gex"], rel=1e-9)
    assert sum(e.share_of_total_pct for e in a.expiries) == pytest.approx(100.0)
    assert a.expiries[0].kind == "0dte"


def test_expiry_kinds_follow_the_calendar():
    """Third Fridays (or the day before a holiday) are monthly, quarterly in Mar/Jun/Sep/Dec."""
    today = np.datetime64("2025-03-10")
    assert expiry_kind(np.datetime64("2025-03-10"), today, 0.2) == "0dte"
    assert expiry_kind(np.datetime64("2025-03-14"), today, 4) == "weekly"
    assert expiry_kind(np.datetime64("2025-03-21"), today, 11) == "quarterly"
    assert expiry_kind(np.datetime64("2025-04-17"), today, 38) == "monthly"  # Good Friday moves it
    assert expiry_kind(np.datetime64("2025-04-11"), today, 32) == "weekly"
    assert expiry_kind(np.datetime64("2025-05-16"), today, 67) == "monthly"
    assert expiry_kind(np.datetime64("2026-12-18"), today, 648) == "leaps"


def test_oi_movers_are_day_over_day_changes_sorted_by_size():
    """With yesterday's OI known, movers list |Δcall| + |Δput| in descending order."""
    chain = make_chain(seed=50, strikes=STRIKES)
    prev = chain.open_interest + np.random.default_rng(1).integers(-300, 300, len(chain))
    a = analyze_chain(chain.with_prev_open_interest(np.maximum(prev, 0)), rate=0.04)
    totals = [m.total_abs for m in a.oi_movers]
    assert totals == sorted(totals, reverse=True) and len(totals) == 10
    expected = defaultdict(float)
    for k, is_call, now, before in zip(chain.strike, chain.is_call, chain.open_interest, np.maximum(prev, 0)):
        if is_call:
            expected[k] += now - before
    top = a.oi_movers[0]
    assert top.call_change == pytest.approx(expected[top.strike])
    assert analyze_chain(chain, rate=0.04).oi_movers == []
