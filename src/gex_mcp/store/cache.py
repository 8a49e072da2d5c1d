"""`ChainCache`: a TTL cache in memory and in SQLite, with single-flight and stale-on-error.

    conn = open_database(settings.data_dir / "gex.db")
    cache = ChainCache(conn)                      # ChainCache(None): memory only
    got = await cache.get_or_fetch(chain_key("cboe", "SPX"),
                                   lambda: source.fetch_chain("SPX"), ttl_seconds=60)
    got.value, got.stale, got.age_seconds, got.stale_reason, got.from_cache

`get_or_fetch(key, fetch, *, ttl_seconds, codec=CHAIN_CODEC)` answers, in this order:

1. A value in memory younger than `ttl_seconds`: returned at once. This path does no
   I/O, takes no lock and never suspends, so a warm hit costs microseconds.
2. A row in SQLite younger than `ttl_seconds` (written by this process before a restart,
   or by another process on the same file): decoded with `codec`, kept in memory, returned.
3. Otherwise `fetch()` is awaited, and its value kept in memory and in SQLite.
   Concurrent callers for one key share one in-flight `fetch()` (single-flight): they
   all get its value, or all get its exception. If the caller running the fetch is
   cancelled, a waiting caller starts a new one.
4. If `fetch()` raises a `SourceError` (upstream down, rate-limited, bad payload) and an
   older value exists in memory or SQLite, the newest such value is returned with
   `stale=True`, its age, and the error message as `stale_reason`. With nothing to fall
   back on the `SourceError` propagates. Any other exception (`InputError`,
   `NoDataError`, a bug) propagates as is: it is neither cached nor answered with stale data.

Age is measured from when `fetch()` returned, with the injected `clock` (Unix seconds;
tests pass a fake one). `ttl_seconds=0` always refetches but still serves stale on error.

`codec` turns values into bytes for SQLite (`serialize.CHAIN_CODEC`, `model_codec(M)`,
`json_codec()`); `codec=None` keeps a value in memory only (for values whose source is its
own durable copy, e.g. a local snapshot file: writing them to SQLite would cost more than
reading them again). When such a value leaves memory its fetch time is still remembered,
so `fresh_stamp` keeps answering for it while it would be fresh. Memory holds values of any
type, so the same cache can hold chains and ready-made responses under different keys.
Keys are tuples of strings, by convention `(source, symbol, expiration or "")`.

With `shared` (a `store.redis_cache.RedisTier`, from `GEX_REDIS_URL`), step 2 also reads the
row other replicas wrote to Redis, and step 3 first takes that key's lock in Redis, so that
across processes too one caller fetches while the others wait (bounded) for its value.
Values are written to Redis as well as to SQLite, and a stale fallback takes the newer of
the two. A Redis error on this path marks the link degraded (logged once) and the call
carries on as if Redis were not configured; Redis is tried again a little later.

A `ChainCache` belongs to one event loop. SQLite failures on this path (disk full, a
locked file) are logged to stderr and degrade to memory-only; they never fail a request.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio

from gex_mcp.errors import SourceError
from gex_mcp.store.migrations import connection_lock
from gex_mcp.store.serialize import CHAIN_CODEC, Codec

if TYPE_CHECKING:
    from gex_mcp.store.redis_cache import RedisTier

T = TypeVar("T")
CacheKey = tuple[str, ...]

DEFAULT_MAX_MEMORY_ENTRIES = 64
MAX_REMEMBERED_STAMPS = 16384  # fetch times of memory-only values that left memory

logger = logging.getLogger(__name__)


def chain_key(source: str, symbol: str, expiration: str | None = None) -> CacheKey:
    """The conventional cache key of a chain: `(source, symbol, expiration or "")`."""
    return (source, symbol, expiration or "")


@dataclass(frozen=True, slots=True)
class Cached(Generic[T]):
    """A value with its freshness.

    Attributes:
        value: what `fetch()` returned (or an older copy of it, when stale).
        fetched_at: when `fetch()` returned that value, UTC.
        age_seconds: seconds since `fetched_at`, at the time of this answer.
        stale: True when upstream failed and this older value is served instead.
        stale_reason: the upstream error message, when stale.
        from_cache: True when this call did not run or share a fetch (memory or SQLite hit,
            or a stale fallback); False when the value was fetched during this call.
    """

    value: T
    fetched_at: datetime
    age_seconds: float
    stale: bool = False
    stale_reason: str | None = None
    from_cache: bool = False


@dataclass(slots=True)
class _Entry:
    value: Any
    fetched_epoch: float
    fetched_at: datetime
    memory_only: bool = False


class _Flight:
    """One in-flight fetch; waiters read `result` or `error` once `done` is set."""

    __slots__ = ("done", "error", "result", "traceback")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: Cached[Any] | None = None
        self.error: Exception | None = None
        self.traceback: TracebackType | None = None


def spread_ttl_factor(spread: float = 0.1) -> float:
    """A random TTL factor in [1 - spread, 1] for one process (see `ChainCache`)."""
    return 1.0 - random.random() * spread


class ChainCache:
    """TTL cache of fetched values, in memory and (optionally) in SQLite.

    Args:
        conn: a connection from `open_database`, or None for a memory-only cache.
            The caller owns it and closes it after the cache is no longer used.
        clock: current time in Unix seconds; tests inject a fake.
        max_memory_entries: values kept in memory, least recently used dropped first
            (an SPX chain is about 2 MB). Dropped values stay in SQLite.
        ttl_factor: this cache's share of every TTL, in (0, 1]. Processes sharing one
            database each take a different factor (`spread_ttl_factor()`), so they do not
            all find a value expired at the same instant: the first refreshes it, the others
            then read its fresh row instead of fetching too.
        shared: the Redis tier shared by replicas (`RedisTier`), or None.
    """

    def __init__(
        self,
        conn: sqlite3.Connection | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_memory_entries: int = DEFAULT_MAX_MEMORY_ENTRIES,
        ttl_factor: float = 1.0,
        shared: RedisTier | None = None,
    ) -> None:
        if max_memory_entries < 1:
            raise ValueError("max_memory_entries must be at least 1")
        if not 0 < ttl_factor <= 1:
            raise ValueError("ttl_factor must be in (0, 1]")
        self._ttl_factor = ttl_factor
        self._conn = conn
        self._clock = clock
        self._max_entries = max_memory_entries
        self._memory: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._stamps: OrderedDict[CacheKey, tuple[float, datetime]] = OrderedDict()
        self._flights: dict[CacheKey, _Flight] = {}
        self.shared = shared

    def now(self) -> float:
        """The cache's clock (Unix seconds), for callers whose policy depends on the time."""
        return self._clock()

    async def get_or_fetch(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[T]],
        *,
        ttl_seconds: float,
        codec: Codec[Any] | None = CHAIN_CODEC,
    ) -> Cached[T]:
        """The value for `key`: cached if younger than `ttl_seconds`, else fetched.

        See the module docstring for the order of lookups, single-flight and stale-on-error.

        Raises:
            SourceError: `fetch()` failed and no older value exists.
            Exception: anything else `fetch()` raises, unchanged.
        """
        ttl_seconds *= self._ttl_factor
        entry = self._memory.get(key)
        if entry is not None:
            age = self._clock() - entry.fetched_epoch
            if age < ttl_seconds:
                self._memory.move_to_end(key)
                return Cached(entry.value, entry.fetched_at, max(age, 0.0), from_cache=True)
        return await self._miss(key, fetch, ttl_seconds, codec)

    def fresh_stamp(self, key: CacheKey, *, ttl_seconds: float) -> datetime | None:
        """When the value for `key` was fetched, if that is within `ttl_seconds`: a value in
        memory, a SQLite row (read without decoding it) or a memory-only value that has left
        memory; None otherwise. Lets a caller reuse what it derived from that very value
        (e.g. answers) without loading it again. (For a memory-only value no longer in
        memory, `get_or_fetch` fetches again and answers with a new time.)"""
        ttl_seconds *= self._ttl_factor
        now = self._clock()
        entry = self._memory.get(key)
        if entry is not None and now - entry.fetched_epoch < ttl_seconds:
            return entry.fetched_at
        stamp = self._stamps.get(key)
        if stamp is not None and now - stamp[0] < ttl_seconds:
            return stamp[1]
        if self._conn is None:
            return None
        row = self._sql("SELECT fetched_at FROM cache_entries WHERE key = ? AND fetched_at > ?",
                        (_row_key(key), now - ttl_seconds))
        return datetime.fromtimestamp(row[0][0], UTC) if row else None

    def invalidate(self, key: CacheKey) -> None:
        """Forget `key` in memory and in SQLite (the next call fetches)."""
        self._memory.pop(key, None)
        self._stamps.pop(key, None)
        if self._conn is not None:
            self._sql("DELETE FROM cache_entries WHERE key = ?", (_row_key(key),))

    def clear_memory(self) -> None:
        """Drop every in-memory value; SQLite rows stay (as after a restart)."""
        self._memory.clear()
        self._stamps.clear()

    async def _miss(self, key: CacheKey, fetch: Callable[[], Awaitable[T]],
                    ttl_seconds: float, codec: Codec[T] | None) -> Cached[T]:
        while (flight := self._flights.get(key)) is not None:
            await flight.done.wait()
            if flight.error is not None:
                # Reset the traceback, as asyncio.Future does, so that it does not grow
                # by one set of frames per waiter.
                raise flight.error.with_traceback(flight.traceback)
            if flight.result is not None:
                return flight.result
            # The caller running that fetch was cancelled: start another.
        flight = self._flights[key] = _Flight()
        try:
            flight.result = await self._load_or_fetch(key, fetch, ttl_seconds, codec)
            return flight.result
        except Exception as exc:
            flight.error, flight.traceback = exc, exc.__traceback__
            raise
        finally:
            del self._flights[key]
            flight.done.set()

    async def _load_or_fetch(self, key: CacheKey, fetch: Callable[[], Awaitable[T]],
                             ttl_seconds: float, codec: Codec[T] | None) -> Cached[T]:
        now = self._clock()
        if codec is not None and self._conn is not None:
            loaded = self._load_row(key, codec, newer_than=now - ttl_seconds)
            if loaded is not None:
                return Cached(loaded.value, loaded.fetched_at, max(now - loaded.fetched_epoch, 0.0),
                              from_cache=True)
        token: str | None = None
        shared = self.shared if codec is not None else None
        if shared is not None and shared.usable():
            try:
                got = await self._await_shared(shared, key, codec, ttl_seconds)  # type: ignore[arg-type]
            except shared.errors as exc:
                shared.failed(exc)
            else:
                shared.succeeded()
                if isinstance(got, Cached):
                    return got
                token = got
        try:
            return await self._fetch_and_keep(key, fetch, codec, shared)
        finally:
            if token is not None and shared is not None:
                try:
                    await shared.release(key, token)
                except shared.errors as exc:
                    shared.failed(exc)

    async def _await_shared(self, shared: RedisTier, key: CacheKey, codec: Codec[T],
                            ttl_seconds: float) -> Cached[T] | str | None:
        """A fresh value another replica left in Redis, or this replica's lock token to
        fetch it (None: waited `shared.wait_seconds` for another replica, fetch anyway)."""
        give_up = time.monotonic() + shared.wait_seconds
        while True:
            hit = await self._shared_hit(shared, key, codec, newer_than=self._clock() - ttl_seconds)
            if hit is not None:
                return hit
            token = await shared.try_lock(key)
            if token is not None:
                # the holder before us may have written between our read and our lock
                hit = await self._shared_hit(shared, key, codec,
                                             newer_than=self._clock() - ttl_seconds)
                if hit is None:
                    return token
                await shared.release(key, token)
                return hit
            if time.monotonic() >= give_up:
                logger.warning("waited %.0f s for another replica to fetch %s; fetching here",
                               shared.wait_seconds, key)
                return None
            await anyio.sleep(shared.poll_seconds)

    async def _shared_hit(self, shared: RedisTier, key: CacheKey, codec: Codec[T], *,
                          newer_than: float) -> Cached[T] | None:
        row = await shared.read(key, codec.name, newer_than=newer_than)
        if row is None:
            return None
        fetched, payload = row
        try:
            value = codec.decode(payload)
        except ValueError as exc:
            logger.warning("dropping unreadable shared cache row %s: %s", key, exc)
            await shared.delete(key)
            return None
        entry = _Entry(value, fetched, datetime.fromtimestamp(fetched, UTC))
        self._remember(key, entry)
        return Cached(value, entry.fetched_at, max(self._clock() - fetched, 0.0), from_cache=True)

    async def _fetch_and_keep(self, key: CacheKey, fetch: Callable[[], Awaitable[T]],
                              codec: Codec[T] | None, shared: RedisTier | None) -> Cached[T]:
        """Run `fetch()` and keep its value (memory, SQLite, Redis); on a `SourceError`, the
        newest older value, stale."""
        try:
            value = await fetch()
        except SourceError as exc:
            fallback = self._newest_stale(key, codec)
            if shared is not None and codec is not None and shared.usable():
                try:
                    newer = await self._shared_hit(
                        shared, key, codec,
                        newer_than=fallback.fetched_epoch if fallback else float("-inf"))
                except shared.errors as error:
                    shared.failed(error)
                else:
                    if newer is not None:
                        fallback = self._memory.get(key)
            if fallback is None:
                raise
            age = max(self._clock() - fallback.fetched_epoch, 0.0)
            logger.warning("serving %s from cache, %.0f s old: %s", key, age, exc)
            return Cached(fallback.value, fallback.fetched_at, age, stale=True,
                          stale_reason=str(exc), from_cache=True)
        fetched = self._clock()
        entry = _Entry(value, fetched, datetime.fromtimestamp(fetched, UTC), memory_only=codec is None)
        if codec is not None and self._conn is not None:
            payload = codec.encode(value)
            self._sql("INSERT INTO cache_entries (key, codec, fetched_at, payload) "
                      "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                      "codec = excluded.codec, fetched_at = excluded.fetched_at, "
                      "payload = excluded.payload",
                      (_row_key(key), codec.name, fetched, payload))
        if codec is not None and shared is not None and shared.usable():
            try:
                await shared.write(key, codec.name, fetched, codec.encode(value) if self._conn is None
                                   else payload)
            except shared.errors as exc:
                shared.failed(exc)
            else:
                shared.succeeded()
        self._remember(key, entry)
        return Cached(value, entry.fetched_at, 0.0, from_cache=False)

    def _newest_stale(self, key: CacheKey, codec: Codec[Any] | None) -> _Entry | None:
        """The newest value for `key` in memory or SQLite, whatever its age."""
        entry = self._memory.get(key)
        if codec is not None and self._conn is not None:
            newer = self._load_row(key, codec,
                                   newer_than=entry.fetched_epoch if entry else float("-inf"))
            if newer is not None:
                return newer
        return entry

    def _load_row(self, key: CacheKey, codec: Codec[Any], *, newer_than: float) -> _Entry | None:
        """The SQLite value for `key` if written after `newer_than`, also put in memory."""
        row = self._sql("SELECT fetched_at, payload FROM cache_entries "
                        "WHERE key = ? AND codec = ? AND fetched_at > ?",
                        (_row_key(key), codec.name, newer_than))
        if not row:
            return None
        fetched, payload = row[0]
        try:
            value = codec.decode(payload)
        except ValueError as exc:
            logger.warning("dropping unreadable cache row %s: %s", key, exc)
            self._sql("DELETE FROM cache_entries WHERE key = ?", (_row_key(key),))
            return None
        entry = _Entry(value, fetched, datetime.fromtimestamp(fetched, UTC))
        self._remember(key, entry)
        return entry

    def _remember(self, key: CacheKey, entry: _Entry) -> None:
        self._memory[key] = entry
        self._memory.move_to_end(key)
        self._stamps.pop(key, None)
        while len(self._memory) > self._max_entries:
            gone, dropped = self._memory.popitem(last=False)
            if dropped.memory_only:
                self._stamps[gone] = (dropped.fetched_epoch, dropped.fetched_at)
                while len(self._stamps) > MAX_REMEMBERED_STAMPS:
                    self._stamps.popitem(last=False)

    def _sql(self, statement: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one statement; on a SQLite failure log it and return no rows."""
        assert self._conn is not None
        try:
            with connection_lock(self._conn):
                return self._conn.execute(statement, parameters).fetchall()
        except sqlite3.Error as exc:
            logger.warning("cache database unavailable (%s); continuing in memory", exc)
            return []


def _row_key(key: CacheKey) -> str:
    return json.dumps(list(key))
