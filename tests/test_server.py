"""The MCP server in process: every tool, resource and prompt, in both client modes.

"auto" dispatches straight to the handlers; "legacy" runs the real JSON-RPC exchange over
in-memory streams. Numbers are checked against the service's own answers and against
independent sums over the strikes the tool returned.
"""

from __future__ import annotations

import base64
import json
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import PromptReference, ResourceTemplateReference

from gex_mcp import __version__
from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.engine.chain import OptionChain
from gex_mcp.mcp_server.compact import records
from gex_mcp.mcp_server.server import build_server
from gex_mcp.service import GexService, build_service
from gex_mcp.settings import Settings
from gex_mcp.sources.demo import DemoSource
from gex_mcp.store.cache import ChainCache
from tests.tool_calls import EVERY_TOOL_CALL  # noqa: E402

pytestmark = pytest.mark.anyio

# A Wednesday, mid-session in New York: the demo market lists 0DTE expiries.
FIXED_NOW = datetime(2025, 6, 11, 10, 30, tzinfo=NEW_YORK)
WAIT = 10  # seconds; a call on a demo chain takes tens of milliseconds

TOOL_NAMES = [ep.name for ep in ENDPOINTS]
DEMO_SYMBOLS_TEXT = "AAPL, AMD, AMZN, IWM, META, MSFT, NDX, NVDA, QQQ, RUT, SPX, SPY, TSLA"


class BrokenSource:
    """A source with a bug: anything but a GexError must be masked, never leaked."""

    name = "cboe"

    async def fetch_chain(self, symbol: str) -> OptionChain:
        raise RuntimeError("secret internal detail")


@pytest.fixture
def service() -> GexService:
    return GexService(
        sources={"demo": DemoSource(clock=lambda: FIXED_NOW), "cboe": BrokenSource()},
        default_source="demo", cache=ChainCache(None))


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@asynccontextmanager
async def connect(service: GexService, mode: str) -> AsyncIterator[Client]:
    async with Client(build_server(service), mode=mode, raise_exceptions=True) as client:
        yield client


async def call(client: Client, tool: str, **arguments):
    with anyio.fail_after(WAIT):
        return await client.call_tool(tool, arguments)


async def call_ok(client: Client, tool: str, **arguments) -> dict:
    result = await call(client, tool, **arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def error_text(result) -> str:
    assert result.is_error
    assert result.structured_content is None
    return result.content[0].text


# ---- listing --------------------------------------------------------------------------


async def test_tools_list_names_every_tool_with_title_description_schema_and_read_only_hint(
        service, mode):
    """tools/list: the snapshot of names, and each tool fully described for a model."""
    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT):
            tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == TOOL_NAMES
    for t in tools:
        assert t.title, t.name
        # Three sentences: what comes back (with units), when to use it, a fact about the data.
        lines = t.description.split("\n")
        assert len(lines) == 3 and all(x.endswith(".") and x == x.strip() for x in lines), t.name
        assert t.annotations.read_only_hint is True, t.name
        assert t.annotations.open_world_hint is True, t.name
        assert t.output_schema is not None and t.output_schema["type"] == "object", t.name
        props = t.input_schema["properties"]
        assert props["source" if "source" in props else "symbols"]["description"], t.name
        for name, prop in props.items():
            assert prop.get("description"), (t.name, name)


async def test_tool_input_schemas_carry_the_bounds(service, mode):
    """Bounds live in the schema, so a host can show them and bad values never reach us."""
    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT):
            tools = {t.name: t for t in (await client.list_tools()).tools}
    gex = tools["gex"].input_schema["properties"]
    assert gex["min_oi"]["minimum"] == 0
    assert gex["symbol"]["maxLength"] == 32
    assert gex["window_pct"]["default"] == 10.0
    sources = [s for s in gex["source"]["anyOf"] if "enum" in s][0]["enum"]
    assert sources == ["cboe", "flashalpha", "file", "demo"]
    symbols = tools["scan"].input_schema["properties"]["symbols"]
    assert (symbols["minItems"], symbols["maxItems"]) == (1, 1000)  # 25 from network sources
    assert tools["scan"].input_schema["required"] == ["symbols"]
    assert tools["gex_chart"].output_schema["properties"]["bars"] == {"$ref": "#/$defs/Table"}


async def test_instructions_state_sign_units_delay_and_advice_once(service, mode):
    async with connect(service, mode) as client:
        text = client.instructions
    for phrase in ("dealers long calls, short puts", "USD of dealer delta per 1% move",
                   "USD of delta per vol point", "USD of delta per calendar day",
                   "delayed about 15 minutes", "is_demo", "stale", "not investment advice",
                   "default source is demo"):
        assert phrase in text


