"""Forwards from put-call parity: synthetic chains priced with known r and q by the scalar
reference give back their forwards, carry and IVs; unreadable parity falls back and says so;
on real chains the rate setting no longer moves net GEX and forwards sit where C - P turns."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import anyio
import numpy as np
import pytest
from mcp import Client
from typer.testing import CliRunner

from gex_mcp.cli import app
from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.chain import build_chain
from gex_mcp.mcp_server.compact import records
from gex_mcp.mcp_server.server import build_server
from gex_mcp.parsing import load_chain_file
from gex_mcp.responses._common import data_quality
from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from tests.conftest import CHAINS_DIR
from tests.engine import reference

NEW_YORK = ZoneInfo("America/New_York")
AS_OF = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)  # Monday 11:00 New York
SPOT = 5000.0
R, Q = 0.045, 0.013  # what the synthetic market is priced with
STRIKES = np.arange(4000.0, 6001.0, 25.0)


def smile(k: float, t: float) -> float:
    return 0.16 + 0.25 * math.log(k / SPOT) ** 2 / max(t, 0.05) - 0.05 * math.log(k / SPOT)


def priced_chain(expiries: list[tuple[int, str, float]], *, spot: float = SPOT,
                 one_sided: frozenset[int] = frozenset(), quoted_iv: bool = False):
    """Calls and puts at STRIKES for each (days ahead, root, q), priced by the scalar reference
    at r=R with that q, bid = ask = the price; IVs left for the engine to re-imply unless
    `quoted_iv`. Expiries whose index is in `one_sided` have zero bids. SPX settles 09:30
    New York, SPXW 16:00."""
    rows = []
    for i, (days, root, q) in enumerate(expiries):
        exp = (AS_OF + timedelta(days=days)).date()
        settle = datetime(exp.year, exp.month, exp.day, 9 if root == "SPX" else 16,
                          30 if root == "SPX" else 0, tzinfo=NEW_YORK)
        t = (settle - AS_OF).total_seconds() / (365 * 86400)
        for k in STRIKES:
            for call in (True, False):
                p = reference.greeks(spot, k, t, smile(k, t), R, q, call)["price"]
                rows.append((root, exp, k, call, 0.0 if i in one_sided else p, p,
                             smile(k, t) if quoted_iv else np.nan))
    root, expiry, strike, is_call, bid, ask, iv = zip(*rows)
    return build_chain(symbol="SPX", spot=spot, as_of=AS_OF, root=list(root), expiry=list(expiry),
                       strike=list(strike), is_call=list(is_call), iv=list(iv),
                       open_interest=[500.0 if c else 800.0 for c in is_call], bid=list(bid),
                       ask=list(ask))


def years(e) -> float:
    return e.days_to_expiry / 365.0


def test_a_chain_priced_with_known_r_and_q_gives_back_its_forwards_within_a_basis_point():
    """Forward, implied carry and re-implied IVs of each expiry equal those it was priced with,
    whatever GEX_DIVIDEND_YIELD says; AM and PM settlements on one date keep their own."""
    chain = priced_chain([(4, "SPXW", Q), (38, "SPX", 0.03), (38, "SPXW", Q), (200, "SPXW", 0.0),
                          (500, "SPXW", Q)])
    a = analyze_chain(chain, rate=R, dividend_yield=0.08)  # a wrong yield setting: must not matter
    assert a.prepared.quality.forward_fallbacks == 0
    qs = {("SPX", 38): 0.03, ("SPXW", 200): 0.0}
    assert len(a.expiries) == 5
    for e in a.expiries:
        days = (e.expiration - np.datetime64(AS_OF.date())).astype(int)
        q = qs.get(("SPX" if e.settlement == "AM" else "SPXW", int(days)), Q)
        t = years(e)
        expected = SPOT * math.exp((R - q) * t)
        assert abs(e.forward / expected - 1) < 1e-4, (e.expiration, e.settlement)
        if e.days_to_expiry < 7:  # under a week: a basis in points, not a yearly carry
            assert e.implied_carry_pct is None
            assert e.basis_points == pytest.approx(expected - SPOT, abs=1e-4 * SPOT)
        else:
            assert e.basis_points is None
            assert e.implied_carry_pct == pytest.approx((R - q) * 100, abs=1e-4 / t * 100)
    p = a.prepared
    true_iv = np.array([smile(k, t) for k, t in zip(p.strike, p.t_years)])
    np.testing.assert_allclose(p.iv, true_iv, atol=2e-4)  # re-implied with the implied q
    assert p.forward_implied.all()


def test_gex_of_a_priced_chain_equals_the_reference_at_the_true_yields():
    """Net GEX and DEX equal the math-only reference at the true (r, q), ten times closer than
    to the reference at the yield setting."""
    chain = priced_chain([(11, "SPXW", Q), (60, "SPXW", 0.02)])
    a = analyze_chain(chain, rate=R, dividend_yield=0.0)
    p = a.prepared
    true_q = np.where(p.t_years > 30 / 365, 0.02, Q)
    true_iv = [smile(k, t) for k, t in zip(p.strike, p.t_years)]
    rows = zip(p.strike, p.t_years, true_iv, p.is_call, p.open_interest, p.multiplier)
    ref = reference.exposures_by_strike(rows, SPOT, R, true_q)
    wrong = reference.exposures_by_strike(  # what pricing at the q setting would give
        zip(p.strike, p.t_years, true_iv, p.is_call, p.open_interest, p.multiplier), SPOT, R, 0.0)
    for key in ("gex", "dex"):
        expected = sum(v[key] for v in ref.values())
        assert a.totals[f"net_{key}"] == pytest.approx(expected, rel=1e-3), key
        off = abs(sum(v[key] for v in wrong.values()) - expected)
        assert abs(a.totals[f"net_{key}"] - expected) < 0.1 * off, key


def test_a_wrong_rate_setting_only_discounts():
    """With GEX_RATE off by 4.5 points, forwards move by well under the 4.5% x T a guessed
    carry would put on them (the rate only scales C - P, which is small near the money)."""
    chain = priced_chain([(30, "SPXW", Q), (179, "SPXW", Q)])
    for rate in (0.0, 0.09):
        for e in analyze_chain(chain, rate=rate).expiries:
            expected = SPOT * math.exp((R - Q) * years(e))
            assert abs(e.forward / expected - 1) < 5e-4


def test_a_stale_quote_near_the_money_does_not_move_the_forward():
    """One near-the-money put with a wrong mid (as if stale) is outvoted by its neighbours."""
    chain = priced_chain([(30, "SPXW", Q)])
    k_atm = STRIKES[np.argmin(np.abs(STRIKES - SPOT))]
    bad = (~chain.is_call) & (chain.strike == k_atm + 25)
    chain = build_chain(symbol="SPX", spot=SPOT, as_of=AS_OF, root=chain.root, expiry=chain.expiry,
                        strike=chain.strike, is_call=chain.is_call, iv=chain.iv,
                        open_interest=chain.open_interest, bid=np.where(bad, chain.bid + 15, chain.bid),
                        ask=np.where(bad, chain.ask + 15, chain.ask))
    e = analyze_chain(chain, rate=R).expiries[0]
    assert abs(e.forward / (SPOT * math.exp((R - Q) * years(e))) - 1) < 1e-4


def test_unreadable_parity_falls_back_to_the_settings_and_says_so():
    """An expiry with one-sided quotes is priced with r and q from the settings: counted in
    data_quality with a note, and its breakdown row has no implied carry; the others still
    use their own forwards. A spot 10% away from the options' forward is not believed either."""
    chain = priced_chain([(11, "SPXW", Q), (60, "SPXW", Q)], one_sided=frozenset({1}),
                         quoted_iv=True)
    a = analyze_chain(chain, rate=R, dividend_yield=0.02)
    dq = data_quality(a.prepared.quality)
    assert dq.forward_fallbacks == 1
    assert any("put-call parity" in n and "fewer than 3 strikes" in n for n in dq.notes)
    near, far = a.expiries
    assert near.implied_carry_pct is not None and far.implied_carry_pct is None
    assert far.forward == pytest.approx(SPOT * math.exp((R - 0.02) * years(far)), rel=1e-12)
    assert np.all(a.prepared.dividend_yield[a.prepared.t_years > 30 / 365] == 0.02)

    shifted = priced_chain([(11, "SPXW", Q)], spot=SPOT * 1.1)
    moved = build_chain(symbol="SPX", spot=SPOT, as_of=AS_OF, root=shifted.root,
                        expiry=shifted.expiry, strike=shifted.strike, is_call=shifted.is_call,
                        iv=np.full(len(shifted), 0.2), open_interest=shifted.open_interest,
                        bid=shifted.bid, ask=shifted.ask)
    b = analyze_chain(moved, rate=R, dividend_yield=0.0)
    assert b.prepared.quality.forward_fallbacks == 1
    assert any("too far from spot" in n for n in b.prepared.quality.notes)


