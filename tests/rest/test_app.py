"""The REST API over a real HTTP server on 127.0.0.1: paths, shapes, errors, keys, limits, hosts."""

from __future__ import annotations

import json
import math
import time

import anyio
import httpx
import pytest

from gex_mcp import __version__
from gex_mcp.alerts.watcher import Watcher
from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.errors import ConfigError, RateLimitedError, SourceDataError, SourceUnavailableError
from gex_mcp.mcp_server.run import ServeOptions, run_server
from gex_mcp.service import GexService
from gex_mcp.store.cache import ChainCache
from tests.rest.conftest import KEYS, demo_service

pytestmark = pytest.mark.anyio

ONE = {"X-Api-Key": KEYS[0]}


def get(url: str, path: str, headers: dict | None = None, **params) -> httpx.Response:
    return httpx.get(url + path, params=params, headers=ONE if headers is None else headers,
                     timeout=20)


def test_every_analysis_row_is_a_route_answering_the_services_own_numbers(keyed_url):
    """GET /v1/exposure/<name>/SPY equals the service's answer for each table row."""
    service = demo_service()
    for ep in ENDPOINTS:
        if ep.kind != "analysis":
            continue
        response = get(keyed_url, ep.rest_path.replace("{symbol}", "SPY"))
        assert response.status_code == 200, (ep.name, response.text)
        own = anyio.run(lambda e=ep: service.call(e.name, symbol="SPY")).model_dump(mode="json")
        body = response.json()
        body = {**body.get("exposures", {}), **body}  # the summary's totals live under exposures
        moving = ("interpretation", "age_seconds")  # the age grows between the two calls
        if ep.name == "zero_dte":  # FlashAlpha's shape: expiration is the expiry answered
            assert body.pop("expiration") == own.pop("zero_dte_expiration") == body["zero_dte_expiration"]
            own.pop("expiration")
        assert {k: body[k] for k in own if k not in moving} == {
            k: v for k, v in own.items() if k not in moving}, ep.name


def test_levels_and_summary_carry_the_guides_nesting(keyed_url):
    """levels nests its levels; summary has regime, exposures, interpretation, hedging, zero_dte."""
    levels = get(keyed_url, "/v1/exposure/levels/SPX").json()
    assert levels["levels"]["call_wall"] == levels["call_wall"]
    assert set(levels["levels"]) == {"gamma_flip", "gamma_flip_status", "max_positive_gamma",
                                     "max_negative_gamma", "call_wall", "put_wall",
                                     "highest_oi_strike", "zero_dte_magnet"}
    summary = get(keyed_url, "/v1/exposure/summary/SPX").json()
    spot, flip = summary["underlying_price"], summary["gamma_flip"]
    assert summary["regime"] == ("unknown" if flip is None else
                                 "positive_gamma" if spot >= flip else "negative_gamma")
    assert not {"net_gex", "net_dex", "net_vex", "net_chex"} & set(summary)  # only under exposures
    own = anyio.run(lambda: demo_service().call("summary", symbol="SPX"))
    assert summary["exposures"] == {k: getattr(own, k) for k in ("net_gex", "net_dex", "net_vex", "net_chex")}
    assert set(summary["interpretation"]) == {"gamma", "vanna", "charm"}
    assert summary["interpretation_text"] == summary["interpretation"]["gamma"]
    up, down = summary["hedging_estimate"]["spot_up_1pct"], summary["hedging_estimate"]["spot_down_1pct"]
    # the guide's linear estimate: dealers trade -(net GEX x 1%) / spot shares, the same size both ways
    assert up["dealer_shares_to_trade"] == round(-own.net_gex / spot) == -down["dealer_shares_to_trade"]
    assert up["notional_usd"] == down["notional_usd"] == round(abs(own.net_gex))
    assert up["direction"] == ("sell" if own.net_gex > 0 else "buy") and down["direction"] != up["direction"]
    assert summary["dealer_hedge_up_1pct"] == own.dealer_hedge_up_1pct.model_dump()  # re-priced, beside it
    assert summary["zero_dte"] == {"net_gex": summary["zero_dte_net_gex"], "expiration": "2025-06-11",
                                   "pct_of_total_gex": summary["zero_dte_pct_of_total"]}