# ---- per-strike exposures ----------------------------------------------------------------
#
# Tools return the service's answers reshaped for an agent (gex_mcp.mcp_server.compact): record lists as
# {"columns", "rows"} tables, amounts to 4 significant figures (relative error <= 5e-4).

SIG4 = 5e-4


def same(value, expected, key="") -> None:
    """`value` is `expected` as the agent sees it: floats to 4 significant figures,
    percentages (`*_pct`) to 3 decimals."""
    if isinstance(expected, float) and isinstance(value, (int, float)):
        places = 0.0005 + 1e-12 if key.endswith("_pct") else 1e-9
        assert math.isclose(value, expected, rel_tol=SIG4, abs_tol=places), (key, value, expected)
    elif isinstance(expected, dict):
        assert set(value) >= set(expected), key
        for k in expected:
            same(value[k], expected[k], f"{key}.{k}")
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        got = records(value) if isinstance(value, dict) else value
        assert len(got) == len(expected), key
        for i, (g, x) in enumerate(zip(got, expected)):
            same(g, {k: v for k, v in x.items() if not k.endswith("_label")}, f"{key}[{i}]")
    else:
        assert value == expected, (key, value, expected)


def ageless(answer) -> dict:
    """`answer` (a model or its JSON) without `age_seconds`, which grows between two reads."""
    data = answer if isinstance(answer, dict) else answer.model_dump(mode="json")
    return {k: v for k, v in data.items() if k != "age_seconds"}


def same_answer(data: dict, answer) -> None:
    """Every field of the service's `answer` is in the tool's `data` (strike lists aside)."""
    full = answer.model_dump(mode="json")
    same({k: v for k, v in data.items() if k != "strikes"},
         {k: v for k, v in full.items() if k != "strikes"})
    if "strikes" in full:
        by_strike = {s["strike"]: s for s in full["strikes"]}
        same(data["strikes"], [by_strike[s["strike"]] for s in records(data["strikes"])], "strikes")


async def test_gex_with_all_strikes_lists_every_strike_and_totals_equal_their_sum(service, mode):
    """strikes='all': every strike; net, call and put GEX equal sums over them (to 4 figures)."""
    async with connect(service, mode) as client:
        data = await call_ok(client, "gex", symbol="SPY", strikes="all")
    same_answer(data, await service.gex("SPY"))
    rows = records(data["strikes"])
    assert data["strikes_listed"] == "all" and data["strikes_omitted"] == 0
    assert data["window_pct"] is None and data["strikes_total"] == len(rows) > 100
    gross = sum(abs(s["call_gex"]) + abs(s["put_gex"]) for s in rows)
    for key in ("net_gex", "call_gex", "put_gex"):
        assert math.isclose(data[key], sum(s[key] for s in rows), abs_tol=SIG4 * gross)
    assert data["call_gex"] > 0 > data["put_gex"]  # dealers long calls, short puts
    assert data["is_demo"] is True and data["source"] == "demo"


async def test_gex_default_lists_the_key_strikes_largest_and_nearest_spot(service, mode):
    """Default: the 10 largest |net GEX| strikes and the 10 nearest spot, in strike order."""
    async with connect(service, mode) as client:
        key = await call_ok(client, "gex", symbol="SPY")
    full = (await service.gex("SPY")).strikes
    spot = key["underlying_price"]
    largest = {s.strike for s in sorted(full, key=lambda s: -abs(s.net_gex))[:10]}
    nearest = {s.strike for s in sorted(full, key=lambda s: abs(s.strike - spot))[:10]}
    listed = [s["strike"] for s in records(key["strikes"])]
    assert listed == sorted(largest | nearest)
    assert key["strikes_listed"] == "key"
    assert key["strikes_omitted"] == len(full) - len(listed) > 0
    same_answer(key, await service.gex("SPY"))


async def test_gex_window_keeps_strikes_within_the_window_and_whole_chain_totals(service, mode):
    async with connect(service, mode) as client:
        near = await call_ok(client, "gex", symbol="SPY", strikes="window")
        narrow = await call_ok(client, "gex", symbol="SPY", strikes="window", window_pct=2)
    full = (await service.gex("SPY")).strikes
    spot = near["underlying_price"]
    for data, pct in ((near, 10.0), (narrow, 2)):
        expected = [s.strike for s in full if spot * (1 - pct / 100) <= s.strike <= spot * (1 + pct / 100)]
        assert [s["strike"] for s in records(data["strikes"])] == expected
        assert data["window_pct"] == pct and data["strikes_omitted"] == len(full) - len(expected) > 0
    assert near["net_gex"] == narrow["net_gex"]


