"""profile, hedging, max_pain and expected_move on the real SPX snapshot, each against an
independent computation: the scalar reference greeks, brute-force payouts, raw quote mids."""

from __future__ import annotations

import math

import anyio
import numpy as np
import pytest

from gex_mcp.engine.prepare import DEFAULT_RATE, prepare_chain
from gex_mcp.parsing import load_chain_file
from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from tests.engine import reference

pytestmark = pytest.mark.anyio

SPX = "cboe_quotedata_SPX_2023-09-14.csv"


@pytest.fixture(scope="module")
def spx(chains_dir):
    path = chains_dir / SPX
    chain = load_chain_file(path)
    return path, chain, prepare_chain(chain, rate=DEFAULT_RATE)


async def call(path, name, **arguments):
    async with build_service(Settings(_env_file=None), chain_file=path) as service:
        with anyio.fail_after(30):
            return await service.call(name, symbol="SPX", **arguments)


def reference_totals(prepared, spot: float) -> tuple[float, float, float]:
    """(GEX, DEX, dealer delta in shares) at `spot`, one contract at a time with math only."""
    gex = dex = shares = 0.0
    for k, t, iv, call_, oi, m, s, q in zip(prepared.strike, prepared.t_years, prepared.iv,
                                            prepared.is_call, prepared.open_interest,
                                            prepared.multiplier, prepared.sign,
                                            prepared.dividend_yield):
        g = reference.greeks(spot, k, t, iv, prepared.rate, float(q), bool(call_))
        gex += s * g["gamma"] * oi * m * spot * spot * 0.01
        dex += s * g["delta"] * oi * m * spot
        shares += s * g["delta"] * oi * m
    return gex, dex, shares


async def test_profile_at_spot_is_the_chain_total_and_elsewhere_the_reference_repricing(spx):
    """The middle point equals the gex/dex totals; two other points equal the scalar reference."""
    path, _, prepared = spx
    profile = await call(path, "profile", range_pct=4)
    gex = await call(path, "gex")
    dex = await call(path, "dex")
    points = profile.points
    assert len(points) == 41 and points[20].move_pct == 0
    assert math.isclose(points[20].net_gex, gex.net_gex, rel_tol=1e-9)
    assert math.isclose(points[20].net_dex, dex.net_dex, rel_tol=1e-9)
    assert math.isclose(profile.net_gex_at_spot, gex.net_gex, rel_tol=1e-12)
    for i in (0, 30):
        x = prepared.spot * (1 + points[i].move_pct / 100)
        ref_gex, ref_dex, _ = reference_totals(prepared, x)
        assert math.isclose(points[i].net_gex, ref_gex, rel_tol=1e-7)
        assert math.isclose(points[i].net_dex, ref_dex, rel_tol=1e-7)
    # the flip lies where the curve changes sign
    below = [p for p in points if p.spot < profile.gamma_flip]
    above = [p for p in points if p.spot > profile.gamma_flip]
    assert below[-1].net_gex < 0 < above[0].net_gex
    assert profile.min_net_gex == min(p.net_gex for p in points)


async def test_hedging_is_the_difference_of_reference_dealer_deltas(spx):
    """shares = -(D(S') - D(S)) from the scalar reference; ES and SPY units follow."""
    path, _, prepared = spx
    answer = await call(path, "hedging", moves=[-2, 0.5])
    _, _, before = reference_totals(prepared, prepared.spot)
    assert [i.name for i in answer.instruments] == ["ES", "SPY"]
    for step in answer.steps:
        _, _, after = reference_totals(prepared, prepared.spot * (1 + step.move_pct / 100))
        expected = -(after - before)
        assert abs(step.dealer_shares_to_trade - expected) <= 1 + 1e-7 * abs(expected)
        assert step.direction == ("buy" if expected > 0 else "sell")
        es, spy = step.instrument_units
        assert math.isclose(es, step.dealer_shares_to_trade / 50, rel_tol=1e-3, abs_tol=0.1)
        assert math.isclose(spy, step.dealer_shares_to_trade * 10, rel_tol=1e-3, abs_tol=0.1)


async def test_hedging_defaults_to_eight_moves_and_a_stock_hedges_in_itself(chains_dir):
    path = next(chains_dir.glob("cboe_quotedata_AMD_*.csv"))
    async with build_service(Settings(_env_file=None), chain_file=path) as service:
        answer = await service.call("hedging", symbol="AMD")
    assert [s.move_pct for s in answer.steps] == [-3, -2, -1, -0.5, 0.5, 1, 2, 3]
    assert [(i.name, i.usd_per_point) for i in answer.instruments] == [("AMD", 1.0)]
    assert all(abs(s.instrument_units[0] - s.dealer_shares_to_trade) <= 0.5 for s in answer.steps)


