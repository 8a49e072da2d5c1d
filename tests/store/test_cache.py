"""ChainCache: TTL, SQLite persistence, single-flight and stale-on-error."""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import (
    InvalidExpiryError,
    NoDataError,
    RateLimitedError,
    SourceError,
    SourceUnavailableError,
)
from gex_mcp.models import DataQuality
from gex_mcp.store.cache import Cached, ChainCache, chain_key
from gex_mcp.store.migrations import open_database
from gex_mcp.store.serialize import json_codec, model_codec

pytestmark = pytest.mark.anyio

KEY = chain_key("cboe", "SPY")
TTL = 60.0


class Upstream:
    """A fetch function that counts its calls and returns (or raises) what it is told."""

    def __init__(self, *results: object) -> None:
        self.results = list(results)
        self.calls = 0

    async def __call__(self) -> object:
        self.calls += 1
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, BaseException):
            raise result
        return result


async def must_not_fetch() -> OptionChain:
    raise AssertionError("fetch was called although a fresh value was cached")


def test_chain_key_uses_an_empty_string_for_all_expirations() -> None:
    """The conventional key is (source, symbol, expiration or "")."""
    assert chain_key("cboe", "SPX") == ("cboe", "SPX", "")
    assert chain_key("cboe", "SPX", "2026-12-18") == ("cboe", "SPX", "2026-12-18")


async def test_first_call_fetches_and_a_fresh_second_call_does_not(clock, make_chain) -> None:
    """Within the TTL the value comes from memory with its age; fetch runs once."""
    chain = make_chain()
    upstream = Upstream(chain)
    cache = ChainCache(None, clock=clock)
    first = await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    clock.advance(TTL - 1)
    second = await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    assert upstream.calls == 1
    assert first == Cached(chain, datetime.fromtimestamp(clock.now - TTL + 1, UTC), 0.0)
    assert second == Cached(chain, first.fetched_at, TTL - 1, from_cache=True)


async def test_value_as_old_as_the_ttl_is_fetched_again(clock, make_chain) -> None:
    """At age == ttl_seconds the value has expired and the new one replaces it."""
    upstream = Upstream(make_chain(tag="old"), make_chain(tag="new"))
    cache = ChainCache(None, clock=clock)
    await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    clock.advance(TTL)
    got = await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    assert upstream.calls == 2
    assert (got.value.notes, got.from_cache, got.stale, got.age_seconds) == (("new",), False,
                                                                             False, 0.0)


async def test_keys_are_cached_separately(clock, make_chain) -> None:
    """Another expiration of the same symbol is another entry."""
    upstream = Upstream(make_chain())
    cache = ChainCache(None, clock=clock)
    await cache.get_or_fetch(chain_key("cboe", "SPY"), upstream, ttl_seconds=TTL)
    await cache.get_or_fetch(chain_key("cboe", "SPY", "2026-11-27"), upstream, ttl_seconds=TTL)
    assert upstream.calls == 2


async def test_hundred_concurrent_callers_share_one_fetch(clock, make_chain) -> None:
    """100 callers for one key while a fetch is in flight cause exactly one fetch call."""
    chain = make_chain()
    release = anyio.Event()
    calls = 0

    async def slow_fetch() -> OptionChain:
        nonlocal calls
        calls += 1
        await release.wait()
        return chain

    cache = ChainCache(None, clock=clock)
    results: list[Cached[OptionChain]] = []

    async def caller() -> None:
        results.append(await cache.get_or_fetch(KEY, slow_fetch, ttl_seconds=TTL))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(100):
                tg.start_soon(caller)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert calls == 1
    assert len(results) == 100
    assert all(r.value is chain and not r.stale for r in results)


async def test_concurrent_callers_share_the_error_of_one_fetch(clock) -> None:
    """When the shared fetch fails with nothing cached, every waiting caller gets that error."""
    release = anyio.Event()
    calls = 0

    async def failing_fetch() -> OptionChain:
        nonlocal calls
        calls += 1
        await release.wait()
        raise SourceUnavailableError("CBOE did not answer within 10 s. Retry later.")

    cache = ChainCache(None, clock=clock)
    errors: list[Exception] = []

    async def caller() -> None:
        try:
            await cache.get_or_fetch(KEY, failing_fetch, ttl_seconds=TTL)
        except SourceError as exc:
            errors.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(caller)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert calls == 1
    assert [str(e) for e in errors] == ["CBOE did not answer within 10 s. Retry later."] * 20


