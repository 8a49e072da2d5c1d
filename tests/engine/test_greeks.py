"""Greeks checked four ways: textbook value, finite differences, scalar reference, properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gex_mcp.engine import greeks as g
from tests.engine import reference

RNG = np.random.default_rng(20261125)


def random_contracts(n: int = 2000):
    S = RNG.uniform(20, 6000, n)
    K = S * np.exp(RNG.normal(0, 0.25, n))
    T = RNG.uniform(1 / 365, 3.0, n)
    sigma = RNG.uniform(0.05, 1.5, n)
    call = RNG.random(n) < 0.5
    return S, K, T, sigma, call


def test_gamma_matches_hulls_textbook_example():
    """Hull's example (S=49, K=50, r=5%, T=0.3846, σ=20%) gives gamma 0.066."""
    assert round(float(g.gamma(49.0, 50.0, 0.3846, 0.2, 0.05, 0.0)), 3) == 0.066


def test_vectorised_greeks_agree_with_the_scalar_reference_to_1e12():
    """all_greeks equals the math-only loop on 2,000 random contracts."""
    S, K, T, sigma, call = random_contracts()
    r, q = 0.045, 0.013
    got = g.all_greeks(S, K, T, sigma, call, r, q)
    ref = [reference.greeks(*args, r, q, bool(c)) for *args, c in zip(S, K, T, sigma, call)]
    for name in ("delta", "gamma", "vanna", "charm"):
        expected = np.array([row[name] for row in ref])
        np.testing.assert_allclose(getattr(got, name), expected, rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(g.price(S, K, T, sigma, call, r, q),
                               [row["price"] for row in ref], rtol=1e-9, atol=1e-9)


def test_greeks_match_finite_differences_of_price_and_delta():
    """delta = dP/dS, gamma = dΔ/dS, vanna = dΔ/dσ, charm = -dΔ/dT, by central differences."""
    S, K, T, sigma, call = random_contracts(500)
    keep = np.abs(np.log(S / K)) < 2 * sigma * np.sqrt(T)  # avoid greeks ~ 0 where rtol is moot
    S, K, T, sigma, call = S[keep], K[keep], T[keep], sigma[keep], call[keep]
    r, q = 0.03, 0.02
    got = g.all_greeks(S, K, T, sigma, call, r, q)
    hS, hv, hT = S * 1e-4, 1e-5, 1e-6
    fd_delta = (g.price(S + hS, K, T, sigma, call, r, q) - g.price(S - hS, K, T, sigma, call, r, q)) / (2 * hS)
    fd_gamma = (g.delta(S + hS, K, T, sigma, call, r, q) - g.delta(S - hS, K, T, sigma, call, r, q)) / (2 * hS)
    fd_vanna = (g.delta(S, K, T, sigma + hv, call, r, q) - g.delta(S, K, T, sigma - hv, call, r, q)) / (2 * hv)
    fd_charm = -(g.delta(S, K, T + hT, sigma, call, r, q) - g.delta(S, K, T - hT, sigma, call, r, q)) / (2 * hT)
    np.testing.assert_allclose(got.delta, fd_delta, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(got.gamma, fd_gamma, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(got.vanna, fd_vanna, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.charm, fd_charm, rtol=1e-4, atol=1e-6)


def test_call_and_put_gamma_and_vanna_are_equal_at_the_same_strike_and_iv():
    """Put-call parity: Γ and vanna do not depend on the option side."""
    S, K, T, sigma, _ = random_contracts(300)
    calls = g.all_greeks(S, K, T, sigma, True, 0.04, 0.01)
    puts = g.all_greeks(S, K, T, sigma, False, 0.04, 0.01)
    np.testing.assert_allclose(calls.gamma, puts.gamma, rtol=1e-14)
    np.testing.assert_allclose(calls.vanna, puts.vanna, rtol=1e-14)
    np.testing.assert_allclose(calls.delta - puts.delta, np.exp(-0.01 * T), rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    spot=st.floats(10, 5000),
    moneyness=st.floats(-0.5, 0.5),
    t_years=st.floats(0.005, 3.0),
    iv=st.floats(0.05, 2.0),
    call=st.booleans(),
)
def test_implied_vol_recovers_the_vol_that_priced_the_option(spot, moneyness, t_years, iv, call):
    """implied_vol(price(σ)) reprices the option, and equals σ wherever the price carries
    enough information about σ (vega per unit of σ at least 1e-4 of spot: deep in or out of
    the money a float premium pins σ only loosely)."""
    strike = spot * np.exp(moneyness)
    premium = float(g.price(spot, strike, t_years, iv, call, 0.04, 0.0))
    d1 = float(g._d1_d2(spot, strike, t_years, iv, 0.04, 0.0)[0])
    vega = spot * float(np.exp(-0.5 * d1 * d1) / np.sqrt(2 * np.pi)) * np.sqrt(t_years)
    if premium < 1e-8 * spot or vega < 1e-12 * spot:
        return  # price insensitive to σ: nothing to recover
    recovered = float(g.implied_vol(premium, spot, strike, t_years, call, 0.04, 0.0)[()])
    repriced = float(g.price(spot, strike, t_years, recovered, call, 0.04, 0.0))
    assert abs(repriced - premium) <= 1e-9 * spot
    if vega >= 1e-4 * spot:
        assert abs(recovered - iv) < 1e-6


def test_implied_vol_is_nan_for_premiums_outside_the_arbitrage_band():
    """A premium below intrinsic or above spot has no implied vol: NaN, not a number."""
    out = g.implied_vol([0.5, 150.0, np.nan], 100.0, [80.0, 100.0, 100.0], 0.5, True, 0.0, 0.0)
    assert np.isnan(out).all()


def test_implied_vol_of_many_rows_equals_each_row_solved_alone():
    """Rows converge after different numbers of steps (and some are unsolvable); the
    vectorised solver drops converged rows from its working set, and each row's σ must be
    exactly what solving that row alone gives."""
    rng = np.random.default_rng(7)
    n = 400
    strike = rng.uniform(50.0, 200.0, n)
    t_years = rng.uniform(1 / 365, 2.0, n)
    call = rng.random(n) < 0.5
    q = rng.uniform(0.0, 0.05, n)
    premium = g.price(100.0, strike, t_years, rng.uniform(0.05, 2.5, n), call, 0.04, q)
    premium[::37] = 0.0  # below the arbitrage band: NaN
    together = g.implied_vol(premium, 100.0, strike, t_years, call, 0.04, q)
    alone = np.array([g.implied_vol(premium[i], 100.0, strike[i], t_years[i], call[i], 0.04, q[i])[()]
                      for i in range(n)])
    np.testing.assert_array_equal(together, alone)
    assert np.isnan(together[::37]).all() and np.isfinite(together).sum() >= 0.95 * n
