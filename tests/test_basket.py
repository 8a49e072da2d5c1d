"""basket on the real snapshots (file source, ../shared/chains) against sums written here:
the aggregate is Σ wᵢ x each member's own summary answer with wᵢ = weightᵢ / Σ weights over
the members with data, and a member's net GEX is the contract-by-contract reference sum
Σ s · Γ · OI · m · S² · 0.01 (scalar greeks of tests/engine/reference.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from gex_mcp.cli import app
from gex_mcp.engine.prepare import DEFAULT_RATE, prepare_chain
from gex_mcp.errors import InputError, NoDataError
from gex_mcp.parsing import load_chain_file
from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from tests.engine import reference

pytestmark = pytest.mark.anyio

GREEKS = ("net_gex", "net_dex", "net_vex", "net_chex")


def settings(chains_dir: Path) -> Settings:
    return Settings(_env_file=None, source="file", chains_dir=Path(chains_dir).resolve())


async def ask(chains_dir, name="basket", **arguments):
    async with build_service(settings(chains_dir)) as service:
        with anyio.fail_after(60):
            return await service.call(name, **arguments)


async def test_aggregate_is_the_weighted_sum_of_the_members_summaries(chains_dir):
    answer = await ask(chains_dir, symbols=["SPY", "QQQ", "NDX", "ZZZZ"], weights=[5, 3, 2, 1])
    own = {s: await ask(chains_dir, "summary", symbol=s) for s in ("SPY", "QQQ", "NDX")}
    w = {"SPY": 0.5, "QQQ": 0.3, "NDX": 0.2}  # ZZZZ has no file: dropped, 5:3:2 re-scaled
    assert answer.missing_symbols == ["ZZZZ"] and answer.constituent_count == 3
    assert [c.symbol for c in answer.constituents] == ["SPY", "QQQ", "NDX"]
    for g in GREEKS:
        want = sum(w[s] * getattr(own[s], g) for s in w)
        assert math.isclose(getattr(answer.aggregate, g), want, rel_tol=1e-12)
    gross = sum(abs(w[s] * own[s].net_gex) for s in w)
    for c in answer.constituents:
        s = own[c.symbol]
        assert c.weight == pytest.approx(w[c.symbol], abs=1e-6)
        assert (c.net_gex, c.net_dex, c.underlying_price, c.as_of) == (s.net_gex, s.net_dex,
                                                                       s.underlying_price, s.as_of)
        assert c.contribution_pct == pytest.approx(abs(w[c.symbol] * s.net_gex) / gross * 100, abs=1e-3)
        assert c.regime == ("positive_gamma" if s.underlying_price >= s.gamma_flip else "negative_gamma")
    assert answer.as_of == max(s.as_of for s in own.values()) and answer.source == "file"
    # SPY's file is 2023-09-14, QQQ's and NDX's 2024-03-22: the spread is said
    assert answer.as_of_spread_seconds == (own["NDX"].as_of - own["SPY"].as_of).total_seconds()
    assert any("ZZZZ" in n for n in answer.notes) and any("months apart" in n for n in answer.notes)


async def test_equal_weights_and_a_member_against_the_reference_sum(chains_dir):
    day = "2023-09-14"
    answer = await ask(chains_dir, symbols=["SPY", "SPX"], as_of=day)
    assert [c.weight for c in answer.constituents] == [0.5, 0.5]
    chain = prepare_chain(load_chain_file(chains_dir / f"cboe_quotedata_SPY_{day}.csv"), rate=DEFAULT_RATE)
    x = chain.spot
    spy_gex = 0.0
    for i in range(len(chain)):
        g = reference.greeks(x, float(chain.strike[i]), float(chain.t_years[i]), float(chain.iv[i]),
                             chain.rate, float(chain.dividend_yield[i]), bool(chain.is_call[i]))["gamma"]
        spy_gex += chain.sign[i] * g * chain.open_interest[i] * chain.multiplier[i] * x * x * 0.01
    spy = answer.constituents[0]
    assert math.isclose(spy.net_gex, spy_gex, rel_tol=1e-6)
    spx = answer.constituents[1]
    assert math.isclose(answer.aggregate.net_gex, 0.5 * spy_gex + 0.5 * spx.net_gex, rel_tol=1e-6)
    assert all(c.as_of.date().isoformat() == day for c in answer.constituents)
    assert not any("apart" in n for n in answer.notes)


@pytest.mark.parametrize(("arguments", "error", "words"), [
    ({"symbols": []}, InputError, "symbols must be a list of 1 to 50"),
    ({"symbols": [f"S{i}" for i in range(51)]}, InputError, "1 to 50"),
    ({"symbols": ["SPY", "spy"]}, InputError, "SPY more than once"),
    ({"symbols": ["SPY", "QQQ"], "weights": [1]}, InputError, "1 numbers for 2 symbols"),
    ({"symbols": ["SPY", "QQQ"], "weights": [0, 0]}, InputError, "not all zero"),
    ({"symbols": ["SPY"], "weights": [-1]}, InputError, "weights[0] must be"),
    ({"symbols": ["SPY"], "weights": [math.nan]}, InputError, "weights[0] must be"),
    ({"symbols": ["SPY", "ZZZZ"], "weights": [0, 1]}, InputError, "(SPY) has weight 0"),
    ({"symbols": ["ZZZZ", "YYYY"]}, NoDataError, "ZZZZ, YYYY"),
])
async def test_bad_baskets_are_clear_errors(chains_dir, arguments, error, words):
    with pytest.raises(error) as info:
        await ask(chains_dir, **arguments)
    assert words in str(info.value)


async def test_through_a_real_mcp_client(chains_dir):
    """The tool (scenarios toolset) answers the service's numbers (an agent's answer keeps 4
    significant digits); hidden from the default tools/list, it still runs through more_tools."""
    from mcp import Client

    from gex_mcp.mcp_server.server import build_server

    args = {"symbols": ["SPY", "NDX"], "weights": [0.25, 0.75]}
    async with build_service(settings(chains_dir)) as service:
        spy, ndx = [await service.call("summary", symbol=s) for s in ("SPY", "NDX")]
        async with Client(build_server(service, toolsets=None), mode="legacy") as client:
            with anyio.fail_after(60):
                result = await client.call_tool("basket", args)
        async with Client(build_server(service, toolsets=frozenset({"core", "alerts"})),
                          mode="legacy") as client:
            with anyio.fail_after(60):
                names = {t.name for t in (await client.list_tools()).tools}
                hidden = await client.call_tool("more_tools", {"tool": "basket", "arguments": args})
                bad = await client.call_tool("more_tools", {"tool": "basket", "arguments": {
                    "symbols": ["SPY"], "weights": ["x"]}})
    assert not result.is_error and not hidden.is_error and "basket" not in names
    for data in (result.structured_content, hidden.structured_content):
        assert data["aggregate"]["net_gex"] == pytest.approx(0.25 * spy.net_gex + 0.75 * ndx.net_gex, rel=1e-3)
        assert data["aggregate"]["net_vex"] == pytest.approx(0.25 * spy.net_vex + 0.75 * ndx.net_vex, rel=1e-3)
    assert bad.is_error and "weights[0] must be" in bad.content[0].text and "Traceback" not in bad.content[0].text


def test_cli_weights_and_json(chains_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GEX_CHAINS_DIR", str(chains_dir))
    result = CliRunner().invoke(app, ["basket", "SPY", "QQQ", "NDX", "--weights", "0.5,0.3,0.2",
                                      "--source", "file", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [c["weight"] for c in body["constituents"]] == [0.5, 0.3, 0.2]
    want = sum(c["weight"] * c["net_chex"] for c in body["constituents"])
    assert body["aggregate"]["net_chex"] == pytest.approx(want, rel=1e-9)
    table = CliRunner().invoke(app, ["basket", "SPY", "QQQ", "--source", "file"])
    assert table.exit_code == 0 and "SPY" in table.output and "QQQ" in table.output
    bad = CliRunner().invoke(app, ["basket", "SPY", "QQQ", "--weights", "1,x", "--source", "file"])
    assert bad.exit_code == 2 and "weights[1] must be" in bad.output
