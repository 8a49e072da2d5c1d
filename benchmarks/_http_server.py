"""Shared by the HTTP benchmarks: a real `gex-mcp serve` subprocess on loopback, and percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # test helpers
from tests.processes import wait_healthy  # noqa: E402

#: Warm and quiet: no rate limit, chains fresh for an hour whatever the market hours.
BENCH_ENV = {"GEX_RATE_LIMIT_PER_MINUTE": "0", "GEX_CACHE_TTL": "3600",
             "GEX_CACHE_TTL_CLOSED": "3600", "GEX_LOG_LEVEL": "WARNING",
             "GEX_HTTP_MAX_CONNECTIONS": "1000"}


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextmanager
def demo_server(transport: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`gex-mcp serve --transport <transport> --source demo` on a free port, up and answering
    /health; yields (base URL, process) and stops it afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="gex-bench-") as data_dir:
        env = {**os.environ, **BENCH_ENV, "GEX_DATA_DIR": data_dir}
        server = subprocess.Popen([sys.executable, "-m", "gex_mcp", "serve", "--transport",
                                   transport, "--port", str(port), "--source", "demo"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, server, 30)
            yield url, server
        finally:
            server.terminate()
            server.wait(timeout=20)


def machine_line() -> str:
    return (f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'not set')}, "
            f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
