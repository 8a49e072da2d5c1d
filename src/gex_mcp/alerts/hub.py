"""`AlertHub`: the watchlist, the alerts fired (the last `keep` only) and who hears of new ones.

Two kinds of listener: notifiers, awaited with each alert resource URI that changed (the MCP
server's subscriptions), and streams (`listen()`: SSE clients, the terminal), each with a
bounded buffer; a stream that stops reading is closed rather than allowed to grow. Memory is
bounded by `keep` alerts, the watchlist limit and the number of streams, however long it runs.

Alert resources: `gex://alerts` (every symbol) and `gex://{symbol}/alerts`; a new alert
updates both.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from gex_mcp.alerts.rules import RULES, SymbolState
from gex_mcp.endpoints.args import MAX_SCAN_SYMBOLS
from gex_mcp.errors import InputError
from gex_mcp.models import AlertEvent, AlertsResponse, WatchedSymbol
from gex_mcp.sources.base import normalize_symbol

logger = logging.getLogger(__name__)

ALL_ALERTS_URI = "gex://alerts"
DEFAULT_KEEP = 200
MAX_STREAMS = 64
STREAM_BUFFER = 256

Notifier = Callable[[str], Awaitable[None]]


def symbol_alerts_uri(symbol: str) -> str:
    return f"gex://{symbol}/alerts"


@dataclass
class Watch:
    """One watched symbol: what to poll and what the rules remember."""

    symbol: str
    source: str
    rules: frozenset[str]
    state: SymbolState | None = None
    polls: int = 0
    alerts: int = 0
    last_error: str | None = None
    last: dict = field(default_factory=dict)  # as_of, spot of the last answered poll

    def status(self) -> WatchedSymbol:
        return WatchedSymbol(symbol=self.symbol, source=self.source,
                             rules=[r for r in RULES if r in self.rules], polls=self.polls,
                             last_as_of=self.last.get("as_of"), last_spot=self.last.get("spot"),
                             last_error=self.last_error, alerts=self.alerts)


class AlertHub:
    """Watchlist + recent alerts + fan-out. Not thread-safe: use it from one event loop."""

    def __init__(self, *, keep: int = DEFAULT_KEEP, max_symbols: int = MAX_SCAN_SYMBOLS,
                 max_streams: int = MAX_STREAMS) -> None:
        self.keep = keep
        self.max_symbols = max_symbols
        self.max_streams = max_streams
        self.watches: dict[str, Watch] = {}
        self.fired = 0
        self._recent: deque[AlertEvent] = deque(maxlen=keep)
        self._notifiers: list[Notifier] = []
        self._streams: dict[MemoryObjectSendStream[AlertEvent], frozenset[str] | None] = {}

    # ---- the watchlist ------------------------------------------------------------------

    def watch(self, symbols: Iterable[str], source: str, rules: frozenset[str]) -> list[str]:
        """Add (or update the rules and source of) `symbols`; returns them normalised.

        A symbol whose source changes starts again from a baseline.

        Raises:
            UnknownSymbolError: a symbol is not a ticker. InputError: none given, or the
            watchlist would exceed `max_symbols`.
        """
        names = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
        if not names:
            raise InputError("Give one or more symbols to watch, e.g. ['SPY', 'QQQ'].")
        new = [s for s in names if s not in self.watches]
        if len(self.watches) + len(new) > self.max_symbols:
            raise InputError(f"The watchlist holds {len(self.watches)} symbols and the limit is "
                             f"{self.max_symbols}; unwatch some first.")
        for sym in names:
            old = self.watches.get(sym)
            if old is not None and old.source == source:
                old.rules = rules
            else:
                self.watches[sym] = Watch(sym, source, rules)
        return names

    def unwatch(self, symbols: Iterable[str]) -> list[str]:
        """Remove `symbols` (and what the rules remember of them); returns those removed."""
        removed = []
        for raw in symbols:
            sym = normalize_symbol(raw)
            if self.watches.pop(sym, None) is not None:
                removed.append(sym)
        return removed

    # ---- alerts -------------------------------------------------------------------------

    def recent(self, symbol: str | None = None, limit: int | None = None) -> AlertsResponse:
        """The kept alerts, oldest first (of `symbol` when given), at most `limit`."""
        sym = normalize_symbol(symbol) if symbol is not None else None
        alerts = [a for a in self._recent if sym is None or a.symbol == sym]
        if limit is not None:
            alerts = alerts[-limit:] if limit > 0 else []
        return AlertsResponse(symbol=sym, alerts=alerts, kept=self.keep)

    def remember(self, events: Iterable[AlertEvent]) -> None:
        """Keep alerts fired before this process listened (from the fleet's alert log),
        without announcing them."""
        for event in events:
            self._recent.append(event)
            self.fired += 1

    def add_notifier(self, notify: Notifier) -> None:
        """Await `notify(uri)` for each alert resource a new alert changes."""
        self._notifiers.append(notify)

    async def publish(self, events: Iterable[AlertEvent], *, numbered: bool = False) -> list[AlertEvent]:
        """Number, keep and fan out `events`; returns them numbered (`numbered`: they carry
        their fleet-wide number already, `alerts/fleet.py`)."""
        published = []
        for event in events:
            self.fired += 1
            if not numbered:
                event = event.model_copy(update={"id": self.fired})
            self._recent.append(event)
            watch = self.watches.get(event.symbol)
            if watch is not None:
                watch.alerts += 1
            for send, wanted in list(self._streams.items()):
                if wanted is None or event.symbol in wanted:
                    try:
                        send.send_nowait(event)
                    except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                        logger.warning("an alert stream stopped reading; closing it")
                        self._streams.pop(send, None)
                        send.close()
            for uri in (ALL_ALERTS_URI, symbol_alerts_uri(event.symbol)):
                for notify in self._notifiers:
                    try:
                        await notify(uri)
                    except Exception:  # one bad listener must not stop the others or the poller
                        logger.exception("alert notifier failed for %s", uri)
            published.append(event)
        return published

    def open_stream(self, symbols: Iterable[str] | None = None
                    ) -> tuple[MemoryObjectSendStream[AlertEvent], MemoryObjectReceiveStream[AlertEvent]]:
        """A new stream of alerts (of `symbols` when given); close it with `close_stream`.

        Raises:
            InputError: `max_streams` streams are open already.
            UnknownSymbolError: a symbol is not a ticker.
        """
        if len(self._streams) >= self.max_streams:
            raise InputError(f"{self.max_streams} alert streams are open already; close one first.")
        wanted = frozenset(normalize_symbol(s) for s in symbols) if symbols is not None else None
        send, receive = anyio.create_memory_object_stream[AlertEvent](STREAM_BUFFER)
        self._streams[send] = wanted
        return send, receive

    def close_stream(self, send: MemoryObjectSendStream[AlertEvent]) -> None:
        """Stop a stream from `open_stream` (idempotent); its reader sees the end."""
        self._streams.pop(send, None)
        send.close()

    @asynccontextmanager
    async def listen(self, symbols: Iterable[str] | None = None
                     ) -> AsyncIterator[MemoryObjectReceiveStream[AlertEvent]]:
        """`open_stream` for the duration of a block."""
        send, receive = self.open_stream(symbols)
        try:
            yield receive
        finally:
            self.close_stream(send)
            receive.close()

    @property
    def stream_count(self) -> int:
        return len(self._streams)
