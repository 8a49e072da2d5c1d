"""The in-place quote-table reader (plain ASCII, CRLF read as is) against the line reader.

`quote_table._read_in_place` skips decoding and line splitting for the usual file; whatever
it accepts must give the chain the line reader (`_read_by_lines`: decoded, line breaks
normalised, split into lines) gives for the same bytes, bit for bit.
"""

from __future__ import annotations

import random
from dataclasses import fields

import numpy as np
import pytest

from gex_mcp.errors import SourceDataError
from gex_mcp.parsing import parse_chain_bytes, quote_table
from gex_mcp.parsing._fields import ByteTable
from tests.parsing.provenance import CHAINS, FILES

TABLES = [name for name in FILES if not name.endswith(".json")]


def _line_reader_only(monkeypatch) -> None:
    monkeypatch.setattr(quote_table, "_read_in_place", lambda *args: None)


def _assert_same_chain(a, b) -> None:
    for field in fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, field.name
            assert np.ascontiguousarray(x).tobytes() == np.ascontiguousarray(y).tobytes(), field.name
        else:
            assert x == y, field.name


def _with_line_breaks(data: bytes, line_break: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", line_break)


@pytest.mark.parametrize("name", TABLES)
def test_in_place_and_line_reader_give_the_same_chain_for_lf_and_crlf(name, monkeypatch):
    """Each table fixture as LF and as CRLF: the in-place reader (taken, as the spy shows)
    and the line reader give identical chains, and LF equals CRLF."""
    original = (CHAINS / name).read_bytes()
    taken = []
    real = quote_table._read_in_place

    def spy(*args):
        result = real(*args)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(quote_table, "_read_in_place", spy)
    chains = {lb: parse_chain_bytes(_with_line_breaks(original, lb), name=name)
              for lb in (b"\n", b"\r\n")}
    assert taken == [True, True]
    _line_reader_only(monkeypatch)
    for line_break, chain in chains.items():
        _assert_same_chain(chain, parse_chain_bytes(_with_line_breaks(original, line_break), name=name))
    _assert_same_chain(chains[b"\n"], chains[b"\r\n"])


@pytest.mark.parametrize("change", ["lone CR in a row", "mixed line breaks", "blank last line",
                                    "no final line break", "non-ASCII first line"])
def test_files_the_in_place_reader_refuses_read_as_the_line_reader_reads_them(change, monkeypatch):
    """Irregular variants of the legacy SPX file fall back to the line reader: same chain
    (or the same error) as the line reader alone."""
    data = _with_line_breaks((CHAINS / "cboe_legacy_SPX_2020-09-04.dat").read_bytes(), b"\r\n")
    lines = data.split(b"\r\n")
    if change == "lone CR in a row":
        lines[10] = lines[10].replace(b",", b"\r", 1)  # a line break of its own once normalised
    elif change == "mixed line breaks":
        data = b"\r\n".join(lines[:21]) + b"\n" + b"\r\n".join(lines[21:])
    elif change == "blank last line":
        lines.insert(-1, b",,,,")
    elif change == "no final line break":
        lines.pop()
    elif change == "non-ASCII first line":
        lines[0] = lines[0].replace(b"Index", "\u00cdndex".encode())
    if change != "mixed line breaks":
        data = b"\r\n".join(lines)
    assert quote_table._read_in_place(data, "x.dat", [], None) is None

    def outcome():
        try:
            return parse_chain_bytes(data, name="x.dat")
        except Exception as exc:  # noqa: BLE001 - compared below
            return f"{type(exc).__name__}: {exc}"

    fallback = outcome()
    _line_reader_only(monkeypatch)
    expected = outcome()
    if isinstance(expected, str):
        assert fallback == expected
    else:
        _assert_same_chain(fallback, expected)


def _random_body(rows: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice(["", "x", "12.5", "-0.25", "SPXW230914C04240000", "Thu Sep 14 2023"])
             for _ in range(4)] for _ in range(rows)]


