"""One end-to-end test over stdio: `python -m gex_mcp serve --source demo` as a host runs it."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.mcp_server.alerts import ALERT_TOOLS
from tests.tool_calls import call_everything

pytestmark = pytest.mark.anyio

# Starting a fresh interpreter that imports numpy, matplotlib and the MCP SDK takes
# 2-5 s on a cold machine, and the first chart renders fonts; 30 s leaves room on slow CI
# while still failing fast if the server never answers (e.g. something printed to stdout).
STDIO_TIMEOUT = 30


async def test_stdio_server_lists_tools_and_answers_levels_and_a_chart(tmp_path: Path):
    """The real entry point answers every tool, resource and prompt on stdin/stdout."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "gex_mcp", "serve", "--source", "demo"],
        # The client passes only a small safe set of variables; add what the server needs.
        env={"GEX_DATA_DIR": str(tmp_path), "PATH": os.environ.get("PATH", ""),
             "MPLCONFIGDIR": str(tmp_path / "mpl")},
        cwd=tmp_path)
    with anyio.fail_after(STDIO_TIMEOUT):
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            levels = await client.call_tool("levels", {"symbol": "SPY"})
            chart = await client.call_tool("gex_chart", {"symbol": "SPY"})
            bad = await client.call_tool("levels", {"symbol": "NOPE"})
            again = await client.call_tool("more_tools", {"tool": "regime", "arguments": {"symbol": "spy"}})
            everything = await call_everything(client)
    # the default toolsets (core, alerts) and more_tools for the rest
    assert [t.name for t in tools] == [ep.name for ep in ENDPOINTS if ep.toolset == "core"] + list(
        ALERT_TOOLS) + ["more_tools"]
    assert not levels.is_error
    assert levels.structured_content["symbol"] == "SPY"
    assert levels.structured_content["is_demo"] is True
    assert levels.structured_content["call_wall"] is not None
    assert not chart.is_error
    assert base64.b64decode(chart.content[0].data).startswith(b"\x89PNG")
    assert chart.structured_content["call_wall"] == levels.structured_content["call_wall"]
    assert bad.is_error and "UnknownSymbolError: No demo data for 'NOPE'" in bad.content[0].text
    assert again.structured_content["symbol"] == "SPY"
    assert (tmp_path / "gex.db").exists()
    assert everything["scan"].structured_content["negative_gamma"] == ["IWM"]


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_closes_the_stdio_server_and_its_store_within_seconds(tmp_path: Path, signum):
    """A host stopping the server: exit 0 soon after, the database closed (no WAL left)."""
    import json
    import signal
    import subprocess
    import time

    env = {"GEX_DATA_DIR": str(tmp_path), "PATH": os.environ.get("PATH", ""),
           "MPLCONFIGDIR": str(tmp_path / "mpl"), "HOME": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "gex_mcp", "serve", "--source", "demo"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"}}}
        process.stdin.write((json.dumps(initialize) + "\n").encode())
        process.stdin.flush()
        assert b'"serverInfo"' in process.stdout.readline()  # up and answering; stdin stays open
        assert (tmp_path / "gex.db-wal").exists()
        started = time.monotonic()
        process.send_signal(getattr(signal, signum))
        code = process.wait(timeout=STDIO_TIMEOUT)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = process.stderr.read().decode()
    process.stdin.close()
    process.stdout.close()
    process.stderr.close()
    assert code == 0, log
    assert took < 5, took
    assert "gex-mcp stopped; data source and cache closed" in log
    assert not (tmp_path / "gex.db-wal").exists()
