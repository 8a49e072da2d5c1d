"""The three lines before a CBOE quote table's rows: spot and symbol (line 1), the snapshot
time (line 2) and the column header (line 3), in the 2022+ CSV and the legacy `.dat` layouts
(see `quote_table.py` for both)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime

from gex_mcp.errors import SourceDataError
from gex_mcp.parsing._dates import as_new_york, parse_snapshot_time

_SIDE_COLUMNS = ("Last Sale", "Net", "Bid", "Ask", "Volume", "IV", "Delta", "Gamma",
                 "Open Interest")
CSV_COLUMNS = ("Expiration Date", "Calls", *_SIDE_COLUMNS, "Strike", "Puts", *_SIDE_COLUMNS)
LEGACY_COLUMNS = tuple({"Volume": "Vol", "Open Interest": "Open Int"}.get(c, c)
                       for c in CSV_COLUMNS)
N_COLUMNS = len(CSV_COLUMNS)

LAST = re.compile(r"Last:\s*(?P<last>[-+]?[\d,]*\.?\d+)")
LEGACY_FIRST_LINE = re.compile(  # "^SPX (Standard & Poors 500 Index),3426.96,-28.1"
    r"\s*\^?(?P<symbol>[A-Za-z][A-Za-z0-9./-]*)\s*(?:\(.*\))?"
    r"\s*,\s*(?P<last>[-+]?\d+(?:\.\d*)?)\s*(?:,|$)")
DATE_FIELD = re.compile(r'\s*"?(?P<date>.*?)"?\s*(?:,\s*Bid\b.*)?[\s,]*')


@dataclass(frozen=True)
class Preamble:
    legacy: bool
    symbol: str | None
    spot: float
    as_of: datetime
    header_index: int  # 0-based index of the header in the list of lines


def read_preamble(lines: list[str], name: str, notes: list[str],
                  snapshot_time: datetime | None = None) -> Preamble:
    start = 0
    while start < len(lines) and not lines[start].strip(" ,\t"):
        start += 1
    if start + 2 >= len(lines):
        raise SourceDataError(f"{name}: the file ends at line {len(lines)}, before the column "
                              f"header (expected 'Expiration Date,Calls,...' on line {start + 3})")
    first, date_line, header_index = lines[start], lines[start + 1], start + 2
    legacy = check_header(lines[header_index], header_index + 1, first, name)

    if legacy:
        match = LEGACY_FIRST_LINE.match(first)
        if match is None:
            raise SourceDataError(f"{name}: line {start + 1}: expected 'SYMBOL (name),last,"
                                  f"change', found {clip(first)!r}")
        symbol, spot_text = match["symbol"].upper(), match["last"]
    else:
        match = LAST.search(first)
        if match is None:
            raise SourceDataError(f"{name}: line {start + 1}: no 'Last:' price in {clip(first)!r}")
        symbol, spot_text = None, match["last"].replace(",", "")
        if start == 0 and first.rstrip().endswith(","):
            notes.append("no leading blank line and header lines padded with commas "
                         "(file re-saved by a spreadsheet)")
    spot = float(spot_text)
    if not spot > 0:
        raise SourceDataError(f"{name}: line {start + 1}: spot price {spot_text} is not positive")

    date_text = DATE_FIELD.fullmatch(date_line)["date"]  # the pattern matches any line
    if snapshot_time is not None:
        as_of, remark = as_new_york(snapshot_time), None
        notes.append(f"snapshot time {as_of:%Y-%m-%d %H:%M} given by the caller, not read from line {start + 2}")
    else:
        try:
            as_of, remark = parse_snapshot_time(date_text)
        except ValueError as exc:
            why = "" if str(exc).startswith("unrecognised") else f": {exc}"
            raise SourceDataError(
                f"{name}: line {start + 2}: cannot read the snapshot date {clip(date_text)!r}{why}. "
                "Give the download time instead with --chain FILE --snapshot-time "
                "'YYYY-MM-DD HH:MM' (New York time).") from None
    if date_line.count('"') % 2:
        notes.append(f"line {start + 2}: ignored an unbalanced double quote in the date line")
    if remark:
        notes.append(remark)
    return Preamble(legacy=legacy, symbol=symbol, spot=spot, as_of=as_of,
                     header_index=header_index)


def check_header(line: str, line_number: int, first_line: str, name: str) -> bool:
    """True for the legacy header, False for the CSV one; raises for anything else."""
    try:
        fields = strip_padding(next(csv.reader([line]), []))
    except csv.Error:
        fields = line.split(",")
    if tuple(fields) == CSV_COLUMNS:
        return False
    if tuple(fields) == LEGACY_COLUMNS:
        return True
    looks_like_table = ("Last:" in first_line or LEGACY_FIRST_LINE.match(first_line)
                        or (fields and fields[0] == "Expiration Date"))
    if not looks_like_table:
        raise SourceDataError(f"{name}: not a CBOE option chain (expected JSON, a quote-table "
                              f"CSV or a legacy .dat); it starts with {clip(first_line)!r}")
    if len(fields) != N_COLUMNS:
        raise SourceDataError(f"{name}: line {line_number}: expected {N_COLUMNS} columns in the "
                              f"header, found {len(fields)}")
    if fields[0] != "Expiration Date":
        raise SourceDataError(f"{name}: line {line_number}: expected the column header "
                              f"'Expiration Date,Calls,...', found {clip(line)!r}")
    expected = LEGACY_COLUMNS if "Open Int" in fields else CSV_COLUMNS
    column = next(i for i, (a, b) in enumerate(zip(fields, expected, strict=True)) if a != b)
    raise SourceDataError(f"{name}: line {line_number}: header column {column + 1} is "
                          f"{fields[column]!r}, expected {expected[column]!r}")


def strip_padding(fields: list[str]) -> list[str]:
    """Drop the trailing empty fields a spreadsheet adds; [] for a row of empty fields."""
    if not any(field.strip() for field in fields):
        return []
    end = len(fields)
    while end > N_COLUMNS and not fields[end - 1].strip():
        end -= 1
    return fields[:end]


def clip(text: str, limit: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["CSV_COLUMNS", "LEGACY_COLUMNS", "N_COLUMNS", "Preamble", "check_header", "clip",
           "read_preamble", "strip_padding"]
