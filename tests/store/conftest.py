"""Store fixtures: databases that close themselves, a fake clock, small chains."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from gex_mcp.engine.chain import OptionChain, build_chain
from gex_mcp.store import StoreConnection, open_database

# 2026-11-25 10:00:00 UTC, a Wednesday.
START_EPOCH = datetime(2026, 11, 25, 10, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """Unix seconds that move only when a test says so."""

    def __init__(self, now: float = START_EPOCH) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory_db() -> Iterator[StoreConnection]:
    """A migrated in-memory database, closed after the test."""
    conn = open_database(":memory:")
    yield conn
    conn.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a file database goes; the folder does not exist yet (open_database makes it)."""
    return tmp_path / "data" / "gex.db"


@pytest.fixture
def file_db(db_path: Path) -> Iterator[StoreConnection]:
    """A migrated file database (WAL), closed after the test."""
    conn = open_database(db_path)
    yield conn
    conn.close()


@pytest.fixture
def make_chain() -> Callable[..., OptionChain]:
    """Builds a four-row SPY chain; `spot` and `tag` (in notes) tell chains apart."""

    def make(spot: float = 600.0, tag: str = "first") -> OptionChain:
        return build_chain(
            symbol="SPY", spot=spot, as_of=datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
            root=["SPY"] * 4, expiry=["2026-11-27"] * 2 + ["2026-12-18"] * 2,
            strike=[595.0, 605.0, 595.0, 605.0], is_call=[True, False, True, False],
            iv=[0.18, np.nan, 0.2, 0.21], open_interest=[100, 250, 0, 75],
            bid=[6.1, 5.9, np.nan, 11.0], ask=[6.3, 6.1, np.nan, 11.4],
            source="test", notes=(tag,))

    return make


def _assert_same_chain(actual: OptionChain, expected: OptionChain) -> None:
    """Every column equal (NaN where NaN), same dtypes, same scalars and as_of offset."""
    for name in ("root", "expiry", "settle_time", "strike", "is_call", "iv", "open_interest",
                 "volume", "bid", "ask", "prev_open_interest", "multiplier"):
        got, want = getattr(actual, name), getattr(expected, name)
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name, strict=True)
    assert (actual.symbol, actual.source, actual.notes) == (expected.symbol, expected.source,
                                                           expected.notes)
    assert repr(actual.spot) == repr(expected.spot)
    assert actual.as_of.isoformat() == expected.as_of.isoformat()
    assert actual.as_of.timestamp() == expected.as_of.timestamp()


@pytest.fixture(scope="session")
def assert_same_chain() -> Callable[[OptionChain, OptionChain], None]:
    """Asserts two chains are equal column by column (stateless, so session-scoped)."""
    return _assert_same_chain
