"""HTTP serving: the MCP endpoint (/mcp) and the REST API (/v1, /health, /openapi.json, /docs)
as one ASGI app, with DNS-rebinding protection, API keys and rate limits (`http/guard.py`).

The SDK's `streamable_http_app()` gives a Starlette app whose lifespan runs the session
manager; a path dispatcher sends /mcp and the lifespan there and everything else to the
REST app, and `HttpGuard` wraps both as plain ASGI (so streaming responses and the lifespan
pass through untouched). The SDK's own `token_verifier`/`AuthSettings` route is built for
OAuth (it needs an issuer URL and advertises it); static keys need only constant-time
comparisons. Logs go to stderr; keys are never logged.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from gex_mcp.errors import ConfigError
from gex_mcp.http.guard import ApiKeys, HttpGuard, RateLimit, TokenBucket

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
DEFAULT_SESSION_IDLE_SECONDS = 1800.0  # the SDK's own default idle timeout
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")

def uvicorn_log_config(level: str = "INFO") -> dict:
    """uvicorn's loggers at `level` (GEX_LOG_LEVEL), every line on stderr (uvicorn's default
    config sends access lines to stdout and ignores our level)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def transport_security(host: str, allowed_hosts: Iterable[str] = ()) -> TransportSecuritySettings:
    """DNS-rebinding protection, always on: Host must be loopback, `host` or `allowed_hosts`.

    The SDK turns the protection off by itself for a non-loopback bind address; here it
    stays on, and names other than loopback must be listed (the bind address is added when
    it is a concrete address, not a wildcard such as 0.0.0.0).
    """
    names = allowed_host_names(host, allowed_hosts)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[h for n in names for h in (n, f"{n}:*")],
        allowed_origins=[f"{scheme}://{h}" for n in names for h in (n, f"{n}:*")
                         for scheme in ("http", "https")],
    )


def allowed_host_names(host: str, allowed_hosts: Iterable[str] = ()) -> list[str]:
    """Host header names accepted (without ports): loopback, a concrete bind address, extras."""
    names = ["127.0.0.1", "localhost", "[::1]"]
    extra = [] if host in LOOPBACK_HOSTS or host in WILDCARD_HOSTS else [host]
    for name in (*extra, *allowed_hosts):
        name = _bracket(name.strip())
        if name and name not in names:
            names.append(name)
    return names


