"""FlashAlpha's paths answer our numbers: each checked against an independent computation
from another of our answers (or a formula written out here), on the file source's real
SPX and SPY snapshots, through FlashAlpha's own SDK on a loopback server. And FlashAlpha's
error contract: the statuses, bodies and headers its SDK's exceptions read.
"""

from __future__ import annotations

import math
from datetime import date

import httpx
import pytest
from flashalpha import AuthenticationError, FlashAlpha, FlashAlphaError, NotFoundError, RateLimitError

from tests.rest.conftest import KEYS, demo_service


@pytest.fixture(scope="module")
def fa(clients):
    return clients.fa


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def test_max_pain_is_the_strike_where_holders_collect_least(fa):
    """Recomputed here from the gex answer's per-strike open interest: payout at P =
    Σ call OI·max(P-K,0)·100 + Σ put OI·max(K-P,0)·100, minimised over listed strikes."""
    answer = fa.max_pain("SPY")
    strikes = fa.gex("SPY")["strikes"]

    def payout(p: float) -> float:
        return sum(s["call_oi"] * max(p - s["strike"], 0) * 100 + s["put_oi"] * max(s["strike"] - p, 0) * 100
                   for s in strikes)

    best = min(strikes, key=lambda s: payout(s["strike"]))["strike"]
    assert answer["max_pain_strike"] == best
    row = next(r for r in answer["pain_curve"] if r["strike"] == best)
    assert row["total_pain"] == pytest.approx(payout(best), abs=1) == row["call_pain"] + row["put_pain"]
    spot = answer["underlying_price"]
    assert answer["distance"]["absolute"] == pytest.approx(abs(best - spot), abs=0.01)
    assert answer["distance"]["direction"] == ("above" if best > spot else "below" if best < spot else "at")
    calls, puts = sum(s["call_oi"] for s in strikes), sum(s["put_oi"] for s in strikes)
    assert answer["put_call_oi_ratio"] == pytest.approx(puts / calls, abs=1e-4)
    listed = {e["expiration"] for e in fa.options("SPY")["expirations"]}
    assert {e["expiration"] for e in answer["max_pain_by_expiration"]} <= listed


def test_expected_move_is_spot_times_iv_times_root_t(fa):
    answer = fa.expected_move("SPX")
    spot = answer["underlying_price"]
    for m in answer["expected_moves"][:5]:
        assert m["upperBound"] - m["lowerBound"] == pytest.approx(2 * m["expectedMove"], abs=0.02)
        assert m["expectedMovePct"] == pytest.approx(m["expectedMove"] / spot * 100, abs=1e-3)
        assert m["expectedMove"] <= spot * m["atmIv"] * math.sqrt(m["daysToExpiry"] / 365) + 0.01
    one = fa.expected_move("SPX", expiry=answer["expected_moves"][2]["expiry"])
    assert one["expected_moves"] == [answer["expected_moves"][2]]


def test_oi_diff_rows_and_totals_come_from_the_strikes_oi_change(clients):
    answer = clients.prior.exposure_oi_diff("SPY", top_n=7)
    strikes = clients.prior.gex("SPY")["strikes"]
    assert answer["prior_snapshot_available"] is True
    assert answer["total_call_oi_change"] == sum(s["call_oi_change"] or 0 for s in strikes)
    assert answer["total_put_oi_change"] == sum(s["put_oi_change"] or 0 for s in strikes)
    changes = sorted((abs(s[f"{t}_oi_change"]) for s in strikes for t in ("call", "put")
                      if s[f"{t}_oi_change"]), reverse=True)
    assert [abs(r["oi_change"]) for r in answer["top_oi_changes"]] == changes[:7]
    for r in answer["top_oi_changes"]:
        assert r["today_oi"] - r["prior_oi"] == r["oi_change"]


def test_sheet_joins_the_four_exposures_per_strike(fa):
    sheet = fa.exposure_sheet("SPX")
    gex, dex, chex = fa.gex("SPX"), fa.dex("SPX"), fa.chex("SPX")
    assert sheet["totals"]["net_gex"] == gex["net_gex"] and sheet["totals"]["net_dex"] == dex["net_dex"]
    by_strike = {s["strike"]: s for s in dex["strikes"]}
    for row in sheet["strikes"][::25]:
        assert row["net_dex"] == by_strike[row["strike"]]["net_dex"]
        assert row["net_gex"] == pytest.approx(row["call_gex"] + row["put_gex"])
    assert sheet["totals"]["net_chex"] == chex["net_chex"]
    assert abs(sheet["peaks"][0]["net_gex"]) == max(abs(s["net_gex"]) for s in gex["strikes"])


def test_basket_is_the_weighted_sum_of_the_summaries(fa):
    basket = fa.exposure_basket(["SPX", "SPY", "ZZZZ"], weights=[3, 1, 1])
    spx, spy = fa.exposure_summary("SPX")["exposures"], fa.exposure_summary("SPY")["exposures"]
    assert basket["missing_symbols"] == ["ZZZZ"] and basket["constituent_count"] == 2
    for k in ("net_gex", "net_dex", "net_vex", "net_chex"):
        assert basket["aggregate"][k] == pytest.approx(0.75 * spx[k] + 0.25 * spy[k], rel=1e-12)
    assert sum(c["contribution_pct"] for c in basket["constituents"]) == pytest.approx(100, abs=0.01)


