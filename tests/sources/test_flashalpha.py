"""FlashAlphaClient against the loopback server: translation, error mapping, no key leaks."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import pytest

from gex_mcp.errors import (
    AuthError,
    ConfigError,
    GexError,
    InvalidExpiryError,
    RateLimitedError,
    SourceDataError,
    SourceUnavailableError,
    UnknownSymbolError,
)
from gex_mcp.labels import format_amount
from gex_mcp.sources._http import RetryPolicy
from gex_mcp.sources.flashalpha import FlashAlphaClient, RateLimitInfo
from tests.sources.loopback import RATE_LIMIT_RESET_EPOCH, Fault, LoopbackServer

pytestmark = pytest.mark.anyio

NO_WAIT = RetryPolicy(retries=2, wait_initial_seconds=0)
AS_OF = datetime(2025, 9, 5, 20, 0, tzinfo=UTC)  # 16:00 New York, the fixture's last trade


def fa_path(endpoint: str, symbol: str = "AAPL") -> str:
    return f"/v1/exposure/{endpoint}/{symbol}"


def make(loopback: LoopbackServer, **kwargs: Any) -> FlashAlphaClient:
    kwargs.setdefault("retry_policy", NO_WAIT)
    api_key = kwargs.pop("api_key", loopback.api_key)
    return FlashAlphaClient(api_key, base_url=loopback.url, **kwargs)


async def call(loopback: LoopbackServer, method: str, *args: Any, **kwargs: Any) -> Any:
    client_kwargs = {k: kwargs.pop(k) for k in ("api_key", "timeout_seconds", "retry_policy",
                                                "on_rate_limit_headers", "clock")
                     if k in kwargs}
    with anyio.fail_after(5):
        async with make(loopback, **client_kwargs) as client:
            return await getattr(client, method)(*args, **kwargs)


async def served(loopback: LoopbackServer, endpoint: str, symbol: str = "AAPL",
                 **params: Any) -> dict[str, Any]:
    """The raw JSON the fake FlashAlpha serves, fetched without our client."""
    with anyio.fail_after(5):
        async with httpx.AsyncClient(base_url=loopback.url) as client:
            response = await client.get(fa_path(endpoint, symbol), params=params,
                                        headers={"X-Api-Key": loopback.api_key})
    assert response.status_code == 200
    return response.json()


# -- translation --------------------------------------------------------------------------


async def test_gex_fields_equal_the_served_json(loopback: LoopbackServer) -> None:
    """Every per-strike and top-level GEX value is FlashAlpha's, unchanged."""
    raw = await served(loopback, "gex")
    gex = await call(loopback, "gex", "aapl")
    assert (gex.symbol, gex.underlying_price, gex.as_of) == ("AAPL", raw["underlying_price"], AS_OF)
    assert (gex.source, gex.is_demo, gex.stale) == ("flashalpha", False, False)
    assert gex.gamma_flip == raw["gamma_flip"] == 235.0
    assert (gex.gamma_flip_status, gex.gamma_flip_reason) == ("ok", None)
    assert gex.net_gex == raw["net_gex"]
    assert gex.net_gex_label == "1.39B"  # recomputed; FlashAlpha's own label says "positive"
    assert len(gex.strikes) == len(raw["strikes"]) == 100
    for ours, theirs in zip(gex.strikes, raw["strikes"], strict=True):
        assert ours.model_dump() == theirs
    assert gex.call_gex == pytest.approx(sum(s["call_gex"] for s in raw["strikes"]))
    assert gex.put_gex == pytest.approx(sum(s["put_gex"] for s in raw["strikes"]))
    assert (gex.min_oi, gex.expiration) == (0, None)
    assert gex.data_quality.model_dump() == {
        "contracts_total": 0, "contracts_used": 0, "expired_dropped": 0, "iv_reimplied": 0, "iv_from_pair": 0,
        "iv_missing_skipped": 0, "zero_open_interest": 0, "filtered_min_oi": 0, "duplicates_dropped": 0,
        "iv_implausible": 0, "iv_percent_scaled": False, "forward_fallbacks": 0, "iv_intrinsic": 0,
        "implied_spot": None, "spot_stale": False, "quote_clock": None,
        "notes": ["computed by FlashAlpha"]}


