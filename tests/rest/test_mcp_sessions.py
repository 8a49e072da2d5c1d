"""Live MCP sessions are capped per key and overall, the least recently used idle one closed
first (issue 26, point 11). Before, sessions (~37 KB each) were unbounded within the idle
time. Served for real on 127.0.0.1; sessions opened and used with raw streamable HTTP.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.rest.conftest import KEYS, demo_service, running

PER_KEY, OVERALL = 3, 5
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}


@pytest.fixture
def url():
    with running(demo_service(), keys=KEYS, max_sessions_per_key=PER_KEY,
                 max_sessions=OVERALL) as base:
        yield base


def _open(http: httpx.Client, key: str) -> httpx.Response:
    return http.post("/mcp", json=INIT, headers={**ACCEPT, "X-Api-Key": key})


def _alive(http: httpx.Client, key: str, sid: str) -> bool:
    answer = http.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "ping"},
                       headers={**ACCEPT, "X-Api-Key": key, "Mcp-Session-Id": sid,
                                "Mcp-Protocol-Version": "2025-06-18"})
    assert answer.status_code in (200, 404), answer.text
    return answer.status_code == 200


def test_one_key_opening_100_sessions_holds_at_most_its_cap(url):
    with httpx.Client(base_url=url, timeout=20) as http:
        sids = []
        for _ in range(100):
            answer = _open(http, KEYS[0])
            assert answer.status_code == 200, answer.text
            sids.append(answer.headers["mcp-session-id"])
        alive = [sid for sid in sids if _alive(http, KEYS[0], sid)]
    assert alive == sids[-PER_KEY:]  # the oldest idle ones were closed


def test_the_overall_cap_closes_the_least_recently_used_of_anyone(url):
    with httpx.Client(base_url=url, timeout=20) as http:
        mine = [_open(http, KEYS[0]).headers["mcp-session-id"] for _ in range(PER_KEY)]
        assert _alive(http, KEYS[0], mine[0])  # used: now the most recent of key one's
        theirs = [_open(http, KEYS[1]).headers["mcp-session-id"] for _ in range(OVERALL - PER_KEY + 1)]
        # 6 wanted, 5 allowed: key one's least recently used (mine[1]) made room
        assert [_alive(http, KEYS[0], s) for s in mine] == [True, False, True]
        assert all(_alive(http, KEYS[1], s) for s in theirs)


def test_when_every_session_is_busy_a_new_one_is_refused_with_503(url):
    with httpx.Client(base_url=url, timeout=20) as http:
        sids = [_open(http, KEYS[0]).headers["mcp-session-id"] for _ in range(PER_KEY)]
        streams, opened = [], threading.Barrier(PER_KEY + 1, timeout=20)
        stop = threading.Event()

        def hold(sid: str) -> None:  # a GET stream keeps a request in flight on the session
            with httpx.Client(base_url=url, timeout=20) as own, own.stream(
                    "GET", "/mcp", headers={"Accept": "text/event-stream", "X-Api-Key": KEYS[0],
                                            "Mcp-Session-Id": sid,
                                            "Mcp-Protocol-Version": "2025-06-18"}) as answer:
                assert answer.status_code == 200
                opened.wait()
                stop.wait(20)

        for sid in sids:
            thread = threading.Thread(target=hold, args=(sid,), daemon=True)
            thread.start()
            streams.append(thread)
        opened.wait()
        refused = _open(http, KEYS[0])
        stop.set()
        assert refused.status_code == 503, refused.text
        assert "Too many open MCP sessions (3 per client)" in refused.json()["error"]["message"]
        assert refused.headers["retry-after"] == "5"
