"""The HTTP server survives slow clients and log floods (uvicorn on 127.0.0.1, real sockets)."""

from __future__ import annotations

import logging
import socket
import threading
import time

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


def test_connections_past_gex_http_max_connections_get_503_and_the_server_recovers(tmp_path):
    """`serve --transport rest` as a real process with GEX_HTTP_MAX_CONNECTIONS=3: with three
    connections held open (headers unfinished), a fourth request is answered 503 at once;
    once they close, requests are served again."""
    import os
    import signal
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GEX_")},
           "GEX_DATA_DIR": str(tmp_path), "GEX_HTTP_MAX_CONNECTIONS": "3",
           "MPLCONFIGDIR": str(tmp_path / "mpl")}
    server = subprocess.Popen([sys.executable, "-m", "gex_mcp", "serve", "--transport", "rest",
                               "--source", "demo", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/health"
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        for _ in range(3):
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            held.append(conn)
        time.sleep(0.3)
        assert httpx.get(url, timeout=5).status_code == 503
        for conn in held:
            conn.close()
        held.clear()
        time.sleep(0.3)
        assert httpx.get(url, timeout=5).status_code == 200
    finally:
        for conn in held:
            conn.close()
        server.send_signal(signal.SIGTERM)
        wait_or_kill(server, 20)
        server.stderr.close()