async def test_gex_expiration_and_min_oi_filter_the_chain(service, mode):
    async with connect(service, mode) as client:
        day = await call_ok(client, "gex", symbol="SPY", expiration="2025-06-11", strikes="all")
        big = await call_ok(client, "gex", symbol="SPY", min_oi=5000, strikes="all")
    assert day["expiration"] == "2025-06-11"
    same_answer(day, await service.gex("SPY", expiration="2025-06-11"))
    assert big["min_oi"] == 5000
    assert all(s["call_oi"] + s["put_oi"] >= 5000 for s in records(big["strikes"]))


@pytest.mark.parametrize(("tool", "key"), [("dex", "net_dex"), ("vex", "net_vex"),
                                           ("chex", "net_chex")])
async def test_dex_vex_chex_totals_equal_the_sum_over_strikes(service, mode, tool, key):
    async with connect(service, mode) as client:
        everything = await call_ok(client, tool, symbol="QQQ", strikes="all")
        near = await call_ok(client, tool, symbol="QQQ", strikes="window", window_pct=5)
    same_answer(everything, await getattr(service, tool)("QQQ"))
    rows = records(everything["strikes"])
    gross = sum(abs(s[f"call_{tool}"]) + abs(s[f"put_{tool}"]) for s in rows)
    assert math.isclose(everything[key], sum(s[key] for s in rows), abs_tol=SIG4 * gross + 1e-6)
    spot = near["underlying_price"]
    assert all(spot * 0.95 <= s["strike"] <= spot * 1.05 for s in records(near["strikes"]))
    assert near[key] == everything[key]


async def test_answers_are_compact_json_text_equal_to_the_structured_content(service, mode):
    """The text content is the structured content without indentation: nothing lost, little paid."""
    async with connect(service, mode) as client:
        for tool, args in EVERY_TOOL_CALL.items():
            result = await call(client, tool, **args)
            text = result.content[-1].text
            assert json.loads(text) == result.structured_content, tool
            minimal = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
            assert len(text) == len(minimal), tool  # no indentation, no spaces between tokens


# ---- levels, summary and derived answers ----------------------------------------------


async def test_levels_walls_are_the_extreme_strikes_of_the_gex_profile(service, mode):
    async with connect(service, mode) as client:
        levels = await call_ok(client, "levels", symbol="SPX")
        gex = await call_ok(client, "gex", symbol="SPX", strikes="all")
    own = (await service.levels("SPX")).model_dump(mode="json")
    assert ageless(levels) == ageless(own)
    strikes = (await service.gex("SPX")).strikes  # full precision: ties must not be rounded away
    assert len(strikes) == gex["strikes_total"]
    assert levels["call_wall"] == max(strikes, key=lambda s: s.call_gex).strike
    assert levels["put_wall"] == min(strikes, key=lambda s: s.put_gex).strike
    assert levels["max_positive_gamma"] == max(strikes, key=lambda s: s.net_gex).strike
    assert levels["highest_oi_strike"] == max(strikes, key=lambda s: s.call_oi + s.put_oi).strike
    assert levels["gamma_flip_status"] == "ok"
    assert levels["gamma_flip"] < levels["underlying_price"]  # SPX: positive gamma in the demo
    assert levels["zero_dte_magnet"] is not None  # a Wednesday session lists 0DTE


async def test_summary_agrees_with_gex_levels_and_its_own_breakdown(service, mode):
    async with connect(service, mode) as client:
        summary = await call_ok(client, "summary", symbol="SPY")
        gex = await call_ok(client, "gex", symbol="SPY")
        levels = await call_ok(client, "levels", symbol="SPY")
    same_answer(summary, await service.summary("SPY"))
    assert summary["net_gex"] == gex["net_gex"]
    assert (summary["call_wall"], summary["put_wall"]) == (levels["call_wall"], levels["put_wall"])
    assert summary["gamma_regime"] == "positive_gamma"
    breakdown = records(summary["expiry_breakdown"])
    gross = sum(abs(e["net_gex"]) for e in breakdown)
    assert math.isclose(sum(e["net_gex"] for e in breakdown), summary["net_gex"],
                        abs_tol=SIG4 * gross)


