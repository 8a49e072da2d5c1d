"""Dates outside 1970-01-01..2099-12-31 are input errors everywhere (issue 26, point 6).

`--as-of 0001-01-01` used to exit 1 with an OverflowError, `?as_of=0001-01-01` answered 500 and
the MCP tool an empty error. Served for real on 127.0.0.1 (tests/rest/conftest.running).
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from mcp import Client
from typer.testing import CliRunner

from gex_mcp.cli import app
from gex_mcp.errors import InputError
from gex_mcp.level_records.moments import parse_moment
from gex_mcp.service import GexService
from gex_mcp.sources.file import FileSource
from gex_mcp.store.cache import ChainCache
from tests.rest.conftest import running

RANGE = "1970-01-01 to 2099-12-31"
OUTSIDE = ["0001-01-01", "0001-01-01T00:00", "1969-12-31", "9999-12-31T23:59:59+14:00"]


@pytest.mark.parametrize("text", OUTSIDE)
@pytest.mark.parametrize("name", ["as_of", "since"])
def test_parse_moment_names_the_range(text, name):
    with pytest.raises(InputError) as info:
        parse_moment(text, name, end_of_day=name == "as_of")
    assert str(info.value) == f"{name} {text!r} is outside the supported dates, {RANGE}."


def test_the_edges_of_the_range_are_accepted():
    assert parse_moment("1970-01-01", "since", end_of_day=False).date() == date(1970, 1, 1)
    assert parse_moment("2099-12-31", "as_of", end_of_day=True).date() == date(2099, 12, 31)


@pytest.mark.parametrize("args", [
    ["levels", "SPY", "--as-of", "0001-01-01"],
    ["levels", "SPY", "--as-of", "0001-01-01T00:00"],
    ["history", "SPY", "--since", "0001-01-02"],
    ["history", "SPY", "--as-of", "0001-01-01"],
    ["gex", "SPY", "--expiration", "0001-01-01"],
    ["gex", "SPY", "--expiration", "9999-12-31"],
])
def test_cli_exits_2_naming_the_range(args, folder, tmp_path, monkeypatch):
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GEX_CHAINS_DIR", str(folder))
    out = CliRunner().invoke(app, [*args, "--source", "file"])
    assert out.exit_code == 2, out.output
    assert RANGE in out.output and "Traceback" not in out.output


def test_cli_snapshot_time_and_file_as_of_outside_the_range(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path / "data"))
    chain = str(next(folder.iterdir()))
    out = CliRunner().invoke(app, ["levels", "--chain", chain, "--snapshot-time", "0001-01-01 10:00"])
    assert out.exit_code == 2 and RANGE in out.output, out.output
    monkeypatch.setenv("GEX_CHAINS_DIR", str(folder))
    monkeypatch.setenv("GEX_FILE_AS_OF", "0001-01-01")
    out = CliRunner().invoke(app, ["levels", "SPY", "--source", "file"])
    assert out.exit_code == 5 and RANGE in out.output, out.output  # a setting: ConfigError


@pytest.mark.anyio
async def test_rest_400_and_a_plain_mcp_error(folder):
    service = GexService(sources={"file": FileSource(folder)}, default_source="file",
                         cache=ChainCache(None))
    with running(service) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            for path, params in [("levels/SPY", {"as_of": "0001-01-01"}),
                                 ("history/SPY", {"since": "0001-01-01"}),
                                 ("gex/SPY", {"expiration": "0001-01-01"})]:
                answer = await http.get(f"/v1/exposure/{path}", params=params)
                assert answer.status_code == 400, (path, answer.text)
                assert RANGE in answer.json()["message"]
        async with Client(url + "/mcp") as client:
            for tool, args in [("levels", {"as_of": "0001-01-01"}),
                               ("history", {"since": "0001-01-01"}),
                               ("gex", {"expiration": "0001-01-01"})]:
                result = await client.call_tool(tool, {"symbol": "SPY", **args})
                assert result.is_error and RANGE in result.content[0].text, (tool, result)
