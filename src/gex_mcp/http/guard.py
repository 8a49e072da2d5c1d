"""What stands in front of the HTTP server: API keys, per-key rate limits, Host checks.

- Keys: `GEX_HTTP_TOKEN` may hold several comma-separated keys, one per client. A request to
  a protected path (/mcp, /v1) presents one as `X-Api-Key: <key>` (the guide's header) or
  `Authorization: Bearer <key>`. Every configured key is compared with
  `hmac.compare_digest`, all of them each time, so timing reveals neither a key nor which
  one matched. Keys are never logged: a refusal logs the path and the client address only.
- Rate limit: a token bucket per client (per key; per address without keys) of `limit`
  requests per minute, refilled continuously. /v1 answers carry `X-RateLimit-Limit`,
  `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix seconds when the bucket is full
  again), and a refusal is 429 with `Retry-After`, as FlashAlpha's API does.
- Host: REST requests must name an allowed host (DNS-rebinding protection, as the MCP SDK
  applies to /mcp): loopback names, the bind address and configured extra names.

Refusals are JSON `{"error": ..., "message": ...}` (a 429 adds FlashAlpha's `limit` and
`reset_at`), which FlashAlpha's SDK reads into its exceptions (`message`, `retry_after`).
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

#: FlashAlpha serves its quotes outside /v1 (/stockquote, /optionquote); so do we.
PROTECTED_PREFIXES = ("/mcp", "/v1", "/stockquote", "/optionquote")
RATE_LIMITED_PREFIXES = ("/v1", "/stockquote", "/optionquote")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


def presented_key(scope: Scope) -> bytes | None:
    """The key a request presents: X-Api-Key, else a Bearer token; b"" when malformed."""
    api_key = _header(scope, b"x-api-key")
    if api_key is not None:
        return api_key.strip()
    auth = _header(scope, b"authorization")
    if auth is None:
        return None
    scheme, _, credentials = auth.partition(b" ")
    return credentials.strip() if scheme.lower() == b"bearer" else b""


class ApiKeys:
    """The configured keys; `client_of` names the matching client without revealing it."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = [k.encode() for k in keys if k]
        if not self._keys:
            raise ValueError("at least one key is needed")

    def client_of(self, presented: bytes) -> str | None:
        """"key-N" for the N-th configured key (1-based), None when none matches."""
        match = None
        for i, key in enumerate(self._keys, start=1):
            if hmac.compare_digest(presented, key) and match is None:
                match = f"key-{i}"
        return match


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """`limit` requests per minute per client, with bursts up to `limit`."""

    def __init__(self, limit: int, *, clock: Callable[[], float] = time.time) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1 request per minute")
        self.limit = limit
        self._rate = limit / 60.0  # tokens per second
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, client: str) -> tuple[bool, int, float, float]:
        """(allowed, remaining, reset epoch, retry-after seconds) for one request of `client`."""
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(float(self.limit), now)
        bucket.tokens = min(float(self.limit), bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        reset = now + (self.limit - bucket.tokens) / self._rate
        retry = 0.0 if allowed else (1.0 - bucket.tokens) / self._rate
        return allowed, int(bucket.tokens), reset, retry


async def send_json(send: Send, status: int, error: str, message: str,
                    headers: Iterable[tuple[bytes, bytes]] = (), **fields: object) -> None:
    """A JSON refusal `{"error", "message", **fields}` with `status` and `headers`."""
    body = json.dumps({"error": error, "message": message, **fields}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})


def _hostname(host_header: bytes) -> str:
    text = host_header.decode("latin-1").strip().lower()
    if text.startswith("["):  # [::1]:8000
        return text[: text.find("]") + 1]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


class HttpGuard:
    """ASGI middleware applying keys, rate limits and Host checks (see the module docstring).

    Args:
        app: the wrapped app.
        keys: the configured keys, or None to require none.
        rate: per-client rate limit for /v1, or None for none.
        rest_hosts: Host names accepted for paths other than /mcp (whose Host the MCP SDK
            checks itself); None accepts any.
    """

    def __init__(self, app: ASGIApp, *, keys: ApiKeys | None = None, rate: TokenBucket | None = None,
                 rest_hosts: Iterable[str] | None = None) -> None:
        self.app = app
        self.keys = keys
        self.rate = rate
        self.rest_hosts = None if rest_hosts is None else {h.lower() for h in rest_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.rest_hosts is not None and not path.startswith("/mcp"):
            host = _header(scope, b"host") or b""
            if _hostname(host) not in self.rest_hosts:
                await send_json(send, 421, "invalid_host",
                                "This server does not answer for that Host header.")
                return
        client = (scope.get("client") or ("?",))[0]
        if self.keys is not None and path.startswith(PROTECTED_PREFIXES):
            presented = presented_key(scope)
            matched = self.keys.client_of(presented) if presented else None
            if matched is None:
                logger.warning("refused %s %s from %s: %s key", scope.get("method"), path, client,
                               "no" if presented is None else "a wrong")
                challenge = 'Bearer realm="gex-mcp"' + (', error="invalid_token"' if presented is not None else "")
                await send_json(send, 401, "unauthorized" if presented is None else "invalid_key",
                                "Send one of the server's keys as 'X-Api-Key: <key>' or "
                                "'Authorization: Bearer <key>'.",
                                [(b"www-authenticate", challenge.encode())])
                return
            client = matched
        if self.rate is None or not path.startswith(RATE_LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        allowed, remaining, reset, retry = self.rate.take(client)
        limits = [(b"x-ratelimit-limit", str(self.rate.limit).encode()),
                  (b"x-ratelimit-remaining", str(remaining).encode()),
                  (b"x-ratelimit-reset", str(math.ceil(reset)).encode())]
        if not allowed:
            await send_json(send, 429, "rate_limited",
                            f"Rate limit of {self.rate.limit} requests per minute reached; retry "
                            f"in {math.ceil(retry)} s.",
                            [*limits, (b"retry-after", str(math.ceil(retry)).encode())],
                            limit=self.rate.limit,  # FlashAlpha's 429 body names the limit and reset
                            reset_at=datetime.fromtimestamp(math.ceil(reset), UTC).isoformat())
            return

        async def with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *limits]}
            await send(message)

        await self.app(scope, receive, with_limits)