async def test_summary_carries_the_linear_and_the_repriced_hedging_estimates(service, mode):
    """Linear (the guide's): dealers trade -net GEX x 1% / spot shares, the same size both ways.
    Re-priced: dealer delta at spot ±1% with IV fixed, so the sides differ by convexity."""
    async with connect(service, mode) as client:
        summary = await call_ok(client, "summary", symbol="SPY")
    spot, net = summary["underlying_price"], summary["net_gex"]  # MCP answers keep 4 figures
    up, down = summary["linear_hedge_up_1pct"], summary["linear_hedge_down_1pct"]
    assert up["dealer_shares_to_trade"] == pytest.approx(-net / spot, rel=2e-3)
    assert up["dealer_shares_to_trade"] == -down["dealer_shares_to_trade"]
    assert up["notional_usd"] == down["notional_usd"] == pytest.approx(abs(net), rel=2e-3)
    assert (up["new_spot"], down["new_spot"]) == pytest.approx((spot * 1.01, spot * 0.99), rel=1e-3)
    again_up, again_down = summary["dealer_hedge_up_1pct"], summary["dealer_hedge_down_1pct"]
    assert again_up["dealer_shares_to_trade"] != -again_down["dealer_shares_to_trade"]  # convexity
    assert (again_up["dealer_shares_to_trade"] < 0) == (up["dealer_shares_to_trade"] < 0)


async def test_regime_and_flip_distance_follow_from_spot_and_flip(service, mode):
    async with connect(service, mode) as client:
        up = await call_ok(client, "regime", symbol="SPY")
        down = await call_ok(client, "regime", symbol="IWM")
        dist = await call_ok(client, "flip_distance", symbol="IWM")
    same_answer(up, await service.regime("SPY"))
    assert up["gamma_regime"] == "positive_gamma" and up["gamma_flip"] < up["underlying_price"]
    assert down["gamma_regime"] == "negative_gamma"
    assert down["gamma_flip"] > down["underlying_price"]
    spot, flip = dist["underlying_price"], dist["gamma_flip"]
    # reported to 0.001% (and the flip to the cent)
    assert math.isclose(dist["flip_above_spot_pct"], (flip - spot) / spot * 100, abs_tol=5e-3)
    # one sign convention for every level: the level minus spot (+ = the level above spot)
    assert math.isclose(dist["call_wall_above_spot_pct"],
                        (dist["call_wall"] - spot) / spot * 100, abs_tol=1e-3)
    assert math.isclose(dist["put_wall_above_spot_pct"],
                        (dist["put_wall"] - spot) / spot * 100, abs_tol=1e-3)


async def test_expiry_breakdown_shares_add_up_to_100_percent(service, mode):
    async with connect(service, mode) as client:
        data = await call_ok(client, "expiry_breakdown", symbol="SPX")
    same_answer(data, await service.expiry_breakdown("SPX"))
    # the agent's answer rounds each percentage to 3 decimals (compact.PERCENT_DECIMALS)
    assert math.isclose(data["zero_dte_pct"] + data["weekly_pct"] + data["monthly_pct"], 100,
                        abs_tol=3 * 0.0005)
    expiries = records(data["expiries"])
    assert math.isclose(sum(e["share_of_gross_gex_pct"] for e in expiries), 100,
                        abs_tol=0.0005 * len(expiries))
    assert expiries[0]["kind"] == "0dte"


async def test_oi_changes_come_from_the_sources_previous_open_interest(service, mode):
    async with connect(service, mode) as client:
        data = await call_ok(client, "oi_changes", symbol="SPY")
    same_answer(data, await service.oi_changes("SPY"))
    movers = records(data["movers"])
    assert data["oi_change_known"] is True and movers
    for m in movers:
        assert m["total_abs_change"] == abs(m["call_oi_change"]) + abs(m["put_oi_change"])


async def test_scan_returns_rows_in_order_and_flags_negative_gamma(service, mode):
    async with connect(service, mode) as client:
        data = await call_ok(client, "scan", symbols=["SPY", "iwm", "QQQ", "TSLA"])
        iwm = await call_ok(client, "regime", symbol="IWM")
    rows = records(data["rows"])
    assert [r["symbol"] for r in rows] == ["SPY", "IWM", "QQQ", "TSLA"]
    assert data["negative_gamma"] == ["IWM", "TSLA"] and data["failed"] == []
    row = rows[1]
    assert (row["gamma_flip"], row["net_gex"]) == (iwm["gamma_flip"], iwm["net_gex"])
    assert row["below_flip"] is True and data["near_wall_pct"] == 1.0