@cache
def spx():
    return load_chain_file(CHAINS_DIR / "cboe_quotedata_SPX_2023-09-14.csv")


def test_spx_net_gex_barely_depends_on_the_rate_setting():
    """Issue 10: GEX_RATE 0 vs 0.05 moved SPX 2023-09-14 net GEX by 37% when it set the carry;
    with forwards from parity the move is under 5%."""
    g0, g5 = (analyze_chain(spx(), rate=r).totals["net_gex"] for r in (0.0, 0.05))
    assert abs(g5 - g0) < 0.05 * abs(g0)


def test_spx_forwards_sit_where_call_minus_put_changes_sign():
    """Independent of the engine: per PM expiry within a year, scan the strikes quoted on both
    sides for where C_mid - P_mid turns from positive to negative; the forward lies in that
    bracket (widened by one strike step). Carry beyond a month is 2%-7% a year (2023: T-bills
    ~5.4% less ~1.5% dividends)."""
    c = spx()
    a = analyze_chain(c, rate=0.05)
    checked = 0
    for e in a.expiries:
        if e.settlement != "PM" or e.days_to_expiry > 365:
            continue
        rows = {}
        for k, call, b, ask, exp, root in zip(c.strike, c.is_call, c.bid, c.ask, c.expiry, c.root):
            if exp == e.expiration and root == "SPXW" and b > 0 and ask >= b:
                rows.setdefault(float(k), {})[bool(call)] = (b + ask) / 2
        both = sorted(k for k, v in rows.items() if len(v) == 2)
        diffs = [rows[k][True] - rows[k][False] for k in both]
        turn = next(i for i in range(1, len(both)) if diffs[i - 1] > 0 >= diffs[i])
        step = both[turn] - both[turn - 1]
        assert both[turn - 1] - step <= e.forward <= both[turn] + step, e.expiration
        if e.days_to_expiry > 30:
            assert 2.0 < e.implied_carry_pct < 7.0, e.expiration
        checked += 1
    assert checked > 20


