"""Level history for `ChainBackend`: where the records behind `history`, `level_accuracy`
and `history_chart` come from.

- Live sources (cboe): each unfiltered analysis leaves a `LevelRecord` in the `LevelStore`,
  at most one per symbol per `LEVEL_RECORD_MIN_SECONDS` (a one-minute poll keeps them all).
- Replayable sources (file: its snapshot files; demo: its market regenerated on an hourly
  grid) are analysed snapshot by snapshot instead, so a folder of files is a history without
  any prior run; records are memoised per (source, symbol, time), and a window replays at
  most `MAX_REPLAY_SNAPSHOTS` (the latest; a note says so).
- OI change for the file source: `previous_snapshot_oi` reads the symbol's previous file
  (12 hours to 10 days older) when the snapshot itself carries no previous OI.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import numpy as np
from cachetools import LRUCache

from gex_mcp.backends.base import Query
from gex_mcp.backends.options import cache_tag
from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import GexError, NoDataError, UnknownSymbolError, describe
from gex_mcp.models.level_record import LevelRecord, level_record

if TYPE_CHECKING:
    from gex_mcp.backends.chains import ChainBackend
    from gex_mcp.engine.analysis import ChainAnalysis
    from gex_mcp.store.levels import LevelStore

logger = logging.getLogger(__name__)

LEVEL_RECORD_MIN_SECONDS = 60.0
PREVIOUS_MIN_AGE = timedelta(hours=12)  # OI is published once a day, overnight
PREVIOUS_MAX_GAP = timedelta(days=10)  # an older file says little about "since yesterday"
PRIOR_LOOKBACK = timedelta(days=10)  # how far back the prior session's close is looked for
REPLAY_MEMO_SIZE = 2048
MAX_REPLAY_SNAPSHOTS = 60  # snapshots analysed per replayed window (~1 s for SPX)
_TICK = timedelta(microseconds=1)

#: (strikes, call OI, put OI, as_of) of an earlier snapshot.
#: (strikes, call OI, put OI, the earlier snapshot's as_of, OI of its contracts that settled
#: before the current snapshot, that OI by strike as {strike: (call, put)}): the per-strike OI
#: sums hold only contracts alive in both
PreviousOI = tuple[np.ndarray, np.ndarray, np.ndarray, datetime, int, dict[float, tuple[int, int]]]

BASIS = {"file": "snapshot_files", "demo": "demo_replay"}


def no_replay_message(source: str) -> str:
    return (f"as_of needs a source that keeps past chains: file (a folder of snapshot files) "
            f"or demo. Source {source} serves only its latest chain; for its past levels use "
            f"levels or regime with as_of, or history and level_accuracy, which read the "
            f"records this server stored.")


async def previous_snapshot_oi(source: Any, chain: OptionChain) -> PreviousOI | None:
    """Per-strike OI of the source's previous snapshot of the symbol (file source), when
    the chain has no previous OI of its own; None when there is none or it cannot be read."""
    times_of = getattr(source, "snapshot_times", None)
    if times_of is None or np.isfinite(chain.prev_open_interest).any():
        return None
    try:
        times = await anyio.to_thread.run_sync(
            times_of, chain.symbol, chain.as_of - PREVIOUS_MAX_GAP, chain.as_of - PREVIOUS_MIN_AGE)
        if not times:
            return None
        earlier = await source.fetch_chain(chain.symbol, as_of=times[-1])
    except UnknownSymbolError:  # no other file of this symbol (e.g. a file named otherwise)
        logger.debug("no previous snapshot of %s", chain.symbol)
        return None
    except GexError as exc:  # OI change is a convenience: never fail an answer over it
        logger.warning("no previous snapshot of %s: %.200s", chain.symbol, describe(exc))
        return None
    return surviving_strike_oi(earlier, chain.as_of)


def surviving_strike_oi(earlier: OptionChain, now: datetime) -> PreviousOI:
    """Per-strike OI of `earlier`'s contracts still unsettled at `now` (so each contract is
    compared with itself), and the OI of those that settled in between (reported apart,
    never as falls): alive = settle_time > as_of, for both snapshots."""
    settle = earlier.settle_time
    alive = settle > earlier.as_of.timestamp()
    oi = np.nan_to_num(earlier.open_interest, nan=0.0)
    still = alive & (settle > now.timestamp())
    strikes, idx = np.unique(earlier.strike[still], return_inverse=True)
    calls = np.bincount(idx, weights=np.where(earlier.is_call[still], oi[still], 0.0), minlength=len(strikes))
    puts = np.bincount(idx, weights=np.where(earlier.is_call[still], 0.0, oi[still]), minlength=len(strikes))
    gone = alive & ~still
    by_strike: dict[float, tuple[int, int]] = {}
    for k, is_call, n in zip(earlier.strike[gone].tolist(), earlier.is_call[gone].tolist(),
                             oi[gone].tolist()):
        c, p = by_strike.get(k, (0, 0))
        by_strike[k] = (c + round(n), p) if is_call else (c, p + round(n))
    expired = int(round(float(oi[gone].sum())))
    return strikes, calls, puts, earlier.as_of, expired, by_strike


class LevelHistory:
    """Records and replays level records for one `ChainBackend`.

    Args:
        backend: the backend whose sources and engine parameters are used.
        store: where live analyses leave records; None keeps none (replay still works).
    """

    def __init__(self, backend: ChainBackend, store: LevelStore | None) -> None:
        self._backend = backend
        self.store = store
        self._last: dict[tuple[str, str], datetime] = {}
        self._memo: LRUCache[tuple, LevelRecord] = LRUCache(REPLAY_MEMO_SIZE)

    # ---- recording ------------------------------------------------------------------------

    def record(self, symbol: str, source: str, analysis: ChainAnalysis) -> None:
        """Store the analysis's record unless one under a minute older exists."""
        if self.store is None:
            return
        as_of = analysis.chain.as_of
        last = self._last.get((symbol, source))
        try:
            if last is None:
                stored = self.store.latest(symbol, source)
                last = stored.as_of if stored is not None else None
            if last is not None and abs((as_of - last).total_seconds()) < LEVEL_RECORD_MIN_SECONDS:
                return
            self.store.record(symbol, source, level_record(analysis))
            self._last[(symbol, source)] = as_of
        except Exception:  # history is a convenience: never fail an answer over it
            logger.exception("could not record levels for %s/%s", source, symbol)

    def prune(self, before: datetime) -> None:
        if self.store is None:
            return
        try:
            self.store.prune(before)
        except Exception:
            logger.exception("could not prune level records")

    # ---- reading --------------------------------------------------------------------------

    def basis(self, source: str) -> str:
        """How a source's history is made: snapshot_files, demo_replay or stored_records."""
        return BASIS.get(source, "snapshot_files") if self._backend.replayable(source) \
            else "stored_records"

    async def latest_time(self, symbol: str, source: str) -> datetime:
        """The time of the newest snapshot (replayable source) or record (store).

        Raises:
            NoDataError: nothing yet, with what to do.
        """
        if self._backend.replayable(source):
            src = self._backend.sources[source]
            times = await anyio.to_thread.run_sync(src.snapshot_times, symbol, None, None)
            if times:
                return times[-1]
            raise NoDataError(f"No {symbol} snapshot from {source} yet.")
        latest = None if self.store is None else self.store.latest(symbol, source)
        if latest is None:
            raise NoDataError(
                f"No stored levels of {symbol} from {source} yet. Each analysis of {symbol} "
                f"(levels, summary, ...) leaves one record, at most one a minute, kept "
                f"GEX_HISTORY_DAYS days; ask again after some, or use source file (a folder "
                f"of snapshot files) or demo.")
        return latest.as_of

    async def records(self, symbol: str, source: str, since: datetime, until: datetime,
                      notes: list[str], *, with_strikes: bool = False) -> list[LevelRecord]:
        """Records with since <= as_of <= until, oldest first; replay problems go to `notes`."""
        if not self._backend.replayable(source):
            if self.store is None:
                return []
            return self.store.records(symbol, source, since=since, until=until,
                                      with_strikes=with_strikes)
        src = self._backend.sources[source]
        times = await anyio.to_thread.run_sync(src.snapshot_times, symbol, since, until)
        if len(times) > MAX_REPLAY_SNAPSHOTS:
            notes.append(f"{len(times)} snapshots in the window; the latest {MAX_REPLAY_SNAPSHOTS} "
                         f"(from {times[-MAX_REPLAY_SNAPSHOTS].isoformat()}) were analysed. Give "
                         "fewer days for the rest.")
            times = times[-MAX_REPLAY_SNAPSHOTS:]
        return await self._replay(symbol, source, times, notes)

    async def before(self, symbol: str, source: str, moment: datetime,
                     notes: list[str]) -> LevelRecord | None:
        """The last record before `moment` (within PRIOR_LOOKBACK), or None."""
        if not self._backend.replayable(source):
            if self.store is None:
                return None
            found = self.store.latest(symbol, source, at_or_before=moment - _TICK)
            return found if found is not None and moment - found.as_of <= PRIOR_LOOKBACK else None
        src = self._backend.sources[source]
        times = await anyio.to_thread.run_sync(
            src.snapshot_times, symbol, moment - PRIOR_LOOKBACK, moment - _TICK)
        found = await self._replay(symbol, source, times[-1:], notes)
        return found[-1] if found else None

    async def record_at(self, symbol: str, source: str, moment: datetime) -> LevelRecord | None:
        """The stored record at or before `moment` (live sources), or None."""
        return None if self.store is None else self.store.latest(symbol, source, at_or_before=moment)

    async def _replay(self, symbol: str, source: str, times: Sequence[datetime],
                      notes: list[str]) -> list[LevelRecord]:
        backend = self._backend
        src = backend.sources[source]
        tag = cache_tag(src)
        out = []
        started = time.perf_counter()
        for moment in times:
            key = (tag, symbol, moment)
            rec = self._memo.get(key)
            if rec is None:
                try:
                    chain = await src.fetch_chain(symbol, as_of=moment)
                    entry = await anyio.to_thread.run_sync(
                        lambda c=chain: backend._compute(c, Query(symbol, source), record=False))
                except GexError as exc:
                    notes.append(f"snapshot {moment.isoformat()} skipped: {exc}")
                    continue
                rec = self._memo[key] = level_record(entry.analysis)
            out.append(rec)
        logger.debug("replayed %d %s snapshots of %s in %.2f s", len(out), source, symbol,
                     time.perf_counter() - started)
        return out


__all__ = ["BASIS", "LevelHistory", "PreviousOI", "no_replay_message", "previous_snapshot_oi"]