async def test_scan_keeps_going_when_one_symbol_fails(service, mode):
    async with connect(service, mode) as client:
        data = await call_ok(client, "scan", symbols=["SPY", "NOPE"], near_wall_pct=2.5)
    rows = records(data["rows"])
    assert data["failed"] == ["NOPE"]
    assert rows[1]["error"] == (
        f"UnknownSymbolError: No demo data for 'NOPE'. The demo source knows: "
        f"{DEMO_SYMBOLS_TEXT}. Use source cboe for live delayed quotes.")
    assert rows[0]["error"] is None and data["near_wall_pct"] == 2.5


async def test_a_big_local_scan_lists_the_flagged_rows_first_and_counts_the_rest(service, mode):
    """40 symbols on the demo source (over the network limit of 25): the agent reads at most
    25 rows, those below the flip or near a wall first, then failures, in the order asked;
    negative_gamma and failed still name every symbol."""
    from gex_mcp.mcp_server.compact import MAX_SCAN_ROWS
    from gex_mcp.sources.demo import DEMO_SYMBOLS

    unknown = [f"ZZ{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(40 - len(DEMO_SYMBOLS))]
    watchlist = [*unknown[:5], *DEMO_SYMBOLS, *unknown[5:]]
    async with connect(service, mode) as client:
        data = await call_ok(client, "scan", symbols=watchlist, near_wall_pct=2.0)
    full = (await service.scan(watchlist, near_wall_pct=2.0)).rows
    flagged = [r.symbol for r in full if r.below_flip or r.near_call_wall or r.near_put_wall]
    failed = [r.symbol for r in full if r.error]
    assert flagged and len(failed) == len(unknown)
    listed = [r["symbol"] for r in records(data["rows"])]
    assert listed == (flagged + failed)[:MAX_SCAN_ROWS]
    assert (data["rows_total"], data["rows_omitted"]) == (40, 40 - MAX_SCAN_ROWS)
    assert data["failed"] == failed
    assert data["negative_gamma"] == [r.symbol for r in full if r.gamma_regime == "negative_gamma"]


# ---- chart ----------------------------------------------------------------------------


async def test_gex_chart_returns_a_png_and_the_numbers_it_draws(service, mode):
    async with connect(service, mode) as client:
        result = await call(client, "gex_chart", symbol="SPY", window_pct=5)
        levels = await call_ok(client, "levels", symbol="SPY")
        gex = await call_ok(client, "gex", symbol="SPY", strikes="window", window_pct=5)
    assert not result.is_error
    image, text = result.content
    assert image.type == "image" and image.mime_type == "image/png"
    assert base64.b64decode(image.data).startswith(b"\x89PNG\r\n\x1a\n")
    info = result.structured_content
    assert json.loads(text.text) == info
    assert (info["call_wall"], info["put_wall"]) == (levels["call_wall"], levels["put_wall"])
    assert (info["gamma_flip"], info["net_gex"]) == (gex["gamma_flip"], gex["net_gex"])
    assert info["strikes_shown"] == len(gex["strikes"]["rows"])  # same ±5% window as gex
    assert info["strikes_shown"] + info["strikes_hidden"] == gex["strikes_total"]
    assert info["is_demo"] is True and info["window_pct"] == 5


# ---- resources and prompts ------------------------------------------------------------


async def test_resources_serve_levels_summary_and_conventions(service, mode):
    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT):
            templates = (await client.list_resource_templates()).resource_templates
            static = (await client.list_resources()).resources
            levels = (await client.read_resource("gex://SPY/levels")).contents[0]
            summary = (await client.read_resource("gex://qqq/summary")).contents[0]
            conventions = (await client.read_resource("gex://conventions")).contents[0]
    assert [t.uri_template for t in templates] == [
        "gex://{symbol}/levels", "gex://{symbol}/summary"]
    assert sorted(str(r.uri) for r in static) == ["gex://conventions", "ui://gex/dashboard"]
    assert levels.mime_type == "application/json"
    assert ageless(json.loads(levels.text)) == ageless(await service.levels("SPY"))
    assert ageless(json.loads(summary.text)) == ageless(await service.summary("QQQ"))
    assert conventions.mime_type == "text/markdown"
    assert "USD of dealer delta per 1% move in spot" in conventions.text
    assert "long_calls_short_puts" in conventions.text


async def test_resource_for_an_unknown_symbol_is_a_not_found_error(service, mode):
    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT), pytest.raises(MCPError) as info:
            await client.read_resource("gex://XYZ/levels")
        assert (await call_ok(client, "levels", symbol="SPY"))["symbol"] == "SPY"
    assert info.value.error.code == -32602
    assert info.value.error.message == (
        f"UnknownSymbolError: No demo data for 'XYZ'. The demo source knows: "
        f"{DEMO_SYMBOLS_TEXT}. Use source cboe for live delayed quotes.")


