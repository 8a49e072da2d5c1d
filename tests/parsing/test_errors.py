"""Malformed, truncated and foreign inputs, built from real fixture bytes: SourceDataError only.

Every message starts with the file name; the ones a user is most likely to meet are compared
exactly. Bad rows fail the file with their line number (they are never skipped).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from gex_mcp.errors import SourceDataError
from gex_mcp.parsing import load_chain_file, parse_cboe_delayed_json, parse_chain_bytes
from tests.parsing.provenance import CHAINS, FILES

SPX_CSV = "cboe_quotedata_SPX_2023-09-14.csv"
AAPL_JSON = "cboe_delayed_AAPL_2025-09-05.json"


def fixture(name: str) -> bytes:
    return (CHAINS / name).read_bytes()


def with_line(name: str, index: int, new: bytes | None) -> bytes:
    """The fixture with line `index` (0-based) replaced, or removed when `new` is None."""
    lines = fixture(name).split(b"\n")
    lines[index:index + 1] = [] if new is None else [new]
    return b"\n".join(lines)


def error_of(data: bytes, name: str) -> SourceDataError:
    with pytest.raises(SourceDataError) as info:
        parse_chain_bytes(data, name=name)
    assert str(info.value).startswith(f"{name}: ")
    return info.value


@pytest.mark.parametrize("name", FILES)
def test_every_fixture_cut_in_half_is_rejected_naming_the_file(name: str) -> None:
    """Half a file is never a smaller chain: tables end mid-line, JSON ends mid-object."""
    data = fixture(name)
    error = error_of(data[: len(data) // 2], name)
    assert error.exit_code == 3
    assert "truncated" in str(error)


def test_a_half_csv_names_the_line_where_it_stops() -> None:
    """The SPX CSV cut at half ends inside line 5013."""
    data = fixture(SPX_CSV)
    assert str(error_of(data[: len(data) // 2], SPX_CSV)) == (
        "cboe_quotedata_SPX_2023-09-14.csv: line 5013: the file ends mid-line (no line break "
        "after the last row); it looks truncated")


def test_a_half_json_is_reported_as_truncated_with_the_decoder_position() -> None:
    """The AAPL JSON cut at half: 'truncated JSON' and where the decoder stopped."""
    data = fixture(AAPL_JSON)
    assert str(error_of(data[: len(data) // 2], AAPL_JSON)) == (
        "cboe_delayed_AAPL_2025-09-05.json: truncated JSON (Expecting property name enclosed "
        "in double quotes at char 522986)")


def test_a_csv_cut_inside_the_header_counts_its_columns() -> None:
    """200 bytes reach only 8 of the 22 header columns on line 4."""
    assert str(error_of(fixture(SPX_CSV)[:200], "x.csv")) == (
        "x.csv: line 4: expected 22 columns in the header, found 8")


def test_a_csv_without_its_header_line_is_rejected() -> None:
    """With line 4 deleted, a data row sits where the header belongs."""
    data = with_line(SPX_CSV, 3, None)
    assert str(error_of(data, "x.csv")) == (
        "x.csv: line 4: expected the column header 'Expiration Date,Calls,...', found "
        "'Thu Sep 14 2023,SPXW230914C01200000,0,0,3300.1,3319.8,0,0...'")


def test_a_legacy_file_without_its_header_line_is_rejected() -> None:
    """The legacy header is line 3."""
    data = with_line("cboe_legacy_SPX_2020-09-04.dat", 2, None)
    assert str(error_of(data, "q.dat")).startswith(
        "q.dat: line 3: expected the column header 'Expiration Date,Calls,...', found '09/04/2020,")


def test_a_renamed_header_column_is_named() -> None:
    """A header with 22 columns but a wrong name says which column and what was expected."""
    header = fixture(SPX_CSV).split(b"\n")[3].replace(b"IV,", b"Vola,", 1)
    assert str(error_of(with_line(SPX_CSV, 3, header), "x.csv")) == (
        "x.csv: line 4: header column 8 is 'Vola', expected 'IV'")


OVERRIDE = ("Give the download time instead with --chain FILE --snapshot-time 'YYYY-MM-DD HH:MM' "
            "(New York time).")


def test_a_garbage_date_line_is_quoted_in_the_error() -> None:
    """'Date: Foo' cannot be a snapshot time."""
    data = with_line(SPX_CSV, 2, b'"Date: Foo",Bid: 1,Ask: 2,Size: 1*1,Volume: 0')
    assert str(error_of(data, "x.csv")) == (
        "x.csv: line 3: cannot read the snapshot date 'Date: Foo'. " + OVERRIDE)


def test_a_date_in_another_time_zone_is_rejected() -> None:
    """Only EDT, EST and ET (New York) are accepted."""
    data = with_line(SPX_CSV, 2, b'"Date: September 14, 2023 at 3:31 PM CDT",Bid: 1')
    assert str(error_of(data, "x.csv")) == (
        "x.csv: line 3: cannot read the snapshot date 'Date: September 14, 2023 at 3:31 PM CDT': "
        "time zone 'CDT' is not New York time (EDT, EST, ET or its GMT offset). " + OVERRIDE)


def test_a_legacy_garbage_date_is_rejected() -> None:
    """The legacy date is the first field of line 2."""
    data = with_line("cboe_legacy_AAPL_2019-08-25.dat", 1, b"Aug 95 2019 @ 10:55 ET,Bid,1\r")
    assert str(error_of(data, "a.dat")) == (
        "a.dat: line 2: cannot read the snapshot date 'Aug 95 2019 @ 10:55 ET': day is out of "
        "range for month. " + OVERRIDE)


def test_a_missing_spot_is_rejected() -> None:
    """Line 2 without 'Last:' gives no spot price."""
    data = with_line(SPX_CSV, 1, b"Standard & Poors 500 Index,Change:  37.6601")
    assert str(error_of(data, "x.csv")) == (
        "x.csv: line 2: no 'Last:' price in 'Standard & Poors 500 Index,Change:  37.6601'")


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n"], ids=["zero-bytes", "blank-lines"])
def test_an_empty_file_is_rejected(data: bytes) -> None:
    """Nothing, or only whitespace, is an empty file."""
    assert str(error_of(data, "e.csv")) == "e.csv: empty file"


def test_a_header_with_no_rows_has_no_option_rows() -> None:
    """The preamble and header alone are not a chain."""
    head = b"\n".join(fixture(SPX_CSV).split(b"\n")[:4]) + b"\n"
    assert str(error_of(head, "x.csv")) == "x.csv: no option rows"


def test_a_file_ending_before_the_header_says_so() -> None:
    """Two lines of preamble and nothing else."""
    head = b"\n".join(fixture(SPX_CSV).split(b"\n")[:3])
    assert str(error_of(head, "x.csv")) == (
        "x.csv: the file ends at line 3, before the column header (expected "
        "'Expiration Date,Calls,...' on line 4)")


def test_json_without_data_is_rejected_listing_its_keys() -> None:
    """A payload with no 'data' object names the keys it does have."""
    data = fixture(AAPL_JSON).replace(b'"data": {', b'"dat": {', 1)
    assert str(error_of(data, "AAPL.json")) == (
        "AAPL.json: no 'data' object (top-level keys: timestamp, dat, symbol)")


def test_json_with_extra_bytes_after_the_object_is_invalid_not_truncated() -> None:
    """Complete JSON followed by junk is 'invalid'."""
    assert str(error_of(fixture(AAPL_JSON) + b"x", "AAPL.json")) == (
        "AAPL.json: invalid JSON (Extra data at char 1045972)")


def test_a_json_array_is_not_a_chain() -> None:
    """The delayed-quotes payload is an object."""
    assert str(error_of(b"[1, 2]", "l.json")) == "l.json: expected a JSON object, found list"


@pytest.mark.parametrize(("data", "message"), [
    (b'{"data": {"options": []}, "symbol": "AAPL"}', "no option rows"),
    (b'{"data": {"options": {}}, "symbol": "AAPL"}', "'data.options' is missing or not a list"),
    (b'{"data": {"options": [7]}, "symbol": "AAPL"}', "options[0] is not an object"),
    (b'{"data": {"options": [{"bid": 1}]}}', "options[0] has no 'option'"),
], ids=["empty", "not-a-list", "not-an-object", "no-symbol"])
def test_json_with_malformed_options_is_rejected(data: bytes, message: str) -> None:
    """Each structural problem in data.options has its own message."""
    assert str(error_of(data, "j.json")) == f"j.json: {message}"


def test_json_with_a_null_open_interest_names_the_option() -> None:
    """A null OI is not a silent zero."""
    data = fixture(AAPL_JSON).replace(b'"open_interest": 4.0', b'"open_interest": null', 1)
    assert str(error_of(data, "AAPL.json")) == (
        "AAPL.json: options[0] (AAPL250912C00110000): open_interest is None, not a count")


def test_json_with_a_text_price_names_the_option() -> None:
    """A string where a number belongs is rejected, not coerced."""
    data = fixture(AAPL_JSON).replace(b'"bid": 129.3', b'"bid": "129.3"', 1)
    assert str(error_of(data, "AAPL.json")) == (
        "AAPL.json: options[0] (AAPL250912C00110000): bid is '129.3', not a number")


def test_json_with_a_bad_option_symbol_names_its_index() -> None:
    """The OCC error is passed on with the option's position."""
    data = fixture(AAPL_JSON).replace(b"AAPL250912C00110000", b"AAPL250912Q00110000", 1)
    assert str(error_of(data, "AAPL.json")) == (
        "AAPL.json: options[0]: not an OCC option symbol: 'AAPL250912Q00110000' "
        "(expected C or P 9th from the right, found 'Q')")


