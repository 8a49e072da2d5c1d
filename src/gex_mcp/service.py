"""`GexService`: the one facade that MCP tools, the CLI and (later) REST routes call.

get chain (cache -> source) -> analyse (engine, memoised) -> response model.

Input is checked here first (symbol, expiration, min_oi, watchlist), so every front end
gives the same clear `InputError`. Chain sources (cboe, file, demo) are analysed by our
engine; the flashalpha source returns ready answers, translated by its client and cached
the same way. Every answer carries its provenance: source, as_of, demo and stale flags.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import anyio
import numpy as np

from gex_mcp import responses
from gex_mcp.engine.analysis import ChainAnalysis, analyze_chain
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.engine.chain import OptionChain
from gex_mcp.engine.labels import format_amount
from gex_mcp.engine.prepare import live_strike_oi
from gex_mcp.errors import (
    ConfigError,
    GexError,
    InputError,
    InvalidExpiryError,
    NoDataError,
)
from gex_mcp.models import (
    ChexResponse,
    DexResponse,
    ExpiryBreakdownResponse,
    FlipDistanceResponse,
    GexResponse,
    LevelsResponse,
    OIChangesResponse,
    Provenance,
    RegimeResponse,
    ScanResponse,
    ScanRow,
    SummaryResponse,
    VexResponse,
)
from gex_mcp.sources.base import ChainSource, normalize_symbol
from gex_mcp.store.cache import Cached, ChainCache, chain_key
from gex_mcp.store.serialize import CHAIN_CODEC, model_codec

logger = logging.getLogger(__name__)

T = TypeVar("T")
SOURCE_NAMES = ("cboe", "flashalpha", "file", "demo")
MAX_SCAN_SYMBOLS = 25
DEFAULT_SCAN_CONCURRENCY = 4
DEFAULT_NEAR_WALL_PCT = 1.0
_ANALYSIS_MEMO_SIZE = 32  # an SPX analysis holds ~3 MB of arrays
HISTORY_MIN_INTERVAL_SECONDS = 900.0  # at most one stored snapshot per symbol per 15 minutes
_RESPONSE_MEMO_SIZE = 256
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class EngineParams:
    """Model inputs applied to every chain (from settings)."""

    rate: float = 0.04
    dividend_yield: float = 0.0
    dealer_model: str = "long_calls_short_puts"
    neutral_band_pct: float = 0.25
    flip_range_pct: float = 20.0

    @classmethod
    def from_settings(cls, settings) -> EngineParams:
        return cls(rate=settings.rate, dividend_yield=settings.dividend_yield,
                   dealer_model=settings.dealer_model)


def parse_expiration(expiration: str | None) -> str | None:
    """Validate the format of an expiration argument; returns it as YYYY-MM-DD or None.

    Raises:
        InvalidExpiryError: not a real calendar date in YYYY-MM-DD form.
    """
    if expiration is None or (isinstance(expiration, str) and not expiration.strip()):
        return None
    text = expiration.strip() if isinstance(expiration, str) else ""
    try:
        if not _DATE_RE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidExpiryError(
            f"{str(expiration)[:40]!r} is not an expiration date. Use YYYY-MM-DD, e.g. "
            "'2026-12-18', or leave it out for all expirations.") from None


def check_min_oi(min_oi: int | float) -> int:
    """Raises InputError unless min_oi is a non-negative whole number of contracts."""
    if isinstance(min_oi, bool) or not isinstance(min_oi, (int, float)) or not np.isfinite(min_oi) \
            or min_oi < 0 or min_oi != int(min_oi):
        raise InputError(f"min_oi must be a whole number of contracts >= 0, got {min_oi!r}. "
                         "Use 0 to keep every strike.")
    return int(min_oi)


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class GexService:
    """Answers every question the front ends ask, from one configured data stack.

    Args:
        sources: chain sources by name ("cboe", "file", "demo"); created by the caller.
        default_source: the name used when a call does not choose one.
        cache: the chain/answer cache (memory + SQLite).
        flashalpha: the FlashAlpha client, when a key is configured.
        history: snapshot history, for day-over-day OI change and level history.
        budgets: per-source daily request budgets (RequestBudget), checked before upstream.
        ttl_seconds: how long a fetched chain counts as fresh.
        params: engine parameters (rate, dividend yield, dealer model, bands).
    """

    def __init__(
        self,
        *,
        sources: dict[str, ChainSource],
        default_source: str,
        cache: ChainCache,
        flashalpha: Any | None = None,
        history: Any | None = None,
        budgets: dict[str, Any] | None = None,
        ttl_seconds: float = 60.0,
        params: EngineParams = EngineParams(),
        on_close: Sequence[Callable[[], Awaitable[None] | None]] = (),
    ) -> None:
        self.sources = dict(sources)
        self.default_source = default_source
        self.cache = cache
        self.flashalpha = flashalpha
        self.history = history
        self.budgets = dict(budgets or {})
        self.ttl_seconds = ttl_seconds
        self.params = params
        self._analyses: _LRU = _LRU(_ANALYSIS_MEMO_SIZE)
        self._previous_as_of: _LRU = _LRU(_ANALYSIS_MEMO_SIZE)  # (source, symbol, as_of) -> datetime
        self._answers: _LRU = _LRU(_RESPONSE_MEMO_SIZE)
        self._on_close = list(on_close)

    async def aclose(self) -> None:
        """Close HTTP clients and the database (in the order they were registered)."""
        for close in self._on_close:
            result = close()
            if result is not None:
                await result

    async def __aenter__(self) -> GexService:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    # ---- source selection and fetching -------------------------------------------------

    def resolve_source(self, source: str | None) -> str:
        """The source name a call uses.

        Raises:
            InputError: unknown name. ConfigError: known but not configured.
        """
        name = (source or self.default_source).strip().lower()
        if name not in SOURCE_NAMES:
            raise InputError(f"Unknown source {source!r}. Use one of: {', '.join(SOURCE_NAMES)}.")
        if name == "flashalpha":
            if self.flashalpha is None:
                raise ConfigError("Source flashalpha needs an API key: set FLASHALPHA_API_KEY, "
                                  "or use source cboe (free, no key).")
        elif name not in self.sources:
            hint = " Set GEX_CHAINS_DIR to a folder of chain files." if name == "file" else ""
            raise ConfigError(f"Source {name} is not configured.{hint}")
        return name

    async def _fetch_chain(self, source: str, symbol: str) -> OptionChain:
        budget = self.budgets.get(source)
        if budget is not None:
            budget.check_and_spend()
        chain = await self.sources[source].fetch_chain(symbol)
        if len(chain) == 0:
            raise NoDataError(f"{source} returned an empty option chain for {symbol}. "
                              "The market may be closed for this symbol; try another source.")
        return chain

    async def chain(self, symbol: str, source: str | None = None) -> tuple[OptionChain, Cached, str]:
        """The (possibly cached) chain for a symbol: (chain, cache record, source name)."""
        name = self.resolve_source(source)
        if name == "flashalpha":
            raise InputError("This question needs a raw option chain; FlashAlpha returns ready "
                             "exposures only. Use source cboe, file or demo.")
        sym = normalize_symbol(symbol)
        # A source whose answers depend on its setup (folder, replay time) says so in its tag.
        tag = getattr(self.sources[name], "cache_tag", name)
        cached = await self.cache.get_or_fetch(
            chain_key(tag, sym), lambda: self._fetch_chain(name, sym),
            ttl_seconds=self.ttl_seconds, codec=CHAIN_CODEC)
        return cached.value, cached, name

    # ---- analysis ----------------------------------------------------------------------

    async def analyse(self, symbol: str, *, source: str | None = None,
                      expiration: str | None = None, min_oi: int = 0
                      ) -> tuple[ChainAnalysis, Provenance]:
        """Analysis of one symbol's chain plus the provenance every response carries.

        Raises:
            InputError subclasses for bad arguments, SourceError when the source fails and
            nothing is cached, NoDataError when nothing can be analysed.
        """
        exp = parse_expiration(expiration)
        min_oi = check_min_oi(min_oi)
        chain, cached, name = await self.chain(symbol, source)
        if exp is not None:
            _check_listed(chain, exp)
        key = (name, chain.symbol, cached.fetched_at, exp, min_oi)
        analysis = self._analyses.get(key)
        if analysis is None:
            analysis = self._compute(chain, name, exp, min_oi, record=not cached.stale)
            self._analyses.put(key, analysis)
        return analysis, self._provenance(chain, cached, name, exp)

    def _compute(self, chain: OptionChain, source: str, exp: str | None, min_oi: int,
                 *, record: bool) -> ChainAnalysis:
        previous = None
        # stored snapshots are all-expiry, so they only serve an unfiltered analysis
        if (self.history is not None and exp is None
                and not np.isfinite(chain.prev_open_interest).any()):
            snap = self.history.previous_oi(chain.symbol, source, before=chain.as_of)
            if snap is not None:
                previous = (snap.strikes, snap.call_oi, snap.put_oi)
                self._previous_as_of.put((source, chain.symbol, chain.as_of), snap.as_of)
        p = self.params
        try:
            analysis = analyze_chain(
                chain, rate=p.rate, dividend_yield=p.dividend_yield, dealer_model=p.dealer_model,
                expiration=exp, min_oi=min_oi, flip_range_pct=p.flip_range_pct,
                neutral_band_pct=p.neutral_band_pct, previous_strike_oi=previous)
        except ValueError as exc:  # engine refuses impossible inputs (e.g. spot <= 0)
            raise NoDataError(f"Cannot analyse {chain.symbol} from {source}: {exc}.") from exc
        if analysis.prepared.quality.contracts_used == 0:
            scope = f" expiring {exp}" if exp else ""
            raise NoDataError(
                f"No {chain.symbol} options{scope} with open interest and a usable IV in the "
                f"{source} snapshot of {chain.as_of.isoformat()}"
                + (f" after min_oi={min_oi}" if min_oi else "") + ". Try a lower min_oi or "
                "another expiration.")
        if record and self.history is not None and exp is None and min_oi == 0:
            self._record_history(chain, source, analysis)
        return analysis

    def _record_history(self, chain: OptionChain, source: str, a: ChainAnalysis) -> None:
        """Store per-strike OI and the levels, unless a snapshot under 15 minutes old exists."""
        latest = self.history.levels_history(chain.symbol, source, limit=1)
        if latest and abs((chain.as_of - latest[0]["as_of"]).total_seconds()) < HISTORY_MIN_INTERVAL_SECONDS:
            return
        strikes, call_oi, put_oi = live_strike_oi(chain)
        levels = {"spot": chain.spot, "gamma_flip": a.flip.price, "gamma_flip_status": a.flip.status,
                  "call_wall": a.levels.call_wall, "put_wall": a.levels.put_wall,
                  "net_gex": a.totals["net_gex"], "regime": a.regime.regime}
        try:
            self.history.record(chain.symbol, source, chain.as_of, strikes, call_oi, put_oi, levels)
        except Exception:  # history is a convenience: never fail an answer over it
            logger.exception("could not record history for %s/%s", source, chain.symbol)

    @staticmethod
    def _provenance(chain: OptionChain, cached: Cached, source: str, exp: str | None) -> Provenance:
        return Provenance(
            symbol=chain.symbol, underlying_price=chain.spot, as_of=chain.as_of,
            source=chain.source if source == "file" else source, is_demo=source == "demo",
            stale=cached.stale, stale_age_seconds=round(cached.age_seconds, 1) if cached.stale else None,
            stale_reason=cached.stale_reason, expiration=exp)

    async def _answer(self, endpoint: str, symbol: str, build: Callable[[ChainAnalysis, Provenance], T],
                      *, source: str | None, expiration: str | None = None, min_oi: int = 0) -> T:
        analysis, prov = await self.analyse(symbol, source=source, expiration=expiration, min_oi=min_oi)
        if prov.stale:
            return build(analysis, prov)
        key = (endpoint, id(analysis))
        hit = self._answers.get(key)
        if hit is not None and hit[0] is analysis:
            return hit[1]
        answer = build(analysis, prov)
        self._answers.put(key, (analysis, answer))
        return answer

    async def _flashalpha_call(self, endpoint: str, model: type[T], symbol: str, **params) -> T:
        sym = normalize_symbol(symbol)
        key = ("flashalpha", sym, endpoint, *(f"{k}={v}" for k, v in sorted(params.items())))

        async def fetch():
            budget = self.budgets.get("flashalpha")
            if budget is not None:
                budget.check_and_spend()
            return await getattr(self.flashalpha, endpoint)(sym, **params)

        cached = await self.cache.get_or_fetch(key, fetch, ttl_seconds=self.ttl_seconds,
                                               codec=model_codec(model))
        if not cached.stale:
            return cached.value
        return cached.value.model_copy(update={
            "stale": True, "stale_age_seconds": round(cached.age_seconds, 1),
            "stale_reason": cached.stale_reason})

    # ---- the guide's endpoints ---------------------------------------------------------

    async def gex(self, symbol: str, expiration: str | None = None, min_oi: int = 0,
                  source: str | None = None) -> GexResponse:
        """Per-strike GEX with flip and totals (the guide's /v1/exposure/gex)."""
        if self.resolve_source(source) == "flashalpha":
            exp, mo = parse_expiration(expiration), check_min_oi(min_oi)
            return await self._flashalpha_call("gex", GexResponse, symbol, expiration=exp,
                                               min_oi=mo or None)
        mo = check_min_oi(min_oi)
        return await self._answer("gex", symbol, lambda a, p: responses.gex_response(a, p, mo),
                                  source=source, expiration=expiration, min_oi=mo)

    async def dex(self, symbol: str, expiration: str | None = None, min_oi: int = 0,
                  source: str | None = None) -> DexResponse:
        return await self._greek("dex", DexResponse, responses.dex_response, symbol, expiration,
                                 min_oi, source)

    async def vex(self, symbol: str, expiration: str | None = None, min_oi: int = 0,
                  source: str | None = None) -> VexResponse:
        return await self._greek("vex", VexResponse, responses.vex_response, symbol, expiration,
                                 min_oi, source)

    async def chex(self, symbol: str, expiration: str | None = None, min_oi: int = 0,
                   source: str | None = None) -> ChexResponse:
        return await self._greek("chex", ChexResponse, responses.chex_response, symbol, expiration,
                                 min_oi, source)

    async def _greek(self, endpoint, model, build, symbol, expiration, min_oi, source):
        if self.resolve_source(source) == "flashalpha":
            check_min_oi(min_oi)
            return await self._flashalpha_call(endpoint, model, symbol,
                                               expiration=parse_expiration(expiration))
        return await self._answer(endpoint, symbol, build, source=source, expiration=expiration,
                                  min_oi=min_oi)

    async def levels(self, symbol: str, source: str | None = None) -> LevelsResponse:
        """Flip, walls, max gamma strikes, highest OI and 0DTE magnet."""
        if self.resolve_source(source) == "flashalpha":
            return await self._flashalpha_call("levels", LevelsResponse, symbol)
        return await self._answer("levels", symbol, responses.levels_response, source=source)

    async def summary(self, symbol: str, source: str | None = None) -> SummaryResponse:
        """Regime, totals, interpretation, hedging, expiry breakdown and OI movers."""
        if self.resolve_source(source) == "flashalpha":
            return await self._flashalpha_call("summary", SummaryResponse, symbol)
        return await self._answer("summary", symbol, responses.summary_response, source=source)

    # ---- derived questions (chain sources) ---------------------------------------------

    async def regime(self, symbol: str, source: str | None = None) -> RegimeResponse:
        band = self.params.neutral_band_pct
        return await self._answer("regime", symbol,
                                  lambda a, p: responses.regime_response(a, p, band), source=source)

    async def flip_distance(self, symbol: str, source: str | None = None) -> FlipDistanceResponse:
        return await self._answer("flip_distance", symbol, responses.flip_distance_response,
                                  source=source)

    async def expiry_breakdown(self, symbol: str, source: str | None = None) -> ExpiryBreakdownResponse:
        return await self._answer("expiry_breakdown", symbol, responses.expiry_breakdown_response,
                                  source=source)

    async def oi_changes(self, symbol: str, source: str | None = None) -> OIChangesResponse:
        def build(a: ChainAnalysis, p: Provenance) -> OIChangesResponse:
            if np.isfinite(a.prepared.oi_change).any():
                basis = "open interest change reported by the source"
            else:
                before = self._previous_as_of.get((p.source.split(":")[0], p.symbol, p.as_of))
                basis = ("open interest minus the stored snapshot of "
                         f"{before.isoformat() if before else 'an earlier day'} (GEX_DATA_DIR history)")
            return responses.oi_changes_response(a, p, basis)
        return await self._answer("oi_changes", symbol, build, source=source)

    async def scan(self, symbols: Sequence[str], source: str | None = None, *,
                   near_wall_pct: float = DEFAULT_NEAR_WALL_PCT,
                   concurrency: int = DEFAULT_SCAN_CONCURRENCY) -> ScanResponse:
        """Flip, regime, net GEX and walls for a watchlist, fetched concurrently.

        A symbol that fails gets its error in its row; the scan itself fails only for a
        bad watchlist (empty, too long) or an unknown source.
        """
        if isinstance(symbols, str):
            symbols = [s for s in re.split(r"[,\s]+", symbols) if s]
        symbols = list(dict.fromkeys(s.strip() for s in symbols if s and s.strip()))
        if not symbols:
            raise InputError("The watchlist is empty. Give one or more symbols, e.g. ['SPY', 'QQQ'].")
        if len(symbols) > MAX_SCAN_SYMBOLS:
            raise InputError(f"The watchlist has {len(symbols)} symbols; the limit is "
                             f"{MAX_SCAN_SYMBOLS}. Split it into several scans.")
        if not (0 < near_wall_pct <= 20):
            raise InputError(f"near_wall_pct must be between 0 and 20, got {near_wall_pct!r}.")
        name = self.resolve_source(source)
        rows: list[ScanRow | None] = [None] * len(symbols)
        limiter = anyio.CapacityLimiter(max(1, concurrency))

        async def one(i: int, sym: str) -> None:
            async with limiter:
                rows[i] = await self._scan_row(sym, name, near_wall_pct)

        async with anyio.create_task_group() as tg:
            for i, sym in enumerate(symbols):
                tg.start_soon(one, i, sym)
        done = [r for r in rows if r is not None]
        return ScanResponse(rows=done, near_wall_pct=near_wall_pct,
                            negative_gamma=[r.symbol for r in done if r.gamma_regime == "negative_gamma"],
                            failed=[r.symbol for r in done if r.error])

    async def _scan_row(self, symbol: str, source: str, near_pct: float) -> ScanRow:
        try:
            if source == "flashalpha":
                lv = await self.levels(symbol, source)
                gx = await self.gex(symbol, source=source)
                flip, spot, net = lv.gamma_flip, lv.underlying_price, gx.net_gex
                regime = (None if flip is None else
                          "positive_gamma" if spot > flip else "negative_gamma")
                prov, status, walls = lv, lv.gamma_flip_status, (lv.call_wall, lv.put_wall)
                dist = None if flip is None else (spot - flip) / spot * 100
            else:
                a, prov = await self.analyse(symbol, source=source)
                flip = None if a.flip.price is None else round(a.flip.price, 2)
                spot, net = a.prepared.spot, a.totals["net_gex"]
                regime, status = a.regime.regime, a.flip.status
                walls = (a.levels.call_wall, a.levels.put_wall)
                dist = None if flip is None else round((spot - flip) / spot * 100, 3)
        except GexError as exc:
            return ScanRow(symbol=symbol.strip().upper()[:12], error=f"{type(exc).__name__}: {exc}")
        except Exception:
            logger.exception("scan failed for %s", symbol)
            return ScanRow(symbol=symbol.strip().upper()[:12],
                           error="internal error while analysing this symbol (see the server log)")
        call_wall, put_wall = walls

        def near(level: float | None) -> bool | None:
            return None if level is None else abs(level - spot) / spot * 100 <= near_pct

        return ScanRow(
            symbol=prov.symbol, underlying_price=spot, gamma_flip=flip, gamma_flip_status=status,
            gamma_regime=regime, net_gex=net, net_gex_label=format_amount(net), call_wall=call_wall,
            put_wall=put_wall, distance_to_flip_pct=dist,
            below_flip=None if flip is None else spot < flip,
            near_call_wall=near(call_wall), near_put_wall=near(put_wall), as_of=prov.as_of,
            source=prov.source, is_demo=prov.is_demo, stale=prov.stale)

    async def chart(self, symbol: str, expiration: str | None = None, min_oi: int = 0,
                    source: str | None = None, window_pct: float = 10.0
                    ) -> tuple[bytes, GexResponse, LevelsResponse]:
        """PNG of net GEX by strike with spot, flip and walls, plus the numbers drawn."""
        if not (0 < window_pct <= 50):
            raise InputError(f"window_pct must be between 0 and 50, got {window_pct!r}.")
        gex = await self.gex(symbol, expiration=expiration, min_oi=min_oi, source=source)
        levels = await self.levels(symbol, source=source)
        from gex_mcp.charts import render_gex_chart
        png = await anyio.to_thread.run_sync(
            lambda: render_gex_chart(gex, levels, strikes_window_pct=window_pct))
        return png, gex, levels


def _check_listed(chain: OptionChain, exp: str) -> None:
    listed = chain.expirations
    if exp in listed:
        return
    today = chain.as_of.astimezone(NEW_YORK).date().isoformat()
    if exp < today:
        raise InvalidExpiryError(
            f"Expiration {exp} is in the past for the {chain.symbol} snapshot of {today}. "
            f"Listed expirations start at {listed[0] if listed else 'n/a'}.")
    later = [d for d in listed if d > exp][:3]
    earlier = [d for d in listed if d < exp][-2:]
    nearby = ", ".join(earlier + later) or "none"
    raise InvalidExpiryError(
        f"{chain.symbol} has no options expiring {exp}. Nearest listed: {nearby}.")


def build_service(settings, *, clock: Callable[[], float] = time.time) -> GexService:
    """Wire sources, cache, history and budgets from `Settings` (see settings.py).

    Raises:
        ConfigError: the chosen source is not usable with these settings.
    """
    from gex_mcp.sources.cboe import CboeSource
    from gex_mcp.sources.demo import DemoSource
    from gex_mcp.store.budget import RequestBudget
    from gex_mcp.store.history import HistoryStore
    from gex_mcp.store.migrations import open_database

    if settings.source == "flashalpha" and settings.flashalpha_api_key is None:
        raise ConfigError("GEX_SOURCE is flashalpha but FLASHALPHA_API_KEY is not set. "
                          "Set the key, or use GEX_SOURCE=cboe (free, no key).")
    if settings.source == "file" and settings.chains_dir is None:
        raise ConfigError("GEX_SOURCE is file but GEX_CHAINS_DIR is not set. Point it at a "
                          "folder of CBOE chain files (.csv, .dat or .json).")
    try:
        conn = open_database(settings.data_dir / "gex.db")
    except Exception as exc:
        raise ConfigError(f"Cannot open the data folder {settings.data_dir} ({exc}). Set "
                          "GEX_DATA_DIR to a writable folder.") from exc
    cboe = CboeSource(base_url=settings.cboe_base_url, timeout_seconds=settings.http_timeout,
                      retries=settings.http_retries)
    sources: dict[str, ChainSource] = {"cboe": cboe, "demo": DemoSource()}
    if settings.chains_dir is not None:
        from gex_mcp.sources.file import FileSource
        sources["file"] = FileSource(settings.chains_dir, as_of=settings.file_as_of)
    budgets = {"cboe": RequestBudget(conn, "cboe", settings.cboe_daily_budget, clock=clock)}
    closers: list[Callable[[], Any]] = [cboe.aclose]
    flashalpha = None
    if settings.flashalpha_api_key is not None:
        from gex_mcp.sources.flashalpha import FlashAlphaClient
        fa_budget = RequestBudget(conn, "flashalpha", settings.flashalpha_daily_budget, clock=clock)
        budgets["flashalpha"] = fa_budget
        flashalpha = FlashAlphaClient(
            settings.flashalpha_api_key, base_url=settings.flashalpha_base_url,
            timeout_seconds=settings.http_timeout, retries=settings.http_retries,
            on_rate_limit_headers=lambda limit, remaining, reset: fa_budget.record_upstream_limits(
                remaining, reset))
        closers.append(flashalpha.aclose)
    closers.append(conn.close)
    return GexService(
        sources=sources, default_source=settings.source, cache=ChainCache(conn, clock=clock),
        flashalpha=flashalpha, history=HistoryStore(conn), budgets=budgets,
        ttl_seconds=settings.cache_ttl,
        params=EngineParams.from_settings(settings), on_close=closers)