async def test_prompts_ask_for_the_right_tools(service, mode):
    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT):
            prompts = {p.name: p for p in (await client.list_prompts()).prompts}
            brief = await client.get_prompt("dashboard_brief", {"symbol": "spx"})
            scan = await client.get_prompt("watchlist_scan", {"symbols": "spy, QQQ,,iwm"})
            robust = await client.get_prompt("flip_robustness", {"symbol": "spy"})
    assert sorted(prompts) == ["dashboard_brief", "expiry_brief", "flip_robustness", "watchlist_scan"]
    assert "Call the flip_sensitivity tool for SPY" in robust.messages[0].content.text
    assert prompts["dashboard_brief"].arguments[0].required is True
    assert prompts["watchlist_scan"].arguments[0].description
    text = brief.messages[0].content.text
    for tool in ("summary", "levels", "gex_chart"):
        assert f"the {tool} tool for SPX" in text
    assert "Call the scan tool with symbols ['SPY', 'QQQ', 'IWM']." in scan.messages[0].content.text


async def test_completions_offer_the_sources_symbols_and_the_symbols_expirations(service, mode):
    """symbol completes from the demo's own list, a watchlist's last ticker, expiration from
    the symbol's listed dates; an unknown symbol completes to nothing."""
    brief = PromptReference(type="ref/prompt", name="dashboard_brief")
    template = ResourceTemplateReference(type="ref/resource", uri="gex://{symbol}/levels")
    expiry = PromptReference(type="ref/prompt", name="expiry_brief")
    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT):
            sym = (await client.complete(brief, {"name": "symbol", "value": "a"})).completion
            res = (await client.complete(template, {"name": "symbol", "value": "S"})).completion
            watch = (await client.complete(PromptReference(type="ref/prompt", name="watchlist_scan"),
                                           {"name": "symbols", "value": "SPY, QQ"})).completion
            dates = (await client.complete(expiry, {"name": "expiration", "value": "2025-06-1"},
                                           {"symbol": "SPY"})).completion
            none = (await client.complete(expiry, {"name": "expiration", "value": ""},
                                          {"symbol": "NOPE"})).completion
    assert sym.values == ["AAPL", "AMD", "AMZN"]  # the demo market's A-names, not every ticker
    assert res.values == ["SPX", "SPY"]
    assert watch.values == ["SPY, QQQ"]
    listed = [e.expiration for e in (await service.call("expirations", symbol="SPY")).expirations]
    assert dates.values == [d for d in listed if d.startswith("2025-06-1")] and dates.values
    assert none.values == []


async def test_symbol_completion_for_any_symbol_sources_offers_liquid_names():
    """A source that answers any symbol (cboe) suggests the built-in liquid list."""
    svc = GexService(sources={"cboe": BrokenSource()}, default_source="cboe", cache=ChainCache(None))
    assert svc.symbol_candidates("NV") == ["NVDA"]
    assert svc.symbol_candidates("^sp") == ["SPY", "SPX"]


async def test_watchlist_prompt_refuses_more_than_25_symbols(service, mode):
    symbols = ",".join(f"S{i}" for i in range(26))
    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT), pytest.raises(MCPError) as info:
            await client.get_prompt("watchlist_scan", {"symbols": symbols})
    assert info.value.error.code == -32602
    assert info.value.error.message == "26 tickers given; the limit is 25. Split the watchlist."


# ---- errors ---------------------------------------------------------------------------