def check_port(host: str, port: int) -> None:
    """Raise ConfigError now, with what to do, when `host:port` cannot be listened on (in use,
    not an address of this machine, a privileged port), instead of a traceback from uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host.strip("[]"), port))
    except OSError as exc:
        raise ConfigError(f"Cannot listen on {_bracket(host)}:{port} ({exc.strerror or exc}). "
                          "Choose another --port or --host, or stop the program using it.") from None


class _ByPath:
    """/mcp (and the lifespan, which runs the MCP session manager) to the MCP app; the rest
    to the REST app."""

    def __init__(self, mcp_app: ASGIApp, rest_app: ASGIApp) -> None:
        self.mcp_app, self.rest_app = mcp_app, rest_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("path", "").startswith(MCP_PATH):
            await self.rest_app(scope, receive, send)
        else:
            await self.mcp_app(scope, receive, send)


@dataclass(frozen=True)
class HttpOptions:
    """How `http_app` guards and serves /mcp and the REST routes.

    Attributes:
        host: the bind address (loopback by default); with `allowed_hosts`, the Host names
            answered (DNS-rebinding protection).
        keys: API keys; when given, /mcp and /v1 need one.
        rate_limit_per_minute: one bucket per key for /v1 requests and /mcp tool calls.
        allowed_hosts: extra Host names accepted. cors_origins: browser origins allowed.
        stateless: MCP without sessions (replicas behind a load balancer).
        session_idle_seconds: close an MCP session idle this long (the SDK's default when None).
        max_sessions_per_key, max_sessions: caps on live MCP sessions (32 and 512 when None).
    """

    host: str = "127.0.0.1"
    keys: tuple[str, ...] = ()
    rate_limit_per_minute: int | None = None
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    stateless: bool = False
    session_idle_seconds: float | None = None
    max_sessions_per_key: int | None = None
    max_sessions: int | None = None


def http_app(mcp: MCPServer | None, rest: ASGIApp | None = None,
             options: HttpOptions | None = None, *,
             share_rate_limit: Callable[[TokenBucket], RateLimit] | None = None) -> ASGIApp:
    """One ASGI app: /mcp (when `mcp`), the REST routes (when `rest`), guarded by
    `HttpGuard` (keys, per-key rate limit on /v1 and /mcp tool calls, Host checks); CORS
    only for listed origins (`HttpOptions`).

    Stateless MCP serves each request alone (replicas behind a load balancer need no sticky
    routing); otherwise idle sessions are closed and live ones capped per key and overall,
    the least recently used idle one closed to open another (`mcp_sessions`).
    `share_rate_limit` turns this process's bucket into one shared by replicas
    (`GexService.shared.rate_limit`)."""
    o = options or HttpOptions()
    host, keys, allowed_hosts, cors_origins = o.host, o.keys, o.allowed_hosts, o.cors_origins
    stateless, session_idle_seconds = o.stateless, o.session_idle_seconds
    max_sessions_per_key, max_sessions = o.max_sessions_per_key, o.max_sessions
    rate_limit_per_minute = o.rate_limit_per_minute
    names = allowed_host_names(host, allowed_hosts)
    if rest is not None and list(cors_origins):
        from starlette.middleware.cors import CORSMiddleware

        rest = CORSMiddleware(rest, allow_origins=list(cors_origins), allow_methods=["GET"],
                              allow_headers=["X-Api-Key", "Authorization"])
    if mcp is not None:
        sessions = {} if session_idle_seconds is None else {"session_idle_timeout": session_idle_seconds}
        app: ASGIApp = mcp.streamable_http_app(
            streamable_http_path=MCP_PATH, host=host, stateless_http=stateless,
            transport_security=transport_security(host, allowed_hosts),
            **({} if stateless else sessions))
        if not stateless:
            from gex_mcp.http.mcp_sessions import MAX_SESSIONS, MAX_SESSIONS_PER_CLIENT, SessionCap

            app = SessionCap(app, per_client=max_sessions_per_key or MAX_SESSIONS_PER_CLIENT,
                             overall=max_sessions or MAX_SESSIONS,
                             idle_seconds=session_idle_seconds or DEFAULT_SESSION_IDLE_SECONDS)
        if rest is not None:
            app = _ByPath(app, rest)
    else:
        assert rest is not None, "serve MCP, REST or both"
        app = rest
    key_list = list(keys)
    rate: RateLimit | None = None
    if rate_limit_per_minute:
        rate = TokenBucket(rate_limit_per_minute)
        if share_rate_limit is not None:
            rate = share_rate_limit(rate)
    return HttpGuard(app, keys=ApiKeys(key_list) if key_list else None, rate=rate,
                     rest_hosts=names)


DEFAULT_MAX_CONNECTIONS = 512
WAITING_PER_SLOT = 2  # waiting connections kept per request slot
#: After SIGTERM, requests in flight get this long to finish; then uvicorn cancels them
#: (container runtimes kill at 10-30 s; an upstream fetch may take 48 s).
GRACEFUL_SHUTDOWN_SECONDS = 2.0


async def serve_http(app: ASGIApp, *, host: str, port: int, what: str,
                     max_connections: int = DEFAULT_MAX_CONNECTIONS, log_level: str = "INFO",
                     access_log: bool = True, secrets: Iterable[str] = ()) -> None:
    """Serve `app` with uvicorn until interrupted (`what` names it in the log).

    Past `max_connections` requests in progress the answer is 503; connections without one
    (headers not complete, or idle keep-alive) are capped apart at WAITING_PER_SLOT times
    that, the oldest closed first, and closed anyway when their headers take over 10 s
    (`http/protocol.py`); repeated log lines are thinned out. Access lines follow `log_level`
    (they are INFO), are off without `access_log`, and never show a key-like query
    parameter nor a value equal to one of `secrets` (the API keys). On SIGTERM, requests in
    flight get GRACEFUL_SHUTDOWN_SECONDS, then are cancelled.
    """
    import uvicorn

    from gex_mcp.http.protocol import (
        ActiveRequestCap,
        CancelledRequestFilter,
        HeaderDeadlineProtocol,
        QueryRedactFilter,
        RepeatFilter,
    )

    # Requests in progress and waiting connections have separate caps (uvicorn's
    # limit_concurrency would count both together).
    protocol = HeaderDeadlineProtocol.with_limits(max_waiting=WAITING_PER_SLOT * max_connections)
    config = uvicorn.Config(ActiveRequestCap(app, max_connections), host=host, port=port,
                            lifespan="on", http=protocol, log_config=uvicorn_log_config(log_level),
                            access_log=access_log, server_header=False,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    for name in ("uvicorn.error", "asyncio", "gex_mcp"):
        logging.getLogger(name).addFilter(RepeatFilter())
    logging.getLogger("uvicorn.access").addFilter(QueryRedactFilter(secrets))
    logging.getLogger("uvicorn.error").addFilter(CancelledRequestFilter())
    logger.info("gex-mcp serving %s at http://%s:%d", what, _bracket(host), port)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal, which by default
    # kills the process before the caller can close the service. Our handler turns that
    # re-raised signal into an exception, so the caller's cleanup runs and the exit is clean.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        await uvicorn.Server(config).serve()
    except _Terminated:
        logger.info("stopped by SIGTERM")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _Terminated(Exception):
    """SIGTERM arrived outside uvicorn's own handler (startup, or re-raised after shutdown)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated
