"""OISnapshotStore: snapshots per (symbol, source, as_of), previous-day OI, level history."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from gex_mcp.store.migrations import open_database
from gex_mcp.store.oi_snapshots import OISnapshotStore

STRIKES = np.array([590.0, 595.0, 600.0])
EASTERN = timezone(timedelta(hours=-5))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time on 2026-11-<day>, New York winter offset."""
    return datetime(2026, 11, day, hour, minute, tzinfo=EASTERN)


def record(history: OISnapshotStore, as_of: datetime, oi: float, **levels) -> None:
    history.record("SPY", "cboe", as_of, STRIKES, np.full(3, oi), np.full(3, oi + 1),
                   {"regime": "positive_gamma", **levels})


def test_previous_oi_is_the_last_snapshot_of_an_earlier_day(memory_db) -> None:
    """Of snapshots yesterday and earlier today, the latest one 12+ hours old is chosen."""
    history = OISnapshotStore(memory_db)
    record(history, at(23, 16), oi=1)
    record(history, at(24, 10), oi=2)
    record(history, at(24, 16), oi=3)  # yesterday's close: the answer
    record(history, at(25, 9, 45), oi=4)
    record(history, at(25, 10, 30), oi=5)
    previous = history.previous_oi("SPY", "cboe", before=at(25, 11))
    assert previous is not None
    assert previous.as_of == at(24, 16)
    np.testing.assert_array_equal(previous.call_oi, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(previous.put_oi, [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(previous.strikes, STRIKES)


def test_previous_oi_honours_min_age_hours(memory_db) -> None:
    """A snapshot exactly min_age_hours old qualifies; a younger one does not."""
    history = OISnapshotStore(memory_db)
    record(history, at(25, 9), oi=1)
    assert history.previous_oi("SPY", "cboe", before=at(25, 11), min_age_hours=2).as_of == at(25, 9)
    assert history.previous_oi("SPY", "cboe", before=at(25, 11), min_age_hours=2.01) is None


def test_previous_oi_is_none_for_another_symbol_or_source(memory_db) -> None:
    """Snapshots are kept apart by symbol and by source."""
    history = OISnapshotStore(memory_db)
    record(history, at(23, 16), oi=1)
    assert history.previous_oi("QQQ", "cboe", before=at(25, 11)) is None
    assert history.previous_oi("SPY", "flashalpha", before=at(25, 11)) is None


def test_recording_the_same_snapshot_twice_keeps_one(memory_db) -> None:
    """Same symbol, source and instant (even in another offset) replace, never duplicate."""
    history = OISnapshotStore(memory_db)
    record(history, at(25, 10), oi=1, net_gex=1.0)
    record(history, at(25, 10).astimezone(UTC), oi=2, net_gex=2.0)
    rows = history.levels_history("SPY", "cboe")
    assert [row["net_gex"] for row in rows] == [2.0]
    assert memory_db.execute("SELECT COUNT(*) FROM history_snapshots").fetchone() == (1,)


def test_strikes_are_stored_ascending_with_their_oi(memory_db) -> None:
    """Unsorted input comes back sorted, each OI still beside its strike."""
    history = OISnapshotStore(memory_db)
    history.record("SPY", "cboe", at(24, 16), np.array([600.0, 590.0, 595.0]),
                   np.array([6.0, 1.0, 5.0]), np.array([60.0, 10.0, 50.0]), {})
    previous = history.previous_oi("SPY", "cboe", before=at(25, 11))
    np.testing.assert_array_equal(previous.strikes, [590.0, 595.0, 600.0])
    np.testing.assert_array_equal(previous.call_oi, [1.0, 5.0, 6.0])
    np.testing.assert_array_equal(previous.put_oi, [10.0, 50.0, 60.0])


def test_levels_history_is_newest_first_with_since_and_limit(memory_db) -> None:
    """levels_history returns recorded levels plus as_of, newest first, filtered and capped."""
    history = OISnapshotStore(memory_db)
    for hour in (10, 11, 12, 13):
        record(history, at(25, hour), oi=1, spot=float(hour))
    assert [row["spot"] for row in history.levels_history("SPY", "cboe")] == [13, 12, 11, 10]
    rows = history.levels_history("SPY", "cboe", since=at(25, 11), limit=2)
    assert rows == [
        {"as_of": at(25, 13), "regime": "positive_gamma", "spot": 13.0},
        {"as_of": at(25, 12), "regime": "positive_gamma", "spot": 12.0},
    ]
    assert rows[0]["as_of"].utcoffset() == timedelta(hours=-5)


def test_numpy_scalars_and_none_are_stored_as_json(memory_db) -> None:
    """Levels computed with numpy are accepted; None stands for a missing level."""
    history = OISnapshotStore(memory_db)
    history.record("SPY", "cboe", at(25, 10), STRIKES, np.ones(3), np.ones(3),
                   {"gamma_flip": None, "call_wall": np.float64(600.0), "n": np.int64(3)})
    [row] = history.levels_history("SPY", "cboe")
    assert row == {"as_of": at(25, 10), "gamma_flip": None, "call_wall": 600.0, "n": 3}


@pytest.mark.parametrize(("as_of", "strikes", "levels", "message"), [
    (datetime(2026, 11, 25, 10), STRIKES, {}, "timezone-aware"),
    (at(25, 10), np.array([590.0, 590.0, 600.0]), {}, "strikes must be distinct"),
    (at(25, 10), np.array([590.0, np.nan, 600.0]), {}, "strikes must be finite"),
    (at(25, 10), STRIKES[:2], {}, "1-D of one length"),
    (at(25, 10), STRIKES, {"net_gex": float("nan")}, "Out of range float"),
    (at(25, 10), STRIKES, {"as_of": "x"}, "'as_of' is reserved"),
])
def test_malformed_snapshots_are_refused(memory_db, as_of, strikes, levels, message) -> None:
    """Naive times, duplicate or NaN strikes, ragged arrays and NaN levels raise ValueError."""
    with pytest.raises(ValueError, match=message):
        OISnapshotStore(memory_db).record("SPY", "cboe", as_of, strikes, np.ones(3), np.ones(3),
                                       levels)
    assert memory_db.execute("SELECT COUNT(*) FROM history_snapshots").fetchone() == (0,)


def test_prune_deletes_only_older_snapshots(memory_db) -> None:
    """prune(before) removes snapshots strictly older than `before` and says how many."""
    history = OISnapshotStore(memory_db)
    for day in (22, 23, 24):
        record(history, at(day, 16), oi=day)
    assert history.prune(at(24, 16)) == 2
    assert [row["as_of"] for row in history.levels_history("SPY", "cboe")] == [at(24, 16)]


def test_history_survives_a_restart(db_path: Path) -> None:
    """Snapshots written before closing are read back through a new connection."""
    with closing(open_database(db_path)) as conn:
        record(OISnapshotStore(conn), at(24, 16), oi=7)
    with closing(open_database(db_path)) as conn:
        previous = OISnapshotStore(conn).previous_oi("SPY", "cboe", before=at(25, 11))
    np.testing.assert_array_equal(previous.call_oi, [7.0, 7.0, 7.0])
