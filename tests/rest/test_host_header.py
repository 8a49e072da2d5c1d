"""Host headers are parsed strictly, `host[:port]`; anything else is 421 (issue 26, point 10).

`Host: localhost:1@evil.com` used to be read as `localhost` and answered 200. Served for real
on 127.0.0.1 (MCP + REST behind the guard, as `serve --transport http`).
"""

from __future__ import annotations

import httpx
import pytest

from tests.rest.conftest import KEYS, demo_service, running

REFUSED = ["localhost:1@evil.com", "localhost:99999", "localhost:abc", "localhost:",
           "127.0.0.1:8000/evil", "evil.com#localhost", "localhost, evil.com", "local host",
           "user@localhost", "[::1", "evil.example", "localhost:80:80"]
ACCEPTED = ["localhost", "LOCALHOST:8000", "127.0.0.1:1", "[::1]:80", "localhost."]
MCP_INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}


@pytest.fixture(scope="module")
def url():
    with running(demo_service(), keys=KEYS) as base:
        yield base


def _ask(client: httpx.Client, path: str, host: str) -> httpx.Response:
    headers = {"Host": host, "X-Api-Key": KEYS[0]}
    if path == "/mcp":
        return client.post(path, json=MCP_INIT, headers={
            **headers, "Accept": "application/json, text/event-stream"})
    return client.get(path, headers=headers)


@pytest.mark.parametrize("path", ["/v1/exposure/levels/SPY", "/health", "/mcp"])
def test_malformed_or_foreign_hosts_are_421_and_plain_ones_served(url, path):
    with httpx.Client(base_url=url, timeout=20) as client:
        for host in REFUSED:
            answer = _ask(client, path, host)
            assert answer.status_code == 421, (host, answer.status_code, answer.text)
        for host in ACCEPTED:
            answer = _ask(client, path, host)
            assert answer.status_code == 200, (host, answer.status_code, answer.text)
