"""`gex-mcp dashboard`: a real process serving the page, MCP and REST on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from tests.test_http_transport import INITIALIZE, MCP_HEADERS, STARTUP_TIMEOUT, _free_port


def test_dashboard_command_prints_its_address_and_serves_page_api_and_mcp(tmp_path):
    port = _free_port()
    env = {"GEX_DATA_DIR": str(tmp_path), "PATH": os.environ.get("PATH", ""),
           "MPLCONFIGDIR": str(tmp_path / "mpl"), "HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gex_mcp", "dashboard", "spx", "--source", "demo", "--no-browser",
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}/?symbol=SPX"
        assert url in process.stdout.readline().decode()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                page = httpx.get(url, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "the server did not start"
                time.sleep(0.1)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "script-src 'unsafe-inline'" in page.headers["content-security-policy"]
        assert '"mode": "rest"' in page.text  # the symbol travels in the URL's query
        levels = httpx.get(f"http://127.0.0.1:{port}/v1/exposure/levels/SPX", timeout=30).json()
        assert levels["symbol"] == "SPX" and levels["is_demo"] is True
        mcp = httpx.post(f"http://127.0.0.1:{port}/mcp", timeout=30, json=INITIALIZE, headers=MCP_HEADERS)
        assert mcp.status_code == 200 and "serverInfo" in mcp.text
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        _, stderr = process.communicate(timeout=STARTUP_TIMEOUT)
    # A clean stop: the service closed, no traceback; uvicorn re-raises the SIGINT it handled,
    # so the exit status is the shell's 130 (128 + SIGINT).
    assert "gex-mcp stopped; data source and cache closed" in stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert process.returncode in (0, 128 + signal.SIGINT, -signal.SIGINT)