def test_json_without_any_spot_price_is_rejected() -> None:
    """Neither current_price nor close: no spot."""
    data = (fixture(AAPL_JSON).replace(b'"current_price": 239.23', b'"current_price": 0', 1)
            .replace(b'"close": 239.69', b'"close": null', 1))
    assert str(error_of(data, "AAPL.json")) == (
        "AAPL.json: no spot price (data.current_price and data.close are missing or not "
        "positive: 0, None)")


def test_gzip_data_is_named_as_such() -> None:
    """A compressed download gets a hint to decompress it."""
    data = gzip.compress(fixture(SPX_CSV), mtime=0)
    assert str(error_of(data, "x.csv.gz")) == "x.csv.gz: gzip-compressed data; decompress it first"


def test_binary_junk_is_not_a_chain() -> None:
    """Bytes with NULs are binary, whatever the name says."""
    junk = bytes((i * 37 + 11) % 256 for i in range(4096))
    assert str(error_of(junk, "junk.csv")) == (
        "junk.csv: binary data (NUL bytes), not a CBOE option chain")


def test_text_that_is_not_a_chain_says_what_was_expected() -> None:
    """A text file of another kind is named as not a CBOE chain."""
    assert str(error_of(b"hello world\nfoo\nbar\nbaz\n", "notes.txt")) == (
        "notes.txt: not a CBOE option chain (expected JSON, a quote-table CSV or a legacy "
        ".dat); it starts with 'hello world'")


