"""The engine on all 24 real CBOE snapshots: independent sums, linearity, signs, stability."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.models import Provenance
from gex_mcp.parsing import load_chain_file
from gex_mcp.responses import expiry_breakdown_response, gex_response, summary_response
from tests.conftest import CHAINS_DIR
from tests.engine import reference

FIXTURES = sorted(p.name for p in CHAINS_DIR.glob("cboe_*"))
SPX = "cboe_quotedata_SPX_2023-09-14.csv"
RATE = 0.04


@cache
def chain(name: str):
    return load_chain_file(CHAINS_DIR / name)


@cache
def analysis(name: str):
    return analyze_chain(chain(name), rate=RATE)


def test_all_24_fixtures_are_present():
    """The suite really runs on the 24 shared snapshots."""
    assert len(FIXTURES) == 24


@pytest.mark.parametrize("name", FIXTURES)
def test_totals_equal_an_independent_per_row_sum(name):
    """Net GEX/DEX/VEX/CHEX equal a math-only loop over the same contracts."""
    a = analysis(name)
    p = a.prepared
    sigma = np.where(p.intrinsic, 0.0, p.iv)  # deep ITM without an IV: the zero-vol limit
    rows = zip(p.strike, p.t_years, sigma, p.is_call, p.open_interest, p.multiplier)
    ref = reference.exposures_by_strike(rows, p.spot, RATE, p.dividend_yield)
    totals = a.totals
    for key in ("gex", "dex", "vex", "chex"):
        expected = sum(v[key] for v in ref.values())
        scale = sum(abs(v[key]) for v in ref.values()) or 1.0
        assert abs(totals[f"net_{key}"] - expected) <= 1e-9 * scale, key


@pytest.mark.parametrize("name", FIXTURES)
def test_json_output_is_finite_with_offsets(name):
    """gex, summary and expiry breakdown responses carry no NaN/Infinity and an as_of with a
    UTC offset; every breakdown row has a positive forward."""
    a = analysis(name)
    c = chain(name)
    prov = Provenance(symbol=c.symbol, underlying_price=c.spot, as_of=c.as_of, source="file")
    breakdown = expiry_breakdown_response(a, prov)
    for model in (gex_response(a, prov), summary_response(a, prov), breakdown):
        text = model.model_dump_json()
        json.loads(text, parse_constant=lambda token: pytest.fail(f"{token} in JSON of {name}"))
        assert json.loads(text)["as_of"][-6] in "+-"
    assert all(row.forward is not None and row.forward > 0 for row in breakdown.expiries)


def test_doubling_open_interest_doubles_every_exposure_on_spx():
    """Linearity in OI on a real SPX chain; the flip does not move."""
    c = chain(SPX)
    a1 = analysis(SPX)
    a2 = analyze_chain(c.with_open_interest(c.open_interest * 2), rate=RATE)
    for key in ("net_gex", "net_dex", "net_vex", "net_chex"):
        np.testing.assert_allclose(getattr(a2.strikes, key), 2 * getattr(a1.strikes, key), rtol=1e-12)
    assert a2.flip.price == pytest.approx(a1.flip.price, rel=1e-9)


def test_puts_alone_have_negative_gex_on_a_real_chain():
    """Keeping only SPX puts gives negative GEX at every strike and no flip."""
    c = chain(SPX)
    a = analyze_chain(c.take(~c.is_call), rate=RATE)
    assert (a.strikes.net_gex <= 0).all() and a.totals["net_gex"] < 0
    assert a.flip.price is None and a.regime.regime == "negative_gamma"


@pytest.mark.parametrize("name", [SPX, "cboe_quotedata_SPY_2023-09-14.csv",
                                  "cboe_quotedata_NDX_2024-03-22.csv", "cboe_delayed_META_2025-09-05.json",
                                  "cboe_legacy_SPY_2020-06-28.dat", "cboe_quotedata_NVDA_2025-01-06.csv"])
def test_flip_does_not_jump_when_spot_moves_by_a_tenth_of_a_percent(name):
    """Across ±1% of spot in 0.1% steps the flip changes by less than 0.01% of spot per step."""
    c = chain(name)
    flips = [analyze_chain(c.with_spot(c.spot * (1 + k * 0.001)), rate=RATE).flip.price
             for k in range(-10, 11)]
    assert all(f is not None for f in flips)
    assert np.max(np.abs(np.diff(flips))) < 1e-4 * c.spot


def test_flip_moves_little_when_open_interest_is_perturbed_by_one_percent():
    """Random ±1% OI noise moves the SPX flip by well under 0.5% of spot."""
    c = chain(SPX)
    base = analysis(SPX).flip.price
    rng = np.random.default_rng(0)
    for _ in range(3):
        noisy = c.with_open_interest(c.open_interest * rng.uniform(0.99, 1.01, len(c)))
        assert abs(analyze_chain(noisy, rate=RATE).flip.price - base) < 0.005 * c.spot


@pytest.mark.parametrize("name", ["cboe_quotedata_SPY_2023-09-14.csv", "cboe_quotedata_SPX_2023-08-20.csv",
                                  "cboe_legacy_SPY_2020-06-22.dat"])
def test_expired_rows_are_dropped_and_counted(name):
    """Rows settled before as_of never enter the sums, and the count says how many."""
    a = analysis(name)
    q = a.prepared.quality
    assert q.expired_dropped > 0
    assert (a.prepared.t_years > 0).all()
    assert q.contracts_used + q.expired_dropped + q.zero_open_interest + q.iv_missing_skipped \
        == q.contracts_total
    assert np.count_nonzero(a.prepared.intrinsic) == q.iv_intrinsic  # counted, and used


def test_edge_values_on_a_real_chain_stay_finite():
    """IV 0, OI 0, zero time and settled rows injected into SPX give finite answers."""
    c = chain(SPX)
    iv, oi, settle = c.iv.copy(), c.open_interest.copy(), c.settle_time.copy()
    iv[::3] = 0.0
    oi[1::7] = 0.0
    settle[::11] = c.as_of.timestamp()
    a = analyze_chain(replace(c, iv=iv, open_interest=oi, settle_time=settle), rate=RATE)
    assert all(np.isfinite(v) for v in a.totals.values())
    assert np.isfinite(a.strikes.net_gex).all() and np.isfinite(a.contracts.chex).all()


def test_spx_keeps_am_and_pm_roots_with_their_settlement_times():
    """SPX monthlies settle 09:30 New York, SPXW at 16:00, on the same date."""
    c = chain(SPX)
    day = np.datetime64("2023-09-15")
    am = c.settle_time[(c.root == "SPX") & (c.expiry == day)]
    pm = c.settle_time[(c.root == "SPXW") & (c.expiry == day)]
    assert len(am) and len(pm)
    assert (pm[0] - am[0]) == pytest.approx(6.5 * 3600)
