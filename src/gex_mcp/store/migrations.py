"""The store's SQLite schema as ordered, named steps, and the one way to open a database.

`PRAGMA user_version` holds how many steps of `MIGRATIONS` a database has applied. Each
step runs in its own `BEGIN IMMEDIATE` transaction together with the version bump, so a
step is applied completely or not at all, and two processes opening the same file at
once do not both apply it. Steps are only ever appended; an applied step is never edited.

Connections from `open_database` are in autocommit mode (`isolation_level=None`): the
store opens its transactions explicitly. Files use WAL with `synchronous=NORMAL`, so a
commit does not fsync (only checkpoints do); a power cut may lose the last commits, which
for a cache, a request budget and a history of snapshots is acceptable.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gex_mcp.errors import ConfigError

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class Migration:
    """One schema step: a name for people, and SQL statements run in one transaction."""

    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration("create_cache_entries", (
        """CREATE TABLE cache_entries (
               key TEXT PRIMARY KEY,          -- JSON array of the cache key's parts
               codec TEXT NOT NULL,           -- name of the codec that wrote payload
               fetched_at REAL NOT NULL,      -- Unix seconds, UTC
               payload BLOB NOT NULL
           )""",
    )),
    Migration("create_request_budget", (
        """CREATE TABLE request_budget (
               source TEXT NOT NULL,
               day TEXT NOT NULL,             -- UTC date, YYYY-MM-DD
               used INTEGER NOT NULL,
               PRIMARY KEY (source, day)
           )""",
        """CREATE TABLE upstream_limits (
               source TEXT PRIMARY KEY,
               remaining INTEGER,             -- requests left per upstream, NULL = unknown
               reset_at REAL,                 -- Unix seconds when upstream resets, NULL = unknown
               recorded_at REAL NOT NULL
           )""",
    )),
    Migration("create_history_snapshots", (
        """CREATE TABLE history_snapshots (
               symbol TEXT NOT NULL,
               source TEXT NOT NULL,
               as_of_us INTEGER NOT NULL,     -- snapshot instant, Unix microseconds
               as_of TEXT NOT NULL,           -- ISO-8601 with the snapshot's own offset
               strikes BLOB NOT NULL,         -- little-endian float64, ascending
               call_oi BLOB NOT NULL,
               put_oi BLOB NOT NULL,
               levels TEXT NOT NULL,          -- JSON object
               PRIMARY KEY (symbol, source, as_of_us)
           )""",
    )),
    Migration("create_level_records", (
        """CREATE TABLE level_records (
               symbol TEXT NOT NULL,
               source TEXT NOT NULL,
               as_of_us INTEGER NOT NULL,     -- snapshot instant, Unix microseconds
               as_of TEXT NOT NULL,           -- ISO-8601 with the snapshot's own offset
               record TEXT NOT NULL,          -- JSON object: levels, totals, regime
               strikes BLOB NOT NULL,         -- zlib of little-endian float32, ascending
               net_gex BLOB NOT NULL,         -- zlib of float32 scale + int16 per strike
               PRIMARY KEY (symbol, source, as_of_us)
           )""",
    )),
)

SCHEMA_VERSION = len(MIGRATIONS)


class StoreConnection(sqlite3.Connection):
    """A sqlite3 connection carrying the lock that serialises its users.

    The cache, the budget and the history share one connection; `lock` keeps one
    user's multi-statement transaction from interleaving with another's when any of
    them runs in a worker thread.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.RLock()


_FOREIGN_CONNECTION_LOCK = threading.RLock()


def connection_lock(conn: sqlite3.Connection) -> threading.RLock:
    """The lock guarding `conn`: its own for a `StoreConnection`, else one shared lock."""
    return getattr(conn, "lock", _FOREIGN_CONNECTION_LOCK)


@contextmanager
def transaction(conn: sqlite3.Connection, *,
                immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """Hold the connection's lock and run the block in one transaction (commit or roll back).

    Expects an autocommit connection (`isolation_level=None`), as `open_database` returns.
    """
    with connection_lock(conn):
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield conn
        except BaseException:
            # SQLite may already have rolled back (e.g. SQLITE_FULL); don't mask the cause.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    """How many migration steps the database has applied."""
    return conn.execute("PRAGMA user_version").fetchone()[0]


def apply_migrations(
    conn: sqlite3.Connection,
    *,
    target: int | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> list[str]:
    """Apply the steps the database lacks, in order, up to `target` (default: all).

    Args:
        conn: an autocommit connection (`isolation_level=None`).
        target: stop after this many steps; used by tests to build older databases.
        migrations: the steps; tests pass their own lists.

    Returns:
        Names of the steps applied by this call.

    Raises:
        ConfigError: the database was written by a newer gex-mcp (more steps than known).
        sqlite3.Error: a step failed; it is rolled back and later steps are not tried.
    """
    target = len(migrations) if target is None else target
    if not 0 <= target <= len(migrations):
        raise ValueError(f"target must be between 0 and {len(migrations)}, got {target}")
    applied: list[str] = []
    while True:
        with transaction(conn):
            # Read inside the write transaction: another process may have just migrated.
            version = schema_version(conn)
            if version > len(migrations):
                raise ConfigError(
                    f"The gex-mcp database has schema version {version}, but this gex-mcp "
                    f"knows only {len(migrations)}. Upgrade gex-mcp, or point GEX_DATA_DIR "
                    f"at another folder.")
            if version >= target:
                return applied
            step = migrations[version]
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        applied.append(step.name)


def check_pages(conn: sqlite3.Connection) -> None:
    """`PRAGMA quick_check`: every page of every table and index readable and well formed (not
    the index contents; O(pages): 21 ms for a 54 MB file on the development machine). Damage behind an intact
    header otherwise opens fine and fails later, on every query.

    Raises:
        sqlite3.DatabaseError: the first problem quick_check reports (or its own error).
    """
    problems = [" ".join(str(row[0]).split()) for row in conn.execute("PRAGMA quick_check(3)")]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError(f"damaged pages: {'; '.join(problems)[:300]}")


def open_database(path: Path | str) -> StoreConnection:
    """Open (creating if needed) the store's database and bring its schema up to date.

    Args:
        path: a file path (its folder is created), or ":memory:" for a private
            in-memory database.

    Returns:
        A `StoreConnection` in autocommit mode, usable from any thread
        (`check_same_thread=False`; users take `conn.lock`). The caller closes it.

    Raises:
        ConfigError: the database was written by a newer gex-mcp.
        sqlite3.Error: the file cannot be opened or is not a SQLite database.
        sqlite3.DatabaseError: a damaged page (`check_pages`), header intact or not.
    """
    target: Path | str
    if str(path) == MEMORY:
        target = MEMORY
    else:
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False, factory=StoreConnection)
    try:
        if target != MEMORY:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            check_pages(conn)
        apply_migrations(conn)
    except BaseException:
        conn.close()
        raise
    return conn
