"""The expirations endpoint, checked against the raw chain and against per-expiration gex answers."""

from __future__ import annotations

from datetime import date

import anyio
import numpy as np
import pytest
from mcp import Client

from gex_mcp.mcp_server.compact import records
from gex_mcp.mcp_server.server import build_server
from gex_mcp.parsing import load_chain_file
from gex_mcp.service import build_service
from gex_mcp.settings import Settings

pytestmark = pytest.mark.anyio

SPX = "cboe_quotedata_SPX_2023-09-14.csv"


@pytest.fixture
def spx_path(chains_dir):
    return chains_dir / SPX


async def answer(path, name: str = "expirations", **arguments):
    async with build_service(Settings(_env_file=None), chain_file=path) as service:
        with anyio.fail_after(20):
            return await service.call(name, symbol=service.default_symbol(), **arguments)


async def test_lists_every_unsettled_expiration_with_its_open_interest_and_contracts(spx_path):
    """Dates, contract counts and OI equal an independent pass over the raw file."""
    got = await answer(spx_path)
    chain = load_chain_file(spx_path)
    live = chain.settle_time > chain.as_of.timestamp()
    dates = sorted({str(d) for d in chain.expiry[live]})
    assert [e.expiration for e in got.expirations] == dates and got.count == len(dates)
    for row in got.expirations:
        rows = live & (chain.expiry == np.datetime64(row.expiration))
        assert row.contracts == int(rows.sum())
        assert row.open_interest == int(round(np.nansum(chain.open_interest[rows])))
    # the snapshot is after the 2023-09-14 close: that day's options are settled, not listed
    assert dates[0] == "2023-09-15"


async def test_gross_gex_shares_match_the_per_expiration_gex_answers(spx_path):
    """Share = (call GEX - put GEX) of gex(expiration=d) over all dates; net agrees too.

    Under the default dealer model call GEX >= 0 and put GEX <= 0 per contract, so
    call_gex - put_gex of one expiration is the sum of |GEX| over its contracts.
    """
    got = await answer(spx_path)
    gross, net = {}, {}
    for row in got.expirations:
        if row.open_interest == 0:
            continue
        try:
            g = await answer(spx_path, "gex", expiration=row.expiration)
        except Exception as exc:  # no usable contracts that day: no GEX either
            assert type(exc).__name__ == "NoDataError", exc
            continue
        gross[row.expiration], net[row.expiration] = g.call_gex - g.put_gex, g.net_gex
    total = sum(gross.values())
    for row in got.expirations:
        expected = gross.get(row.expiration, 0.0) / total * 100
        assert row.share_of_gross_gex_pct == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert row.net_gex == pytest.approx(net.get(row.expiration, 0.0), rel=1e-9, abs=1e-3)
    assert sum(r.share_of_gross_gex_pct for r in got.expirations) == pytest.approx(100.0)


async def test_spx_kinds_settlements_and_days_follow_the_listing_calendar(spx_path):
    """The Sept quarterly settles AM (SPX) and PM (SPXW); weeklies are PM; days grow."""
    rows = {e.expiration: e for e in (await answer(spx_path)).expirations}
    assert (rows["2023-09-15"].kind, rows["2023-09-15"].settlement) == ("quarterly", "AM+PM")
    assert (rows["2023-09-18"].kind, rows["2023-09-18"].settlement) == ("weekly", "PM")
    assert (rows["2023-10-20"].kind, rows["2023-10-20"].settlement) == ("monthly", "AM+PM")
    # 2023-09-15 09:30 and 16:00 New York, from the 2023-09-14 16:15 close: the last settlement counts
    assert rows["2023-09-15"].days_to_expiry == pytest.approx((23 * 60 + 45) / 1440, abs=1e-4)
    days = [r.days_to_expiry for r in rows.values()]
    assert days == sorted(days) and days[0] > 0
    leaps = [d for d, r in rows.items() if r.kind == "leaps"]
    assert leaps and all(date.fromisoformat(d).year >= 2024 for d in leaps)


async def test_equity_options_settle_pm_only(chains_dir):
    """An equity chain has no AM settlement."""
    path = next(chains_dir.glob("cboe_quotedata_AMD_*.csv"))
    rows = (await answer(path)).expirations
    assert rows and {r.settlement for r in rows} == {"PM"}


async def test_the_tool_answers_over_mcp_within_a_small_budget(spx_path):
    """The MCP tool returns the same rows; its text stays far below a per-strike dump."""
    service = build_service(Settings(_env_file=None), chain_file=spx_path)
    async with service, Client(build_server(service), mode="legacy") as client:
        with anyio.fail_after(20):
            result = await client.call_tool("expirations", {"symbol": "SPX"})
    assert not result.is_error, result.content
    direct = await answer(spx_path)
    listed = records(result.structured_content["expirations"])
    assert [e["expiration"] for e in listed] == [e.expiration for e in direct.expirations]
    assert len(result.content[0].text) < 8_000  # 2,000 tokens at 4 characters a token
