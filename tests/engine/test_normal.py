"""engine.normal.ndtr against math.erfc (exact to an ulp) and against scipy's ndtr, which the
greeks used before; and the greeks themselves against the scipy-based ones."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from gex_mcp.engine import greeks, normal
from gex_mcp.engine.normal import ndtr


def _reference(x: np.ndarray) -> np.ndarray:
    return np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])


def test_matches_math_erfc_to_double_precision_from_the_far_tail_to_the_top():
    """Relative error at most a few hundred ulps out at -37 (where x/√2 itself rounds), 5e-15
    near the money; both pieces (Taylor grid, continued fraction) and their seam covered."""
    far = np.linspace(-37.5, -8.5, 20_001)
    near = np.concatenate([np.linspace(-8.5, 8.5, 200_001), np.linspace(-8.01, -7.99, 2_001)])
    for x, tolerance in ((far, 5e-13), (near, 5e-14)):
        got, want = ndtr(x), _reference(x)
        assert np.all(np.abs(got / want - 1.0) <= tolerance)
    mid = np.linspace(-3.0, 3.0, 60_001)
    assert np.max(np.abs(ndtr(mid) / _reference(mid) - 1.0)) < 5e-15


def test_edges_symmetry_and_shape():
    x = np.array([-np.inf, -1e308, -41.0, -0.0, 0.0, 1e308, np.inf, np.nan])
    assert np.array_equal(ndtr(x)[:-1], [0.0, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0])
    assert np.isnan(ndtr(x)[-1])
    grid = np.linspace(-8.0, 8.0, 1_601)
    assert np.allclose(ndtr(grid) + ndtr(-grid), 1.0, rtol=0, atol=2e-16)
    assert np.all(np.diff(ndtr(grid)) >= 0)  # saturates at 1.0 near +8
    assert ndtr(np.zeros((2, 3))).shape == (2, 3) and ndtr(1.5).shape == ()
    assert np.array_equal(ndtr(np.array([np.inf, -np.inf])), [1.0, 0.0])  # no warning either
    assert ndtr(np.array([])).shape == (0,)


def test_docstring_example_holds():
    result = doctest.testmod(normal)
    assert result.attempted > 0 and result.failed == 0


def test_greeks_equal_the_scipy_based_ones_within_1e12(monkeypatch):
    """Price, delta, gamma, vanna, charm and implied vol over a wide random book, with scipy's ndtr swapped
    back in as the reference: the same to 1e-12 (relative, or absolute for tiny values)."""
    scipy_special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(15)
    n = 20_000
    spot = np.full(n, 4500.0)
    strike = spot * np.exp(rng.normal(0.0, 0.25, n))
    t_years = rng.uniform(0.001, 2.0, n)
    iv = rng.uniform(0.05, 1.5, n)
    is_call = rng.random(n) < 0.5
    args = (spot, strike, t_years, iv, is_call, 0.05, 0.013)

    ours = greeks.all_greeks(*args)
    ours_price = greeks.price(*args)
    monkeypatch.setattr(greeks, "ndtr", scipy_special.ndtr)
    theirs = greeks.all_greeks(*args)
    theirs_price = greeks.price(*args)
    for name in ("delta", "gamma", "vanna", "charm"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert np.allclose(a, b, rtol=1e-12, atol=1e-15), name
    assert np.allclose(ours_price, theirs_price, rtol=1e-12, atol=1e-12)

    quoted = theirs_price[theirs_price > 0.05]
    pick = theirs_price > 0.05
    back = greeks.implied_vol(quoted, spot[pick], strike[pick], t_years[pick], is_call[pick],
                              0.05, 0.013)
    monkeypatch.setattr(greeks, "ndtr", ndtr)
    ours_back = greeks.implied_vol(quoted, spot[pick], strike[pick], t_years[pick],
                                   is_call[pick], 0.05, 0.013)
    # where the scipy-based solve recovered the true IV (the price-noise floor stops some
    # far-from-the-money rows early, with either ndtr), ours does as well
    solved = np.abs(back - iv[pick]) < 1e-9
    assert solved.mean() > 0.9
    assert np.max(np.abs(ours_back[solved] - iv[pick][solved])) < 5e-9
    assert np.median(np.abs(ours_back[solved] - back[solved])) < 1e-12
