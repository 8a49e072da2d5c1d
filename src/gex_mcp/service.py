"""`GexService`: the one facade that MCP tools, the CLI and (later) REST routes call.

    check input -> pick the backend for the source -> backend.answer(endpoint, query)

Every endpoint of the table (`gex_mcp.endpoints`) is answered by `call(name, **arguments)`;
the analysis endpoints also appear as methods (`service.gex(...)`, `service.levels(...)`)
generated from the table. Input is checked here first (source, expiration, min_oi, symbol,
watchlist), so every front end gives the same clear `InputError`. The backend is chosen by
source name: cboe, file and demo go to `ChainBackend` (our engine), flashalpha to
`FlashAlphaBackend` (translated answers); this module never branches on which it holds.
Every answer carries its provenance: source, as_of, demo and stale flags.

`build_service(settings)` builds one from settings (the wiring is `backends/assembly.py`).
"""

from __future__ import annotations

import inspect
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import BaseModel

from gex_mcp import responses
from gex_mcp.backends.base import Backend, Query
from gex_mcp.backends.chains import ChainBackend
from gex_mcp.backends.options import EngineParams, Freshness, Stores
from gex_mcp.endpoints import ENDPOINTS, Endpoint, endpoint
from gex_mcp.endpoints.args import (
    DEFAULT_CHART_WINDOW_PCT,
    DEFAULT_HISTORY_DAYS,
    DEFAULT_NEAR_WALL_PCT,
    LOCAL_SOURCES,
    MAX_CHART_WINDOW_PCT,
    MAX_LOCAL_SCAN_SYMBOLS,
    MAX_NEAR_WALL_PCT,
    MAX_SCAN_SYMBOLS,
    argument_checker,
)
from gex_mcp.endpoints.checks import check_min_oi, parse_expiration
from gex_mcp.engine.calendar import check_supported
from gex_mcp.errors import ConfigError, GexError, InputError, describe
from gex_mcp.models import SOURCE_NAMES, ScanResponse, ScanRow
from gex_mcp.responses.age import aged
from gex_mcp.sources.base import LIQUID_SYMBOLS, ChainSource, normalize_symbol
from gex_mcp.sources.parse_pool import bulk_loads
from gex_mcp.store.cache import ChainCache

if TYPE_CHECKING:
    from gex_mcp.settings import Settings
    from gex_mcp.sources.flashalpha import FlashAlphaClient
    from gex_mcp.store.budget import BudgetStatus

logger = logging.getLogger(__name__)

DEFAULT_SCAN_CONCURRENCY = 4
MAX_PROGRESS_REPORTS = 100  # a 1,000-symbol scan reports every 10 symbols
BULK_SCAN_SYMBOLS = 64  # from here a scan of local files parses them in worker processes
Progress = Callable[[int, int], Awaitable[None]]  # (done, total)
_NOT_CONFIGURED = {
    "flashalpha": "Source flashalpha needs an API key: set FLASHALPHA_API_KEY, "
                  "or use source cboe (free, no key).",
    "file": "Source file is not configured. Set GEX_CHAINS_DIR to a folder of chain files.",
}

__all__ = ["ENDPOINTS", "MAX_LOCAL_SCAN_SYMBOLS", "MAX_SCAN_SYMBOLS", "argument_checker", "ChartImage",
           "Endpoint", "EngineParams", "GexService", "build_service", "check_min_oi",
           "check_supported", "normalize_symbol", "parse_expiration"]


@dataclass(frozen=True)
class ChartImage:
    """A rendered chart: PNG bytes, the numbers it draws and a one-line caption."""

    png: bytes
    info: BaseModel
    caption: str = ""


