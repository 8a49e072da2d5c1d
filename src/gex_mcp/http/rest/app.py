"""The REST API: the endpoint table as routes in the guide's paths, shapes and errors.

    GET /v1/exposure/{gex,dex,vex,chex}/{symbol}?expiration=&min_oi=&source=
    GET /v1/exposure/{levels,summary,regime,...}/{symbol}    every analysis row of the table
    GET /v1/exposure/scan?symbols=SPY,QQQ                    the watchlist scan
    GET /v1/exposure/chart/{symbol}                          PNG
    GET /v1/maxpain, /v1/expected-move, /v1/options, /v1/tickers, /stockquote, ...
                                                             FlashAlpha's names (`http/rest/flashalpha.py`)
    GET /v1/symbols   /v1/account   /health   /openapi.json   /docs
    GET /v1/alerts   /v1/alerts/stream (SSE)                 when served with a watcher

Query parameters are the row's arguments (names as in MCP), validated by the same checker,
so a bad one is a 400 with the same sentence the MCP tool gives. A route's path and body
shape come from its row (`Endpoint.rest_path`, `Endpoint.rest_body`). Errors are JSON
`{"error", "message"}` with the status the error's class carries (`http/rest/errors.py`).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gex_mcp import __version__
from gex_mcp.alerts.watcher import Watcher
from gex_mcp.http.compression import middleware as http_middleware
from gex_mcp.http.rest.errors import EXCEPTION_HANDLERS, JsonBody
from gex_mcp.http.rest.flashalpha import flashalpha_routes
from gex_mcp.http.rest.openapi import docs_page, openapi_document
from gex_mcp.responses.guide import with_envelope
from gex_mcp.service import ENDPOINTS, Endpoint, GexService
from gex_mcp.web.page import dashboard_html

logger = logging.getLogger(__name__)

def _arguments(ep: Endpoint, request: Request) -> dict[str, Any]:
    """Query parameters (list arguments as repeated or comma-separated values) + the path's symbol."""
    lists = {a.name for a in ep.service_args if a.is_list}
    args: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        if key in lists:
            args[key] = [v.strip() for value in values for v in value.split(",") if v.strip()]
        else:
            args[key] = values[-1]
    if "symbol" in request.path_params:
        args["symbol"] = request.path_params["symbol"]
    return args


def _endpoint_route(ep: Endpoint, service: GexService) -> Route:
    async def handle(request: Request) -> Response:
        answer = await service.call(ep.name, **_arguments(ep, request))
        if ep.png:
            return Response(answer.png, media_type="image/png")
        return JsonBody(with_envelope(ep.rest_body(answer)))

    return Route(ep.rest_path, handle, methods=["GET"], name=ep.name)


#: The page loads nothing from elsewhere: its script and styles are inline, its data from /v1.
DASHBOARD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
                               "style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def build_rest_app(service: GexService, watcher: Watcher | None = None) -> Starlette:
    """The /v1 routes, /health, /openapi.json, /docs and the dashboard page at /, answering
    from `service`; with `watcher`, also /v1/alerts and /v1/alerts/stream (`gex_mcp.http.rest.alerts`)."""

    async def health(request: Request) -> Response:
        shared = service.health()  # {"redis": "ok" | "degraded"} when replicas share a Redis
        return JsonBody({"status": "ok", "version": __version__, "source": service.default_source,
                         **({"shared": shared} if shared else {})})

    async def account(request: Request) -> Response:
        return JsonBody(with_envelope({"plan": "self-hosted", "version": __version__, "budgets": [
            {"source": b.source, "used_today": b.used_today, "daily_limit": b.daily_limit,
             "remaining_today": b.remaining_today, "resets_at": b.resets_at.isoformat(),
             "upstream_remaining": b.upstream_remaining,
             "upstream_resets_at": b.upstream_resets_at.isoformat() if b.upstream_resets_at else None}
            for b in service.budgets()]}))

    document = openapi_document(service.default_source)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    async def docs(request: Request) -> Response:
        return HTMLResponse(docs_page(document))

    page = dashboard_html("rest", refresh_seconds=service.ttl_seconds)

    async def dashboard(request: Request) -> Response:
        return HTMLResponse(page, headers=DASHBOARD_HEADERS)

    # FlashAlpha's routes first: its /v1/exposure/zero-dte answers the zero_dte row's path in
    # FlashAlpha's shape, with the row's own answer beside it
    routes = flashalpha_routes(service)
    routes += [_endpoint_route(ep, service) for ep in ENDPOINTS]
    routes += [Route("/health", health), Route("/v1/account", account), Route("/openapi.json", openapi),
               Route("/docs", docs), Route("/", dashboard)]
    if watcher is not None:
        from gex_mcp.http.rest.alerts import alert_routes

        routes += alert_routes(watcher)
    return Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS,
                     middleware=http_middleware(service.refresh_seconds))
