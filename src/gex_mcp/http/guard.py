"""What stands in front of the HTTP server: API keys, per-key rate limits, Host checks.

- Keys: `GEX_HTTP_TOKEN` may hold several comma-separated keys, one per client. A request to
  a protected path (/mcp, /v1) presents one as `X-Api-Key: <key>` (the guide's header) or
  `Authorization: Bearer <key>`. Every configured key is compared with
  `hmac.compare_digest`, all of them each time, so timing reveals neither a key nor which
  one matched. Keys are never logged: a refusal logs the path and the client address only.
- Rate limit: a token bucket per client (per key; per address without keys) of `limit`
  requests per minute, refilled continuously, shared by /v1 requests and MCP `tools/call`
  messages posted to /mcp (other MCP messages, such as initialize or tools/list, are free;
  a refused tool call is a 429 whose body is a JSON-RPC error the MCP client shows).
  /v1 answers carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
  (Unix seconds when the bucket is full again), and a refusal is 429 with `Retry-After`,
  as FlashAlpha's API does.
- Failed keys: an address that sent `FAILED_KEY_BURST` wrong keys gets 429 with
  `Retry-After` on /mcp and /v1, whatever key it sends, until its allowance refills
  (`FAILED_KEYS_PER_MINUTE`): guessing a key costs minutes per dozen tries.
- Host: every request's Host header must be strictly `host[:port]` (else 421), and REST
  requests must name an allowed host (DNS-rebinding protection, as the MCP SDK applies to
  /mcp): loopback names, the bind address and configured extra names.

Refusals are JSON `{"error": ..., "message": ...}` (a 429 adds FlashAlpha's `limit` and
`reset_at`), which FlashAlpha's SDK reads into its exceptions (`message`, `retry_after`).
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

#: FlashAlpha serves its quotes outside /v1 (/stockquote, /optionquote); so do we.
PROTECTED_PREFIXES = ("/mcp", "/v1", "/stockquote", "/optionquote")
FAILED_KEY_BURST = 10  # wrong keys one address may send at once ...
FAILED_KEYS_PER_MINUTE = 10  # ... and then per minute
MAX_TRACKED_ADDRESSES = 10_000
RATE_LIMITED_PREFIXES = ("/v1", "/stockquote", "/optionquote")
MCP_PREFIX = "/mcp"
MAX_COUNTED_BODY = 1_048_576  # MCP bodies read to count tool calls (larger: passed on uncounted)


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

    async def acquire(self, client: str) -> tuple[bool, int, float, float]:
        """`take`, as the guard calls it (a bucket shared in Redis answers the same call)."""
        return self.take(client)


class RateLimit(Protocol):
    """What the guard asks of a rate limit: this process's `TokenBucket`, or one shared by
    replicas (in Redis, `GexService.shared.rate_limit`)."""

    limit: int

    async def acquire(self, client: str) -> tuple[bool, int, float, float]: ...


class FailedKeyThrottle:
    """Wrong keys per client address: a bucket of `burst` failures refilled at `per_minute`.

    `wait(address)` is 0 while the address may still try, else the seconds until it may.
    At most MAX_TRACKED_ADDRESSES are remembered; past that, those whose allowance is full
    again are forgotten (then the oldest).
    """

    def __init__(self, burst: int = FAILED_KEY_BURST, per_minute: int = FAILED_KEYS_PER_MINUTE, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self._rate, self._clock = float(burst), per_minute / 60.0, clock
        self._buckets: dict[str, _Bucket] = {}

    def _refilled(self, address: str) -> _Bucket | None:
        bucket = self._buckets.get(address)
        if bucket is not None:
            now = self._clock()
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
        return bucket

    def wait(self, address: str) -> float:
        bucket = self._refilled(address)
        return 0.0 if bucket is None or bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self._rate

    def failed(self, address: str) -> None:
        bucket = self._refilled(address)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED_ADDRESSES:
                self._forget()
            bucket = self._buckets[address] = _Bucket(self.burst, self._clock())
        bucket.tokens = max(0.0, bucket.tokens - 1.0)

    def _forget(self) -> None:
        for address in list(self._buckets):
            bucket = self._refilled(address)
            if bucket is not None and bucket.tokens >= self.burst:
                del self._buckets[address]
        while len(self._buckets) >= MAX_TRACKED_ADDRESSES:
            del self._buckets[next(iter(self._buckets))]


def tool_calls_in(body: bytes) -> tuple[int, object]:
    """(number of `tools/call` requests in a JSON-RPC body, the id of the first); (0, None)
    for anything else, including a body that is not JSON (the MCP SDK answers that)."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return 0, None
    messages = parsed if isinstance(parsed, list) else [parsed]
    calls = [m for m in messages if isinstance(m, dict) and m.get("method") == "tools/call"]
    return len(calls), (calls[0].get("id") if calls else None)


async def _read_body(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The request's body messages as received, and the body (None past `limit` bytes)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def send_json(send: Send, status: int, error: str, message: str,
                    headers: Iterable[tuple[bytes, bytes]] = (), **fields: object) -> None:
    """A JSON refusal `{"error", "message", **fields}` with `status` and `headers`."""
    body = json.dumps({"error": error, "message": message, **fields}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})


#: A Host header as RFC 9110 allows it here: a DNS name (labels of letters, digits, '-' and
#: '_') or an IPv4 address, or an IPv6 literal in brackets; then an optional ':port'.
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
                   r"(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?)(?::([0-9]{1,5}))?")


