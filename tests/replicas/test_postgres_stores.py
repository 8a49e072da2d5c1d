"""The PostgreSQL stores against a real server (Debian's, started by the suite): the same
answers as SQLite for the same records, migrations run once when replicas start together,
and a server lost and back: writes dropped and counted, history questions refused clearly,
live reads answering "none", recovery."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest

from gex_mcp.backends.assembly import assemble
from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.errors import ConfigError, SourceUnavailableError
from gex_mcp.models.level_record import level_record
from gex_mcp.settings import Settings
from gex_mcp.sources.demo import generate_chain
from gex_mcp.store.levels import SqliteLevelStore
from gex_mcp.store.migrations import MEMORY, open_database
from gex_mcp.store.oi_snapshots import OISnapshotStore
from gex_mcp.store.postgres import (
    PG_SCHEMA_VERSION,
    PostgresAlertLog,
    PostgresDatabase,
    PostgresLevelStore,
    PostgresOISnapshotStore,
)
from tests.shared_stores import PostgresServer, free_port

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
def database(postgres_url: str):
    db = PostgresDatabase(postgres_url, retry_seconds=0.2)
    yield db
    db.close()


@pytest.fixture
def sqlite():
    conn = open_database(MEMORY)
    yield conn
    conn.close()


def _records(symbol: str, count: int):
    return [level_record(analyze_chain(generate_chain(symbol, START + timedelta(minutes=5 * i))))
            for i in range(count)]


def _same(a, b) -> bool:
    return (a.scalars() == b.scalars() and a.as_of == b.as_of
            and np.array_equal(a.strikes, b.strikes)
            and np.array_equal(a.net_gex_by_strike, b.net_gex_by_strike))


def test_level_records_answer_as_in_sqlite(database: PostgresDatabase, sqlite) -> None:
    pg, lite = PostgresLevelStore(database), SqliteLevelStore(sqlite)
    made = _records("SPY", 4) + _records("QQQ", 2)
    for rec in made:
        symbol = "SPY" if rec in made[:4] else "QQQ"
        pg.record(symbol, "cboe", rec)
        lite.record(symbol, "cboe", rec)
    pg.record("SPY", "cboe", made[1])  # again: replaces, no duplicate
    window = {"since": START + timedelta(minutes=5), "until": START + timedelta(minutes=10)}
    for kwargs in ({}, {"with_strikes": True}, window):
        got, want = pg.records("SPY", "cboe", **kwargs), lite.records("SPY", "cboe", **kwargs)
        assert len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want))
    assert len(pg.records("SPY", "cboe")) == 4 and len(pg.records("QQQ", "cboe")) == 2
    assert _same(pg.latest("SPY", "cboe"), lite.latest("SPY", "cboe"))
    assert pg.latest("SPY", "cboe").as_of == made[3].as_of  # net GEX per strike is packed: not ==
    assert _same(pg.latest("SPY", "cboe", at_or_before=START + timedelta(minutes=7)),
                 lite.latest("SPY", "cboe", at_or_before=START + timedelta(minutes=7)))
    assert pg.latest("SPY", "cboe", at_or_before=START - timedelta(seconds=1)) is None
    assert pg.prune(START + timedelta(minutes=6)) == lite.prune(START + timedelta(minutes=6)) == 4  # SPY and QQQ at 0 and 5 min


def test_oi_snapshots_answer_as_in_sqlite(database: PostgresDatabase, sqlite) -> None:
    pg, lite = PostgresOISnapshotStore(database), OISnapshotStore(sqlite)
    rng = np.random.default_rng(21)
    for day in range(3):
        as_of = START + timedelta(days=day)
        strikes = rng.permutation(np.arange(500.0, 700.0, 5.0))
        call_oi, put_oi = rng.integers(0, 9000, (2, len(strikes))).astype(float)
        levels = {"spot": 600.0 + day, "gamma_flip": 590.5, "regime": "positive_gamma",
                  "net_gex": np.float64(1.5e9)}
        for store in (pg, lite):
            store.record("SPY", "cboe", as_of, strikes, call_oi, put_oi, levels)
    before = START + timedelta(days=2)
    got, want = pg.previous_oi("SPY", "cboe", before=before), lite.previous_oi("SPY", "cboe", before=before)
    assert got.as_of == want.as_of == START + timedelta(days=1)
    for a, b in zip(got[:3], want[:3]):
        assert np.array_equal(a, b)
    assert np.all(np.diff(got.strikes) > 0)
    assert pg.levels_history("SPY", "cboe", limit=2) == lite.levels_history("SPY", "cboe", limit=2)
    with pytest.raises(ValueError, match="distinct"):
        pg.record("SPY", "cboe", START, np.array([1.0, 1.0]), np.ones(2), np.ones(2), {})


def test_replicas_starting_together_migrate_once(postgres_url: str) -> None:
    opened: list[PostgresDatabase] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            opened.append(PostgresDatabase(postgres_url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for db in opened:
        db.close()
    assert errors == [] and len(opened) == 5
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT version FROM gex_schema").fetchall() == [(PG_SCHEMA_VERSION,)]
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    assert tables == {"gex_schema", "history_snapshots", "level_records", "alert_log"}


def test_a_database_from_a_newer_version_is_refused(postgres_url: str) -> None:
    PostgresDatabase(postgres_url).close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE gex_schema SET version = %s", (PG_SCHEMA_VERSION + 1,))
    with pytest.raises(ConfigError, match="newer than this gex-mcp knows"):
        PostgresDatabase(postgres_url)


def test_unreachable_at_start_is_a_config_error_without_the_password(tmp_path) -> None:
    url = f"postgresql://gex:pg-s3cr3t@127.0.0.1:{free_port()}/gex"
    with pytest.raises(ConfigError) as caught:
        assemble(Settings(database_url=url, data_dir=tmp_path))
    assert "pg-s3cr3t" not in str(caught.value)
    assert "postgresql://gex:***@127.0.0.1:" in str(caught.value) and caught.value.exit_code == 5


def test_postgres_lost_and_back(postgres_server: PostgresServer, database: PostgresDatabase,
                                caplog: pytest.LogCaptureFixture) -> None:
    levels, snapshots = PostgresLevelStore(database), PostgresOISnapshotStore(database)
    first, second = _records("SPY", 2)
    levels.record("SPY", "cboe", first)
    postgres_server.stop()
    with caplog.at_level(logging.WARNING):
        levels.record("SPY", "cboe", second)  # dropped, counted, logged; no exception
    assert database.health() == {"postgres": "unavailable", "dropped_writes": 1}
    assert any("dropped a history write" in r.getMessage() for r in caplog.records)
    with pytest.raises(SourceUnavailableError, match="History is unavailable"):
        levels.records("SPY", "cboe")
    assert snapshots.previous_oi("SPY", "cboe", before=START) is None  # the live path goes on
    assert snapshots.levels_history("SPY", "cboe") == []
    postgres_server.start()
    import time

    time.sleep(0.3)  # past retry_seconds
    assert [r.as_of for r in levels.records("SPY", "cboe")] == [first.as_of]
    levels.record("SPY", "cboe", second)
    assert len(levels.records("SPY", "cboe")) == 2
    assert database.health() == {"postgres": "ok", "dropped_writes": 1}


def test_the_alert_log_keeps_each_alert_once_and_answers_the_newest(database: PostgresDatabase) -> None:
    log = PostgresAlertLog(database)
    for number in (1, 2, 3, 2):  # 2 again: a second replica reporting the same alert
        log.append(number, "SPX", "flip_cross", START + timedelta(minutes=number), f'{{"id": {number}}}')
    assert log.newest(2) == ['{"id": 2}', '{"id": 3}']
    assert log.newest(10) == ['{"id": 1}', '{"id": 2}', '{"id": 3}']
    assert log.prune(START + timedelta(minutes=2)) == 1
