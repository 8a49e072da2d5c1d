"""Start-up of `serve` over stdio: what it imports and what it builds before `initialize`.

Timings live in benchmarks/bench_startup.py; these tests check the properties that keep
start-up short, so a regression fails here rather than only showing in a benchmark:
the stdio server loads none of the HTTP or chart stack, and builds its tools (most of
the work after imports: their JSON schemas) on the first request after the handshake,
listing and answering exactly as a server built up front.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime

import anyio
import pytest
from mcp import Client

from gex_mcp.alerts.watcher import Watcher
from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.mcp_server.alerts import ALERT_TOOLS
from gex_mcp.mcp_server.server import build_server
from gex_mcp.service import GexService
from gex_mcp.sources.demo import DemoSource
from gex_mcp.store.cache import ChainCache

WAIT = 10
FIXED_NOW = datetime(2025, 6, 11, 10, 30, tzinfo=NEW_YORK)

#: Modules `serve` over stdio must not load: the HTTP serving stack of our own (guard,
#: uvicorn protocol, REST app), charts and tables, the CBOE HTTP client, heavy numerics.
#: (starlette and uvicorn themselves are imported by the MCP SDK's package on any import.)
NOT_FOR_STDIO = ("gex_mcp.http.serve", "gex_mcp.http.guard", "gex_mcp.http.protocol", "gex_mcp.http.rest",
                 "gex_mcp.http.rest.alerts", "gex_mcp.charts.gex", "gex_mcp.charts.history",
                 "gex_mcp.terminal.views", "gex_mcp.sources.cboe", "matplotlib", "httpx", "scipy",
                 "pandas")


def test_stdio_serve_loads_no_http_or_chart_modules_up_to_its_first_answer(tmp_path):
    """The real entry point under `-X importtime` (every module it loads is listed on stderr):
    answer `initialize`, close stdin; none of NOT_FOR_STDIO may appear, while the modules it
    does need (the SDK, the server) must, so an empty listing cannot pass."""
    env = {**os.environ, "GEX_DATA_DIR": str(tmp_path), "MPLCONFIGDIR": str(tmp_path / "mpl"),
           "GEX_LOG_LEVEL": "WARNING"}
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"}}}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "gex_mcp", "serve",
                           "--source", "demo"], input=json.dumps(initialize) + "\n",
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.splitlines()[0])
    assert answer["result"]["serverInfo"]["name"] == "gex-mcp"
    loaded = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", done.stderr, re.M))
    assert {"mcp.server.mcpserver", "gex_mcp.mcp_server.server", "gex_mcp.cli"} <= loaded
    unwanted = sorted(name for name in loaded
                      if any(name == bad or name.startswith(bad + ".") for bad in NOT_FOR_STDIO))
    assert unwanted == []


@pytest.fixture
def service() -> GexService:
    return GexService(sources={"demo": DemoSource(clock=lambda: FIXED_NOW)},
                      default_source="demo", cache=ChainCache(None))


def _tool_listing(tools) -> list[dict]:
    return [t.model_dump(mode="json", by_alias=True) for t in tools]


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_tools_built_on_the_first_request_list_and_answer_as_tools_built_up_front(
        service, mode):
    """A server built with `tools_on_first_request` holds no tool until a request other
    than the handshake; then tools/list is identical (names, order, schemas, meta) to the
    eager server's, and a tools/call as the very first request answers like the eager one.
    Both client modes: "legacy" runs the handshake-era JSON-RPC exchange, "auto" the
    2026-07-28 era without `initialize`."""
    eager = build_server(service, Watcher(service))
    lazy = build_server(service, Watcher(service), tools_on_first_request=True)
    assert await lazy.list_tools() == []  # nothing built yet (a direct call skips middleware)
    with anyio.fail_after(WAIT):
        async with Client(eager, mode="legacy") as client:
            expected = _tool_listing((await client.list_tools()).tools)
            eager_levels = await client.call_tool("levels", {"symbol": "SPY"})
        async with Client(lazy, mode=mode) as client:
            assert await lazy.list_tools() == []  # the handshake alone builds nothing
            first_levels = await client.call_tool("levels", {"symbol": "SPY"})
            listed = _tool_listing((await client.list_tools()).tools)
            watchlist = await client.call_tool("watchlist", {})
    assert [t["name"] for t in expected] == [ep.name for ep in ENDPOINTS] + list(ALERT_TOOLS)
    assert listed == expected
    assert not first_levels.is_error, first_levels.content
    timeless = [{k: v for k, v in answer.structured_content.items() if k != "age_seconds"}
                for answer in (first_levels, eager_levels)]
    assert timeless[0] == timeless[1]
    assert not watchlist.is_error and watchlist.structured_content["watching"] == []


@pytest.mark.parametrize(("preset", "expected"), [(None, "1"), ("3", "3")])
def test_the_entry_point_holds_openblas_to_one_thread_unless_told_otherwise(preset, expected):
    """OPENBLAS_NUM_THREADS must be set before numpy loads: a fresh `python -m gex_mcp`
    process runs with one thread in all (OpenBLAS started no workers), or with the
    workers a preset value asks for."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    probe = ("import sys, runpy; sys.argv = ['gex-mcp', '--help']\n"
             "try:\n    runpy.run_module('gex_mcp', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "import os, re, numpy\n"
             "status = open('/proc/self/status').read()\n"
             "print(os.environ['OPENBLAS_NUM_THREADS'], re.search(r'Threads:\\s+(\\d+)', status)[1])\n")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    setting, threads = done.stdout.split()[-2:]
    assert setting == expected
    assert (int(threads) == 1) if expected == "1" else (int(threads) > 1)
