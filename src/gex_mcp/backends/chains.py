"""`ChainBackend`: raw option chains (cboe, file, demo) -> cache -> engine -> builder.

An upstream's "no such symbol" is believed for `UNKNOWN_SYMBOL_SECONDS` without asking again,
and "no such symbol" answers spend at most `UNKNOWN_SHARE_FRACTION` of a daily request budget
(past it, their requests are given back): a flood of made-up tickers cannot lock real ones,
known or never fetched before, out until midnight.

One memo: analyses, keyed by (source, symbol, fetch time, expiration, min_oi), each holding
the answers built from it. An answer is rebuilt only when its analysis is (a new fetch, or
the analysis fell out of the memo), and never memoised while the chain is served stale.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np
from cachetools import LRUCache
from pydantic import BaseModel

from gex_mcp.backends.base import Query, stale_flags
from gex_mcp.backends.level_history import (
    LevelHistory,
    PreviousOI,
    no_replay_message,
    previous_snapshot_oi,
)
from gex_mcp.backends.options import EngineParams, Freshness, Stores, cache_tag
from gex_mcp.endpoints import Endpoint
from gex_mcp.engine.analysis import ChainAnalysis, analyze_chain
from gex_mcp.engine.calendar import NEW_YORK, market_open
from gex_mcp.engine.chain import OptionChain
from gex_mcp.engine.prepare import (
    live_strike_oi,
)
from gex_mcp.errors import InputError, InvalidExpiryError, NoDataError, UnknownSymbolError
from gex_mcp.models import Provenance
from gex_mcp.responses import BuildContext
from gex_mcp.responses.notes import reading_notes
from gex_mcp.sources.base import ChainSource
from gex_mcp.store.cache import Cached, ChainCache, chain_key
from gex_mcp.store.serialize import CHAIN_CODEC

logger = logging.getLogger(__name__)

ANALYSIS_MEMO_SIZE = 32  # an SPX analysis holds ~3 MB of arrays
ANSWER_MEMO_SIZE = 4096  # finished answers, a few KB each: a 1000-symbol scan stays warm
UNKNOWN_SYMBOL_SECONDS = 900.0  # how long "no such symbol" is believed without asking again
UNKNOWN_SHARE_FRACTION = 0.1  # of a daily budget, the most "no such symbol" answers spend
PRUNE_EVERY_SECONDS = 3600.0
HISTORY_MIN_INTERVAL_SECONDS = 900.0  # at most one stored snapshot per symbol per 15 minutes


@dataclass
class _Analysed:
    """One analysis with what its answers need, and the answers already built from it."""

    analysis: ChainAnalysis
    context: BuildContext
    answers: dict[tuple, BaseModel] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what changes how to read its answers


class ChainBackend:
    """Answers every "chains" endpoint from raw option chains.

    Args:
        sources: chain sources by name ("cboe", "file", "demo").
        cache: the chain cache (memory + SQLite).
        stores: OI snapshots, level records, budgets and how long to keep them (`Stores`).
        freshness: cache lifetimes, market open and closed (`Freshness`).
        params: engine parameters.
    """

    kind = "chains"

    def __init__(self, sources: Mapping[str, ChainSource], cache: ChainCache, *,
                 stores: Stores | None = None, freshness: Freshness | None = None,
                 params: EngineParams | None = None) -> None:
        stores, freshness = stores or Stores(), freshness or Freshness()
        self.sources = dict(sources)
        self.cache = cache
        self.oi_snapshots = stores.oi_snapshots
        self.budgets = {k: v for k, v in stores.budgets.items() if k in self.sources}
        self.ttl_seconds = freshness.ttl_seconds
        self.closed_ttl_seconds = freshness.closed_ttl_seconds
        self._ttl_minute: tuple[int, float] = (-1, freshness.ttl_seconds)
        self.params = params or EngineParams()
        self._memo: LRUCache[tuple, _Analysed] = LRUCache(ANALYSIS_MEMO_SIZE)
        self._answers: LRUCache[tuple, BaseModel] = LRUCache(ANSWER_MEMO_SIZE)
        self._unknown: dict[tuple[str, str], tuple[float, str]] = {}  # -> (until, message)
        self.history_days = stores.history_days
        self.level_history = LevelHistory(self, stores.levels)
        self._pruned_at = -math.inf
        self._prune()

    async def aclose(self) -> None:
        for source in self.sources.values():
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()

    def symbols(self, source: str) -> list[str] | None:
        """The symbols a source lists (demo, file), or None when it answers any symbol (cboe)."""
        listing = getattr(self.sources.get(source), "symbols", None)
        return None if listing is None else listing()

    def sole_symbol(self, source: str) -> str | None:
        """The one symbol a single-file source holds (parsed once), else None."""
        only = getattr(self.sources.get(source), "sole_symbol", None)
        return None if only is None else only()

    # ---- chains and analyses --------------------------------------------------------------

    async def _fetch(self, source: str, symbol: str, as_of: datetime | None = None) -> OptionChain:
        key = (source, symbol)
        refused = self._unknown.get(key)
        if refused is not None and refused[0] > time.monotonic():
            raise UnknownSymbolError(refused[1])  # asked again too soon: do not spend a request
        shared = self.cache.shared  # another replica's refusal counts too (GEX_REDIS_URL)
        if shared is not None and shared.usable():
            try:
                message = await shared.refusal(f"{source}:{symbol}")
            except shared.errors as exc:
                shared.failed(exc)
            else:
                if message is not None:
                    raise UnknownSymbolError(message)
        budget = self.budgets.get(source)
        if budget is not None:
            budget.check_and_spend()
        try:
            chain = await (self.sources[source].fetch_chain(symbol) if as_of is None else
                           self.sources[source].fetch_chain(symbol, as_of=as_of))  # type: ignore[call-arg]
        except UnknownSymbolError as exc:
            self._unknown[key] = (time.monotonic() + UNKNOWN_SYMBOL_SECONDS, str(exc))
            if budget is not None:
                budget.unknown_answered(max(1, int(budget.daily_limit * UNKNOWN_SHARE_FRACTION)))
            if shared is not None and shared.usable():
                try:
                    await shared.refuse(f"{source}:{symbol}", str(exc), UNKNOWN_SYMBOL_SECONDS)
                except shared.errors as error:
                    shared.failed(error)
            raise
        if len(chain) == 0:
            raise NoDataError(f"{source} returned an empty option chain for {symbol}. "
                              "The market may be closed for this symbol; try another source.")
        return chain

    def current_ttl(self) -> float:
        """The cache lifetime now: `ttl_seconds` in the session, `closed_ttl_seconds` outside."""
        if self.closed_ttl_seconds is None:
            return self.ttl_seconds
        now = self.cache.now()
        minute = int(now // 60)  # the session opens and closes on whole minutes: decide once a minute
        if self._ttl_minute[0] != minute:
            is_open = market_open(datetime.fromtimestamp(now, UTC))
            self._ttl_minute = (minute, self.ttl_seconds if is_open else
                                max(self.ttl_seconds, self.closed_ttl_seconds))
        return self._ttl_minute[1]

    def replayable(self, source: str) -> bool:
        """True when the source can serve a past snapshot (`fetch_chain(as_of=)` and
        `snapshot_times`): file (its snapshot files) and demo (regenerated)."""
        return hasattr(self.sources.get(source), "snapshot_times")

    async def chain(self, symbol: str, source: str,
                    as_of: datetime | None = None) -> tuple[OptionChain, Cached]:
        """The (possibly cached, possibly stale) chain of a normalised symbol; with `as_of`,
        the replayable source's snapshot at or before it (see `replayable`)."""
        tag = cache_tag(self.sources[source]) + ("" if as_of is None else f"@{as_of.isoformat()}")
        # a replayable source (snapshot files, the demo market) is its own durable copy:
        # reading it again costs less than writing every chain to SQLite and decoding it back
        cached = await self.cache.get_or_fetch(
            chain_key(tag, symbol), lambda: self._fetch(source, symbol, as_of),
            ttl_seconds=self.current_ttl(), codec=None if self.replayable(source) else CHAIN_CODEC)
        return cached.value, cached

    async def analyse(self, query: Query) -> tuple[_Analysed, Provenance, datetime]:
        """The memoised analysis for a query, the provenance of this call's answer and when
        its chain was fetched.

        Raises:
            InvalidExpiryError: the expiration is not listed. NoDataError: nothing to analyse.
            SourceError: the source failed and nothing is cached.
        """
        if query.as_of is not None and not self.replayable(query.source):
            raise InputError(no_replay_message(query.source))
        chain, cached = await self.chain(query.symbol, query.source, query.as_of)
        if query.expiration is not None:
            _check_listed(chain, query.expiration)
        key = (query.source, chain.symbol, chain.as_of, cached.fetched_at, query.expiration,
               query.min_oi)
        entry = self._memo.get(key)
        if entry is None:
            previous = None
            if query.expiration is None:
                previous = await previous_snapshot_oi(self.sources[query.source], chain)
            entry = self._compute(chain, query, record=not cached.stale and query.as_of is None,
                                  previous=previous)
            self._memo[key] = entry
        prov = _provenance(chain, cached, query, self.params.dealer_model, entry.notes)
        return entry, prov, cached.fetched_at

    async def answer(self, endpoint: Endpoint, query: Query) -> BaseModel:
        """The answer to `endpoint` for `query`. A fresh answer is kept apart from its
        (large) analysis, keyed by when its chain was fetched: while that chain is fresh in
        the cache the answer is served without loading the chain or analysing it again."""
        stamp = self.cache.fresh_stamp(
            chain_key(cache_tag(self.sources[query.source]), query.symbol),
            ttl_seconds=self.current_ttl())
        if stamp is not None:
            kept = self._answers.get((endpoint.name, query, stamp))
            if kept is not None:
                return kept
        entry, prov, fetched_at = await self.analyse(query)
        context = replace(entry.context, options=dict(query.options)) if query.options else entry.context
        if prov.stale:
            return endpoint.build(entry.analysis, prov, context)
        key = (endpoint.name, query.options)
        answer = entry.answers.get(key)
        if answer is None:
            answer = entry.answers[key] = endpoint.build(entry.analysis, prov, context)
        self._answers[(endpoint.name, query, fetched_at)] = answer
        return answer

    def _compute(self, chain: OptionChain, query: Query, *, record: bool,
                 previous: PreviousOI | None = None) -> _Analysed:
        exp, min_oi, source = query.expiration, query.min_oi, query.source
        previous_as_of = None if previous is None else previous[3]
        expired = None if previous is None else previous[4]
        expired_by_strike = None if previous is None else previous[5]
        previous_from = "GEX_DATA_DIR history"
        if previous is not None:
            previous, previous_from = previous[:3], "the previous snapshot file"
        # stored snapshots are all-expiry, so they only serve an unfiltered analysis
        elif (self.oi_snapshots is not None and exp is None
                and not np.isfinite(chain.prev_open_interest).any()):
            snap = self.oi_snapshots.previous_oi(chain.symbol, source, before=chain.as_of)
            if snap is not None:
                previous = (snap.strikes, snap.call_oi, snap.put_oi)
                previous_as_of = snap.as_of
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
        listing = partial_listing_note(chain)
        if listing is not None:
            analysis.prepared.quality.notes.append(listing)
        # a replayable source (files, the demo) keeps its own past: nothing to store
        if record and exp is None and min_oi == 0 and not self.replayable(source):
            if self.oi_snapshots is not None:
                self._record_history(chain, source, analysis)
            self.level_history.record(chain.symbol, source, analysis)
        return _Analysed(analysis, BuildContext(min_oi=min_oi, neutral_band_pct=p.neutral_band_pct,
                                                previous_oi_as_of=previous_as_of,
                                                previous_oi_from=previous_from,
                                                previous_oi_expired=expired,
                                                previous_oi_expired_by_strike=expired_by_strike,
                                                flip_range_pct=p.flip_range_pct),
                         notes=reading_notes(analysis))

    def _prune(self) -> None:
        """Drop snapshots older than `history_days` (at most once an hour)."""
        now = time.monotonic()
        if self.oi_snapshots is None or self.history_days is None or now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        cutoff = datetime.now(UTC) - timedelta(days=self.history_days)
        try:
            dropped = self.oi_snapshots.prune(cutoff)
        except Exception:  # history is a convenience: never fail an answer over it
            logger.exception("could not prune history")
            return
        if dropped:
            logger.info("pruned %d history snapshots older than %s", dropped, cutoff.date())
        self.level_history.prune(cutoff)

    def _record_history(self, chain: OptionChain, source: str, a: ChainAnalysis) -> None:
        """Store per-strike OI and the levels, unless a snapshot under 15 minutes old exists."""
        assert self.oi_snapshots is not None
        self._prune()
        latest = self.oi_snapshots.levels_history(chain.symbol, source, limit=1)
        if latest and abs((chain.as_of - latest[0]["as_of"]).total_seconds()) < HISTORY_MIN_INTERVAL_SECONDS:
            return
        strikes, call_oi, put_oi = live_strike_oi(chain)
        levels = {"spot": chain.spot, "gamma_flip": a.flip.price, "gamma_flip_status": a.flip.status,
                  "call_wall": a.levels.call_wall, "put_wall": a.levels.put_wall,
                  "net_gex": a.totals["net_gex"], "regime": a.regime.regime}
        try:
            self.oi_snapshots.record(chain.symbol, source, chain.as_of, strikes, call_oi, put_oi, levels)
        except Exception:  # history is a convenience: never fail an answer over it
            logger.exception("could not record history for %s/%s", source, chain.symbol)