async def test_bad_arguments_are_tool_errors_and_the_server_keeps_answering(service, mode):
    """Each bad input comes back as is_error with text the model can act on."""
    async with connect(service, mode) as client:
        assert error_text(await call(client, "levels", symbol="XYZ")) == (
            "Error executing tool levels: UnknownSymbolError: No demo data for 'XYZ'. The demo "
            f"source knows: {DEMO_SYMBOLS_TEXT}. Use source cboe for live delayed quotes.")
        assert error_text(await call(client, "gex", symbol="SPY", expiration="2025-13-45")) == (
            "Error executing tool gex: InvalidExpiryError: '2025-13-45' is not an expiration "
            "date. Use YYYY-MM-DD, e.g. '2026-12-18', or leave it out for all expirations.")
        assert error_text(await call(client, "gex", symbol="SPY", expiration="2025-06-06")) == (
            "Error executing tool gex: InvalidExpiryError: Expiration 2025-06-06 is in the past "
            "for the SPY snapshot of 2025-06-11. Listed expirations start at 2025-06-11.")
        assert error_text(await call(client, "gex", symbol="SPY", expiration="2025-06-14")) == (
            "Error executing tool gex: InvalidExpiryError: SPY has no options expiring "
            "2025-06-14. Nearest listed: 2025-06-12, 2025-06-13, 2025-06-16, 2025-06-17, "
            "2025-06-18.")
        assert error_text(await call(client, "gex", symbol="../../etc/passwd")) == (
            "Error executing tool gex: UnknownSymbolError: '../../etc/passwd' is not a ticker "
            "symbol. Use letters only, e.g. 'SPY' or 'SPX'.")
        assert error_text(await call(client, "summary", symbol="SPY", source="flashalpha")) == (
            "Error executing tool summary: ConfigError: Source flashalpha needs an API key: set "
            "FLASHALPHA_API_KEY, or use source cboe (free, no key).")
        assert error_text(await call(client, "levels", symbol="SPY", source="file")) == (
            "Error executing tool levels: ConfigError: Source file is not configured. Set "
            "GEX_CHAINS_DIR to a folder of chain files.")

        assert (await call_ok(client, "levels", symbol="SPY"))["symbol"] == "SPY"


@pytest.mark.parametrize(("tool", "arguments", "message"), [
    ("gex", {"symbol": "SPY", "min_oi": -5},
     "min_oi must be a whole number of contracts >= 0, got -5. Use 0 to keep every strike."),
    ("gex", {"symbol": "SPY", "strikes": "window", "window_pct": 1000},
     "window_pct must be a percent above 0 and at most 100, got 1000. "
     "Example: 20 for strikes within ±20% of spot."),
    ("scan", {"symbols": [f"S{i}" for i in range(1001)]},
     "symbols must be a list of 1 to 25 tickers (1000 with source file or demo), got a list of "
     "1001. Example: ['SPY', 'QQQ', 'IWM']; split a longer watchlist into several scans."),
    ("scan", {"symbols": []},
     "symbols must be a list of 1 to 25 tickers (1000 with source file or demo), got a list of "
     "0. Example: ['SPY', 'QQQ', 'IWM']; split a longer watchlist into several scans."),
    ("scan", {"symbols": [f"S{i}" for i in range(30)], "source": "cboe"},
     "The watchlist has 30 symbols; the limit is 25 (source cboe fetches each one upstream; "
     "file and demo allow 1000). Split it into several scans."),
    ("levels", {"symbol": "SPY", "source": "nope"},
     "source must be one of cboe, flashalpha, file, demo, got 'nope'. "
     "Example: 'cboe'; leave it out for the server default."),
    ("gex_chart", {"symbol": "SPY", "window_pct": 80},
     "window_pct must be a percent above 0 and at most 50, got 80. Example: 10."),
    ("regime", {}, "symbol is required: a ticker of 1 to 32 characters. Example: 'SPY' or 'SPX'."),
    ("expirations", {"symbol": "SPY", "expiration": "2025-06-13"},
     "expirations has no argument 'expiration'. It takes: symbol, source, as_of."),
    ("gex", {"symbol": "SPY", "strikes": "some"},
     "strikes must be one of key, window, all, got 'some'. Example: 'all' to list every strike."),
    ("scan", {"symbols": ["SPY", "A" * 40]},
     f"symbols[1] must be a ticker of 1 to 32 characters, got '{'A' * 33}...'. "
     "Example: 'SPY' or 'SPX'."),
])
async def test_bad_arguments_get_one_sentence_naming_the_argument_range_and_an_example(
        service, mode, tool, arguments, message):
    """Out-of-range, missing and unknown arguments: an InputError the model can act on."""
    async with connect(service, mode) as client:
        assert error_text(await call(client, tool, **arguments)) == (
            f"Error executing tool {tool}: InputError: {message}")
        assert (await call_ok(client, "levels", symbol="SPY"))["symbol"] == "SPY"


async def test_levels_of_one_expiration_come_from_that_expirations_strikes(service, mode):
    """levels(expiration=...) is the 0DTE's own walls, not the whole chain's."""
    async with connect(service, mode) as client:
        day = await call_ok(client, "levels", symbol="SPY", expiration="2025-06-11")
        whole = await call_ok(client, "levels", symbol="SPY")
    strikes = (await service.gex("SPY", expiration="2025-06-11")).strikes
    assert day["expiration"] == "2025-06-11" and whole["expiration"] is None
    assert day["call_wall"] == max(strikes, key=lambda s: s.call_gex).strike
    assert day["put_wall"] == min(strikes, key=lambda s: s.put_gex).strike
    assert day["gamma_flip"] != whole["gamma_flip"]