@pytest.mark.parametrize(("old", "new", "message"), [
    (b",30,4240.00,", b",abc,4240.00,", "line 58: Open Interest (call) is not a number: 'abc'"),
    (b",30,4240.00,", b",,4240.00,", "line 58: Open Interest (call) is not a number: ''"),
    (b",30,4240.00,", b",-3,4240.00,", "line 58: Open Interest (call) is not a count: '-3'"),
    (b",30,4240.00,", b",nan,4240.00,", "line 58: Open Interest (call) is not a count: 'nan'"),
    (b",30,4240.00,", b",30,4240.50,",
     "line 58: strike '4240.50' disagrees with the option symbols ('SPXW230914C04240000')"),
    (b"C04240000", b"X04240000",
     "line 58: Calls: not an OCC option symbol: 'SPXW230914X04240000' "
     "(expected C or P 9th from the right, found 'X')"),
    (b"SPXW230914C04240000", b"SPXW230914P04240000",
     "line 58: the Calls column must hold a call and the Puts column a put "
     "('SPXW230914P04240000', 'SPXW230914P04240000')"),
    (b"Thu Sep 14 2023", b"Fri Sep 15 2023",
     "line 58: expiration date 'Fri Sep 15 2023' disagrees with the option symbol "
     "'SPXW230914C04240000'"),
    (b"Thu Sep 14 2023", b"Thu Sep 34 2023", "line 58: cannot read the expiration date "
     "'Thu Sep 34 2023'"),
    (b",0.05,1,0,0", b",0.05,1,0,0,7", "line 58: expected 22 columns, found 23"),
    (b"Thu Sep 14 2023,", b'"Thu Sep 14 2023,', "line 58: unbalanced double quote"),
], ids=["text-oi", "empty-oi", "negative-oi", "nan-oi", "strike-mismatch", "bad-symbol",
        "put-in-calls", "expiry-mismatch", "bad-expiry", "extra-column", "stray-quote"])
