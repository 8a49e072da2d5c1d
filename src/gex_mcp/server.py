"""The MCP server: the guide's endpoints as tools over one `GexService`.

`build_server(service)` returns an `MCPServer`; `run_server(service, transport)` serves it over
stdio or streamable HTTP (see `_serve.py`). Tools parse arguments (the schema rejects what it
can), call the service and shape its answer; they never analyse anything themselves.

Errors cross one boundary, `_tool_boundary`, around every tool: a `GexError` becomes a
`ToolError` "ClassName: message" (an `is_error` result the model reads and acts on); anything
else is a bug, logged to stderr with its traceback and re-raised for the SDK to mask as
"Error executing tool NAME". Resources do the same through `_resource_boundary`. This module
never writes to stdout: under stdio, stdout is the protocol channel.

The tools are generated from the endpoint table (`gex_mcp.endpoints`): one tool per row, its
description, title and argument schema taken from the row.
"""

import functools
import inspect
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from mcp.server.apps import Apps
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.types import CallToolResult, ImageContent, TextContent, ToolAnnotations
from pydantic import ConfigDict, create_model

from gex_mcp import __version__, compact
from gex_mcp.alerts.mcp import alert_tools, register_alerts
from gex_mcp.alerts.watcher import Watcher
from gex_mcp.conventions import CONVENTIONS
from gex_mcp.errors import ConfigError, GexError, UnknownSymbolError, describe
from gex_mcp.gc_pause import pause_gc
from gex_mcp.prompts import register_prompts
from gex_mcp.service import ENDPOINTS, Endpoint, GexService, argument_checker
from gex_mcp.web.page import APP_URI, dashboard_html

__all__ = ["build_server", "run_server"]

logger = logging.getLogger(__name__)

SERVER_NAME = "gex-mcp"
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)

P = ParamSpec("P")
R = TypeVar("R")



def _instructions(service: GexService) -> str:
    model = service.params.dealer_model
    return (
        "gex-mcp measures options dealer positioning (gamma, delta, vanna and charm exposure) "
        "from US option chains.\n"
        f"Sign convention: this server assumes dealer_model={model}"
        + (" (dealers long calls, short puts)" if model == "long_calls_short_puts" else
           " (dealers short every option)")
        + ". Positive net GEX means dealer hedging dampens moves; negative net GEX means it "
        "amplifies them.\n"
        "Units: GEX in USD of dealer delta per 1% move in spot; DEX in USD of delta; VEX in USD "
        "of delta per vol point; CHEX in USD of delta per calendar day; prices and levels in USD. "
        "*_label fields repeat an amount in short form, e.g. '1.85B'.\n"
        f"Data: the default source is {service.default_source}. cboe is CBOE's free data, delayed "
        "about 15 minutes; flashalpha needs an API key; demo is a synthetic market for trying "
        "the tools. Every answer carries as_of, age_seconds, source, is_demo and stale: tell the "
        "user when numbers are demo (never present them as real), stale (served from cache after "
        "a source failure) or old (a saved snapshot: say its date).\n"
        "Start with summary for one symbol, levels for price levels, scan for a watchlist and "
        "gex_chart for a picture. Formulas: resource gex://conventions.\n"
        "This is analytics, not investment advice."
    )


# ---- error boundaries ---------------------------------------------------------------------


