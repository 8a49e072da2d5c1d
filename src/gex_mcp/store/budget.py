"""`RequestBudget`: a per-source, per-UTC-day request allowance kept in SQLite.

Call `check_and_spend()` right before each upstream request. It counts the request, or
raises `RateLimitedError` (with `retry_after_seconds`) before anything is sent: when
today's count has reached `daily_limit`, or when upstream itself said no requests are
left. The count lives in the database, so it survives a restart and is shared by every
process using the same file (the spend is one `BEGIN IMMEDIATE` transaction).

After each response, a client passes upstream's own view to `record_upstream_limits()`
(FlashAlpha's `X-RateLimit-Remaining` and `X-RateLimit-Reset`; on a 429, `remaining=0`
and `reset_epoch = now + Retry-After`). While that record is current, each spend also
counts it down, so the request after the last allowed one is refused locally. The record
lapses at its reset time; with no reset time it lapses at the next UTC midnight, when
FlashAlpha's daily quotas reset.

Requests whose answer was "no such symbol" spend at most their own share of the day
(`unknown_answered(share)`): past `share` of them, each is given back to the day's count,
so a flood of made-up tickers cannot spend what real symbols, known or new, need.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gex_mcp.errors import RateLimitedError
from gex_mcp.store.migrations import transaction


@dataclass(frozen=True)
class BudgetStatus:
    """Today's use of a source's budget (UTC day)."""

    source: str
    used_today: int
    daily_limit: int
    resets_at: datetime
    upstream_remaining: int | None
    upstream_resets_at: datetime | None

    @property
    def remaining_today(self) -> int:
        return max(self.daily_limit - self.used_today, 0)


class RequestBudget:
    """At most `daily_limit` upstream requests per UTC day for one source.

    Args:
        conn: a connection from `open_database`; the caller closes it.
        source: the source name as users see it ("flashalpha", "cboe").
        daily_limit: requests allowed per UTC day; 0 refuses every request.
        clock: current time in Unix seconds; tests inject a fake.
        setting_name: the variable that raises the limit, named in the refusal message;
            default `GEX_<SOURCE>_DAILY_BUDGET`.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        source: str,
        daily_limit: int,
        *,
        clock: Callable[[], float] = time.time,
        setting_name: str | None = None,
    ) -> None:
        if daily_limit < 0:
            raise ValueError(f"daily_limit must be >= 0, got {daily_limit}")
        self._conn = conn
        self.source = source
        self.daily_limit = daily_limit
        self._clock = clock
        self._setting_name = setting_name or f"GEX_{source.upper()}_DAILY_BUDGET"

    def check_and_spend(self, *, reserve: int = 0) -> None:
        """Count one upstream request, or refuse it before it is sent.

        Args:
            reserve: requests at the end of the day's budget this request may not use (the
                service keeps them for symbols that have answered before).

        Raises:
            RateLimitedError: today's budget is spent, or upstream reported no requests
                left; `retry_after_seconds` says how long until the limit resets.
        """
        now = self._clock()
        day, midnight = _utc_day(now)
        with transaction(self._conn) as conn:
            upstream = self._current_upstream(conn, now)
            if upstream is not None:
                remaining, reset_at = upstream
                if remaining is not None and remaining <= 0:
                    raise RateLimitedError(
                        f"The {self.source} rate limit is used up (upstream reports 0 requests "
                        f"remaining). It resets at {_iso(reset_at)}; cached answers are still "
                        f"served.", retry_after_seconds=max(reset_at - now, 0.0))
            used = self._used(conn, day)
            if reserve and self.daily_limit - reserve <= used < self.daily_limit:
                raise RateLimitedError(
                    f"Daily request budget for {self.source} keeps its last {reserve} requests "
                    f"for symbols that have answered before ({used} of {self.daily_limit} used "
                    f"today, UTC). It resets at {_iso(midnight)}; cached answers are still served.",
                    retry_after_seconds=midnight - now)
            if used >= self.daily_limit:
                raise RateLimitedError(
                    f"Daily request budget for {self.source} is spent ({used} of "
                    f"{self.daily_limit} used today, UTC). It resets at {_iso(midnight)}; "
                    f"cached answers are still served. Raise {self._setting_name} if your "
                    f"plan allows more.", retry_after_seconds=midnight - now)
            conn.execute("INSERT INTO request_budget (source, day, used) VALUES (?, ?, 1) "
                         "ON CONFLICT (source, day) DO UPDATE SET used = used + 1",
                         (self.source, day))
            if upstream is not None and upstream[0] is not None:
                conn.execute("UPDATE upstream_limits SET remaining = remaining - 1 "
                             "WHERE source = ?", (self.source,))

    def unknown_answered(self, share: int) -> bool:
        """Count one request answered "no such symbol" today; past `share` of them, give
        its request back to the day's count (True when given back).

        The count is kept under the source name + "#unknown" in the same table, per UTC day.
        """
        day, _midnight = _utc_day(self._clock())
        with transaction(self._conn) as conn:
            conn.execute("INSERT INTO request_budget (source, day, used) VALUES (?, ?, 1) "
                         "ON CONFLICT (source, day) DO UPDATE SET used = used + 1",
                         (self._unknown_key, day))
            unknown = self._used(conn, day, self._unknown_key)
            if unknown <= share:
                return False
            conn.execute("UPDATE request_budget SET used = MAX(used - 1, 0) "
                         "WHERE source = ? AND day = ?", (self.source, day))
            return True

    @property
    def _unknown_key(self) -> str:
        return f"{self.source}#unknown"

    def record_upstream_limits(self, remaining: int | None, reset_epoch: float | None) -> None:
        """Remember upstream's own count of requests left and when it resets.

        Args:
            remaining: requests upstream still allows (`X-RateLimit-Remaining`), or None.
            reset_epoch: Unix seconds when upstream's window resets (`X-RateLimit-Reset`),
                or None (then taken as the next UTC midnight).
        """
        if remaining is None and reset_epoch is None:
            return
        with transaction(self._conn) as conn:
            conn.execute(
                "INSERT INTO upstream_limits (source, remaining, reset_at, recorded_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET "
                "remaining = excluded.remaining, reset_at = excluded.reset_at, "
                "recorded_at = excluded.recorded_at",
                (self.source, None if remaining is None else max(int(remaining), 0),
                 reset_epoch, self._clock()))

    def status(self) -> BudgetStatus:
        """Today's count, the limit and when they reset (no request is counted)."""
        now = self._clock()
        day, midnight = _utc_day(now)
        with transaction(self._conn, immediate=False) as conn:
            used = self._used(conn, day)
            upstream = self._current_upstream(conn, now)
        remaining, reset_at = upstream if upstream is not None else (None, None)
        return BudgetStatus(
            source=self.source, used_today=used, daily_limit=self.daily_limit,
            resets_at=datetime.fromtimestamp(midnight, UTC), upstream_remaining=remaining,
            upstream_resets_at=None if reset_at is None else datetime.fromtimestamp(reset_at, UTC))

    def _used(self, conn: sqlite3.Connection, day: str, source: str | None = None) -> int:
        row = conn.execute("SELECT used FROM request_budget WHERE source = ? AND day = ?",
                           (source or self.source, day)).fetchone()
        return 0 if row is None else row[0]

    def _current_upstream(self, conn: sqlite3.Connection,
                          now: float) -> tuple[int | None, float] | None:
        """Upstream's (remaining, reset time) if recorded and not yet reset, else None."""
        row = conn.execute("SELECT remaining, reset_at, recorded_at FROM upstream_limits "
                           "WHERE source = ?", (self.source,)).fetchone()
        if row is None:
            return None
        remaining, reset_at, recorded_at = row
        if reset_at is None:
            reset_at = _utc_day(recorded_at)[1]
        if now >= reset_at:
            return None
        return remaining, reset_at


def _utc_day(epoch: float) -> tuple[str, float]:
    """The UTC date of `epoch` (YYYY-MM-DD) and the Unix seconds of the next UTC midnight."""
    day = datetime.fromtimestamp(epoch, UTC).date()
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    return day.isoformat(), midnight.timestamp()


def _iso(epoch: float) -> str:
    """ISO-8601 UTC with whole seconds (rounded up, so 'resets at' is never early)."""
    return datetime.fromtimestamp(math.ceil(epoch), UTC).isoformat()


utc_day = _utc_day  # for the Redis budget (store/redis_budget.py)
iso_utc = _iso
