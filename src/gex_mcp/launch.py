"""The `gex-mcp` command's entry point: the CLI imported with the garbage collector paused.

Importing the CLI (typer, pydantic models, numpy, the endpoint table) creates ~10^5
long-lived objects and almost no reference cycles, so collections during the import only
cost time (a few hundredths of a second of every command's start). `gc.freeze()` then moves
those objects out of every later collection. `serve` pauses it again while it imports the
MCP SDK and builds the server (`cli._pause_gc`).
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    try:
        from gex_mcp.cli import main as run
    finally:
        gc.freeze()
        gc.enable()
    run()


__all__ = ["main"]