async def test_cancelled_fetch_lets_a_waiting_caller_fetch_again(clock, make_chain) -> None:
    """If the caller running the fetch is cancelled, a waiter runs a new fetch and gets it."""
    chain = make_chain()
    release = anyio.Event()
    calls = 0

    async def fetch() -> OptionChain:
        nonlocal calls
        calls += 1
        if calls == 1:
            await anyio.sleep_forever()
        await release.wait()
        return chain

    cache = ChainCache(None, clock=clock)
    got: list[Cached[OptionChain]] = []

    async def caller() -> None:
        got.append(await cache.get_or_fetch(KEY, fetch, ttl_seconds=TTL))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            async with anyio.create_task_group() as leader:
                leader.start_soon(caller)
                await anyio.wait_all_tasks_blocked()
                tg.start_soon(caller)
                await anyio.wait_all_tasks_blocked()
                leader.cancel_scope.cancel()
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert calls == 2
    assert [g.value for g in got] == [chain]


async def test_restart_serves_the_chain_from_sqlite_without_fetching(
        db_path: Path, clock, make_chain, assert_same_chain) -> None:
    """After closing and reopening the database, a fresh chain is read back, not refetched."""
    chain = make_chain()
    with closing(open_database(db_path)) as conn:
        first = await ChainCache(conn, clock=clock).get_or_fetch(KEY, Upstream(chain),
                                                                 ttl_seconds=TTL)
    clock.advance(20)
    with closing(open_database(db_path)) as conn:
        cache = ChainCache(conn, clock=clock)
        got = await cache.get_or_fetch(KEY, must_not_fetch, ttl_seconds=TTL)
        again = await cache.get_or_fetch(KEY, must_not_fetch, ttl_seconds=TTL)
    assert_same_chain(got.value, chain)
    assert (got.from_cache, got.stale, got.age_seconds, got.fetched_at) == (True, False, 20.0,
                                                                             first.fetched_at)
    assert again.value is got.value  # the SQLite copy is now in memory


async def test_restart_after_the_ttl_fetches_again(db_path: Path, clock, make_chain) -> None:
    """An expired SQLite row is not served while upstream works."""
    with closing(open_database(db_path)) as conn:
        await ChainCache(conn, clock=clock).get_or_fetch(KEY, Upstream(make_chain(tag="old")),
                                                         ttl_seconds=TTL)
    clock.advance(TTL + 1)
    upstream = Upstream(make_chain(tag="new"))
    with closing(open_database(db_path)) as conn:
        got = await ChainCache(conn, clock=clock).get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    assert (upstream.calls, got.value.notes, got.from_cache) == (1, ("new",), False)


async def test_source_error_serves_the_old_value_as_stale(clock, make_chain) -> None:
    """Upstream failing after expiry returns the old value with stale=True, age and reason."""
    chain = make_chain()
    reason = "CBOE did not answer within 10 s. Retry later."
    upstream = Upstream(chain, SourceUnavailableError(reason))
    cache = ChainCache(None, clock=clock)
    first = await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    clock.advance(300)
    got = await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    assert upstream.calls == 2
    assert got == Cached(chain, first.fetched_at, 300.0, stale=True, stale_reason=reason,
                         from_cache=True)


async def test_source_error_after_restart_serves_the_sqlite_copy_as_stale(
        db_path: Path, clock, make_chain, assert_same_chain) -> None:
    """With an empty memory, the expired SQLite row is the stale fallback."""
    chain = make_chain()
    with closing(open_database(db_path)) as conn:
        await ChainCache(conn, clock=clock).get_or_fetch(KEY, Upstream(chain), ttl_seconds=TTL)
    clock.advance(3600)
    budget_spent = RateLimitedError("Daily request budget for cboe is spent.", 60.0)
    with closing(open_database(db_path)) as conn:
        got = await ChainCache(conn, clock=clock).get_or_fetch(KEY, Upstream(budget_spent),
                                                               ttl_seconds=TTL)
    assert_same_chain(got.value, chain)
    assert (got.stale, got.age_seconds, got.stale_reason) == (
        True, 3600.0, "Daily request budget for cboe is spent.")


async def test_source_error_with_nothing_cached_is_raised(memory_db, clock) -> None:
    """No older value anywhere: the SourceError itself reaches the caller."""
    error = SourceUnavailableError("CBOE answered 503. Retry later.")
    cache = ChainCache(memory_db, clock=clock)
    with pytest.raises(SourceUnavailableError) as raised:
        await cache.get_or_fetch(KEY, Upstream(error), ttl_seconds=TTL)
    assert raised.value is error


