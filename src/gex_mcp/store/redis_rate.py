"""`RedisRateLimit`: the REST per-key token bucket kept in Redis, so N replicas enforce one
limit, not N times it.

Each client's bucket is a hash `rate:<client>` {tokens, updated}; one Lua call refills it at
`limit / 60` tokens per second since `updated` (by Redis's own clock, `TIME`, so replicas'
clocks do not matter), takes a token when one is whole, and returns what is left. The answer
has the shape of the in-process bucket's `take`: (allowed, remaining, reset epoch,
retry-after seconds), reset being when the bucket is full again.

While Redis is lost, `fallback` (this replica's own bucket) answers, and the link reports
the degraded state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gex_mcp.store.redis_link import RedisLink

# KEYS[1] the bucket; ARGV[1] limit per minute. Returns {allowed, tokens left, now}.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[1])
local rate = limit / 60
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(b[1]) or limit
local updated = tonumber(b[2]) or now
tokens = math.min(limit, tokens + math.max(now - updated, 0) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], 120)
return {allowed, tostring(tokens), tostring(now)}
"""


class LocalBucket(Protocol):
    limit: int

    def take(self, client: str) -> tuple[bool, int, float, float]: ...


class RedisRateLimit:
    """`limit` requests per minute per client, counted in Redis (see the module docstring)."""

    def __init__(self, link: RedisLink, fallback: LocalBucket) -> None:
        self.link = link
        self.fallback = fallback
        self.limit = fallback.limit
        self._rate = self.limit / 60.0

    async def acquire(self, client: str) -> tuple[bool, int, float, float]:
        """(allowed, remaining, reset epoch, retry-after seconds) for one request of `client`."""
        if not self.link.usable():
            return self.fallback.take(client)
        try:
            allowed, tokens, now = await self.link.client().eval(
                _TAKE, 1, self.link.key("rate", client), self.limit)
        except self.link.errors as exc:
            self.link.failed(exc)
            return self.fallback.take(client)
        self.link.succeeded()
        left, at = float(tokens), float(now)
        reset = at + (self.limit - left) / self._rate
        retry = 0.0 if allowed else (1.0 - left) / self._rate
        return bool(allowed), int(left), reset, retry


__all__ = ["RedisRateLimit"]
