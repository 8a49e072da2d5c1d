"""Soak: the alert poller over many ticks on the demo market; memory must stay flat.

    .venv/bin/python benchmarks/bench_watch_soak.py [--ticks 10000] [--symbols SPY] [--step 60]

A fake clock moves `--step` seconds per tick (60 s = the cache TTL, so every tick fetches and
analyses a fresh demo chain through the normal service path: cache, memo, history off). An
alert stream is open and drained, and a notifier runs for every alert, as under a server.
Prints the process RSS every 1,000 ticks (after a `gc.collect()`), the alerts fired and kept,
and the mean time per tick.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from datetime import UTC, datetime

import anyio

from gex_mcp.alerts.watcher import Watcher
from gex_mcp.backends.options import Freshness
from gex_mcp.service import GexService
from gex_mcp.sources.demo import DemoSource
from gex_mcp.store.cache import ChainCache

START = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # a Monday, 09:30 New York


def rss_mb() -> float:
    """Resident set size now, MB (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


async def soak(ticks: int, symbols: list[str], step: float, every: int) -> None:
    now = [START.timestamp()]
    clock = lambda: now[0]  # noqa: E731
    service = GexService(sources={"demo": DemoSource(clock=lambda: datetime.fromtimestamp(now[0], UTC))},
                         default_source="demo", cache=ChainCache(None, clock=clock), freshness=Freshness(60))
    watcher = Watcher(service, every=60, clock=clock)
    watcher.watch(symbols)
    notified = [0]

    async def notify(uri: str) -> None:
        notified[0] += 1

    watcher.hub.add_notifier(notify)
    heard = [0]
    started = time.perf_counter()
    print(f"{'tick':>6} {'rss_mb':>8} {'alerts':>7} {'kept':>5} {'ms/tick':>8}")
    async with watcher.hub.listen() as stream, anyio.create_task_group() as tg:
        async def drain() -> None:
            async for _ in stream:
                heard[0] += 1

        tg.start_soon(drain)
        lap = time.perf_counter()
        for tick in range(1, ticks + 1):
            await watcher.tick()
            now[0] += step
            if tick % every == 0 or tick == 1:
                gc.collect()
                took = (time.perf_counter() - lap) / (every if tick > 1 else 1) * 1000
                print(f"{tick:>6} {rss_mb():>8.1f} {watcher.hub.fired:>7} "
                      f"{len(watcher.hub.recent().alerts):>5} {took:>8.2f}", flush=True)
                lap = time.perf_counter()
        await anyio.sleep(0.01)
        tg.cancel_scope.cancel()
    total = time.perf_counter() - started
    print(f"{ticks} ticks of {', '.join(symbols)} in {total:.1f} s ({total / ticks * 1000:.2f} ms/tick); "
          f"{watcher.hub.fired} alerts fired, {notified[0]} notifications, {heard[0]} streamed; "
          f"simulated {ticks * step / 86400:.1f} days")
    await service.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10_000)
    parser.add_argument("--symbols", default="SPY")
    parser.add_argument("--step", type=float, default=60.0, help="clock seconds per tick")
    parser.add_argument("--every", type=int, default=1_000, help="print a row every N ticks")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(not set)')}")
    anyio.run(soak, args.ticks, [s for s in args.symbols.split(",") if s], args.step, args.every)


if __name__ == "__main__":
    main()