def _boundary(kind: str, translate: Callable[[GexError], Exception]):
    """Wrap a tool or resource: a GexError becomes `translate(exc)` (the reason the client
    reads); anything else is a bug, logged to stderr and re-raised for the SDK to mask."""

    def wrap(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except GexError as exc:
                raise translate(exc) from exc
            except Exception:
                logger.exception("%s %s failed unexpectedly", kind, fn.__name__)
                raise

        return guarded

    return wrap


#: Tools: every GexError is an is_error result whose text the model reads and acts on.
_tool_boundary = _boundary("tool", lambda exc: ToolError(describe(exc)))
#: Resources: an unknown symbol is "not found" (-32602); any other GexError a ResourceError.
_resource_boundary = _boundary("resource", lambda exc: (
    ResourceNotFoundError(describe(exc)) if isinstance(exc, UnknownSymbolError)
    else ResourceError(describe(exc))))


# ---- the server ---------------------------------------------------------------------------


def _result(data: dict[str, Any], *images: ImageContent) -> CallToolResult:
    """Structured content plus the same data as compact JSON text (after any images)."""
    return CallToolResult(content=[*images, TextContent(type="text", text=compact.to_text(data))],
                          structured_content=data)


class _AnyArguments(ArgModelBase):
    """What the SDK validates before a tool runs: anything, so the tool itself can check the
    arguments against the published schema and say what is wrong in one sentence."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        values = {**super().model_dump_one_level(), **(self.model_extra or {})}
        return {k: v for k, v in values.items() if v is not _ABSENT}


_ABSENT: Any = object()  # an argument the caller left out


def _mcp_tool(ep: Endpoint, service: GexService) -> Tool:
    """The tool: schema and description from the row; the SDK's own argument validation
    relaxed (`_AnyArguments`) so that bad arguments get our sentence instead of a pydantic dump."""
    tool = Tool.from_function(_tool_boundary(_tool_function(ep, service)), name=ep.name,
                              title=ep.title, description="\n".join(ep.description),
                              annotations=READ_ONLY,
                              meta={"ui": {"resourceUri": APP_URI}} if ep.app else None)
    tool.fn_metadata.arg_model = create_model(
        f"{ep.name}Arguments", __base__=_AnyArguments,
        **{a.name: (Any, _ABSENT) for a in ep.args})
    return tool


def _tool_function(ep: Endpoint, service: GexService) -> Callable[..., Awaitable[Any]]:
    """The MCP tool of endpoint `ep`: its signature (the input schema) comes from the table,
    its answer is the service's, shaped for an agent (`gex_mcp.compact`)."""
    context = {"default_source": service.default_source}
    check = argument_checker(ep.name, ep.args, **context)
    if ep.kind == "chart":
        async def run(**arguments: Any) -> CallToolResult:
            image = await service.call(ep.name, **check(arguments))
            return _result(compact.shape(image.info),
                           Image(data=image.png, format="png").to_image_content())
    elif ep.kind == "scan":
        async def run(ctx: Context, **arguments: Any) -> CallToolResult:
            async def progress(done: int, total: int) -> None:
                await ctx.report_progress(done, total, f"{done} of {total} symbols")

            answer = await service.call(ep.name, progress=progress, **check(arguments))
            return _result(compact.shape(answer))
    elif ep.per_strike:
        async def run(**arguments: Any) -> CallToolResult:
            arguments = check(arguments)
            strikes, window_pct = arguments.pop("strikes"), arguments.pop("window_pct")
            answer = await service.call(ep.name, **arguments)
            return _result(compact.shape(answer, per_strike=f"net_{ep.name}", strikes=strikes,
                                         window_pct=window_pct))
    else:
        async def run(**arguments: Any) -> CallToolResult:
            return _result(compact.shape(await service.call(ep.name, **check(arguments))))

    # The scan takes the request context (for progress): the SDK finds it by its annotation.
    with_context = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                      annotation=Context)] if ep.kind == "scan" else []
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*with_context,
         *(inspect.Parameter(a.name, inspect.Parameter.KEYWORD_ONLY, annotation=a.annotation(**context),
                             default=inspect.Parameter.empty if a.required else a.default)
           for a in ep.args)],
        return_annotation=Annotated[CallToolResult, compact.agent_model(ep.response, ep.per_strike)])
    run.__name__ = run.__qualname__ = ep.name
    run.__annotations__ = {"ctx": Context} if with_context else {}
    return run


def _resource_function(ep: Endpoint, service: GexService) -> Callable[[str], Awaitable[str]]:
    """`gex://{symbol}/<name>`: the endpoint's answer on the default source, as JSON text."""
    async def read(symbol: str) -> str:
        return (await service.call(ep.name, symbol=symbol)).model_dump_json(indent=2)

    read.__name__ = f"{ep.name}_resource"
    return read


def _dashboard_app(service: GexService) -> Apps:
    """The MCP Apps extension with the dashboard page as `ui://gex/dashboard`.

    The rows marked `app` in the endpoint table (gex, summary) carry `_meta.ui.resourceUri`
    pointing at it (set in `_mcp_tool`), so hosts that render MCP Apps show the page inline; it
    then calls tools back through the host. Hosts without Apps read the same tool answers."""
    apps = Apps()
    apps.add_html_resource(
        APP_URI, dashboard_html("app", refresh_seconds=service.ttl_seconds), name="dashboard",
        title="GEX dashboard",
        description="Interactive GEX by strike, key levels, regime, profile, expiries and a "
                    "watchlist scanner for the symbol of the tool call that opened it.",
        prefers_border=True)
    return apps


def _tools(service: GexService, watcher: Watcher | None) -> list[Tool]:
    """Every tool, in order: one per endpoint row, then the alert tools (with a watcher).
    Building them is most of the server's start-up after imports (their JSON schemas)."""
    tools = [_mcp_tool(ep, service) for ep in ENDPOINTS]
    if watcher is not None:
        tools += alert_tools(watcher, tool_boundary=_tool_boundary)
    return tools


