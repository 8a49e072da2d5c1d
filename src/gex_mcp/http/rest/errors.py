"""The REST door's error boundary: every `GexError` becomes the guide's JSON error with the
HTTP status its class carries (`errors.py` lists them), a 429 with `Retry-After`; unknown
routes a 404; anything else a logged 500 that says nothing of its insides.

Bodies are `{"error": code, "message": sentence}`, written with finite numbers only.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gex_mcp.errors import GexError, RateLimitedError

logger = logging.getLogger(__name__)


class JsonBody(Response):
    """JSON with finite numbers only (a NaN would be a bug: fail loudly, not emit NaN)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, allow_nan=False, ensure_ascii=False,
                          separators=(",", ":")).encode()


def error_response(exc: GexError) -> JsonBody:
    """The JSON error of `exc`, with its class's status (and Retry-After on a 429)."""
    headers = {}
    if isinstance(exc, RateLimitedError) and exc.retry_after_seconds is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_seconds)))
    return JsonBody({"error": exc.error_code, "message": str(exc)}, status_code=exc.http_status,
                    headers=headers)


async def gex_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GexError)
    return error_response(exc)


async def not_found(request: Request, exc: Exception) -> Response:
    return JsonBody({"error": "not_found", "message": f"No route {request.url.path}. "
                     "See /docs for the API."}, status_code=404)


async def bug(request: Request, exc: Exception) -> Response:
    logger.exception("REST %s failed unexpectedly", request.url.path, exc_info=exc)
    return JsonBody({"error": "internal_error",
                     "message": "Internal error; the server log has the details."}, status_code=500)


#: Starlette's `exception_handlers` for a REST app.
EXCEPTION_HANDLERS = {GexError: gex_error, 404: not_found, 405: not_found, Exception: bug}

__all__ = ["EXCEPTION_HANDLERS", "JsonBody", "error_response"]
