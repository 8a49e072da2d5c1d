"""Several replicas on one Redis (issue 21): upstream requests, latency, throughput, alerts.

    .venv/bin/python benchmarks/bench_replicas.py [--requests N] [--seconds S] [--replicas 1,3,10]

Starts Debian's redis-server and haproxy (scripts/ensure-shared-stores.sh installs them), a
loopback CBOE playing the real AAPL chain (tests/sources/loopback.py) that counts requests,
and real `gex-mcp serve --transport http --stateless` processes, then measures:
  * upstream requests per cache TTL for one symbol, 60 concurrent requests spread over
    1, 3 and 10 replicas (two TTL windows each; goal 1 per window);
  * warm REST levels p50/p99 on one replica, embedded store vs Redis (rate limit on, as
    served: with Redis each /v1 request takes its token in Redis);
  * requests per second through haproxy round-robin over 1 and 3 replicas;
  * alert delivery: from the poller's publish to a hub of another process-like `FleetAlerts`
    on the same Redis (p50/p99 of 200 alerts; the in-process leg of the fleet path).
Everything shares this 2-core machine: the client, the proxy, Redis and the replicas.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _http_server import machine_line, percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # test helpers: real servers
from tests.shared_stores import Haproxy, RedisServer, start_replicas  # noqa: E402
from tests.sources.loopback import LoopbackServer  # noqa: E402

KEY = "bench-key"
TTL = 3.0
PATH = "/v1/exposure/levels/AAPL"


def _env(upstream: LoopbackServer, redis_url: str | None, ttl: float) -> dict[str, str]:
    env = {"GEX_SOURCE": "cboe", "GEX_CBOE_BASE_URL": upstream.url, "GEX_HTTP_TOKEN": KEY,
           "GEX_RATE_LIMIT_PER_MINUTE": "100000000", "GEX_CACHE_TTL": str(ttl),
           "GEX_CACHE_TTL_CLOSED": str(ttl), "GEX_LOG_LEVEL": "WARNING", "GEX_HTTP_RETRIES": "0",
           "GEX_HTTP_MAX_CONNECTIONS": "1000"}
    if redis_url:
        env["GEX_REDIS_URL"] = redis_url
    return env


async def _burst(urls: list[str], n: int) -> None:
    async with httpx.AsyncClient(timeout=60, headers={"X-Api-Key": KEY}) as http:
        targets = itertools.cycle(urls)
        answers = await asyncio.gather(*(http.get(next(targets) + PATH) for _ in range(n)))
    assert all(a.status_code == 200 for a in answers), {a.status_code for a in answers}


def upstream_per_ttl(folder: Path, redis: RedisServer, counts: list[int]) -> None:
    for count in counts:
        redis.flush()
        with LoopbackServer() as upstream:
            replicas = start_replicas(folder / f"n{count}", count, _env(upstream, redis.url, TTL),
                                      startup_seconds=180)
            try:
                urls = [r.url for r in replicas]
                windows = []
                for _ in range(2):
                    before = sum(upstream.requests.values())
                    asyncio.run(_burst(urls, 60))
                    windows.append(sum(upstream.requests.values()) - before)
                    time.sleep(TTL + 0.2)
            finally:
                for r in replicas:
                    r.stop()
        print(f"{count:2d} replicas, 60 concurrent requests per TTL window: upstream requests "
              f"per window {windows}")


def _sequential(url: str, n: int) -> tuple[float, float]:
    times = []
    with httpx.Client(base_url=url, headers={"X-Api-Key": KEY}, timeout=30) as client:
        client.get(PATH).raise_for_status()
        for _ in range(n):
            start = time.perf_counter()
            client.get(PATH).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), percentile(times, 0.99)


async def _throughput(url: str, clients: int, seconds: float) -> float:
    done = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, headers={"X-Api-Key": KEY},
                                 timeout=30) as client:
        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                (await client.get(PATH)).raise_for_status()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return done / (time.perf_counter() - start)


def latency_and_throughput(folder: Path, redis: RedisServer, requests: int, seconds: float) -> None:
    with LoopbackServer() as upstream:
        for label, redis_url in (("embedded", None), ("Redis   ", redis.url)):
            redis.flush()
            (replica,) = start_replicas(folder / f"lat-{label.strip()}", 1,
                                        _env(upstream, redis_url, 3600))
            try:
                p50, p99 = _sequential(replica.url, requests)
            finally:
                replica.stop()
            print(f"warm GET {PATH}, one replica, {label}: p50 {p50:.2f} ms  p99 {p99:.2f} ms "
                  f"({requests} sequential requests)")
        for count in (1, 3):
            redis.flush()
            replicas = start_replicas(folder / f"rps{count}", count, _env(upstream, redis.url, 3600))
            proxy = Haproxy(folder / f"haproxy{count}", [r.port for r in replicas]).start()
            try:
                asyncio.run(_burst([proxy.url], 6))  # warm every replica
                rps = asyncio.run(_throughput(proxy.url, 16, seconds))
            finally:
                proxy.stop()
                for r in replicas:
                    r.stop()
            print(f"through haproxy, {count} replica(s), 16 concurrent clients: {rps:,.0f} requests/s")


async def alert_delivery(redis_url: str, alerts: int = 200) -> None:
    from gex_mcp.alerts.fleet import FleetAlerts
    from gex_mcp.alerts.hub import AlertHub
    from gex_mcp.models import AlertEvent
    from gex_mcp.store.redis_alerts import RedisAlertBus
    from gex_mcp.store.redis_link import RedisLink

    poller_link, other_link = RedisLink(redis_url), RedisLink(redis_url)
    poller = FleetAlerts(RedisAlertBus(poller_link), AlertHub())
    other_hub = AlertHub()
    other = FleetAlerts(RedisAlertBus(other_link), other_hub)
    sent: dict[int, float] = {}
    delays: list[float] = []
    relay = asyncio.ensure_future(other.relay(lambda: None))
    await asyncio.sleep(0.3)  # subscribed
    base = datetime(2026, 11, 24, 15, tzinfo=UTC)
    async with other_hub.listen() as stream:
        for i in range(alerts):
            event = AlertEvent(symbol="SPY", rule="flip_cross", message="bench", spot=600.0,
                               as_of=base + timedelta(seconds=i), net_gex=1.0, source="cboe")
            sent[i] = time.perf_counter()
            await poller.publish([event])
            got = await stream.receive()
            delays.append((time.perf_counter() - sent[i]) * 1000)
            assert got.as_of == event.as_of
            await asyncio.sleep(0.005)
    relay.cancel()
    await poller_link.aclose()
    await other_link.aclose()
    print(f"alert from the poller's publish to another replica's hub: p50 {statistics.median(delays):.2f} ms "
          f" p99 {percentile(delays, 0.99):.2f} ms ({alerts} alerts, one Redis on loopback)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--replicas", default="1,3,10")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="gex-bench-replicas-") as tmp:
        folder = Path(tmp)
        redis = RedisServer(folder / "redis").start()
        try:
            upstream_per_ttl(folder, redis, [int(n) for n in args.replicas.split(",")])
            latency_and_throughput(folder, redis, args.requests, args.seconds)
            redis.flush()
            asyncio.run(alert_delivery(redis.url))
        finally:
            redis.stop()


if __name__ == "__main__":
    main()
