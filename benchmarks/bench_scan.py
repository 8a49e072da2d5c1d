"""Watchlist scan latency through GexService, cold and warm.

Run: .venv/bin/python benchmarks/bench_scan.py
     .venv/bin/python benchmarks/bench_scan.py --universe 500


- cboe over loopback: AAPL, GOOGL, META served by the test suite's loopback HTTP server
  (real CBOE JSON fixtures), with a fresh data dir each round so every fetch is cold.
- file: 10 symbols from ../shared/chains (GEX_CHAINS_DIR), cold (new service, empty cache)
  and warm (same service, second call).
- `--universe N` (this alone, in a fresh process): N symbols from local snapshot files made
  for the run, each a link to one of the 24 fixtures under a generated ticker (U000,
  U001, ...), in a temporary GEX_CHAINS_DIR. The service is the server's (SQLite cache and
  history in a temporary GEX_DATA_DIR). Cold: the first scan (every file parsed, analysed,
  cached; from 64 symbols the files are parsed in worker processes); warm: the same scan
  again, within the cache lifetime. Peak RSS of this process after each, and of the
  largest parsing worker. Then the same universe as one `gex-mcp scan ... --source file --json` process
  (cold, its own empty data dir): wall time and its peak RSS. Goals (issue 15): 500 symbols
  in at most 10 s cold and 0.5 s warm on 2 cores, RSS at most 1 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gex_mcp.service import build_service  # noqa: E402
from gex_mcp.settings import Settings  # noqa: E402
from gex_mcp.sources.parse_pool import default_workers  # noqa: E402
from tests.sources.loopback import LoopbackServer  # noqa: E402
from tests.universe import make_universe  # noqa: E402

CHAINS = ROOT.parent / "shared" / "chains"
FILE_WATCHLIST = ["SPX", "SPY", "QQQ", "NDX", "AAPL", "META", "NVDA", "AMD", "TSLA", "XSP"]
CBOE_WATCHLIST = ["AAPL", "GOOGL", "META"]


async def scan_once(settings: Settings, symbols: list[str], warm_rounds: int = 0):
    async with build_service(settings) as svc:
        t0 = time.perf_counter()
        result = await svc.scan(symbols)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(warm_rounds):
            t0 = time.perf_counter()
            await svc.scan(symbols)
            warm.append(time.perf_counter() - t0)
    assert not result.failed, result.failed
    return cold, warm


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


async def universe_scan(settings: Settings, symbols: list[str], warm_rounds: int):
    async with build_service(settings) as svc:
        t0 = time.perf_counter()
        result = await svc.scan(symbols, max_symbols=len(symbols))
        cold = time.perf_counter() - t0
        cold_rss = peak_rss_mb()
        warm = []
        for _ in range(warm_rounds):
            t0 = time.perf_counter()
            await svc.scan(symbols, max_symbols=len(symbols))
            warm.append(time.perf_counter() - t0)
    return result, cold, cold_rss, warm


def universe(count: int, warm_rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="gex-universe-") as tmp:
        chains, data = Path(tmp) / "chains", Path(tmp) / "data"
        chains.mkdir()
        symbols = make_universe(chains, count)
        settings = Settings(_env_file=None, source="file", data_dir=data, chains_dir=chains)
        start_rss = peak_rss_mb()
        cpu_before = cpu_seconds(resource.RUSAGE_SELF)
        result, cold, cold_rss, warm = anyio.run(universe_scan, settings, symbols, warm_rounds)
        main_cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu_before
        worker_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)  # the workers, stopped with the service
        print(f"universe scan, {count} symbols from local files (links to {len(list(CHAINS.glob('cboe_*')))} "
              f"fixtures), in process: cold {cold:.2f} s, warm median "
              f"{statistics.median(warm) * 1e3:.0f} ms (min {min(warm) * 1e3:.0f}, "
              f"max {max(warm) * 1e3:.0f}, {len(warm)} rounds); failed {len(result.failed)}; "
              f"peak RSS {start_rss:.0f} MB before, {cold_rss:.0f} MB after cold, "
              f"{peak_rss_mb():.0f} MB after warm; {default_workers()} parsing workers, "
              f"the largest peaking at {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB; CPU "
              f"(cold and warm rounds) {main_cpu:.1f} s here + {worker_cpu:.1f} s in the workers; "
              f"load average at the end {os.getloadavg()[0]:.2f}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GEX_", "FLASHALPHA_"))}
        env.update(GEX_DATA_DIR=str(Path(tmp) / "cli-data"), GEX_CHAINS_DIR=str(chains),
                   MPLCONFIGDIR=str(Path(tmp) / "mpl"))
        t0 = time.perf_counter()
        done = subprocess.run([str(Path(sys.executable).parent / "gex-mcp"), "scan", *symbols,
                               "--source", "file", "--json"], env=env, capture_output=True,
                              check=False)
        elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"gex-mcp scan exited {done.returncode}: {done.stderr.decode()[-500:]}")
        print(f"universe scan, {count} symbols, one `gex-mcp scan --source file --json` process "
              f"(cold, start-up included): {elapsed:.2f} s, peak RSS of it or a worker "
              f"{peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--universe", type=int, default=0, metavar="N",
                        help="only the N-symbol universe scan from generated local files")
    parser.add_argument("--warm-rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(not set)')}")
    if args.universe:
        universe(args.universe, args.warm_rounds)
        return
    with LoopbackServer() as server:
        colds = []
        for _ in range(5):
            with tempfile.TemporaryDirectory() as tmp:
                s = Settings(_env_file=None, source="cboe", data_dir=Path(tmp), cboe_base_url=server.url)
                colds.append(anyio.run(scan_once, s, CBOE_WATCHLIST)[0])
    print(f"scan {len(CBOE_WATCHLIST)} symbols, cboe over loopback, cold: median "
          f"{statistics.median(colds) * 1e3:.1f} ms over {len(colds)} rounds")
    colds, warms = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            s = Settings(_env_file=None, source="file", data_dir=Path(tmp), chains_dir=CHAINS)
            cold, warm = anyio.run(scan_once, s, FILE_WATCHLIST, 20)
            colds.append(cold)
            warms.extend(warm)
    print(f"scan {len(FILE_WATCHLIST)} symbols, file source, cold: median "
          f"{statistics.median(colds) * 1e3:.1f} ms; warm: median {statistics.median(warms) * 1e3:.2f} ms, "
          f"max {max(warms) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
