"""A gzip bomb asked for by a real `gex-mcp serve --transport http` (shared by a test and a benchmark).

The loopback server (tests/sources/loopback.py) answers every AAPL chain request with a
gzip body that inflates to `inflated_mb` MB of zeros; the served REST API is asked for
AAPL's levels `sequential` times one after the other, then `rounds` times `concurrent` at
once, while a thread polls `/health` every 20 ms and reads the server's RSS from
/proc/<pid>/status. Loopback only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from tests.processes import wait_or_kill
from tests.sources.loopback import Fault, LoopbackServer


def gzip_bomb(inflated_mb: int) -> bytes:
    """gzip of `inflated_mb` MiB of zeros, built 1 MiB at a time (~1 kB of gzip per MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(inflated_mb)]
    parts.append(packer.flush())
    return b"".join(parts)


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MB (VmRSS, Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@dataclass
class BombFigures:
    start_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    end_rss_mb: float = 0.0
    health_ms: list[float] = field(default_factory=list)
    health_failures: int = 0
    statuses: list[int] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_bombs(*, inflated_mb: int, sequential: int, concurrent: int, rounds: int,
              max_response_mb: int | None = None) -> BombFigures:
    """Serve, bomb, measure; see the module docstring."""
    bomb = gzip_bomb(inflated_mb)
    figures = BombFigures()
    with LoopbackServer() as upstream, tempfile.TemporaryDirectory(prefix="gex-bomb-") as data:
        upstream.faults["AAPL"] = Fault(body=bomb, headers={"Content-Encoding": "gzip"})
        port = _free_port()
        env = {**os.environ, "GEX_DATA_DIR": data, "GEX_CBOE_BASE_URL": upstream.url,
               "GEX_HTTP_RETRIES": "0", "GEX_RATE_LIMIT_PER_MINUTE": "0",
               "GEX_LOG_LEVEL": "ERROR"}
        if max_response_mb is not None:
            env["GEX_MAX_RESPONSE_MB"] = str(max_response_mb)
        server = subprocess.Popen(
            [sys.executable, "-m", "gex_mcp", "serve", "--transport", "http", "--port", str(port),
             "--source", "cboe"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                for _ in range(300):
                    try:
                        client.get("/health", timeout=1).raise_for_status()
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                client.get("/v1/exposure/levels/GOOGL")  # warm: imports and one real chain
                figures.start_rss_mb = figures.peak_rss_mb = rss_mb(server.pid)
                done = threading.Event()

                def watch() -> None:
                    with httpx.Client(base_url=url, timeout=10) as probe:
                        while not done.is_set():
                            t0 = time.perf_counter()
                            try:
                                probe.get("/health").raise_for_status()
                            except httpx.HTTPError:
                                figures.health_failures += 1
                            figures.health_ms.append(1000 * (time.perf_counter() - t0))
                            figures.peak_rss_mb = max(figures.peak_rss_mb, rss_mb(server.pid))
                            time.sleep(0.02)

                watcher = threading.Thread(target=watch, daemon=True)
                watcher.start()

                def ask() -> int:
                    return client.get("/v1/exposure/levels/AAPL").status_code

                for _ in range(sequential):
                    figures.statuses.append(ask())
                with ThreadPoolExecutor(concurrent) as pool:
                    for _ in range(rounds):
                        figures.statuses += list(pool.map(lambda _: ask(), range(concurrent)))
                time.sleep(0.5)
                done.set()
                watcher.join()
                figures.end_rss_mb = rss_mb(server.pid)
        finally:
            server.terminate()
            wait_or_kill(server, 20)
    return figures
