"""The backend protocol: who answers an endpoint for a validated query.

Two implementations:

- `ChainBackend` (`chains.py`): fetches a raw option chain from a `ChainSource` (cboe, file,
  demo) through the cache, analyses it with the engine, and builds the answer with the
  endpoint's builder.
- `FlashAlphaBackend` (`flashalpha.py`): asks FlashAlpha's API for a ready answer and
  returns it translated into our response model.

`GexService` picks the backend from the source name and never branches on which one it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    from gex_mcp.endpoints import Endpoint
    from gex_mcp.store.cache import Cached


@dataclass(frozen=True)
class Query:
    """A validated question about one symbol.

    Attributes:
        symbol: normalised ticker, e.g. "SPX".
        source: the source name ("cboe", "file", "demo", "flashalpha").
        expiration: YYYY-MM-DD or None for every expiration.
        min_oi: drop strikes whose call+put OI is below this (contracts).
        options: the endpoint's own arguments, as sorted (name, value) pairs (hashable).
        as_of: answer from the snapshot at or before this time (None: the latest).
    """

    symbol: str
    source: str
    expiration: str | None = None
    min_oi: int = 0
    options: tuple[tuple[str, Any], ...] = ()
    as_of: datetime | None = None


def stale_flags(cached: Cached) -> dict[str, Any]:
    """The provenance fields a cache record sets: `stale`, `stale_age_seconds` (seconds, to
    0.1; None when fresh) and `stale_reason` (the upstream error, when stale)."""
    return {"stale": cached.stale,
            "stale_age_seconds": round(cached.age_seconds, 1) if cached.stale else None,
            "stale_reason": cached.stale_reason}


class Backend(Protocol):
    """Answers endpoints of the table for one or more sources."""

    #: "chains" or "flashalpha": the value the endpoint table's `backends` names.
    kind: str

    async def answer(self, endpoint: Endpoint, query: Query) -> BaseModel:
        """The endpoint's response for `query`, with provenance (and stale flags).

        Raises:
            InputError, SourceError, NoDataError: see `gex_mcp.errors`.
        """
        ...

    async def aclose(self) -> None:
        """Release HTTP clients; the database is closed by its owner."""
        ...
