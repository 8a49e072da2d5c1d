"""The vectorised field splitter and decimal reader against Python's own `str.split`/`float`."""

from __future__ import annotations

import random

import numpy as np
import pytest

from gex_mcp.parsing._fields import ByteTable, parse_decimals


def _random_decimals(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    values = []
    while len(values) < count:
        n_digits = rng.randint(1, 15)
        text = "".join(rng.choice("0123456789") for _ in range(n_digits))
        dot = rng.randint(0, n_digits)
        if rng.random() < 0.8:
            text = text[:dot] + "." + text[dot:]
        values.append(rng.choice(["", "", "-", "+"]) + text)
    return values


def test_plain_decimals_are_bit_identical_to_float():
    values = _random_decimals(50_000, seed=7) + ["1.", ".5", "-0", "0", "-.5", "007.10",
                                                  "4505.1001", "-0.0001", "999999999999999"]
    parsed = parse_decimals(np.array(values, dtype="S"))
    expected = np.array([float(v) for v in values])
    assert parsed.view(np.int64).tolist() == expected.view(np.int64).tolist()


@pytest.mark.parametrize("odd", ["", " 1", "1 ", "1e5", "1.2.3", "-", ".", "+", "nan", "inf",
                                 "1_0", "+-1", "1-", "1234567890123456", "0x1", "１"])
def test_anything_else_is_left_to_float(odd):
    """None (the caller then uses float, with its errors) rather than a guessed number."""
    column = np.array(["1.5", odd.encode("utf-8"), "2"], dtype="S")
    assert parse_decimals(column) is None


def test_byte_table_fields_match_str_split():
    rng = random.Random(3)
    rows = [[rng.choice(["", "x", "12.5", "SPXW230914C04240000", "Thu Sep 14 2023"])
             for _ in range(5)] for _ in range(300)]
    body = "\n".join(",".join(row) for row in rows)
    table = ByteTable.split(body, 5)
    assert table is not None and len(table) == len(rows)
    for column in range(5):
        assert table.strings(column) == [row[column] for row in rows]
    for row, column in [(0, 0), (5, 0), (299, 4), (150, 2)]:
        assert table.cell(column, row) == rows[row][column]
    assert table.column(1, 3).tolist() == [row[c].encode() for c in (1, 3) for row in rows]
    for column in range(5):
        assert table.changes(column).tolist() == [
            i == 0 or rows[i][column] != rows[i - 1][column] for i in range(len(rows))]


def test_byte_table_reads_several_decimal_columns_in_one_pass():
    rows = [["1.5", "-2", "x"], ["0.25", "300.125", "y"], ["7", "+0.5", "z"]]
    table = ByteTable.split("\n".join(",".join(row) for row in rows), 3)
    assert table.decimals(0, 1).tolist() == [1.5, 0.25, 7.0, -2.0, 300.125, 0.5]
    assert table.decimals(0, 2) is None


@pytest.mark.parametrize("body", ["a,b,c\nd,e", "a,b\nc,d,e,f\ng,h,i",  # too few / uneven
                                  "a,b,c\nd,e,f,g\nh,i",  # right comma total, wrong lines
                                  'a,"b",c', "a,b,\u00e9", "a,b,c\n\nd,e,f"])
def test_byte_table_refuses_irregular_bodies(body):
    """Irregular, quoted, non-ASCII or blank-line bodies go to the line-by-line path."""
    assert ByteTable.split(body, 3) is None


@pytest.mark.parametrize("data", [b"a\r\nb\r\n", b"a\rb\r\nc", b"a\r", b"1\r\r\n", b"x\r\n\r",
                                  b"a\r\n", b"a,b\r\nc,d"])
def test_line_breaks_are_normalised_as_str_replace_would(data):
    from gex_mcp.parsing._text import decode_text
    text, normalised, _ = decode_text(data, name="t.csv")
    assert normalised == data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    assert text == data.decode().replace("\r\n", "\n").replace("\r", "\n")
