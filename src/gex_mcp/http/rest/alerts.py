"""Alerts over REST.

    GET /v1/alerts?symbol=SPY&limit=50          recent alerts (JSON, oldest first)
    GET /v1/alerts/stream?symbols=SPY,QQQ&rules=flip_cross,near_wall&source=demo
        Server-Sent Events: one `alert` event per alert (data: the AlertEvent JSON, id: its
        number), a comment ping every 15 s. With `symbols`, they are added to the server's
        watchlist (with `rules`, default all) and only their alerts are streamed; without,
        every alert is.

Bad arguments are a 400 with the same sentence the MCP `watch` tool gives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gex_mcp.alerts.watcher import Watcher
from gex_mcp.errors import InputError
from gex_mcp.http.rest.errors import JsonBody
from gex_mcp.responses.guide import with_envelope

PING_SECONDS = 15


def alert_routes(watcher: Watcher) -> list[Route]:
    """The /v1/alerts routes answering from `watcher` (and its hub)."""
    hub = watcher.hub

    async def recent(request: Request) -> Response:
        raw = request.query_params.get("limit", "50")
        if not raw.isdigit():
            raise InputError(f"limit must be a whole number of alerts, got {raw[:20]!r}.")
        answer = hub.recent(request.query_params.get("symbol"), int(raw))
        return JsonBody(with_envelope(answer.model_dump(mode="json")))

    async def stream(request: Request) -> Response:
        symbols = [s for v in request.query_params.getlist("symbols") for s in v.split(",") if s.strip()]
        if symbols:  # a GexError becomes its JSON error in the app's handler
            watcher.watch(symbols, request.query_params.get("rules"),
                          request.query_params.get("source"))
        send, receive = hub.open_stream(symbols or None)

        async def events() -> AsyncIterator[ServerSentEvent]:
            async with receive:
                async for alert in receive:
                    yield ServerSentEvent(alert.model_dump_json(), event="alert", id=str(alert.id))

        # closed however the response ends (even before the first event is asked for)
        return EventSourceResponse(events(), ping=PING_SECONDS,
                                   background=BackgroundTask(hub.close_stream, send))

    return [Route("/v1/alerts", recent), Route("/v1/alerts/stream", stream)]
