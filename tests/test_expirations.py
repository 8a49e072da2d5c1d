"""The expirations endpoint, checked against the raw chain and against per-expiration gex answers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

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
NY = ZoneInfo("America/New_York")


@pytest.fixture
def spx_path(chains_dir):
    return chains_dir / SPX


async def answer(path, name: str = "expirations", **arguments):
    async with build_service(Settings(_env_file=None), chain_file=path) as service:
        with anyio.fail_after(20):
            return await service.call(name, symbol=service.default_symbol(), **arguments)


async def test_lists_every_unsettled_expiration_with_its_open_interest_and_contracts(spx_path):
    """Settlements (a row each for AM and PM of one date), contract counts and OI equal an
    independent pass over the raw file."""
    got = await answer(spx_path)
    chain = load_chain_file(spx_path)
    live = chain.settle_time > chain.as_of.timestamp()
    instants = sorted(set(chain.settle_time[live].tolist()))
    assert got.count == len(instants) == len(got.expirations)
    for row, instant in zip(got.expirations, instants, strict=True):
        when = datetime.fromtimestamp(instant, NY)
        assert row.expiration == when.date().isoformat()
        assert row.settlement == ("AM" if when.hour < 12 else "PM")
        rows = live & (chain.settle_time == instant)
        assert row.contracts == int(rows.sum())
        assert row.open_interest == int(round(np.nansum(chain.open_interest[rows])))
    # the snapshot is after the 2023-09-14 close: that day's options are settled, not listed
    assert got.expirations[0].expiration == "2023-09-15"


async def test_gross_gex_shares_match_the_per_expiration_gex_answers(spx_path):
    """Share = (call GEX - put GEX) of gex(expiration=d) over all dates; net agrees too.

    Under the default dealer model call GEX >= 0 and put GEX <= 0 per contract, so
    call_gex - put_gex of one expiration is the sum of |GEX| over its contracts.
    """
    got = await answer(spx_path)
    gross, net = {}, {}
    for row in got.expirations:
        if row.open_interest == 0 or row.expiration in gross:
            continue
        try:
            g = await answer(spx_path, "gex", expiration=row.expiration)
        except Exception as exc:  # no usable contracts that day: no GEX either
            assert type(exc).__name__ == "NoDataError", exc
            continue
        gross[row.expiration], net[row.expiration] = g.call_gex - g.put_gex, g.net_gex
    total = sum(gross.values())
    by_date: dict[str, list] = {}
    for row in got.expirations:  # an AM and a PM row add up to the date's gex answer
        by_date.setdefault(row.expiration, []).append(row)
    for day, rows in by_date.items():
        expected = gross.get(day, 0.0) / total * 100
        assert sum(r.share_of_gross_gex_pct for r in rows) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert sum(r.net_gex for r in rows) == pytest.approx(net.get(day, 0.0), rel=1e-9, abs=1e-3)
    assert sum(r.share_of_gross_gex_pct for r in got.expirations) == pytest.approx(100.0)


async def test_spx_kinds_settlements_and_days_follow_the_listing_calendar(spx_path):
    """The Sept quarterly settles AM (SPX, the quarterly) and PM (SPXW, a weekly by its own
    calendar); weeklies are PM; days grow."""
    listed = (await answer(spx_path)).expirations
    rows = {(e.expiration, e.settlement): e for e in listed}
    assert rows["2023-09-15", "AM"].kind == "quarterly"
    assert rows["2023-09-15", "PM"].kind == "weekly"
    assert rows["2023-09-18", "PM"].kind == "weekly" and ("2023-09-18", "AM") not in rows
    assert rows["2023-10-20", "AM"].kind == "monthly" and rows["2023-10-20", "PM"].kind == "weekly"
    # 2023-09-15 09:30 and 16:00 New York, from the 2023-09-14 16:15 close
    assert rows["2023-09-15", "AM"].days_to_expiry == pytest.approx((17 * 60 + 15) / 1440, abs=1e-4)
    assert rows["2023-09-15", "PM"].days_to_expiry == pytest.approx((23 * 60 + 45) / 1440, abs=1e-4)
    rows = {e.expiration: e for e in listed}
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


async def test_expirations_and_expiry_breakdown_tell_one_story(spx_path):
    """Both tools: one row per settlement with the same kind, OI, net GEX and share of gross
    |GEX|. SPX 2023-09-15: the AM quarterly holds ~48% of gross GEX, the PM weeklies ~5%."""
    listed = {(r.expiration, r.settlement): r for r in (await answer(spx_path)).expirations}
    breakdown = await answer(spx_path, "expiry_breakdown")
    assert breakdown.expiries
    for e in breakdown.expiries:
        r = listed[e.expiration, e.settlement]
        assert (e.kind, e.open_interest) == (r.kind, r.open_interest)
        assert e.net_gex == pytest.approx(r.net_gex, rel=1e-12, abs=1e-6)
        assert e.share_of_gross_gex_pct == pytest.approx(r.share_of_gross_gex_pct, rel=1e-12)
    assert listed["2023-09-15", "AM"].share_of_gross_gex_pct == pytest.approx(48.0, abs=0.1)
    assert listed["2023-09-15", "PM"].share_of_gross_gex_pct == pytest.approx(5.4, abs=0.1)
    weekly = sum(r.share_of_gross_gex_pct for r in listed.values() if r.kind == "weekly")
    assert breakdown.weekly_pct == pytest.approx(weekly, rel=1e-9)
