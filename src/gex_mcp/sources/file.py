"""The `file` source: option chains from a folder of CBOE downloads (GEX_CHAINS_DIR).

Files: `*.csv` (quote table), `*.dat` (legacy quote table) and `*.json` (delayed quotes),
directly in the folder (not in sub-folders; hidden files ignored). The format is sniffed
from the content by `gex_mcp.parsing`, so the extension only selects candidates.

How a file is identified, cheaply:

* Name pattern `cboe_<format>_<SYMBOL>_<YYYY-MM-DD>[anything].<ext>` (the names used in
  `shared/chains`, e.g. `cboe_quotedata_SPX_2023-09-14.csv`): the symbol and the date come
  from the name and nothing is read. The date is taken to be the snapshot's New York
  calendar date; until the file is read, `SnapshotInfo.as_of` is the start of that day
  and `as_of_exact` is False.
* Any other name: the file is parsed once to learn its symbol and exact time; the result
  is cached by path, size and modification time. A file that does not parse is skipped
  (listed in `skipped` and named in the "no snapshot" error), never fatal for the others.

Choosing a snapshot: the newest for the symbol; with `as_of`, the newest whose time is at
or before `as_of`. Days named before `as_of`'s New York date qualify without reading them;
files named on that very day, and several files sharing the winning day, are read to
compare their exact times. The folder listing is kept while the folder's modification time
is unchanged and for at most `LISTING_MAX_AGE_SECONDS` (a file rewritten in place does not
touch its folder), so new files show up at once and a 500-symbol scan lists it a few times,
not a thousand.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path

import anyio.to_thread

from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import ConfigError, GexError, NoDataError, UnknownSymbolError
from gex_mcp.parsing import load_chain_file
from gex_mcp.sources.base import normalize_symbol
from gex_mcp.sources.parse_pool import ParsePool

logger = logging.getLogger(__name__)

SNAPSHOT_SUFFIXES = frozenset({".csv", ".dat", ".json"})
LISTING_MAX_AGE_SECONDS = 2.0
_NAME_RE = re.compile(
    r"^cboe_(?:quotedata|legacy|delayed)_(?P<symbol>[A-Za-z^_][A-Za-z0-9.]{0,10})_"
    r"(?P<day>\d{4}-\d{2}-\d{2})(?![0-9])")


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot file, as identified without (or before) reading it.

    Attributes:
        symbol: normalised underlying ("SPX").
        as_of: snapshot time; the start of the named New York day when `as_of_exact` is False.
        path: the file.
        as_of_exact: True once the time comes from the file's content.
    """

    symbol: str
    as_of: datetime
    path: Path
    as_of_exact: bool = False

    @property
    def day(self) -> date:
        """New York calendar date of the snapshot."""
        return self.as_of.astimezone(NEW_YORK).date()


@dataclass
class _Listing:
    """The folder's snapshots as last listed, and where each path sits in `infos`."""

    mtime_ns: int
    listed_at: float  # time.monotonic()
    infos: list[SnapshotInfo]
    index: dict[Path, int]


@dataclass(frozen=True)
class _Stamp:
    size: int
    mtime_ns: int


