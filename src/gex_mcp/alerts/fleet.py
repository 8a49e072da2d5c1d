"""`FleetAlerts`: one watchlist, one poller and one delivery per alert across replicas that
share a Redis (`GEX_REDIS_URL`), joined by `Watcher.join_fleet` when a server starts.

- A `watch`/`unwatch` on any replica is written to the shared watchlist (and announced, so
  the poller polls at once); before each tick every replica copies the shared watchlist into
  its hub (keeping the rule state of symbols it already watches).
- Only the holder of the poller lease polls (`lease_seconds` = 3 poll intervals, at least
  5 s, renewed each tick); when it dies, another replica takes the lease after it lapses,
  starting its symbols from a new baseline (an alert may be missed then, none is repeated).
- What the poller's rules fire is de-duplicated (one Redis key per symbol, rule and snapshot
  time), numbered fleet-wide, kept in the alert log when PostgreSQL is configured (a replica
  that starts later loads the newest from it) and published on the channel; every replica, the poller too,
  delivers each published alert to its own hub: its `subscriptions/listen` streams,
  `resources/subscribe` sessions and SSE clients.

While Redis is lost the watcher works as a single server does (its own copy of the
watchlist, polling and delivering locally), and rejoins when Redis answers again.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import anyio

from gex_mcp.alerts.hub import AlertHub, Watch
from gex_mcp.models import AlertEvent

if TYPE_CHECKING:
    from gex_mcp.store.redis_alerts import RedisAlertBus

logger = logging.getLogger(__name__)

MIN_LEASE_SECONDS = 5.0


class FleetAlerts:
    """The replica's side of fleet alerts: `bus` (Redis) and the local `hub`."""

    def __init__(self, bus: RedisAlertBus, hub: AlertHub, log: Any = None) -> None:
        self.bus = bus
        self.link = bus.link
        self.hub = hub
        self.log = log  # PostgresAlertLog, when GEX_DATABASE_URL is set too
        self._pending: list[tuple[str, Any]] = []  # watch/unwatch calls not yet written
        self.polling = False

    def usable(self) -> bool:
        return self.link.usable()

    def note_watch(self, symbols: list[str], source: str, rules: frozenset[str]) -> None:
        self._pending.append(("watch", {s: {"source": source, "rules": sorted(rules)} for s in symbols}))

    def note_unwatch(self, symbols: list[str]) -> None:
        self._pending.append(("unwatch", symbols))

    async def before_tick(self, interval: float) -> bool:
        """Write pending watchlist changes, copy the shared watchlist into the hub and renew
        the lease; True when this replica is the poller. Raises the link's errors."""
        while self._pending:
            kind, payload = self._pending[0]
            await (self.bus.watch(payload) if kind == "watch" else self.bus.unwatch(payload))
            self._pending.pop(0)
        shared = await self.bus.watchlist()
        for symbol in [s for s in self.hub.watches if s not in shared]:
            self.hub.watches.pop(symbol, None)
        for symbol, entry in shared.items():
            rules = frozenset(entry["rules"])
            held = self.hub.watches.get(symbol)
            if held is None or held.source != entry["source"]:
                self.hub.watches[symbol] = Watch(symbol, entry["source"], rules)
            else:
                held.rules = rules
        polling = await self.bus.hold_lease(max(3 * interval, MIN_LEASE_SECONDS))
        if polling != self.polling:
            logger.info("this replica %s the fleet's alert poller", "is now" if polling else "is no longer")
            self.polling = polling
        return polling

    async def publish(self, events: list[AlertEvent]) -> None:
        """De-duplicate, number and publish what the rules fired (delivery is `relay`'s)."""
        for event in events:
            number = await self.bus.first(f"{event.symbol}:{event.rule}:{event.as_of.isoformat()}")
            if number is not None:
                text = event.model_copy(update={"id": number}).model_dump_json()
                if self.log is not None:
                    self.log.append(number, event.symbol, event.rule, event.as_of, text)
                await self.bus.publish(text)

    async def relay(self, wake: Any) -> None:
        """Deliver every alert published on the channel to this replica's hub; call `wake()`
        when the watchlist changed. Runs until cancelled; survives Redis outages. First
        loads the newest alerts of the fleet's log (fired before this replica started)."""
        if self.log is not None:
            self.hub.remember(AlertEvent.model_validate_json(text)
                              for text in self.log.newest(self.hub.keep))
        while True:
            if not self.usable():
                await anyio.sleep(self.link.retry_seconds)
                continue
            try:
                async for message in self.bus.messages():
                    self.link.succeeded()
                    if "alert" in message:
                        event = AlertEvent.model_validate(message["alert"])
                        await self.hub.publish([event], numbered=True)
                    elif message.get("watch"):
                        wake()
            except self.link.errors as exc:
                self.link.failed(exc)
            except (ValueError, json.JSONDecodeError):
                logger.exception("unreadable message on the alert channel")


__all__ = ["FleetAlerts"]