async def test_gex_passes_expiration_and_min_oi_upstream(loopback: LoopbackServer) -> None:
    """expiration and min_oi reach FlashAlpha as query parameters and come back filtered."""
    raw = await served(loopback, "gex", expiration="2025-09-12", min_oi=100)
    gex = await call(loopback, "gex", "AAPL", expiration="2025-09-12", min_oi=100)
    assert [s.model_dump() for s in gex.strikes] == raw["strikes"]
    assert all(s.call_oi + s.put_oi >= 100 for s in gex.strikes)
    assert (gex.expiration, gex.min_oi) == ("2025-09-12", 100)
    assert len(gex.strikes) < 100


@pytest.mark.parametrize("greek", ["dex", "vex", "chex"])
async def test_dex_vex_chex_fields_equal_the_served_json(loopback: LoopbackServer,
                                                         greek: str) -> None:
    """Per-strike call/put/net values and the total are FlashAlpha's; the label is ours."""
    raw = await served(loopback, greek)
    answer = await call(loopback, greek, "AAPL")
    assert [s.model_dump() for s in answer.strikes] == raw["strikes"]
    net = getattr(answer, f"net_{greek}")
    assert net == raw[f"net_{greek}"]
    assert getattr(answer, f"net_{greek}_label") == format_amount(net)
    assert (answer.underlying_price, answer.as_of, answer.source) == (239.23, AS_OF, "flashalpha")
    if greek != "dex":
        assert getattr(answer, f"{greek}_interpretation") == raw[f"{greek}_interpretation"]


async def test_levels_are_read_from_the_nested_levels_object(loopback: LoopbackServer) -> None:
    """FlashAlpha nests levels under "levels"; our answer is flat."""
    raw = (await served(loopback, "levels"))["levels"]
    levels = await call(loopback, "levels", "AAPL")
    for key in ("call_wall", "put_wall", "max_positive_gamma", "max_negative_gamma",
                "highest_oi_strike", "zero_dte_magnet", "gamma_flip"):
        assert getattr(levels, key) == raw[key], key
    assert (levels.call_wall, levels.put_wall, levels.zero_dte_magnet) == (240.0, 230.0, None)
    assert levels.gamma_flip_status == "ok"


async def test_summary_is_flattened_into_our_contract(loopback: LoopbackServer) -> None:
    """Regime, nested exposures, interpretation and hedging land in the guide's flat fields."""
    raw = await served(loopback, "summary")
    summary = await call(loopback, "summary", "AAPL")
    assert summary.gamma_regime == "positive_gamma"
    assert summary.regime_reason == "FlashAlpha reports positive_gamma (spot 239.23, flip 235)"
    assert summary.flip_above_spot_points == pytest.approx(235.0 - 239.23)
    assert summary.flip_above_spot_pct == pytest.approx((235.0 - 239.23) / 239.23 * 100)
    for key in ("net_gex", "net_dex", "net_vex", "net_chex"):
        assert getattr(summary, key) == raw["exposures"][key]
        assert getattr(summary, f"{key}_label") == format_amount(raw["exposures"][key])
    assert summary.interpretation == "Dealers long gamma (test double)"
    assert summary.interpretation_detail == raw["interpretation"]
    up, down = summary.dealer_hedge_up_1pct, summary.dealer_hedge_down_1pct
    raw_up = raw["hedging_estimate"]["spot_up_1pct"]
    assert (up.direction, up.dealer_shares_to_trade) == ("sell", raw_up["dealer_shares_to_trade"])
    assert up.dealer_shares_to_trade < 0 < down.dealer_shares_to_trade
    assert down.direction == "buy"
    assert (up.spot_move_pct, down.spot_move_pct) == (1.0, -1.0)
    assert up.new_spot == pytest.approx(239.23 * 1.01)
    assert up.notional_usd == raw_up["notional_usd"]
    assert (summary.zero_dte_net_gex, summary.zero_dte_pct_of_total) == (None, None)
    assert (summary.call_wall, summary.put_wall) == (None, None)
    assert (summary.expiry_breakdown, summary.top_oi_movers) == ([], [])


@pytest.mark.parametrize(("upstream", "ours"), [
    ("positive_gamma", "positive_gamma"), ("negative_gamma", "negative_gamma"),
    ("neutral", "neutral"), ("undetermined", "unknown"), ("something_new", "unknown")])
