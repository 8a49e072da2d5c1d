"""The history endpoints through the CLI, MCP and REST, on a folder of the SPY .dat snapshots."""

from __future__ import annotations

import json

import httpx
import pytest
from mcp import Client
from typer.testing import CliRunner

from gex_mcp.cli import app
from gex_mcp.http.rest.app import build_rest_app
from gex_mcp.mcp_server.server import build_server
from gex_mcp.service import GexService
from gex_mcp.sources.file import FileSource
from gex_mcp.store.cache import ChainCache


def test_cli_history_accuracy_and_chart(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GEX_CHAINS_DIR", str(folder))
    runner = CliRunner()
    out = runner.invoke(app, ["history", "SPY", "--source", "file", "--days", "30", "--json"])
    assert out.exit_code == 0, out.output
    assert [p["spot"] for p in json.loads(out.stdout)["points"]] == [310.68, 300.01, 312.18]
    out = runner.invoke(app, ["level-accuracy", "SPY", "--source", "file", "--days", "30", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["sessions_tested"] == 2
    png = tmp_path / "h.png"
    out = runner.invoke(app, ["history-chart", "SPY", "--source", "file", "--days", "30", "-o", str(png)])
    assert out.exit_code == 0 and png.read_bytes().startswith(b"\x89PNG")
    out = runner.invoke(app, ["history", "SPY", "--source", "file", "--as-of", "yesterday-ish"])
    assert out.exit_code == 2 and "as_of must be an ISO-8601" in out.output


@pytest.mark.anyio
async def test_mcp_history_chart_gives_an_image_and_numbers_and_rest_a_png(folder):
    service = GexService(sources={"file": FileSource(folder)}, default_source="file",
                         cache=ChainCache(None))
    async with Client(build_server(service)) as client:
        result = await client.call_tool("history_chart", {"symbol": "SPY", "days": 30})
        assert not result.is_error
        assert [c.type for c in result.content] == ["image", "text"]
        assert result.structured_content["points"] == 3
        bad = await client.call_tool("history", {"symbol": "SPY", "interval": "2h"})
        assert bad.is_error and "interval must be one of auto" in bad.content[0].text
    transport = httpx.ASGITransport(app=build_rest_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        png = await http.get("/v1/exposure/history-chart/SPY", params={"days": 30})
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        body = (await http.get("/v1/exposure/level-accuracy/SPY", params={"days": 30})).json()
        assert body["sessions_tested"] == 2
        old = await http.get("/v1/exposure/levels/SPY", params={"as_of": "2020-06-23"})
        assert old.json()["as_of"] == "2020-06-22T16:00:00-04:00"
