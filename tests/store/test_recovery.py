"""A bad store never stops the service: moved aside and rebuilt, or replaced by memory."""

from __future__ import annotations

import logging

import anyio
import pytest

from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from gex_mcp.store.migrations import open_database

pytestmark = pytest.mark.anyio


async def answers(settings: Settings) -> str:
    async with build_service(settings) as service:
        with anyio.fail_after(20):
            return (await service.levels("SPY")).symbol


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
async def test_a_corrupt_store_is_moved_aside_once_and_a_fresh_one_serves(tmp_path, caplog, damage):
    db = tmp_path / "gex.db"
    if damage == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    else:
        open_database(db).close()
        db.write_bytes(db.read_bytes()[:100])  # the header survives, the pages do not
    settings = Settings(_env_file=None, source="demo", data_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="gex_mcp.service"):
        assert await answers(settings) == "SPY"
        assert await answers(settings) == "SPY"  # the fresh store opens without a warning
    aside = sorted(p.name for p in tmp_path.glob("gex.db.corrupt-*"))
    assert len(aside) == 1 and not aside[0].endswith(("-wal", "-shm"))
    warnings = [r.getMessage() for r in caplog.records if "moved it to" in r.getMessage()]
    assert len(warnings) == 1 and aside[0] in warnings[0]


async def test_an_unwritable_data_folder_runs_in_memory_with_a_warning(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    settings = Settings(_env_file=None, source="demo", data_dir=blocker)
    with caplog.at_level(logging.WARNING, logger="gex_mcp.service"):
        assert await answers(settings) == "SPY"
    assert any("running with an in-memory store" in r.getMessage() for r in caplog.records)
    assert blocker.read_text() == "a file where the folder should be"


async def test_history_older_than_the_retention_is_pruned_at_start(tmp_path):
    """GEX_HISTORY_DAYS=30: a 60-day-old snapshot goes, a 1-day-old one stays."""
    from datetime import UTC, datetime, timedelta

    import numpy as np

    from gex_mcp.store.oi_snapshots import OISnapshotStore

    conn = open_database(tmp_path / "gex.db")
    store = OISnapshotStore(conn)
    now = datetime.now(UTC)
    for age in (60, 1):
        store.record("SPY", "demo", now - timedelta(days=age), np.array([500.0]), np.array([1.0]),
                     np.array([2.0]), {"spot": 500.0})
    conn.close()
    settings = Settings(_env_file=None, source="demo", data_dir=tmp_path, history_days=30)
    async with build_service(settings):
        pass
    conn = open_database(tmp_path / "gex.db")
    kept = OISnapshotStore(conn).levels_history("SPY", "demo")
    conn.close()
    assert [round((now - row["as_of"]).days) for row in kept] == [1]
