"""A cap on live MCP-over-HTTP sessions, per client and overall, evicting the oldest idle one.

The MCP SDK keeps a stateful session (~37 KB) until it is idle for `session_idle_seconds`
(600 s by default) and, at its own limit, refuses new ones; nothing stopped one key from
holding thousands. `SessionCap` wraps the SDK's /mcp app as plain ASGI and sees sessions as
the protocol shows them: a POST without `Mcp-Session-Id` whose answer carries one opens a
session; requests naming it use it; DELETE ends it. Before a session is opened past a cap,
the least recently used session with no request in flight (of that client, or of anyone for
the overall cap) is ended by a DELETE sent to the SDK app, exactly as a client ends its own.
When every session is busy, the opening request is refused with 503 and a JSON-RPC error.

The client is what `HttpGuard` put in the scope under `CLIENT_SCOPE_KEY` (the key's name,
or the address without keys).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

CLIENT_SCOPE_KEY = "gex_client"
SESSION_HEADER = b"mcp-session-id"
MAX_SESSIONS_PER_CLIENT = 32
MAX_SESSIONS = 512  # ~19 MB of sessions at ~37 KB each


@dataclass
class _Session:
    client: str
    used: float
    in_flight: int = 0


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


class SessionCap:
    """ASGI middleware capping live MCP sessions (see the module docstring).

    Args:
        app: the SDK's streamable HTTP app.
        per_client: sessions one client (key, or address) may hold.
        overall: sessions all clients together may hold.
        idle_seconds: the SDK's idle timeout; a session unused this long is forgotten here
            too (the SDK has closed it).
        clock: monotonic seconds (tests inject one).
    """

    def __init__(self, app: ASGIApp, *, per_client: int = MAX_SESSIONS_PER_CLIENT,
                 overall: int = MAX_SESSIONS, idle_seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_client < 1 or overall < 1:
            raise ValueError("session caps must be at least 1")
        self.app, self.per_client, self.overall = app, per_client, overall
        self.idle_seconds, self._clock = idle_seconds, clock
        self._sessions: OrderedDict[str, _Session] = OrderedDict()  # least recently used first

    def live(self, client: str | None = None) -> int:
        """Sessions held (by `client`, or by everyone)."""
        return sum(1 for s in self._sessions.values() if client is None or s.client == client)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._forget_expired()
        raw = _header(scope, SESSION_HEADER)
        sid = raw.decode("latin-1") if raw is not None else None
        if sid is not None:
            await self._use(sid, scope, receive, send)
        elif scope.get("method") == "POST":
            await self._open(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _use(self, sid: str, scope: Scope, receive: Receive, send: Send) -> None:
        session = self._sessions.get(sid)
        if session is None:
            await self.app(scope, receive, send)
            return
        self._sessions.move_to_end(sid)
        session.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            session.in_flight -= 1
            session.used = self._clock()
            if scope.get("method") == "DELETE":
                self._sessions.pop(sid, None)

    async def _open(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = str(scope.get(CLIENT_SCOPE_KEY) or (scope.get("client") or ("?",))[0])
        for mine_only, cap in ((True, self.per_client), (False, self.overall)):
            while self.live(client if mine_only else None) >= cap:
                victim = self._oldest_idle(client if mine_only else None)
                if victim is None:
                    await _refuse(send, "per client" if mine_only else "in all", cap)
                    return
                await self._end(victim, scope)
        opened: list[str] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status", 500) < 400:
                for key, value in message.get("headers", ()):
                    if key.lower() == SESSION_HEADER:
                        opened.append(value.decode("latin-1"))
            await send(message)

        await self.app(scope, receive, watch)
        if opened and opened[0] not in self._sessions:
            self._sessions[opened[0]] = _Session(client, self._clock())

    def _oldest_idle(self, client: str | None) -> str | None:
        for sid, session in self._sessions.items():
            if session.in_flight == 0 and (client is None or session.client == client):
                return sid
        return None

    async def _end(self, sid: str, template: Scope) -> None:
        """End session `sid` as its client would: DELETE /mcp with its id, answer dropped."""
        session = self._sessions.pop(sid)
        logger.info("closing the least recently used idle MCP session of %s to open another",
                    session.client)
        headers = [(k, v) for k, v in template.get("headers", ())
                   if k.lower() in (b"host", b"mcp-protocol-version")]
        scope = {**template, "method": "DELETE", "headers": [*headers, (SESSION_HEADER, sid.encode())],
                 "query_string": b""}

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def drop(message: Message) -> None:
            return None

        await self.app(scope, receive, drop)

    def _forget_expired(self) -> None:
        if self.idle_seconds is None:
            return
        horizon = self._clock() - self.idle_seconds
        for sid in [sid for sid, s in self._sessions.items() if s.in_flight == 0 and s.used < horizon]:
            del self._sessions[sid]


async def _refuse(send: Send, scope_words: str, cap: int) -> None:
    body = (b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32000, "message": "Too many open '
            b'MCP sessions (' + f"{cap} {scope_words}".encode() + b'), all in use; close one '
            b'or retry later."}}')
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"5")]})
    await send({"type": "http.response.body", "body": body})
