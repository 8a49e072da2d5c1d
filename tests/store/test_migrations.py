"""Schema steps: applied in order, atomically, from any earlier version."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from gex_mcp.errors import ConfigError
from gex_mcp.store.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    apply_migrations,
    open_database,
    schema_version,
)


def schema(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()


def raw_connection(path: Path | str) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_new_file_gets_its_folder_every_step_and_wal(db_path: Path) -> None:
    """open_database creates the parent folder, applies all steps and turns on WAL."""
    assert not db_path.parent.exists()
    with closing(open_database(db_path)) as conn:
        assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {name for _, name, _ in schema(conn)}
    assert {"cache_entries", "request_budget", "upstream_limits", "history_snapshots"} <= tables


def test_memory_database_is_fully_migrated() -> None:
    """':memory:' gives a private, fully migrated database."""
    with closing(open_database(":memory:")) as conn:
        assert schema_version(conn) == SCHEMA_VERSION


def test_step_names_are_unique_and_descriptive() -> None:
    """Every step has its own snake_case name."""
    names = [step.name for step in MIGRATIONS]
    assert len(set(names)) == len(names)
    assert all(name.isidentifier() and name.islower() for name in names)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION + 1))
def test_database_at_each_earlier_version_upgrades_to_the_fresh_schema(
        tmp_path: Path, version: int) -> None:
    """A database stopped at any step ends with exactly the schema of a new one, data kept."""
    with closing(open_database(":memory:")) as fresh:
        expected = schema(fresh)
    path = tmp_path / "old.db"
    with closing(raw_connection(path)) as old:
        assert apply_migrations(old, target=version) == [s.name for s in MIGRATIONS[:version]]
        assert schema_version(old) == version
        if version >= 1:
            old.execute("INSERT INTO cache_entries VALUES ('[\"k\"]', 'json', 1.0, x'7b7d')")
    with closing(open_database(path)) as conn:
        assert schema_version(conn) == SCHEMA_VERSION
        assert schema(conn) == expected
        if version >= 1:
            assert conn.execute("SELECT key FROM cache_entries").fetchall() == [('["k"]',)]


def test_up_to_date_database_applies_nothing(memory_db: sqlite3.Connection) -> None:
    """Running the migrations again is a no-op."""
    assert apply_migrations(memory_db) == []
    assert schema_version(memory_db) == SCHEMA_VERSION


def test_failing_step_is_rolled_back_and_keeps_the_version() -> None:
    """A step that fails halfway leaves neither its tables nor a version bump."""
    steps = (
        Migration("create_a", ("CREATE TABLE a (x)",)),
        Migration("broken", ("CREATE TABLE b (x)", "CREATE TABLE a (x)")),
    )
    with closing(raw_connection(":memory:")) as conn:
        with pytest.raises(sqlite3.OperationalError, match="already exists"):
            apply_migrations(conn, migrations=steps)
        assert schema_version(conn) == 1
        assert [name for _, name, _ in schema(conn)] == ["a"]
        assert not conn.in_transaction


def test_database_from_a_newer_gex_mcp_is_a_config_error(db_path: Path) -> None:
    """A schema version beyond ours is refused with exit code 5, not silently used."""
    db_path.parent.mkdir()
    with closing(raw_connection(db_path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 7}")
    with pytest.raises(ConfigError) as raised:
        open_database(db_path)
    assert raised.value.exit_code == 5
    assert str(raised.value) == (
        f"The gex-mcp database has schema version {SCHEMA_VERSION + 7}, but this gex-mcp "
        f"knows only {SCHEMA_VERSION}. Upgrade gex-mcp, or point GEX_DATA_DIR at another folder.")


def test_target_outside_the_steps_is_a_value_error(memory_db: sqlite3.Connection) -> None:
    """A target beyond the known steps is a programming error."""
    with pytest.raises(ValueError, match="target must be between 0 and"):
        apply_migrations(memory_db, target=SCHEMA_VERSION + 1)
