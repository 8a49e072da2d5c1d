"""OCC option symbols decoded from the right, one at a time and as whole columns."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from gex_mcp.parsing.occ import (
    OccSymbol,
    OccSymbolError,
    is_adjusted_root,
    parse_occ_symbol,
    parse_occ_symbols,
    underlying_of,
)


@pytest.mark.parametrize(("symbol", "expected"), [
    ("SPXW231031C03400000", OccSymbol("SPXW", date(2023, 10, 31), True, 3400.0)),
    ("SPX230818P00200000", OccSymbol("SPX", date(2023, 8, 18), False, 200.0)),
    ("NDXP220207C11000000", OccSymbol("NDXP", date(2022, 2, 7), True, 11000.0)),
    ("AAPL250912C00207500", OccSymbol("AAPL", date(2025, 9, 12), True, 207.5)),
    ("F250919P00012500", OccSymbol("F", date(2025, 9, 19), False, 12.5)),
    ("XSP230914C00270000", OccSymbol("XSP", date(2023, 9, 14), True, 270.0)),
    ("AMD1240119C00075000", OccSymbol("AMD1", date(2024, 1, 19), True, 75.0)),
    ("BRKB260116C00000500", OccSymbol("BRKB", date(2026, 1, 16), True, 0.5)),
    ("SPXW  231031C03400000", OccSymbol("SPXW", date(2023, 10, 31), True, 3400.0)),
    ("GOOGL240229P99999999", OccSymbol("GOOGL", date(2024, 2, 29), False, 99999.999)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_symbol_is_decoded_into_root_expiry_side_and_strike(symbol: str,
                                                              expected: OccSymbol) -> None:
    """Index weeklies, fractional strikes, 1-letter roots, adjusted and space-padded roots."""
    assert parse_occ_symbol(symbol) == expected


def test_a_column_of_symbols_is_decoded_in_order() -> None:
    """The vectorised form returns aligned numpy columns."""
    columns = parse_occ_symbols(np.array(["SPXW231031C03400000", "NDXP220207P11000000",
                                          "F250919C00012500"]))
    assert columns.root.tolist() == ["SPXW", "NDXP", "F"]
    assert columns.expiry.tolist() == [date(2023, 10, 31), date(2022, 2, 7), date(2025, 9, 19)]
    assert columns.is_call.tolist() == [True, False, True]
    assert columns.strike.tolist() == [3400.0, 11000.0, 12.5]
    assert columns.expiry.dtype == np.dtype("datetime64[D]")
    assert len(columns) == 3


def test_bytes_and_lists_give_the_same_columns() -> None:
    """A list of str and an array of ASCII bytes decode alike."""
    symbols = ["SPY230914C00360000", "SPY230914P00360000"]
    as_list = parse_occ_symbols(symbols)
    as_bytes = parse_occ_symbols(np.array([s.encode() for s in symbols]))
    assert as_list.root.tolist() == as_bytes.root.tolist() == ["SPY", "SPY"]
    assert as_list.strike.tolist() == as_bytes.strike.tolist() == [360.0, 360.0]


def test_no_symbols_give_empty_columns() -> None:
    """An empty input is not an error."""
    columns = parse_occ_symbols([])
    assert len(columns) == 0
    assert columns.expiry.dtype == np.dtype("datetime64[D]")


@pytest.mark.parametrize(("bad", "reason"), [
    ("", "0 characters, need a root plus 15"),
    ("250912C00207500", "15 characters, need a root plus 15"),
    ("AAPL250912X00207500", "expected C or P 9th from the right, found 'X'"),
    ("AAPL2509120C0207500", "expected C or P 9th from the right, found '0'"),
    ("AAPL25091AC00207500", "expected YYMMDD before the C/P, found '25091A'"),
    ("AAPL250912C0020750A", "expected 8 strike digits at the end, found '0020750A'"),
    ("AAPL250230C00207500", "'250230' is not a date"),
    ("AAPL251312C00207500", "'251312' is not a date"),
    ("aapl250912C00207500", "root 'aapl' is not 1-6 capital letters (optionally ending in "
                            "one digit)"),
    ("TOOLONG250912C00207500", "root 'TOOLONG' is not 1-6 capital letters (optionally ending "
                               "in one digit)"),
    ("AAPL250912C00207500 ", "expected YYMMDD before the C/P, found '50912C'"),
    ("ÄAPL250912C00207500", "not ASCII text"),
], ids=["empty", "no-root", "bad-side", "shifted", "bad-date-digit", "bad-strike-digit",
        "feb-30", "month-13", "lowercase", "root-too-long", "trailing-space", "non-ascii"])
def test_a_bad_symbol_raises_naming_it_and_its_position(bad: str, reason: str) -> None:
    """The first bad symbol is named, with why, and its index in the input."""
    with pytest.raises(OccSymbolError) as info:
        parse_occ_symbols(["SPY230914C00360000", bad, "also bad"])
    assert str(info.value) == f"not an OCC option symbol: {bad!r} ({reason})"
    assert info.value.position == 1
    assert info.value.symbol == bad


def test_a_non_string_is_not_a_symbol() -> None:
    """None in a list of symbols is reported, not converted to 'None'."""
    with pytest.raises(OccSymbolError) as info:
        parse_occ_symbols(["SPY230914C00360000", None])
    assert info.value.position == 1


def test_the_single_symbol_form_raises_the_same_error() -> None:
    """parse_occ_symbol is a ValueError subclass error, position 0."""
    with pytest.raises(ValueError, match="not an OCC option symbol"):
        parse_occ_symbol("SPX")


def test_a_lone_bad_symbol_is_quoted_as_given_and_its_array_left_intact() -> None:
    """With one symbol the root mask once wrote zeros into the caller's bytes (and the message)."""
    symbols = np.array([b"SPXW220711Z03940000"])
    with pytest.raises(OccSymbolError) as info:
        parse_occ_symbols(symbols)
    assert info.value.symbol == "SPXW220711Z03940000"
    assert symbols[0] == b"SPXW220711Z03940000"
    with pytest.raises(OccSymbolError, match="'SPXW220711Z03940000' .*found 'Z'"):
        parse_occ_symbol("SPXW220711Z03940000")