async def test_regimes_map_onto_ours(loopback: LoopbackServer, upstream: str, ours: str) -> None:
    """FlashAlpha's regime words map to ours; anything unrecognised is 'unknown'."""
    body = await served(loopback, "summary")
    body["regime"] = upstream
    loopback.faults[fa_path("summary")] = Fault(json_body=body)
    assert (await call(loopback, "summary", "AAPL")).gamma_regime == ours


async def test_unsigned_hedge_shares_take_their_sign_from_the_direction(
        loopback: LoopbackServer) -> None:
    """'dealer_shares' with direction SELL becomes negative shares in our signed convention."""
    body = await served(loopback, "summary")
    body["hedging_estimate"] = {
        "spot_up_1pct": {"dealer_shares": 1250000, "direction": "SELL", "notional_usd": 7.25e8},
        "spot_down_1pct": {"dealer_shares_to_trade": 1250000, "direction": "buy",
                           "notional_usd": 7.25e8}}
    loopback.faults[fa_path("summary")] = Fault(json_body=body)
    summary = await call(loopback, "summary", "AAPL")
    assert summary.dealer_hedge_up_1pct.dealer_shares_to_trade == -1250000
    assert summary.dealer_hedge_down_1pct.dealer_shares_to_trade == 1250000


async def test_null_totals_are_zero_with_a_note_not_silently(loopback: LoopbackServer) -> None:
    """A summary with null exposures and no hedging says so in data_quality.notes."""
    body = await served(loopback, "summary")
    body["exposures"]["net_vex"] = None
    del body["hedging_estimate"]
    loopback.faults[fa_path("summary")] = Fault(json_body=body)
    summary = await call(loopback, "summary", "AAPL")
    assert summary.net_vex == 0.0
    assert summary.dealer_hedge_up_1pct.direction == "none"
    assert summary.data_quality.notes == [
        "computed by FlashAlpha",
        "FlashAlpha gave no exposures.net_vex; shown as 0",
        "FlashAlpha gave no hedging estimate for +1%; shown as 0",
        "FlashAlpha gave no hedging estimate for -1%; shown as 0"]


@pytest.mark.parametrize(("code", "status"), [
    ("no_boundary", "no_crossing"), ("sensitive_root", "ill_determined"),
    ("insufficient_local_coverage", "ill_determined"), (None, "ill_determined")])
async def test_a_null_flip_keeps_flashalphas_reason(loopback: LoopbackServer,
                                                    code: str | None, status: str) -> None:
    """gamma_flip null maps its status code onto ours and keeps the code in the reason."""
    body = await served(loopback, "gex")
    body["gamma_flip"] = None
    body["gamma_flip_status"] = code
    loopback.faults[fa_path("gex")] = Fault(json_body=body)
    gex = await call(loopback, "gex", "AAPL")
    assert (gex.gamma_flip, gex.gamma_flip_status) == (None, status)
    assert gex.gamma_flip_reason == (f"FlashAlpha could not determine the flip ({code})" if code
                                     else "FlashAlpha gave no gamma flip")


def test_usd_labels_are_short_and_signed() -> None:
    """The guide's '1.85B' style, with K/M/B/T and a sign; small values as integers."""
    cases = {1847293000: "1.85B", -2.5e6: "-2.50M", 12345: "12.35K", 1.2e12: "1.20T",
             950: "950", 0: "0", -0.4: "0", float("nan"): "n/a"}
    assert {x: format_amount(x) for x in cases} == cases


# -- rate-limit headers -------------------------------------------------------------------


async def test_rate_limit_headers_reach_the_callback_and_last_rate_limit(
        loopback: LoopbackServer) -> None:
    """X-RateLimit-Limit/Remaining/Reset are read from every answer."""
    seen: list[tuple[int | None, int | None, float | None]] = []
    with anyio.fail_after(5):
        async with make(loopback, on_rate_limit_headers=lambda *a: seen.append(a)) as client:
            assert client.last_rate_limit is None
            await client.levels("AAPL")
            await client.gex("AAPL")
            assert client.last_rate_limit == RateLimitInfo(2500, 2498, RATE_LIMIT_RESET_EPOCH)
    assert seen == [(2500, 2499, RATE_LIMIT_RESET_EPOCH), (2500, 2498, RATE_LIMIT_RESET_EPOCH)]