def _parse_host(host_header: bytes) -> tuple[str, str | None] | None:
    """(host, port) of a Host header, the host in lower case without a trailing dot (IPv6 in
    brackets); None unless the whole header is strictly `host[:port]` (so
    `localhost:1@evil.com` is refused)."""
    text = host_header.decode("latin-1").lower()
    match = _HOST.fullmatch(text)
    if match is None or (match[2] is not None and int(match[2]) > 65535):
        return None
    name = match[1].rstrip(".")
    return (name, match[2]) if name else None


def _with_host(scope: Scope, name: str, port: str | None) -> Scope:
    """`scope` with its Host header in the canonical form checked (what the app sees)."""
    canonical = (name if port is None else f"{name}:{port}").encode("latin-1")
    headers = [(k, canonical if k.lower() == b"host" else v) for k, v in scope.get("headers", ())]
    return {**scope, "headers": headers}


class HttpGuard:
    """ASGI middleware applying keys, rate limits and Host checks (see the module docstring).

    Args:
        app: the wrapped app.
        keys: the configured keys, or None to require none.
        rate: per-client rate limit for /v1, or None for none.
        rest_hosts: Host names accepted for paths other than /mcp (whose Host the MCP SDK
            checks itself); None accepts any.
    """

    def __init__(self, app: ASGIApp, *, keys: ApiKeys | None = None, rate: RateLimit | None = None,
                 rest_hosts: Iterable[str] | None = None) -> None:
        self.app = app
        self.keys = keys
        self.rate = rate
        self.rest_hosts = None if rest_hosts is None else {h.lower() for h in rest_hosts}
        self.failed_keys = FailedKeyThrottle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.rest_hosts is not None:
            # Every path is parsed strictly and passed on in canonical form; /mcp's names are
            # then checked by the MCP SDK.
            parsed = _parse_host(_header(scope, b"host") or b"")
            if parsed is None or (parsed[0] not in self.rest_hosts and not path.startswith("/mcp")):
                await send_json(send, 421, "invalid_host",
                                "This server does not answer for that Host header; send "
                                "'Host: name[:port]' with a name it serves.")
                return
            scope = _with_host(scope, *parsed)
        client = (scope.get("client") or ("?",))[0]
        if self.keys is not None and path.startswith(PROTECTED_PREFIXES):
            wait = self.failed_keys.wait(client)
            if wait > 0:
                await send_json(send, 429, "too_many_failed_keys",
                                f"Too many wrong keys from this address; retry in {math.ceil(wait)} s.",
                                [(b"retry-after", str(math.ceil(wait)).encode())])
                return
            presented = presented_key(scope)
            matched = self.keys.client_of(presented) if presented else None
            if matched is None:
                if presented is not None:
                    self.failed_keys.failed(client)
                logger.warning("refused %s %s from %s: %s key", scope.get("method"), path, client,
                               "no" if presented is None else "a wrong")
                challenge = 'Bearer realm="gex-mcp"' + (', error="invalid_token"' if presented is not None else "")
                await send_json(send, 401, "unauthorized" if presented is None else "invalid_key",
                                "Send one of the server's keys as 'X-Api-Key: <key>' or "
                                "'Authorization: Bearer <key>'.",
                                [(b"www-authenticate", challenge.encode())])
                return
            client = matched
        scope = {**scope, "gex_client": client}  # mcp_sessions.CLIENT_SCOPE_KEY: whose session
        if self.rate is not None and path.startswith(MCP_PREFIX) and scope.get("method") == "POST":
            await self._mcp_limited(client, scope, receive, send)
            return
        if self.rate is None or not path.startswith(RATE_LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        allowed, remaining, reset, retry = await self.rate.acquire(client)
        limits = [(b"x-ratelimit-limit", str(self.rate.limit).encode()),
                  (b"x-ratelimit-remaining", str(remaining).encode()),
                  (b"x-ratelimit-reset", str(math.ceil(reset)).encode())]
        if not allowed:
            await send_json(send, 429, "rate_limited", self._refusal(retry),
                            [*limits, (b"retry-after", str(math.ceil(retry)).encode())],
                            limit=self.rate.limit,  # FlashAlpha's 429 body names the limit and reset
                            reset_at=datetime.fromtimestamp(math.ceil(reset), UTC).isoformat())
            return

        async def with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *limits]}
            await send(message)

        await self.app(scope, receive, with_limits)

    def _refusal(self, retry: float) -> str:
        assert self.rate is not None
        return (f"Rate limit of {self.rate.limit} requests per minute reached; retry in "
                f"{math.ceil(retry)} s.")

    async def _mcp_limited(self, client: str, scope: Scope, receive: Receive, send: Send) -> None:
        """POST /mcp: each tools/call in the body takes one token of the client's bucket (the
        one /v1 uses); refused, the answer is 429 with a JSON-RPC error for the first call."""
        assert self.rate is not None
        messages, body = await _read_body(receive, MAX_COUNTED_BODY)
        calls, call_id = tool_calls_in(body) if body is not None else (0, None)
        for _ in range(calls):
            allowed, _remaining, _reset, retry = await self.rate.acquire(client)
            if not allowed:
                wait = str(math.ceil(retry)).encode()
                payload = json.dumps({"jsonrpc": "2.0", "id": call_id, "error": {
                    "code": -32000, "message": self._refusal(retry)}}).encode()
                await send({"type": "http.response.start", "status": 429, "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()), (b"retry-after", wait)]})
                await send({"type": "http.response.body", "body": payload})
                return
        await self.app(scope, _replaying(messages, receive), send)
