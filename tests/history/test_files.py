"""A folder of snapshot files is a history: the three SPY 2020 .dat snapshots give OI change
from the previous file, a `history` series and as_of answers, with no stored run behind them."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from gex_mcp.engine.prepare import live_strike_oi
from gex_mcp.parsing import load_chain_file
from gex_mcp.service import GexService
from gex_mcp.sources.file import FileSource
from gex_mcp.store.cache import ChainCache
from tests.history.conftest import FILES

pytestmark = pytest.mark.anyio
@pytest.fixture
def service(folder):
    return GexService(sources={"file": FileSource(folder)}, default_source="file",
                      cache=ChainCache(None))


async def test_oi_change_comes_from_the_previous_snapshot_file(service, folder):
    answer = await service.call("oi_changes", symbol="SPY")
    assert answer.oi_change_known and answer.movers
    now, before = (load_chain_file(folder / FILES[i]) for i in (2, 1))
    # each contract against itself: the earlier file's contracts still unsettled now
    oi = np.nan_to_num(before.open_interest)
    alive = before.settle_time > before.as_of.timestamp()
    still = alive & (before.settle_time > now.as_of.timestamp())
    old_call = defaultdict(float)
    old_put = defaultdict(float)
    for k, is_call, n in zip(before.strike[still], before.is_call[still], oi[still]):
        (old_call if is_call else old_put)[float(k)] += n
    k2, c2, p2 = live_strike_oi(now)
    for row in answer.movers:
        i = int(np.flatnonzero(k2 == row.strike)[0])
        assert row.call_oi_change == round(c2[i] - old_call.get(row.strike, 0.0))
        assert row.put_oi_change == round(p2[i] - old_put.get(row.strike, 0.0))
    expired = int(round(oi[alive & ~still].sum()))
    assert expired > 0 and answer.expired_oi == expired
    assert answer.previous_as_of == before.as_of
    assert "session" in answer.oi_change_basis and f"expired: {expired:,}" in answer.oi_change_basis
    first = await service.call("oi_changes", symbol="SPY", as_of="2020-06-22")
    assert not first.oi_change_known  # nothing before the first file


async def test_history_lists_each_file_and_changes_versus_the_previous_one(service, folder):
    chains = [load_chain_file(folder / name) for name in FILES]
    answer = await service.call("history", symbol="SPY", days=30)
    assert [p.as_of for p in answer.points] == [c.as_of for c in chains]
    assert [p.spot for p in answer.points] == [round(c.spot, 2) for c in chains]
    assert answer.points[0].spot_change_pct is None
    for p, prev in zip(answer.points[1:], chains):
        assert p.spot_change_pct == pytest.approx((p.spot - prev.spot) / prev.spot * 100, abs=1e-3)
    assert answer.basis == "snapshot_files" and answer.interval == "1d"
    # the Sunday 06-28 snapshot shows Friday 06-26's session
    assert [s.session for s in answer.sessions] == ["2020-06-22", "2020-06-26", "2020-07-02"]


async def test_as_of_picks_the_file_at_or_before_it(service):
    levels = await service.call("levels", symbol="SPY", as_of="2020-06-30")
    assert levels.as_of.isoformat() == "2020-06-26T16:00:00-04:00"  # the Sunday file: Friday's close
    gex = await service.call("gex", symbol="SPY", as_of="2020-06-30T12:00")
    assert gex.as_of == levels.as_of and gex.underlying_price == pytest.approx(300.01)
    from gex_mcp.errors import InputError, NoDataError
    with pytest.raises(NoDataError, match="No snapshot"):
        await service.call("levels", symbol="SPY", as_of="2020-01-02")
    with pytest.raises(InputError, match="as_of must be an ISO-8601"):
        await service.call("levels", symbol="SPY", as_of="last tuesday")
    with pytest.raises(InputError, match="in the future"):
        await service.call("levels", symbol="SPY", as_of="2098-01-01")


async def test_history_chart_is_a_png_with_the_numbers(service):
    image = await service.call("history_chart", symbol="SPY", days=30)
    assert image.png.startswith(b"\x89PNG") and image.info.points == 3
    assert image.info.last_spot == pytest.approx(312.18)


async def test_sparse_files_are_flagged_not_called_the_prior_close(service, folder):
    """The three SPY files are 4 sessions apart (06-22, 06-26, 07-02 closes): history flags
    changes that span several sessions and level_accuracy says it cannot grade them."""
    chains = [load_chain_file(folder / name) for name in FILES]
    sessions = [c.as_of.date() for c in chains]
    from datetime import timedelta

    from gex_mcp.engine.calendar import is_trading_day

    def apart(a, b):
        return sum(is_trading_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))

    gaps = [apart(a, b) for a, b in zip(sessions, sessions[1:])]
    assert min(gaps) > 1
    history = await service.call("history", symbol="SPY", days=30)
    assert [p.prior_close_sessions_before for p in history.points] == [None, *gaps]
    assert any("points compare with a close more than one session earlier" in n for n in history.notes)
    accuracy = await service.call("level_accuracy", symbol="SPY", days=30)
    assert [s.reference_sessions_before for s in accuracy.sessions] == gaps
    assert any(n.startswith("too sparse to grade") for n in accuracy.notes)
    assert not any("give more days" in n for n in accuracy.notes)
