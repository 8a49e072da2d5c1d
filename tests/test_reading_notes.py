"""Every answer says how old it is relative to the question and carries the notes that change
how to read it (issue 22), checked against the raw files in ../shared/chains."""

from __future__ import annotations

import csv
from datetime import datetime
from zoneinfo import ZoneInfo

import anyio
import pytest

from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.responses.age import gap_in_words, sessions_between
from gex_mcp.service import build_service
from gex_mcp.settings import Settings

NY = ZoneInfo("America/New_York")


def raw_rows(path) -> list[list[str]]:
    """The data rows of a quotedata CSV (after the 'Expiration Date,...' header), read with csv."""
    with open(path, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Expiration Date,")) + 1
    return [r for r in csv.reader(lines[start:]) if r and r[0]]


def raw_expirations(path) -> set[str]:
    return {datetime.strptime(r[0], "%a %b %d %Y").date().isoformat() for r in raw_rows(path)}


async def every_answer(settings, symbol):
    out = []
    async with build_service(settings) as service:
        for ep in ENDPOINTS:
            if ep.kind == "analysis":
                args = {k: v for k, v in ep.example.items() if k != "symbol"}
                out.append((ep.name, await service.call(ep.name, symbol=symbol, **args)))
        chart = await service.chart(symbol)
        scan = await service.call("scan", symbols=[symbol])
    return out, chart, scan.rows[0]


def file_settings(chains_dir, tmp_path, **kw):
    return Settings(_env_file=None, source="file", chains_dir=chains_dir, data_dir=tmp_path, **kw)


# ---- age relative to the question ---------------------------------------------------------

def test_a_replay_says_its_snapshot_is_seven_months_older_than_asked(chains_dir, tmp_path):
    """GEX_FILE_AS_OF=2023-02-07T12:00: that day's SPX file is of 16:15, after the requested
    time, so the answer is the 2022-07-12 11:55 snapshot (the time its raw header states)."""
    requested = datetime(2023, 2, 7, 12, 0, tzinfo=NY)
    settings = file_settings(chains_dir, tmp_path, file_as_of=requested)
    answers, chart, row = anyio.run(lambda: every_answer(settings, "SPX"))
    with open(chains_dir / "cboe_quotedata_SPX_2022-07-12_intraday.csv", encoding="utf-8") as f:
        assert "July 12, 2022, 11:55 AM EDT" in f.read(400)
    quotes = datetime(2022, 7, 12, 11, 55, tzinfo=NY)
    for name, answer in answers:
        assert answer.as_of == quotes, name
        assert answer.requested_as_of == requested, name
        assert answer.age_seconds == pytest.approx(requested.timestamp() - quotes.timestamp(), abs=0.1)
        assert answer.outdated and not answer.stale, name
        old = [n for n in answer.notes if n.startswith("old snapshot:")]
        assert len(old) == 1 and "7 months" in old[0] and "before the requested time" in old[0], name
    assert row.outdated and any("7 months" in n for n in row.notes)
    assert chart.info.outdated and "7 months" in chart.caption


def test_a_replay_of_the_same_evening_is_current(chains_dir, tmp_path):
    """Asked for 2023-09-14 17:00, the 16:15 index close is 45 minutes old and not flagged."""
    requested = datetime(2023, 9, 14, 17, 0, tzinfo=NY)
    settings = file_settings(chains_dir, tmp_path, file_as_of=requested)
    answers, _, row = anyio.run(lambda: every_answer(settings, "SPX"))
    for name, answer in answers:
        assert answer.age_seconds == 45 * 60, name
        assert not answer.outdated and not any(n.startswith("old snapshot") for n in answer.notes)
    assert not row.outdated


def test_the_as_of_argument_is_the_requested_time(chains_dir, tmp_path):
    settings = file_settings(chains_dir, tmp_path)

    async def ask():
        async with build_service(settings) as service:
            return await service.call("levels", symbol="SPY", as_of="2020-06-29T12:00")

    levels = anyio.run(ask)
    requested = datetime(2020, 6, 29, 12, 0, tzinfo=NY)
    assert levels.requested_as_of == requested
    assert levels.age_seconds == pytest.approx(requested.timestamp() - levels.as_of.timestamp(), abs=0.1)
    # the 2020-06-28 (Sunday) file shows Friday 06-26's close: one session before Monday
    assert sessions_between(levels.as_of, requested) == 1 and not levels.outdated


@pytest.mark.parametrize(("seconds", "words"), [
    (7 * 30.44 * 86400, "7 months"), (4 * 86400, "4 days"), (3 * 3600, "3 hours"),
    (800 * 86400, "2 years 2 months"), (86400 * 365.25, "1 year"), (45 * 60, "45 minutes")])
def test_gaps_in_words(seconds, words):
    assert gap_in_words(seconds) == words


def test_sessions_skip_weekends_and_holidays():
    fri = datetime(2023, 9, 15, 16, 15, tzinfo=NY)
    assert sessions_between(fri, datetime(2023, 9, 18, 12, 0, tzinfo=NY)) == 1
    assert sessions_between(fri, datetime(2023, 9, 17, 12, 0, tzinfo=NY)) == 0
    # Thursday 2023-11-23 is Thanksgiving: Wednesday's close to Friday is one session
    assert sessions_between(datetime(2023, 11, 22, 16, 0, tzinfo=NY),
                            datetime(2023, 11, 24, 12, 0, tzinfo=NY)) == 1


# ---- data-quality notes on every answer, scan row and chart ---------------------------------

def test_a_single_expiration_is_noted_everywhere(chains_dir, tmp_path):
    path = chains_dir / "cboe_quotedata_TSLA_2023-08-20_one-expiry.csv"
    (only,) = raw_expirations(path)  # the raw file holds one expiration
    answers, chart, row = anyio.run(lambda: every_answer(file_settings(chains_dir, tmp_path), "TSLA"))
    sentence = f"the snapshot lists only 1 expiration, through {only}"
    for name, answer in answers:
        assert any(n.startswith(sentence) for n in answer.notes), name
    assert any(n.startswith(sentence) for n in row.notes)
    assert sentence in chart.caption and any(n.startswith(sentence) for n in chart.info.notes)


def test_a_january_only_listing_is_noted_everywhere(chains_dir, tmp_path):
    path = chains_dir / "cboe_quotedata_SPX_2025-01-06_JAN-expiries.csv"
    last = max(raw_expirations(path))
    assert last <= "2025-01-31"
    answers, _, row = anyio.run(lambda: every_answer(file_settings(chains_dir, tmp_path), "SPX"))
    for name, answer in answers:
        assert any("lists only" in n and f"through {last}" in n for n in answer.notes), name
    assert any("lists only" in n for n in row.notes)


def test_skipped_contracts_above_five_percent_are_noted(chains_dir, tmp_path):
    """QQQ 2024-03-22: about 13% of the contracts are skipped for a missing IV."""
    path = chains_dir / "cboe_quotedata_QQQ_2024-03-22_edited-header.csv"
    contracts = 2 * len(raw_rows(path))  # a call and a put per row
    answers, _, row = anyio.run(lambda: every_answer(file_settings(chains_dir, tmp_path), "QQQ"))
    gex = dict(answers)["gex"]
    assert gex.data_quality.contracts_total == contracts
    skipped = gex.data_quality.iv_missing_skipped
    share = skipped / contracts * 100
    assert share > 5
    sentence = f"{share:.0f}% of the snapshot's contracts ({skipped:,} of {contracts:,}) were skipped"
    for name, answer in answers:
        assert any(n.startswith(sentence) for n in answer.notes), name
    assert any(n.startswith(sentence) for n in row.notes)


def test_a_clean_full_snapshot_has_no_quality_notes(chains_dir, tmp_path):
    settings = file_settings(chains_dir, tmp_path,
                             file_as_of=datetime(2023, 9, 14, 17, 0, tzinfo=NY))

    async def ask():
        async with build_service(settings) as service:
            return await service.call("levels", symbol="SPY")

    assert anyio.run(ask).notes == []


def test_scan_takes_as_of_and_answers_each_symbol_then(chains_dir, tmp_path):
    """SPY asked at 2020-06-29 noon: the scan row is the levels answer of that time."""
    settings = file_settings(chains_dir, tmp_path)

    async def ask():
        async with build_service(settings) as service:
            scan = await service.call("scan", symbols=["SPY", "SPX"], as_of="2020-06-29T12:00")
            levels = await service.call("levels", symbol="SPY", as_of="2020-06-29T12:00")
            latest = await service.call("levels", symbol="SPY")
            return scan, levels, latest

    scan, levels, latest = anyio.run(ask)
    spy, spx = scan.rows
    assert spy.as_of == levels.as_of != latest.as_of
    assert spy.gamma_flip == levels.gamma_flip and spy.call_wall == levels.call_wall
    # no SPX file at or before 2020-06-29: that row says so, the scan goes on
    assert spx.error and "2020-06-29" in spx.error


def test_scan_refuses_a_bad_as_of_once(chains_dir, tmp_path):
    from gex_mcp.errors import InputError

    async def ask():
        async with build_service(file_settings(chains_dir, tmp_path)) as service:
            await service.call("scan", symbols=["SPY"], as_of="yesterday-ish")

    with pytest.raises(InputError, match="as_of"):
        anyio.run(ask)
