"""`OISnapshotStore`: computed snapshots per (symbol, source, as_of), kept in SQLite.

Each snapshot holds per-strike call and put open interest (for day-over-day OI change)
and a small JSON dict of levels and regime (for level history and regime-change alerts):

    history = OISnapshotStore(conn)
    history.record("SPX", "cboe", chain.as_of, strikes, call_oi, put_oi,
                   {"gamma_flip": 5890.0, "call_wall": 6000.0, "put_wall": 5800.0,
                    "net_gex": 1.8e9, "regime": "positive_gamma", "spot": 5931.2})
    previous = history.previous_oi("SPX", "cboe", before=chain.as_of)
    # the engine turns `previous` into OI change: analyze_chain(previous_strike_oi=...)

Symbols and sources are compared exactly: normalise them ("SPX", "cboe") before calling.
Snapshot instants are compared as instants, whatever their UTC offset.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np

from gex_mcp.store.migrations import connection_lock, transaction

DEFAULT_MIN_AGE_HOURS = 12.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ARRAY_DTYPE = np.dtype("<f8")


class OISnapshot(NamedTuple):
    """Per-strike open interest of one stored snapshot; strikes ascending, USD."""

    strikes: np.ndarray
    call_oi: np.ndarray
    put_oi: np.ndarray
    as_of: datetime


class OISnapshotStore:
    """Snapshots of per-strike OI and levels, one per (symbol, source, as_of).

    Args:
        conn: a connection from `open_database`; the caller closes it.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def record(
        self,
        symbol: str,
        source: str,
        as_of: datetime,
        strikes: np.ndarray,
        call_oi: np.ndarray,
        put_oi: np.ndarray,
        levels: dict[str, Any],
    ) -> None:
        """Store one snapshot; recording the same (symbol, source, as_of) again replaces it.

        Args:
            as_of: the chain's snapshot time, timezone-aware.
            strikes: distinct strikes, USD, any order (stored ascending).
            call_oi, put_oi: contracts per strike, aligned with `strikes`.
            levels: JSON-able dict (gamma_flip, call_wall, put_wall, net_gex, regime,
                spot, ...); numpy scalars are accepted, NaN and infinity are not (use None).

        Raises:
            ValueError: naive `as_of`, unequal or non-1-D arrays, duplicate or non-finite
                strikes, a non-finite level, or a level named "as_of".
        """
        as_of_us, strikes, call_oi, put_oi, levels_json = snapshot_row(
            as_of, strikes, call_oi, put_oi, levels)
        with transaction(self._conn) as conn:
            conn.execute(
                "INSERT INTO history_snapshots (symbol, source, as_of_us, as_of, strikes, "
                "call_oi, put_oi, levels) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (symbol, source, as_of_us) DO UPDATE SET as_of = excluded.as_of, "
                "strikes = excluded.strikes, call_oi = excluded.call_oi, "
                "put_oi = excluded.put_oi, levels = excluded.levels",
                (symbol, source, as_of_us, as_of.isoformat(), _blob(strikes), _blob(call_oi),
                 _blob(put_oi), levels_json))

    def previous_oi(
        self,
        symbol: str,
        source: str,
        before: datetime,
        min_age_hours: float = DEFAULT_MIN_AGE_HOURS,
    ) -> OISnapshot | None:
        """The latest snapshot at least `min_age_hours` older than `before`, or None.

        With the default 12 hours and `before` a session's snapshot time, this is the
        last snapshot of an earlier trading day (OI is published once a day, overnight).
        """
        cutoff = epoch_us(before) - int(min_age_hours * 3600 * 1_000_000)
        with connection_lock(self._conn):
            row = self._conn.execute(
                "SELECT strikes, call_oi, put_oi, as_of FROM history_snapshots "
                "WHERE symbol = ? AND source = ? AND as_of_us <= ? "
                "ORDER BY as_of_us DESC LIMIT 1", (symbol, source, cutoff)).fetchone()
        if row is None:
            return None
        strikes, call_oi, put_oi, as_of = row
        return OISnapshot(_array(strikes), _array(call_oi), _array(put_oi),
                          datetime.fromisoformat(as_of))

    def levels_history(
        self,
        symbol: str,
        source: str,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Stored levels, newest first: each dict is the recorded levels plus "as_of".

        Args:
            since: only snapshots at or after this time; None for all.
            limit: at most this many snapshots.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        since_us = -(2**63) if since is None else epoch_us(since)
        with connection_lock(self._conn):
            rows = self._conn.execute(
                "SELECT as_of, levels FROM history_snapshots "
                "WHERE symbol = ? AND source = ? AND as_of_us >= ? "
                "ORDER BY as_of_us DESC LIMIT ?", (symbol, source, since_us, limit)).fetchall()
        return [{"as_of": datetime.fromisoformat(as_of), **json.loads(levels)}
                for as_of, levels in rows]

    def prune(self, before: datetime) -> int:
        """Delete snapshots older than `before`, for every symbol; returns how many."""
        with transaction(self._conn) as conn:
            return conn.execute("DELETE FROM history_snapshots WHERE as_of_us < ?",
                                (epoch_us(before),)).rowcount


def snapshot_row(as_of: datetime, strikes: np.ndarray, call_oi: np.ndarray, put_oi: np.ndarray,
                 levels: dict[str, Any]) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, str]:
    """A snapshot checked and put in stored order: (as_of µs, strikes ascending, call OI,
    put OI, levels as JSON). Raises ValueError as `OISnapshotStore.record` says."""
    as_of_us = epoch_us(as_of)
    strikes = np.asarray(strikes, dtype=np.float64)
    call_oi = np.asarray(call_oi, dtype=np.float64)
    put_oi = np.asarray(put_oi, dtype=np.float64)
    if strikes.ndim != 1 or call_oi.shape != strikes.shape or put_oi.shape != strikes.shape:
        raise ValueError(f"strikes, call_oi and put_oi must be 1-D of one length, got "
                         f"{strikes.shape}, {call_oi.shape}, {put_oi.shape}")
    if not np.all(np.isfinite(strikes)):
        raise ValueError("strikes must be finite")
    order = np.argsort(strikes, kind="stable")
    strikes, call_oi, put_oi = strikes[order], call_oi[order], put_oi[order]
    if np.any(np.diff(strikes) == 0):
        raise ValueError("strikes must be distinct (aggregate OI per strike first)")
    if "as_of" in levels:
        raise ValueError("'as_of' is reserved; pass the snapshot time as as_of")
    levels_json = json.dumps(levels, allow_nan=False, default=_json_default)
    return as_of_us, strikes, call_oi, put_oi, levels_json


def epoch_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _blob(values: np.ndarray) -> bytes:
    return values.astype(_ARRAY_DTYPE, copy=False).tobytes()


def _array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=_ARRAY_DTYPE).astype(np.float64)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"level value {value!r} is not JSON-able")

# for the PostgreSQL store (store/postgres.py), which keeps the same columns
array_blob, blob_array = _blob, _array
