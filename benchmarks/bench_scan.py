"""Watchlist scan latency through GexService, cold and warm.

Run: .venv/bin/python benchmarks/bench_scan.py

- cboe over loopback: AAPL, GOOGL, META served by the test suite's loopback HTTP server
  (real CBOE JSON fixtures), with a fresh data dir each round so every fetch is cold.
- file: 10 symbols from ../shared/chains (GEX_CHAINS_DIR), cold (new service, empty cache)
  and warm (same service, second call).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gex_mcp.service import build_service  # noqa: E402
from gex_mcp.settings import Settings  # noqa: E402
from tests.sources.loopback import LoopbackServer  # noqa: E402

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


def main() -> None:
    print(f"python {sys.version.split()[0]}, OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(not set)')}")
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
