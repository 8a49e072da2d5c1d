"""uvicorn's h11 protocol with a deadline for request headers, caps that keep waiting
connections apart from requests being served, and filters for the log.

uvicorn times out idle keep-alive connections but not a client that opens a connection and
never finishes its request headers (slowloris): thousands of those exhaust the process's
file descriptors before any authentication runs. `HeaderDeadlineProtocol` closes a
connection whose headers are not complete within `HEADER_TIMEOUT_SECONDS` of its opening
or of the previous response, and keeps connections without a request in progress to
their own cap (the oldest closed first); `ActiveRequestCap` caps the requests in progress,
so waiting sockets never take their slots. `RepeatFilter` lets a log line through at most
`REPEAT_LIMIT` times a minute (then one notice), so an accept-error loop cannot write
100 MB of log. `QueryRedactFilter` blanks key-like query parameters (`?api_key=...`) in
uvicorn's access lines; `CancelledRequestFilter` makes a request cancelled at shutdown one
line instead of a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import unquote_plus

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_WAITING = 1024  # connections without a request in progress
REPEAT_LIMIT = 5
REPEAT_WINDOW_SECONDS = 60.0


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol that closes connections stuck before complete headers, and keeps waiting
    connections (headers not complete yet, or idle between keep-alive requests) to their
    own cap, `max_waiting`, closing the oldest waiting one when a new connection passes it.

    Waiting connections thus never take the slots of requests being served (those are
    capped apart, by `ActiveRequestCap`): with thousands of slow sockets open, complete
    requests are still answered.
    """

    header_timeout_seconds = HEADER_TIMEOUT_SECONDS
    max_waiting = DEFAULT_MAX_WAITING
    _header_timer: asyncio.TimerHandle | None = None

    @classmethod
    def with_limits(cls, *, max_waiting: int) -> type[HeaderDeadlineProtocol]:
        """A subclass with its own waiting-connection cap (uvicorn takes a class)."""
        return type(cls.__name__, (cls,), {"max_waiting": max_waiting})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        waiting = self._waiting()
        waiting[self] = None
        while len(waiting) > self.max_waiting:
            oldest = next(iter(waiting))
            del waiting[oldest]
            oldest._disarm()
            if not oldest.transport.is_closing():
                oldest.transport.close()

    def handle_events(self) -> None:
        super().handle_events()
        # The client is IDLE until its request's headers are complete: the clock runs. Once
        # parsed, the request is in progress and the deadline is off; the next request's
        # headers (after a keep-alive response) start a new one when their first bytes come.
        if self.conn.their_state == h11.IDLE:
            self._arm()
            if self.cycle is None or self.cycle.response_complete:
                self._waiting().setdefault(self, None)
        else:
            self._disarm()
            self._waiting().pop(self, None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._waiting().pop(self, None)
        super().connection_lost(exc)

    def _waiting(self) -> OrderedDict[HeaderDeadlineProtocol, None]:
        """This server's waiting connections, oldest first (kept on its shared state)."""
        waiting = getattr(self.server_state, "gex_waiting", None)
        if waiting is None:
            waiting = OrderedDict()
            self.server_state.gex_waiting = waiting  # type: ignore[attr-defined]
        return waiting

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_seconds, self._give_up)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _give_up(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self.transport.close()


class RepeatFilter(logging.Filter):
    """Pass each distinct message at most REPEAT_LIMIT times per REPEAT_WINDOW_SECONDS."""

    def __init__(self, limit: int = REPEAT_LIMIT, window_seconds: float = REPEAT_WINDOW_SECONDS) -> None:
        super().__init__()
        self.limit, self.window = limit, window_seconds
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        start, count = self._seen.get(key, (now, 0))
        if now - start > self.window:
            start, count = now, 0
        count += 1
        self._seen[key] = (start, count)
        if len(self._seen) > 10_000:  # bounded memory under a flood of distinct lines
            self._seen.clear()
        if count == self.limit + 1:
            record.msg = f"{record.msg} [repeated; further copies suppressed for {self.window:g} s]"
            return True
        return count <= self.limit


#: Query parameter names whose values are secrets: any name containing one of these.
KEY_LIKE = re.compile(r"key|token|secret|passw|auth|sig|credential|session", re.IGNORECASE)
REDACTED = "[redacted]"


def redact_query(path: str, secrets: Iterable[str] = ()) -> str:
    """`path` with the value of every key-like query parameter (KEY_LIKE, or a value equal
    to one of `secrets`) replaced by REDACTED; the path and other parameters are kept."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    known = {s for s in secrets if s}
    kept = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if KEY_LIKE.search(unquote_plus(name)) or (value and unquote_plus(value) in known):
            part = f"{name}={REDACTED}" if eq else REDACTED
        kept.append(part)
    return f"{base}?{'&'.join(kept)}"


class QueryRedactFilter(logging.Filter):
    """On uvicorn.access: redacts the request line's query (its args are client, method,
    path with query, HTTP version, status)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2], self.secrets), *args[3:])
        return True


class CancelledRequestFilter(logging.Filter):
    """On uvicorn.error: a request cancelled by the bounded graceful shutdown is one line,
    not "Exception in ASGI application" with a traceback through the upstream fetch."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, asyncio.CancelledError):
            record.msg, record.args = "a request in flight was cancelled at shutdown", ()
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class ActiveRequestCap:
    """ASGI middleware: at most `limit` HTTP requests in progress; beyond, 503 at once.

    uvicorn's own `limit_concurrency` counts every open connection, so sockets that never
    finish their headers (or idle keep-alive ones) took the slots of complete requests; here
    only requests count, and `HeaderDeadlineProtocol` caps the waiting connections apart.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit, self.active = app, limit, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            body = b"Service Unavailable"
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()), (b"retry-after", b"1"),
                (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