async def test_an_unlimited_plan_reports_no_limit(loopback: LoopbackServer) -> None:
    """'unlimited' in X-RateLimit-Limit is None, not a crash."""
    body = await served(loopback, "levels")
    loopback.faults[fa_path("levels")] = Fault(json_body=body, headers={
        "X-RateLimit-Limit": "unlimited", "X-RateLimit-Remaining": "unlimited"})
    with anyio.fail_after(5):
        async with make(loopback) as client:
            await client.levels("AAPL")
    assert client.last_rate_limit == RateLimitInfo(None, None, None)


# -- errors -------------------------------------------------------------------------------


async def test_a_wrong_key_is_an_auth_error(loopback: LoopbackServer) -> None:
    """401 -> AuthError with the documented text, asked once."""
    with pytest.raises(AuthError) as info:
        await call(loopback, "gex", "AAPL", api_key="fa-wrong-key")
    assert str(info.value) == "FlashAlpha rejected the API key (401). Check FLASHALPHA_API_KEY."
    assert info.value.exit_code == 3
    assert loopback.requests[fa_path("gex")] == 1


async def test_a_plan_restriction_names_both_plans(loopback: LoopbackServer) -> None:
    """403 with current_plan/required_plan says which plan is needed and which one the key has."""
    loopback.faults[fa_path("summary")] = Fault.plan_restricted(current="Free", required="Growth")
    with pytest.raises(AuthError) as info:
        await call(loopback, "summary", "AAPL")
    assert str(info.value) == ("FlashAlpha refused summary for AAPL (403): it needs the Growth "
                               "plan; your key is on Free. Upgrade the plan, or use source cboe.")
    assert loopback.requests[fa_path("summary")] == 1


async def test_a_403_without_plans_quotes_flashalpha(loopback: LoopbackServer) -> None:
    """403 without plan fields carries FlashAlpha's own message."""
    loopback.faults["SPX"] = Fault.http_status(
        403, message="Index symbols require the Basic plan or higher.")
    with pytest.raises(AuthError) as info:
        await call(loopback, "levels", "SPX")
    assert str(info.value) == (
        "FlashAlpha refused levels for SPX (403): Index symbols require the Basic plan or "
        "higher. Check the plan of FLASHALPHA_API_KEY, or use source cboe.")


async def test_an_unknown_symbol_is_an_input_error(loopback: LoopbackServer) -> None:
    """404 -> UnknownSymbolError (exit 2), not retried."""
    with pytest.raises(UnknownSymbolError) as info:
        await call(loopback, "gex", "ZZZZ")
    assert str(info.value) == ("No exposure data for 'ZZZZ' from flashalpha. "
                               "Use a US ticker such as 'SPY' or an index such as 'SPX'.")
    assert info.value.exit_code == 2
    assert loopback.requests[fa_path("gex", "ZZZZ")] == 1


async def test_a_429_is_rate_limited_with_reset_and_wait(loopback: LoopbackServer) -> None:
    """429 gives RateLimitedError with the reset time and Retry-After, after one request."""
    loopback.faults[fa_path("gex")] = Fault.rate_limited(retry_after=30, limit=5,
                                                         reset_at="2025-09-07T00:00:00Z")
    with pytest.raises(RateLimitedError) as info:
        await call(loopback, "gex", "AAPL")
    assert str(info.value) == (
        "FlashAlpha quota exceeded (HTTP 429): limit 5 requests per day, resets at "
        "2025-09-07T00:00:00+00:00, retry after 30 s. Wait for the reset, or use source cboe.")
    assert info.value.retry_after_seconds == 30.0
    assert loopback.requests[fa_path("gex")] == 1


async def test_a_429_without_retry_after_waits_until_reset_at(loopback: LoopbackServer) -> None:
    """No Retry-After: the wait is reset_at minus now (clock injected)."""
    loopback.faults[fa_path("gex")] = Fault.rate_limited(retry_after=None,
                                                         reset_at="2025-09-07T00:00:00Z")
    reset = datetime(2025, 9, 7, tzinfo=UTC).timestamp()
    with pytest.raises(RateLimitedError) as info:
        await call(loopback, "gex", "AAPL", clock=lambda: reset - 3600)
    assert info.value.retry_after_seconds == 3600.0


async def test_an_unlisted_expiration_is_invalid_expiry(loopback: LoopbackServer) -> None:
    """FlashAlpha's 400 invalid_expiry becomes InvalidExpiryError quoting its reason."""
    with pytest.raises(InvalidExpiryError) as info:
        await call(loopback, "gex", "AAPL", expiration="2025-09-13")
    assert str(info.value) == (
        "FlashAlpha rejected expiration '2025-09-13' for AAPL: No options expire on 2025-09-13 "
        "for AAPL. Use an expiration listed for AAPL (YYYY-MM-DD), or leave it out for all "
        "expirations.")
    assert info.value.exit_code == 2


