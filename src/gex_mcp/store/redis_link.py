"""`RedisLink`: one process's connection to the shared Redis (`GEX_REDIS_URL`), and its health.

Replicas behind a load balancer share through Redis what is short-lived: cached chains and
their single-flight locks (`store/redis_cache.py`), the daily request budgets and the
unknown-symbol refusals (`store/redis_budget.py`), the REST rate-limit buckets
(`store/redis_rate.py`).

Faults are survived, not hidden:

- At start, `check()` pings Redis; unreachable is a `ConfigError` naming the URL with its
  password replaced by `***`.
- While serving, every user of the link calls `usable()` first and reports a Redis error
  with `failed(exc)`: the link is then marked degraded (one warning in the log, a flag in
  `/health`), its users fall back to their embedded equivalent (SQLite cache, local locks and
  buckets), and Redis is tried again `retry_seconds` later. The first success after that
  logs the recovery and clears the flag.

The `redis` package is imported here only: an optional extra (`gex-mcp[redis]`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gex_mcp.errors import ConfigError
from gex_mcp.store.outage import Outage

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "gex:"
DEFAULT_RETRY_SECONDS = 2.0
SOCKET_TIMEOUT_SECONDS = 1.0


def redact_url(url: str) -> str:
    """`url` with any password replaced by `***` (for logs and error messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _redis_module() -> Any:
    try:
        import redis
    except ImportError:
        raise ConfigError("GEX_REDIS_URL is set but the redis client is not installed. "
                          'Install it with: pip install "gex-mcp[redis]"') from None
    return redis


class RedisLink:
    """The process's Redis clients (asyncio and blocking) and whether Redis is answering.

    Args:
        url: `redis://[user:password@]host:port/db`.
        prefix: put before every key, so one Redis can serve several deployments.
        retry_seconds: after a failure, Redis is left alone this long before a retry.
        clock: monotonic seconds; tests inject a fake.
    """

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX,
                 retry_seconds: float = DEFAULT_RETRY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.redis = _redis_module()
        self.url = url
        self.shown_url = redact_url(url)
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self._outage = Outage(retry_seconds, clock)
        self._async: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._sync: Any = None
        self.failures = 0

    # ---- clients ------------------------------------------------------------------------

    def client(self) -> Any:
        """The asyncio client of the running event loop (one per loop: a client's
        connections belong to the loop that opened them)."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async = self.redis.asyncio.Redis.from_url(
                self.url, socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS, health_check_interval=30)
            self._async_loop = loop
        return self._async

    def sync_client(self) -> Any:
        """The blocking client, for the few calls made from synchronous code (budgets)."""
        if self._sync is None:
            self._sync = self.redis.Redis.from_url(
                self.url, socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS)
        return self._sync

    def key(self, *parts: str) -> str:
        """A prefixed key: `gex:part1:part2...`."""
        return self.prefix + ":".join(parts)

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions that mean Redis is not answering (caught by the link's users)."""
        return (self.redis.RedisError, OSError)

    # ---- health -------------------------------------------------------------------------

    def check(self) -> None:
        """Ping Redis once (at start).

        Raises:
            ConfigError: Redis does not answer at the URL (named without its password).
        """
        try:
            self.sync_client().ping()
        except self.errors as exc:
            raise ConfigError(f"GEX_REDIS_URL {self.shown_url}: Redis does not answer "
                              f"({type(exc).__name__}). Start Redis, or unset GEX_REDIS_URL to "
                              "keep everything in this process.") from None

    @property
    def degraded(self) -> bool:
        """True while Redis is considered lost (users run on their embedded fallback)."""
        return self._outage.down

    def usable(self) -> bool:
        """True when Redis should be tried: healthy, or its retry time has come."""
        return self._outage.usable()

    def failed(self, exc: BaseException) -> None:
        """Note a Redis error: degrade (warn once) and wait `retry_seconds` before a retry."""
        self.failures += 1
        if self._outage.failed():
            logger.warning("Redis at %s lost (%s); serving from this process's own cache, "
                           "locks and limits until it answers again", self.shown_url,
                           type(exc).__name__)

    def succeeded(self) -> None:
        """Note a Redis success: clears a degraded state (logged)."""
        lasted = self._outage.succeeded()
        if lasted is not None:
            logger.warning("Redis at %s answers again after %.1f s; shared state resumed",
                           self.shown_url, lasted)

    def health(self) -> dict[str, Any]:
        """The /health entry: `{"redis": "ok" | "degraded"}`."""
        return {"redis": "degraded" if self.degraded else "ok"}

    def rate_limit(self, local: Any) -> Any:
        """The REST rate limit shared in Redis (`RedisRateLimit`), with `local` (this
        process's bucket) answering while Redis is lost."""
        from gex_mcp.store.redis_rate import RedisRateLimit

        return RedisRateLimit(self, local)

    async def aclose(self) -> None:
        client, self._async = self._async, None
        if client is not None:
            try:
                await client.aclose()
            except self.errors:
                pass
        if self._sync is not None:
            self._sync.close()
            self._sync = None


__all__ = ["RedisLink", "redact_url"]
