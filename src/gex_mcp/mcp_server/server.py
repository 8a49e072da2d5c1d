"""The MCP server: the guide's endpoints as tools over one `GexService`.

`build_server(service)` returns an `MCPServer`; `run.run_server(service, options)` serves it
over stdio or streamable HTTP (see `http/serve.py`). Tools parse arguments (the schema rejects what it
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
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from mcp.server.apps import Apps
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.types import CallToolResult, ImageContent, TextContent, ToolAnnotations
from pydantic import ConfigDict, Field, create_model

from gex_mcp import __version__
from gex_mcp.alerts.watcher import Watcher
from gex_mcp.errors import GexError, UnknownSymbolError, describe
from gex_mcp.gc_pause import pause_gc
from gex_mcp.mcp_server import compact
from gex_mcp.mcp_server.alerts import alert_tools, register_alerts
from gex_mcp.mcp_server.conventions import CONVENTIONS
from gex_mcp.mcp_server.prompts import register_prompts
from gex_mcp.mcp_server.sdk import tool_registry
from gex_mcp.mcp_server.toolsets import ALERT_TOOLSET, MORE_TOOLS, compact_schema, more_tools_description
from gex_mcp.service import ENDPOINTS, Endpoint, GexService, argument_checker
from gex_mcp.web.page import APP_URI, dashboard_html

__all__ = ["SERVER_NAME", "build_server"]

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
    return _compacted(tool)


def _compacted(tool: Tool) -> Tool:
    """`tool` with the compact schemas `toolsets.compact_schema` describes."""
    tool.parameters = compact_schema(tool.parameters, output=False)
    if tool.fn_metadata.output_schema is not None:
        tool.fn_metadata.output_schema = compact_schema(tool.fn_metadata.output_schema, output=True)
    return tool


def _tool_function(ep: Endpoint, service: GexService) -> Callable[..., Awaitable[Any]]:
    """The MCP tool of endpoint `ep`: its signature (the input schema) comes from the table,
    its answer is the service's, shaped for an agent (`gex_mcp.mcp_server.compact`)."""
    context = {"default_source": service.default_source}
    check = argument_checker(ep.name, ep.args, **context)
    if ep.png:
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


def _tools(service: GexService, watcher: Watcher | None,
           toolsets: frozenset[str] | None = None) -> list[Tool]:
    """The listed tools, in order: one per endpoint row, then the alert tools (with a
    watcher), those of the `toolsets` only (None: all), then `more_tools` when any is left
    out. Building them is most of the server's start-up after imports (their JSON schemas)."""
    tools = [(ep.toolset, _mcp_tool(ep, service)) for ep in ENDPOINTS]
    if watcher is not None:
        tools += [(ALERT_TOOLSET, _compacted(t))
                  for t in alert_tools(watcher, tool_boundary=_tool_boundary)]
    if toolsets is None:
        return [tool for _, tool in tools]
    listed = [tool for toolset, tool in tools if toolset in toolsets]
    hidden = [tool for toolset, tool in tools if toolset not in toolsets]
    return listed + ([_more_tools(hidden)] if hidden else [])


def _more_tools(hidden: list[Tool]) -> Tool:
    """`more_tools(tool, arguments)`: runs a tool whose toolset is off (`toolsets.py`)."""
    by_name = {tool.name: tool for tool in hidden}

    async def more_tools(ctx: Context, tool: Annotated[str, Field(
            description="The tool's name, one of those listed above.")],
                         arguments: Annotated[dict[str, Any] | None, Field(
            description="The tool's arguments, e.g. {\"symbol\": \"SPY\"}.")] = None) -> Any:
        chosen = by_name.get(tool)
        if chosen is None:
            raise ToolError(f"InputError: no tool {tool!r} behind more_tools. Use one of: "
                            f"{', '.join(by_name)}.")
        return await chosen.run(arguments or {}, context=ctx)

    summaries = {ep.name: ep.summary for ep in ENDPOINTS}

    def line(tool: Tool) -> tuple[str, str, str]:
        args = ", ".join(tool.parameters.get("properties", {})) or "no arguments"
        return tool.name, summaries.get(tool.name, tool.title or tool.name), args

    return _compacted(Tool.from_function(
        more_tools, name=MORE_TOOLS, title="More gex-mcp tools",
        description=more_tools_description(line(t) for t in hidden), annotations=READ_ONLY,
        structured_output=False))


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
    registry = tool_registry(mcp)
    for tool in tools:
        registry.setdefault(tool.name, tool)


def build_server(service: GexService, watcher: Watcher | None = None, *,
                 tools_on_first_request: bool = False,
                 toolsets: frozenset[str] | None = None) -> MCPServer:
    """An MCPServer whose tools, resources and prompts answer from `service`.

    One tool per row of the endpoint table, in table order. The caller owns `service`
    (and closes it); the server only calls it. With `watcher`, also the alert tools
    (watch, unwatch, watchlist) and resources (`gex_mcp.mcp_server.alerts`); the caller runs its poller.
    With `tools_on_first_request`, the tools are built when the first request other than the
    handshake arrives (`_ToolsOnFirstRequest`; used for stdio); the server then lists and
    calls exactly the same tools. `toolsets` limits the listed tools (None: every one; see
    `toolsets.py`); the others stay reachable through `more_tools`.
    """
    bus = InMemorySubscriptionBus()
    later = [_ToolsOnFirstRequest(lambda: _add_tools(mcp, _tools(service, watcher, toolsets)))
             ] if tools_on_first_request else []
    mcp = MCPServer(SERVER_NAME, version=__version__, instructions=_instructions(service),
                    tools=None if later else _tools(service, watcher, toolsets),
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
