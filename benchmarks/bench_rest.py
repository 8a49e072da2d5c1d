"""REST API latency and throughput on loopback, warm cache.

    .venv/bin/python benchmarks/bench_rest.py [--requests N] [--clients C]

Starts `gex-mcp serve --transport rest --source demo` as a subprocess (a real uvicorn
process, as a user runs it), warms the cache, then measures with httpx from this process:
  * sequential warm GET /v1/exposure/levels/SPY and /v1/exposure/gex/SPY: p50 and p99;
  * C concurrent clients (asyncio tasks sharing one connection pool) hammering levels:
    requests per second.
The client and the server share the 2-core machine, so throughput counts both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from _http_server import demo_server, machine_line, percentile


def sequential(url: str, path: str, n: int) -> tuple[float, float]:
    times = []
    with httpx.Client(base_url=url) as client:
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    return statistics.median(times), percentile(times, 0.99)


async def concurrent(url: str, path: str, clients: int, seconds: float) -> float:
    done = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                (await client.get(path)).raise_for_status()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with demo_server("rest") as (url, _):
        for path in ("/v1/exposure/levels/SPY", "/v1/exposure/gex/SPY"):
            httpx.get(url + path, timeout=30).raise_for_status()  # warm cache and memo
        print(machine_line())
        for path in ("/v1/exposure/levels/SPY", "/v1/exposure/gex/SPY"):
            p50, p99 = sequential(url, path, args.requests)
            print(f"GET {path:32s} warm, sequential: p50 {p50:.2f} ms  p99 {p99:.2f} ms "
                  f"({args.requests} requests)")
        rps = asyncio.run(concurrent(url, "/v1/exposure/levels/SPY", args.clients, args.seconds))
        print(f"GET /v1/exposure/levels/SPY, {args.clients} concurrent clients: {rps:,.0f} requests/s")


if __name__ == "__main__":
    main()
