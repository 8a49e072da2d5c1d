"""The MCP server: the guide's endpoints as tools over one `GexService`.

`build_server(service)` returns an `MCPServer`; `run_server(service, transport)` serves it over
stdio or streamable HTTP (see `_serve.py`). Tools parse arguments (the schema rejects what it
can), call the service and shape its answer; they never analyse anything themselves.

Errors cross one boundary, `_tool_boundary`, around every tool: a `GexError` becomes a
`ToolError` "ClassName: message" (an `is_error` result the model reads and acts on); anything
else is a bug, logged to stderr with its traceback and re-raised for the SDK to mask as
"Error executing tool NAME". Resources do the same through `_resource_boundary`. This module
never writes to stdout: under stdio, stdout is the protocol channel.
"""

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from gex_mcp.conventions import CONVENTIONS
from gex_mcp.errors import GexError, UnknownSymbolError
from gex_mcp.models import (
    ExpiryBreakdownResponse,
    FlipDistanceResponse,
    GexChartInfo,
    LevelsResponse,
    OIChangesResponse,
    RegimeResponse,
    ScanResponse,
    SummaryResponse,
    WindowedChexResponse,
    WindowedDexResponse,
    WindowedGexResponse,
    WindowedVexResponse,
    in_window,
    window_strikes,
)
from gex_mcp.service import MAX_SCAN_SYMBOLS, GexService

__all__ = ["build_server", "run_server"]

logger = logging.getLogger(__name__)

SERVER_NAME = "gex-mcp"
DEFAULT_STRIKE_WINDOW_PCT = 10.0
DEFAULT_CHART_WINDOW_PCT = 10.0
DEFAULT_NEAR_WALL_PCT = 1.0
MAX_SYMBOL_LENGTH = 32  # generous: the service gives the precise "not a ticker" message
MAX_EXPIRATION_LENGTH = 32  # likewise for "not an expiration date"
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)

SourceName = Literal["cboe", "flashalpha", "file", "demo"]

P = ParamSpec("P")
R = TypeVar("R")



def _instructions(service: GexService) -> str:
    model = service.params.dealer_model
    return (
        "gex-mcp measures options dealer positioning (gamma, delta, vanna and charm exposure) "
        "from US option chains.\n"
        f"Sign convention: this server assumes dealer_model={model}"
        + (" (dealers long calls, short puts)" if model == "long_calls_short_puts" else
           " (dealers short every option)")
        + ". Positive net GEX means dealer hedging dampens moves; negative net GEX means it "
        "amplifies them.\n"
        "Units: GEX in USD of dealer delta per 1% move in spot; DEX in USD of delta; VEX in USD "
        "of delta per vol point; CHEX in USD of delta per calendar day; prices and levels in USD. "
        "*_label fields repeat an amount in short form, e.g. '1.85B'.\n"
        f"Data: the default source is {service.default_source}. cboe is CBOE's free data, delayed "
        "about 15 minutes; flashalpha needs an API key; demo is a synthetic market for trying "
        "the tools. Every answer carries as_of, source, is_demo and stale: tell the user when "
        "numbers are demo (never present them as real) or stale (served from cache after a "
        "source failure).\n"
        "Start with summary for one symbol, levels for price levels, scan for a watchlist and "
        "gex_chart for a picture. Formulas: resource gex://conventions.\n"
        "This is analytics, not investment advice."
    )


# ---- error boundaries ---------------------------------------------------------------------


