"""Repeated wrong keys from one address get 429 with Retry-After (issue 26, point 8).

The campaign sent 200 wrong keys and got 200 x 401. Served for real on 127.0.0.1.
"""

from __future__ import annotations

import time

import httpx

from gex_mcp.http.guard import FAILED_KEY_BURST, FailedKeyThrottle
from tests.rest.conftest import KEYS, demo_service, running


def test_200_wrong_keys_are_throttled_and_the_address_waits():
    with running(demo_service(), keys=KEYS) as url, httpx.Client(base_url=url, timeout=20) as http:
        statuses = []
        start = time.monotonic()
        for i in range(200):
            answer = http.get("/v1/exposure/levels/SPY", headers={"X-Api-Key": f"guess-{i}"})
            statuses.append(answer.status_code)
        elapsed = time.monotonic() - start
        assert statuses[:FAILED_KEY_BURST + 1] == [401] * FAILED_KEY_BURST + [429]
        assert set(statuses) == {401, 429}
        # after the burst, one more try per 6 s (10 a minute) while the loop ran
        assert statuses.count(401) <= FAILED_KEY_BURST + 1 + elapsed / 6, (elapsed, statuses)
        assert 1 <= int(answer.headers["Retry-After"]) <= 6
        assert answer.json()["error"] == "too_many_failed_keys"
        # While it waits, the address is refused whatever it sends, on /mcp as on /v1 ...
        right = http.get("/v1/exposure/levels/SPY", headers={"X-Api-Key": KEYS[0]})
        mcp = http.post("/mcp", json={}, headers={"X-Api-Key": KEYS[0]})
        assert (right.status_code, mcp.status_code) == (429, 429)
        # ... and paths without keys stay open.
        assert http.get("/health").status_code == 200


def test_the_allowance_refills_per_address():
    now = [0.0]
    throttle = FailedKeyThrottle(burst=3, per_minute=6, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.wait("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
    assert throttle.wait("10.0.0.1") == 10.0  # 6 per minute: one every 10 s
    assert throttle.wait("10.0.0.2") == 0  # another address is not affected
    now[0] = 10.0
    assert throttle.wait("10.0.0.1") == 0
    throttle.failed("10.0.0.1")
    assert throttle.wait("10.0.0.1") == 10.0