@pytest.mark.parametrize("bad", ["13/09/2025", "2025-02-30", "tomorrow", ""])
async def test_a_malformed_expiration_is_refused_before_spending_quota(
        loopback: LoopbackServer, bad: str) -> None:
    """A bad date never costs a request."""
    with pytest.raises(InvalidExpiryError):
        await call(loopback, "dex", "AAPL", expiration=bad)
    assert sum(loopback.requests.values()) == 0


async def test_500s_are_retried(loopback: LoopbackServer) -> None:
    """500, 500, 200: the third attempt answers; three upstream requests."""
    loopback.faults[fa_path("gex")] = Fault.http_status(500, times=2)
    gex = await call(loopback, "gex", "AAPL")
    assert gex.net_gex > 0
    assert loopback.requests[fa_path("gex")] == 3


async def test_a_persistent_503_is_source_unavailable(loopback: LoopbackServer) -> None:
    """503 every time: SourceUnavailableError quoting FlashAlpha, after three attempts."""
    loopback.faults[fa_path("gex")] = Fault.http_status(503, message="Data is still loading.")
    with pytest.raises(SourceUnavailableError) as info:
        await call(loopback, "gex", "AAPL")
    assert str(info.value) == (
        "FlashAlpha answered HTTP 503 for gex AAPL after 3 attempts: Data is still loading. "
        "Try again shortly, or use source cboe.")
    assert loopback.requests[fa_path("gex")] == 3


async def test_a_slow_api_times_out_for_real(loopback: LoopbackServer) -> None:
    """A 2 s stall against a 0.2 s timeout is SourceUnavailableError."""
    loopback.faults[fa_path("levels")] = Fault.slow(2.0)
    with pytest.raises(SourceUnavailableError) as info:
        await call(loopback, "levels", "AAPL", timeout_seconds=0.2,
                   retry_policy=RetryPolicy(retries=0))
    assert str(info.value) == ("flashalpha timed out after 0.2 s fetching AAPL. "
                               "Try again shortly, or use source cboe.")


async def test_a_cut_off_answer_is_source_unavailable(loopback: LoopbackServer) -> None:
    """Connection closed before Content-Length bytes: retried, then SourceUnavailableError."""
    loopback.faults[fa_path("gex")] = Fault.truncated()
    with pytest.raises(SourceUnavailableError):
        await call(loopback, "gex", "AAPL")
    assert loopback.requests[fa_path("gex")] == 3


@pytest.mark.parametrize(("fault", "kind"), [
    (Fault.malformed_json(), "application/json"), (Fault.html(), "text/html")])
async def test_a_body_that_is_not_json_is_source_data_error(loopback: LoopbackServer,
                                                            fault: Fault, kind: str) -> None:
    """Malformed JSON or an HTML page with 200 is SourceDataError naming the content type."""
    loopback.faults[fa_path("vex")] = fault
    with pytest.raises(SourceDataError) as info:
        await call(loopback, "vex", "AAPL")
    assert str(info.value) == (f"FlashAlpha's vex answer for AAPL is not JSON ({kind}). "
                               "Try again shortly, or use source cboe.")


@pytest.mark.parametrize(("mutate", "what"), [
    (lambda b: b.pop("underlying_price"), "lacks 'underlying_price'"),
    (lambda b: b.update(as_of="yesterday", data_as_of=None), "lacks a readable 'as_of' time"),
    (lambda b: b.update(strikes={"strike": 1}), "has 'strikes' that is not a list of objects"),
    (lambda b: b["strikes"][0].update(call_gex="lots"), "has a non-numeric strike 'call_gex'"),
    (lambda b: b["strikes"][0].pop("strike"), "lacks strike 'strike'"),
])
async def test_a_wrongly_shaped_answer_is_source_data_error(loopback: LoopbackServer,
                                                            mutate: Any, what: str) -> None:
    """Missing or mistyped fields give SourceDataError naming the field."""
    body = await served(loopback, "gex")
    mutate(body)
    loopback.faults[fa_path("gex")] = Fault(json_body=body)
    with pytest.raises(SourceDataError) as info:
        await call(loopback, "gex", "AAPL")
    assert str(info.value) == (f"FlashAlpha's gex answer for AAPL {what}. "
                               "Try again shortly, or use source cboe.")


