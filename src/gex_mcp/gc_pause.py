"""Pausing the garbage collector while long-lived objects are built.

Importing the CLI or the MCP SDK and building the tools' pydantic models make ~10^5
long-lived objects and almost no reference cycles, so collections meanwhile only cost
time (a few hundredths of a second of every start). `gc.freeze()` afterwards moves what was
built out of every later collection. Standard library only: the entry point imports this
before anything else.
"""

from __future__ import annotations

import gc
from collections.abc import Callable


def pause_gc(*, freeze: bool) -> Callable[[], None]:
    """Stop the collector; the function returned restarts it if it was running, after
    `gc.freeze()` when `freeze`."""
    was_running = gc.isenabled()
    gc.disable()

    def resume() -> None:
        if freeze:
            gc.freeze()
        if was_running:
            gc.enable()

    return resume


__all__ = ["pause_gc"]