class _ToolsOnFirstRequest:
    """Server middleware that runs `add` (adding the tools) just before the first request
    other than the handshake (`initialize`, or `server/discover` in the 2026-07-28 era) or
    `ping`, so a stdio host's handshake is answered without waiting for ~0.1 s of JSON schemas
    that only `tools/list` and `tools/call` read.

    `add` is synchronous (no await), so concurrent requests cannot see half a list. The
    capabilities sent in the handshake do not depend on the tools (a `tools/list` handler is
    always registered), so it is the same as with the tools built up front."""

    _HANDSHAKE = frozenset({"initialize", "server/discover", "ping"})

    def __init__(self, add: Callable[[], None]) -> None:
        self._add: Callable[[], None] | None = add

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        if self._add is not None and ctx.request_id is not None and ctx.method not in self._HANDSHAKE:
            resume = pause_gc(freeze=False)  # ~10^4 long-lived schema objects, as at start-up
            try:
                self._add()
            finally:
                resume()
            self._add = None
        return await call_next(ctx)


def _add_tools(mcp: MCPServer, tools: list[Tool]) -> None:
    """Register ready `Tool` objects on a running server. MCPServer takes them only at
    construction (`tools=`) and its `add_tool` rebuilds a tool from a function, which would
    drop the relaxed argument model of `_mcp_tool`; its tool manager keeps them by name."""
    registry = mcp._tool_manager._tools  # noqa: SLF001 (no public way to add a built Tool)
    for tool in tools:
        registry.setdefault(tool.name, tool)


def build_server(service: GexService, watcher: Watcher | None = None, *,
                 tools_on_first_request: bool = False) -> MCPServer:
    """An MCPServer whose tools, resources and prompts answer from `service`.

    One tool per row of the endpoint table, in table order. The caller owns `service`
    (and closes it); the server only calls it. With `watcher`, also the alert tools
    (watch, unwatch, watchlist) and resources (`gex_mcp.alerts.mcp`); the caller runs its poller.
    With `tools_on_first_request`, the tools are built when the first request other than the
    handshake arrives (`_ToolsOnFirstRequest`; used for stdio); the server then lists and
    calls exactly the same tools.
    """
    bus = InMemorySubscriptionBus()
    later = [_ToolsOnFirstRequest(lambda: _add_tools(mcp, _tools(service, watcher)))
             ] if tools_on_first_request else []
    mcp = MCPServer(SERVER_NAME, version=__version__, instructions=_instructions(service),
                    tools=None if later else _tools(service, watcher),
                    extensions=[_dashboard_app(service)], subscriptions=bus, middleware=later)
    if watcher is not None:
        register_alerts(mcp, watcher, bus, resource_boundary=_resource_boundary)

    # ---- resources --------------------------------------------------------------------

    for ep in ENDPOINTS:
        if ep.resource is not None:
            mcp.resource(f"gex://{{symbol}}/{ep.name}", name=ep.name, title=ep.title,
                         description=ep.resource, mime_type="application/json",
                         )(_resource_boundary(_resource_function(ep, service)))

    @mcp.resource("gex://conventions", name="conventions", title="Units and conventions",
                  description="Formulas, units, dealer sign model, level definitions and data "
                              "delays used by every gex-mcp answer.",
                  mime_type="text/markdown")
    def conventions() -> str:
        return CONVENTIONS

    register_prompts(mcp, service)
    return mcp


