"""Three `gex-mcp serve --transport http --stateless` replicas on loopback, sharing one real
redis-server, in front of a loopback CBOE that counts requests; haproxy round-robin in front
of them for the proxy test. Each replica has its own data folder: whatever they share goes
through Redis.

The module's tests share one fleet and run in order; the last ones stop Redis and kill a
replica.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.replicas.conftest import fresh_postgres, fresh_redis
from tests.shared_stores import Haproxy, PostgresServer, RedisServer, Replica, start_replicas
from tests.sources.loopback import LoopbackServer

pytestmark = pytest.mark.anyio

KEYS = [f"fleet-key-{i}-7d1e" for i in range(1, 9)]
LIMIT = 30  # REST requests per minute per key
WAIT = 30


@dataclass
class Fleet:
    replicas: list[Replica]
    upstream: LoopbackServer
    redis: RedisServer
    postgres: PostgresServer
    folder: Path

    def upstream_requests(self, symbol: str) -> int:
        return self.upstream.requests[self.upstream.cboe_path(symbol)]

    def alive(self) -> list[Replica]:
        return [r for r in self.replicas if r.process.poll() is None]


@pytest.fixture(scope="module")
def fleet(redis_server: RedisServer, postgres_server: PostgresServer,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    redis_url, postgres_url = fresh_redis(redis_server), fresh_postgres(postgres_server)
    folder = tmp_path_factory.mktemp("fleet")
    with LoopbackServer() as upstream:
        replicas = start_replicas(folder, 3, {
            "GEX_REDIS_URL": redis_url, "GEX_DATABASE_URL": postgres_url, "GEX_SOURCE": "cboe",
            "GEX_CBOE_BASE_URL": upstream.url, "GEX_HTTP_TOKEN": ",".join(KEYS),
            "GEX_RATE_LIMIT_PER_MINUTE": str(LIMIT), "GEX_HTTP_RETRIES": "0"})
        try:
            yield Fleet(replicas, upstream, redis_server, postgres_server, folder)
        finally:
            codes = {r.port: r.stop() for r in replicas}
    for replica in replicas:
        log = replica.text()
        assert "Traceback" not in log, log
        assert not any(key in log for key in KEYS)
        assert codes[replica.port] in (0, -signal.SIGKILL), log


def _get(http: httpx.AsyncClient, replica: Replica, path: str, key: str) -> object:
    return http.get(replica.url + path, headers={"X-Api-Key": key})


async def test_sixty_concurrent_requests_over_three_replicas_make_one_upstream_request(
        fleet: Fleet) -> None:
    answers: list[httpx.Response] = []
    targets = itertools.cycle(fleet.replicas)

    async def ask(replica: Replica, key: str) -> None:
        answers.append(await _get(http, replica, "/v1/exposure/levels/AAPL", key))

    with anyio.fail_after(WAIT):
        async with httpx.AsyncClient(timeout=WAIT) as http:
            async with anyio.create_task_group() as tg:
                for i in range(60):
                    tg.start_soon(ask, next(targets), KEYS[i % 3])
    assert Counter(a.status_code for a in answers) == {200: 60}
    flips = {a.json()["gamma_flip"] for a in answers}
    assert len(flips) == 1  # one chain, one answer, whichever replica answered
    assert fleet.upstream_requests("AAPL") == 1


async def test_a_level_record_made_through_replica_1_is_in_the_history_of_replica_3(
        fleet: Fleet) -> None:
    first, _, third = fleet.replicas
    async with httpx.AsyncClient(timeout=WAIT) as http:
        levels = (await _get(http, first, "/v1/exposure/levels/GOOGL", KEYS[4])).json()
        history = (await _get(http, third, "/v1/exposure/history/GOOGL", KEYS[4])).json()
    assert history["basis"] == "stored_records" and history["records"] == 1
    assert history["points"][-1]["spot"] == levels["underlying_price"]


async def test_a_key_gets_429_after_its_limit_in_total_over_all_replicas(fleet: Fleet) -> None:
    statuses, retry_after = [], None
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=WAIT) as http:
        for replica in itertools.islice(itertools.cycle(fleet.replicas), 45):
            got = await _get(http, replica, "/v1/symbols", KEYS[3])
            statuses.append(got.status_code)
            if got.status_code == 429 and retry_after is None:
                retry_after = int(got.headers["retry-after"])
    refilled = int((time.monotonic() - started) * LIMIT / 60)  # tokens refilled meanwhile
    assert statuses[:LIMIT] == [200] * LIMIT
    assert LIMIT <= statuses.count(200) <= LIMIT + refilled
    assert 429 in statuses and retry_after is not None and 1 <= retry_after <= 2


async def test_an_unknown_symbol_is_asked_upstream_once_for_the_fleet(fleet: Fleet) -> None:
    async with httpx.AsyncClient(timeout=WAIT) as http:
        answers = [await _get(http, r, "/v1/exposure/levels/ZZZQ", KEYS[4]) for r in fleet.replicas]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert {a.json()["error"] for a in answers} == {"symbol_not_found"}
    assert fleet.upstream_requests("ZZZQ") == 1


async def test_every_replica_reports_the_fleets_one_daily_budget(fleet: Fleet) -> None:
    async with httpx.AsyncClient(timeout=WAIT) as http:
        accounts = [(await _get(http, r, "/v1/account", KEYS[4])).json() for r in fleet.replicas]
        health = [(await http.get(r.url + "/health")).json() for r in fleet.replicas]
    used = [next(b["used_today"] for b in a["budgets"] if b["source"] == "cboe") for a in accounts]
    assert used == [sum(fleet.upstream.requests.values())] * 3
    assert [h["shared"] for h in health] == [{"redis": "ok", "postgres": "ok", "dropped_writes": 0}] * 3


async def test_the_official_clients_talk_to_the_fleet_only_through_haproxy(fleet: Fleet) -> None:
    proxy = Haproxy(fleet.folder / "haproxy", [r.port for r in fleet.replicas]).start()
    try:
        with anyio.fail_after(WAIT):
            async with httpx.AsyncClient(timeout=WAIT) as http:
                rest = [await _get(http, proxy, "/v1/exposure/levels/META", KEYS[5])  # type: ignore[arg-type]
                        for _ in range(6)]
            async with httpx2.AsyncClient(headers={"X-Api-Key": KEYS[6]}, timeout=WAIT) as http2:
                for _ in range(3):  # one MCP exchange per replica, round-robin
                    async with Client(streamable_http_client(proxy.url + "/mcp",
                                                             http_client=http2)) as client:
                        levels = await client.call_tool("levels", {"symbol": "META"})
                        assert not levels.is_error
                        assert levels.structured_content["gamma_flip"] == rest[0].json()["gamma_flip"]
    finally:
        proxy.stop()
    assert [r.status_code for r in rest] == [200] * 6
    assert fleet.upstream_requests("META") == 1


async def test_redis_stopped_and_restarted_under_load_costs_no_500(fleet: Fleet) -> None:
    statuses: Counter[int] = Counter()
    healths: list[dict] = []
    stop_at, start_at, end_at = 1.0, 3.0, 6.5
    started = time.monotonic()

    async def load(replica: Replica, key: str) -> None:
        while time.monotonic() - started < end_at:
            got = await _get(http, replica, "/v1/exposure/levels/AAPL", key)
            statuses[got.status_code] += 1
            await anyio.sleep(1.0)  # under the per-key limit even on one replica's own bucket

    async def fault() -> None:
        await anyio.sleep(stop_at)
        fleet.redis.stop()
        await anyio.sleep(start_at - stop_at - 0.5)
        healths.append((await http.get(fleet.replicas[0].url + "/health")).json())
        await anyio.sleep(0.5)
        fleet.redis.start()
        await anyio.sleep(end_at - start_at - 0.5)
        healths.append((await http.get(fleet.replicas[0].url + "/health")).json())

    with anyio.fail_after(WAIT):
        async with httpx.AsyncClient(timeout=WAIT) as http:
            async with anyio.create_task_group() as tg:
                tg.start_soon(fault)
                fresh = [k for k in KEYS if k != KEYS[3]]  # KEYS[3] spent its minute above
                for i, replica in enumerate(fleet.replicas):
                    for k in range(2):
                        tg.start_soon(load, replica, fresh[2 * i + k])
    assert set(statuses) == {200}, statuses
    assert [h["shared"]["redis"] for h in healths] == ["degraded", "ok"]
    assert any("Redis at redis://127.0.0.1" in line and "lost" in line
               for line in fleet.replicas[0].log)


async def test_postgres_stopped_and_restarted_under_load_costs_no_500(fleet: Fleet) -> None:
    statuses: Counter[int] = Counter()
    during: list[httpx.Response] = []
    healths: list[dict] = []
    after: list[dict] = []
    started = time.monotonic()
    symbols = itertools.cycle(["AAPL", "META", "GOOGL"])

    async def load(replica: Replica, key: str) -> None:
        while time.monotonic() - started < 6.0:
            got = await _get(http, replica, f"/v1/exposure/summary/{next(symbols)}", key)
            statuses[got.status_code] += 1
            await anyio.sleep(0.5)

    async def fault() -> None:
        await anyio.sleep(1.0)
        await anyio.to_thread.run_sync(fleet.postgres.stop)
        await anyio.sleep(1.0)
        during.append(await _get(http, fleet.replicas[1], "/v1/exposure/history/GOOGL", KEYS[0]))
        healths.append((await http.get(fleet.replicas[1].url + "/health")).json())
        await anyio.to_thread.run_sync(fleet.postgres.start)
        await anyio.sleep(2.5)
        after.append((await _get(http, fleet.replicas[1], "/v1/exposure/history/GOOGL",
                                   KEYS[0])).json())

    with anyio.fail_after(WAIT):
        async with httpx.AsyncClient(timeout=WAIT) as http:
            async with anyio.create_task_group() as tg:
                tg.start_soon(fault)
                for replica, key in zip(fleet.replicas, (KEYS[0], KEYS[1], KEYS[2])):
                    tg.start_soon(load, replica, key)
    assert set(statuses) == {200}, statuses
    refused = during[0]
    assert refused.status_code == 503 and "History is unavailable" in refused.json()["message"]
    assert healths[0]["shared"]["postgres"] == "unavailable"
    assert after[0]["records"] == 1  # the record made before the outage is still there


async def test_kill_9_of_one_replica_under_load_leaves_the_others_answering(fleet: Fleet) -> None:
    statuses: dict[int, Counter[int]] = {r.port: Counter() for r in fleet.replicas}
    victim = fleet.replicas[2]
    started = time.monotonic()

    async def load(replica: Replica, key: str) -> None:
        while time.monotonic() - started < 3.0:
            try:
                got = await _get(http, replica, "/v1/exposure/levels/AAPL", key)
            except httpx.TransportError:
                statuses[replica.port][-1] += 1  # refused: the killed replica
            else:
                statuses[replica.port][got.status_code] += 1
            await anyio.sleep(0.25)

    async def kill() -> None:
        await anyio.sleep(1.0)
        os.kill(victim.process.pid, signal.SIGKILL)

    with anyio.fail_after(WAIT):
        async with httpx.AsyncClient(timeout=WAIT) as http:
            async with anyio.create_task_group() as tg:
                tg.start_soon(kill)
                for replica, key in zip(fleet.replicas, (KEYS[7], KEYS[2], KEYS[4])):
                    tg.start_soon(load, replica, key)  # a key each: ~12 requests, under the limit
    assert victim.process.wait(5) == -signal.SIGKILL
    for replica in fleet.replicas[:2]:
        assert set(statuses[replica.port]) == {200} and statuses[replica.port][200] >= 8
    assert set(statuses[victim.port]) <= {200, -1}


def test_the_readmes_haproxy_example_is_the_one_the_tests_run() -> None:
    from tests.shared_stores import haproxy_config

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```haproxy\n", 1)[1].split("```", 1)[0]
    assert block == haproxy_config(8000, [8001, 8002, 8003])