@pytest.mark.anyio
async def test_the_expiry_breakdown_tool_lists_each_forward_and_its_carry(chains_dir):
    """Through a real MCP client on SPX 2023-09-14: every row has a forward and, under a week,
    a basis in points that agree (F = S + basis), beyond it an implied carry that agrees with it
    from the implied spot S* (F = S* e^{carry T}), AM and PM rows on the 2023-09-15 date have
    their own, and the summary's data_quality reports no fallback."""
    path = chains_dir / "cboe_quotedata_SPX_2023-09-14.csv"
    service = build_service(Settings(_env_file=None), chain_file=path)
    async with service, Client(build_server(service), mode="legacy") as client:
        with anyio.fail_after(20):
            result = await client.call_tool("expiry_breakdown", {"symbol": "SPX"})
            summary = await client.call_tool("summary", {"symbol": "SPX"})
    assert not result.is_error, result.content
    data = result.structured_content
    rows = records(data["expiries"])
    spot = data["underlying_price"]
    anchor = summary.structured_content["data_quality"]["implied_spot"]
    assert abs(anchor / spot - 1) < 0.005
    for r in rows:
        t = r["days_to_expiry"] / 365.0
        if r["days_to_expiry"] < 7:
            assert r["implied_carry_pct"] is None
            assert r["forward"] == pytest.approx(spot + r["basis_points"], abs=0.02)
            continue
        assert r["basis_points"] is None
        assert r["forward"] == pytest.approx(anchor * math.exp(r["implied_carry_pct"] / 100 * t),
                                             abs=0.02 + spot * 2e-4 * t), r["expiration"]
    same_day = [r for r in rows if r["expiration"] == "2023-09-15"]
    assert sorted(r["settlement"] for r in same_day) == ["AM", "PM"]
    assert summary.structured_content["data_quality"]["forward_fallbacks"] == 0