@pytest.mark.parametrize("error", [
    InvalidExpiryError("Expiration 2026-13-01 is not a date. Use YYYY-MM-DD."),
    NoDataError("The SPY chain has no open interest."),
    RuntimeError("a bug"),
], ids=type)
async def test_errors_other_than_source_errors_are_neither_cached_nor_served_stale(
        memory_db, clock, make_chain, error: Exception) -> None:
    """Input errors, no-data and bugs propagate even with an old value, and are not remembered."""
    chain = make_chain()
    cache = ChainCache(memory_db, clock=clock)
    await cache.get_or_fetch(KEY, Upstream(chain), ttl_seconds=TTL)
    clock.advance(TTL)
    with pytest.raises(type(error)) as raised:
        await cache.get_or_fetch(KEY, Upstream(error), ttl_seconds=TTL)
    assert raised.value is error
    upstream = Upstream(make_chain(tag="new"))
    got = await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    assert (upstream.calls, got.value.notes, got.stale) == (1, ("new",), False)


async def test_failed_fetch_with_nothing_cached_is_not_remembered(memory_db, clock,
                                                                  make_chain) -> None:
    """After an error, the next call fetches again (errors are not cached)."""
    cache = ChainCache(memory_db, clock=clock)
    with pytest.raises(NoDataError):
        await cache.get_or_fetch(KEY, Upstream(NoDataError("empty")), ttl_seconds=TTL)
    upstream = Upstream(make_chain())
    await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    assert upstream.calls == 1


async def test_zero_ttl_always_fetches_but_still_falls_back(clock, make_chain) -> None:
    """ttl_seconds=0 disables fresh hits, not the stale fallback."""
    chain = make_chain()
    upstream = Upstream(chain, chain, SourceUnavailableError("down"))
    cache = ChainCache(None, clock=clock)
    for _ in range(3):
        got = await cache.get_or_fetch(KEY, upstream, ttl_seconds=0)
    assert upstream.calls == 3
    assert (got.stale, got.stale_reason, got.age_seconds) == (True, "down", 0.0)


async def test_codec_none_keeps_the_value_in_memory_only(memory_db, clock) -> None:
    """Values of any type can be cached without a codec; nothing is written to SQLite."""
    cache = ChainCache(memory_db, clock=clock)
    value = {"anything": object()}
    got = await cache.get_or_fetch(("demo", "x", ""), Upstream(value), ttl_seconds=TTL,
                                   codec=None)
    assert got.value is value
    assert memory_db.execute("SELECT COUNT(*) FROM cache_entries").fetchone() == (0,)


async def test_pydantic_models_survive_a_restart_with_model_codec(db_path: Path, clock) -> None:
    """model_codec persists ready-made responses (e.g. FlashAlpha's) across restarts."""
    quality = DataQuality(contracts_total=3, contracts_used=2)
    codec = model_codec(DataQuality)
    key = ("flashalpha", "SPY", "")
    with closing(open_database(db_path)) as conn:
        await ChainCache(conn, clock=clock).get_or_fetch(key, Upstream(quality),
                                                         ttl_seconds=TTL, codec=codec)
    with closing(open_database(db_path)) as conn:
        got = await ChainCache(conn, clock=clock).get_or_fetch(key, must_not_fetch,
                                                               ttl_seconds=TTL, codec=codec)
    assert got.value == quality


async def test_row_written_by_another_codec_is_ignored(memory_db, clock, make_chain) -> None:
    """A row whose codec name differs is never decoded with the wrong function."""
    cache = ChainCache(memory_db, clock=clock)
    await cache.get_or_fetch(KEY, Upstream({"a": 1}), ttl_seconds=TTL, codec=json_codec())
    cache.clear_memory()
    upstream = Upstream(make_chain())
    await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    assert upstream.calls == 1


async def test_unreadable_row_is_dropped_and_refetched(memory_db, clock, make_chain,
                                                       caplog) -> None:
    """A corrupt payload counts as a miss, is deleted, and is logged."""
    memory_db.execute("INSERT INTO cache_entries VALUES (?, 'option_chain/1', ?, x'00')",
                      ('["cboe", "SPY", ""]', clock.now))
    upstream = Upstream(make_chain())
    with caplog.at_level(logging.WARNING, logger="gex_mcp.store.cache"):
        got = await ChainCache(memory_db, clock=clock).get_or_fetch(KEY, upstream,
                                                                    ttl_seconds=TTL)
    assert (upstream.calls, got.from_cache) == (1, False)
    assert "dropping unreadable cache row" in caplog.text


async def test_broken_database_degrades_to_memory(clock, make_chain, caplog) -> None:
    """A failing SQLite (here: closed) is logged and the fetched value still returned."""
    conn = open_database(":memory:")
    conn.close()
    chain = make_chain()
    cache = ChainCache(conn, clock=clock)
    with caplog.at_level(logging.WARNING, logger="gex_mcp.store.cache"):
        got = await cache.get_or_fetch(KEY, Upstream(chain), ttl_seconds=TTL)
        again = await cache.get_or_fetch(KEY, must_not_fetch, ttl_seconds=TTL)
    assert got.value is chain and again.value is chain
    assert "cache database unavailable" in caplog.text


