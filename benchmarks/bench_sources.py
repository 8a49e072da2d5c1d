"""Source benchmarks: CBOE JSON parse speed and a cold fetch over loopback HTTP.

Run from the project root:  .venv/bin/python benchmarks/bench_sources.py [--repeat N]

1. Parse time per MB of CBOE delayed-quotes JSON, for the three JSON fixtures in
   ../shared/chains (median of N calls of `parse_cboe_delayed_json` on bytes in memory).
2. Cold fetch of the largest fixture (META, 2.5 MB): a new `CboeSource` (new client, new
   TCP connection) fetching from the test suite's loopback server on 127.0.0.1, parse
   included. Nothing leaves the machine.

Numbers are wall-clock on this machine; compare runs, not machines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import anyio

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # the loopback server is test code: tests/sources/loopback.py

from gex_mcp.parsing import parse_cboe_delayed_json
from gex_mcp.sources._http import RetryPolicy
from gex_mcp.sources.cboe import CboeSource
from tests.sources.loopback import CHAINS_DIR, LoopbackServer

JSON_SYMBOLS = ("AAPL", "GOOGL", "META")


def bench_parse(repeat: int) -> None:
    print(f"parse_cboe_delayed_json, median of {repeat}:")
    print(f"  {'file':38s} {'MB':>6s} {'rows':>6s} {'ms':>8s} {'ms/MB':>8s}")
    for symbol in JSON_SYMBOLS:
        path = next(CHAINS_DIR.glob(f"cboe_delayed_{symbol}_*.json"))
        data = path.read_bytes()
        megabytes = len(data) / 1e6
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            chain = parse_cboe_delayed_json(data, name=path.name)
            timings.append(time.perf_counter() - start)
        ms = statistics.median(timings) * 1e3
        print(f"  {path.name:38s} {megabytes:6.2f} {len(chain):6d} {ms:8.2f} {ms / megabytes:8.2f}")


async def _cold_fetches(url: str, repeat: int) -> tuple[list[float], list[float]]:
    """(fetch+parse, fetch+parse+full analysis) timings, each with a new HTTP client."""
    from gex_mcp.engine.analysis import analyze_chain

    fetches, analysed = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        async with CboeSource(base_url=url, retry_policy=RetryPolicy(retries=0)) as source:
            chain = await source.fetch_chain("META")
        fetched = time.perf_counter()
        analyze_chain(chain, rate=0.04)
        fetches.append(fetched - start)
        analysed.append(time.perf_counter() - start)
        assert len(chain) == 5678
    return fetches, analysed


def bench_fetch(repeat: int) -> None:
    with LoopbackServer() as server:
        url = server.url
        fetches, analysed = anyio.run(_cold_fetches, url, repeat)
    size = len(next(CHAINS_DIR.glob("cboe_delayed_META_*.json")).read_bytes()) / 1e6
    print(f"cold fetch of META ({size:.2f} MB) from {url} over loopback:")
    for label, timings in (("fetch + parse", fetches), ("fetch + parse + analysis", analysed)):
        print(f"  {label:26s} first {timings[0] * 1e3:.1f} ms, median of {repeat} "
              f"{statistics.median(timings) * 1e3:.1f} ms, min {min(timings) * 1e3:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="repetitions (default 15)")
    args = parser.parse_args()
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    print(f"python {sys.version.split()[0]}; OPENBLAS_CORETYPE "
          + (f"is set to {coretype!r}" if coretype is not None else "is not set"))
    bench_parse(args.repeat)
    bench_fetch(args.repeat)


if __name__ == "__main__":
    main()
