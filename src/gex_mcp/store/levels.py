"""`LevelStore`: the level records (`history.record.LevelRecord`) per (symbol, source, as_of).

The interface is the `LevelStore` protocol; `SqliteLevelStore` keeps records in the embedded
SQLite database (table `level_records`, migration 4), so a server database can replace it
behind the same four methods:

    store = SqliteLevelStore(conn)
    store.record("SPY", "cboe", level_record(analysis))
    store.records("SPY", "cboe", since=..., until=...)   # ascending by time
    store.latest("SPY", "cboe", at_or_before=...)        # or None
    store.prune(before=...)

One row per snapshot: the scalars as JSON (~600 bytes) and the per-strike net GEX (strikes
within ±25% of spot) as two zlib-compressed arrays: strikes as float32 (exact for strikes on
a 1/64 USD grid below 100,000), net GEX as int16 steps of max|net GEX| / 32767 (a float32
scale first), so each value is within 1/65534 of the largest one.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import datetime
from typing import Protocol

import numpy as np

from gex_mcp.models.level_record import LevelRecord
from gex_mcp.store.migrations import connection_lock, transaction
from gex_mcp.store.oi_snapshots import epoch_us

_FLOAT32 = np.dtype("<f4")
_INT16 = np.dtype("<i2")
_INT16_MAX = 32767
_NO_LIMIT = 2**63 - 1


class LevelStore(Protocol):
    """Where level records live; every method takes normalised symbol and source names."""

    def record(self, symbol: str, source: str, record: LevelRecord) -> None:
        """Store one record; the same (symbol, source, as_of) again replaces it."""
        ...

    def records(self, symbol: str, source: str, *, since: datetime | None = None,
                until: datetime | None = None, with_strikes: bool = False) -> list[LevelRecord]:
        """Records with since <= as_of <= until, oldest first (per-strike arrays only
        with `with_strikes`)."""
        ...

    def latest(self, symbol: str, source: str, *,
               at_or_before: datetime | None = None) -> LevelRecord | None:
        """The newest record, or the newest at or before a time; None when there is none."""
        ...

    def prune(self, before: datetime) -> int:
        """Delete records older than `before`, for every symbol; returns how many."""
        ...


class SqliteLevelStore:
    """`LevelStore` on a connection from `open_database` (the caller closes it)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def record(self, symbol: str, source: str, record: LevelRecord) -> None:
        """Raises ValueError for a naive as_of, a non-finite scalar, or arrays of unequal length."""
        with transaction(self._conn) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO level_records (symbol, source, as_of_us, as_of, record, "
                "strikes, net_gex) VALUES (?, ?, ?, ?, ?, ?, ?)", (symbol, source, *level_row(record)))

    def records(self, symbol: str, source: str, *, since: datetime | None = None,
                until: datetime | None = None, with_strikes: bool = False) -> list[LevelRecord]:
        lo = -_NO_LIMIT if since is None else epoch_us(since)
        hi = _NO_LIMIT if until is None else epoch_us(until)
        columns = "as_of, record" + (", strikes, net_gex" if with_strikes else "")
        with connection_lock(self._conn):
            rows = self._conn.execute(
                f"SELECT {columns} FROM level_records WHERE symbol = ? AND source = ? "
                "AND as_of_us BETWEEN ? AND ? ORDER BY as_of_us", (symbol, source, lo, hi)).fetchall()
        return [_record(row) for row in rows]

    def latest(self, symbol: str, source: str, *,
               at_or_before: datetime | None = None) -> LevelRecord | None:
        hi = _NO_LIMIT if at_or_before is None else epoch_us(at_or_before)
        with connection_lock(self._conn):
            row = self._conn.execute(
                "SELECT as_of, record, strikes, net_gex FROM level_records WHERE symbol = ? "
                "AND source = ? AND as_of_us <= ? ORDER BY as_of_us DESC LIMIT 1",
                (symbol, source, hi)).fetchone()
        return None if row is None else _record(row)

    def prune(self, before: datetime) -> int:
        with transaction(self._conn) as conn:
            return conn.execute("DELETE FROM level_records WHERE as_of_us < ?",
                                (epoch_us(before),)).rowcount


def level_row(record: LevelRecord) -> tuple[int, str, str, bytes, bytes]:
    """The stored columns of a record: (as_of µs, as_of ISO, scalars JSON, packed strikes,
    packed net GEX). Raises ValueError as `SqliteLevelStore.record` says."""
    strikes = np.asarray(record.strikes, dtype=np.float64)
    net = np.asarray(record.net_gex_by_strike, dtype=np.float64)
    if strikes.shape != net.shape or strikes.ndim != 1:
        raise ValueError(f"strikes and net_gex_by_strike must be 1-D of one length, got "
                         f"{strikes.shape} and {net.shape}")
    order = np.argsort(strikes, kind="stable")
    return (epoch_us(record.as_of), record.as_of.isoformat(),
            json.dumps(record.scalars(), allow_nan=False), _pack_strikes(strikes[order]),
            _pack_net(net[order]))


def _pack_strikes(strikes: np.ndarray) -> bytes:
    return zlib.compress(strikes.astype(_FLOAT32).tobytes(), 6)


def _unpack_strikes(blob: bytes) -> np.ndarray:
    return np.frombuffer(zlib.decompress(blob), dtype=_FLOAT32).astype(np.float64)


def _pack_net(values: np.ndarray) -> bytes:
    """float32 scale = max|value| / 32767, then each value / scale rounded to int16."""
    peak = float(np.max(np.abs(values))) if len(values) else 0.0
    scale = peak / _INT16_MAX if peak > 0 else 1.0
    quantised = np.rint(values / scale).astype(_INT16)
    return zlib.compress(np.float32(scale).tobytes() + quantised.tobytes(), 6)


def _unpack_net(blob: bytes) -> np.ndarray:
    raw = zlib.decompress(blob)
    scale = float(np.frombuffer(raw[:4], dtype=_FLOAT32)[0])
    return np.frombuffer(raw[4:], dtype=_INT16).astype(np.float64) * scale


def _record(row: tuple) -> LevelRecord:
    as_of = datetime.fromisoformat(row[0])
    values = json.loads(row[1])
    if len(row) > 2:
        return LevelRecord.from_scalars(as_of, values, _unpack_strikes(row[2]), _unpack_net(row[3]))
    return LevelRecord.from_scalars(as_of, values)


__all__ = ["LevelStore", "SqliteLevelStore"]

# for the PostgreSQL store (store/postgres.py), which keeps the same columns
record_from_row = _record
