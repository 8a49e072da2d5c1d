"""Access lines: key-like query parameters redacted, GEX_LOG_LEVEL followed, GEX_ACCESS_LOG off
(issue 26, point 7). `gex-mcp serve --transport http` in a subprocess, its stderr read."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx
import pytest

from gex_mcp.http.protocol import REDACTED, redact_query
from tests.processes import wait_healthy, wait_or_kill

KEY = "k3y-ACCESSLOG-91c2e7"
QUERY_SECRET = "qs-SECRET-5d8b01"


def _served_log(tmp_path, **env_extra: str) -> str:
    """Start the server, make one keyed request with secrets in its query, stop; the log."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "GEX_DATA_DIR": str(tmp_path),
           "GEX_HTTP_TOKEN": KEY, **env_extra}
    process = subprocess.Popen(
        [sys.executable, "-m", "gex_mcp", "serve", "--transport", "http", "--port", str(port),
         "--source", "demo"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(url, process, 30):
            pytest.fail("server did not start")
        answer = httpx.get(url + "/v1/exposure/levels/SPY", timeout=20, headers={"X-Api-Key": KEY},
                           params={"api_key": QUERY_SECRET, "Access_Token": QUERY_SECRET,
                                   "x": KEY, "min_oi": "0"})
        assert answer.status_code in (200, 400)  # unknown parameters are a 400; logged alike
    finally:
        process.terminate()
        wait_or_kill(process, 15)
    with process.stdout:
        return process.stdout.read().decode()


def test_query_keys_are_redacted_and_other_parameters_kept(tmp_path):
    log = _served_log(tmp_path)
    lines = [line for line in log.splitlines() if "/v1/exposure/levels/SPY" in line]
    assert len(lines) == 1, log
    assert QUERY_SECRET not in log and KEY not in log
    assert f"api_key={REDACTED}" in lines[0] and f"Access_Token={REDACTED}" in lines[0]
    assert f"x={REDACTED}" in lines[0] and "min_oi=0" in lines[0]  # a key's value under any name


@pytest.mark.parametrize("env", [{"GEX_LOG_LEVEL": "WARNING"}, {"GEX_ACCESS_LOG": "false"}])
def test_access_lines_follow_the_level_and_the_off_switch(tmp_path, env):
    log = _served_log(tmp_path, **env)
    assert "/v1/exposure/levels/SPY" not in log and "/health" not in log, log
    if "GEX_ACCESS_LOG" in env:  # the rest of the log still comes at INFO
        assert "gex-mcp serving" in log


@pytest.mark.parametrize(("path", "expected"), [
    ("/v1/x", "/v1/x"),
    ("/v1/x?symbol=SPY", "/v1/x?symbol=SPY"),
    ("/v1/x?apikey=abc&symbol=SPY", f"/v1/x?apikey={REDACTED}&symbol=SPY"),
    ("/v1/x?TOKEN&q=1", f"/v1/x?{REDACTED}&q=1"),
    ("/v1/x?api%5Fkey=abc", f"/v1/x?api%5Fkey={REDACTED}"),  # percent-encoded name
    ("/v1/x?q=s%33cret", f"/v1/x?q={REDACTED}"),  # a configured key, percent-encoded
])
def test_redact_query(path, expected):
    assert redact_query(path, secrets=["s3cret"]) == expected
