"""Streamable HTTP serving for the MCP server: DNS-rebinding protection and bearer auth.

The SDK's `streamable_http_app()` gives a Starlette app whose lifespan runs the session
manager; `BearerTokenMiddleware` wraps it as plain ASGI (so streaming responses and the
lifespan pass through untouched) and uvicorn serves the result. The SDK's own
`token_verifier`/`AuthSettings` route is built for OAuth (it needs an issuer URL and
advertises it); a single static token needs only a constant-time header comparison.
Logs go to stderr; the token is never logged.
"""

from __future__ import annotations

import hmac
import json
import logging
import signal
import threading
from collections.abc import Iterable

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")

# uvicorn's default config sends access logs to stdout; keep every line on stderr.
UVICORN_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
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
    names = ["127.0.0.1", "localhost", "[::1]"]
    extra = [] if host in LOOPBACK_HOSTS or host in WILDCARD_HOSTS else [host]
    for name in (*extra, *allowed_hosts):
        name = _bracket(name.strip())
        if name and name not in names:
            names.append(name)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[h for n in names for h in (n, f"{n}:*")],
        allowed_origins=[f"{scheme}://{h}" for n in names for h in (n, f"{n}:*")
                         for scheme in ("http", "https")],
    )


class BearerTokenMiddleware:
    """Refuse every HTTP request without `Authorization: Bearer <token>` (401).

    Compared with `hmac.compare_digest`, so timing does not reveal the token. Lifespan and
    other non-HTTP scopes pass through.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("bearer token must not be empty")
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = self._presented(scope)
        if presented is not None and hmac.compare_digest(presented, self._token):
            await self.app(scope, receive, send)
            return
        logger.warning("refused %s %s from %s: %s bearer token", scope.get("method"),
                       scope.get("path"), (scope.get("client") or ("?",))[0],
                       "no" if presented is None else "a wrong" if presented else "a malformed")
        await _unauthorized(send, invalid=presented is not None)

    @staticmethod
    def _presented(scope: Scope) -> bytes | None:
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                if scheme.lower() == b"bearer" and credentials.strip():
                    return credentials.strip()
                return b""
        return None


async def _unauthorized(send: Send, *, invalid: bool) -> None:
    challenge = 'Bearer realm="gex-mcp"' + (', error="invalid_token"' if invalid else "")
    body = json.dumps({
        "error": "invalid_token" if invalid else "unauthorized",
        "error_description": "Send the server's token as 'Authorization: Bearer <token>'.",
    }).encode()
    await send({"type": "http.response.start", "status": 401, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", challenge.encode()),
    ]})
    await send({"type": "http.response.body", "body": body})


def http_app(mcp: MCPServer, *, host: str = "127.0.0.1", bearer_token: str | None = None,
             allowed_hosts: Iterable[str] = ()) -> ASGIApp:
    """The ASGI app serving `mcp` at /mcp, with rebinding protection and optional auth."""
    app: ASGIApp = mcp.streamable_http_app(
        streamable_http_path=MCP_PATH, host=host,
        transport_security=transport_security(host, allowed_hosts))
    if bearer_token:
        app = BearerTokenMiddleware(app, bearer_token)
    return app


async def serve_http(mcp: MCPServer, *, host: str, port: int, bearer_token: str | None = None,
                     allowed_hosts: Iterable[str] = ()) -> None:
    """Serve `mcp` over streamable HTTP with uvicorn until interrupted."""
    import uvicorn

    if host not in LOOPBACK_HOSTS and not bearer_token:
        logger.warning("serving on %s without a bearer token: anyone who can reach this "
                       "address can call the tools", host)
    app = http_app(mcp, host=host, bearer_token=bearer_token, allowed_hosts=allowed_hosts)
    config = uvicorn.Config(app, host=host, port=port, lifespan="on",
                            log_config=UVICORN_LOG_CONFIG, server_header=False)
    logger.info("gex-mcp serving streamable HTTP at http://%s:%d%s%s", _bracket(host), port,
                MCP_PATH, " (bearer token required)" if bearer_token else "")
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
