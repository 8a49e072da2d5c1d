"""`ChainFileSource`: one snapshot file, for `gex-mcp ... --chain FILE`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import NoDataError, UnknownSymbolError
from gex_mcp.parsing import load_chain_file
from gex_mcp.sources.base import normalize_symbol


class ChainFileSource:
    """Serves the chain in one file; a symbol, when given, must match the file's."""

    name = "file"

    def __init__(self, path: Path | str, *, snapshot_time: datetime | None = None) -> None:
        self.path = Path(path)
        self.snapshot_time = snapshot_time  # overrides the time the file states
        self._chain: OptionChain | None = None

    def load(self) -> OptionChain:
        """Parse the file once (SourceDataError names the file when it is malformed)."""
        if self._chain is None:
            self._chain = load_chain_file(self.path, snapshot_time=self.snapshot_time)
        return self._chain

    def sole_symbol(self) -> str:
        """The symbol the file holds (what `gex-mcp gex --chain FILE` analyses)."""
        return self.load().symbol

    def symbols(self) -> list[str]:
        return [self.sole_symbol()]

    async def fetch_chain(self, symbol: str, *, as_of: datetime | None = None) -> OptionChain:
        """The file's chain; with `as_of`, only when the snapshot is at or before it."""
        chain = self._own(symbol)
        if as_of is not None and chain.as_of > as_of:
            raise NoDataError(f"{self.path.name} is a snapshot of {chain.as_of.isoformat()}, "
                              f"after as_of {as_of.isoformat()}. Leave as_of out.")
        return chain

    def snapshot_times(self, symbol: str, since: datetime | None = None,
                       until: datetime | None = None) -> list[datetime]:
        """The one snapshot's time when since <= it <= until: a file is a one-point history."""
        moment = self._own(symbol).as_of
        return [moment] if (since is None or since <= moment) and (until is None or moment <= until) else []

    def _own(self, symbol: str) -> OptionChain:
        chain = self.load()
        if normalize_symbol(symbol) != chain.symbol:
            raise UnknownSymbolError(
                f"{self.path.name} holds {chain.symbol} options, not {symbol.strip().upper()}. "
                f"Leave SYMBOL out or pass {chain.symbol}.")
        return chain
