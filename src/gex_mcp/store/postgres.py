"""PostgreSQL for what replicas keep (`GEX_DATABASE_URL`): OI snapshots, level records and the
fleet's alert log (`PostgresAlertLog`, with `GEX_REDIS_URL`); the first two
behind the same interfaces as SQLite (`OISnapshotStore`, `LevelStore`) and giving the same
answers: the same columns, packed the same way (`store/levels.py`, `store/oi_snapshots.py`).

    db = PostgresDatabase("postgresql://user:pw@host:5432/gex")   # checks, then migrates
    levels, snapshots = PostgresLevelStore(db), PostgresOISnapshotStore(db)

Migrations (`PG_MIGRATIONS`) are versioned like SQLite's: table `gex_schema` holds how many
steps ran. At start every replica takes one transaction-scoped advisory lock
(`pg_advisory_xact_lock`), reads the version, applies the missing steps and bumps it, then
commits: replicas starting at once apply each step exactly once; a database from a newer
gex-mcp is a `ConfigError` (left untouched).

Faults are survived, not hidden. A write that fails (PostgreSQL down, a lost connection) is
tried once more, then dropped: counted in `dropped_writes`, with its reason in the log. A
question that needs history answers `SourceUnavailableError` (HTTP 503) saying so; the
convenience reads on the live path (previous OI, the last snapshot time) answer "none"
instead, so live answers keep flowing. After a failure PostgreSQL is left alone for
`retry_seconds` (no request waits on a dead server), then tried again. The URL's password
never appears in a log line or an error.

`psycopg` 3 and `psycopg_pool` are imported here only: the optional extra `gex-mcp[postgres]`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

from gex_mcp.errors import ConfigError, SourceUnavailableError
from gex_mcp.models.level_record import LevelRecord
from gex_mcp.store.levels import level_row, record_from_row
from gex_mcp.store.migrations import Migration
from gex_mcp.store.oi_snapshots import (
    DEFAULT_MIN_AGE_HOURS,
    OISnapshot,
    array_blob,
    blob_array,
    epoch_us,
    snapshot_row,
)
from gex_mcp.store.outage import Outage
from gex_mcp.store.redis_link import redact_url

logger = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATION_LOCK = 0x6765785F6D6370  # "gex_mcp": the advisory lock id of migrations
CONNECT_SECONDS = 2.0
DEFAULT_RETRY_SECONDS = 2.0
_NO_LIMIT = 2**63 - 1

PG_MIGRATIONS: tuple[Migration, ...] = (
    Migration("create_history_snapshots", (
        """CREATE TABLE history_snapshots (
               symbol TEXT NOT NULL,
               source TEXT NOT NULL,
               as_of_us BIGINT NOT NULL,      -- snapshot instant, Unix microseconds
               as_of TEXT NOT NULL,           -- ISO-8601 with the snapshot's own offset
               strikes BYTEA NOT NULL,        -- little-endian float64, ascending
               call_oi BYTEA NOT NULL,
               put_oi BYTEA NOT NULL,
               levels TEXT NOT NULL,          -- JSON object
               PRIMARY KEY (symbol, source, as_of_us)
           )""",
    )),
    Migration("create_level_records", (
        """CREATE TABLE level_records (
               symbol TEXT NOT NULL,
               source TEXT NOT NULL,
               as_of_us BIGINT NOT NULL,
               as_of TEXT NOT NULL,
               record TEXT NOT NULL,          -- JSON object: levels, totals, regime
               strikes BYTEA NOT NULL,        -- zlib of little-endian float32, ascending
               net_gex BYTEA NOT NULL,        -- zlib of float32 scale + int16 per strike
               PRIMARY KEY (symbol, source, as_of_us)
           )""",
    )),
)
PG_MIGRATIONS += (
    Migration("create_alert_log", (
        """CREATE TABLE alert_log (
               id BIGINT PRIMARY KEY,         -- the fleet-wide alert number
               symbol TEXT NOT NULL,
               rule TEXT NOT NULL,
               as_of_us BIGINT NOT NULL,      -- snapshot instant that fired it, Unix microseconds
               event TEXT NOT NULL            -- the alert as JSON (models.AlertEvent)
           )""",
    )),
)
PG_SCHEMA_VERSION = len(PG_MIGRATIONS)


def _psycopg() -> tuple[Any, Any]:
    try:
        import psycopg
        import psycopg_pool
    except ImportError:
        raise ConfigError("GEX_DATABASE_URL is set but the PostgreSQL client is not installed. "
                          'Install it with: pip install "gex-mcp[postgres]"') from None
    return psycopg, psycopg_pool


class PostgresDatabase:
    """A connection pool to PostgreSQL, its migrations and its health (module docstring).

    Raises:
        ConfigError: the client is not installed, PostgreSQL does not answer at `url` (named
            without its password), or its schema is newer than this gex-mcp knows.
    """

    def __init__(self, url: str, *, max_connections: int = 4,
                 retry_seconds: float = DEFAULT_RETRY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.psycopg, pool_module = _psycopg()
        self.shown_url = redact_url(url)
        self.retry_seconds = retry_seconds
        self._outage = Outage(retry_seconds, clock)
        self.dropped_writes = 0
        self.pool = pool_module.ConnectionPool(
            url, min_size=1, max_size=max_connections, open=False, timeout=CONNECT_SECONDS,
            kwargs={"connect_timeout": int(CONNECT_SECONDS)}, name="gex")
        try:
            # one direct connection first: a refused one fails at once, not after the pool's wait
            self.psycopg.connect(url, connect_timeout=int(CONNECT_SECONDS)).close()
            self.pool.open(wait=True, timeout=CONNECT_SECONDS * 2)
            self.migrate()
        except (self.psycopg.Error, pool_module.PoolTimeout) as exc:
            self.pool.close()
            raise ConfigError(f"GEX_DATABASE_URL {self.shown_url}: PostgreSQL does not answer "
                              f"({type(exc).__name__}). Start it, or unset GEX_DATABASE_URL to "
                              "keep history in GEX_DATA_DIR.") from None
        except ConfigError:
            self.pool.close()
            raise

    def migrate(self) -> int:
        """Apply the missing steps under the migration lock; returns the schema version."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS gex_schema (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM gex_schema").fetchone()
            if row is None:
                conn.execute("INSERT INTO gex_schema (version) VALUES (0)")
            version = 0 if row is None else row[0]
            if version > PG_SCHEMA_VERSION:
                raise ConfigError(
                    f"The database at {self.shown_url} has schema version {version}, newer than "
                    f"this gex-mcp knows ({PG_SCHEMA_VERSION}). Upgrade gex-mcp, or point "
                    "GEX_DATABASE_URL at another database.")
            for step in PG_MIGRATIONS[version:]:
                for statement in step.statements:
                    conn.execute(statement)
                logger.info("PostgreSQL schema: applied %s", step.name)
            conn.execute("UPDATE gex_schema SET version = %s", (PG_SCHEMA_VERSION,))
        return PG_SCHEMA_VERSION

    # ---- calls and health -----------------------------------------------------------------

    def _usable(self) -> bool:
        return self._outage.usable()

    def _failed(self, exc: BaseException) -> None:
        if self._outage.failed():
            logger.warning("PostgreSQL at %s unavailable (%s); history writes are dropped "
                           "and history questions refused until it answers", self.shown_url,
                           type(exc).__name__)

    def _succeeded(self) -> None:
        if self._outage.succeeded() is not None:
            logger.warning("PostgreSQL at %s answers again; %d history writes were dropped",
                           self.shown_url, self.dropped_writes)

    def _call(self, work: Callable[[Any], T], *, retry: bool = False) -> T:
        if not retry and not self._usable():
            raise self.psycopg.OperationalError("waiting before the next try")
        try:
            with self.pool.connection() as conn:
                result = work(conn)
        except self.psycopg.Error as exc:
            self._failed(exc)
            raise
        self._succeeded()
        return result

    def write(self, what: str, work: Callable[[Any], T]) -> T | None:
        """Run a write; when it fails on a live server (e.g. a pooled connection the server
        closed) try it once more on a fresh connection; then count it as dropped, log why,
        and return None."""
        was_up = not self._outage.down
        try:
            return self._call(work)
        except self.psycopg.Error as exc:
            error: BaseException = exc
        if was_up:
            try:
                return self._call(work, retry=True)
            except self.psycopg.Error as exc:
                error = exc
        self.dropped_writes += 1
        logger.warning("dropped a history write (%s): PostgreSQL at %s: %s (%d dropped so far)",
                       what, self.shown_url, type(error).__name__, self.dropped_writes)
        return None

    def read(self, work: Callable[[Any], T]) -> T:
        """Run a read a history question needs.

        Raises:
            SourceUnavailableError: PostgreSQL does not answer.
        """
        try:
            return self._call(work)
        except self.psycopg.Error:
            raise SourceUnavailableError(
                "History is unavailable: its database (PostgreSQL) does not answer. Live "
                "answers are still served; ask again in a moment.") from None

    def read_or(self, fallback: T, work: Callable[[Any], T]) -> T:
        """Run a convenience read on the live path; `fallback` when PostgreSQL is down."""
        try:
            return self._call(work)
        except self.psycopg.Error:
            return fallback

    def health(self) -> dict[str, Any]:
        """The /health entry: {"postgres": "ok" | "unavailable", "dropped_writes": n}."""
        return {"postgres": "unavailable" if self._outage.down else "ok",
                "dropped_writes": self.dropped_writes}

    def close(self) -> None:
        self.pool.close()