class FileSource:
    """Chains from a folder of snapshot files, newest first (optionally as of a time).

    Args:
        directory: the folder (GEX_CHAINS_DIR).
        as_of: default cut-off: serve the newest snapshot at or before this time
            (timezone-aware). None serves the newest.

    Raises:
        ConfigError: the folder does not exist or is not a folder.
        ValueError: `as_of` is naive.
    """

    name = "file"

    def __init__(self, directory: Path | str, *, as_of: datetime | None = None) -> None:
        self.directory = Path(directory).expanduser()
        self.as_of = _aware(as_of)
        self.skipped: dict[Path, str] = {}
        self._content_cache: dict[Path, tuple[_Stamp, SnapshotInfo]] = {}
        self._listing: _Listing | None = None
        self._listing_lock = threading.RLock()  # files are read in worker threads
        self._parser = ParsePool()
        self._check_directory()

    def __repr__(self) -> str:
        return f"FileSource(directory={str(self.directory)!r}, as_of={self.as_of!r})"

    @property
    def cache_tag(self) -> str:
        """Cache identity: another folder or replay time must not share cached chains."""
        when = self.as_of.isoformat() if self.as_of else "latest"
        return f"file:{self._resolved}@{when}"

    @cached_property
    def _resolved(self) -> Path:
        """The folder, resolved when first asked (every answer asks for the cache tag)."""
        return self.directory.resolve()

    # -- public ---------------------------------------------------------------------------

    def symbols(self) -> list[str]:
        """The symbols some snapshot file holds, sorted."""
        return sorted({info.symbol for info in self._scan()})

    def list_snapshots(self, symbol: str | None = None) -> list[SnapshotInfo]:
        """Every identifiable snapshot (of `symbol` when given), by symbol, then time.

        Raises:
            ConfigError: the folder has gone.
            UnknownSymbolError: `symbol` is not a ticker.
        """
        wanted = normalize_symbol(symbol) if symbol is not None else None
        infos = [i for i in self._scan() if wanted is None or i.symbol == wanted]
        return sorted(infos, key=lambda i: (i.symbol, i.as_of, i.path.name))

    async def fetch_chain(self, symbol: str, *, as_of: datetime | None = None) -> OptionChain:
        """The newest snapshot of `symbol`, at or before `as_of` (default: the instance's).

        Files are read off the event loop: in a worker thread, or in worker processes
        inside `parse_pool.bulk_loads()` (a scan of many symbols).

        Raises:
            UnknownSymbolError: no file holds `symbol` (the message lists those that do).
            NoDataError: files exist for `symbol`, but none at or before `as_of`.
            SourceDataError: the chosen file does not parse (the message names it).
            ConfigError: the folder has gone.
        """
        sym = normalize_symbol(symbol)
        cutoff = _aware(as_of) if as_of is not None else self.as_of
        chosen, chain = await anyio.to_thread.run_sync(self._choose, sym, cutoff)
        if chain is None:
            chain = await self._parser.load(chosen.path)
            self._remember(chosen.path, chain)
        if len(chain) == 0:
            raise NoDataError(f"{chosen.path.name} holds no options for {sym}. "
                              "Use another snapshot, or --source cboe.")
        return chain

    async def aclose(self) -> None:
        """Stop the parsing processes, if a bulk load started them."""
        self._parser.shutdown()

    def snapshot_times(self, symbol: str, since: datetime | None = None,
                       until: datetime | None = None) -> list[datetime]:
        """Exact times of `symbol`'s snapshots with since <= t <= until (until capped at the
        instance's `as_of`), ascending. Files named by date alone are read once to learn
        their time (then remembered by path, size and modification time).

        Raises:
            UnknownSymbolError: no file holds `symbol`. ConfigError: the folder has gone.
            SourceDataError: a candidate file does not parse.
        """
        sym = normalize_symbol(symbol)
        if self.as_of is not None:
            until = self.as_of if until is None else min(until, self.as_of)
        infos = self._scan()
        candidates = [i for i in infos if i.symbol == sym]
        if not candidates:
            raise self._unknown(sym, infos)
        slack = timedelta(days=1)  # a file's named day may differ from its content's date
        lo = None if since is None else (since - slack).astimezone(NEW_YORK).date()
        hi = None if until is None else (until + slack).astimezone(NEW_YORK).date()
        times = set()
        for info in candidates:
            if (lo is not None and info.day < lo) or (hi is not None and info.day > hi):
                continue
            moment = info.as_of if info.as_of_exact else self._read(info.path).as_of
            if (since is None or moment >= since) and (until is None or moment <= until):
                times.add(moment)
        return sorted(times)

    # -- selection ------------------------------------------------------------------------

    def _choose(self, sym: str, cutoff: datetime | None) -> tuple[SnapshotInfo, OptionChain | None]:
        """The snapshot to serve, and its chain when choosing it meant reading it (several
        files on one day, or files named on the cut-off's day)."""
        infos = self._scan()
        candidates = [i for i in infos if i.symbol == sym]
        if not candidates:
            raise self._unknown(sym, infos)
        loaded: dict[Path, OptionChain] = {}

        def exact(info: SnapshotInfo) -> datetime:
            if info.as_of_exact:
                return info.as_of
            if info.path not in loaded:
                loaded[info.path] = self._read(info.path)
            return loaded[info.path].as_of

        cutoff_day = cutoff.astimezone(NEW_YORK).date() if cutoff is not None else None
        days = sorted({i.day for i in candidates}, reverse=True)
        for day in days:
            if cutoff_day is not None and day > cutoff_day:
                continue
            group = sorted((i for i in candidates if i.day == day), key=lambda i: i.path.name)
            needs_times = len(group) > 1 or day == cutoff_day
            if needs_times:
                timed = [(exact(i), i.path.name, i) for i in group]
                if cutoff is not None:
                    timed = [t for t in timed if t[0] <= cutoff]
                if not timed:
                    continue
                chosen = max(timed, key=lambda t: (t[0], t[1]))[2]
            else:
                chosen = group[0]
            return chosen, loaded.get(chosen.path)
        earliest = min(candidates, key=lambda i: i.as_of)
        assert cutoff is not None
        raise NoDataError(
            f"No snapshot of {sym!r} at or before {cutoff.isoformat()} in {self.directory}; "
            f"the earliest is {earliest.path.name}. Use a later as_of, or add older files.")

    def _read(self, path: Path) -> OptionChain:
        chain = load_chain_file(path)  # SourceDataError naming the file on bad content
        self._remember(path, chain)
        return chain

    def _unknown(self, sym: str, infos: list[SnapshotInfo]) -> UnknownSymbolError:
        present = sorted({i.symbol for i in infos})
        listed = ", ".join(present) if present else "none"
        skipped = ""
        if self.skipped:
            names = ", ".join(sorted(p.name for p in self.skipped)[:5])
            skipped = f" ({len(self.skipped)} unreadable file(s) skipped: {names})"
        return UnknownSymbolError(
            f"No snapshot of {sym!r} in {self.directory}{skipped}. Symbols present: {listed}. "
            f"Use one of those, or add a file named cboe_quotedata_{sym}_YYYY-MM-DD.csv.")

    # -- identification -------------------------------------------------------------------

    def _check_directory(self) -> None:
        if not self.directory.exists():
            raise ConfigError(
                f"GEX_CHAINS_DIR {self.directory} does not exist. Point it at a folder of "
                "CBOE chain files (.csv, .dat, .json), or use source demo.")
        if not self.directory.is_dir():
            raise ConfigError(
                f"GEX_CHAINS_DIR {self.directory} is not a folder. Point it at a folder of "
                "CBOE chain files (.csv, .dat, .json), or use source demo.")

    def _scan(self) -> list[SnapshotInfo]:
        """The identifiable snapshots in the folder (see the module docstring for when the
        folder is listed again)."""
        try:
            mtime = self.directory.stat().st_mtime_ns
        except OSError:
            mtime = -1  # gone or unreadable: `_list` says which
        with self._listing_lock:
            kept = self._listing
            if (kept is not None and kept.mtime_ns == mtime
                    and clock.monotonic() - kept.listed_at < LISTING_MAX_AGE_SECONDS):
                return kept.infos
            infos = self._list()
            self._listing = _Listing(mtime, clock.monotonic(), infos,
                                     {info.path: i for i, info in enumerate(infos)})
            return infos

    def _list(self) -> list[SnapshotInfo]:
        self._check_directory()
        infos = []
        seen: set[Path] = set()
        try:
            entries = sorted(os.scandir(self.directory), key=lambda e: e.name)
        except OSError as exc:
            raise ConfigError(f"GEX_CHAINS_DIR {self.directory} cannot be listed "
                              f"({exc.strerror or exc}). Check its permissions.") from None
        for entry in entries:
            path = Path(entry.path)
            if (entry.name.startswith(".") or path.suffix.lower() not in SNAPSHOT_SUFFIXES
                    or not entry.is_file()):
                continue
            seen.add(path)
            info = self._identify(path, entry.stat())
            if info is not None:
                infos.append(info)
        for gone in set(self._content_cache) - seen:
            del self._content_cache[gone]
        for gone in set(self.skipped) - seen:
            del self.skipped[gone]
        return infos

    def _identify(self, path: Path, stat: os.stat_result) -> SnapshotInfo | None:
        stamp = _Stamp(stat.st_size, stat.st_mtime_ns)
        cached = self._content_cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        by_name = _from_name(path)
        if by_name is not None:
            return by_name
        try:
            chain = load_chain_file(path)
        except GexError as exc:
            if self.skipped.get(path) != str(exc):
                logger.warning("skipping %s: %s", path.name, exc)
            self.skipped[path] = str(exc)
            return None
        self.skipped.pop(path, None)
        return self._remember(path, chain, stamp)

    def _remember(self, path: Path, chain: OptionChain,
                  stamp: _Stamp | None = None) -> SnapshotInfo:
        if stamp is None:
            stat = path.stat()
            stamp = _Stamp(stat.st_size, stat.st_mtime_ns)
        by_name = _from_name(path)
        symbol = by_name.symbol if by_name is not None else normalize_symbol(chain.symbol)
        info = SnapshotInfo(symbol=symbol, as_of=chain.as_of, path=path, as_of_exact=True)
        with self._listing_lock:
            self._content_cache[path] = (stamp, info)
            listing = self._listing
            if listing is not None and path in listing.index:  # its exact time, from now on
                listing.infos[listing.index[path]] = info
        return info


def _from_name(path: Path) -> SnapshotInfo | None:
    match = _NAME_RE.match(path.name)
    if match is None:
        return None
    try:
        symbol = normalize_symbol(match["symbol"])
        day = date.fromisoformat(match["day"])
    except (UnknownSymbolError, ValueError):
        return None
    return SnapshotInfo(symbol=symbol, as_of=datetime.combine(day, time(0, 0), NEW_YORK),
                        path=path)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError("as_of must be timezone-aware, e.g. 2023-09-14T16:00:00-04:00")
    return moment