def test_a_bad_row_fails_the_file_with_its_line_number(old: bytes, new: bytes,
                                                       message: str) -> None:
    """One broken row (line 58 of the SPX CSV) fails the load and is named by line."""
    line = fixture(SPX_CSV).split(b"\n")[57]
    assert old in line
    assert str(error_of(with_line(SPX_CSV, 57, line.replace(old, new, 1)), "x.csv")) == (
        f"x.csv: {message}")


def test_a_quoted_but_valid_row_and_a_blank_line_still_load() -> None:
    """Quoted cells and a stray blank line take the slow path and give the same chain."""
    lines = fixture(SPX_CSV).split(b"\n")
    lines[57] = b'"' + lines[57].replace(b",", b'","') + b'"'
    lines.insert(100, b"")
    chain = parse_chain_bytes(b"\n".join(lines), name="x.csv")
    reference = parse_chain_bytes(fixture(SPX_CSV), name="x.csv")
    assert len(chain) == len(reference)
    assert (chain.open_interest == reference.open_interest).all()


@pytest.mark.parametrize("name", [SPX_CSV, "cboe_legacy_SPY_2020-06-28.dat", AAPL_JSON])
def test_cuts_and_byte_flips_raise_nothing_but_source_data_error(name: str) -> None:
    """Cut at 40 places and 'x' written at 40 places: a chain or SourceDataError, never a crash.

    A cut exactly at a line break is undetectable and loads as a shorter chain.
    """
    data = fixture(name)
    positions = range(7, len(data), len(data) // 40)
    variants = [data[:p] for p in positions] + [data[:p] + b"x" + data[p + 1:]
                                                 for p in positions]
    for variant in variants:
        try:
            parse_chain_bytes(variant, name=name)
        except SourceDataError as exc:
            assert str(exc).startswith(f"{name}: ")


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    """load_chain_file on a path that does not exist."""
    path = tmp_path / "nope.csv"
    with pytest.raises(SourceDataError) as info:
        load_chain_file(path)
    assert str(info.value) == f"file not found: {path}"


def test_a_directory_is_not_readable_as_a_chain(tmp_path: Path) -> None:
    """load_chain_file on a folder reports that it cannot read it."""
    with pytest.raises(SourceDataError) as info:
        load_chain_file(tmp_path)
    assert str(info.value).startswith(f"cannot read {tmp_path}: ")


def test_the_http_entry_point_prefixes_its_own_name() -> None:
    """parse_cboe_delayed_json labels errors with the name the caller gives, e.g. cboe:AAPL."""
    with pytest.raises(SourceDataError) as info:
        parse_cboe_delayed_json(fixture(AAPL_JSON)[:1000], name="cboe:AAPL")
    assert str(info.value).startswith("cboe:AAPL: truncated JSON (")
