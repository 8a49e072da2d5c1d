"""The one exception tree of gex-mcp; every class carries its CLI exit code.

```
GexError                         exit  MCP result
├── InputError                     2   is_error: retry with better arguments
│   ├── UnknownSymbolError
│   └── InvalidExpiryError
├── SourceError                    3   is_error: retry later or switch source
│   ├── SourceUnavailableError         timeout, connection refused, 5xx
│   ├── RateLimitedError               429, or our own daily budget spent
│   ├── AuthError                      401/403 (bad key, plan too small)
│   └── SourceDataError                payload or file did not parse
├── NoDataError                    4   is_error: empty chain, nothing cached
└── ConfigError                    5   bad settings, met at startup
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


class InputError(GexError):
    """The caller's arguments are wrong; the same call will fail again."""

    exit_code = 2


class UnknownSymbolError(InputError):
    """The symbol is malformed or the source has no options for it."""


class InvalidExpiryError(InputError):
    """The expiration is malformed, in the past, or not listed in the chain."""


class SourceError(GexError):
    """The data source failed; retrying later or another source may work."""

    exit_code = 3


class SourceUnavailableError(SourceError):
    """Timeout, refused connection or a 5xx from upstream."""


class RateLimitedError(SourceError):
    """Upstream said 429, or the local per-day budget is spent."""

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class AuthError(SourceError):
    """The API key is missing, invalid, or its plan does not cover the request."""


class SourceDataError(SourceError):
    """A payload or file was malformed, truncated or not what the format promises."""


class NoDataError(GexError):
    """Nothing to analyse: empty chain, no open interest, nothing cached."""

    exit_code = 4


class ConfigError(GexError):
    """Settings are inconsistent (e.g. source flashalpha without a key)."""

    exit_code = 5
