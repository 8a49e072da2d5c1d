"""Per-strike exposures: formulas against the scalar reference, and their properties."""

from __future__ import annotations

import numpy as np
import pytest

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.calendar import years_to_expiry
from tests.engine import reference
from tests.engine.factory import make_chain


def _reference_rows(chain, analysis):
    p = analysis.prepared
    return zip(p.strike, p.t_years, p.iv, p.is_call, p.open_interest, p.multiplier)


def test_per_strike_exposures_equal_the_scalar_reference_sum():
    """GEX/DEX/VEX/CHEX per strike equal a math-only loop over the same contracts."""
    chain = make_chain(seed=7, strikes=tuple(np.arange(70.0, 131.0, 2.5)))
    a = analyze_chain(chain, rate=0.04, dividend_yield=0.01)
    ref = reference.exposures_by_strike(_reference_rows(chain, a), chain.spot, 0.04, 0.01)
    s = a.strikes
    for name, got in (("gex", s.net_gex), ("dex", s.net_dex), ("vex", s.net_vex), ("chex", s.net_chex)):
        expected = np.array([ref[k][name] for k in s.strike])
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6, err_msg=name)


def test_totals_equal_the_sum_of_the_strike_rows():
    """net_gex equals Σ strike net_gex, and call_gex + put_gex."""
    a = analyze_chain(make_chain(seed=3), rate=0.04)
    t = a.totals
    assert t["net_gex"] == pytest.approx(a.strikes.net_gex.sum(), rel=1e-12)
    assert t["net_gex"] == pytest.approx(t["call_gex"] + t["put_gex"], rel=1e-12)


def test_doubling_open_interest_doubles_every_exposure():
    """Exposures are linear in OI."""
    chain = make_chain(seed=11)
    a1 = analyze_chain(chain, rate=0.04)
    a2 = analyze_chain(chain.with_open_interest(chain.open_interest * 2), rate=0.04)
    for name in ("net_gex", "net_dex", "net_vex", "net_chex"):
        np.testing.assert_allclose(getattr(a2.strikes, name), 2 * getattr(a1.strikes, name), rtol=1e-12)


def test_a_chain_of_puts_alone_has_negative_gex_at_every_strike():
    """Dealers short puts are short gamma everywhere."""
    a = analyze_chain(make_chain(call_oi=0.0, put_oi=500.0), rate=0.04)
    assert (a.strikes.net_gex < 0).all()
    assert a.totals["net_gex"] < 0
    assert (a.strikes.call_gex == 0).all()


def test_short_all_model_makes_call_gex_non_positive():
    """The alternative dealer model flips the sign of call exposures only."""
    chain = make_chain(seed=5)
    default = analyze_chain(chain, rate=0.04)
    short = analyze_chain(chain, rate=0.04, dealer_model="short_all")
    np.testing.assert_allclose(short.strikes.call_gex, -default.strikes.call_gex)
    np.testing.assert_allclose(short.strikes.put_gex, default.strikes.put_gex)
    assert (short.strikes.call_gex <= 0).all()


def test_gex_scales_with_spot_squared_at_fixed_gamma():
    """GEX = Γ·OI·m·S²·0.01: with Γ fixed, doubling S quadruples the contract GEX."""
    a = analyze_chain(make_chain(seed=2), rate=0.0)
    p = a.prepared
    gamma = a.contracts.gex / (p.sign * p.open_interest * p.multiplier * p.spot ** 2 * 0.01)
    np.testing.assert_allclose(gamma * p.sign * p.open_interest * p.multiplier * (2 * p.spot) ** 2 * 0.01,
                               4 * a.contracts.gex, rtol=1e-12)


def test_contract_order_does_not_change_the_totals():
    """Shuffling rows leaves every per-strike sum unchanged."""
    chain = make_chain(seed=9)
    perm = np.random.default_rng(0).permutation(len(chain))
    a, b = analyze_chain(chain, rate=0.04), analyze_chain(chain.take(perm), rate=0.04)
    np.testing.assert_allclose(a.strikes.net_gex, b.strikes.net_gex, rtol=1e-12)
    assert a.flip.price == pytest.approx(b.flip.price, rel=1e-9)


def test_zero_oi_strikes_change_nothing():
    """Adding strikes with zero OI leaves totals and flip as they were."""
    base = make_chain(seed=4)
    extra = make_chain(strikes=(60.0, 140.0), call_oi=0.0, put_oi=0.0)
    merged = _concat(base, extra)
    a, b = analyze_chain(base, rate=0.04), analyze_chain(merged, rate=0.04)
    assert a.totals["net_gex"] == pytest.approx(b.totals["net_gex"], rel=1e-12)
    assert b.prepared.quality.zero_open_interest == len(extra)


def _concat(a, b):
    from dataclasses import replace
    cols = ("strike", "settle_time", "iv", "open_interest", "volume", "bid", "ask",
            "prev_open_interest", "multiplier", "root", "expiry", "is_call")
    return replace(a, **{c: np.concatenate([getattr(a, c), getattr(b, c)]) for c in cols})


def test_edge_inputs_produce_only_finite_numbers():
    """IV 0, OI 0, zero time left and settled rows never yield NaN or infinity."""
    chain = make_chain(seed=1)
    iv = chain.iv.copy()
    iv[::7] = 0.0  # missing IV; bid/ask 1.0/1.1 may or may not re-imply
    oi = chain.open_interest.copy()
    oi[::5] = 0.0
    settle = chain.settle_time.copy()
    settle[:4] = chain.as_of.timestamp()  # settling right now
    settle[4:8] = chain.as_of.timestamp() - 3600  # already settled
    from dataclasses import replace
    edge = replace(chain, iv=iv, open_interest=oi, settle_time=settle)
    a = analyze_chain(edge, rate=0.04)
    s = a.strikes
    for arr in (s.call_gex, s.put_gex, s.call_dex, s.put_dex, s.call_vex, s.put_vex, s.call_chex, s.put_chex):
        assert np.isfinite(arr).all()
    assert all(np.isfinite(v) for v in a.totals.values())
    q = a.prepared.quality
    assert q.expired_dropped == 8
    assert (years_to_expiry(edge.settle_time, edge.as_of)[:8] <= 0).all()
    assert q.contracts_used + q.expired_dropped + q.zero_open_interest + q.iv_missing_skipped == q.contracts_total


def test_min_oi_drops_small_strikes_everywhere():
    """Strikes below min_oi leave the strike list and the totals alike."""
    chain = make_chain(seed=21)
    full = analyze_chain(chain, rate=0.04)
    per_strike_oi = full.strikes.call_oi + full.strikes.put_oi
    threshold = float(np.median(per_strike_oi))
    cut = analyze_chain(chain, rate=0.04, min_oi=threshold)
    assert set(cut.strikes.strike) == set(full.strikes.strike[per_strike_oi >= threshold])
    assert cut.totals["net_gex"] == pytest.approx(cut.strikes.net_gex.sum(), rel=1e-12)
