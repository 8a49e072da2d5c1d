"""gzip, ETag and cache lifetime for the page and the JSON answers of the REST app.

- gzip: Starlette's `GZipMiddleware` (bodies of 500 bytes or more, when the client accepts it;
  event streams are left alone).
- ETag: a weak validator `W/"<sha256 of the identity body, 32 hex>"` on every complete 200 GET
  answer (JSON or HTML); a request whose `If-None-Match` names it gets `304 Not Modified` with
  no body. Weak (RFC 9110 §8.8.1): gzip changes the bytes, not the meaning, and a JSON answer's
  `age_seconds` (its age when answered, which moves every tenth of a second) is left out of
  the hash, so the same snapshot revalidates to a 304 until its numbers change.
- Cache-Control: `/v1/` JSON answers carry `private, max-age=N`, N = the server's cache
  lifetime now (seconds; longer while the market is closed), the moment asking again can give
  new numbers. The page schedules its refresh from it.

Streaming answers (more than one body message, e.g. `/v1/alerts/stream`) pass through untouched.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_VALIDATED_TYPES = ("application/json", "text/html")


_AGE = re.compile(rb'"age_seconds":\s*(?:null|-?[0-9.eE+-]+)')


def etag_of(body: bytes) -> str:
    """The weak ETag of a body: W/"first 32 hex digits of sha256(body without age_seconds)"."""
    return 'W/"' + hashlib.sha256(_AGE.sub(b"", body)).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison against a list of tags, or "*"."""
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in if_none_match.split(","))


class ETagMiddleware:
    """Adds ETag (and, under /v1/, Cache-Control max-age) to complete 200 GET answers; 304 on a match.

    `max_age` returns the cache lifetime in seconds (None: no Cache-Control added)."""

    def __init__(self, app: ASGIApp, max_age: Callable[[], float] | None = None) -> None:
        self.app = app
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if_none_match = Headers(scope=scope).get("if-none-match")
        api = scope["path"].startswith("/v1/")
        start: Message | None = None
        passing = False

        async def wrapped(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message["headers"]).get("content-type", "")
                if message["status"] != 200 or not content_type.startswith(_VALIDATED_TYPES):
                    passing = True
                    await send(message)
                else:
                    start = message
                return
            # the first body message of a validated answer
            assert start is not None
            if message.get("more_body", False):  # a stream: no validator
                passing = True
                await send(start)
                await send(message)
                return
            body = message.get("body", b"")
            etag = etag_of(body)
            headers = MutableHeaders(raw=start["headers"])
            headers["etag"] = etag
            if api and self.max_age is not None:
                headers["cache-control"] = f"private, max-age={max(0, math.floor(self.max_age()))}"
            if if_none_match is not None and _matches(if_none_match, etag):
                del headers["content-length"]
                if "content-type" in headers:
                    del headers["content-type"]
                await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
                await send({"type": "http.response.body", "body": b""})
                return
            await send(start)
            await send(message)

        await self.app(scope, receive, wrapped)


def middleware(max_age: Callable[[], float] | None = None) -> list[Middleware]:
    """The Starlette middleware list: gzip outside, ETag inside (so the tag names the identity body)."""
    return [Middleware(GZipMiddleware, minimum_size=500),
            Middleware(ETagMiddleware, max_age=max_age)]
