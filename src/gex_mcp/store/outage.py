"""`Outage`: when a shared service (Redis, PostgreSQL) is considered down, and when to try it
again.

After a failure the service is left alone `retry_seconds` (no request waits on a dead server),
then tried again; a success ends the outage. `failed` says whether the failure began one and
`succeeded` how long it lasted, so the caller logs each once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Outage:
    """The down/up state of one shared service, safe to use from several threads."""

    def __init__(self, retry_seconds: float, clock: Callable[[], float]) -> None:
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self.down_since: float | None = None  # clock time of the failure that began it
        self._retry_at = 0.0

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def usable(self) -> bool:
        """True when the service should be tried: up, or its retry time has come."""
        return self.down_since is None or self._clock() >= self._retry_at

    def failed(self) -> bool:
        """Note a failure (the next try waits `retry_seconds`); True when it begins an outage."""
        with self._lock:
            now = self._clock()
            self._retry_at = now + self.retry_seconds
            if self.down_since is not None:
                return False
            self.down_since = now
            return True

    def succeeded(self) -> float | None:
        """Note a success; the seconds the outage lasted when this ends one, else None."""
        if self.down_since is None:
            return None
        with self._lock:
            if self.down_since is None:
                return None
            lasted, self.down_since = self._clock() - self.down_since, None
            return lasted


__all__ = ["Outage"]