class PostgresLevelStore:
    """`LevelStore` (store/levels.py) on PostgreSQL."""

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    def record(self, symbol: str, source: str, record: LevelRecord) -> None:
        """Raises ValueError for a naive as_of, a non-finite scalar, or arrays of unequal length."""
        row = (symbol, source, *level_row(record))
        self._db.write(f"level record {source}/{symbol}", lambda conn: conn.execute(
            "INSERT INTO level_records (symbol, source, as_of_us, as_of, record, strikes, net_gex) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (symbol, source, as_of_us) DO UPDATE "
            "SET as_of = excluded.as_of, record = excluded.record, strikes = excluded.strikes, "
            "net_gex = excluded.net_gex", row))

    def records(self, symbol: str, source: str, *, since: datetime | None = None,
                until: datetime | None = None, with_strikes: bool = False) -> list[LevelRecord]:
        lo = -_NO_LIMIT if since is None else epoch_us(since)
        hi = _NO_LIMIT if until is None else epoch_us(until)
        columns = "as_of, record" + (", strikes, net_gex" if with_strikes else "")
        rows = self._db.read(lambda conn: conn.execute(
            f"SELECT {columns} FROM level_records WHERE symbol = %s AND source = %s "
            "AND as_of_us BETWEEN %s AND %s ORDER BY as_of_us", (symbol, source, lo, hi)).fetchall())
        return [record_from_row(_bytes(row)) for row in rows]

    def latest(self, symbol: str, source: str, *,
               at_or_before: datetime | None = None) -> LevelRecord | None:
        hi = _NO_LIMIT if at_or_before is None else epoch_us(at_or_before)
        row = self._db.read(lambda conn: conn.execute(
            "SELECT as_of, record, strikes, net_gex FROM level_records WHERE symbol = %s "
            "AND source = %s AND as_of_us <= %s ORDER BY as_of_us DESC LIMIT 1",
            (symbol, source, hi)).fetchone())
        return None if row is None else record_from_row(_bytes(row))

    def prune(self, before: datetime) -> int:
        done = self._db.write("prune level records", lambda conn: conn.execute(
            "DELETE FROM level_records WHERE as_of_us < %s", (epoch_us(before),)).rowcount)
        return done or 0