PARTIAL_LISTING_DAYS = 60  # a full US listing runs months to years out


def partial_listing_note(chain: OptionChain) -> str | None:
    """A data-quality note when the snapshot holds only some expirations (one month's, a
    single expiry): totals and levels then describe those options, not the whole market."""
    live = np.unique(chain.expiry[chain.live])
    if not len(live):
        return None
    today = np.datetime64(chain.as_of.astimezone(NEW_YORK).date(), "D")
    span_days = int((live.max() - today) / np.timedelta64(1, "D"))
    if len(live) > 3 and span_days >= PARTIAL_LISTING_DAYS:
        return None
    return (f"the snapshot lists only {len(live)} expiration{'s' if len(live) > 1 else ''}, "
            f"through {live.max()}: totals and levels cover those options alone")


def _provenance(chain: OptionChain, cached: Cached, query: Query, dealer_model: str,
                notes: list[str]) -> Provenance:
    return Provenance(
        symbol=chain.symbol, underlying_price=chain.spot, as_of=chain.as_of,
        retrieved_at=chain.retrieved_at, source=chain.source if query.source == "file" else query.source,
        is_demo=query.source == "demo", **stale_flags(cached), expiration=query.expiration,
        dealer_model=dealer_model, notes=list(notes))


def _check_listed(chain: OptionChain, exp: str) -> None:
    """Raise InvalidExpiryError unless options expiring `exp` still trade at the snapshot."""
    listed = chain.expirations
    trading = chain.expiry[chain.live]
    if exp in listed and np.datetime64(exp) in trading:
        return
    if exp in listed:  # listed in the file, but already settled at as_of
        first = str(trading.min()) if len(trading) else "none"
        settled = datetime.fromtimestamp(
            float(chain.settle_time[chain.expiry == np.datetime64(exp)].max()), NEW_YORK)
        raise InvalidExpiryError(
            f"{chain.symbol} options expiring {exp} settled at {settled:%H:%M} New York, before "
            f"this snapshot of {chain.as_of.astimezone(NEW_YORK):%Y-%m-%d %H:%M}. Expirations "
            f"still trading start at {first}.")
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


__all__ = ["ChainBackend", "EngineParams", "cache_tag"]
