"""The HTTP server survives slow clients and log floods (uvicorn on 127.0.0.1, real sockets)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from gex_mcp.http.protocol import HeaderDeadlineProtocol, RepeatFilter
from gex_mcp.http.rest.app import build_rest_app
from tests.processes import wait_or_kill
from tests.rest.conftest import demo_service


class QuickDeadline(HeaderDeadlineProtocol):  # noqa: D101
    header_timeout_seconds = 0.5


@pytest.fixture
def server_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(build_rest_app(demo_service()), http=QuickDeadline, log_config=None,
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.01)
    yield sock.getsockname()
    server.should_exit = True
    thread.join(20)
    sock.close()


def test_a_client_that_never_finishes_its_headers_is_disconnected(server_url):
    """Half a request line and one header, then silence: closed after the deadline."""
    slow = [socket.create_connection(server_url, timeout=5) for _ in range(20)]
    for conn in slow:
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started = time.monotonic()
    try:
        assert all(conn.recv(1024) == b"" for conn in slow)  # the server hung up
        assert time.monotonic() - started < 3
        host, port = server_url
        assert httpx.get(f"http://{host}:{port}/health", timeout=5).status_code == 200
    finally:
        for conn in slow:
            conn.close()


def test_a_prompt_client_on_a_kept_alive_connection_is_served_twice(server_url):
    host, port = server_url
    with httpx.Client(base_url=f"http://{host}:{port}") as client:
        assert client.get("/health").status_code == 200
        time.sleep(0.3)
        assert client.get("/health").status_code == 200


def test_repeated_log_lines_are_thinned_out():
    records = [logging.LogRecord("x", logging.ERROR, __file__, 1, "accept failed", None, None)
               for _ in range(50)]
    flood = RepeatFilter(limit=5, window_seconds=60)
    passed = [r for r in records if flood.filter(r)]
    assert len(passed) == 6  # five copies, then one saying the rest are suppressed
    assert passed[-1].msg == "accept failed [repeated; further copies suppressed for 60 s]"
    other = logging.LogRecord("x", logging.ERROR, __file__, 1, "another line", None, None)
    assert flood.filter(other)


@contextmanager
def served_rest(tmp_path, max_connections: int) -> Iterator[int]:
    """`serve --transport rest --source demo` as a real process; yields its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GEX_")},
           "GEX_DATA_DIR": str(tmp_path), "GEX_HTTP_MAX_CONNECTIONS": str(max_connections),
           "GEX_LOG_LEVEL": "ERROR", "MPLCONFIGDIR": str(tmp_path / "mpl")}
    server = subprocess.Popen([sys.executable, "-m", "gex_mcp", "serve", "--transport", "rest",
                               "--source", "demo", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        wait_or_kill(server, 20)


def _fresh_requests(port: int, n: int) -> list[int]:
    """`n` complete requests, each on a new connection: their statuses (0 = no answer)."""
    statuses = []
    for _ in range(n):
        try:
            statuses.append(httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code)
        except httpx.TransportError:
            statuses.append(0)
    return statuses


def test_requests_past_gex_http_max_connections_get_503_and_the_server_recovers(tmp_path):
    """GEX_HTTP_MAX_CONNECTIONS=3: three requests in progress (alert streams) make a fourth
    503 at once; once they close, requests are served again."""
    with served_rest(tmp_path, 3) as port:
        held = []
        try:
            for _ in range(3):
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                held.append(conn)
                conn.sendall(b"GET /v1/alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert conn.recv(64).startswith(b"HTTP/1.1 200")
            assert _fresh_requests(port, 1) == [503]
        finally:
            for conn in held:
                conn.close()
        time.sleep(0.3)
        assert _fresh_requests(port, 1) == [200]


def test_slow_sockets_do_not_take_the_slots_of_complete_requests(tmp_path):
    """Issue 26, point 2, scaled down: with GEX_HTTP_MAX_CONNECTIONS=50 (so 100 waiting
    connections kept), 400 sockets holding unfinished headers and then 200 idle keep-alive
    connections; at least 95% of 40 complete requests are answered (before: 0%, all 503)."""
    with served_rest(tmp_path, 50) as port:
        slow = []
        try:
            for _ in range(400):
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                slow.append(conn)
            time.sleep(0.3)
            statuses = _fresh_requests(port, 40)
            assert statuses.count(200) >= 38, statuses
            idle = []
            for _ in range(200):  # a complete request each, then silence on a kept-alive line
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                idle.append(conn)
            slow += idle
            time.sleep(0.3)
            statuses = _fresh_requests(port, 40)
            assert statuses.count(200) >= 38, statuses
        finally:
            for conn in slow:
                conn.close()
