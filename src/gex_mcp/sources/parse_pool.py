"""Parse snapshot files in worker processes during bulk loads (a universe scan).

Parsing a file holds the GIL for much of its ~16 ms (SPX-sized: 20k rows), so worker
threads parse one file at a time, in turn with the analyses running on the event loop.
Inside `bulk_loads()` (the service opens it for a scan of many symbols from local files)
`ParsePool.load` sends each parse to worker processes instead (`parse_worker`, one per
core, at most four), so parsing and analysis use different cores. A thread waits
for each answer, with the GIL released. The workers start on first bulk use (~0.3 s) and
stop when the last open `bulk_loads()` block closes (an idle worker holds ~60 MB), at
`shutdown()`, or when this process ends. Outside `bulk_loads()`, or when a worker
cannot start or dies, the file is parsed in a worker thread here: a single answer never
waits for a process to start, and a failing worker never fails an answer.
"""

from __future__ import annotations

import contextvars
import logging
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

import anyio
import anyio.to_thread

import gex_mcp
from gex_mcp.engine.chain import OptionChain
from gex_mcp.parsing import load_chain_file

logger = logging.getLogger(__name__)

_BULK: contextvars.ContextVar[bool] = contextvars.ContextVar("gex_bulk_loads", default=False)
_open_blocks = 0  # bulk_loads() blocks open now (all on the event loop's thread)
_pools: weakref.WeakSet[ParsePool] = weakref.WeakSet()
_PACKAGE_ROOT = str(Path(gex_mcp.__file__).resolve().parents[1])  # workers run this very code


@contextmanager
def bulk_loads() -> Iterator[None]:
    """Within this block (and the tasks it starts), `ParsePool.load` uses worker processes;
    when the last open block closes, every pool's workers stop."""
    global _open_blocks
    token = _BULK.set(True)
    _open_blocks += 1
    try:
        yield
    finally:
        _BULK.reset(token)
        _open_blocks -= 1
        if _open_blocks == 0:
            for pool in list(_pools):
                pool.shutdown()


def default_workers() -> int:
    """One worker per core, at most 4: parsing a file costs more than analysing it, so the
    event loop's own share of a core is small."""
    return max(1, min(4, os.cpu_count() or 2))


class _Worker:
    """One `parse_worker` process and its two pipes; one request at a time."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gex_mcp.sources.parse_worker"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._requests = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self._answers = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()

    def parse(self, path: Path) -> OptionChain:
        """Blocking: the worker's chain for `path`, or its exception re-raised.

        Raises:
            EOFError, OSError: the worker has died.
        """
        self._requests.send(str(path))
        status, value = self._answers.recv()
        if status == "error":
            raise value
        return value

    def stop(self) -> None:
        for conn in (self._requests, self._answers):
            conn.close()  # end of input: the worker returns
        try:
            self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ParsePool:
    """Reads chain files: in worker processes inside `bulk_loads()`, else in a thread.

    Args:
        workers: worker processes for bulk loads; 0 never starts any.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._free: anyio.Semaphore | None = None
        self._unavailable = self.workers == 0
        self.spawned = 0  # worker processes started so far
        _pools.add(self)

    @property
    def started(self) -> int:
        """How many worker processes are running."""
        return sum(w.process.poll() is None for w in self._all)

    async def load(self, path: Path) -> OptionChain:
        """The parsed chain of `path` (see `load_chain_file`).

        Raises:
            SourceDataError: the file is missing, unreadable or malformed.
        """
        if _BULK.get() and not self._unavailable:
            if self._free is None:
                self._free = anyio.Semaphore(self.workers)
            async with self._free:
                worker = self._take()
                if worker is not None:
                    try:
                        chain = await anyio.to_thread.run_sync(worker.parse, path)
                    except (EOFError, OSError) as exc:  # it died (killed, out of memory)
                        logger.warning("a chain-parsing worker stopped (%s); parsing %s here",
                                       type(exc).__name__, path.name)
                        self._retire(worker)
                    except BaseException:
                        self._idle.append(worker)  # a parse error: the worker is fine
                        raise
                    else:
                        self._idle.append(worker)
                        return chain
        return await anyio.to_thread.run_sync(load_chain_file, path)

    def shutdown(self) -> None:
        """Stop every worker process; idempotent."""
        workers, self._all, self._idle, self._free = self._all, [], [], None
        for worker in workers:
            worker.stop()

    def _take(self) -> _Worker | None:
        """An idle worker, started if none is (None when workers cannot start here)."""
        if self._idle:
            return self._idle.pop()
        try:
            worker = _Worker()
        except OSError as exc:
            logger.warning("cannot start chain-parsing processes (%s); parsing in threads", exc)
            self._unavailable = True
            return None
        self._all.append(worker)
        self.spawned += 1
        return worker

    def _retire(self, worker: _Worker) -> None:
        self._all.remove(worker)
        worker.stop()


__all__ = ["ParsePool", "bulk_loads", "default_workers"]
