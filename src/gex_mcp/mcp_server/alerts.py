"""Alerts over MCP: the watch/unwatch/watchlist tools (`alert_tools`), the alert resources
and their subscriptions in both protocol eras (`register_alerts`).

- 2026-07-28 clients open a `subscriptions/listen` stream naming the URIs; `MCPServer` serves
  it from the `SubscriptionBus` it was built with, and a new alert publishes
  `ResourceUpdated(uri)` on that bus.
- Handshake-era clients send `resources/subscribe` / `resources/unsubscribe`. `MCPServer`
  registers no handler for them, so `register_alerts` adds both on the low-level server (which
  makes it advertise `resources.subscribe`) and keeps, per URI, the client connections
  subscribed; a new alert sends them `notifications/resources/updated`. A connection is
  forgotten when it closes or a send to it fails, and at most `MAX_LEGACY_SUBSCRIPTIONS`
  (connection, URI) pairs are kept.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Annotated, Any

import mcp.types as types
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.subscriptions import ResourceUpdated, SubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from gex_mcp.alerts.hub import ALL_ALERTS_URI
from gex_mcp.alerts.rules import RULES
from gex_mcp.alerts.watcher import Watcher
from gex_mcp.mcp_server import compact
from gex_mcp.mcp_server.sdk import lowlevel_server
from gex_mcp.models import AlertsResponse, WatchlistResponse

logger = logging.getLogger(__name__)

MAX_LEGACY_SUBSCRIPTIONS = 4096
ALERT_TOOLS = ("watch", "unwatch", "watchlist")
_CHANGES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                           open_world_hint=True)
_READS = ToolAnnotations(read_only_hint=True, open_world_hint=False)

Symbols = Annotated[list[str], Field(
    min_length=1, description="Tickers, e.g. ['SPY', 'QQQ', 'SPX'] (at most 25 on the watchlist).")]
Rules = Annotated[list[str] | None, Field(
    description=f"Alert rules to check, any of: {', '.join(RULES)}. Leave out for all of them.")]
Source = Annotated[str | None, Field(
    description="cboe, flashalpha, file or demo; leave out for the server's default source.")]


def _connection(ctx: ServerRequestContext) -> Any:
    """The client's connection: `ctx.session` is a per-request proxy, so subscriptions are
    kept per connection (the SDK exposes no public accessor for it from a low-level handler)."""
    return getattr(ctx.session, "_connection", None) or ctx.session


Answer = Annotated[CallToolResult, WatchlistResponse]


def _answer(status: WatchlistResponse) -> CallToolResult:
    """Structured content plus the same data as compact JSON text, as every gex-mcp tool answers."""
    data = status.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=compact.to_text(data))],
                          structured_content=data)


class LegacySubscriptions:
    """Handshake-era `resources/subscribe`: which connections want which URI. A connection's
    subscriptions are forgotten when it closes (its `exit_stack` unwinds)."""

    def __init__(self, limit: int = MAX_LEGACY_SUBSCRIPTIONS) -> None:
        self.limit = limit
        self._by_uri: dict[str, dict[int, Any]] = {}
        self._tracked: set[int] = set()  # connections whose close will forget them

    def __len__(self) -> int:
        return sum(len(s) for s in self._by_uri.values())

    def _forget(self, key: int) -> None:
        self._tracked.discard(key)
        for uri in list(self._by_uri):
            self._by_uri[uri].pop(key, None)
            if not self._by_uri[uri]:
                del self._by_uri[uri]

    async def subscribe(self, ctx: ServerRequestContext, params: types.SubscribeRequestParams
                        ) -> types.EmptyResult:
        uri, connection = str(params.uri), _connection(ctx)
        if getattr(connection, "has_standalone_channel", True) is False:
            raise MCPError(types.INVALID_REQUEST, "This server runs without sessions (--stateless), "
                           "so resources/subscribe cannot deliver notifications. Open a "
                           "subscriptions/listen stream (protocol 2026-07-28), or read the resource.")
        key = id(connection)
        sessions = self._by_uri.setdefault(uri, {})
        if key not in sessions and len(self) >= self.limit:
            raise MCPError(types.INTERNAL_ERROR, "Subscription limit reached; unsubscribe first.")
        sessions[key] = connection
        stack = getattr(connection, "exit_stack", None)
        if key not in self._tracked and stack is not None:
            self._tracked.add(key)
            stack.callback(self._forget, key)
        return types.EmptyResult()

    async def unsubscribe(self, ctx: ServerRequestContext, params: types.UnsubscribeRequestParams
                          ) -> types.EmptyResult:
        sessions = self._by_uri.get(str(params.uri), {})
        sessions.pop(id(_connection(ctx)), None)
        if not sessions:
            self._by_uri.pop(str(params.uri), None)
        return types.EmptyResult()

    async def notify(self, uri: str) -> None:
        sessions = self._by_uri.get(uri, {})
        for key, connection in list(sessions.items()):
            try:
                await connection.send_resource_updated(uri)
            except Exception as exc:  # the client has gone: forget it
                logger.info("dropping a subscription to %s (%s)", uri, type(exc).__name__)
                sessions.pop(key, None)
        if not sessions:
            self._by_uri.pop(uri, None)


def alert_tools(watcher: Watcher, *, tool_boundary: Callable[[Any], Any]) -> list[Tool]:
    """The watch, unwatch and watchlist tools over `watcher` (added to the server with the
    endpoint tools, after them)."""

    async def watch(symbols: Symbols, rules: Rules = None, source: Source = None) -> Answer:
        """Add symbols and alert rules to this server's watchlist; returns the watchlist and the alert resources.
        Rules: flip_cross (spot crosses the gamma flip), near_wall (spot within 0.5% of the call or put wall, by default), net_gex_sign, regime_change, wall_move; each crossing fires once (hysteresis).
        The server polls at the cache TTL; subscribe to gex://alerts or gex://{symbol}/alerts to be notified, or read them."""
        return _answer(watcher.watch(symbols, rules, source))

    async def unwatch(symbols: Symbols) -> Answer:
        """Remove symbols from this server's watchlist; returns what is still watched.
        Use it when alerts for a symbol are no longer wanted; symbols not watched are ignored.
        Alerts already fired stay readable at gex://alerts."""
        return _answer(watcher.unwatch(symbols))

    async def watchlist() -> Answer:
        """The watched symbols with their rules, last poll (snapshot time, spot, error) and alert counts.
        Use it to check what the server is watching and whether polling is paused (live sources outside market hours).
        Recent alerts themselves are the resources gex://alerts and gex://{symbol}/alerts."""
        return _answer(watcher.status())

    return [Tool.from_function(tool_boundary(fn), name=fn.__name__, title=title,
                               description=inspect.cleandoc(fn.__doc__ or ""), annotations=hints)
            for fn, title, hints in ((watch, "Watch symbols for alerts", _CHANGES),
                                     (unwatch, "Stop watching symbols", _CHANGES),
                                     (watchlist, "Watchlist and poller status", _READS))]