class PostgresOISnapshotStore:
    """`OISnapshotStore` (store/oi_snapshots.py) on PostgreSQL."""

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    def record(self, symbol: str, source: str, as_of: datetime, strikes: np.ndarray,
               call_oi: np.ndarray, put_oi: np.ndarray, levels: dict[str, Any]) -> None:
        """Raises ValueError as `OISnapshotStore.record` does."""
        as_of_us, strikes, call_oi, put_oi, levels_json = snapshot_row(
            as_of, strikes, call_oi, put_oi, levels)
        row = (symbol, source, as_of_us, as_of.isoformat(), array_blob(strikes),
               array_blob(call_oi), array_blob(put_oi), levels_json)
        self._db.write(f"OI snapshot {source}/{symbol}", lambda conn: conn.execute(
            "INSERT INTO history_snapshots (symbol, source, as_of_us, as_of, strikes, call_oi, "
            "put_oi, levels) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (symbol, source, as_of_us) DO UPDATE SET as_of = excluded.as_of, "
            "strikes = excluded.strikes, call_oi = excluded.call_oi, put_oi = excluded.put_oi, "
            "levels = excluded.levels", row))

    def previous_oi(self, symbol: str, source: str, before: datetime,
                    min_age_hours: float = DEFAULT_MIN_AGE_HOURS) -> OISnapshot | None:
        """As `OISnapshotStore.previous_oi`; None also while PostgreSQL is down (the answer
        then has no OI change, as for a symbol seen for the first time)."""
        cutoff = epoch_us(before) - int(min_age_hours * 3600 * 1_000_000)
        row = self._db.read_or(None, lambda conn: conn.execute(
            "SELECT strikes, call_oi, put_oi, as_of FROM history_snapshots WHERE symbol = %s "
            "AND source = %s AND as_of_us <= %s ORDER BY as_of_us DESC LIMIT 1",
            (symbol, source, cutoff)).fetchone())
        if row is None:
            return None
        strikes, call_oi, put_oi, as_of = _bytes(row)
        return OISnapshot(blob_array(strikes), blob_array(call_oi), blob_array(put_oi),
                          datetime.fromisoformat(as_of))

    def levels_history(self, symbol: str, source: str, since: datetime | None = None,
                       limit: int = 100) -> list[dict[str, Any]]:
        """As `OISnapshotStore.levels_history`; [] while PostgreSQL is down."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        since_us = -(2**63) if since is None else epoch_us(since)
        rows = self._db.read_or([], lambda conn: conn.execute(
            "SELECT as_of, levels FROM history_snapshots WHERE symbol = %s AND source = %s "
            "AND as_of_us >= %s ORDER BY as_of_us DESC LIMIT %s",
            (symbol, source, since_us, limit)).fetchall())
        return [{"as_of": datetime.fromisoformat(as_of), **json.loads(levels)} for as_of, levels in rows]

    def prune(self, before: datetime) -> int:
        done = self._db.write("prune OI snapshots", lambda conn: conn.execute(
            "DELETE FROM history_snapshots WHERE as_of_us < %s", (epoch_us(before),)).rowcount)
        return done or 0


class PostgresAlertLog:
    """The fleet's alerts, each once (by its fleet-wide number), for replicas that start
    later or restart: they load the newest into memory (`alerts/fleet.py`)."""

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    def append(self, number: int, symbol: str, rule: str, as_of: datetime, event_json: str) -> None:
        """Keep one alert (a number already kept is left as is); dropped and counted when
        PostgreSQL is down."""
        self._db.write(f"alert {number}", lambda conn: conn.execute(
            "INSERT INTO alert_log (id, symbol, rule, as_of_us, event) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING", (number, symbol, rule, epoch_us(as_of), event_json)))

    def newest(self, limit: int) -> list[str]:
        """The newest `limit` alerts as JSON, oldest first; [] while PostgreSQL is down."""
        rows = self._db.read_or([], lambda conn: conn.execute(
            "SELECT event FROM alert_log ORDER BY id DESC LIMIT %s", (limit,)).fetchall())
        return [row[0] for row in reversed(rows)]

    def prune(self, before: datetime) -> int:
        done = self._db.write("prune alert log", lambda conn: conn.execute(
            "DELETE FROM alert_log WHERE as_of_us < %s", (epoch_us(before),)).rowcount)
        return done or 0


def _bytes(row: tuple) -> tuple:
    """psycopg returns BYTEA as memoryview: the shared decoders take bytes."""
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)


__all__ = ["PG_MIGRATIONS", "PG_SCHEMA_VERSION", "PostgresAlertLog", "PostgresDatabase",
           "PostgresLevelStore", "PostgresOISnapshotStore"]
