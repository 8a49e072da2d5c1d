"""The Redis-backed stores in one process, against a real redis-server: two caches, budgets
and rate limits that stand for two replicas share one view; a lost Redis degrades to the
embedded store and recovers."""

from __future__ import annotations

import logging
import sqlite3

import anyio
import pytest

from gex_mcp.backends.assembly import assemble
from gex_mcp.errors import ConfigError, RateLimitedError, SourceError
from gex_mcp.settings import Settings
from gex_mcp.store.budget import RequestBudget
from gex_mcp.store.cache import ChainCache
from gex_mcp.store.migrations import MEMORY, open_database
from gex_mcp.store.redis_budget import RedisRequestBudget
from gex_mcp.store.redis_cache import RedisTier
from gex_mcp.store.redis_link import RedisLink, redact_url
from gex_mcp.store.serialize import json_codec
from tests.shared_stores import RedisServer, free_port

pytestmark = pytest.mark.anyio
KEY = ("cboe", "AAPL", "")


class Upstream:
    """A fetch that counts its calls and takes `seconds` (the replicas' shared upstream)."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.calls = 0
        self.seconds = seconds

    async def __call__(self) -> dict:
        self.calls += 1
        await anyio.sleep(self.seconds)
        return {"spot": 100.0 + self.calls}


class Replicas:
    """Links and databases a test opens (one set per pretend replica), closed at its end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.links: list[RedisLink] = []
        self.conns: list[sqlite3.Connection] = []

    def link(self, **options: float) -> RedisLink:
        self.links.append(RedisLink(self.url, **options))
        return self.links[-1]

    def db(self) -> sqlite3.Connection:
        self.conns.append(open_database(MEMORY))
        return self.conns[-1]

    def cache(self, *, sqlite: bool = True, clock=None, retry_seconds: float = 2.0,
              **tier: float) -> ChainCache:
        """One replica's cache: its own SQLite database (in memory), the shared Redis tier."""
        return ChainCache(self.db() if sqlite else None, **({"clock": clock} if clock else {}),
                          shared=RedisTier(self.link(retry_seconds=retry_seconds), **tier))

    async def aclose(self) -> None:
        for link in self.links:
            await link.aclose()
        for conn in self.conns:
            conn.close()


@pytest.fixture
async def replicas(redis_url: str):
    made = Replicas(redis_url)
    yield made
    await made.aclose()


@pytest.fixture
def sync_replicas(redis_url: str):
    made = Replicas(redis_url)
    yield made
    anyio.run(made.aclose)


async def test_sixty_callers_on_three_caches_make_one_fetch(replicas: Replicas) -> None:
    caches = [replicas.cache() for _ in range(3)]
    upstream = Upstream()
    answers: list[dict] = []

    async def ask(i: int) -> None:
        got = await caches[i % 3].get_or_fetch(KEY, upstream, ttl_seconds=60, codec=json_codec())
        answers.append(got.value)

    async with anyio.create_task_group() as tg:
        for i in range(60):
            tg.start_soon(ask, i)
    assert upstream.calls == 1
    assert answers == [{"spot": 101.0}] * 60


async def test_a_fresh_value_is_read_back_by_another_replica_and_refetched_after_the_ttl(
        replicas: Replicas) -> None:
    now = [1_000_000.0]
    first = replicas.cache(sqlite=False, clock=lambda: now[0])
    second = replicas.cache(sqlite=False, clock=lambda: now[0])
    upstream = Upstream(0)
    await first.get_or_fetch(KEY, upstream, ttl_seconds=60, codec=json_codec())
    now[0] += 30
    got = await second.get_or_fetch(KEY, upstream, ttl_seconds=60, codec=json_codec())
    assert (upstream.calls, got.from_cache, got.age_seconds) == (1, True, 30.0)
    now[0] += 31  # 61 s after the fetch: expired for every replica
    got = await second.get_or_fetch(KEY, upstream, ttl_seconds=60, codec=json_codec())
    assert (upstream.calls, got.from_cache, got.value) == (2, False, {"spot": 102.0})


