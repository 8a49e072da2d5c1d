"""FileSource over ../shared/chains and over small folders built in tmp_path."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import anyio
import numpy as np
import pytest

from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import ConfigError, NoDataError, SourceDataError, UnknownSymbolError
from gex_mcp.parsing import load_chain_file
from gex_mcp.sources.base import ChainSource
from gex_mcp.sources.file import FileSource, SnapshotInfo

pytestmark = pytest.mark.anyio

CHAINS = Path(__file__).resolve().parents[2].parent / "shared" / "chains"
SPX_FILES = [
    "cboe_legacy_SPX_2020-09-04.dat", "cboe_quotedata_SPX_2022-02-05.csv",
    "cboe_quotedata_SPX_2022-06-11.csv", "cboe_quotedata_SPX_2022-07-12_intraday.csv",
    "cboe_quotedata_SPX_2023-02-07.csv", "cboe_quotedata_SPX_2023-08-20.csv",
    "cboe_quotedata_SPX_2023-09-14.csv", "cboe_quotedata_SPX_2024-01-07.csv",
    "cboe_quotedata_SPX_2025-01-06_JAN-expiries.csv"]


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def tiny_chain_csv(when: str, root: str = "TEST", spot: float = 100.0) -> bytes:
    """A two-contract CBOE quote-table CSV; `when` is the text after 'Date: '."""
    return (
        "\n"
        f'"Test Co",Last: {spot},Change:  0.5\n'
        f'"Date: {when}",Bid: 99.9,Ask: 100.1,Size: 1*1,Volume: 100\n'
        "Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,"
        "Strike,Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest\n"
        f"Fri Sep 15 2023,{root}230915C00100000,1.0,0,0.9,1.1,10,0.2,0.5,0.05,100,100.00,"
        f"{root}230915P00100000,1.0,0,0.9,1.1,10,0.2,-0.5,0.05,100\n").encode()


async def fetch(source: FileSource, symbol: str, **kwargs) -> OptionChain:
    with anyio.fail_after(10):
        return await source.fetch_chain(symbol, **kwargs)


def assert_same_chain(actual: OptionChain, expected: OptionChain) -> None:
    for field in dataclasses.fields(OptionChain):
        a, b = getattr(actual, field.name), getattr(expected, field.name)
        if isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=field.name)
        else:
            assert a == b, field.name


# -- the shared snapshots ------------------------------------------------------------------


def test_listing_identifies_every_shared_snapshot_from_its_name_alone() -> None:
    """All 24 files are listed with symbol and day from the name; none is read."""
    snapshots = FileSource(CHAINS).list_snapshots()
    assert len(snapshots) == 24
    assert {s.symbol for s in snapshots} == {"AAPL", "AMD", "GOOGL", "META", "NDX", "NVDA",
                                            "QQQ", "SPX", "SPY", "TSLA", "XSP"}
    assert not any(s.as_of_exact for s in snapshots)
    spx = FileSource(CHAINS).list_snapshots("^spx")
    assert [s.path.name for s in spx] == SPX_FILES
    assert spx[0] == SnapshotInfo("SPX", ny(2020, 9, 4), CHAINS / SPX_FILES[0], False)


async def test_the_newest_snapshot_is_served_by_default() -> None:
    """SPX without as_of is the 2025-01-06 file, parsed exactly as load_chain_file does."""
    chain = await fetch(FileSource(CHAINS), "SPX")
    assert_same_chain(chain, load_chain_file(CHAINS / SPX_FILES[-1]))
    assert chain.source == f"file:{SPX_FILES[-1]}"


async def test_as_of_picks_the_newest_at_or_before_it_to_the_minute() -> None:
    """The SPX file downloaded 2023-09-14 16:31 holds the 16:15 close's quotes (its as_of):
    16:14 gets the snapshot before, 16:15 gets it."""
    source = FileSource(CHAINS)
    before = await fetch(source, "SPX", as_of=ny(2023, 9, 14, 16, 14))
    at = await fetch(source, "SPX", as_of=ny(2023, 9, 14, 16, 15))
    assert before.source == "file:cboe_quotedata_SPX_2023-08-20.csv"
    assert at.source == "file:cboe_quotedata_SPX_2023-09-14.csv"
    assert at.as_of == ny(2023, 9, 14, 16, 15)
    assert at.retrieved_at == ny(2023, 9, 14, 16, 31)


async def test_the_constructor_as_of_is_the_default_cut_off() -> None:
    """FileSource(as_of=...) serves history without per-call arguments."""
    source = FileSource(CHAINS, as_of=ny(2020, 6, 30, 12, 0))
    chain = await fetch(source, "spy")
    assert chain.source == "file:cboe_legacy_SPY_2020-06-28.dat"


async def test_reading_a_file_makes_its_listed_time_exact() -> None:
    """After a fetch the listing shows the file's own time (its quotes': the Friday close
    before the Sunday download), flagged exact."""
    source = FileSource(CHAINS)
    await fetch(source, "TSLA")
    (tsla,) = source.list_snapshots("TSLA")
    assert (tsla.as_of, tsla.as_of_exact) == (ny(2023, 8, 18, 16, 0), True)


async def test_an_unknown_symbol_lists_the_symbols_present() -> None:
    """No file for IWM: UnknownSymbolError naming what is there."""
    with pytest.raises(UnknownSymbolError) as info:
        await fetch(FileSource(CHAINS), "iwm")
    assert str(info.value) == (
        f"No snapshot of 'IWM' in {CHAINS}. Symbols present: AAPL, AMD, GOOGL, META, NDX, "
        "NVDA, QQQ, SPX, SPY, TSLA, XSP. Use one of those, or add a file named "
        "cboe_quotedata_IWM_YYYY-MM-DD.csv.")


async def test_a_path_like_symbol_is_refused() -> None:
    """'../etc' never becomes part of a file lookup."""
    with pytest.raises(UnknownSymbolError) as info:
        await fetch(FileSource(CHAINS), "../etc")
    assert str(info.value) == ("'../etc' is not a ticker symbol. "
                               "Use letters only, e.g. 'SPY' or 'SPX'.")


async def test_nothing_before_the_cut_off_is_no_data() -> None:
    """Files exist for SPX, none by 2019: NoDataError naming the earliest."""
    with pytest.raises(NoDataError) as info:
        await fetch(FileSource(CHAINS), "SPX", as_of=ny(2019, 1, 1))
    assert str(info.value) == (
        f"No snapshot of 'SPX' at or before 2019-01-01T00:00:00-05:00 in {CHAINS}; the earliest "
        "is cboe_legacy_SPX_2020-09-04.dat. Use a later as_of, or add older files.")
    assert info.value.exit_code == 4


def test_file_source_is_a_chain_source() -> None:
    """FileSource satisfies the ChainSource protocol."""
    source = FileSource(CHAINS)
    assert isinstance(source, ChainSource)
    assert source.name == "file"


# -- configuration ---------------------------------------------------------------------------


def test_a_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    """GEX_CHAINS_DIR pointing nowhere fails at construction with exit code 5."""
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as info:
        FileSource(missing)
    assert str(info.value) == (
        f"GEX_CHAINS_DIR {missing} does not exist. Point it at a folder of CBOE chain files "
        "(.csv, .dat, .json), or use source demo.")
    assert info.value.exit_code == 5


def test_a_file_instead_of_a_folder_is_a_config_error(tmp_path: Path) -> None:
    """A path to a file is not a chains folder."""
    file = tmp_path / "x.csv"
    file.write_bytes(b"")
    with pytest.raises(ConfigError):
        FileSource(file)


def test_a_naive_as_of_is_refused(tmp_path: Path) -> None:
    """Times without a zone are ambiguous; the caller must attach one."""
    with pytest.raises(ValueError):
        FileSource(tmp_path, as_of=datetime(2023, 9, 14, 16, 0))


async def test_a_folder_that_disappears_is_a_config_error(tmp_path: Path) -> None:
    """The folder is checked again on every call."""
    folder = tmp_path / "chains"
    folder.mkdir()
    source = FileSource(folder)
    folder.rmdir()
    with pytest.raises(ConfigError):
        await fetch(source, "SPY")


# -- files built in tmp_path -----------------------------------------------------------------


async def test_an_unpatterned_name_is_identified_by_reading_it(tmp_path: Path) -> None:
    """'my export.csv' is parsed once to learn symbol and exact time."""
    (tmp_path / "my export.csv").write_bytes(tiny_chain_csv("September 14, 2023 at 10:00 AM EDT"))
    source = FileSource(tmp_path)
    (info,) = source.list_snapshots()
    assert info == SnapshotInfo("TEST", ny(2023, 9, 14, 10, 0), tmp_path / "my export.csv", True)
    chain = await fetch(source, "test")
    assert (chain.symbol, len(chain)) == ("TEST", 2)


async def test_an_unreadable_file_is_skipped_and_named(tmp_path: Path) -> None:
    """Junk without the name pattern is skipped; the others still serve; errors mention it."""
    (tmp_path / "junk.csv").write_bytes(b"not, a, chain\n")
    (tmp_path / "notes.txt").write_bytes(b"ignored: wrong extension")
    (tmp_path / "cboe_quotedata_TEST_2023-09-14.csv").write_bytes(
        tiny_chain_csv("September 14, 2023 at 10:00 AM EDT"))
    source = FileSource(tmp_path)
    assert [s.symbol for s in source.list_snapshots()] == ["TEST"]
    assert list(source.skipped) == [tmp_path / "junk.csv"]
    with pytest.raises(UnknownSymbolError) as info:
        await fetch(source, "SPY")
    assert str(info.value) == (
        f"No snapshot of 'SPY' in {tmp_path} (1 unreadable file(s) skipped: junk.csv). "
        "Symbols present: TEST. Use one of those, or add a file named "
        "cboe_quotedata_SPY_YYYY-MM-DD.csv.")


async def test_a_malformed_file_with_a_good_name_fails_naming_the_file(tmp_path: Path) -> None:
    """The name says SPY, the content is junk: SourceDataError naming the file."""
    (tmp_path / "cboe_quotedata_SPY_2023-09-14.csv").write_bytes(b"\x00\x01garbage")
    with pytest.raises(SourceDataError) as info:
        await fetch(FileSource(tmp_path), "SPY")
    assert "cboe_quotedata_SPY_2023-09-14.csv" in str(info.value)


async def test_two_snapshots_on_one_day_are_ordered_by_their_own_times(tmp_path: Path) -> None:
    """Same symbol and day: the later 'Date:' wins; a cut-off between them gets the earlier."""
    (tmp_path / "cboe_quotedata_TEST_2023-09-14_a.csv").write_bytes(
        tiny_chain_csv("September 14, 2023 at 3:55 PM EDT", spot=101.0))
    (tmp_path / "cboe_quotedata_TEST_2023-09-14_b.csv").write_bytes(
        tiny_chain_csv("September 14, 2023 at 10:00 AM EDT", spot=99.0))
    source = FileSource(tmp_path)
    assert (await fetch(source, "TEST")).spot == 101.0
    noon = await fetch(source, "TEST", as_of=ny(2023, 9, 14, 12, 0))
    assert noon.spot == 99.0
    with pytest.raises(NoDataError):
        await fetch(source, "TEST", as_of=ny(2023, 9, 14, 9, 0))


async def test_files_added_later_are_seen(tmp_path: Path) -> None:
    """The folder is re-listed on each call, so a new download shows up at once."""
    source = FileSource(tmp_path)
    assert source.list_snapshots() == []
    (tmp_path / "cboe_quotedata_TEST_2023-09-14.csv").write_bytes(
        tiny_chain_csv("September 14, 2023 at 10:00 AM EDT"))
    assert (await fetch(source, "TEST")).symbol == "TEST"


async def test_the_listing_is_reused_until_the_folder_changes(tmp_path: Path) -> None:
    """Many fetches list the folder once; adding a file lists it again at once."""
    (tmp_path / "cboe_quotedata_TEST_2023-09-14.csv").write_bytes(
        tiny_chain_csv("September 14, 2023 at 10:00 AM EDT"))
    source = FileSource(tmp_path)
    listings = 0
    real_list = source._list

    def counting_list() -> list[SnapshotInfo]:
        nonlocal listings
        listings += 1
        return real_list()

    source._list = counting_list  # type: ignore[method-assign]
    for _ in range(50):
        assert (await fetch(source, "TEST")).symbol == "TEST"
    assert listings == 1
    (tmp_path / "cboe_quotedata_ABC_2023-09-14.csv").write_bytes(
        tiny_chain_csv("September 14, 2023 at 10:00 AM EDT", root="ABC"))
    assert (await fetch(source, "ABC")).symbol == "ABC"
    assert listings == 2


async def test_a_file_rewritten_in_place_is_seen_once_the_listing_ages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rewriting a file does not touch its folder: the listing's age bound catches it."""
    path = tmp_path / "my export.csv"
    path.write_bytes(tiny_chain_csv("September 14, 2023 at 10:00 AM EDT"))
    source = FileSource(tmp_path)
    assert [i.symbol for i in source.list_snapshots()] == ["TEST"]
    path.write_bytes(tiny_chain_csv("September 15, 2023 at 10:00 AM EDT", root="ABC"))
    monkeypatch.setattr("gex_mcp.sources.file.LISTING_MAX_AGE_SECONDS", 0.0)
    assert [(i.symbol, i.as_of) for i in source.list_snapshots()] == [("ABC", ny(2023, 9, 15, 10, 0))]


def test_the_cache_tag_follows_the_replay_time(tmp_path: Path) -> None:
    """Stepping a replay (as_of) must not reuse the chains cached for the previous step."""
    source = FileSource(tmp_path, as_of=ny(2020, 6, 23))
    before = source.cache_tag
    source.as_of = ny(2020, 6, 29)
    assert source.cache_tag != before and str(tmp_path.resolve()) in source.cache_tag
