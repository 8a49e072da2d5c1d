"""Max pain against a brute-force payout over every candidate settlement price."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gex_mcp.engine.max_pain import max_pain


def brute_force(strikes, calls, oi, mult):
    """min over strikes P of Σ calls OI·m·max(P−K, 0) + Σ puts OI·m·max(K−P, 0), loops only."""
    best = None
    for p in sorted(set(strikes)):
        pay = 0.0
        for k, c, o, m in zip(strikes, calls, oi, mult):
            pay += o * m * (max(p - k, 0.0) if c else max(k - p, 0.0))
        if best is None or pay < best[1] - 1e-9 * max(1.0, abs(best[1])):
            best = (p, pay)
    return best


contracts = st.lists(
    st.tuples(st.sampled_from([90.0, 95.0, 97.5, 100.0, 102.5, 105.0, 110.0]), st.booleans(),
              st.integers(0, 5000)),
    min_size=1, max_size=40)


@given(contracts)
@settings(max_examples=200, deadline=None)
def test_max_pain_is_the_brute_force_minimum(rows):
    """Same strike and payout as trying every strike, on random small chains."""
    strikes = np.array([r[0] for r in rows])
    calls = np.array([r[1] for r in rows])
    oi = np.array([float(r[2]) for r in rows])
    mult = np.full(len(rows), 100.0)
    result = max_pain(strikes, calls, oi, mult)
    if not (oi > 0).any():
        assert result is None
        return
    expected_strike, expected_payout = brute_force(strikes[oi > 0], calls[oi > 0], oi[oi > 0], mult[oi > 0])
    assert result.strike == expected_strike
    assert np.isclose(result.payout_usd, expected_payout, rtol=1e-12, atol=1e-6)
    assert np.isclose(result.payouts.min(), result.payout_usd)


def test_calls_only_pin_at_the_lowest_strike_and_puts_only_at_the_highest():
    """With only calls nobody is paid below every strike; with only puts, above every strike."""
    k = np.array([90.0, 100.0, 110.0])
    ones = np.ones(3)
    assert max_pain(k, np.array([True] * 3), ones, ones * 100).strike == 90.0
    assert max_pain(k, np.array([False] * 3), ones, ones * 100).strike == 110.0
    assert max_pain(k, np.array([True] * 3), np.zeros(3), ones * 100) is None