def test_crlf_body_gives_the_fields_of_its_lf_twin():
    rows = _random_body(200, seed=5)
    lf = "".join(",".join(row) + "\n" for row in rows).encode()
    crlf = lf.replace(b"\n", b"\r\n")
    a, b = ByteTable.from_bytes(lf, 0, len(lf), 4), ByteTable.from_bytes(crlf, 0, len(crlf), 4)
    assert (a.line_break, b.line_break) == (1, 2)
    for column in range(4):
        expected = [row[column] for row in rows]
        assert a.strings(column) == b.strings(column) == expected
        assert [b.cell(column, r) for r in (0, 1, 199)] == [expected[r] for r in (0, 1, 199)]
        assert b.changes(column).tolist() == a.changes(column).tolist()


@pytest.mark.parametrize("body", [b"a,b\r\nc,d\n",  # mixed: last line CRLF
                                  b"a,b\nc,d\r\n",
                                  b"a,b\r\nc\rd,e\r\n",  # lone CR inside a row
                                  b"a,b\r\nc,d\ne\r\n",  # lone LF inside a CRLF body
                                  b"a,b\nc\r,d\n"])  # CR in an LF body
def test_byte_table_refuses_lone_or_mixed_line_breaks(body):
    """The line reader splits lines at every CR or LF; the in-place table must not guess."""
    assert ByteTable.from_bytes(body, 0, len(body), 2) is None


def _legacy_spx_lines() -> list[bytes]:
    return (CHAINS / "cboe_legacy_SPX_2020-09-04.dat").read_bytes().split(b"\r\n")


def test_a_number_only_float_reads_falls_back_to_float():
    """"3.017e3" is no plain decimal, so the one read of every number column fails and each
    column is read alone, with float(): the chain equals the one with "3017"."""
    lines = _legacy_spx_lines()
    row = lines[3].split(b",")
    assert row[4] == b"3017"  # the call's bid on line 4, the first row
    row[4] = b"3.017e3"
    lines[3] = b",".join(row)
    _assert_same_chain(parse_chain_bytes(b"\r\n".join(lines), name="x.dat"),
                       parse_chain_bytes((CHAINS / "cboe_legacy_SPX_2020-09-04.dat").read_bytes(),
                                         name="x.dat"))


def test_bad_numbers_are_reported_in_column_order_not_file_order():
    """A bad open interest on line 5 and a bad volume on line 9: volume is read first."""
    lines = _legacy_spx_lines()
    for line, column, text in ((4, 10, b"x"), (8, 6, b"-1")):
        row = lines[line].split(b",")
        row[column] = text
        lines[line] = b",".join(row)
    with pytest.raises(SourceDataError, match=r"^x.dat: line 9: Vol \(call\) is not a count: '-1'$"):
        parse_chain_bytes(b"\r\n".join(lines), name="x.dat")


@pytest.mark.parametrize("name", ["cboe_quotedata_TSLA_2023-08-20_one-expiry.csv",
                                  "cboe_legacy_AAPL_2019-08-25.dat"])
def test_byte_edits_give_the_line_readers_chain_or_error(name, monkeypatch):
    """150 random one-byte inserts or replacements (separators, line breaks, signs, dots,
    letters, non-ASCII), each in an LF or a CRLF copy: the default parse and the line reader
    alone give the same chain or the same error on each (about 60% are taken by the in-place
    reader, half of those failing in the checks after it, e.g. a number that is not one)."""
    rng = random.Random(17)
    original = (CHAINS / name).read_bytes()
    variants = []
    for _ in range(150):
        data = bytearray(_with_line_breaks(original, rng.choice([b"\n", b"\r\n"])))
        at = rng.randrange(len(data))
        edit = rng.choice([b",", b"\r", b"\n", b"", b"-", b".", b"x", b" ", b"\xc3\xa9", b"7"])
        data[at:at + rng.choice([0, 1])] = edit  # insert or replace
        variants.append(bytes(data))

    def outcomes():
        results = []
        for data in variants:
            try:
                chain = parse_chain_bytes(data, name=name)
            except SourceDataError as exc:
                results.append(str(exc))
            else:
                results.append(tuple(
                    np.ascontiguousarray(v).tobytes() if isinstance(v, np.ndarray) else v
                    for v in (getattr(chain, f.name) for f in fields(chain))))
        return results

    default = outcomes()
    _line_reader_only(monkeypatch)
    assert default == outcomes()
