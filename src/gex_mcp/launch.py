"""The `gex-mcp` command's entry point: the CLI imported with the garbage collector paused,
and OpenBLAS held to one thread unless the environment says otherwise.

The engine makes no BLAS call (its sums are `einsum`s), so OpenBLAS's worker threads would
only spin up beside the main thread: they doubled the CPU time of importing numpy (0.17 ->
0.08 s) and, on a busy 2-core machine, contended with the event loop and the parsing workers.
`OPENBLAS_NUM_THREADS` must be set before numpy is first imported, hence here.

Importing the CLI (typer, pydantic models, numpy, the endpoint table) creates ~10^5
long-lived objects and almost no reference cycles, so collections during the import only
cost time (a few hundredths of a second of every command's start). `gc.freeze()` then moves
those objects out of every later collection. `serve` pauses it again while it imports the
MCP SDK and builds the server (`cli._pause_gc`).
"""

from __future__ import annotations

import os

from gex_mcp.gc_pause import pause_gc


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # also inherited by parsing workers
    resume = pause_gc(freeze=True)
    try:
        from gex_mcp.cli import main as run
    finally:
        resume()
    run()


__all__ = ["main"]