def register_alerts(mcp: MCPServer, watcher: Watcher, bus: SubscriptionBus, *,
                    resource_boundary: Callable[[Any], Any]) -> LegacySubscriptions:
    """Add the alert resources to `mcp` (the tools are `alert_tools`) and notify subscribers of
    both eras when `watcher`'s hub fires. `bus` must be the one `mcp` was built with."""
    hub = watcher.hub

    @mcp.resource(ALL_ALERTS_URI, name="alerts", title="Recent alerts",
                  description="The most recent alerts of every watched symbol, oldest first "
                              "(JSON). Subscribe to be notified when one fires.",
                  mime_type="application/json")
    def all_alerts() -> str:
        return hub.recent().model_dump_json(indent=2)

    async def symbol_alerts(symbol: str) -> str:
        return hub.recent(symbol).model_dump_json(indent=2)

    symbol_alerts.__name__ = "symbol_alerts"
    mcp.resource("gex://{symbol}/alerts", name="symbol_alerts", title="Recent alerts of a symbol",
                 description="The most recent alerts of one symbol, oldest first (JSON). "
                             "Subscribe to be notified when one fires.",
                 mime_type="application/json")(resource_boundary(symbol_alerts))

    legacy = LegacySubscriptions()
    lowlevel = lowlevel_server(mcp)  # MCPServer exposes no subscribe hook (mcp_server/sdk.py)
    lowlevel.add_request_handler("resources/subscribe", types.SubscribeRequestParams, legacy.subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", types.UnsubscribeRequestParams,
                                 legacy.unsubscribe)

    async def notify(uri: str) -> None:
        await bus.publish(ResourceUpdated(uri=uri))
        await legacy.notify(uri)

    hub.add_notifier(notify)
    return legacy


__all__ = ["ALERT_TOOLS", "AlertsResponse", "LegacySubscriptions", "alert_tools", "register_alerts"]
