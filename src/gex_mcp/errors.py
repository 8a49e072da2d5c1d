"""The one exception tree of gex-mcp; every class carries its CLI exit code and its HTTP
status and error code (the REST body's `error`).

```
GexError                         exit  HTTP  error                 MCP result
├── InputError                     2   400   bad_request           is_error: retry with better arguments
│   ├── UnknownSymbolError             404   symbol_not_found
│   └── InvalidExpiryError             400   bad_request
├── SourceError                    3   502   upstream_error        is_error: retry later or switch source
│   ├── SourceUnavailableError         503   upstream_unavailable  timeout, connection refused, 5xx
│   ├── RateLimitedError               429   rate_limited          429, or our own daily budget spent
│   ├── AuthError                      502   upstream_auth         401/403 (bad key, plan too small)
│   └── SourceDataError                502   upstream_bad_data     payload or file did not parse
├── NoDataError                    4   404   no_data               is_error: empty chain, nothing cached
└── ConfigError                    5   400   not_configured        bad settings, met at startup
```

Exit 0 is success; exit 1 is anything that is not a GexError, i.e. a bug.
Messages say what failed, then what to do next. They never contain secrets.
"""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    """An error as users and models read it, in every front end: "ClassName: message"."""
    return f"{type(exc).__name__}: {exc}"


class GexError(Exception):
    """Base of every error gex-mcp reports to a user."""

    exit_code: int = 1
    http_status: int = 500
    error_code: str = "error"


class InputError(GexError):
    """The caller's arguments are wrong; the same call will fail again."""

    exit_code = 2

    http_status = 400
    error_code = "bad_request"


class UnknownSymbolError(InputError):
    """The symbol is malformed or the source has no options for it."""

    http_status = 404
    error_code = "symbol_not_found"


class InvalidExpiryError(InputError):
    """The expiration is malformed, in the past, or not listed in the chain."""


class SourceError(GexError):
    """The data source failed; retrying later or another source may work."""

    exit_code = 3

    http_status = 502
    error_code = "upstream_error"


class SourceUnavailableError(SourceError):
    """Timeout, refused connection or a 5xx from upstream."""

    http_status = 503
    error_code = "upstream_unavailable"


class RateLimitedError(SourceError):
    """Upstream said 429, or the local per-day budget is spent."""

    http_status = 429
    error_code = "rate_limited"

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class AuthError(SourceError):
    """The API key is missing, invalid, or its plan does not cover the request."""

    http_status = 502
    error_code = "upstream_auth"


class SourceDataError(SourceError):
    """A payload or file was malformed, truncated or not what the format promises."""

    http_status = 502
    error_code = "upstream_bad_data"


class NoDataError(GexError):
    """Nothing to analyse: empty chain, no open interest, nothing cached."""

    exit_code = 4

    http_status = 404
    error_code = "no_data"


class ConfigError(GexError):
    """Settings are inconsistent (e.g. source flashalpha without a key)."""

    exit_code = 5

    http_status = 400
    error_code = "not_configured"
