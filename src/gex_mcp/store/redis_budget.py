"""`RedisRequestBudget`: a daily request budget counted in Redis, shared by every replica.

The day's count is one Redis counter, `budget:<source>:<YYYY-MM-DD>` (UTC), spent with one
atomic Lua call that checks the limit (and the reserve, see `RequestBudget`) and increments
only when allowed; it expires two days later. N replicas thus share one `daily_limit`, not
N of them.

"No such symbol" answers are counted fleet-wide too (`budget-unknown:<source>:<day>`): past
their share of the day, each gives its request back to the shared count (`unknown_answered`,
one atomic Lua call), as the embedded budget does per process.

Upstream's own limits (`record_upstream_limits`) stay in this replica's SQLite file, as does
the fallback: while Redis is lost, requests are counted in SQLite (per replica) and the
link reports the degraded state.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from gex_mcp.errors import RateLimitedError
from gex_mcp.store.budget import BudgetStatus, RequestBudget, iso_utc, utc_day
from gex_mcp.store.migrations import transaction
from gex_mcp.store.redis_link import RedisLink

KEEP_SECONDS = 2 * 86400

# KEYS[1] the day's counter; ARGV: limit, reserve, keep (s).
# Returns {used before this request, 1 if counted else 0}.
_SPEND = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
local reserve = tonumber(ARGV[2])
if used >= limit then return {used, 0} end
if reserve > 0 and used >= limit - reserve then return {used, 0} end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {used, 1}
"""

# KEYS[1] the day's "no such symbol" count, KEYS[2] the day's counter; ARGV: share, keep (s).
# Counts one such answer; past `share` of them gives its request back. Returns 1 when given back.
_UNKNOWN = """
local unknown = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
if unknown <= tonumber(ARGV[1]) then return 0 end
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1
"""


class RedisRequestBudget(RequestBudget):
    """`RequestBudget` whose daily count lives in Redis (`link`); see the module docstring."""

    def __init__(self, conn: sqlite3.Connection, source: str, daily_limit: int, *,
                 link: RedisLink, clock: Callable[[], float] = time.time,
                 setting_name: str | None = None) -> None:
        super().__init__(conn, source, daily_limit, clock=clock, setting_name=setting_name)
        self.link = link

    def check_and_spend(self, *, reserve: int = 0) -> None:
        if not self.link.usable():
            super().check_and_spend(reserve=reserve)
            return
        now = self._clock()
        day, midnight = utc_day(now)
        upstream = self._upstream_now(now)
        if upstream is not None and upstream[0] is not None and upstream[0] <= 0:
            super().check_and_spend(reserve=reserve)  # raises with upstream's reset time
            return
        try:
            used, counted = self.link.sync_client().eval(
                _SPEND, 1, self.link.key("budget", self.source, day), self.daily_limit, reserve,
                KEEP_SECONDS)
        except self.link.errors as exc:
            self.link.failed(exc)
            super().check_and_spend(reserve=reserve)
            return
        self.link.succeeded()
        if counted:
            return
        if used < self.daily_limit:
            raise RateLimitedError(
                f"Daily request budget for {self.source} keeps its last {reserve} requests "
                f"for symbols that have answered before ({used} of {self.daily_limit} used "
                f"today, UTC, over all replicas). It resets at {iso_utc(midnight)}; cached answers "
                f"are still served.", retry_after_seconds=midnight - now)
        raise RateLimitedError(
            f"Daily request budget for {self.source} is spent ({used} of {self.daily_limit} "
            f"used today, UTC, over all replicas). It resets at {iso_utc(midnight)}; cached "
            f"answers are still served. Raise {self._setting_name} if your plan allows more.",
            retry_after_seconds=midnight - now)

    def unknown_answered(self, share: int) -> bool:
        """`RequestBudget.unknown_answered` over every replica: the share is the fleet's."""
        if not self.link.usable():
            return super().unknown_answered(share)
        day, _ = utc_day(self._clock())
        try:
            given = self.link.sync_client().eval(
                _UNKNOWN, 2, self.link.key("budget-unknown", self.source, day),
                self.link.key("budget", self.source, day), share, KEEP_SECONDS)
        except self.link.errors as exc:
            self.link.failed(exc)
            return super().unknown_answered(share)
        self.link.succeeded()
        return bool(given)

    def status(self) -> BudgetStatus:
        local = super().status()
        if not self.link.usable():
            return local
        day, _ = utc_day(self._clock())
        try:
            got = self.link.sync_client().get(self.link.key("budget", self.source, day))
        except self.link.errors as exc:
            self.link.failed(exc)
            return local
        self.link.succeeded()
        return BudgetStatus(source=self.source, used_today=int(got or 0), daily_limit=self.daily_limit,
                            resets_at=local.resets_at, upstream_remaining=local.upstream_remaining,
                            upstream_resets_at=local.upstream_resets_at)

    def _upstream_now(self, now: float) -> tuple[int | None, float] | None:
        with transaction(self._conn, immediate=False) as conn:
            return self._current_upstream(conn, now)


__all__ = ["RedisRequestBudget"]
