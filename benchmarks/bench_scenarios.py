"""Issue 23's questions: warm time and answer size of flip_sensitivity, complex and basket.

    .venv/bin/python benchmarks/bench_scenarios.py [--repeat N] [--chains DIR]

On the SPX 2023-09-14 snapshot (complex: with SPY and XSP of the same day, source file,
as_of 2023-09-14; basket: SPX, SPY and XSP of that day weighted 0.5, 0.3, 0.2, and the 13
demo symbols). Per tool: the warm service call (chain cached and analysed; median of N),
the answer built again from the warm analyses (what a new snapshot costs beyond analysing
it), and the default MCP answer's size through the official client (text and structured
characters, ~tokens = characters / 4). Prints whether OPENBLAS_CORETYPE is set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import anyio
from mcp import Client

from gex_mcp.backends.base import Query
from gex_mcp.engine.complex import analyze_complex
from gex_mcp.mcp_server.server import build_server
from gex_mcp.responses import flip_sensitivity_response
from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from gex_mcp.sources.demo import DEMO_SYMBOLS

DEFAULT_CHAINS = Path(__file__).resolve().parents[1].parent / "shared" / "chains"
DAY = "2023-09-14"


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


async def run(chains: Path, repeat: int) -> None:
    settings = Settings(_env_file=None, source="file", chains_dir=chains.resolve())
    service = build_service(settings)
    calls = {"flip_sensitivity": {"symbol": "SPX", "as_of": DAY},
             "complex": {"symbol": "SPX", "as_of": DAY},
             "basket": {"symbols": ["SPX", "SPY", "XSP"], "weights": [0.5, 0.3, 0.2], "as_of": DAY}}
    async with service, Client(build_server(service, toolsets=None), mode="legacy") as client:
        for tool, args in calls.items():
            await service.call(tool, **args)  # cold: parse and analyse
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                await service.call(tool, **args)
                times.append(time.perf_counter() - t0)
            result = await client.call_tool(tool, args)
            text = sum(len(c.text) for c in result.content if c.type == "text")
            structured = len(json.dumps(result.structured_content, separators=(",", ":")))
            print(f"{tool}: warm call {statistics.median(times) * 1e3:.2f} ms (median of {repeat}); "
                  f"MCP answer {text:,} text chars (~{text // 4:,} tokens), {structured:,} structured")
        # the answers' own work, from warm analyses
        chains_backend = service._chains  # a benchmark may look inside
        from gex_mcp.backends.history_answers import past_moment

        at = past_moment(DAY, "as_of", service._now(), end_of_day=True)
        entries = {}
        for sym in ("SPX", "SPY", "XSP"):
            entry, prov, _ = await chains_backend.analyse(Query(sym, "file", as_of=at))
            entries[sym] = (entry, prov)
        spx, prov = entries["SPX"]
        fs = median_ms(lambda: flip_sensitivity_response(spx.analysis, prov, spx.context), repeat)
        cx = median_ms(lambda: analyze_complex(spx.analysis.prepared, [
            entries[s][0].analysis.prepared for s in ("SPY", "XSP")]), repeat)
        print(f"flip_sensitivity answer built from the warm analysis: {fs:.2f} ms "
              f"({len(spx.analysis.prepared):,} contracts, 8 flip searches: 4 IV shifts, the other dealer model, 3 expiries left out)")
        print(f"complex book merged, priced and flipped from warm analyses: {cx:.2f} ms "
              f"({sum(len(e.analysis.prepared) for e, _ in entries.values()):,} contracts)")
    demo = build_service(Settings(_env_file=None, source="demo"))
    async with demo, Client(build_server(demo, toolsets=None), mode="legacy") as client:
        symbols = list(DEMO_SYMBOLS)
        await demo.call("basket", symbols=symbols)
        t0 = time.perf_counter()
        for _ in range(repeat):
            await demo.call("basket", symbols=symbols)
        warm = (time.perf_counter() - t0) / repeat * 1e3
        result = await client.call_tool("basket", {"symbols": symbols})
        text = sum(len(c.text) for c in result.content if c.type == "text")
        structured = len(json.dumps(result.structured_content, separators=(",", ":")))
        print(f"basket of the {len(symbols)} demo symbols: warm call {warm:.2f} ms (mean of {repeat}); "
              f"MCP answer {text:,} text chars (~{text // 4:,} tokens), {structured:,} structured")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--chains", type=Path, default=DEFAULT_CHAINS)
    args = parser.parse_args()
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(not set)')}; "
          f"cpus={os.cpu_count()}")
    anyio.run(run, args.chains, args.repeat)


if __name__ == "__main__":
    main()