async def test_a_replica_serves_another_replicas_older_value_stale_when_upstream_fails(
        replicas: Replicas) -> None:
    now = [1_000_000.0]
    first = replicas.cache(sqlite=False, clock=lambda: now[0])
    second = replicas.cache(sqlite=False, clock=lambda: now[0])
    await first.get_or_fetch(KEY, Upstream(0), ttl_seconds=60, codec=json_codec())
    now[0] += 600

    async def down() -> dict:
        raise SourceError("upstream is down")

    got = await second.get_or_fetch(KEY, down, ttl_seconds=60, codec=json_codec())
    assert (got.stale, got.value, got.age_seconds) == (True, {"spot": 101.0}, 600.0)


async def test_the_wait_for_another_replicas_fetch_is_bounded(replicas: Replicas) -> None:
    holder = RedisTier(replicas.link())
    token = await holder.try_lock(KEY)  # a replica that took the lock and hangs
    assert token is not None
    waiting = replicas.cache(sqlite=False, wait_seconds=0.3)
    upstream = Upstream(0)
    started = anyio.current_time()
    got = await waiting.get_or_fetch(KEY, upstream, ttl_seconds=60, codec=json_codec())
    waited = anyio.current_time() - started
    assert upstream.calls == 1 and not got.from_cache
    assert 0.3 <= waited < 2.0


async def test_a_lost_redis_degrades_to_the_embedded_cache_and_recovers(
        redis_server: RedisServer, replicas: Replicas, caplog: pytest.LogCaptureFixture) -> None:
    cache = replicas.cache(retry_seconds=0.2)
    link = replicas.links[-1]
    upstream = Upstream(0)
    redis_server.stop()
    with caplog.at_level(logging.WARNING):
        got = await cache.get_or_fetch(KEY, upstream, ttl_seconds=60, codec=json_codec())
    assert got.value == {"spot": 101.0} and link.degraded and link.health() == {"redis": "degraded"}
    assert any("Redis at" in r.getMessage() and "lost" in r.getMessage() for r in caplog.records)
    redis_server.start()
    await anyio.sleep(0.25)
    cache.clear_memory()
    await cache.get_or_fetch(("cboe", "META", ""), upstream, ttl_seconds=60, codec=json_codec())
    assert not link.degraded and link.health() == {"redis": "ok"}


def test_two_replicas_share_one_daily_budget(sync_replicas: Replicas) -> None:
    budgets = [RedisRequestBudget(sync_replicas.db(), "cboe", 5, link=sync_replicas.link())
               for _ in range(2)]
    spent = 0
    for i in range(8):
        try:
            budgets[i % 2].check_and_spend()
            spent += 1
        except RateLimitedError as exc:
            assert "5 of 5 used today" in str(exc) and exc.retry_after_seconds > 0
    assert spent == 5
    assert [b.status().used_today for b in budgets] == [5, 5]


def test_unknown_symbols_spend_only_their_share_of_the_fleets_budget(sync_replicas: Replicas) -> None:
    """Seven "no such symbol" answers spread over two replicas with a share of 2: only 2 of
    their requests stay counted, so a real symbol still finds 10 - 2 requests left."""
    budgets = [RedisRequestBudget(sync_replicas.db(), "cboe", 10, link=sync_replicas.link())
               for _ in range(2)]
    given_back = []
    for i in range(7):
        budgets[i % 2].check_and_spend()
        given_back.append(budgets[i % 2].unknown_answered(2))
    assert given_back == [False, False] + [True] * 5
    assert [b.status().used_today for b in budgets] == [2, 2]
    for _ in range(8):
        budgets[0].check_and_spend()
    with pytest.raises(RateLimitedError, match="10 of 10 used today"):
        budgets[1].check_and_spend()


def test_the_reserve_holds_across_replicas(sync_replicas: Replicas) -> None:
    first, second = (RedisRequestBudget(sync_replicas.db(), "cboe", 10, link=sync_replicas.link())
                     for _ in range(2))
    for _ in range(8):
        first.check_and_spend(reserve=2)
    with pytest.raises(RateLimitedError, match="keeps its last 2"):
        second.check_and_spend(reserve=2)
    second.check_and_spend()  # a proven symbol may use the reserve
    assert first.status().used_today == 9