def test_query_parameters_filter_like_the_mcp_arguments(keyed_url):
    day = get(keyed_url, "/v1/exposure/gex/SPY", expiration="2025-06-11", min_oi="5000").json()
    assert day["expiration"] == "2025-06-11" and day["min_oi"] == 5000
    assert all(s["call_oi"] + s["put_oi"] >= 5000 for s in day["strikes"])
    hedging = get(keyed_url, "/v1/exposure/hedging/SPX", moves="-2,1").json()
    assert [s["move_pct"] for s in hedging["steps"]] == [-2, 1]
    repeated = httpx.get(keyed_url + "/v1/exposure/scan?symbols=SPY&symbols=IWM", headers=ONE).json()
    assert [r["symbol"] for r in repeated["rows"]] == ["SPY", "IWM"]


@pytest.mark.parametrize(("path", "params", "status", "error", "message"), [
    ("/v1/exposure/gex/SPY", {"min_oi": "-1"}, 400, "bad_request",
     "min_oi must be a whole number of contracts >= 0, got '-1'. Use 0 to keep every strike."),
    ("/v1/exposure/gex/SPY", {"foo": "1"}, 400, "bad_request",
     "gex has no argument 'foo'. It takes: symbol, expiration, min_oi, source, as_of."),
    ("/v1/exposure/gex/SPY", {"expiration": "2025-13-01"}, 400, "bad_request",
     "'2025-13-01' is not an expiration date. Use YYYY-MM-DD, e.g. '2026-12-18', or leave it "
     "out for all expirations."),
    ("/v1/exposure/levels/ZZZZ", {}, 404, "symbol_not_found",
     "No demo data for 'ZZZZ'. The demo source knows: AAPL, AMD, AMZN, IWM, META, MSFT, NDX, "
     "NVDA, QQQ, RUT, SPX, SPY, TSLA. Use source cboe for live delayed quotes."),
    ("/v1/exposure/summary/SPY", {"source": "flashalpha"}, 400, "not_configured",
     "Source flashalpha needs an API key: set FLASHALPHA_API_KEY, or use source cboe (free, no key)."),
    ("/v1/nowhere", {}, 404, "not_found", "No route /v1/nowhere. See /docs for the API."),
])
def test_errors_are_json_with_the_right_status(keyed_url, path, params, status, error, message):
    response = get(keyed_url, path, **params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": error, "message": message}


def test_every_configured_key_works_as_x_api_key_or_bearer_and_others_are_refused(keyed_url):
    path = "/v1/exposure/levels/SPY"
    assert get(keyed_url, path, {"X-Api-Key": KEYS[1]}).status_code == 200
    assert get(keyed_url, path, {"Authorization": f"Bearer {KEYS[0]}"}).status_code == 200
    missing = get(keyed_url, path, {})
    wrong = get(keyed_url, path, {"X-Api-Key": "nope"})
    mcp = httpx.post(keyed_url + "/mcp", json={}, headers={"X-Api-Key": "nope"})
    for refused in (missing, wrong, mcp):
        assert refused.status_code == 401
        assert refused.json()["message"] == ("Send one of the server's keys as 'X-Api-Key: <key>' "
                                             "or 'Authorization: Bearer <key>'.")
    assert (missing.json()["error"], wrong.json()["error"]) == ("unauthorized", "invalid_key")
    assert get(keyed_url, "/health", {}).status_code == 200  # liveness needs no key


def test_rate_limit_is_per_key_with_headers_and_retry_after(serve):
    """3 per minute: the 4th request of one key is 429; the other key still has its own 3."""
    with serve(demo_service(), keys=KEYS, rate_limit_per_minute=3) as url:
        first = [get(url, "/v1/exposure/levels/SPY") for _ in range(4)]
        other = get(url, "/v1/exposure/levels/SPY", {"X-Api-Key": KEYS[1]})
    assert [r.status_code for r in first] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in first] == ["2", "1", "0", "0"]
    assert all(r.headers["x-ratelimit-limit"] == "3" for r in first)
    refused = first[-1]
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 20  # one token every 20 s
    assert other.status_code == 200


