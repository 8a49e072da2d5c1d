"""`gex-mcp watch`: alerts printed as they fire (stdout), under a live status line (stderr).

Each alert is one line: time, symbol, rule, the sentence. The status line shows the tick, each
symbol's spot and regime side (or its error), when the next poll is due and the alert count.
Ctrl-C stops it; `run_watch` returns the watcher so the caller can say what was seen.
"""

from __future__ import annotations

import time

import anyio
from rich.console import Console
from rich.live import Live
from rich.text import Text

from gex_mcp.alerts.watcher import Watcher
from gex_mcp.labels import NEW_YORK
from gex_mcp.models import AlertEvent

_STYLE = {"flip_cross": "bold magenta", "near_wall": "yellow", "net_gex_sign": "cyan",
          "regime_change": "bold cyan", "wall_move": "green"}


def alert_line(alert: AlertEvent) -> Text:
    """One printed alert: `HH:MM:SS SYMBOL rule  message` (time of the snapshot, New York)."""
    line = Text(f"{alert.as_of.astimezone(NEW_YORK):%Y-%m-%d %H:%M:%S} ")
    line.append(f"{alert.symbol:<6}", style="bold")
    line.append(f"{alert.rule:<14}", style=_STYLE.get(alert.rule, ""))
    line.append(alert.message + (" [demo]" if alert.is_demo else ""))
    return line


def status_line(watcher: Watcher, next_in: float) -> Text:
    status = watcher.status()
    parts = []
    for w in status.watching:
        if w.last_error and w.last_spot is None:
            parts.append(f"{w.symbol} error")
        else:
            parts.append(f"{w.symbol} {w.last_spot if w.last_spot is not None else '…'}")
    paused = f" · paused: {status.paused}" if status.paused else ""
    return Text(f"tick {status.ticks} · {' · '.join(parts)} · next in {next_in:.0f}s · "
                f"alerts {status.alerts_fired}{paused} · Ctrl-C to stop", style="dim")


async def run_watch(watcher: Watcher, out: Console, err: Console,
                    max_ticks: int | None = None) -> Watcher:
    """Poll and print until cancelled (or `max_ticks` polls, for tests)."""
    shown: dict[str, str | None] = {}
    with Live(status_line(watcher, 0), console=err, transient=True, auto_refresh=False) as live:
        while max_ticks is None or watcher.ticks < max_ticks:
            for alert in await watcher.tick():
                out.print(alert_line(alert), soft_wrap=True)
            for w in watcher.hub.watches.values():
                if w.last_error and shown.get(w.symbol) != w.last_error:  # each new error once
                    err.print(Text(f"{w.symbol}: {w.last_error}", style="red"), soft_wrap=True)
                shown[w.symbol] = w.last_error
            wait = watcher.interval()
            if watcher.paused():
                wait = min(wait, 60.0)
            due = time.monotonic() + wait
            if max_ticks is not None and watcher.ticks >= max_ticks:
                break
            while (left := due - time.monotonic()) > 0:
                live.update(status_line(watcher, left), refresh=True)
                await anyio.sleep(min(left, 1.0))
    return watcher
