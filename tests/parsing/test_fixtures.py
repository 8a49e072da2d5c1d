"""Every real CBOE snapshot in ../shared/chains loads with the values PROVENANCE.md records."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from gex_mcp.parsing import load_chain_file
from tests.parsing.provenance import CHAINS, FILES, RECORDED, Recorded, contracts_of

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def chains():
    """Each fixture parsed once for the whole module, keyed by file name."""
    return {name: load_chain_file(CHAINS / name) for name in FILES}


def test_the_provenance_table_covers_every_fixture_file() -> None:
    """The 24 data files on disk are exactly the 24 rows typed in from PROVENANCE.md."""
    on_disk = sorted(p.name for p in CHAINS.iterdir() if p.name != "PROVENANCE.md")
    assert on_disk == sorted(FILES)
    assert len(FILES) == 24


@pytest.mark.parametrize("recorded", RECORDED, ids=FILES)
def test_fixture_loads_with_the_recorded_symbol_spot_and_time(chains, recorded: Recorded) -> None:
    """Symbol, spot and New York snapshot time (with its EDT/EST offset) match PROVENANCE."""
    chain = chains[recorded.file]
    assert chain.symbol == recorded.symbol
    assert chain.spot == recorded.spot
    assert chain.as_of.tzinfo is not None
    # PROVENANCE records a CSV's download time (its Date line) and a JSON's last trade time.
    recorded_time = chain.as_of if recorded.file.endswith(".json") else (chain.retrieved_at or chain.as_of)
    assert recorded_time.astimezone(NEW_YORK).replace(tzinfo=None) == recorded.local_time
    assert recorded_time.utcoffset() == timedelta(hours=recorded.utc_offset_hours)
    # The quotes' own time: the download time while the options traded, else a session close.
    assert chain.as_of <= recorded_time
    if chain.as_of != recorded_time:
        assert chain.as_of.astimezone(NEW_YORK).time() in (time(16), time(16, 15), time(13), time(13, 15))
    assert chain.source == f"file:{recorded.file}"


@pytest.mark.parametrize("recorded", RECORDED, ids=FILES)
def test_fixture_has_the_recorded_contracts_and_expiries(chains, recorded: Recorded) -> None:
    """Two contracts per table row (one per JSON option), and the recorded expiry range."""
    chain = chains[recorded.file]
    assert len(chain) == contracts_of(recorded)
    assert len(chain.expirations) == recorded.expiries
    if recorded.first_expiry is not None:
        assert chain.expirations[0] == recorded.first_expiry.isoformat()
        assert chain.expirations[-1] == recorded.last_expiry.isoformat()
    assert set(np.unique(chain.root).tolist()) == recorded.roots


@pytest.mark.parametrize("recorded", RECORDED, ids=FILES)
def test_fixture_columns_are_consistent(chains, recorded: Recorded) -> None:
    """OI and volume are counts, strikes positive, IV NaN or positive, calls pair with puts."""
    chain = chains[recorded.file]
    assert np.all(np.isfinite(chain.open_interest)) and np.all(chain.open_interest >= 0)
    assert np.all(np.isfinite(chain.volume)) and np.all(chain.volume >= 0)
    assert np.all(chain.strike > 0)
    assert np.all(np.isnan(chain.iv) | (chain.iv > 0))
    assert not np.all(np.isnan(chain.iv))
    assert np.all(np.isnan(chain.bid) | (chain.bid >= 0))
    assert np.all(np.isnan(chain.ask) | (chain.ask >= 0))
    assert np.all(np.isnan(chain.prev_open_interest))
    assert np.all(chain.multiplier == 100.0)
    assert np.all(np.isfinite(chain.settle_time))
    assert chain.expiry.dtype == np.dtype("datetime64[D]")
    assert chain.is_call.sum() == len(chain) // 2
    assert chain.open_interest.sum() > 0


def test_index_files_keep_both_am_and_pm_roots(chains) -> None:
    """SPX monthlies (AM-settled) and SPXW weeklies both load and settle at different times."""
    chain = chains["cboe_quotedata_SPX_2023-09-14.csv"]
    friday = np.datetime64("2023-09-15")
    am = chain.settle_time[(chain.root == "SPX") & (chain.expiry == friday)]
    pm = chain.settle_time[(chain.root == "SPXW") & (chain.expiry == friday)]
    assert len(am) > 0 and len(pm) > 0
    assert pm[0] - am[0] == 6.5 * 3600


@pytest.mark.parametrize(("file", "expired_day"), [
    ("cboe_quotedata_SPX_2023-09-14.csv", "2023-09-14"),
    ("cboe_legacy_SPY_2020-06-22.dat", "2020-06-22"),
    ("cboe_quotedata_SPX_2022-06-11.csv", "2022-06-10"),
    ("cboe_quotedata_SPX_2023-08-20.csv", "2023-08-18"),
])
def test_rows_expired_at_snapshot_time_are_kept(chains, file: str, expired_day: str) -> None:
    """The parser keeps already-settled rows; dropping and counting them is the engine's job."""
    chain = chains[file]
    expired = chain.expiry == np.datetime64(expired_day)
    assert expired.sum() > 0
    assert np.all(chain.settle_time[expired] <= chain.as_of.timestamp())


