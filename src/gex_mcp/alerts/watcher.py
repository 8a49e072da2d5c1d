"""`Watcher`: the one background poller of a server (or of `gex-mcp watch`).

Every `every` seconds (default: the cache TTL, so each poll finds a fresh chain) it asks the
service for each watched symbol's levels and regime, through the normal service path (cache,
single-flight, budgets and stale-on-error all apply), turns them into an `Observation`, runs
the rules (`rules.check`) on snapshots it has not seen yet and publishes what fires to the
`AlertHub`. Live sources (cboe, flashalpha) are not polled outside market hours
(`engine.calendar.market_open`); the demo and file sources always are. A failing symbol keeps
its error in its status and never stops the poller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import anyio

from gex_mcp.alerts.hub import ALL_ALERTS_URI, AlertHub, Watch, symbol_alerts_uri
from gex_mcp.alerts.rules import Observation, RuleConfig, check, parse_rules
from gex_mcp.engine.calendar import market_open
from gex_mcp.errors import GexError, InputError, describe
from gex_mcp.models import AlertEvent, WatchlistResponse
from gex_mcp.sources.base import normalize_symbol

logger = logging.getLogger(__name__)

LIVE_SOURCES = frozenset({"cboe", "flashalpha"})
MIN_EVERY_SECONDS = 0.05
PAUSED_RECHECK_SECONDS = 60.0  # while paused, look at the clock this often


class Watcher:
    """Polls the hub's watchlist through `service` and publishes alerts to the hub.

    Args:
        service: the `GexService` answering levels and regime.
        hub: where the watchlist lives and alerts go (a new one when None).
        every: seconds between polls; None follows the service's cache TTL.
        config: rule thresholds.
        clock: Unix seconds, for market hours; default the service's clock.
    """

    def __init__(self, service: Any, hub: AlertHub | None = None, *, every: float | None = None,
                 config: RuleConfig | None = None, clock: Callable[[], float] | None = None) -> None:
        if every is not None and not every >= MIN_EVERY_SECONDS:
            raise InputError(f"The poll interval must be at least {MIN_EVERY_SECONDS} seconds, "
                             f"got {every!r}.")
        self.service = service
        self.hub = hub or AlertHub()
        self.every = every
        self.config = config or RuleConfig()
        self.clock = clock or service.now
        self.ticks = 0
        self._last_interval: float | None = None
        self._wake = anyio.Event()  # set by watch(): poll now, so new symbols get a baseline
        self.fleet: Any = None  # FleetAlerts, when replicas share a Redis (join_fleet)

    def join_fleet(self) -> bool:
        """Share the watchlist, the polling and the alerts with the other replicas on the
        service's Redis (`alerts/fleet.py`); False when none is configured."""
        shared = getattr(self.service, "shared", None)
        if shared is None or shared.redis is None:
            return False
        from gex_mcp.alerts.fleet import FleetAlerts
        from gex_mcp.store.redis_alerts import RedisAlertBus

        log = None
        if shared.database is not None:
            from gex_mcp.store.postgres import PostgresAlertLog

            log = PostgresAlertLog(shared.database)
        self.fleet = FleetAlerts(RedisAlertBus(shared.redis), self.hub, log)
        return True

    # ---- the watchlist (MCP tools, CLI) ----------------------------------------------------

    def watch(self, symbols: Sequence[str] | str, rules: Sequence[str] | str | None = None,
              source: str | None = None) -> WatchlistResponse:
        """Add symbols with rules (all when None) on `source` (the default when None).

        Raises:
            InputError: unknown rule or source, a bad symbol, an empty or too long list.
            ConfigError: the source is not configured.
        """
        wanted = parse_rules(rules)
        name = self.service.resolve_source(source)
        names = self.hub.watch(_symbols(symbols), name, wanted)
        if self.fleet is not None:
            self.fleet.note_watch(names, name, wanted)
        self._wake.set()
        return self.status()

    def unwatch(self, symbols: Sequence[str] | str) -> WatchlistResponse:
        """Remove symbols (those not watched are ignored)."""
        removed = self.hub.unwatch(_symbols(symbols))
        if self.fleet is not None:
            self.fleet.note_unwatch(removed or [normalize_symbol(s) for s in _symbols(symbols)])
            self._wake.set()
        return self.status()

    def interval(self) -> float:
        """Seconds to the next poll."""
        return self.every if self.every is not None else max(self.service.refresh_seconds(),
                                                             MIN_EVERY_SECONDS)

    def paused(self) -> str | None:
        """Why nothing is polled now, when every watched symbol is on a live source and the
        market is closed."""
        watches = list(self.hub.watches.values())
        if watches and all(w.source in LIVE_SOURCES for w in watches) and not self._market_open():
            return "market closed: live sources are polled in regular hours only"
        return None

    def status(self) -> WatchlistResponse:
        watching = [w.status() for w in self.hub.watches.values()]
        return WatchlistResponse(
            watching=watching, poll_every_seconds=self._last_interval or self.every,
            paused=self.paused(), ticks=self.ticks, alerts_fired=self.hub.fired,
            resources=[ALL_ALERTS_URI] + [symbol_alerts_uri(w.symbol) for w in watching])

    # ---- polling ------------------------------------------------------------------------

    def _market_open(self) -> bool:
        return market_open(datetime.fromtimestamp(self.clock(), UTC))

    async def tick(self) -> list[AlertEvent]:
        """Poll every watched symbol once; returns the alerts published (in a fleet: only
        its poller polls, and alerts are delivered through Redis, `alerts/fleet.py`)."""
        self.ticks += 1
        fleet = self.fleet if self.fleet is not None and self.fleet.usable() else None
        if fleet is not None:
            try:
                if not await fleet.before_tick(self.interval()):
                    return []
            except fleet.link.errors as exc:
                fleet.link.failed(exc)
                fleet = None
        is_open = self._market_open()
        fired: list[AlertEvent] = []
        for watch in list(self.hub.watches.values()):
            if watch.source in LIVE_SOURCES and not is_open:
                continue
            fired += await self._poll(watch)
        if fleet is not None:
            try:
                await fleet.publish(fired)
                return fired
            except fleet.link.errors as exc:
                fleet.link.failed(exc)
        return await self.hub.publish(fired)

    async def _poll(self, watch: Watch) -> list[AlertEvent]:
        try:
            obs, stale = await observe(self.service, watch.symbol, watch.source)
        except GexError as exc:
            watch.last_error = describe(exc)
            return []
        except Exception:  # a bug: log it, keep polling the others
            logger.exception("polling %s failed unexpectedly", watch.symbol)
            watch.last_error = "internal error while polling (see the server log)"
            return []
        if self.hub.watches.get(watch.symbol) is not watch:
            return []  # unwatched (or re-watched) while this poll ran
        watch.polls += 1
        watch.last_error = stale
        if watch.state is not None and watch.last.get("as_of") == obs.as_of:
            return []  # the same snapshot again: nothing new to judge
        watch.last = {"as_of": obs.as_of, "spot": obs.spot}
        events, watch.state = check(watch.state, obs, self.config, watch.rules)
        return events

    async def run(self) -> None:
        """Poll until cancelled: a tick, then wait `interval()` (rechecking the clock at
        least every minute while paused); `watch()` cuts the wait short. In a fleet, the
        alerts published by any replica are delivered here meanwhile."""
        if self.fleet is not None:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self.fleet.relay, lambda: self._wake.set())
                await self._loop()
        else:
            await self._loop()

    async def _loop(self) -> None:
        while True:
            self._wake = anyio.Event()
            try:
                await self.tick()
            except Exception:  # never let the server's poller die
                logger.exception("alert poll failed")
            self._last_interval = self.interval()
            wait = self._last_interval
            if self.paused():
                wait = min(wait, PAUSED_RECHECK_SECONDS)
            with anyio.move_on_after(wait):
                await self._wake.wait()


async def observe(service: Any, symbol: str, source: str) -> tuple[Observation, str | None]:
    """The rules' view of `symbol` now: levels and regime of one snapshot, and why it is
    stale when it is (served from cache after a source failure)."""
    for _ in range(2):
        levels = await service.answer("levels", symbol, source=source)
        regime = await service.answer("regime", symbol, source=source)
        if regime.as_of == levels.as_of:
            break  # else the chain was refreshed between the two answers: ask again
    obs = Observation(symbol=levels.symbol, as_of=levels.as_of, spot=levels.underlying_price,
                      flip=levels.gamma_flip, call_wall=levels.call_wall, put_wall=levels.put_wall,
                      net_gex=regime.net_gex, regime=regime.gamma_regime, source=levels.source,
                      is_demo=levels.is_demo)
    stale = f"stale: {levels.stale_reason}" if levels.stale else None
    return obs, stale


def _symbols(symbols: Sequence[str] | str) -> list[str]:
    if isinstance(symbols, str):
        return [s for s in symbols.replace(",", " ").split() if s]
    return [s for s in symbols if isinstance(s, str) and s.strip()] or list(symbols)
