"""One bucket per key for /v1 and MCP tool calls (issue 26, point 9).

A key exhausted on /v1 used to make 40 of 40 MCP calls. Served for real on 127.0.0.1, with a
real MCP client over streamable HTTP.
"""

from __future__ import annotations

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.rest.conftest import KEYS, demo_service, running

pytestmark = pytest.mark.anyio
LIMIT = 5  # per minute: no token comes back (12 s each) within the test


@pytest.fixture(scope="module")
def url():
    with running(demo_service(), keys=KEYS, rate_limit_per_minute=LIMIT) as base:
        yield base


async def _mcp_levels(url: str, key: str, times: int) -> list[str]:
    """`times` levels calls over one MCP session: 'ok' or the error's message for each."""
    outcomes = []
    async with httpx2.AsyncClient(headers={"X-Api-Key": key}, timeout=20) as http:
        async with Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
            await client.list_tools()  # not a tool call: free
            for _ in range(times):
                try:
                    result = await client.call_tool("levels", {"symbol": "SPY"})
                    outcomes.append("ok" if not result.is_error else result.content[0].text)
                except MCPError as exc:
                    outcomes.append(str(exc))
    return outcomes


async def test_a_key_exhausted_on_v1_cannot_call_tools(url):
    with anyio.fail_after(30):
        async with httpx.AsyncClient(base_url=url, headers={"X-Api-Key": KEYS[0]}, timeout=20) as http:
            statuses = [(await http.get("/v1/exposure/levels/SPY")).status_code for _ in range(LIMIT)]
        assert statuses == [200] * LIMIT
        outcomes = await _mcp_levels(url, KEYS[0], 3)
    assert all(f"Rate limit of {LIMIT} requests per minute reached" in o for o in outcomes), outcomes


async def test_tool_calls_spend_the_bucket_v1_uses(url):
    with anyio.fail_after(30):
        outcomes = await _mcp_levels(url, KEYS[1], LIMIT + 2)
        assert outcomes[:LIMIT] == ["ok"] * LIMIT
        assert all("Rate limit" in o for o in outcomes[LIMIT:]), outcomes
        async with httpx.AsyncClient(base_url=url, headers={"X-Api-Key": KEYS[1]}, timeout=20) as http:
            refused = await http.get("/v1/exposure/levels/SPY")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
