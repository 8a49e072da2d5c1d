"""Many concurrent HTTP clients against one server: MCP tool calls and REST, warm cache.

    .venv/bin/python benchmarks/bench_http_clients.py [--clients 50] [--seconds 8]

Starts `gex-mcp serve --transport http --source demo` (a real uvicorn subprocess), warms
the cache, then runs C clients as asyncio tasks sharing httpx connection pools:
  * MCP: each client initializes its own session, then repeats `tools/call levels SPY`
    (raw JSON-RPC over streamable HTTP, answers read from the event stream);
  * REST: each client repeats `GET /v1/exposure/levels/SPY`.
Prints calls per second and p50/p99 latency for each. The clients share the 2 cores with
the server, so the figures bound the server from below. With `--profile`, py-spy (if
installed) samples the server during the MCP run and the top frames are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
from _http_server import demo_server, machine_line, percentile

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}


async def mcp_client(client: httpx.AsyncClient, stop: float, latencies: list[float]) -> None:
    init = await client.post("/mcp", json=INITIALIZE, headers=ACCEPT)
    session = init.headers["mcp-session-id"]
    headers = {**ACCEPT, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18"}
    await client.post("/mcp", headers=headers,
                      json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    n = 1
    while time.perf_counter() < stop:
        body = {"jsonrpc": "2.0", "id": n, "method": "tools/call",
                "params": {"name": "levels", "arguments": {"symbol": "SPY"}}}
        start = time.perf_counter()
        response = await client.post("/mcp", json=body, headers=headers)
        assert response.status_code == 200 and '"isError":false' in response.text.replace(" ", "")
        latencies.append((time.perf_counter() - start) * 1000)
        n += 1


async def rest_client(client: httpx.AsyncClient, stop: float, latencies: list[float]) -> None:
    while time.perf_counter() < stop:
        start = time.perf_counter()
        (await client.get("/v1/exposure/levels/SPY")).raise_for_status()
        latencies.append((time.perf_counter() - start) * 1000)


async def run(url: str, kind: str, clients: int, seconds: float) -> tuple[float, float, float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        stop = time.perf_counter() + seconds
        worker = mcp_client if kind == "mcp" else rest_client
        start = time.perf_counter()
        await asyncio.gather(*(worker(client, stop, latencies) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, statistics.median(latencies), percentile(latencies, 0.99)


def _print_profile(path: str, top: int = 10) -> None:
    """Where the server spent its samples during the MCP run: the innermost frames (self
    time), grouped by function, as a share of all samples."""
    if not os.path.exists(path):
        print("py-spy produced no profile (permissions?)")
        return
    from collections import Counter

    leaves: Counter[str] = Counter()
    total = 0
    with open(path, encoding="utf-8") as samples:
        lines = samples.read().splitlines()
    for line in lines:
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frame = stack.split(";")[-1]
        name, _, where = frame.partition(" (")
        module = where.split("site-packages/")[-1].split("/gex_mcp/")[-1].split(":")[0]
        leaves[f"{name} ({module})"] += n
    print(f"server: {total} samples during the MCP run; top self time:")
    for frame, n in leaves.most_common(top):
        print(f"  {n / total * 100:5.1f}%  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    spy = None
    with demo_server("http") as (url, server):
        httpx.get(url + "/v1/exposure/levels/SPY", timeout=30).raise_for_status()
        print(f"{machine_line()}, {args.clients} clients")
        profile = os.path.join(tempfile.mkdtemp(prefix="gex-spy-"), "server.txt")
        py_spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
        if args.profile and os.path.exists(py_spy):
            spy = subprocess.Popen([py_spy, "record", "--format", "raw", "--output", profile,
                                    "--duration", str(int(args.seconds)), "--pid", str(server.pid),
                                    "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for kind in ("mcp", "rest"):
                rps, p50, p99 = asyncio.run(run(url, kind, args.clients, args.seconds))
                label = "MCP tools/call levels SPY" if kind == "mcp" else "REST GET levels/SPY"
                print(f"{label:28s} {rps:7,.0f} calls/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
            if spy is not None:
                spy.wait(timeout=60)
                _print_profile(profile)
        finally:
            if spy is not None and spy.poll() is None:
                spy.terminate()


if __name__ == "__main__":
    main()