def test_a_csv_row_becomes_a_call_and_a_put_with_its_values(chains) -> None:
    """The NVDA row quoted in PROVENANCE.md: IV 0 becomes NaN, everything else as written."""
    chain = chains["cboe_quotedata_NVDA_2025-01-06.csv"]
    row = (chain.strike == 50.0) & (chain.expiry == np.datetime64("2025-01-10"))
    call, put = np.flatnonzero(row & chain.is_call), np.flatnonzero(row & ~chain.is_call)
    assert (len(call), len(put)) == (1, 1)
    c, p = int(call[0]), int(put[0])
    assert (chain.bid[c], chain.ask[c], chain.volume[c], chain.open_interest[c]) == (
        99.0, 100.05, 8.0, 115.0)
    assert np.isnan(chain.iv[c])
    assert (chain.bid[p], chain.ask[p], chain.volume[p], chain.iv[p], chain.open_interest[p]) == (
        0.0, 0.01, 81.0, 3.2631, 4045.0)
    assert str(chain.root[c]) == "NVDA"


def test_a_legacy_row_reads_its_three_decimal_strike(chains) -> None:
    """Legacy strikes are written '3925.000'; the first SPX row is a 400 SPXW call and put."""
    chain = chains["cboe_legacy_SPX_2020-09-04.dat"]
    assert chain.strike[:2].tolist() == [400.0, 400.0]
    assert chain.root[:2].tolist() == ["SPXW", "SPXW"]
    assert chain.is_call[:2].tolist() == [True, False]
    assert chain.expiry[0] == np.datetime64("2020-09-04")
    assert chain.ask[:2].tolist() == [3039.0, 9.8]
    assert chain.iv[:2].tolist() == [0.02, 0.02]


def test_json_keeps_fractional_strikes(chains) -> None:
    """AAPL250912C00207500 is a 207.5 call, not rounded to 207 or 208."""
    chain = chains["cboe_delayed_AAPL_2025-09-05.json"]
    hit = (chain.strike == 207.5) & chain.is_call & (chain.expiry == np.datetime64("2025-09-12"))
    assert hit.sum() == 1
    assert np.any(chain.strike % 1 != 0)


def test_json_option_fields_are_copied(chains) -> None:
    """The first AAPL option as written in the file: bid, ask, iv, open interest, volume."""
    chain = chains["cboe_delayed_AAPL_2025-09-05.json"]
    assert (chain.root[0], chain.expiry[0].astype(object), bool(chain.is_call[0])) == (
        "AAPL", date(2025, 9, 12), True)
    assert (chain.strike[0], chain.bid[0], chain.ask[0], chain.iv[0]) == (110.0, 129.3, 130.1,
                                                                          1.5377)
    assert (chain.open_interest[0], chain.volume[0]) == (4.0, 0.0)


def test_adjusted_roots_are_dropped_with_a_note(chains) -> None:
    """AMD1 contracts (non-standard deliverable) are left out and the loader says so."""
    chain = chains["cboe_quotedata_AMD_2023-08-20.csv"]
    assert "AMD1" not in chain.root.tolist()
    assert chain.notes == ("dropped 80 contracts of adjusted roots AMD1 "
                           "(non-standard deliverables)",)


def test_the_spreadsheet_resaved_file_loads_with_a_note(chains) -> None:
    """No leading blank line and comma-padded header lines: same data, one remark."""
    chain = chains["cboe_quotedata_SPX_2022-07-12_intraday.csv"]
    assert chain.notes == ("no leading blank line and header lines padded with commas "
                           "(file re-saved by a spreadsheet)",)
    assert chain.strike[0] == 1000.0


def test_the_hand_edited_date_line_is_read_with_a_note(chains) -> None:
    """'Date: 22 March 2024, 9:46 PM EDT' with a stray quote: read, and the quote is noted."""
    chain = chains["cboe_quotedata_QQQ_2024-03-22_edited-header.csv"]
    assert chain.notes == ("line 3: ignored an unbalanced double quote in the date line",)


def test_clean_downloads_have_no_notes(chains) -> None:
    """Files that follow their format exactly produce no remarks, but for the one saying which
    price an after-hours JSON takes as spot."""
    for name in ("cboe_quotedata_SPX_2023-09-14.csv", "cboe_legacy_SPX_2020-09-04.dat"):
        assert chains[name].notes == ()
    assert chains["cboe_delayed_META_2025-09-05.json"].notes == (
        "spot is data.close 752.45, the price the closing quotes were made at "
        "(data.current_price 749.75 is after hours)",)