def brute_force_max_pain(chain, day: str) -> tuple[float, float]:
    rows = [(k, c, oi * m) for k, c, oi, m, e, st in zip(
        chain.strike, chain.is_call, chain.open_interest, chain.multiplier, chain.expiry,
        chain.settle_time) if str(e) == day and st > chain.as_of.timestamp() and oi > 0]
    best = None
    for p in sorted({k for k, _, _ in rows}):
        pay = sum(w * (max(p - k, 0) if c else max(k - p, 0)) for k, c, w in rows)
        if best is None or pay < best[1]:
            best = (p, pay)
    return best


async def test_max_pain_matches_brute_force_on_the_real_chain(spx):
    """Every listed expiration, and the payout curve is minimal at max pain."""
    path, chain, _ = spx
    answer = await call(path, "max_pain")
    assert answer.curve_expiration == "2023-09-15"
    for row in answer.expirations[:6]:
        strike, payout = brute_force_max_pain(chain, row.expiration)
        assert row.max_pain == strike
        assert math.isclose(row.payout_usd, payout, rel_tol=1e-9)
    curve = {p.settle_price: p.payout_usd for p in answer.payout_curve}
    first = answer.expirations[0]
    assert min(curve, key=curve.get) == first.max_pain and len(curve) == 21
    one = await call(path, "max_pain", expiration="2023-09-29")
    assert [r.expiration for r in one.expirations] == ["2023-09-29"]
    assert one.curve_expiration == "2023-09-29"


async def test_expected_move_is_the_atm_straddle_mid_and_the_atm_iv_range(spx):
    """Straddle = call mid + put mid at the quoted strike nearest the expiration's forward
    (put-call parity); 1σ = S·σ·√T."""
    path, chain, _ = spx
    answer = await call(path, "expected_move", expiration="2023-09-22")
    (row,) = answer.moves
    day = chain.expiry == np.datetime64("2023-09-22")
    two_sided = (chain.bid > 0) & (chain.ask >= chain.bid)
    call_k = set(chain.strike[day & two_sided & chain.is_call])
    put_k = set(chain.strike[day & two_sided & ~chain.is_call])
    both = sorted(call_k & put_k)
    mids = {}
    for k in both:
        at = day & two_sided & (chain.strike == k)
        m = {bool(c): (b + a) / 2 for c, b, a in zip(chain.is_call[at], chain.bid[at], chain.ask[at])}
        mids[k] = m[True] - m[False]
    k0 = min(both, key=lambda k: abs(mids[k]))  # parity: F ~ K + (C - P) e^{rT}, e^{rT} ~ 1.001
    forward = k0 + mids[k0] * math.exp(0.05 * row.days_to_expiry / 365)
    assert math.isclose(row.forward, forward, abs_tol=1.0)
    atm = min(both, key=lambda k: (abs(k - forward), k))
    mid = {bool(c): (b + a) / 2 for c, b, a in zip(chain.is_call[day & (chain.strike == atm)],
                                                 chain.bid[day & (chain.strike == atm)],
                                                 chain.ask[day & (chain.strike == atm)])}
    assert row.atm_strike == atm
    assert math.isclose(row.straddle, mid[True] + mid[False], abs_tol=0.005)
    t = row.days_to_expiry / 365
    assert math.isclose(row.iv_move_1sd, chain.spot * row.atm_iv * math.sqrt(t), rel_tol=1e-3)
    assert row.lower_2sd < row.lower_1sd < chain.spot < row.upper_1sd < row.upper_2sd
    # the straddle and the ATM IV describe the same market: within 30% of each other
    assert 0.7 < row.straddle / row.iv_move_1sd < 1.3


@pytest.fixture
def demo_service():
    from datetime import datetime

    from gex_mcp.engine.calendar import NEW_YORK
    from gex_mcp.service import GexService
    from gex_mcp.sources.demo import DemoSource
    from gex_mcp.store.cache import ChainCache

    wednesday = datetime(2025, 6, 11, 10, 30, tzinfo=NEW_YORK)  # 0DTE options listed
    return GexService(sources={"demo": DemoSource(clock=lambda: wednesday)},
                      default_source="demo", cache=ChainCache(None))


