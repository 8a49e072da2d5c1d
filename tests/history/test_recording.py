"""Live analyses leave level records: at most one a minute, then history and as_of read them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gex_mcp.backends.options import Freshness, Stores
from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.models.level_record import level_record
from gex_mcp.service import GexService
from gex_mcp.sources.demo import generate_chain
from gex_mcp.store import open_database
from gex_mcp.store.cache import ChainCache
from gex_mcp.store.levels import SqliteLevelStore

pytestmark = pytest.mark.anyio
START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC).timestamp()  # Tuesday 10:00 New York


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class LiveLike:
    """A live (not replayable) source: the demo market at the clock's time, named cboe."""

    name = "cboe"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def fetch_chain(self, symbol: str):
        return generate_chain(symbol, datetime.fromtimestamp(self.clock(), UTC))


async def test_analyses_are_recorded_once_a_minute_and_read_back():
    clock = Clock()
    conn = open_database(":memory:")
    store = SqliteLevelStore(conn)
    service = GexService(sources={"cboe": LiveLike(clock)}, default_source="cboe",
                         cache=ChainCache(None, clock=clock), freshness=Freshness(10), stores=Stores(levels=store))
    for step in (0, 30, 70, 75, 200):  # seconds after START; 30 and 75 fall inside a minute
        clock.now = START + step
        await service.call("levels", symbol="SPY")
    stored = store.records("SPY", "cboe")
    assert [r.as_of.timestamp() - START for r in stored] == [0, 70, 200]
    expected = level_record(analyze_chain(generate_chain("SPY", stored[1].as_of)))
    assert stored[1].call_wall == expected.call_wall and stored[1].spot == expected.spot
    assert stored[1].net_gex == pytest.approx(expected.net_gex, rel=1e-12)
    history = await service.call("history", symbol="SPY", interval="1m")
    assert [p.as_of for p in history.points] == [r.as_of for r in stored]
    regime = await service.call("regime", symbol="SPY",
                                as_of=datetime.fromtimestamp(START + 100, UTC).isoformat())
    assert regime.as_of == stored[1].as_of and regime.gamma_regime == expected.regime
    await service.aclose()
    conn.close()