def test_every_day_of_a_century_decodes_as_the_calendar_says() -> None:
    """Expiry and the date check against datetime.date over 2000-2099, invalid days included."""
    valid, invalid = [], []
    for y, m, d in ((y, m, d) for y in range(100) for m in range(0, 14) for d in range(0, 33)):
        symbol = f"SPXW{y:02d}{m:02d}{d:02d}C01234567"
        try:
            valid.append((symbol, date(2000 + y, m, d)))
        except ValueError:
            invalid.append(symbol)
    columns = parse_occ_symbols([symbol for symbol, _ in valid])
    assert columns.expiry.tolist() == [expected for _, expected in valid]
    assert (columns.strike == 1234.567).all()
    for symbol in invalid:
        with pytest.raises(OccSymbolError, match="is not a date"):
            parse_occ_symbols([symbol])


@pytest.mark.parametrize(("root", "underlying"), [
    ("SPXW", "SPX"), ("SPX", "SPX"), ("NDXP", "NDX"), ("RUTW", "RUT"), ("VIXW", "VIX"),
    ("XSP", "XSP"), ("AAPL", "AAPL"), ("F", "F"),
])
def test_roots_map_to_the_underlying_users_type(root: str, underlying: str) -> None:
    """Index weekly/PM roots map to their index; other roots are their own underlying."""
    assert underlying_of(root) == underlying


def test_only_roots_ending_in_a_digit_are_adjusted() -> None:
    """AAPL1 and AMD1 are adjusted contracts; AAPL and SPXW are not."""
    assert [is_adjusted_root(r) for r in ("AAPL1", "AMD1", "AAPL", "SPXW")] == [
        True, True, False, False]
