"""Every tool's default answer fits an agent's budget: 2,000 tokens (8,000 characters).

Measured on the SPX 2023-09-14 snapshot (about 20,000 contracts, 445 strikes, 52
expirations), the largest real chain in ../shared/chains, and on a 13-symbol demo scan.
`benchmarks/bench_answer_sizes.py` prints the full table for the README.
"""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client

from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.mcp_server.server import build_server
from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from gex_mcp.sources.demo import DEMO_SYMBOLS

pytestmark = pytest.mark.anyio

BUDGET_CHARS = 2_000 * 4


def sizes(result) -> tuple[int, int]:
    assert not result.is_error, result.content
    text = sum(len(c.text) for c in result.content if c.type == "text")
    structured = len(json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False))
    return text, structured


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda ep: ep.name)
async def test_default_answer_for_spx_fits_in_2000_tokens(chains_dir, ep):
    """Text content and structured content each stay under 8,000 characters."""
    service = build_service(Settings(_env_file=None),
                            chain_file=chains_dir / "cboe_quotedata_SPX_2023-09-14.csv")
    args = {k: (["SPX"] if k == "symbols" else "SPX" if k == "symbol" else v)
            for k, v in ep.example.items()}
    async with service, Client(build_server(service), mode="legacy") as client:
        with anyio.fail_after(20):
            text, structured = sizes(await client.call_tool(ep.name, args))
    assert text <= BUDGET_CHARS and structured <= BUDGET_CHARS, (text, structured)


async def test_a_scan_of_every_demo_symbol_fits_in_2000_tokens(tmp_path):
    """A 13-symbol watchlist is the largest scan the demo can answer."""
    service = build_service(Settings(_env_file=None, source="demo", data_dir=tmp_path))
    async with service, Client(build_server(service), mode="legacy") as client:
        with anyio.fail_after(20):
            text, structured = sizes(await client.call_tool("scan", {"symbols": list(DEMO_SYMBOLS)}))
    assert text <= BUDGET_CHARS and structured <= BUDGET_CHARS, (text, structured)
