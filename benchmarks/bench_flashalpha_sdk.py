"""FlashAlpha's SDK against `gex-mcp serve --transport rest --source file`: time per call.

    .venv/bin/python benchmarks/bench_flashalpha_sdk.py [--repeat N] [--chains ../shared/chains]

Starts the server as a subprocess on loopback (the snapshot files of --chains), then calls
each exposure-family method of the official SDK once cold (the first call of that method:
its analyses are computed) and N times warm (answers cached), and prints the cold time and
the warm median in milliseconds. The routes that combine many answers (options, term
structure, 0DTE) show what they cost on a large chain (SPX: about 50 expirations).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _http_server import BENCH_ENV, machine_line
from flashalpha import FlashAlpha

from tests.processes import wait_healthy  # _http_server put the project root on sys.path

ROOT = Path(__file__).resolve().parents[1]


def calls(fa: FlashAlpha, spx_expiry: str) -> dict[str, object]:
    return {
        "gex SPX": lambda: fa.gex("SPX"), "summary SPX": lambda: fa.exposure_summary("SPX"),
        "levels SPX": lambda: fa.exposure_levels("SPX"), "narrative SPX": lambda: fa.narrative("SPX"),
        "max_pain SPX": lambda: fa.max_pain("SPX"), "expected_move SPX": lambda: fa.expected_move("SPX"),
        "sheet SPX": lambda: fa.exposure_sheet("SPX"), "oi_diff SPX": lambda: fa.exposure_oi_diff("SPX"),
        "term_structure SPX": lambda: fa.exposure_term_structure("SPX"),
        "basket SPX,SPY,QQQ": lambda: fa.exposure_basket(["SPX", "SPY", "QQQ"]),
        "zero_dte SPX expiry": lambda: fa.zero_dte("SPX", expiry=spx_expiry),
        "option_quote SPY": lambda: fa.option_quote("SPY"), "stock_quote SPY": lambda: fa.stock_quote("SPY"),
        "symbols": fa.symbols, "tickers": fa.tickers,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chains", type=Path, default=ROOT.parent / "shared" / "chains")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="gex-bench-") as data_dir:
        env = {**os.environ, **BENCH_ENV, "GEX_DATA_DIR": data_dir, "GEX_CHAINS_DIR": str(args.chains)}
        server = subprocess.Popen([sys.executable, "-m", "gex_mcp", "serve", "--transport", "rest",
                                   "--port", str(port), "--source", "file"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, server, 60)
            fa = FlashAlpha("unused", base_url=url)
            start = time.perf_counter()
            listed = fa.options("SPX")["expirations"]
            print(f"options SPX ({len(listed)} expirations): cold {(time.perf_counter() - start) * 1000:.0f} ms")
            expiry = next(e["expiration"] for e in listed if e["strikes"])
            print(f"{'call':<24}{'cold ms':>10}{'warm p50 ms':>14}")
            for name, call in calls(fa, expiry).items():
                start = time.perf_counter()
                call()
                cold = (time.perf_counter() - start) * 1000
                warm = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    call()
                    warm.append((time.perf_counter() - start) * 1000)
                print(f"{name:<24}{cold:>10.0f}{statistics.median(warm):>14.1f}")
            print(machine_line())
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