async def test_invalidate_forgets_memory_and_sqlite(memory_db, clock, make_chain) -> None:
    """After invalidate the next call fetches, even across a cleared memory."""
    upstream = Upstream(make_chain())
    cache = ChainCache(memory_db, clock=clock)
    await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    cache.invalidate(KEY)
    await cache.get_or_fetch(KEY, upstream, ttl_seconds=TTL)
    assert upstream.calls == 2


async def test_memory_keeps_the_most_recently_used_entries(memory_db, clock, make_chain) -> None:
    """Beyond max_memory_entries the least recently used value leaves memory, not SQLite."""
    cache = ChainCache(memory_db, clock=clock, max_memory_entries=2)
    upstream = Upstream(make_chain())
    for symbol in ("A", "B"):
        await cache.get_or_fetch(chain_key("cboe", symbol), upstream, ttl_seconds=TTL)
    await cache.get_or_fetch(chain_key("cboe", "A"), upstream, ttl_seconds=TTL)  # A is recent
    await cache.get_or_fetch(chain_key("cboe", "C"), upstream, ttl_seconds=TTL)  # drops B
    memory_db.execute("DELETE FROM cache_entries")
    await cache.get_or_fetch(chain_key("cboe", "A"), must_not_fetch, ttl_seconds=TTL)
    await cache.get_or_fetch(chain_key("cboe", "B"), upstream, ttl_seconds=TTL)
    assert upstream.calls == 4


async def test_memory_only_value_keeps_its_stamp_after_leaving_memory(memory_db, clock) -> None:
    """A memory-only value that left memory still has a fresh stamp until its TTL, then
    none; fetching it again gives it a new stamp. Nothing is written to SQLite."""
    cache = ChainCache(memory_db, clock=clock, max_memory_entries=1)
    upstream = Upstream("value")
    a = await cache.get_or_fetch(chain_key("file", "A"), upstream, ttl_seconds=TTL, codec=None)
    clock.advance(10)
    b = await cache.get_or_fetch(chain_key("file", "B"), upstream, ttl_seconds=TTL, codec=None)
    assert cache.fresh_stamp(chain_key("file", "A"), ttl_seconds=TTL) == a.fetched_at  # left memory
    clock.advance(TTL - 5)
    assert cache.fresh_stamp(chain_key("file", "A"), ttl_seconds=TTL) is None  # TTL + 5 s old
    again = await cache.get_or_fetch(chain_key("file", "A"), upstream, ttl_seconds=TTL, codec=None)
    assert (upstream.calls, again.from_cache) == (3, False)
    assert again.fetched_at > a.fetched_at
    assert cache.fresh_stamp(chain_key("file", "B"), ttl_seconds=TTL) == b.fetched_at  # left memory
    cache.clear_memory()  # as after a restart: no memory-only value or stamp survives
    assert cache.fresh_stamp(chain_key("file", "B"), ttl_seconds=TTL) is None
    assert memory_db.execute("SELECT COUNT(*) FROM cache_entries").fetchone() == (0,)


def test_memory_bound_must_be_positive() -> None:
    """A cache that cannot hold one value is a configuration mistake."""
    with pytest.raises(ValueError, match="max_memory_entries"):
        ChainCache(None, max_memory_entries=0)


@pytest.mark.parametrize(("factors", "fetches"), [((0.9, 1.0), 2), ((1.0, 1.0), 3)])
async def test_processes_with_spread_ttls_share_one_refresh(db_path: Path, clock, factors, fetches):
    """Two processes on one database: with spread TTL factors the first refresh spares the
    other's; with equal ones both expire at once and both fetch (the lockstep)."""
    codec = json_codec("v")
    calls = []

    async def fetch() -> dict:
        calls.append(clock())
        await anyio.sleep(0.01)  # the upstream takes a moment: both can be in flight
        return {"n": len(calls)}

    with closing(open_database(db_path)) as one, closing(open_database(db_path)) as two:
        a = ChainCache(one, clock=clock, ttl_factor=factors[0])
        b = ChainCache(two, clock=clock, ttl_factor=factors[1])
        await a.get_or_fetch(("k",), fetch, ttl_seconds=60, codec=codec)
        await b.get_or_fetch(("k",), fetch, ttl_seconds=60, codec=codec)  # reads a's row
        for _ in range(2):  # the two processes ask at the same instants: 55 s, then 61 s
            clock.advance(55 if _ == 0 else 6)
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: a.get_or_fetch(("k",), fetch, ttl_seconds=60, codec=codec))
                tg.start_soon(lambda: b.get_or_fetch(("k",), fetch, ttl_seconds=60, codec=codec))
    assert len(calls) == fetches
