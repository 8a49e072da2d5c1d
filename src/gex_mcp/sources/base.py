"""The source protocol and symbol normalisation shared by every source.

A source does I/O only: it turns a symbol into an `OptionChain` (cboe, file, demo)
and never computes exposures. Symbols are normalised here, once, before any I/O,
so a path-like or malformed argument never reaches a URL or a file name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import UnknownSymbolError

#: Cash-settled indexes users type without a prefix; CBOE spells them "_SPX".
INDEX_SYMBOLS = frozenset({
    "SPX", "NDX", "RUT", "VIX", "XSP", "DJX", "OEX", "XEO", "XND", "MRUT", "VIX9D", "VXN",
    "RVX", "MXEA", "MXEF",
})

#: Liquid optionable names and indexes offered as completions for sources that answer any symbol.
LIQUID_SYMBOLS = (
    "SPY", "QQQ", "IWM", "DIA", "SPX", "NDX", "RUT", "VIX", "XSP", "AAPL", "MSFT", "NVDA", "AMZN",
    "META", "GOOGL", "GOOG", "TSLA", "AMD", "AVGO", "NFLX", "COIN", "MSTR", "PLTR", "SMCI", "TLT",
    "GLD", "SLV", "USO", "XLF", "XLE", "HYG", "EEM", "ARKK", "BABA", "JPM", "BAC", "INTC", "MU",
)

_SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")


def normalize_symbol(raw: str) -> str:
    """The symbol as the rest of gex-mcp spells it: upper case, no index prefix.

    Accepts "spy", " SPY ", "^SPX", "_SPX" and "BRK.B"; returns "SPY", "SPX", "BRK.B".

    Raises:
        UnknownSymbolError: `raw` is not a ticker (empty, path-like, too long, ...).
    """
    # ASCII only: str.upper() folds look-alikes ("ſpy" -> "SPY", "ﬀ" -> "FF") into tickers
    text = raw.strip().upper() if isinstance(raw, str) and raw.isascii() else ""
    if text[:1] in ("^", "_"):
        text = text[1:]
    if not _SYMBOL_RE.fullmatch(text):
        shown = raw if isinstance(raw, str) else type(raw).__name__
        raise UnknownSymbolError(
            f"{shown[:40]!r} is not a ticker symbol. "
            "Use letters only, e.g. 'SPY' or 'SPX'.")
    return text


def is_index(symbol: str) -> bool:
    """True for a normalised cash-index symbol such as "SPX"."""
    return symbol in INDEX_SYMBOLS


@runtime_checkable
class ChainSource(Protocol):
    """Anything that can fetch one option-chain snapshot for a symbol."""

    name: str

    async def fetch_chain(self, symbol: str) -> OptionChain:
        """The latest chain for `symbol`.

        Raises:
            UnknownSymbolError: the symbol is malformed or unknown to the source.
            SourceError: the source failed (timeout, 5xx, 429, bad payload).
            NoDataError: the source has the symbol but no options in the chain.
        """
        ...


class LazySource:
    """A source built on first use, so a process that never asks it never imports what it
    needs (the CBOE client brings httpx and tenacity: ~45 ms of a CLI command on the demo).

    `fetch_chain` and any other attribute go to the built source; `aclose` closes it only
    if it was built.
    """

    def __init__(self, name: str, build: Callable[[], ChainSource]) -> None:
        self.name = name
        self._build = build
        self._source: ChainSource | None = None

    def _get(self) -> ChainSource:
        if self._source is None:
            self._source = self._build()
        return self._source

    async def fetch_chain(self, symbol: str) -> OptionChain:
        return await self._get().fetch_chain(symbol)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._get(), attr)

    async def aclose(self) -> None:
        close = getattr(self._source, "aclose", None)
        if close is not None:
            await close()
