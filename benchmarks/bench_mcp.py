"""MCP tool-call latency over stdio, as a desktop host sees it.

    .venv/bin/python benchmarks/bench_mcp.py [--calls 200]

Spawns `python -m gex_mcp serve --source demo` (a temporary GEX_DATA_DIR, cache TTL one hour
so every timed call is warm), warms the cache, then times `levels` and `gex` (default
key strikes, compact answer) for SPY: p50 / p99 / max of round trips through the JSON-RPC pipe.
Three views of the same call:
  - `Client.call_tool`: what an SDK client sees. It re-validates structured content against
    the tool's output schema with jsonschema, which dominates for the large `gex` answer;
  - raw `tools/call` over the same pipe without that client-side check (server + stdio);
  - in process, `MCPServer.call_tool` with no transport (the server's own share).
Then a 10-symbol `scan`, cold (a fresh server, its first call: ten demo chains generated and
analysed) and warm. The cold scan against a loopback CBOE server is not measured here (see
benchmarks/bench_cache.py and the source tests for the fetch path).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters, types

SCAN_SYMBOLS = ["SPY", "QQQ", "IWM", "SPX", "NDX", "AAPL", "MSFT", "NVDA", "TSLA", "AMD"]


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(int(q * len(sorted_values)), len(sorted_values) - 1)]


def server_params(data_dir: Path) -> StdioServerParameters:
    env = {"GEX_DATA_DIR": str(data_dir), "GEX_CACHE_TTL": "3600", "GEX_LOG_LEVEL": "WARNING",
           "PATH": os.environ.get("PATH", ""), "MPLCONFIGDIR": str(data_dir / "mpl")}
    if "OPENBLAS_CORETYPE" in os.environ:
        env["OPENBLAS_CORETYPE"] = os.environ["OPENBLAS_CORETYPE"]
    return StdioServerParameters(command=sys.executable,
                                 args=["-m", "gex_mcp", "serve", "--source", "demo"], env=env)


async def timed(client: Client, tool: str, arguments: dict) -> float:
    start = time.perf_counter()
    result = await client.call_tool(tool, arguments)
    elapsed = time.perf_counter() - start
    if result.is_error:
        raise SystemExit(f"{tool} failed: {result.content[0].text}")
    return elapsed


async def timed_raw(client: Client, tool: str, arguments: dict) -> float:
    """A tools/call round trip without the SDK client's output-schema re-validation."""
    request = types.CallToolRequest(params=types.CallToolRequestParams(name=tool,
                                                                       arguments=arguments))
    start = time.perf_counter()
    result = await client.session.send_request(request, types.CallToolResult)
    elapsed = time.perf_counter() - start
    if result.is_error:
        raise SystemExit(f"{tool} failed: {result.content[0].text}")
    return elapsed


async def in_process(data_dir: Path, calls: int) -> dict[str, list[float]]:
    from gex_mcp.mcp_server.server import build_server
    from gex_mcp.service import build_service
    from gex_mcp.settings import Settings

    service = build_service(Settings(source="demo", data_dir=data_dir, cache_ttl=3600))
    try:
        mcp = build_server(service)
        out: dict[str, list[float]] = {}
        for tool in ("levels", "gex"):
            await mcp.call_tool(tool, {"symbol": "SPY"})
            out[tool] = []
            for _ in range(calls):
                start = time.perf_counter()
                await mcp.call_tool(tool, {"symbol": "SPY"})
                out[tool].append(time.perf_counter() - start)
        return out
    finally:
        await service.aclose()


def report(label: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"{label:<38} n={len(ms):>4}  p50 {percentile(ms, 0.50):7.2f} ms  "
          f"p99 {percentile(ms, 0.99):7.2f} ms  max {ms[-1]:7.2f} ms  "
          f"mean {statistics.fmean(ms):7.2f} ms")


async def main(calls: int) -> None:
    print(f"OPENBLAS_CORETYPE: {os.environ.get('OPENBLAS_CORETYPE', 'not set')}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)

        # Fresh server: the cold scan is its first tool call.
        start = time.perf_counter()
        async with Client(server_params(data_dir / "cold")) as client:
            ready = time.perf_counter() - start
            cold_scan = await timed(client, "scan", {"symbols": SCAN_SYMBOLS})
            warm_scans = [await timed(client, "scan", {"symbols": SCAN_SYMBOLS})
                          for _ in range(max(10, calls // 10))]
        print(f"{'spawn + initialize':<38} {ready * 1000:9.1f} ms")
        print(f"{'scan 10 symbols, cold (1st call)':<38} {cold_scan * 1000:9.1f} ms")
        report("scan 10 symbols, warm", warm_scans)

        async with Client(server_params(data_dir / "warm")) as client:
            first_levels = await timed(client, "levels", {"symbol": "SPY"})
            first_gex = await timed(client, "gex", {"symbol": "SPY"})
            for _ in range(5):
                await timed(client, "levels", {"symbol": "SPY"})
                await timed(client, "gex", {"symbol": "SPY"})
            levels = [await timed(client, "levels", {"symbol": "SPY"}) for _ in range(calls)]
            gex = [await timed(client, "gex", {"symbol": "SPY"}) for _ in range(calls)]
            levels_raw = [await timed_raw(client, "levels", {"symbol": "SPY"})
                          for _ in range(calls)]
            gex_raw = [await timed_raw(client, "gex", {"symbol": "SPY"}) for _ in range(calls)]
        local = await in_process(data_dir / "inproc", calls)
        print(f"{'levels SPY, first call':<38} {first_levels * 1000:9.1f} ms")
        print(f"{'gex SPY, first call after levels':<38} {first_gex * 1000:9.1f} ms")
        report("levels SPY, warm, Client", levels)
        report("gex SPY (key strikes), warm, Client", gex)
        report("levels SPY, warm, raw tools/call", levels_raw)
        report("gex SPY, warm, raw tools/call", gex_raw)
        report("levels SPY, warm, in process", local["levels"])
        report("gex SPY, warm, in process", local["gex"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="timed calls per tool")
    anyio.run(main, parser.parse_args().calls)
