"""The dashboard page as a trader keeps it open: requests and bytes per minute, time to chart,
a key-repeat burst on the tabs, and axe-core violations by impact.

Runs `gex-mcp serve --transport http` (default cache lifetimes) on loopback over the demo and
over the snapshot files of ../shared/chains, opens `/` in headless Chromium (Debian's, as the
browser tests do) and counts what the page asks for.

    .venv/bin/python benchmarks/bench_dashboard.py [--minutes 1] [--loads 7] [--no-axe]

Needs `bash scripts/ensure-chromium.sh` and `bash scripts/ensure-axe.sh` first.
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.processes import wait_healthy  # noqa: E402
from tests.web.axe import axe_violations  # noqa: E402
from tests.web.browser import ARGS, chromium_path  # noqa: E402

CHAINS = os.environ.get("GEX_BENCH_CHAINS") or str(ROOT.parent / "shared" / "chains")
#: name: (source, symbol, environment). demo-60s plays an open market's 60 s cache lifetime
#: whatever the clock (the closed-market lifetime is 1800 s by default).
CASES = {"demo": ("demo", "SPY", {}), "file": ("file", "SPX", {"GEX_CHAINS_DIR": CHAINS}),
         "demo-60s": ("demo", "SPY", {"GEX_CACHE_TTL_CLOSED": "60", "GEX_CACHE_TTL": "60"})}


@contextmanager
def server(source: str, env_extra: dict[str, str]) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="gex-bench-") as data_dir:
        env = {**os.environ, "GEX_DATA_DIR": data_dir, "GEX_LOG_LEVEL": "WARNING", **env_extra}
        proc = subprocess.Popen([sys.executable, "-m", "gex_mcp", "serve", "--transport", "http",
                                 "--port", str(port), "--source", source], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, 20)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


class Traffic:
    """Requests (excluding the page itself) and their encoded response bytes."""

    def __init__(self, page: Page) -> None:
        self.requests = 0
        self.bytes = 0
        self.statuses: collections.Counter[int] = collections.Counter()
        page.on("requestfinished", self._done)

    def _done(self, request) -> None:
        if "/v1/" not in request.url:
            return
        sizes = request.sizes()
        self.requests += 1
        self.bytes += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        response = request.response()
        self.statuses[response.status if response else 0] += 1


CHART = "() => window.gexDashboard && gexDashboard.chart ? performance.now() : null"


def time_to_chart(browser, url: str, symbol: str, loads: int) -> list[float]:
    """Milliseconds from navigation to the first strike chart, for `loads` fresh tabs."""
    out = []
    for _ in range(loads):
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{url}/?symbol={symbol}&watchlist=SPY,QQQ,SPX")
        out.append(round(page.wait_for_function(CHART, polling=10, timeout=60_000).json_value()))
        page.close()
    return out


def measure(browser, url: str, symbol: str, minutes: float, axe: bool, loads: int) -> dict:
    times = time_to_chart(browser, url, symbol, loads)
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    traffic = Traffic(page)
    page.goto(f"{url}/?symbol={symbol}&watchlist=SPY,QQQ,SPX")
    page.wait_for_function(CHART, polling=10, timeout=60_000)
    page.wait_for_function("() => document.body.dataset.status === 'ready' && document.body.dataset.scan !== 'loading'",
                           timeout=60_000)
    page.wait_for_timeout(1500)
    first = (traffic.requests, traffic.bytes)
    page.wait_for_timeout(minutes * 60_000)
    steady = (traffic.requests - first[0], traffic.bytes - first[1])
    # key repeat: the right arrow held on the tabs for 2 s (30 presses a second)
    page.focus("[role=tab][aria-selected=true]")
    before = traffic.requests
    for _ in range(60):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(33)
    page.wait_for_timeout(1500)
    burst = traffic.requests - before
    out = {"time_to_chart_ms_median": sorted(times)[len(times) // 2], "time_to_chart_ms": times, "load_requests": first[0], "load_kb": round(first[1] / 1024, 1),
           "per_minute_requests": round(steady[0] / minutes, 1),
           "per_minute_kb": round(steady[1] / 1024 / minutes, 1),
           "key_repeat_2s_requests": burst, "statuses": dict(traffic.statuses)}
    if axe:
        out["axe"] = {k: len(v) for k, v in axe_violations(page).items()}
    page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--no-axe", action="store_true")
    parser.add_argument("--loads", type=int, default=7, help="fresh tabs timed to the first chart")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="default: all")
    options = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        for name in options.case or list(CASES):
            source, symbol, env = CASES[name]
            with server(source, env) as url:
                print(name, symbol, measure(browser, url, symbol, options.minutes, not options.no_axe, options.loads), flush=True)
        browser.close()


if __name__ == "__main__":
    main()
