"""What each MCP tool's answer costs an agent: characters and ~tokens (chars / 4).

    .venv/bin/python benchmarks/bench_answer_sizes.py [CHAIN_FILE]

Calls every tool of the endpoint table through the official MCP client (in process, real
JSON-RPC) on one chain file (default: the SPX 2023-09-14 snapshot in ../shared/chains), with
its default arguments and, for per-strike tools, with strikes="window" and strikes="all".
Prints a Markdown table of the text content and of the structured content (compact JSON).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.mcp_server.server import build_server
from gex_mcp.service import build_service
from gex_mcp.settings import Settings

DEFAULT_CHAIN = Path(__file__).resolve().parents[2] / "shared" / "chains" / "cboe_quotedata_SPX_2023-09-14.csv"


def calls(symbol: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(tool, variant, arguments) for every tool: its default call, and the full variants."""
    out = []
    for ep in ENDPOINTS:
        args = {k: ([symbol] if k == "symbols" else symbol if k == "symbol" else v)
                for k, v in ep.example.items()}
        out.append((ep.name, "default", args))
        if ep.per_strike:
            out.append((ep.name, "strikes=window", {**args, "strikes": "window"}))
            out.append((ep.name, "strikes=all", {**args, "strikes": "all"}))
    return out


async def measure(chain: Path) -> list[tuple[str, str, int, int]]:
    """(tool, variant, text chars, structured chars) per call."""
    service = build_service(Settings(_env_file=None), chain_file=chain)
    rows = []
    async with service, Client(build_server(service), mode="legacy") as client:
        for tool, variant, args in calls(service.default_symbol() or "SPX"):
            result = await client.call_tool(tool, args)
            if result.is_error:
                raise SystemExit(f"{tool} {variant}: {result.content[0].text}")
            text = sum(len(c.text) for c in result.content if c.type == "text")
            structured = len(json.dumps(result.structured_content, separators=(",", ":"),
                                        ensure_ascii=False))
            rows.append((tool, variant, text, structured))
    return rows


def main() -> None:
    chain = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CHAIN
    rows = anyio.run(measure, chain)
    print(f"answer sizes on {chain.name} (tokens ~ characters / 4)\n")
    print("| tool | call | text chars | ~tokens | structured chars |")
    print("|---|---|---|---|---|")
    for tool, variant, text, structured in rows:
        print(f"| `{tool}` | {variant} | {text:,} | {text // 4:,} | {structured:,} |")


if __name__ == "__main__":
    main()
