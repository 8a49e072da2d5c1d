"""The endpoint table drives every front end: MCP tools, CLI commands, service methods, backends.

The tools/list snapshot (`tests/snapshots/tools_list.json`) makes any change to a tool's
name, title, description or schema show up as a diff in review. Regenerate it deliberately
with `UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_endpoints.py`.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import anyio
import pytest
import typer
from mcp import Client

from gex_mcp.backends.flashalpha import FlashAlphaBackend
from gex_mcp.cli import app
from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.errors import InputError
from gex_mcp.mcp_server.compact import StrikeSelection, agent_model
from gex_mcp.mcp_server.server import build_server
from gex_mcp.service import GexService, build_service
from gex_mcp.settings import Settings
from gex_mcp.sources.demo import DemoSource
from gex_mcp.sources.flashalpha import FlashAlphaClient
from gex_mcp.store.cache import ChainCache
from tests.sources.loopback import DEFAULT_API_KEY, Fault, build_flashalpha_answer
from tests.test_server import FIXED_NOW

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools_list.json"
SRC = Path(__file__).resolve().parents[1] / "src" / "gex_mcp"


def demo_service() -> GexService:
    return GexService(sources={"demo": DemoSource(clock=lambda: FIXED_NOW)}, default_source="demo",
                      cache=ChainCache(None))


async def listed_tools() -> list[dict]:
    async with Client(build_server(demo_service()), mode="legacy") as client:
        with anyio.fail_after(10):
            tools = (await client.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


@pytest.mark.anyio
async def test_tools_list_matches_the_reviewed_snapshot():
    """Every tool's name, title, description, annotations and schemas equal the snapshot."""
    tools = await listed_tools()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(tools, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert tools == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


@pytest.mark.anyio
async def test_tools_are_the_table_rows_in_order_with_their_titles_and_descriptions():
    """One tool per row: same name, title and three-sentence description."""
    tools = await listed_tools()
    assert [(t["name"], t["title"], t["description"]) for t in tools] == [
        (ep.name, ep.title, "\n".join(ep.description)) for ep in ENDPOINTS]
    for ep, tool in zip(ENDPOINTS, tools):
        assert list(tool["inputSchema"]["properties"]) == [a.name for a in ep.args], ep.name
        assert set(tool["inputSchema"].get("required", [])) == {a.name for a in ep.args if a.required}


def test_every_row_is_a_cli_command_with_the_rows_options():
    """`gex-mcp <command>` exists per row; its options are the rows' CLI flags."""
    group = typer.main.get_command(app)
    for ep in ENDPOINTS:
        command = group.commands[ep.command]
        options = {opt for p in command.params for opt in p.opts if opt.startswith("-")}
        positional = [p.name for p in command.params if not p.opts[0].startswith("-")]
        assert {a.cli_flag for a in ep.cli_args if a.cli_flag} <= options, ep.name
        assert positional == [a.name for a in ep.cli_args if a.cli_flag is None], ep.name
        assert ("--json" in options) == (not ep.png), ep.name
    assert set(group.commands) == {ep.command for ep in ENDPOINTS} | {"serve", "dashboard", "watch"}


def test_flashalpha_backend_answers_exactly_the_rows_that_name_it():
    """The table's `backends` and the FlashAlpha backend agree on what FlashAlpha answers."""
    backend = FlashAlphaBackend(FlashAlphaClient("k"), ChainCache(None))
    named = {ep.name for ep in ENDPOINTS if ep.kind == "analysis" and "flashalpha" in ep.backends}
    assert backend.answers == named


def test_chain_rows_have_a_builder_and_per_strike_rows_a_windowed_model():
    """Rows the engine answers say how; per-strike rows add the window facts to their response."""
    for ep in ENDPOINTS:
        if ep.kind == "analysis" and "chains" in ep.backends:
            assert ep.build is not None, ep.name
            assert list(inspect.signature(ep.build).parameters) == ["a", "prov", "ctx"], ep.name
        if ep.per_strike:
            assert issubclass(agent_model(ep.response, True), StrikeSelection), ep.name
            assert f"net_{ep.name}" in ep.response.model_fields["strikes"].annotation.__args__[0].model_fields


def test_service_has_a_method_per_analysis_row_with_the_rows_arguments():
    """`service.<name>(...)` exists for every analysis row, arguments in table order."""
    for ep in ENDPOINTS:
        if ep.kind != "analysis":
            continue
        method = getattr(GexService, ep.name)
        params = list(inspect.signature(method).parameters)[1:]
        assert params == [a.name for a in ep.service_args], ep.name


def test_the_engine_holds_no_text_formatting_module():
    """Amount labels live beside the response models, not in the pure numeric engine."""
    assert not (SRC / "engine" / "labels.py").exists()
    for path in (SRC / "engine").glob("*.py"):
        assert "format_amount" not in path.read_text(encoding="utf-8"), path.name


def test_no_flashalpha_branches_outside_the_wiring():
    """Only the wiring (`backends/assembly.py`) branches on the source being flashalpha."""
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert '== "flashalpha"' not in text or path.name == "assembly.py", path
    assert '== "flashalpha"' in (SRC / "backends" / "assembly.py").read_text(encoding="utf-8")


@pytest.mark.anyio
async def test_demo_scan_rows_agree_with_the_regime_and_levels_answers():
    """Scan rows come from the same regime rule and levels as the single-symbol tools."""
    service = demo_service()
    symbols = ["SPY", "QQQ", "TSLA", "IWM", "AAPL"]
    scan = await service.scan(symbols)
    for row in scan.rows:
        regime = await service.regime(row.symbol)
        levels = await service.levels(row.symbol)
        assert (row.gamma_regime, row.net_gex) == (regime.gamma_regime, regime.net_gex)
        assert (row.gamma_flip, row.call_wall, row.put_wall) == (
            levels.gamma_flip, levels.call_wall, levels.put_wall)


@pytest.mark.anyio
async def test_flashalpha_scan_rows_say_neutral_inside_the_band(loopback, tmp_path):
    """A FlashAlpha symbol whose spot sits 0.1% under its flip is neutral, not negative gamma."""
    summary = build_flashalpha_answer("summary", "AAPL", {})
    levels = build_flashalpha_answer("levels", "AAPL", {})
    flip = round(summary["underlying_price"] * 1.001, 2)
    summary.update(gamma_flip=flip, regime="negative_gamma")
    levels["levels"]["gamma_flip"] = flip
    loopback.faults[loopback.flashalpha_path("summary", "AAPL")] = Fault(json_body=summary)
    loopback.faults[loopback.flashalpha_path("levels", "AAPL")] = Fault(json_body=levels)
    settings = Settings(_env_file=None, source="flashalpha", data_dir=tmp_path,
                        flashalpha_base_url=loopback.url, flashalpha_api_key=DEFAULT_API_KEY,
                        http_retries=0)
    async with build_service(settings) as service:
        with anyio.fail_after(10):
            scan = await service.scan(["AAPL"])
            regime = await service.regime("AAPL")
    row = scan.rows[0]
    assert row.error is None, row.error
    assert row.gamma_regime == "neutral" and regime.gamma_regime == "neutral"
    assert row.gamma_flip == flip and row.below_flip is True
    assert regime.neutral_band_pct == 0.25
    spot = summary['underlying_price']
    assert regime.regime_reason.startswith(
        f"the gamma flip {flip:.2f} is {(flip - spot) / spot * 100:.2f}% above spot {spot:.2f}, "
        "within the ±0.25% neutral band")


@pytest.mark.anyio
async def test_flashalpha_refuses_one_expiration_for_whole_chain_answers(loopback, tmp_path):
    """FlashAlpha's levels and summary take no expiration: say so before any request."""
    settings = Settings(_env_file=None, source="flashalpha", data_dir=tmp_path,
                        flashalpha_base_url=loopback.url, flashalpha_api_key=DEFAULT_API_KEY)
    async with build_service(settings) as service:
        for name in ("levels", "summary", "regime"):
            with pytest.raises(InputError) as info:
                await service.call(name, symbol="AAPL", expiration="2026-12-18")
            assert str(info.value) == (
                f"FlashAlpha answers {name} for all expirations only. Leave expiration out, or "
                "use source cboe for one expiration.")
    assert sum(loopback.requests.values()) == 0
