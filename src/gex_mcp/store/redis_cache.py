"""`RedisTier`: the chain cache's shared tier in Redis, and its cross-process single-flight.

`ChainCache(conn, shared=RedisTier(link))` looks here after its own memory and before its
fetch: a value any replica fetched within the TTL is read back instead of fetched again.
On a miss, a replica takes the lock of that key (`SET key NX PX`) before fetching; the
others wait for the value to appear, polling every `poll_seconds`, at most `wait_seconds`
(then they fetch themselves, logged). So N replicas asked for one symbol at once make one
upstream request per TTL.

Keys (under the link's prefix): `cache:<key>` a hash {fetched_at (Unix s), codec, payload},
kept `keep_seconds` so an older value can still be served stale when upstream fails;
`lock:<key>` the lock, holding a random token, expiring after `lock_seconds` (a replica that
dies while fetching does not hold it longer). Release deletes the lock only if it still
holds this replica's token (one Lua call).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from gex_mcp.store.redis_link import RedisLink

DEFAULT_WAIT_SECONDS = 30.0
DEFAULT_LOCK_SECONDS = 45.0
DEFAULT_KEEP_SECONDS = 2 * 86400.0
POLL_SECONDS = 0.02

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisTier:
    """Shared cache rows and fetch locks in Redis (see the module docstring).

    Args:
        link: the process's `RedisLink`.
        wait_seconds: longest wait for another replica's fetch before fetching anyway.
        lock_seconds: a lock's lifetime (longer than the slowest upstream fetch).
        keep_seconds: how long a row is kept for stale fallback.
    """

    def __init__(self, link: RedisLink, *, wait_seconds: float = DEFAULT_WAIT_SECONDS,
                 lock_seconds: float = DEFAULT_LOCK_SECONDS,
                 keep_seconds: float = DEFAULT_KEEP_SECONDS,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.link = link
        self.wait_seconds = wait_seconds
        self.lock_seconds = lock_seconds
        self.keep_seconds = keep_seconds
        self.poll_seconds = poll_seconds

    def _key(self, kind: str, key: tuple[str, ...]) -> str:
        return self.link.key(kind, json.dumps(list(key), separators=(",", ":")))

    async def read(self, key: tuple[str, ...], codec: str, *,
                   newer_than: float) -> tuple[float, bytes] | None:
        """(fetched_at, payload) of the row for `key` written with `codec` after
        `newer_than` (Unix s), else None. Raises the link's errors."""
        fetched, stored_codec, payload = await self.link.client().hmget(
            self._key("cache", key), "fetched_at", "codec", "payload")
        if fetched is None or payload is None or stored_codec is None:
            return None
        if stored_codec.decode() != codec or float(fetched) <= newer_than:
            return None
        return float(fetched), payload

    async def write(self, key: tuple[str, ...], codec: str, fetched: float, payload: bytes) -> None:
        """Store a row (replacing any older one). Raises the link's errors."""
        name = self._key("cache", key)
        async with self.link.client().pipeline(transaction=True) as pipe:
            pipe.hset(name, mapping={"fetched_at": repr(fetched), "codec": codec, "payload": payload})
            pipe.pexpire(name, int(self.keep_seconds * 1000))
            await pipe.execute()

    async def delete(self, key: tuple[str, ...]) -> None:
        await self.link.client().delete(self._key("cache", key))

    async def try_lock(self, key: tuple[str, ...]) -> str | None:
        """A token if this replica now holds the fetch lock of `key`, else None."""
        token = secrets.token_hex(8)
        got = await self.link.client().set(self._key("lock", key), token, nx=True,
                                           px=int(self.lock_seconds * 1000))
        return token if got else None

    async def release(self, key: tuple[str, ...], token: str) -> None:
        """Free the lock of `key` if it still holds `token`."""
        await self.link.client().eval(_RELEASE, 1, self._key("lock", key), token)

    def usable(self) -> bool:
        return self.link.usable()

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        return self.link.errors

    def failed(self, exc: BaseException) -> None:
        self.link.failed(exc)

    def succeeded(self) -> None:
        self.link.succeeded()

    async def refusal(self, name: str) -> str | None:
        """The message of a current refusal noted under `name` (e.g. an unknown symbol)."""
        got: Any = await self.link.client().get(self.link.key("refused", name))
        return None if got is None else got.decode()

    async def refuse(self, name: str, message: str, seconds: float) -> None:
        """Note a refusal under `name` for `seconds`, for every replica."""
        await self.link.client().set(self.link.key("refused", name), message,
                                     px=max(int(seconds * 1000), 1))


__all__ = ["RedisTier"]
