"""A synthetic week of level records: the history series and the accuracy counts, checked
against an independent computation over the same records (numpy, grouping by New York date)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from gex_mcp.backends.options import Stores
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.models.level_record import LevelRecord
from gex_mcp.service import GexService
from gex_mcp.sources.cboe import CboeSource
from gex_mcp.store import open_database
from gex_mcp.store.cache import ChainCache
from gex_mcp.store.levels import SqliteLevelStore

pytestmark = pytest.mark.anyio
DAYS = [datetime(2026, 11, d, tzinfo=NEW_YORK).date() for d in (16, 17, 18, 19, 20)]  # Mon-Fri


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def synthetic_week(seed: int = 7) -> list[LevelRecord]:
    """Every 5 minutes 09:30-16:00 for five sessions: a random-walk spot, walls at the
    strikes 2% above and below the session's opening spot, flip 0.5% below it."""
    rng = np.random.default_rng(seed)
    spot, out = 600.0, []
    for day in DAYS:
        start = datetime.combine(day, datetime.min.time(), NEW_YORK) + timedelta(hours=9, minutes=30)
        opening = spot
        for i in range(79):
            spot = float(spot * (1 + rng.normal(0, 0.0015)))
            walls_from = opening if i < 40 else spot  # levels move mid-session
            strikes = np.arange(580.0, 621.0, 1.0)
            out.append(LevelRecord(
                as_of=start + timedelta(minutes=5 * i), spot=spot,
                gamma_flip=round(walls_from * 0.995, 2), gamma_flip_status="ok", gamma_flip_reason=None,
                call_wall=float(round(walls_from * 1.02)), put_wall=float(round(walls_from * 0.98)),
                max_positive_gamma=float(round(walls_from)), max_negative_gamma=None,
                highest_oi_strike=600.0, zero_dte_magnet=None,
                net_gex=float(rng.normal(1e9, 3e8)), net_dex=1e10, net_vex=-2e8, net_chex=5e7,
                regime="positive_gamma", regime_reason="spot above the flip", zero_dte_share_pct=12.5,
                strikes=strikes, net_gex_by_strike=rng.normal(0, 1e7, len(strikes))))
    return out


@pytest.fixture
def service_and_records():
    conn = open_database(":memory:")
    store = SqliteLevelStore(conn)
    records = synthetic_week()
    for r in records:
        store.record("SPY", "cboe", r)
    service = GexService(sources={"cboe": CboeSource(base_url="http://127.0.0.1:9")},
                         default_source="cboe", cache=ChainCache(None), stores=Stores(levels=store))
    yield service, records
    conn.close()


def _by_date(records):
    dates = np.array([r.as_of.astimezone(NEW_YORK).date() for r in records])
    return {d: [r for r, rd in zip(records, dates) if rd == d] for d in sorted(set(dates))}


async def test_hourly_history_matches_an_independent_resampling(service_and_records):
    service, records = service_and_records
    answer = await service.call("history", symbol="SPY", source="cboe", days=7, interval="1h")
    stamps = np.array([r.as_of.timestamp() for r in records])
    buckets = np.floor(stamps / 3600).astype(np.int64)
    last_of_bucket = np.flatnonzero(np.r_[buckets[1:] != buckets[:-1], True])
    assert [p.as_of for p in answer.points] == [records[i].as_of for i in last_of_bucket]
    closes = {d: rs[-1] for d, rs in _by_date(records).items()}
    for p, i in zip(answer.points, last_of_bucket):
        r = records[i]
        day = r.as_of.astimezone(NEW_YORK).date()
        before = [d for d in closes if d < day]
        if not before:
            assert p.spot_change_pct is None and p.call_wall_change is None
            continue
        prior = closes[before[-1]]
        assert p.spot_change_pct == pytest.approx((r.spot - prior.spot) / prior.spot * 100, abs=1e-3)
        assert p.call_wall_change == pytest.approx(r.call_wall - prior.call_wall)
        assert p.gamma_flip_change == pytest.approx(r.gamma_flip - prior.gamma_flip, abs=0.01)
        assert p.net_gex_change == pytest.approx(r.net_gex - prior.net_gex, rel=1e-6)
    assert [s.session for s in answer.sessions] == [d.isoformat() for d in DAYS]
    assert answer.records == len(records) and answer.basis == "stored_records"


async def test_accuracy_counts_match_an_independent_count(service_and_records):
    service, records = service_and_records
    answer = await service.call("level_accuracy", symbol="SPY", source="cboe", days=7)
    sessions = _by_date(records)
    days = list(sessions)
    expected = {"call_wall": [0, 0], "put_wall": [0, 0], "gamma_flip": [0, 0]}
    for prev, day in zip(days, days[1:]):
        ref = sessions[prev][-1]
        spots = np.array([r.spot for r in sessions[day]])
        hi, lo, close = spots.max(), spots.min(), spots[-1]
        for name in expected:
            level = getattr(ref, name)
            expected[name][0] += int(lo <= level <= hi)
            beyond = np.sign(close - level) * np.sign(ref.spot - level) == -1
            expected[name][1] += int(beyond)
    assert answer.sessions_tested == len(days) - 1
    got = {s.level: [s.touches, s.closes_beyond] for s in answer.scores}
    assert got == expected
    assert sum(v[0] for v in expected.values()) > 0  # the walk does touch levels: a real test


async def test_as_of_levels_come_from_the_record_at_or_before_it(service_and_records):
    service, records = service_and_records
    moment = records[100].as_of + timedelta(minutes=2)
    levels = await service.call("levels", symbol="SPY", source="cboe", as_of=moment.isoformat())
    assert levels.as_of == records[100].as_of and levels.call_wall == records[100].call_wall
    from gex_mcp.errors import InputError
    with pytest.raises(InputError, match="levels or regime with as_of"):
        await service.call("gex", symbol="SPY", source="cboe", as_of=moment.isoformat())


def test_store_round_trip_prune_and_float32_precision():
    conn = open_database(":memory:")
    store = SqliteLevelStore(conn)
    records = synthetic_week()[:10]
    for r in records:
        store.record("SPY", "cboe", r)
    back = store.records("SPY", "cboe", with_strikes=True)
    assert [b.as_of for b in back] == [r.as_of for r in records]
    np.testing.assert_array_equal(back[3].strikes, records[3].strikes)
    peak = np.abs(records[3].net_gex_by_strike).max()
    np.testing.assert_allclose(back[3].net_gex_by_strike, records[3].net_gex_by_strike,
                               rtol=0, atol=peak / 65534 + peak * 1e-7)  # half a step + float32 scale
    assert np.abs(back[3].net_gex_by_strike).max() == pytest.approx(peak, rel=1e-6)
    assert back[3].spot == records[3].spot and back[3].max_negative_gamma is None
    assert store.latest("SPY", "cboe", at_or_before=records[4].as_of).as_of == records[4].as_of
    assert store.prune(records[5].as_of) == 5
    assert len(store.records("SPY", "cboe")) == 5
    conn.close()