def test_rest_checks_the_host_header_and_cors_is_off_unless_configured(keyed_url, serve):
    assert get(keyed_url, "/v1/exposure/levels/SPY", {**ONE, "Host": "evil.example"}).status_code == 421
    plain = get(keyed_url, "/v1/symbols", {**ONE, "Origin": "http://localhost:3000"})
    assert "access-control-allow-origin" not in plain.headers
    with serve(demo_service(), cors_origins=("http://localhost:3000",)) as url:
        allowed = get(url, "/v1/symbols", {"Origin": "http://localhost:3000"})
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_symbols_account_docs_and_chart(keyed_url):
    symbols = get(keyed_url, "/v1/symbols").json()
    listed = ["AAPL", "AMD", "AMZN", "IWM", "META", "MSFT", "NDX", "NVDA", "QQQ", "RUT", "SPX", "SPY", "TSLA"]
    assert {k: symbols[k] for k in ("source", "any_symbol", "symbols", "count")} == {
        "source": "demo", "any_symbol": False, "symbols": listed, "count": len(listed)}
    assert get(keyed_url, "/v1/account").json()["budgets"] == []  # the demo has no upstream
    docs = get(keyed_url, "/docs", {})
    assert docs.status_code == 200 and "GET /v1/exposure/gex/{symbol}" in docs.text
    chart = get(keyed_url, "/v1/exposure/chart/TSLA")
    assert chart.headers["content-type"] == "image/png" and chart.content.startswith(b"\x89PNG")


def test_rest_only_app_and_no_mcp(serve):
    with serve(demo_service(), mcp=False) as url:
        assert get(url, "/v1/exposure/levels/SPY", {}).status_code == 200
        assert httpx.post(url + "/mcp", json={}).status_code == 404


def test_a_public_bind_address_without_a_key_is_refused_before_serving():
    with pytest.raises(ConfigError) as info:
        run_server(demo_service(), ServeOptions(transport="rest", host="0.0.0.0"))
    assert str(info.value) == ("Refusing to serve on 0.0.0.0 without a key: anyone who can reach "
                               "it could call the API. Set GEX_HTTP_TOKEN, or bind 127.0.0.1.")


def test_json_bodies_hold_finite_numbers_only(keyed_url):
    body = get(keyed_url, "/v1/exposure/summary/TSLA").text
    assert "NaN" not in body and "Infinity" not in body
    assert math.isfinite(get(keyed_url, "/v1/exposure/summary/TSLA").json()["exposures"]["net_gex"])


class FailingSource:
    """An upstream that is down, or that rate-limits us, with nothing cached."""

    name = "cboe"

    def __init__(self, error) -> None:
        self.error = error

    async def fetch_chain(self, symbol: str):
        raise self.error


@pytest.mark.parametrize(("error", "status", "code", "retry_after"), [
    (SourceUnavailableError("cboe timed out after 10 s fetching SPY. Try again shortly."), 503,
     "upstream_unavailable", None),
    (RateLimitedError("cboe rate-limited the request for SPY (HTTP 429).", retry_after_seconds=12.2),
     429, "rate_limited", "13"),
    (SourceDataError("cboe sent an unreadable chain for SPY."), 502, "upstream_bad_data", None),
])
def test_upstream_failures_with_nothing_cached_are_json_with_their_status(
        serve, error, status, code, retry_after):
    service = GexService(sources={"cboe": FailingSource(error)}, default_source="cboe",
                         cache=ChainCache(None))
    with serve(service) as url:
        response = get(url, "/v1/exposure/levels/SPY", {})
    assert response.status_code == status
    assert response.json() == {"error": code, "message": str(error)}
    assert response.headers.get("retry-after") == retry_after


