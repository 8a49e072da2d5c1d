"""SIGTERM while an upstream fetch hangs: how long `gex-mcp serve --transport http` takes to exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import httpx

from tests.processes import wait_healthy, wait_or_kill
from tests.sources.loopback import Fault, LoopbackServer

MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "Mcp-Protocol-Version": "2025-06-18"}


def _mcp_call_levels(url: str, symbol: str, timeout: float) -> None:
    """Open an MCP session over raw streamable HTTP and call `levels` (waits for the answer)."""
    with httpx.Client(base_url=url, timeout=timeout) as http:
        opened = http.post("/mcp", headers=MCP_HEADERS, json={
            "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"}}})
        session = {**MCP_HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"]}
        http.post("/mcp", headers=session,
                  json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        http.post("/mcp", headers=session, json={
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "levels", "arguments": {"symbol": symbol}}})


def seconds_to_exit_with_a_fetch_in_flight(*, hang_seconds: float = 60.0,
                                           wait_limit: float = 60.0) -> tuple[float, int, str]:
    """(seconds from SIGTERM to exit, exit code, log): the upstream (loopback) sits on AAPL's
    chain for `hang_seconds` while a REST client waits for it, and on GOOGL's while an MCP
    tool call does."""
    with LoopbackServer() as upstream, tempfile.TemporaryDirectory(prefix="gex-term-") as data:
        upstream.faults["AAPL"] = Fault.slow(hang_seconds)
        upstream.faults["GOOGL"] = Fault.slow(hang_seconds)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "GEX_DATA_DIR": data, "GEX_CBOE_BASE_URL": upstream.url,
               "GEX_HTTP_TIMEOUT": str(hang_seconds)}
        server = subprocess.Popen(
            [sys.executable, "-m", "gex_mcp", "serve", "--transport", "http", "--port", str(port),
             "--source", "cboe"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, server, 30)
            path = upstream.cboe_path("AAPL")

            def ask() -> None:
                try:
                    httpx.get(url + "/v1/exposure/levels/AAPL", timeout=hang_seconds + 30)
                except httpx.HTTPError:
                    pass

            def call() -> None:
                try:
                    _mcp_call_levels(url, "GOOGL", hang_seconds + 30)
                except httpx.HTTPError:
                    pass

            threading.Thread(target=ask, daemon=True).start()
            threading.Thread(target=call, daemon=True).start()
            deadline = time.monotonic() + 20
            paths = (path, upstream.cboe_path("GOOGL"))
            while not all(upstream.requests[p] for p in paths) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert all(upstream.requests[p] for p in paths), "the fetches did not start"
            time.sleep(0.2)
            start = time.monotonic()
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=wait_limit)
            except subprocess.TimeoutExpired:
                pass
            took = time.monotonic() - start
        finally:
            wait_or_kill(server, 5)
        with server.stdout:
            log = server.stdout.read().decode(errors="replace")
        return took, server.returncode, log
