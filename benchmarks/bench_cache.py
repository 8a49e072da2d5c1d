"""Cache latency: warm in-memory hits, and loading an SPX-sized chain from SQLite.

    .venv/bin/python benchmarks/bench_cache.py [--calls 100000]

Prints the median and p99 of a warm `get_or_fetch` (one event loop, one key), then the
time to encode, write, and cold-load (new connection, new cache, empty memory) a synthetic
20,000-row chain.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio
import numpy as np

from gex_mcp.engine.chain import OptionChain, build_chain
from gex_mcp.store import CHAIN_CODEC, ChainCache, chain_key, open_database


def synthetic_chain(rows: int = 20_000, seed: int = 7) -> OptionChain:
    """An SPX-like chain: 40 expiries x 250 strikes x call/put."""
    rng = np.random.default_rng(seed)
    expiries = np.datetime64("2026-11-25") + np.arange(40) * 7
    strikes = 5000.0 + np.arange(rows // 80) * 5.0
    expiry, strike, is_call = (a.ravel() for a in np.meshgrid(expiries, strikes, [True, False],
                                                               indexing="ij"))
    n = len(strike)
    return build_chain(
        symbol="SPX", spot=5900.0, as_of=datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
        root=np.where(np.arange(n) % 3 == 0, "SPX", "SPXW"), expiry=expiry, strike=strike,
        is_call=is_call, iv=rng.uniform(0.08, 0.6, n), open_interest=rng.integers(0, 5000, n),
        volume=rng.integers(0, 900, n), bid=rng.uniform(0, 50, n), ask=rng.uniform(0, 50, n),
        source="bench")


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(int(q * len(sorted_values)), len(sorted_values) - 1)]


async def warm_hits(calls: int) -> list[float]:
    cache = ChainCache(None)
    value = object()

    async def fetch() -> object:
        return value

    key = chain_key("bench", "SPY")
    await cache.get_or_fetch(key, fetch, ttl_seconds=3600, codec=None)
    timings = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        await cache.get_or_fetch(key, fetch, ttl_seconds=3600, codec=None)
        timings.append(clock() - start)
    return timings


async def cold_loads(path: Path, chain: OptionChain, repeats: int) -> dict[str, list[float]]:
    async def fetch() -> OptionChain:
        return chain

    async def must_not_fetch() -> OptionChain:
        raise AssertionError("cold load fetched instead of reading SQLite")

    key = chain_key("bench", "SPX")
    out: dict[str, list[float]] = {"encode": [], "decode": [], "fetch+write": [], "cold load": []}
    for _ in range(repeats):
        start = time.perf_counter()
        payload = CHAIN_CODEC.encode(chain)
        out["encode"].append(time.perf_counter() - start)
        start = time.perf_counter()
        CHAIN_CODEC.decode(payload)
        out["decode"].append(time.perf_counter() - start)

        conn = open_database(path)
        try:
            cache = ChainCache(conn)
            cache.invalidate(key)
            start = time.perf_counter()
            await cache.get_or_fetch(key, fetch, ttl_seconds=3600)
            out["fetch+write"].append(time.perf_counter() - start)
        finally:
            conn.close()

        conn = open_database(path)
        try:
            cache = ChainCache(conn)
            start = time.perf_counter()
            got = await cache.get_or_fetch(key, must_not_fetch, ttl_seconds=3600)
            out["cold load"].append(time.perf_counter() - start)
            assert got.from_cache and len(got.value) == len(chain)
        finally:
            conn.close()
    out["payload MB"] = [len(payload) / 1e6]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(not set)')}")

    timings = sorted(anyio.run(warm_hits, args.calls))
    print(f"warm in-memory hit, {args.calls} calls: "
          f"median {statistics.median(timings) / 1e3:.2f} us, "
          f"p99 {percentile(timings, 0.99) / 1e3:.2f} us, max {timings[-1] / 1e3:.1f} us")

    chain = synthetic_chain()
    with tempfile.TemporaryDirectory() as folder:
        results = anyio.run(cold_loads, Path(folder) / "bench.db", chain, args.repeats)
    print(f"SQLite, {len(chain)}-row chain, {results.pop('payload MB')[0]:.2f} MB payload, "
          f"{args.repeats} repeats:")
    for name, values in results.items():
        values = sorted(values)
        print(f"  {name:<12} median {statistics.median(values) * 1e3:7.2f} ms, "
              f"max {values[-1] * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
