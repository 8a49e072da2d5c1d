"""MCP prompts (briefs an agent can start from) and argument completions for them.

Completions (`completion/complete`) cover the `symbol` of prompts and resource templates
(the source's own symbols for demo and file, a list of liquid names and indexes otherwise),
the last ticker of a watchlist, and the `expiration` of the expiry brief (the symbol's
listed expirations).
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, Completion, CompletionArgument, CompletionContext
from pydantic import Field

from gex_mcp.endpoints.args import MAX_EXPIRATION_LENGTH, MAX_SYMBOL_LENGTH
from gex_mcp.errors import GexError, UnknownSymbolError
from gex_mcp.service import MAX_SCAN_SYMBOLS, GexService, normalize_symbol

MAX_COMPLETIONS = 100  # the protocol's cap per answer


def _ticker(text: str) -> str:
    """A prompt's ticker as the tools spell it (ASCII only: "ſpy" is not SPY). MCPError keeps
    our text; any other exception would reach the client as a bare "Error rendering prompt"."""
    if not text.strip() or len(text) > MAX_SYMBOL_LENGTH:
        raise MCPError(INVALID_PARAMS, f"A ticker has 1 to {MAX_SYMBOL_LENGTH} characters, e.g. "
                                       "'SPY' or 'SPX'.")
    try:
        return normalize_symbol(text)
    except UnknownSymbolError as exc:
        raise MCPError(INVALID_PARAMS, str(exc)) from None


def dashboard_brief(symbol: Annotated[str, Field(
        description="US ticker or index, e.g. 'SPY' or 'SPX'.")]) -> str:
    """Write a short gamma dashboard brief for one symbol from summary, levels and gex_chart."""
    sym = _ticker(symbol)
    return (
        f"Prepare a gamma-exposure brief for {sym}.\n"
        f"1. Call the summary tool for {sym}: regime, net GEX/DEX/VEX/CHEX, distance to the "
        "gamma flip, dealer hedging for a ±1% move.\n"
        f"2. Call the levels tool for {sym}: gamma flip, call wall, put wall, 0DTE magnet.\n"
        f"3. Call the gex_chart tool for {sym} and show the chart.\n"
        "Then write at most 8 short lines: the regime and what it implies for volatility, "
        "the key levels with their distance from spot, and how dealers would hedge a 1% move. "
        "Quote units as the tools give them (GEX is USD per 1% move). State as_of and the "
        "source; if is_demo or stale is true, say so first. Do not give trading advice."
    )

def watchlist_scan(symbols: Annotated[str, Field(
        description="Comma-separated tickers, e.g. 'SPY, QQQ, IWM' (at most "
                    f"{MAX_SCAN_SYMBOLS}).")]) -> str:
    """Scan a watchlist and summarise which symbols are in negative gamma or near a wall."""
    tickers = list(dict.fromkeys(_ticker(t) for t in symbols.split(",") if t.strip()))
    # MCPError keeps our text; any other exception reaches the client as a bare
    # "Error rendering prompt".
    if not tickers:
        raise MCPError(INVALID_PARAMS, "Give at least one ticker, e.g. 'SPY, QQQ, IWM'.")
    if len(tickers) > MAX_SCAN_SYMBOLS:
        raise MCPError(INVALID_PARAMS, f"{len(tickers)} tickers given; the limit is "
                       f"{MAX_SCAN_SYMBOLS}. Split the watchlist.")
    return (
        f"Call the scan tool with symbols {tickers!r}.\n"
        "Then report, in a short table: each symbol's regime, spot versus its gamma flip "
        "(percent), and whether spot is near the call or put wall. List first the symbols "
        "in negative gamma (dealers amplify moves), then those within 1% of a wall. Name any "
        "symbol whose row has an error and why. State as_of and the source; if is_demo or "
        "stale is true, say so. Do not give trading advice."
    )

def expiry_brief(
        symbol: Annotated[str, Field(description="US ticker or index, e.g. 'SPX'.")],
        expiration: Annotated[str, Field(description="Expiration date, YYYY-MM-DD.")]) -> str:
    """Brief one expiration: its levels, max pain, expected move and dealer hedging."""
    sym, day = _ticker(symbol), expiration.strip()
    if len(day) > MAX_EXPIRATION_LENGTH:
        raise MCPError(INVALID_PARAMS, "expiration must be a date YYYY-MM-DD, e.g. '2026-12-18'.")
    return (
        f"Prepare a brief on the {sym} options expiring {day}.\n"
        f"1. Call levels for {sym} with expiration {day}: that expiry's flip and walls.\n"
        f"2. Call max_pain and expected_move for {sym} with expiration {day}.\n"
        f"3. Call hedging for {sym} with expiration {day}.\n"
        "Then write at most 8 short lines: where this expiry pins (walls, max pain), the "
        "range the market prices (straddle, 1 sigma), and how dealers would hedge the moves. "
        "State as_of and the source; if is_demo or stale is true, say so first. Do not give "
        "trading advice."
    )

def flip_robustness(symbol: Annotated[str, Field(
        description="US ticker or index, e.g. 'SPX' or 'SPY'.")]) -> str:
    """Judge how much the gamma flip depends on IV, the dealer model and a few expirations."""
    sym = _ticker(symbol)
    return (
        f"How robust is {sym}'s gamma flip?\n"
        f"1. Call the flip_sensitivity tool for {sym} (if it is not listed, call more_tools "
        "with tool 'flip_sensitivity'): the flip re-found with every IV shifted by -2, -1, "
        "+1 and +2 vol points, under the other dealer model, and without each of the three "
        "expirations holding most gamma near spot.\n"
        "2. Start from its reading line, then report in at most 6 short lines: the flip "
        "as quoted and its distance from spot; how far ±1 and ±2 vol points move it "
        "(points and percent); whether the regime at spot changes in any scenario; which "
        "expiration holds the flip up most (largest change when left out); and whether the "
        "flip vanishes under the other dealer model (the sign convention is an assumption, "
        "not data).\n"
        "Call a flip fragile when it moves more than the distance from spot to the flip, "
        "since then the regime itself is in doubt. State as_of and the source; if is_demo or "
        "stale is true, say so first. Do not give trading advice."
    )


#: The prompts, with their titles, in the order prompts/list gives them.
PROMPTS = (
    (dashboard_brief, "Dashboard brief"),
    (watchlist_scan, "Watchlist scan"),
    (expiry_brief, "Expiration brief"),
    (flip_robustness, "How robust is this flip?"),
)


def register_prompts(mcp: MCPServer, service: GexService) -> None:
    """Add the prompts and the completion handler to `mcp`."""
    for prompt, title in PROMPTS:
        mcp.prompt(title=title)(prompt)

    @mcp.completion()
    async def complete(ref: object, argument: CompletionArgument,
                       context: CompletionContext | None) -> Completion:
        if argument.name in ("symbol", "symbols"):
            # a watchlist completes its last ticker and keeps the ones before it
            head, _, last = (argument.value.rpartition(",") if argument.name == "symbols"
                             else ("", "", argument.value))
            prefix = f"{head}, " if head else ""
            values = [prefix + s for s in service.symbol_candidates(last)]
        elif argument.name == "expiration":
            symbol = (context.arguments or {}).get("symbol") if context else None
            values = await _expirations(symbol, argument.value) if symbol else []
        else:
            values = []
        return Completion(values=values[:MAX_COMPLETIONS], total=len(values),
                          has_more=len(values) > MAX_COMPLETIONS)

    async def _expirations(symbol: str, prefix: str) -> list[str]:
        try:
            listing = await service.call("expirations", symbol=symbol)
        except GexError:
            return []  # a completion is a suggestion: an unknown symbol suggests nothing
        return [e.expiration for e in listing.expirations if e.expiration.startswith(prefix.strip())]