def _description(fn: Callable[..., Any]) -> str:
    """The docstring as the model sees it: each paragraph (one sentence) on one line."""
    paragraphs = inspect.cleandoc(fn.__doc__ or "").split("\n\n")
    return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _tool_boundary(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn a GexError into a ToolError; log anything else and let the SDK mask it."""

    @functools.wraps(fn)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except GexError as exc:
            raise ToolError(f"{type(exc).__name__}: {exc}") from exc
        except Exception:
            logger.exception("tool %s failed unexpectedly", fn.__name__)
            raise

    return call


def _resource_boundary(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Resource reads: unknown symbol -> not found (-32602), other GexError -> ResourceError."""

    @functools.wraps(fn)
    async def read(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except UnknownSymbolError as exc:
            raise ResourceNotFoundError(f"{type(exc).__name__}: {exc}") from exc
        except GexError as exc:
            raise ResourceError(f"{type(exc).__name__}: {exc}") from exc
        except Exception:
            logger.exception("resource %s failed unexpectedly", fn.__name__)
            raise

    return read


# ---- the server ---------------------------------------------------------------------------


def build_server(service: GexService) -> MCPServer:
    """An MCPServer whose tools, resources and prompts answer from `service`.

    The caller owns `service` (and closes it); the server only calls it.
    """
    mcp = MCPServer(SERVER_NAME, instructions=_instructions(service))

    def tool(title: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
        def register(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
            mcp.add_tool(_tool_boundary(fn), title=title, annotations=READ_ONLY,
                         description=_description(fn))
            return fn
        return register

    Symbol = Annotated[str, Field(
        min_length=1, max_length=MAX_SYMBOL_LENGTH,
        description="US ticker or index, e.g. 'SPY', 'QQQ', 'AAPL', 'SPX' (no '^' or '_' needed).",
        examples=["SPY", "SPX"])]
    Source = Annotated[SourceName | None, Field(
        description=f"Data source: cboe (free, delayed ~15 min), flashalpha (API key), file "
                    f"(saved snapshots) or demo (synthetic). Leave out for the server default "
                    f"({service.default_source}).",
        examples=["cboe"])]
    Expiration = Annotated[str | None, Field(
        max_length=MAX_EXPIRATION_LENGTH,
        description="Only options expiring on this date, YYYY-MM-DD, e.g. '2026-12-18'. "
                    "Leave out for all expirations.",
        examples=["2026-12-18"])]
    MinOI = Annotated[int, Field(
        ge=0, description="Leave out strikes whose call+put open interest is below this many "
                          "contracts. 0 keeps every strike.", examples=[0, 100])]
    Window = Annotated[float | None, Field(
        ge=0, le=100,
        description=f"List only strikes within ±window_pct percent of spot (default "
                    f"{DEFAULT_STRIKE_WINDOW_PCT:g}). Set a larger value to widen, or 0 for every "
                    f"strike. Totals always cover the whole chain.",
        examples=[20, 5, 0])]

    # ---- per-strike exposures ---------------------------------------------------------

    @tool("Gamma exposure by strike")
    async def gex(symbol: Symbol, expiration: Expiration = None, min_oi: MinOI = 0,
                  source: Source = None,
                  window_pct: Window = DEFAULT_STRIKE_WINDOW_PCT) -> WindowedGexResponse:
        """Dealer gamma exposure per strike (call, put and net GEX in USD per 1% move, with OI,
        volume and OI change), plus whole-chain totals and the gamma flip.

        Use it for the strike-by-strike gamma profile; for just the key price levels use levels, for
        the regime and interpretation use summary, for a picture use gex_chart.

        Only strikes within ±window_pct% of spot (default 10) are listed: set window_pct to widen,
        or 0 for all; net_gex, call_gex and put_gex always cover the whole chain.
        """
        answer = await service.gex(symbol, expiration=expiration, min_oi=min_oi, source=source)
        return window_strikes(answer, window_pct, WindowedGexResponse)

    @tool("Delta exposure by strike")
    async def dex(symbol: Symbol, expiration: Expiration = None, min_oi: MinOI = 0,
                  source: Source = None,
                  window_pct: Window = DEFAULT_STRIKE_WINDOW_PCT) -> WindowedDexResponse:
        """Dealer delta exposure per strike (call, put and net DEX in USD of delta), plus the
        whole-chain net DEX.

        Use it to see how much directional delta dealers carry and at which strikes; for gamma use
        gex, for all four exposures in one answer use summary.

        Only strikes within ±window_pct% of spot (default 10) are listed: set window_pct to widen,
        or 0 for all; net_dex always covers the whole chain.
        """
        answer = await service.dex(symbol, expiration=expiration, min_oi=min_oi, source=source)
        return window_strikes(answer, window_pct, WindowedDexResponse)

    @tool("Vanna exposure by strike")
    async def vex(symbol: Symbol, expiration: Expiration = None, min_oi: MinOI = 0,
                  source: Source = None,
                  window_pct: Window = DEFAULT_STRIKE_WINDOW_PCT) -> WindowedVexResponse:
        """Dealer vanna exposure per strike (call, put and net VEX in USD of delta per vol point),
        plus the whole-chain net VEX and a one-line interpretation.

        Use it to judge how dealer hedging flows react to a change in implied volatility; for time
        decay use chex, for gamma use gex.

        Only strikes within ±window_pct% of spot (default 10) are listed: set window_pct to widen,
        or 0 for all; net_vex always covers the whole chain.
        """
        answer = await service.vex(symbol, expiration=expiration, min_oi=min_oi, source=source)
        return window_strikes(answer, window_pct, WindowedVexResponse)

    @tool("Charm exposure by strike")
    async def chex(symbol: Symbol, expiration: Expiration = None, min_oi: MinOI = 0,
                   source: Source = None,
                   window_pct: Window = DEFAULT_STRIKE_WINDOW_PCT) -> WindowedChexResponse:
        """Dealer charm exposure per strike (call, put and net CHEX in USD of delta per calendar
        day), plus the whole-chain net CHEX and a one-line interpretation.

        Use it to see how dealer delta drifts with the passage of time, e.g. into an expiration; for
        implied-volatility sensitivity use vex, for gamma use gex.

        Only strikes within ±window_pct% of spot (default 10) are listed: set window_pct to widen,
        or 0 for all; net_chex always covers the whole chain.
        """
        answer = await service.chex(symbol, expiration=expiration, min_oi=min_oi, source=source)
        return window_strikes(answer, window_pct, WindowedChexResponse)

    # ---- levels and summaries ---------------------------------------------------------

    @tool("Key gamma levels")
    async def levels(symbol: Symbol, source: Source = None) -> LevelsResponse:
        """Key price levels for one symbol, in USD: gamma flip (with status and every zero
        crossing), call wall, put wall, largest positive and negative net-gamma strikes, highest
        open-interest strike and the 0DTE magnet.

        Use it for support and resistance levels; for regime, exposures and hedging in one answer
        use summary, for several symbols at once use scan.

        Walls come from open interest, which exchanges publish once a day; a level is null when it
        cannot be determined.
        """
        return await service.levels(symbol, source=source)

    @tool("Gamma summary")
    async def summary(symbol: Symbol, source: Source = None) -> SummaryResponse:
        """Overview of one symbol: gamma regime and why, net GEX, DEX, VEX and CHEX (units as in the
        server instructions), distance to the gamma flip, walls, dealer shares to trade for a ±1%
        move, GEX by expiration, top open-interest changes and an interpretation in words.

        Use it first for a single symbol; use scan for a watchlist, and levels, regime or
        flip_distance when you need only that part.

        Check is_demo and stale before quoting the numbers as market data.
        """
        return await service.summary(symbol, source=source)

    @tool("Watchlist scan")
    async def scan(
        symbols: Annotated[list[Annotated[str, Field(min_length=1, max_length=MAX_SYMBOL_LENGTH)]],
                           Field(min_length=1, max_length=MAX_SCAN_SYMBOLS,
                                 description=f"Watchlist as a JSON list of 1 to {MAX_SCAN_SYMBOLS} "
                                             "tickers, e.g. ['SPY', 'QQQ', 'IWM'].",
                                 examples=[["SPY", "QQQ", "IWM"]])],
        source: Source = None,
        near_wall_pct: Annotated[float, Field(
            gt=0, le=20, description="Flag spot as near a wall when within this percent of it.",
            examples=[1.0])] = DEFAULT_NEAR_WALL_PCT,
    ) -> ScanResponse:
        """One row per watchlist symbol: spot, gamma flip, regime, net GEX (USD per 1% move), call
        and put walls, distance to the flip in percent, and flags for spot below the flip or near a
        wall.

        Use it to compare or screen several symbols at once (e.g. which are in negative gamma); for
        one symbol use summary or levels.

        Symbols are fetched concurrently; one that fails carries its reason in its row's error field
        and the others still answer.
        """
        return await service.scan(symbols, source=source, near_wall_pct=near_wall_pct)

    @tool("Gamma regime")
    async def regime(symbol: Symbol, source: Source = None) -> RegimeResponse:
        """Dealer gamma regime of one symbol (positive_gamma, negative_gamma, neutral or unknown)
        with the reason, net GEX in USD per 1% move and the distance from spot to the gamma flip.

        Use it for a quick answer to whether dealer hedging dampens or amplifies moves; summary
        gives the same plus exposures and hedging, scan does it for a watchlist.

        neutral means spot lies within neutral_band_pct percent of the flip.
        """
        return await service.regime(symbol, source=source)

    @tool("Distance to gamma flip")
    async def flip_distance(symbol: Symbol, source: Source = None) -> FlipDistanceResponse:
        """Distance from spot to the gamma flip in percent and USD points (positive = spot above the
        flip), the nearest zero crossings above and below spot, and the distances to the call and
        put walls in percent.

        Use it to tell how close a symbol is to changing gamma regime; levels gives the levels
        themselves, regime the classification.

        The flip is null, with a reason, when total dealer gamma does not cross zero in the searched
        range.
        """
        return await service.flip_distance(symbol, source=source)

    @tool("GEX by expiration")
    async def expiry_breakdown(symbol: Symbol, source: Source = None) -> ExpiryBreakdownResponse:
        """Net GEX (USD per 1% move) of each expiration with its kind (0dte, weekly, monthly, ...)
        and share of total |GEX|, plus the 0DTE, weekly and monthly shares in percent.

        Use it to see whether gamma sits in short-dated options (which roll off fast) or in
        monthlies; for per-strike detail of one expiry use gex with expiration.

        0DTE options are listed only while today's session is open.
        """
        return await service.expiry_breakdown(symbol, source=source)

    @tool("Open interest changes")
    async def oi_changes(symbol: Symbol, source: Source = None) -> OIChangesResponse:
        """Strikes whose open interest changed most since the previous trading day, in contracts
        (call, put and total absolute change).

        Use it to spot new positioning; for current open interest by strike use gex.

        When the source reports no previous OI, changes come from this server's stored snapshots,
        and oi_change_known is false until one exists.
        """
        return await service.oi_changes(symbol, source=source)

    @tool("GEX chart")
    async def gex_chart(
        symbol: Symbol, expiration: Expiration = None, min_oi: MinOI = 0, source: Source = None,
        window_pct: Annotated[float, Field(
            gt=0, le=50, description="Draw strikes within ±window_pct percent of spot.",
            examples=[10])] = DEFAULT_CHART_WINDOW_PCT,
    ) -> Annotated[CallToolResult, GexChartInfo]:
        """PNG bar chart of net GEX by strike (USD per 1% move) with spot, gamma flip, call wall and
        put wall marked, plus the plotted numbers as structured data.

        Use it when the user wants to see the gamma profile; for the numbers alone use gex or
        levels.

        Demo data is watermarked on the image; levels outside the window are drawn as arrows at the
        edge.
        """
        png, gex_answer, levels_answer = await service.chart(
            symbol, expiration=expiration, min_oi=min_oi, source=source, window_pct=window_pct)
        spot = gex_answer.underlying_price
        shown = sum(in_window(s.strike, spot, window_pct) for s in gex_answer.strikes)
        info = GexChartInfo(
            symbol=gex_answer.symbol, underlying_price=spot, as_of=gex_answer.as_of,
            source=gex_answer.source, is_demo=gex_answer.is_demo, stale=gex_answer.stale,
            expiration=gex_answer.expiration, dealer_model=gex_answer.dealer_model,
            gamma_flip=gex_answer.gamma_flip, gamma_flip_status=gex_answer.gamma_flip_status,
            call_wall=levels_answer.call_wall, put_wall=levels_answer.put_wall,
            net_gex=gex_answer.net_gex, net_gex_label=gex_answer.net_gex_label,
            window_pct=window_pct, strikes_shown=shown,
            strikes_hidden=len(gex_answer.strikes) - shown)
        return CallToolResult(
            content=[Image(data=png, format="png").to_image_content(),
                     TextContent(type="text", text=info.model_dump_json())],
            structured_content=info.model_dump(mode="json"))

    # ---- resources --------------------------------------------------------------------

    @mcp.resource("gex://{symbol}/levels", name="levels", title="Key gamma levels",
                  description="Gamma flip, walls and other key levels of one symbol as JSON "
                              "(the levels tool's answer, default source).",
                  mime_type="application/json")
    @_resource_boundary
    async def levels_resource(symbol: str) -> str:
        return (await service.levels(symbol)).model_dump_json(indent=2)

    @mcp.resource("gex://{symbol}/summary", name="summary", title="Gamma summary",
                  description="Regime, exposures, hedging and levels of one symbol as JSON "
                              "(the summary tool's answer, default source).",
                  mime_type="application/json")
    @_resource_boundary
    async def summary_resource(symbol: str) -> str:
        return (await service.summary(symbol)).model_dump_json(indent=2)

    @mcp.resource("gex://conventions", name="conventions", title="Units and conventions",
                  description="Formulas, units, dealer sign model, level definitions and data "
                              "delays used by every gex-mcp answer.",
                  mime_type="text/markdown")
    def conventions() -> str:
        return CONVENTIONS

    # ---- prompts ----------------------------------------------------------------------

    @mcp.prompt(title="Dashboard brief")
    def dashboard_brief(symbol: Annotated[str, Field(
            description="US ticker or index, e.g. 'SPY' or 'SPX'.")]) -> str:
        """Write a short gamma dashboard brief for one symbol from summary, levels and gex_chart."""
        sym = symbol.strip().upper()
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

    @mcp.prompt(title="Watchlist scan")
    def watchlist_scan(symbols: Annotated[str, Field(
            description="Comma-separated tickers, e.g. 'SPY, QQQ, IWM' (at most "
                        f"{MAX_SCAN_SYMBOLS}).")]) -> str:
        """Scan a watchlist and summarise which symbols are in negative gamma or near a wall."""
        tickers = list(dict.fromkeys(t.strip().upper() for t in symbols.split(",") if t.strip()))
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

    return mcp


def run_server(
    service: GexService,
    transport: Literal["stdio", "http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    bearer_token: str | None = None,
    *,
    allowed_hosts: tuple[str, ...] = (),
) -> None:
    """Serve `service` until the transport closes (stdio) or the process is interrupted (http).

    Blocks. Closes `service` when the server stops, inside the server's own event loop.

    Args:
        service: the facade the tools call.
        transport: "stdio" (for desktop hosts) or "http" (streamable HTTP at /mcp).
        host: address to bind for http; loopback by default. DNS-rebinding protection is on:
            the Host header must name a loopback address, `host` itself or `allowed_hosts`.
        port: TCP port for http.
        bearer_token: for http, require `Authorization: Bearer <token>` on every request.
        allowed_hosts: extra Host header names accepted for http (e.g. a public DNS name).

    Raises:
        ValueError: unknown transport.
    """
    import anyio

    from gex_mcp import _serve

    if transport not in ("stdio", "http"):
        raise ValueError(f"Unknown transport {transport!r}; use 'stdio' or 'http'.")
    mcp = build_server(service)

    async def main() -> None:
        try:
            if transport == "stdio":
                await mcp.run_stdio_async()
            else:
                await _serve.serve_http(mcp, host=host, port=port, bearer_token=bearer_token,
                                        allowed_hosts=allowed_hosts)
        finally:
            with anyio.CancelScope(shield=True):
                await service.aclose()
            logger.info("gex-mcp stopped; data source and cache closed")

    anyio.run(main)