async def test_initialize_reports_the_server_version(service, mode):
    async with connect(service, mode) as client:
        info = client.server_info
        assert info is not None
        assert (info.name, info.version) == ("gex-mcp", __version__)


async def test_a_bug_is_masked_for_the_model_and_logged_with_its_traceback(
        service, mode, caplog: pytest.LogCaptureFixture):
    """A non-GexError never leaks its text to the client and never stops the server."""
    caplog.set_level(logging.ERROR, logger="gex_mcp.mcp_server.server")
    async with connect(service, mode) as client:
        assert error_text(await call(client, "levels", symbol="SPY", source="cboe")) == (
            "Error executing tool levels")
        assert (await call_ok(client, "regime", symbol="SPY"))["symbol"] == "SPY"
    ours = [r for r in caplog.records if r.name == "gex_mcp.mcp_server.server"]
    assert [r.getMessage() for r in ours] == ["tool levels failed unexpectedly"]
    assert ours[0].exc_info[0] is RuntimeError


async def test_server_built_from_settings_answers_on_the_demo_source(tmp_path: Path, mode):
    """The production wiring (SQLite cache and history in a temp data dir) behind the tools."""
    service = build_service(Settings(source="demo", data_dir=tmp_path))
    try:
        async with connect(service, mode) as client:
            levels = await call_ok(client, "levels", symbol="SPY")
            scan = await call_ok(client, "scan", symbols=["SPY", "QQQ"])
    finally:
        await service.aclose()
    assert levels["is_demo"] is True and levels["stale"] is False
    assert [r["symbol"] for r in records(scan["rows"])] == ["SPY", "QQQ"]
    assert (tmp_path / "gex.db").exists()


async def test_look_alike_unicode_and_huge_numbers_are_refused_cleanly(service, mode):
    """'ſpy' is not SPY; min_oi of 2^64 filters everything out instead of crashing."""
    async with connect(service, mode) as client:
        assert error_text(await call(client, "levels", symbol="ſpy")) == (
            "Error executing tool levels: UnknownSymbolError: 'ſpy' is not a ticker symbol. "
            "Use letters only, e.g. 'SPY' or 'SPX'.")
        huge = error_text(await call(client, "gex", symbol="SPY", min_oi=2**64))
        assert huge.startswith("Error executing tool gex: NoDataError: No SPY options with open "
                               "interest and a usable IV")
        with pytest.raises(MCPError):
            await client.get_prompt("dashboard_brief", {"symbol": "S" * 3_000_000})


async def test_scan_reports_progress_per_symbol(service, mode):
    """A client that asks for progress hears once per finished symbol, ending at the total."""
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT):
            result = await client.call_tool("scan", {"symbols": ["SPY", "QQQ", "NOPE"]},
                                            progress_callback=on_progress)
    assert not result.is_error
    assert seen == [(1, 3, "1 of 3 symbols"), (2, 3, "2 of 3 symbols"), (3, 3, "3 of 3 symbols")]


async def test_look_alike_letters_never_become_a_ticker_in_prompts_scan_or_completions(service, mode):
    """'ſpy' upper-cases to 'SPY' in Python: prompts refuse it, a scan row keeps its own name
    (not a failed 'SPY' beside the real one), and it completes to nothing."""
    brief = PromptReference(type="ref/prompt", name="dashboard_brief")
    async with connect(service, mode) as client:
        with anyio.fail_after(WAIT):
            with pytest.raises(MCPError) as refused:
                await client.get_prompt("dashboard_brief", {"symbol": "ſpy"})
            with pytest.raises(MCPError):
                await client.get_prompt("watchlist_scan", {"symbols": "QQQ, ſpy"})
            scan = await call_ok(client, "scan", symbols=["SPY", "ſpy"])
            completed = (await client.complete(brief, {"name": "symbol", "value": "ſ"})).completion
    assert refused.value.error.message == ("'ſpy' is not a ticker symbol. Use letters only, "
                                           "e.g. 'SPY' or 'SPX'.")
    rows = records(scan["rows"])
    assert [r["symbol"] for r in rows] == ["SPY", "ſpy"]
    assert rows[0]["error"] is None and rows[1]["error"].startswith("UnknownSymbolError")
    assert scan["failed"] == ["ſpy"]
    assert completed.values == []