def test_a_budget_counts_locally_while_redis_is_lost(redis_server: RedisServer,
                                                    sync_replicas: Replicas) -> None:
    conn = sync_replicas.db()
    budget = RedisRequestBudget(conn, "cboe", 3, link=sync_replicas.link())
    redis_server.stop()
    budget.check_and_spend()
    assert RequestBudget(conn, "cboe", 3).status().used_today == 1  # counted in SQLite
    assert budget.link.degraded


async def test_three_replicas_share_one_rate_limit(replicas: Replicas) -> None:
    from gex_mcp.http.guard import TokenBucket

    limits = [replicas.link().rate_limit(TokenBucket(30)) for _ in range(3)]
    started = anyio.current_time()
    answers = [await limits[i % 3].acquire("key-1") for i in range(40)]
    elapsed = anyio.current_time() - started
    allowed = sum(a[0] for a in answers)
    # 30 at once, plus what 0.5 token/s refilled meanwhile
    assert 30 <= allowed <= 30 + int(elapsed * 0.5)
    first_refusal = next(a for a in answers if not a[0])
    assert 0 < first_refusal[3] <= 2.0  # retry-after: under 2 s for the next token
    assert answers[0][1] == 29


def test_redis_unreachable_at_start_is_a_config_error_without_the_password(tmp_path) -> None:
    url = f"redis://gex:s3cr3t-pw@127.0.0.1:{free_port()}/0"
    settings = Settings(redis_url=url, data_dir=tmp_path)
    with pytest.raises(ConfigError) as caught:
        assemble(settings)
    message = str(caught.value)
    assert "s3cr3t-pw" not in message and "redis://gex:***@127.0.0.1:" in message
    assert caught.value.exit_code == 5


def test_a_missing_redis_client_is_a_config_error(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "redis", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match=r'pip install "gex-mcp\[redis\]"'):
        assemble(Settings(redis_url="redis://127.0.0.1:1/0", data_dir=tmp_path))


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
    ("redis://user:pw@host/1", "redis://user:***@host/1"),
    ("redis://host:6379/0", "redis://host:6379/0"),
    ("postgresql://u:p%40ss@db.example:5432/gex", "postgresql://u:***@db.example:5432/gex"),
])
def test_redact_url_hides_only_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_unset_redis_keeps_everything_embedded(tmp_path) -> None:
    parts = assemble(Settings(data_dir=tmp_path))
    assert parts["stores"].shared is None and parts["cache"].shared is None
    assert type(parts["stores"].levels).__name__ == "SqliteLevelStore"
    assert type(parts["stores"].budgets["cboe"]) is RequestBudget
    for close in parts["on_close"]:
        close()


async def test_one_poller_lease_for_the_fleet_taken_over_when_its_holder_stops(replicas: Replicas) -> None:
    from gex_mcp.store.redis_alerts import RedisAlertBus

    first, second = RedisAlertBus(replicas.link()), RedisAlertBus(replicas.link())
    assert await first.hold_lease(0.3) and not await second.hold_lease(0.3)
    assert await first.hold_lease(0.3)  # renewed by its holder
    await anyio.sleep(0.4)  # the holder stopped renewing (killed)
    assert await second.hold_lease(0.3) and not await first.hold_lease(0.3)


async def test_an_alert_is_published_once_whichever_replicas_report_it(replicas: Replicas) -> None:
    from gex_mcp.store.redis_alerts import RedisAlertBus

    buses = [RedisAlertBus(replicas.link()) for _ in range(3)]
    numbers = [await bus.first("SPX:flip_cross:2026-11-24T15:00:00+00:00") for bus in buses]
    assert numbers == [1, None, None]
    assert await buses[2].first("SPX:flip_cross:2026-11-24T15:05:00+00:00") == 2


async def test_no_log_line_shows_the_password_of_a_lost_redis(caplog: pytest.LogCaptureFixture) -> None:
    link = RedisLink(f"redis://:pw-LEAKCHECK-9c1@127.0.0.1:{free_port()}/0")
    cache = ChainCache(None, shared=RedisTier(link))
    with caplog.at_level(logging.DEBUG):
        got = await cache.get_or_fetch(KEY, Upstream(0), ttl_seconds=60, codec=json_codec())
    await link.aclose()
    assert got.value == {"spot": 101.0} and link.degraded
    assert "pw-LEAKCHECK-9c1" not in caplog.text and "redis://:***@127.0.0.1" in caplog.text
