"""Streamable HTTP end to end: `gex-mcp serve --transport http` in a subprocess.

Checks what a remote host relies on: /mcp answers MCP, the bearer token (GEX_HTTP_TOKEN) is
required when set and never logged, and DNS rebinding is refused (foreign Host or Origin).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.http.serve import transport_security
from gex_mcp.mcp_server.alerts import ALERT_TOOLS
from gex_mcp.mcp_server.run import ServeOptions, run_server
from tests.processes import wait_or_kill
from tests.tool_calls import call_everything

pytestmark = pytest.mark.anyio

TOKEN = "s3cret-token-for-tests"
# A fresh interpreter imports numpy, the SDK and uvicorn before it binds:
# 2-5 s on a cold machine; 30 s fails fast enough if it never comes up.
STARTUP_TIMEOUT = 30
WAIT = 15
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "test", "version": "0"}}}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@dataclass
class HttpServer:
    process: subprocess.Popen
    port: int
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(tmp_path: Path, token: str | None, *, source: str = "demo",
           extra_env: dict[str, str] | None = None) -> Iterator[HttpServer]:
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "GEX_DATA_DIR": str(tmp_path), "MPLCONFIGDIR": str(tmp_path / "mpl"), **(extra_env or {})}
    if token:
        env["GEX_HTTP_TOKEN"] = token
    process = subprocess.Popen(
        [sys.executable, "-m", "gex_mcp", "serve", "--transport", "http", "--port", str(port),
         "--source", source],
        env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    server = HttpServer(process, port)
    ready = threading.Event()

    def drain() -> None:  # keeps the pipe from filling up and spots the ready line
        for line in process.stdout:
            server.log.append(line)
            if "Uvicorn running on" in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not ready.wait(STARTUP_TIMEOUT) or process.poll() is not None:
            pytest.fail("HTTP server did not start:\n" + "".join(server.log))
        yield server
    finally:
        process.terminate()
        wait_or_kill(process, WAIT)
        reader.join(WAIT)
        process.stdout.close()
    log = "".join(server.log)
    # SIGTERM: uvicorn drains, then run_server closes the service and the process exits 0.
    assert process.returncode == 0, log
    assert "Application shutdown complete" in log
    assert "gex-mcp stopped; data source and cache closed" in log
    assert "Traceback" not in log, log
    assert TOKEN not in log


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    yield from _start(tmp_path_factory.mktemp("open"), token=None)


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    yield from _start(tmp_path_factory.mktemp("token"), token=TOKEN)


async def test_http_server_answers_every_tool_resource_and_prompt(open_server: HttpServer):
    """Streamable HTTP on loopback serves the whole surface and rejects bad input as is_error."""
    with anyio.fail_after(WAIT):
        async with Client(open_server.url) as client:
            tools = (await client.list_tools()).tools
            levels = await client.call_tool("levels", {"symbol": "SPY"})
            bad = await client.call_tool("levels", {"symbol": "../../etc/passwd"})
            everything = await call_everything(client)
    # the default toolsets (core, alerts) and more_tools for the rest
    assert [t.name for t in tools] == [ep.name for ep in ENDPOINTS if ep.toolset == "core"] + list(
        ALERT_TOOLS) + ["more_tools"]
    assert not levels.is_error and levels.structured_content["symbol"] == "SPY"
    assert bad.is_error and "is not a ticker symbol" in bad.content[0].text
    assert everything["gex_chart"].structured_content["symbol"] == "SPY"


async def test_foreign_host_header_is_refused_as_dns_rebinding(open_server: HttpServer):
    """A page on evil.com resolving to 127.0.0.1 must not reach the tools."""
    with anyio.fail_after(WAIT):
        async with httpx.AsyncClient() as http:
            foreign = await http.post(open_server.url, json=INITIALIZE,
                                      headers={**MCP_HEADERS, "Host": "evil.com"})
            origin = await http.post(open_server.url, json=INITIALIZE,
                                     headers={**MCP_HEADERS, "Origin": "http://evil.com"})
            local = await http.post(open_server.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert foreign.status_code == 421 and foreign.text == "Invalid Host header"
    assert origin.status_code == 403 and origin.text == "Invalid Origin header"
    assert local.status_code == 200


async def test_requests_without_the_bearer_token_are_refused(token_server: HttpServer):
    with anyio.fail_after(WAIT):
        async with httpx.AsyncClient() as http:
            missing = await http.post(token_server.url, json=INITIALIZE, headers=MCP_HEADERS)
            wrong = await http.post(token_server.url, json=INITIALIZE, headers={
                **MCP_HEADERS, "Authorization": "Bearer not-the-token"})
            basic = await http.post(token_server.url, json=INITIALIZE, headers={
                **MCP_HEADERS, "Authorization": f"Basic {TOKEN}"})
            good = await http.post(token_server.url, json=INITIALIZE, headers={
                **MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="gex-mcp"'
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == 'Bearer realm="gex-mcp", error="invalid_token"'
    assert basic.status_code == 401
    assert TOKEN not in missing.text + wrong.text + basic.text
    assert good.status_code == 200


async def test_client_with_the_bearer_token_is_served(token_server: HttpServer):
    with anyio.fail_after(WAIT):
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"},
                                      timeout=WAIT) as http:
            async with Client(streamable_http_client(token_server.url, http_client=http)) as client:
                levels = await client.call_tool("levels", {"symbol": "QQQ"})
                chart = await client.call_tool("gex_chart", {"symbol": "QQQ", "window_pct": 5})
    assert levels.structured_content["symbol"] == "QQQ"
    assert chart.content[0].mime_type == "image/png"
    assert chart.structured_content["call_wall"] == levels.structured_content["call_wall"]


async def test_host_check_also_applies_with_a_valid_token(token_server: HttpServer):
    with anyio.fail_after(WAIT):
        async with httpx.AsyncClient() as http:
            foreign = await http.post(token_server.url, json=INITIALIZE, headers={
                **MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "Host": "evil.com:80"})
    assert foreign.status_code == 421


def test_rebinding_protection_stays_on_for_other_bind_addresses():
    """The SDK would switch it off for 0.0.0.0; we keep it and accept only listed names."""
    wildcard = transport_security("0.0.0.0", ["gex.example.com"])
    assert wildcard.enable_dns_rebinding_protection is True
    assert wildcard.allowed_hosts == [
        "127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*",
        "gex.example.com", "gex.example.com:*"]
    assert "https://gex.example.com" in wildcard.allowed_origins
    assert "0.0.0.0:*" not in wildcard.allowed_hosts
    lan = transport_security("192.168.1.5")
    assert "192.168.1.5:*" in lan.allowed_hosts and "http://192.168.1.5:*" in lan.allowed_origins
    assert "[fd00::5]:*" in transport_security("fd00::5").allowed_hosts


def test_run_server_rejects_an_unknown_transport_before_serving():
    with pytest.raises(ValueError, match="^Unknown transport 'sse'; use 'stdio', 'http' or 'rest'.$"):
        run_server(None, ServeOptions(transport="sse"))  # type: ignore[arg-type]