class GexService:
    """Answers every question the front ends ask, from one configured data stack.

    Args:
        sources: chain sources by name ("cboe", "file", "demo"); created by the caller.
        default_source: the name used when a call does not choose one.
        cache: the chain/answer cache (memory + SQLite).
        params: engine parameters (rate, dividend yield, dealer model, bands).
        freshness: cache lifetimes, market open and closed (`Freshness`).
        stores: OI snapshots, level records, daily budgets and how long they are kept, and
            what replicas share (`Stores.shared`).
        flashalpha: the FlashAlpha client, when a key is configured.
        on_close: called after the backends close (e.g. the database's close).
    """

    def __init__(
        self,
        *,
        sources: dict[str, ChainSource],
        default_source: str,
        cache: ChainCache,
        params: EngineParams | None = None,
        freshness: Freshness | None = None,
        stores: Stores | None = None,
        flashalpha: FlashAlphaClient | None = None,
        on_close: Sequence[Callable[[], Awaitable[None] | None]] = (),
    ) -> None:
        stores, freshness = stores or Stores(), freshness or Freshness()
        self.default_source = default_source
        self.ttl_seconds = freshness.ttl_seconds
        self.params = params = params or EngineParams()
        self._chains = ChainBackend(sources, cache, stores=stores, freshness=freshness, params=params)
        self._backends: dict[str, Backend] = {name: self._chains for name in sources}
        self._budget_fa = stores.budgets.get("flashalpha") if flashalpha is not None else None
        if flashalpha is not None:
            from gex_mcp.backends.flashalpha import FlashAlphaBackend

            self._backends["flashalpha"] = FlashAlphaBackend(
                flashalpha, cache, budget=self._budget_fa, ttl_seconds=freshness.ttl_seconds,
                neutral_band_pct=params.neutral_band_pct)
        self._on_close = list(on_close)
        self.shared = stores.shared
        self._checkers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        self._clock = cache.now
        self._kinds: dict[str, Callable[..., Awaitable[Any]]] = {
            "chart": self.chart, "history_chart": self.history_chart}  # the PNG kinds

    async def aclose(self) -> None:
        """Close the backends' HTTP clients, then what `on_close` lists (e.g. the database)."""
        for backend in dict.fromkeys(self._backends.values()):
            await backend.aclose()
        for close in self._on_close:
            result = close()
            if result is not None:
                await result

    async def __aenter__(self) -> GexService:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ---- input -------------------------------------------------------------------------

    def resolve_source(self, source: str | None) -> str:
        """The source name a call uses.

        Raises:
            InputError: unknown name. ConfigError: known but not configured.
        """
        name = (source or self.default_source).strip().lower()
        if name not in SOURCE_NAMES:
            raise InputError(f"Unknown source {source!r}. Use one of: {', '.join(SOURCE_NAMES)}.")
        if name not in self._backends:
            raise ConfigError(_NOT_CONFIGURED.get(name, f"Source {name} is not configured."))
        return name

    def default_symbol(self) -> str | None:
        """The symbol of the default source when it holds only one (a `--chain FILE`), else None."""
        return self._chains.sole_symbol(self.default_source)

    def health(self) -> dict[str, Any]:
        """Shared stores for /health: {} when none, else e.g. {"redis": "ok" | "degraded"}."""
        return {} if self.shared is None else self.shared.health()

    def budgets(self) -> list[BudgetStatus]:
        """Today's use of each upstream's local daily budget (nothing is spent)."""
        return [budget.status() for budget in self._chains.budgets.values()] + (
            [self._budget_fa.status()] if self._budget_fa is not None else [])

    def listed_symbols(self, source: str | None = None) -> list[str] | None:
        """The symbols a source lists (demo, file); None when it answers any symbol.

        Raises:
            InputError, ConfigError: see `resolve_source`.
        """
        name = self.resolve_source(source)
        return self._chains.symbols(name) if name in self._chains.sources else None

    def symbol_candidates(self, prefix: str = "", source: str | None = None) -> list[str]:
        """Symbols worth suggesting for `prefix` (case-insensitive): those the source lists
        (demo, file), else a built-in list of liquid names and indexes (cboe, flashalpha)."""
        try:
            name = self.resolve_source(source)
        except GexError:
            return []
        listed = self._chains.symbols(name) if name in self._chains.sources else None
        if not prefix.isascii():  # no look-alike folding ("ſ" is not "S"), as in normalize_symbol
            return []
        wanted = prefix.strip().upper().lstrip("^_")
        return [s for s in (listed if listed is not None else LIQUID_SYMBOLS) if s.startswith(wanted)]

    def now(self) -> float:
        """The service's clock, Unix seconds (tests inject a fake through the cache)."""
        return self._clock()

    def refresh_seconds(self) -> float:
        """How long a fetched chain stays fresh now (the cache TTL, longer while the market
        is closed): how often a watcher polls."""
        return self._chains.current_ttl()

    def _backend_for(self, ep: Endpoint, source: str) -> Backend:
        backend = self._backends[source]
        if backend.kind not in ep.backends:
            raise InputError("This question needs a raw option chain; FlashAlpha returns ready "
                             "exposures only. Use source cboe, file or demo.")
        return backend

    # ---- the endpoints -----------------------------------------------------------------

    async def call(self, name: str, *, progress: Progress | None = None,
                   max_symbols: int | None = None, **arguments: Any) -> Any:
        """Answer endpoint `name` of the table with its (service) arguments.

        `progress(done, total)` is awaited as a long call (a scan) advances; `max_symbols`
        overrides a scan's watchlist limit (see `scan`).

        Raises:
            InputError: an argument is unknown or out of range (one sentence saying which).
        """
        ep = endpoint(name)
        checker = self._checkers.get(name)
        if checker is None:
            checker = self._checkers[name] = argument_checker(name, ep.service_args)
        arguments = checker(arguments)
        if ep.kind == "scan":
            return await self.scan(**arguments, progress=progress, max_symbols=max_symbols)
        if ep.kind == "history":
            return await self._history(name, **arguments)
        if ep.kind == "analysis":
            return await self.answer(name, **arguments)
        if ep.kind == "complex":
            return await self.complex(**arguments)
        if ep.kind == "basket":
            return await self.basket(**arguments)
        return await self._kinds[ep.kind](**arguments)

    # ---- history -----------------------------------------------------------------------

    def _history_source(self, source: str | None) -> str:
        name = self.resolve_source(source)
        if name not in self._chains.sources:
            raise InputError("Level history is kept for sources cboe, file and demo; FlashAlpha "
                             "answers only the present. Use source cboe, file or demo.")
        return name

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def history(self, symbol: str, days: int = DEFAULT_HISTORY_DAYS,
                      since: str | None = None, interval: str = "auto",
                      source: str | None = None, as_of: str | None = None) -> BaseModel:
        """The level series of one symbol (see `gex_mcp.backends.history_answers`)."""
        return await self._history("history", symbol, days, since, interval, source, as_of)

    async def level_accuracy(self, symbol: str, days: int = DEFAULT_HISTORY_DAYS,
                             since: str | None = None, source: str | None = None,
                             as_of: str | None = None) -> BaseModel:
        """How the prior closes' walls and flip held, session by session."""
        return await self._history("level_accuracy", symbol, days, since, "auto", source, as_of)

    async def _history(self, name: str, symbol: str, days: int = DEFAULT_HISTORY_DAYS,
                       since: str | None = None, interval: str = "auto",
                       source: str | None = None, as_of: str | None = None) -> BaseModel:
        from gex_mcp.backends.history_answers import history_answer

        return await history_answer(
            self._chains, endpoint(name), symbol=symbol, source=self._history_source(source), days=days,
            since=since, as_of=as_of, now=self._now(), interval=interval)

    async def history_chart(self, symbol: str, days: int = DEFAULT_HISTORY_DAYS,
                            since: str | None = None, interval: str = "auto",
                            source: str | None = None, as_of: str | None = None) -> ChartImage:
        """PNG of spot, flip and walls over the history window, plus the numbers."""
        from gex_mcp.backends.history_answers import history_chart

        png, info = await history_chart(
            self._chains, symbol=symbol, source=self._history_source(source), days=days,
            since=since, as_of=as_of, now=self._now(), interval=interval)
        return ChartImage(png, info, f"{info.symbol} {info.points} points from "
                                     f"{info.since:%Y-%m-%d} to {info.until:%Y-%m-%d} ({info.basis})")

    async def answer(self, name: str, symbol: str, *, source: str | None = None,
                     expiration: str | None = None, min_oi: int = 0, as_of: str | None = None,
                     **options: Any) -> BaseModel:
        """The answer of analysis endpoint `name` for one symbol; `options` are the
        endpoint's own arguments (e.g. `range_pct` of profile).

        With `as_of`, the answer at or before that time: file and demo analyse their snapshot
        of then; cboe keeps no past chains and answers levels and regime from its stored
        level record (other endpoints: InputError saying so); FlashAlpha refuses.

        Raises:
            InputError subclasses for bad arguments, SourceError when the source fails and
            nothing is cached, NoDataError when nothing can be analysed.
        """
        ep = endpoint(name)
        src = self.resolve_source(source)
        exp, least_oi = parse_expiration(expiration), check_min_oi(min_oi)
        backend = self._backend_for(ep, src)
        moment = None
        if as_of is not None:
            from gex_mcp.backends.history_answers import past_moment, record_answer

            moment = past_moment(as_of, "as_of", self._now(), end_of_day=True)
        if moment is not None:
            if src not in self._chains.sources:
                raise InputError("as_of needs source cboe, file or demo; FlashAlpha answers only "
                                 "the present.")
            if not self._chains.replayable(src):
                return aged(await record_answer(self._chains, ep, symbol=symbol, source=src,
                                                expiration=exp, moment=moment), self._clock(), moment)
        frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
        answer = await backend.answer(ep, Query(normalize_symbol(symbol), src, exp, least_oi, frozen,
                                                as_of=moment))
        return aged(answer, self._clock(), moment or self._replay_time(src))

    def _replay_time(self, source: str) -> datetime | None:
        """The time a replaying source answers for (GEX_FILE_AS_OF), else None (the present)."""
        when = getattr(self._chains.sources.get(source), "as_of", None)
        return when if isinstance(when, datetime) else None

    async def scan(self, symbols: Sequence[str] | str, source: str | None = None, *,
                   near_wall_pct: float = DEFAULT_NEAR_WALL_PCT,
                   concurrency: int = DEFAULT_SCAN_CONCURRENCY,
                   progress: Progress | None = None,
                   max_symbols: int | None = None, as_of: str | None = None) -> ScanResponse:
        """Flip, regime, net GEX and walls for a watchlist, fetched concurrently; with
        `as_of`, each symbol's answer at or before that time (as `answer` replays).

        Each row comes from the symbol's levels and regime answers, so every backend gives
        the same regime rule. A symbol that fails gets its error in its row; the scan
        itself fails only for a bad watchlist (empty, too long) or an unknown source.

        At most MAX_SCAN_SYMBOLS symbols from a network source (each costs an upstream
        request from a daily budget), MAX_LOCAL_SCAN_SYMBOLS from file or demo; `max_symbols`
        overrides both (the CLI: a person at a terminal who asked for it).
        """
        if isinstance(symbols, str):
            symbols = [s for s in re.split(r"[,\s]+", symbols) if s]
        symbols = list(dict.fromkeys(s.strip() for s in symbols if s and s.strip()))
        if not symbols:
            raise InputError("The watchlist is empty. Give one or more symbols, e.g. ['SPY', 'QQQ'].")
        if not (0 < near_wall_pct <= MAX_NEAR_WALL_PCT):
            raise InputError(f"near_wall_pct must be between 0 and {MAX_NEAR_WALL_PCT:g}, "
                             f"got {near_wall_pct!r}.")
        name = self.resolve_source(source)
        if as_of is not None:  # a bad time fails the scan once, not every row
            from gex_mcp.backends.history_answers import past_moment

            past_moment(as_of, "as_of", self._now(), end_of_day=True)
        local = name in LOCAL_SOURCES
        limit = max_symbols or (MAX_LOCAL_SCAN_SYMBOLS if local else MAX_SCAN_SYMBOLS)
        if len(symbols) > limit:
            more = "" if local or max_symbols else (
                f" (source {name} fetches each one upstream; file and demo allow "
                f"{MAX_LOCAL_SCAN_SYMBOLS})")
            raise InputError(f"The watchlist has {len(symbols)} symbols; the limit is "
                             f"{limit}{more}. Split it into several scans.")
        rows: list[ScanRow | None] = [None] * len(symbols)
        limiter = anyio.CapacityLimiter(max(1, concurrency))

        finished = 0
        step = math.ceil(len(symbols) / MAX_PROGRESS_REPORTS)  # 1 up to 100 symbols

        async def one(i: int, sym: str) -> None:
            nonlocal finished
            async with limiter:
                rows[i] = await self._scan_row(sym, name, near_wall_pct, as_of)
            finished += 1
            if progress is not None and (finished % step == 0 or finished == len(symbols)):
                await progress(finished, len(symbols))

        # many local files: parse them in worker processes while this one analyses
        bulk = bulk_loads() if local and len(symbols) >= BULK_SCAN_SYMBOLS else nullcontext()
        with bulk:
            async with anyio.create_task_group() as tg:
                for i, sym in enumerate(symbols):
                    tg.start_soon(one, i, sym)
        done = [r for r in rows if r is not None]
        times = [r.as_of.timestamp() for r in done if r.as_of is not None]
        return ScanResponse(rows=done, near_wall_pct=near_wall_pct,
                            as_of_spread_seconds=round(max(times) - min(times), 1) if times else None,
                            negative_gamma=[r.symbol for r in done if r.gamma_regime == "negative_gamma"],
                            failed=[r.symbol for r in done if r.error])

    async def _scan_row(self, symbol: str, source: str, near_pct: float,
                        as_of: str | None = None) -> ScanRow:
        try:
            levels = await self.answer("levels", symbol, source=source, as_of=as_of)
            regime = await self.answer("regime", symbol, source=source, as_of=as_of)
        except GexError as exc:
            return ScanRow(symbol=_row_name(symbol), error=describe(exc))
        except Exception:
            logger.exception("scan failed for %s", symbol)
            return ScanRow(symbol=_row_name(symbol),
                           error="internal error while analysing this symbol (see the server log)")
        return responses.scan_row(levels, regime, near_pct)

    async def complex(self, symbol: str, source: str | None = None,
                      as_of: str | None = None) -> BaseModel:
        """An index and its ETF/mini siblings as one book (see `gex_mcp.backends.complex`)."""
        from gex_mcp.backends.complex import complex_answer
        from gex_mcp.backends.history_answers import past_moment

        src = self.resolve_source(source)
        answer = await complex_answer(self._chains, symbol, src, as_of, now=self._now())
        moment = past_moment(as_of, "as_of", self._now(), end_of_day=True)
        return aged(answer, self._clock(), moment or self._replay_time(src))

    async def basket(self, symbols: Sequence[str], weights: Sequence[float] | None = None,
                     source: str | None = None, as_of: str | None = None) -> BaseModel:
        """A weighted watchlist as one book from each member's summary (see
        `gex_mcp.backends.basket`)."""
        from gex_mcp.backends.basket import basket_answer

        src = self.resolve_source(source)
        return await basket_answer(lambda s: self.answer("summary", s, source=src, as_of=as_of),
                                   symbols, weights, src)

    async def chart(self, symbol: str, expiration: str | None = None, min_oi: int = 0,
                    source: str | None = None, window_pct: float = DEFAULT_CHART_WINDOW_PCT,
                    oi_overlay: bool = False, as_of: str | None = None) -> ChartImage:
        """PNG of net GEX by strike with spot, flip and walls, plus the numbers drawn.

        Levels and regime come from the same expiration filter as the bars.
        """
        if not (0 < window_pct <= MAX_CHART_WINDOW_PCT):
            raise InputError(f"window_pct must be between 0 and {MAX_CHART_WINDOW_PCT:g}, "
                             f"got {window_pct!r}.")
        gex = await self.answer("gex", symbol, expiration=expiration, min_oi=min_oi, source=source,
                                as_of=as_of)
        levels = await self.answer("levels", symbol, source=source, expiration=expiration, as_of=as_of)
        regime = await self.answer("regime", symbol, source=source, expiration=expiration, as_of=as_of)
        from gex_mcp.charts.gex import render_gex_chart

        png = await anyio.to_thread.run_sync(lambda: render_gex_chart(
            gex, levels, strikes_window_pct=window_pct, regime=regime.gamma_regime,
            oi_overlay=oi_overlay))
        info = responses.chart_info(gex, levels, regime, window_pct)
        flip = "n/a" if info.gamma_flip is None else f"{info.gamma_flip:.2f}"
        notes = "".join(f" Note: {n}" for n in info.notes)
        return ChartImage(png, info, f"{info.symbol} net GEX {info.net_gex_label}, flip {flip}.{notes}")


