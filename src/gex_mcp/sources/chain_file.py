"""`ChainFileSource`: one snapshot file, for `gex-mcp ... --chain FILE`."""

from __future__ import annotations

from pathlib import Path

from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import UnknownSymbolError
from gex_mcp.parsing import load_chain_file
from gex_mcp.sources.base import normalize_symbol


class ChainFileSource:
    """Serves the chain in one file; a symbol, when given, must match the file's."""

    name = "file"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._chain: OptionChain | None = None

    def load(self) -> OptionChain:
        """Parse the file once (SourceDataError names the file when it is malformed)."""
        if self._chain is None:
            self._chain = load_chain_file(self.path)
        return self._chain

    def sole_symbol(self) -> str:
        """The symbol the file holds (what `gex-mcp gex --chain FILE` analyses)."""
        return self.load().symbol

    def symbols(self) -> list[str]:
        return [self.sole_symbol()]

    async def fetch_chain(self, symbol: str) -> OptionChain:
        chain = self.load()
        if normalize_symbol(symbol) != chain.symbol:
            raise UnknownSymbolError(
                f"{self.path.name} holds {chain.symbol} options, not {symbol.strip().upper()}. "
                f"Leave SYMBOL out or pass {chain.symbol}.")
        return chain
