"""Slow and idle sockets against `gex-mcp serve --transport rest --source demo` (issue 26, point 2).

    .venv/bin/python benchmarks/bench_slow_sockets.py [--slow 5000] [--idle 1000] [--requests 100]

Opens `--slow` sockets that send half a request's headers and stop, asks `--requests` complete
requests (each on a new connection) and counts the answers; then adds `--idle` kept-alive
connections (one complete request each, then silence) and asks again. Default
GEX_HTTP_MAX_CONNECTIONS (512: 1,024 waiting connections kept). Loopback only.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter

import httpx
from _http_server import machine_line


def ask(port: int, n: int) -> Counter:
    statuses: Counter = Counter()
    for _ in range(n):
        try:
            statuses[httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code] += 1
        except httpx.TransportError as exc:
            statuses[type(exc).__name__] += 1
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=5000)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * (args.slow + args.idle))), hard))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="gex-slow-") as data:
        env = {**os.environ, "GEX_DATA_DIR": data, "GEX_LOG_LEVEL": "ERROR"}
        server = subprocess.Popen([sys.executable, "-m", "gex_mcp", "serve", "--transport", "rest",
                                   "--source", "demo", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        held: list[socket.socket] = []
        try:
            for _ in range(300):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            for _ in range(args.slow):
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                held.append(conn)
            time.sleep(0.5)
            print(machine_line())
            print(f"{args.slow} slow sockets: {dict(ask(port, args.requests))} of {args.requests}")
            for _ in range(args.idle):
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                held.append(conn)
            time.sleep(0.5)
            print(f"+ {args.idle} idle keep-alive: {dict(ask(port, args.requests))} of {args.requests}")
        finally:
            for conn in held:
                conn.close()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