def _row_name(symbol: str) -> str:
    """A failed scan row's symbol: upper-cased only when ASCII, so "ſpy" is not shown as SPY."""
    text = symbol.strip()
    return (text.upper() if text.isascii() else text)[:12]


def _endpoint_method(ep: Endpoint) -> Callable[..., Awaitable[BaseModel]]:
    """`service.<name>(symbol, ...)`: the endpoint with its arguments in table order."""
    names = [a.name for a in ep.service_args]

    async def method(self: GexService, *args: Any, **kwargs: Any) -> BaseModel:
        if len(args) > len(names):
            raise TypeError(f"{ep.name}() takes at most {len(names)} positional arguments")
        return await self.answer(ep.name, **dict(zip(names, args)), **kwargs)

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(a.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 default=inspect.Parameter.empty if a.required else a.default)
               for a in ep.service_args]
    method.__signature__ = inspect.Signature(params, return_annotation=ep.response)  # type: ignore[attr-defined]
    method.__name__ = method.__qualname__ = ep.name
    method.__doc__ = ep.description[0]
    return method


for _ep in ENDPOINTS:
    if _ep.kind == "analysis":
        setattr(GexService, _ep.name, _endpoint_method(_ep))


def build_service(settings: Settings, *, chain_file: Path | None = None,
                  clock: Callable[[], float] = time.time,
                  snapshot_time: datetime | None = None) -> GexService:
    """The service `settings` describe (see `backends/assembly.py` for the wiring).

    Raises:
        ConfigError: the chosen source is not usable with these settings.
    """
    from gex_mcp.backends.assembly import assemble

    return GexService(**assemble(settings, chain_file=chain_file, clock=clock,
                                 snapshot_time=snapshot_time))