def run_server(
    service: GexService,
    transport: Literal["stdio", "http", "rest"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    keys: tuple[str, ...] = (),
    *,
    rate_limit_per_minute: int | None = None,
    allowed_hosts: tuple[str, ...] = (),
    cors_origins: tuple[str, ...] = (),
    insecure_no_auth: bool = False,
    stateless: bool = False,
    session_idle_seconds: float | None = None,
    max_sessions_per_key: int | None = None,
    max_sessions: int | None = None,
    max_connections: int = 512,
    log_level: str = "INFO",
    access_log: bool = True,
    watcher: Watcher | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve `service` until the transport closes (stdio) or the process is interrupted (http).

    Blocks. Closes `service` when the server stops, inside the server's own event loop.

    Args:
        service: the facade the tools call.
        transport: "stdio" (for desktop hosts), "http" (MCP at /mcp and the REST API) or
            "rest" (the REST API alone).
        host: address to bind for http/rest; loopback by default. DNS-rebinding protection
            is on: the Host header must name a loopback address, `host` or `allowed_hosts`.
        port: TCP port for http/rest.
        keys: API keys; when given, /mcp and /v1 need one (X-Api-Key or Bearer).
        rate_limit_per_minute: per-key limit on /v1 requests (None: no limit).
        allowed_hosts: extra Host header names accepted (e.g. a public DNS name).
        cors_origins: browser origins allowed to call the REST API (none by default).
        insecure_no_auth: allow a non-loopback `host` without keys (anyone reaching it may call).
        stateless: MCP over HTTP without sessions (for several replicas behind a balancer).
        session_idle_seconds: close an MCP session idle this long (stateful mode).
        max_sessions_per_key, max_sessions: caps on live MCP sessions per key (per address
            without keys) and in all; the least recently used idle one is closed to open
            another (`mcp_sessions`; 32 and 512 when None).
        max_connections: connections and requests served at once; beyond, 503.
        log_level: level of uvicorn's loggers, access lines included (GEX_LOG_LEVEL).
        access_log: write an access line per request (GEX_ACCESS_LOG); key-like query
            parameters are always redacted.
        watcher: the alert poller (watch tools, alert resources, /v1/alerts/stream); a new
            one polling at the cache TTL when None. It runs while the server does.
        on_ready: called once the server is built, just before it starts serving.

    Raises:
        ValueError: unknown transport.
        ConfigError: a non-loopback host without keys, or the port cannot be listened on.
    """
    import anyio

    if transport not in ("stdio", "http", "rest"):
        raise ValueError(f"Unknown transport {transport!r}; use 'stdio', 'http' or 'rest'.")
    if transport != "stdio":
        from gex_mcp import _serve  # the HTTP stack: not needed by stdio

        try:
            if host not in _serve.LOOPBACK_HOSTS and not keys and not insecure_no_auth:
                raise ConfigError(f"Refusing to serve on {host} without a key: anyone who can reach "
                                  "it could call the API. Set GEX_HTTP_TOKEN, or bind 127.0.0.1.")
            _serve.check_port(host, port)
        except ConfigError:
            anyio.run(service.aclose)
            raise
        if host not in _serve.LOOPBACK_HOSTS and not keys:
            logger.warning("serving on %s with no key (--insecure-no-auth)", host)
    watcher = watcher or Watcher(service)
    # Over stdio the tools are built on the first request after the handshake; over HTTP up
    # front (a 2026-07-28 request may be checked against a tool's schema before any middleware).
    mcp = build_server(service, watcher, tools_on_first_request=transport == "stdio"
                       ) if transport != "rest" else None
    if on_ready is not None:
        on_ready()

    async def stdio_until_signal() -> None:
        """Serve stdio until stdin closes, SIGTERM or SIGINT; on a signal close the service,
        then leave at once: the thread blocked reading stdin cannot be cancelled."""
        assert mcp is not None
        async with anyio.create_task_group() as tg:
            async def on_signal() -> None:
                with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                    async for received in signals:
                        logger.info("stopping on %s", signal.Signals(received).name)
                        with anyio.CancelScope(shield=True):
                            await service.aclose()
                        logger.info("gex-mcp stopped; data source and cache closed")
                        logging.shutdown()
                        os._exit(0)

            tg.start_soon(on_signal)
            await mcp.run_stdio_async()
            tg.cancel_scope.cancel()

    async def serve() -> None:
        async with anyio.create_task_group() as poller:  # the one alert poller of this server
            poller.start_soon(watcher.run)
            if mcp is not None and transport == "stdio":
                await stdio_until_signal()
            else:
                from gex_mcp import _serve
                from gex_mcp.rest.app import build_rest_app  # not needed by stdio

                app = _serve.http_app(mcp, build_rest_app(service, watcher), host=host, keys=keys,
                                      rate_limit_per_minute=rate_limit_per_minute,
                                      allowed_hosts=allowed_hosts, cors_origins=cors_origins,
                                      stateless=stateless, session_idle_seconds=session_idle_seconds,
                                      max_sessions_per_key=max_sessions_per_key,
                                      max_sessions=max_sessions)
                what = ("the REST API" if mcp is None else "MCP at /mcp and the REST API at /v1") + (
                    " (keys required)" if keys else "")
                await _serve.serve_http(app, host=host, port=port, what=what,
                                        max_connections=max_connections, log_level=log_level,
                                        access_log=access_log, secrets=keys)
            poller.cancel_scope.cancel()

    async def main() -> None:
        try:
            await serve()
        finally:
            with anyio.CancelScope(shield=True):
                await service.aclose()
            logger.info("gex-mcp stopped; data source and cache closed")

    anyio.run(main)