def test_stateless_mcp_answers_without_a_session(serve):
    """--stateless: tools/list works with no initialize and no session id (any replica)."""
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    with serve(demo_service(), stateless=True) as url:
        listed = httpx.post(url + "/mcp", headers=headers, timeout=20,
                            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    assert listed.status_code == 200, listed.text
    assert "mcp-session-id" not in listed.headers
    assert '"name":"gex"' in listed.text.replace(" ", "")


def test_an_idle_mcp_session_is_closed_and_its_id_refused(serve):
    """session_idle_seconds (GEX_SESSION_IDLE_SECONDS): a session left alone that long is
    gone (404 for its id, so the client re-initializes), while a busy one lives on."""
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    with serve(demo_service(), session_idle_seconds=1.0) as url, httpx.Client(timeout=20) as http:
        sessions = []
        for _ in range(2):
            opened = http.post(url + "/mcp", headers=headers, json=init)
            assert opened.status_code == 200, opened.text
            sessions.append({**headers, "mcp-session-id": opened.headers["mcp-session-id"]})
        for _ in range(4):  # the second session stays busy for 2 s, the first is left alone
            time.sleep(0.5)
            assert http.post(url + "/mcp", headers=sessions[1], json=listing).status_code == 200
        idle = http.post(url + "/mcp", headers=sessions[0], json=listing)
        busy = http.post(url + "/mcp", headers=sessions[1], json=listing)
    assert idle.status_code == 404
    assert busy.status_code == 200


def test_stateless_mcp_refuses_resources_subscribe_with_the_way_out(serve):
    """--stateless has no session to push notifications on: resources/subscribe is an error
    that says so and names the alternatives, not a silent success that never notifies."""
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    service = demo_service()
    with serve(service, stateless=True, watcher=Watcher(service)) as url:
        answer = httpx.post(url + "/mcp", headers=headers, timeout=20, json={
            "jsonrpc": "2.0", "id": 1, "method": "resources/subscribe",
            "params": {"uri": "gex://alerts"}})
    assert answer.status_code == 200, answer.text
    body = answer.text[answer.text.index("{"):]
    error = json.loads(body.splitlines()[0])["error"]
    assert "without sessions (--stateless)" in error["message"]
    assert "subscriptions/listen" in error["message"]


def test_every_json_answer_carries_endpoint_version_and_data_as_of(keyed_url):
    """As FlashAlpha's do: the server's version, and every feed key (the chain's time or null)."""
    feeds = {"node", "equity_feed", "equity_options_feed", "index_feed", "index_options_feed",
             "futures_feed", "futures_options_feed", "flow_feed", "oi_feed", "macro_feed"}
    paths = [ep.rest_path.replace("{symbol}", "SPY") for ep in ENDPOINTS
             if not ep.png and ep.kind not in ("scan", "basket")]
    paths += ["/v1/account", "/v1/symbols", "/v1/tickers", "/v1/maxpain/SPX", "/v1/options/SPY",
              "/stockquote/SPX"]
    for path in paths:
        body = get(keyed_url, path).json()
        assert body["endpoint_version"] == __version__, path
        assert set(body["data_as_of"]) == feeds, path
    for path in ("/v1/exposure/scan", "/v1/exposure/basket"):
        assert get(keyed_url, path, symbols="SPY,QQQ").json()["endpoint_version"] == __version__, path
    levels = get(keyed_url, "/v1/exposure/levels/SPX").json()
    spx = levels["data_as_of"]
    assert spx["index_feed"] == spx["oi_feed"] == levels["as_of"]
    assert spx["equity_feed"] is None and spx["macro_feed"] is None
    spy = get(keyed_url, "/v1/exposure/levels/SPY").json()["data_as_of"]
    assert spy["equity_options_feed"] is not None and spy["index_options_feed"] is None