async def test_path_segments_are_the_normalised_symbol(loopback: LoopbackServer) -> None:
    """'brk.b' is asked for as /v1/exposure/gex/BRK.B; a path-like symbol is never sent."""
    with pytest.raises(UnknownSymbolError):
        await call(loopback, "gex", "brk.b")
    with pytest.raises(UnknownSymbolError):
        await call(loopback, "gex", "../account")
    assert list(loopback.requests) == [fa_path("gex", "BRK.B")]


def test_an_empty_key_is_a_config_error() -> None:
    """A blank key fails at construction, before any request."""
    with pytest.raises(ConfigError):
        FlashAlphaClient("  ")


async def test_an_injected_client_is_left_open(loopback: LoopbackServer) -> None:
    """aclose() closes only the client FlashAlphaClient built itself."""
    async with httpx.AsyncClient() as http:
        client = FlashAlphaClient(loopback.api_key, http, base_url=loopback.url)
        with anyio.fail_after(5):
            await client.levels("AAPL")
        await client.aclose()
        assert not http.is_closed


# -- the key never leaks ------------------------------------------------------------------


def _leaky_faults(key: str) -> list[tuple[str, Fault, dict[str, Any]]]:
    """One fault per error class; several echo the key back, as a careless server might."""
    return [
        ("gex", Fault(status=401, json_body={"detail": f"Invalid API key {key}."}), {}),
        ("gex", Fault(status=403, json_body={"message": f"key {key} is restricted"}), {}),
        ("gex", Fault.plan_restricted(current=key, required="Growth"), {}),
        ("gex", Fault(status=404, json_body={"message": f"No data for {key}"}), {}),
        ("gex", Fault.rate_limited(), {}),
        ("gex", Fault(status=400, json_body={"error": "invalid_expiry", "message": key}),
         {"expiration": "2025-09-12"}),
        ("gex", Fault(status=400, json_body={"error": "bad", "detail": key}), {}),
        ("gex", Fault(status=500, body=f"<html>{key}</html>".encode(),
                      content_type="text/html"), {}),
        ("gex", Fault(status=418, body=key.encode(), content_type="text/plain"), {}),
        ("gex", Fault.truncated(), {}),
        ("gex", Fault.malformed_json(), {}),
        ("gex", Fault.html(), {}),
        ("gex", Fault(json_body={"symbol": key}), {}),
        ("gex", Fault.slow(2.0), {"timeout_seconds": 0.2, "retry_policy": RetryPolicy(0)}),
    ]


async def test_the_api_key_never_appears_in_errors_reprs_or_logs(
        loopback: LoopbackServer, caplog: pytest.LogCaptureFixture) -> None:
    """Every error class, with servers echoing the key: it is absent from str, repr, tracebacks
    and DEBUG logs (httpx and httpcore included)."""
    key = loopback.api_key
    caplog.set_level(logging.DEBUG)
    raised: list[GexError] = []
    for endpoint, fault, kwargs in _leaky_faults(key):
        loopback.reset()
        loopback.faults[fa_path(endpoint)] = fault
        client_kwargs = {k: kwargs.pop(k) for k in ("timeout_seconds", "retry_policy")
                         if k in kwargs}
        with anyio.fail_after(5):
            async with make(loopback, **client_kwargs) as client:
                assert key not in repr(client)
                with pytest.raises(GexError) as info:
                    await getattr(client, endpoint)("AAPL", **kwargs)
        raised.append(info.value)
    loopback.reset()
    with pytest.raises(AuthError) as wrong:
        await call(loopback, "gex", "AAPL", api_key=key + "-x")
    raised.append(wrong.value)
    loopback.reset()
    await call(loopback, "summary", "AAPL")  # a success logs too

    kinds = {type(exc).__name__ for exc in raised}
    assert kinds == {"AuthError", "UnknownSymbolError", "RateLimitedError", "InvalidExpiryError",
                     "InputError", "SourceUnavailableError", "SourceDataError"}
    for exc in raised:
        text = "".join(traceback.format_exception(exc))
        assert key not in str(exc) and key not in repr(exc) and key not in text, str(exc)
    assert caplog.records, "expected DEBUG logs from httpx/httpcore"
    assert key not in caplog.text