async def test_zero_dte_agrees_with_the_filtered_gex_hedging_and_summary(demo_service):
    """The 0DTE view equals the same day's gex and hedging answers (a separate code path)."""
    svc = demo_service
    zero = await svc.call("zero_dte", symbol="SPX")
    today = zero.zero_dte_expiration
    gex = await svc.call("gex", symbol="SPX", expiration=today)
    hedging = await svc.call("hedging", symbol="SPX", expiration=today, moves=[-1, -0.5, 0.5, 1])
    summary = await svc.call("summary", symbol="SPX")
    assert today == "2025-06-11"
    assert zero.gamma_flip == gex.gamma_flip and zero.gamma_flip_crossings == gex.gamma_flip_crossings
    assert math.isclose(zero.net_gex, gex.net_gex, rel_tol=1e-9)
    assert math.isclose(zero.net_gex, summary.zero_dte_net_gex, rel_tol=1e-9)
    assert [(h.dealer_shares_to_trade, h.direction) for h in zero.hedges] == [
        (h.dealer_shares_to_trade, h.direction) for h in hedging.steps]
    spot = zero.underlying_price
    near = [s for s in gex.strikes if abs(s.strike - spot) <= spot * 0.01]
    total_oi = sum(s.call_oi + s.put_oi for s in gex.strikes)
    assert zero.open_interest == total_oi
    assert zero.pin_strike == max(near, key=lambda s: s.call_oi + s.put_oi).strike
    assert math.isclose(zero.pin_oi_share_pct,
                        sum(s.call_oi + s.put_oi for s in near) / total_oi * 100, abs_tol=1e-3)
    assert 0 < zero.share_of_gross_gex_pct < 100


async def test_zero_dte_after_the_close_is_null_with_the_reason(spx):
    path, _, _ = spx
    zero = await call(path, "zero_dte")
    assert (zero.zero_dte_expiration, zero.net_gex, zero.gamma_flip) == (None, None, None)
    assert zero.gamma_flip_status == "no_data" and zero.gamma_regime == "unknown"
    assert zero.gamma_flip_reason == "no SPX options with open interest expire on 2023-09-14 at as_of"


async def test_expirations_roll_off_and_breakdown_atm_iv(spx):
    """Thursday's snapshot: the next expiry is Friday's, so both roll-offs are its share."""
    path, _, _ = spx
    listing = await call(path, "expirations")
    first = [e for e in listing.expirations if e.expiration == "2023-09-15"]
    assert listing.expirations[0].expiration == "2023-09-15"
    assert [e.settlement for e in first] == ["AM", "PM"]  # both settle on the next date
    friday = sum(e.share_of_gross_gex_pct for e in first)
    assert listing.rolloff_next_expiry_pct == pytest.approx(friday)
    assert listing.rolloff_by_friday_pct == pytest.approx(friday)
    breakdown = await call(path, "expiry_breakdown")
    moves = {m.expiration: m.atm_iv for m in (await call(path, "expected_move")).moves}
    for e in breakdown.expiries[:10]:
        assert e.atm_iv == moves[e.expiration]


async def test_a_date_with_am_and_pm_settlements_has_a_row_for_each(spx):
    """SPX 2023-09-15: the AM monthly (most of the OI, 0.7 days) and the PM SPXW weeklies."""
    path, chain, _ = spx
    breakdown = await call(path, "expiry_breakdown")
    friday = [e for e in breakdown.expiries if e.expiration == "2023-09-15"]
    assert [e.settlement for e in friday] == ["AM", "PM"]
    am, pm = friday
    assert am.days_to_expiry == pytest.approx((17 * 60 + 15) / 1440, abs=1e-3)  # 16:15 -> 09:30
    assert pm.days_to_expiry == pytest.approx((23 * 60 + 45) / 1440, abs=1e-3)  # 16:15 -> 16:00
    raw = {root: float(np.nansum(chain.open_interest[(chain.root == root)
                                                      & (chain.expiry == np.datetime64("2023-09-15"))]))
           for root in ("SPX", "SPXW")}
    # rows without a usable IV are left out of the analysis (counted in data_quality): ~1%
    assert am.open_interest == pytest.approx(raw["SPX"], rel=0.02) and am.open_interest <= raw["SPX"]
    assert pm.open_interest == pytest.approx(raw["SPXW"], rel=0.02) and pm.open_interest <= raw["SPXW"]
    assert am.open_interest > 5 * pm.open_interest
    assert sum(e.share_of_gross_gex_pct for e in breakdown.expiries) == pytest.approx(100)
    assert all(e.settlement == "PM" for e in breakdown.expiries if e.expiration != "2023-09-15"
               and e.kind == "weekly")