def test_the_expiries_command_prints_each_forward_and_marks_fallbacks(chains_dir, monkeypatch,
                                                                      tmp_path):
    """The terminal table shows the forward and carry of each row (as in --json), and a
    footnote when an expiration fell back to the settings (NDX 2022-02-05 has one)."""
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    path = str(chains_dir / "cboe_quotedata_NDX_2022-02-05.csv")
    data = json.loads(runner.invoke(app, ["expiries", "--chain", path, "--json"]).stdout)
    text = runner.invoke(app, ["expiries", "--chain", path]).stdout
    fell_back = [r for r in data["expiries"]
                 if r["implied_carry_pct"] is None and r["basis_points"] is None]
    assert len(fell_back) == 1
    for r in data["expiries"]:
        line = next(x for x in text.splitlines() if r["expiration"] in x and f" {r['settlement']} " in x)
        assert f"{r['forward']:,.2f}" in line
        carry = (f"{r['basis_points']:+.2f} pts" if r["basis_points"] is not None
                 else "—" if r["implied_carry_pct"] is None else f"{r['implied_carry_pct']:.2f}%")
        assert line.rstrip(" │").endswith(carry)
    assert "put-call parity unreadable" in text


def test_a_chain_whose_calls_and_puts_offset_exactly_has_no_flip_and_no_crash():
    """Equal call and put OI at every strike and the default dealer model: total gamma is zero
    up to rounding, whose sign changes must not reach the root finder as brackets (it raised)."""
    chain = priced_chain([(4, "SPXW", Q), (38, "SPX", 0.03)])
    a = analyze_chain(chain.with_open_interest(np.full(len(chain), 500.0)), rate=R)
    assert abs(a.totals["net_gex"]) < 1e-6 * np.abs(a.contracts.gex).sum()
    assert a.flip.status in ("ok", "no_crossing", "ill_determined", "no_data")


def test_near_expirations_report_a_basis_in_points_and_far_ones_a_fitted_carry():
    """SPX 2023-09-14: the 09-15 AM forward sits about 5 points above the 16:00 index print
    (the options closed at 16:15); annualised over 17 hours that read as tens of percent a
    year. Under a week the row reports F - S in points, here equal to the test's own parity
    forward less spot; beyond a week the carry is ln(F/S*)/T with S* the spot the term
    structure beyond a week extrapolates to, here fitted by the test from the raw mids."""
    c = spx()
    a = analyze_chain(c, rate=0.04)
    am = next(e for e in a.expiries if str(e.expiration) == "2023-09-15" and e.settlement == "AM")
    settle = float(np.unique(c.settle_time[(c.expiry == np.datetime64("2023-09-15"))
                                           & (c.root == "SPX")])[0])
    assert am.implied_carry_pct is None
    assert am.basis_points == pytest.approx(reference.parity_forward(c, 0.04, settle) - c.spot,
                                            abs=1.0)
    assert 3.0 < am.basis_points < 8.0
    anchor = reference.parity_spot(c, 0.04, expirations=8, min_days=7)
    assert a.prepared.quality.implied_spot == pytest.approx(anchor, rel=2e-4)
    beyond = [e for e in a.expiries if e.days_to_expiry >= 7]
    assert beyond and all(e.basis_points is None for e in beyond)
    first = beyond[0]
    mine = math.log(reference.parity_forward(c, 0.04, first_settle(c, first)) / anchor) \
        / (first.days_to_expiry / 365) * 100
    assert first.implied_carry_pct == pytest.approx(mine, abs=1.0)
    assert all(2.0 < e.implied_carry_pct < 7.0 for e in beyond if e.days_to_expiry < 365)


def first_settle(c, e) -> float:
    """The settlement instant (Unix seconds) of breakdown row `e`."""
    on_day = np.unique(c.settle_time[c.expiry == e.expiration])
    return float(on_day[-1] if e.settlement == "PM" else on_day[0])
