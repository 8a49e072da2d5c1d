"""Serving one `GexService` until the process stops: MCP over stdio, or MCP and the REST API
over HTTP (`http/serve.py`), with the alert poller beside it.

`run_server(service, ServeOptions(...))` blocks; it closes the service when the server stops,
inside the server's own event loop.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import anyio

from gex_mcp.alerts.watcher import Watcher
from gex_mcp.errors import ConfigError
from gex_mcp.mcp_server.server import build_server

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from gex_mcp.service import GexService

logger = logging.getLogger(__name__)

Transport = Literal["stdio", "http", "rest"]


@dataclass(frozen=True)
class ServeOptions:
    """How to serve (the `serve` command's options and the settings behind them).

    Attributes:
        transport: "stdio" (desktop hosts), "http" (MCP at /mcp and the REST API) or "rest"
            (the REST API alone).
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
            another (`http/mcp_sessions.py`; 32 and 512 when None).
        max_connections: connections and requests served at once; beyond, 503.
        log_level: level of uvicorn's loggers, access lines included (GEX_LOG_LEVEL).
        access_log: write an access line per request (GEX_ACCESS_LOG); key-like query
            parameters are always redacted.
        toolsets: the MCP toolsets tools/list shows (None: every tool; `toolsets.py`).
    """

    transport: Transport = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    keys: tuple[str, ...] = ()
    rate_limit_per_minute: int | None = None
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    insecure_no_auth: bool = False
    stateless: bool = False
    session_idle_seconds: float | None = None
    max_sessions_per_key: int | None = None
    max_sessions: int | None = None
    max_connections: int = 512
    log_level: str = "INFO"
    access_log: bool = True
    toolsets: frozenset[str] | None = None


def run_server(service: GexService, options: ServeOptions | None = None, *,
               watcher: Watcher | None = None, on_ready: Callable[[], None] | None = None) -> None:
    """Serve `service` until the transport closes (stdio) or the process is interrupted (http).

    `watcher` is the alert poller (watch tools, alert resources, /v1/alerts/stream): a new
    one polling at the cache TTL when None; it runs while the server does. `on_ready` is
    called once the server is built, just before it starts serving.

    Raises:
        ValueError: unknown transport.
        ConfigError: a non-loopback host without keys, or the port cannot be listened on.
    """
    opts = options or ServeOptions()
    if opts.transport not in ("stdio", "http", "rest"):
        raise ValueError(f"Unknown transport {opts.transport!r}; use 'stdio', 'http' or 'rest'.")
    if opts.transport != "stdio":
        _check_bind(service, opts)
    watcher = watcher or Watcher(service)
    if opts.transport != "stdio":
        watcher.join_fleet()  # replicas on one Redis share the watchlist, poller and alerts
    # Over stdio the tools are built on the first request after the handshake; over HTTP up
    # front (a 2026-07-28 request may be checked against a tool's schema before any middleware).
    mcp = build_server(service, watcher, tools_on_first_request=opts.transport == "stdio",
                       toolsets=opts.toolsets) if opts.transport != "rest" else None
    if on_ready is not None:
        on_ready()

    async def serve() -> None:
        async with anyio.create_task_group() as poller:  # the one alert poller of this server
            poller.start_soon(watcher.run)
            if mcp is not None and opts.transport == "stdio":
                await _stdio_until_signal(mcp, service)
            else:
                await _serve_http(mcp, service, watcher, opts)
            poller.cancel_scope.cancel()

    async def main() -> None:
        try:
            await serve()
        finally:
            with anyio.CancelScope(shield=True):
                await service.aclose()
            logger.info("gex-mcp stopped; data source and cache closed")

    anyio.run(main)


def _check_bind(service: GexService, opts: ServeOptions) -> None:
    """Refuse an open bind without keys, or a port already taken (closing the service)."""
    from gex_mcp.http import serve as http_serve  # the HTTP stack: not needed by stdio

    try:
        if opts.host not in http_serve.LOOPBACK_HOSTS and not opts.keys and not opts.insecure_no_auth:
            raise ConfigError(f"Refusing to serve on {opts.host} without a key: anyone who can reach "
                              "it could call the API. Set GEX_HTTP_TOKEN, or bind 127.0.0.1.")
        http_serve.check_port(opts.host, opts.port)
    except ConfigError:
        anyio.run(service.aclose)
        raise
    if opts.host not in http_serve.LOOPBACK_HOSTS and not opts.keys:
        logger.warning("serving on %s with no key (--insecure-no-auth)", opts.host)


async def _stdio_until_signal(mcp: MCPServer, service: GexService) -> None:
    """Serve stdio until stdin closes, SIGTERM or SIGINT; on a signal close the service,
    then leave at once: the thread blocked reading stdin cannot be cancelled."""
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


async def _serve_http(mcp: MCPServer | None, service: GexService, watcher: Watcher,
                      opts: ServeOptions) -> None:
    """MCP at /mcp (unless REST alone) and the REST API, until the process is interrupted."""
    from gex_mcp.http import serve as http_serve
    from gex_mcp.http.rest.app import build_rest_app  # not needed by stdio

    options = http_serve.HttpOptions(
        host=opts.host, keys=opts.keys, rate_limit_per_minute=opts.rate_limit_per_minute,
        allowed_hosts=opts.allowed_hosts, cors_origins=opts.cors_origins, stateless=opts.stateless,
        session_idle_seconds=opts.session_idle_seconds,
        max_sessions_per_key=opts.max_sessions_per_key, max_sessions=opts.max_sessions)
    app = http_serve.http_app(mcp, build_rest_app(service, watcher), options,
                              share_rate_limit=service.shared and service.shared.rate_limit)
    what = ("the REST API" if mcp is None else "MCP at /mcp and the REST API at /v1") + (
        " (keys required)" if opts.keys else "")
    await http_serve.serve_http(app, host=opts.host, port=opts.port, what=what,
                                max_connections=opts.max_connections, log_level=opts.log_level,
                                access_log=opts.access_log, secrets=opts.keys)


__all__ = ["ServeOptions", "Transport", "run_server"]