def test_term_structure_sums_expiries_into_buckets(fa):
    ts = fa.exposure_term_structure("SPX")
    per_expiry = sum(e["net_gex"] for e in ts["by_expiry"] if e["net_gex"] is not None)
    assert sum(b["net_gex"] for b in ts["by_dte_bucket"]) == pytest.approx(per_expiry, rel=1e-9)
    first = ts["by_expiry"][0]
    assert first["net_gex"] == fa.gex("SPX", expiration=first["expiration"])["net_gex"]


def test_option_quote_greeks_follow_black_scholes(fa):
    """Delta, gamma and vega of an at-the-money SPY call a month out from the formulas written
    out here with q = 0 (the engine's implied yield is small a month out: the checks allow it)."""
    listed = fa.options("SPY")["expirations"]
    expiry = next(e["expiration"] for e in listed if e["expiration"] >= "2023-10-13" and e["strikes"])
    spot = fa.stock_quote("SPY")["lastPrice"]
    quotes = fa.option_quote("SPY", expiry=expiry, type="call")
    near = min((r for r in quotes if r["implied_vol"]), key=lambda r: abs(r["strike"] - spot))
    one = fa.option_quote("SPY", expiry=expiry, strike=near["strike"], type="call")
    assert isinstance(one, dict) and one["strike"] == near["strike"]
    assert one["mid"] == pytest.approx((one["bid"] + one["ask"]) / 2)
    sigma, k = one["implied_vol"], one["strike"]
    tau = (date.fromisoformat(expiry) - date(2023, 9, 14)).days / 365  # both at 16:00 New York
    d1 = (math.log(spot / k) + 0.5 * sigma**2 * tau) / (sigma * math.sqrt(tau))
    pdf = math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi)
    assert one["delta"] == pytest.approx(norm_cdf(d1), abs=0.03)
    assert one["gamma"] == pytest.approx(pdf / (spot * sigma * math.sqrt(tau)), rel=0.05)
    assert one["vega"] == pytest.approx(spot * pdf * math.sqrt(tau) / 100, rel=0.05)
    assert one["theta"] < 0


def test_zero_dte_of_an_expiry_matches_that_expirys_answers(fa):
    expiry = next(e for e in fa.options("SPX")["expirations"] if e["strikes"])["expiration"]
    z = fa.zero_dte("SPX", expiry=expiry, strike_range=0.01)
    gex = fa.gex("SPX", expiration=expiry)
    assert z["expiration"] == expiry and z["no_zero_dte"] is False
    assert z["exposures"]["net_gex"] == gex["net_gex"]
    assert z["exposures"]["total_chain_net_gex"] == fa.exposure_summary("SPX")["exposures"]["net_gex"]
    spot = z["underlying_price"]
    assert z["strikes"] and all(abs(s["strike"] - spot) <= 0.01 * spot for s in z["strikes"])
    up, down = z["hedging"]["spot_up_1pct"], z["hedging"]["spot_down_1pct"]
    assert up["direction"] != down["direction"] or up["dealer_shares_to_trade"] == 0
    components = z["pin_risk"]["components"]
    assert z["pin_risk"]["pin_score"] == sum(components.values()) and 0 <= z["pin_risk"]["pin_score"] <= 100
    assert z["flow"]["total_oi"] == sum(s["call_oi"] + s["put_oi"] for s in gex["strikes"])


def test_flashalpha_errors_reach_the_sdks_exceptions(fa, serve):
    for call in (lambda: fa.max_pain("ZZZZ"), lambda: fa.options("ZZZZ"), lambda: fa.stock_quote("ZZZZ"),
                 lambda: fa.zero_dte("ZZZZ"), lambda: fa.exposure_sheet("ZZZZ")):
        with pytest.raises(NotFoundError) as missing:
            call()
        assert "ZZZZ" in str(missing.value)
    for call, word in ((lambda: fa.exposure_oi_diff("SPY", top_n=0), "topN"),
                       (lambda: fa.zero_dte("SPY", strike_range=0.5), "strike_range"),
                       (lambda: fa.option_quote("SPY", type="straddle"), "type"),
                       (lambda: fa.exposure_basket("SPY", weights="x"), "weights")):
        with pytest.raises(FlashAlphaError) as bad:
            call()
        assert bad.value.status_code == 400 and word in str(bad.value)
    with pytest.raises(AuthenticationError) as refused:
        FlashAlpha("not-a-key", base_url=fa.base_url).stock_quote("SPY")
    assert "X-Api-Key" in str(refused.value)
    with serve(demo_service(), keys=KEYS, rate_limit_per_minute=1) as url:
        limited = FlashAlpha(KEYS[0], base_url=url)
        limited.max_pain("SPY")
        with pytest.raises(RateLimitError) as info:
            limited.stock_quote("SPY")
        raw = httpx.get(url + "/v1/tickers", headers={"X-Api-Key": KEYS[0]})
    assert 1 <= info.value.retry_after <= 60
    assert info.value.response["limit"] == 1 and info.value.response["reset_at"].endswith("+00:00")
    assert raw.status_code == 429 and raw.headers["Retry-After"] and raw.headers["X-RateLimit-Limit"] == "1"
