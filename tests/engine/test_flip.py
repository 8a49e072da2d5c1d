"""Gamma flip: a true root of independently re-priced gamma, stable under small spot moves."""

from __future__ import annotations

import numpy as np
import pytest

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.flip import find_gamma_flip
from gex_mcp.engine.prepare import prepare_chain
from gex_mcp.engine.regime import classify_regime
from tests.engine import reference
from tests.engine.factory import make_chain

STRIKES = tuple(np.arange(80.0, 121.0, 1.0))


def skewed_chain():
    """Heavy put OI below spot, heavy call OI above: a flip just below spot."""
    chain = make_chain(strikes=STRIKES, days=(3, 10, 38))
    oi = np.where(chain.is_call, np.where(chain.strike >= 100, 3000.0, 200.0),
                  np.where(chain.strike <= 98, 3500.0, 300.0))
    return chain.with_open_interest(oi)


def reference_total_gex(prepared, spot: float) -> float:
    rows = zip(prepared.strike, prepared.t_years, prepared.iv, prepared.is_call,
               prepared.open_interest, prepared.multiplier)
    return sum(v["gex"] for v in reference.exposures_by_strike(rows, spot, prepared.rate,
                                                              prepared.dividend_yield).values())


def test_flip_is_a_root_of_independently_repriced_total_gamma():
    """The scalar reference, re-priced at the flip, gives ~0 and opposite signs either side."""
    a = analyze_chain(skewed_chain(), rate=0.04)
    assert a.flip.status == "ok"
    flip = a.flip.price
    scale = abs(reference_total_gex(a.prepared, a.prepared.spot))
    assert abs(reference_total_gex(a.prepared, flip)) < 1e-6 * scale
    below = reference_total_gex(a.prepared, flip * 0.995)
    above = reference_total_gex(a.prepared, flip * 1.005)
    assert below * above < 0


def test_every_reported_crossing_is_a_sign_change():
    """Each listed crossing separates opposite signs of total gamma."""
    a = analyze_chain(make_chain(seed=17, strikes=STRIKES), rate=0.04)
    for x in a.flip.crossings:
        assert reference_total_gex(a.prepared, x * 0.999) * reference_total_gex(a.prepared, x * 1.001) < 0


def test_flip_moves_smoothly_when_spot_moves_by_a_tenth_of_a_percent():
    """Across ±1% of spot in 0.1% steps the flip never jumps by more than 0.05% of spot."""
    chain = skewed_chain()
    flips = []
    for k in range(-10, 11):
        a = analyze_chain(chain.with_spot(100.0 * (1 + k * 0.001)), rate=0.04)
        assert a.flip.status == "ok"
        flips.append(a.flip.price)
    assert np.max(np.abs(np.diff(flips))) < 0.05


def test_puts_only_chain_has_no_crossing_and_negative_regime():
    """All-put dealer gamma is negative everywhere: no flip, negative regime, with a reason."""
    a = analyze_chain(make_chain(call_oi=0.0, put_oi=1000.0, strikes=STRIKES), rate=0.04)
    assert a.flip.price is None
    assert a.flip.status == "no_crossing"
    assert "negative" in a.flip.reason
    assert a.regime.regime == "negative_gamma"


def test_empty_chain_gives_no_data_not_an_exception():
    """A chain with no open interest yields a null flip with status no_data."""
    chain = make_chain(call_oi=0.0, put_oi=0.0)
    flip = find_gamma_flip(prepare_chain(chain, rate=0.04))
    assert (flip.price, flip.status) == (None, "no_data")
    a = analyze_chain(chain, rate=0.04)
    assert a.regime.regime == "unknown"
    assert a.levels.call_wall is None and a.levels.highest_oi_strike is None


def test_regime_is_neutral_inside_the_band_and_signed_outside():
    """Spot 0.1% above the flip is neutral; 1% above positive; 1% below negative."""
    a = analyze_chain(skewed_chain(), rate=0.04)
    flip = a.flip
    assert classify_regime(flip.price * 1.001, flip).regime == "neutral"
    assert classify_regime(flip.price * 1.01, flip).regime == "positive_gamma"
    below = classify_regime(flip.price * 0.99, flip)
    assert below.regime == "negative_gamma"
    spot = flip.price * 0.99
    assert below.flip_above_spot_pct == pytest.approx((flip.price - spot) / spot * 100)
    assert below.flip_above_spot_pct > 0  # the flip is above spot
    assert f"{below.flip_above_spot_pct:.2f}% above spot" in below.reason
