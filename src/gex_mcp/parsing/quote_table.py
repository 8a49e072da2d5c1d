"""CBOE quote-table downloads: the 2022+ CSV (`quotedata.csv`) and the legacy `.dat`.

Both have three lines of metadata, then a 22-column header, then one row per
(expiry, strike): the call's columns, the strike, the put's columns.

2022+ CSV::

    (blank line; absent when a spreadsheet re-saved the file)
    Standard & Poors 500 Index,Last: 4505.1001,Change:  37.6601
    "Date: September 14, 2023 at 4:31 PM EDT",Bid: 4483.25,Ask: 4526.27,Size: 1*1,Volume: 0
    Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,...

Legacy `.dat` (2019-2020)::

    ^SPX (Standard & Poors 500 Index),3426.96,-28.1
    Sep 04 2020 @ 20:49 ET,Bid,3373,Ask,3481.35,Size,1x1,Vol,
    Expiration Date,Calls,Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int,Strike,Puts,...

The layout is told apart by the header ("Open Interest" vs "Open Int"). Spot is the
"Last:" value (legacy: the second field of line 1). The symbol comes from line 1 in the
legacy layout and from the OCC roots in the CSV, whose line 1 holds only a company name.

Strictness: every row must have 22 columns, numbers where numbers belong, OCC symbols
that agree with the row's strike and expiration date, and a line break after the last row
(a file that ends mid-line is treated as truncated). A bad row fails the whole file with
its line number rather than being skipped: a chain silently missing strikes gives wrong
exposure. Rows of adjusted roots ("AMD1": non-standard deliverables) are dropped, with a note.
An IV of 0 means "not computed" and becomes NaN. Expired rows are kept.

Two readers, one result: `_read_in_place` takes the usual file (plain ASCII, regular rows,
`\\n` or `\\r\\n` line ends) straight from its bytes; everything else goes through
`_read_by_lines` (decoded, line breaks normalised, split into lines). For a file both can
read they give the same chain, or the same error with the same line number.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from itertools import repeat

import numpy as np

from gex_mcp.engine.chain import OptionChain, build_chain
from gex_mcp.errors import SourceDataError
from gex_mcp.parsing._clock import clock_from_ivs
from gex_mcp.parsing._dates import market_clock, parse_expiration_date
from gex_mcp.parsing._deliverables import drop_adjusted
from gex_mcp.parsing._fields import ByteTable
from gex_mcp.parsing._preamble import (
    CSV_COLUMNS,
    LEGACY_COLUMNS,
    N_COLUMNS,
    Preamble,
    clip,
    read_preamble,
    strip_padding,
)
from gex_mcp.parsing._text import check_text, decode_text
from gex_mcp.parsing.occ import (
    OccSymbolError,
    is_adjusted_root,
    parse_occ_symbols,
    underlying_of,
)

_CALL, _PUT, _STRIKE, _EXPIRY = 1, 12, 11, 0
_FIELD_OFFSETS = {"bid": 3, "ask": 4, "volume": 5, "iv": 6, "open_interest": 9}  # from Calls/Puts

# Strike, then each side column as a (call, put) pair, in the order `_contracts` reads them.
_NUMBER_COLUMNS = (_STRIKE, *(side + offset for offset in _FIELD_OFFSETS.values()
                              for side in (_CALL, _PUT)))

def parse_cboe_quote_table(data: bytes, *, name: str, source: str | None = None,
                           snapshot_time: datetime | None = None) -> OptionChain:
    """Parse a CBOE quote-table download, 2022+ CSV or legacy `.dat`, into a chain.

    Args:
        data: the file's bytes.
        name: file name, used in messages and the default source label.
        source: source label for the chain; defaults to "file:NAME".
        snapshot_time: when the file was downloaded, overriding its Date line (aware, or
            naive New York time): for a Date line this parser cannot read.

    Raises:
        SourceDataError: empty, truncated or malformed, with the name and line number.
    """
    check_text(data, name=name)
    notes: list[str] = []
    read = _read_in_place(data, name, notes, snapshot_time)
    if read is None:
        notes = []
        read = _read_by_lines(data, name, notes, snapshot_time)
    preamble, table, line_numbers = read
    chain_columns, symbol = _contracts(table, line_numbers, preamble, name, notes)
    as_of, retrieved_at = market_clock(preamble.as_of, symbol)
    chain = build_chain(symbol=symbol, spot=preamble.spot, as_of=as_of, retrieved_at=retrieved_at,
                        source=source or f"file:{name}", notes=tuple(notes), **chain_columns)
    return clock_from_ivs(chain, preamble.as_of)


def _read_in_place(data: bytes, name: str, notes: list[str], snapshot_time: datetime | None,
                   ) -> tuple[Preamble, ByteTable, None] | None:
    """The usual file, read without decoding it or splitting it into lines: plain ASCII, a
    regular body (`ByteTable.from_bytes`, CRLF as is) ending in a line break after a
    non-blank last row. Only the lines up to the column header become text.

    None for anything else (non-ASCII text, lone `\\r`, blank or irregular lines, no final
    line break): `_read_by_lines` then reads the file, with its notes and error messages.
    """
    if not data.isascii() or not data.endswith(b"\n"):
        return None
    lines: list[str] = []  # up to the column header, line breaks removed
    position = first = 0
    while len(lines) < first + 3:
        end = data.find(b"\n", position)
        if end < 0:
            return None
        line = data[position:end].removesuffix(b"\r").decode("ascii")
        if "\r" in line:
            return None  # a lone carriage return is a line break of its own
        lines.append(line)
        position = end + 1
        if len(lines) == first + 1 and not line.strip(" ,\t"):
            first += 1  # leading blank lines
    last_row = data[data.rfind(b"\n", 0, len(data) - 1) + 1:]
    if position == len(data) or not last_row.strip(b" ,\t\r\n"):
        return None  # no rows, or trailing blank lines
    preamble = read_preamble(lines, name, notes, snapshot_time)
    table = ByteTable.from_bytes(data, position, len(data), N_COLUMNS)
    return None if table is None else (preamble, table, None)


def _read_by_lines(data: bytes, name: str, notes: list[str], snapshot_time: datetime | None,
                   ) -> tuple[Preamble, ByteTable | _ListTable, list[int] | None]:
    """Any file: decoded (UTF-8 or Windows-1252, line breaks normalised) and split into
    lines; the body's rows by `_split_rows`, with their line numbers."""
    text, data, decode_notes = decode_text(data, name=name)
    notes.extend(decode_notes)
    lines = text.split("\n")
    ends_with_line_break = lines[-1] == ""
    if ends_with_line_break:
        lines.pop()
    preamble = read_preamble(lines, name, notes, snapshot_time)

    first_row = preamble.header_index + 1
    body = lines[first_row:]
    while body and not body[-1].strip(" ,\t"):
        body.pop()
    if body and not ends_with_line_break and len(body) == len(lines) - first_row:
        raise SourceDataError(f"{name}: line {len(lines)}: the file ends mid-line (no line "
                              f"break after the last row); it looks truncated")
    if not body:
        raise SourceDataError(f"{name}: no option rows")
    # Plain ASCII: text offsets are byte offsets, so the body is read in place from the
    # bytes (a view, not a copy).
    in_place = data.isascii()
    start = sum(map(len, lines[:first_row])) + first_row
    stop = start + sum(map(len, body)) + len(body)  # through the last row's line break
    table, line_numbers = _split_rows(body, first_row + 1, name,
                                      (data, start, stop) if in_place else None)
    return preamble, table, line_numbers


class _ListTable:
    """Columns held as lists of strings (the irregular-file path), with `ByteTable`'s API."""

    def __init__(self, columns: list[list[str]]) -> None:
        self._columns = columns

    def __len__(self) -> int:
        return len(self._columns[0])

    def cell(self, column: int, row: int) -> str:
        return self._columns[column][row]

    def strings(self, column: int) -> list[str]:
        return self._columns[column]

    def column(self, *columns: int) -> np.ndarray:
        return np.array([v for column in columns for v in self._columns[column]], dtype=str)

    def changes(self, column: int) -> np.ndarray:
        """True where a row's field differs from the row above (always for the first row)."""
        cells = np.array(self._columns[column], dtype=str)
        return np.concatenate([[True], cells[1:] != cells[:-1]])


def _split_rows(body: list[str], first_line_number: int, name: str,
                raw: tuple[bytes, int, int] | None = None,
                ) -> tuple[ByteTable | _ListTable, list[int] | None]:
    """The body's fields, and each row's line number (None: contiguous).

    Fast path: an ASCII body without quotes and exactly 21 commas per line, split as one
    byte array (`ByteTable`). Otherwise line by line (CBOE rows never span lines), with the
    csv module for lines holding quoted fields; blank lines are skipped and spreadsheet
    padding is dropped. `raw`: the file's bytes and the body's byte range, when they are
    the body's text exactly (ASCII, line breaks normalised), to split in place.
    """
    table = ByteTable.from_bytes(*raw, N_COLUMNS) if raw is not None else None
    if table is not None:
        return table, None
    joined = "\n".join(body)
    table = ByteTable.split(joined, N_COLUMNS) if raw is None else None
    if table is not None:
        return table, None
    if '"' not in joined and set(map(str.count, body, repeat(","))) == {N_COLUMNS - 1}:
        flat = joined.replace("\n", ",").split(",")
        return _ListTable([flat[i::N_COLUMNS] for i in range(N_COLUMNS)]), None
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    for line_number, line in enumerate(body, start=first_line_number):
        if '"' in line:
            if line.count('"') % 2:
                raise SourceDataError(f"{name}: line {line_number}: unbalanced double quote")
            row = next(csv.reader([line]))
        else:
            row = line.split(",")
        row = strip_padding(row)
        if not row:
            continue
        if len(row) != N_COLUMNS:
            raise SourceDataError(f"{name}: line {line_number}: expected {N_COLUMNS} columns, "
                                  f"found {len(row)}")
        rows.append(row)
        line_numbers.append(line_number)
    if not rows:
        raise SourceDataError(f"{name}: no option rows")
    return _ListTable([list(column) for column in zip(*rows, strict=True)]), line_numbers


#: What a vendor writes in a number cell it has no value for (compared upper-cased, stripped).
MISSING_CELLS = frozenset({"N/A", "NA", "-", "--"})


class _Numbers:
    """The number columns of one quote table, read with the file's error messages.

    Every number column in one read (one pass for a small file); None there if any field is
    not a plain decimal: `read` then reads each group on its own, in the order asked, so the
    first bad field is reported as before. Vendor "N/A" cells become NaN and mark the
    contracts on that side of their line (both sides for the strike) in `unreadable`."""

    def __init__(self, table: ByteTable | _ListTable, header: tuple[str, ...], name: str,
                 line_of: Callable[[int], int]) -> None:
        self.table, self.header, self.name, self.line_of = table, header, name, line_of
        self.n_rows = len(table)
        self.in_one_read = table.decimals(*_NUMBER_COLUMNS) if isinstance(table, ByteTable) else None
        self.unreadable = np.zeros((2, self.n_rows), dtype=bool)  # (call, put) with an N/A cell
        self.where: dict[int, str] = {}  # first N/A cell of each column read, by row

    def read(self, *indices: int, count: bool = False) -> np.ndarray:
        """The columns as floats, shape (len(indices), rows); counts must be >= 0 and finite."""
        table, n_rows = self.table, self.n_rows
        if self.in_one_read is not None:  # the group's rows, consecutive in _NUMBER_COLUMNS
            at = _NUMBER_COLUMNS.index(indices[0])
            parsed = self.in_one_read.reshape(-1, n_rows)[at:at + len(indices)]
        else:
            parsed = table.decimals(*indices) if isinstance(table, ByteTable) else None
        if parsed is not None:
            parsed = parsed.reshape(len(indices), n_rows)
            if count:
                for index, values in zip(indices, parsed, strict=True):
                    self._check_count(index, values)
            return parsed
        rows = []  # float() semantics for anything but plain decimals
        for index in indices:
            values = table.strings(index)
            try:
                rows.append(np.array(values, dtype=np.float64))
            except ValueError:
                rows.append(self._with_missing(index, values))
            if count:
                self._check_count(index, rows[-1])
        return np.stack(rows)

    def first_missing(self) -> str:
        """Where the first N/A cell read was (line, column)."""
        return self.where[min(self.where)]

    def _with_missing(self, index: int, values: list[str]) -> np.ndarray:
        """A column holding vendor "N/A" cells: NaN there, and the contracts on that side of
        those lines (both sides for the strike) marked to be skipped; any other text fails."""
        missing = np.array([v.strip().upper() in MISSING_CELLS for v in values])
        row = next((i for i, v in enumerate(values) if not missing[i] and not _is_number(v)), None)
        if row is not None:
            raise SourceDataError(f"{self.name}: line {self.line_of(row)}: {self.header[index]}"
                                  f"{_side_of(index)} is not a number: {values[row]!r}") from None
        for side in (0, 1):
            if index == _STRIKE or (index < _STRIKE) == (side == 0):
                self.unreadable[side] |= missing
        first_row = int(np.flatnonzero(missing)[0])
        self.where.setdefault(first_row, f"line {self.line_of(first_row)}, {self.header[index]}"
                                         f"{_side_of(index)} {values[first_row]!r}")
        return np.array([np.nan if m else v for m, v in zip(missing, values, strict=True)],
                        dtype=np.float64)

    def _check_count(self, index: int, values: np.ndarray) -> None:
        bad = (~(values >= 0) | np.isinf(values)) & ~self.unreadable[0 if index < _STRIKE else 1]
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise SourceDataError(f"{self.name}: line {self.line_of(row)}: {self.header[index]}"
                                  f"{_side_of(index)} is not a count: {self.table.cell(index, row)!r}")


def _side_of(index: int) -> str:
    return "" if index == _STRIKE else (" (call)" if index < _STRIKE else " (put)")


def _contracts(table: ByteTable | _ListTable, line_numbers: list[int] | None,
               preamble: Preamble, name: str,
               notes: list[str]) -> tuple[dict[str, np.ndarray], str]:
    """Per-contract columns (call then put for each row) and the underlying symbol."""
    n_rows = len(table)
    header = LEGACY_COLUMNS if preamble.legacy else CSV_COLUMNS
    first = preamble.header_index + 2

    def line_of(row: int) -> int:
        return line_numbers[row] if line_numbers is not None else first + row

    numbers = _Numbers(table, header, name, line_of)
    try:
        occ = parse_occ_symbols(table.column(_CALL, _PUT))
    except OccSymbolError as exc:
        row, side = exc.position % n_rows, exc.position // n_rows
        raise SourceDataError(f"{name}: line {line_of(row)}: {('Calls', 'Puts')[side]}: "
                              f"{exc}") from None
    is_call = occ.is_call.reshape(2, n_rows)
    wrong_side = ~is_call[0] | is_call[1]
    if wrong_side.any():
        row = int(np.flatnonzero(wrong_side)[0])
        raise SourceDataError(f"{name}: line {line_of(row)}: the Calls column must hold a call "
                              f"and the Puts column a put ({table.cell(_CALL, row)!r}, "
                              f"{table.cell(_PUT, row)!r})")

    strike = numbers.read(_STRIKE)[0]
    mismatch = (np.abs(occ.strike.reshape(2, n_rows) - strike) > 5e-4).any(axis=0)
    if mismatch.any():
        row = int(np.flatnonzero(mismatch)[0])
        raise SourceDataError(f"{name}: line {line_of(row)}: strike {table.cell(_STRIKE, row)!r} "
                              f"disagrees with the option symbols ({table.cell(_CALL, row)!r})")
    _check_expiries(table, occ.expiry.reshape(2, n_rows), line_of, name)

    fields = {}
    for field, offset in _FIELD_OFFSETS.items():
        count = field in ("open_interest", "volume")
        pair = numbers.read(_CALL + offset, _PUT + offset, count=count)
        fields[field] = pair.T.ravel()  # call, put, call, put, ...
    iv = fields["iv"]
    fields["iv"] = np.where(np.isfinite(iv) & (iv > 0), iv, np.nan)
    for field in ("bid", "ask"):
        fields[field] = np.where(np.isfinite(fields[field]), fields[field], np.nan)

    root = occ.root.reshape(2, n_rows).T.ravel()
    chain_columns = {
        "root": root,
        "expiry": occ.expiry.reshape(2, n_rows).T.ravel(),
        "strike": np.repeat(strike, 2),
        "is_call": np.tile(np.array([True, False]), n_rows),
        **fields,
    }
    skip = numbers.unreadable.T.ravel()  # call, put, call, put, ... as the columns
    if skip.all():
        raise SourceDataError(f"{name}: every contract has a number cell reading N/A "
                              f"(first: {numbers.first_missing()})")
    if skip.any():
        chain_columns = {key: column[~skip] for key, column in chain_columns.items()}
        skipped = int(skip.sum())
        notes.append(f"{skipped} contract{'s' if skipped > 1 else ''} skipped: a number cell "
                     f"reads N/A (first: {numbers.first_missing()})")
    chain_columns = drop_adjusted(chain_columns, name=name, notes=notes, roots=occ.roots)
    underlyings = sorted({underlying_of(r) for r in occ.roots if not is_adjusted_root(r)})
    symbol = preamble.symbol
    if symbol is None:
        if len(underlyings) != 1:
            raise SourceDataError(f"{name}: rows mix underlyings {', '.join(underlyings)}")
        symbol = underlyings[0]
    elif underlyings != [symbol]:
        notes.append(f"the first line names {symbol} but the option roots give "
                     f"{', '.join(underlyings)}")
    return chain_columns, symbol


def _check_expiries(table: ByteTable | _ListTable, occ_expiry: np.ndarray, line_of,
                    name: str) -> None:
    """Each row's Expiration Date must equal the date in both of its OCC symbols.

    Each run of equal cells (rows come grouped by expiry) is read once.
    """
    run_starts = np.flatnonzero(table.changes(_EXPIRY))
    n_rows = len(table)
    days: dict[str, int] = {}
    run_days = []
    for row in run_starts.tolist():
        cell = table.cell(_EXPIRY, row)
        if cell not in days:
            try:
                days[cell] = parse_expiration_date(cell).toordinal()
            except ValueError:
                raise SourceDataError(f"{name}: line {line_of(row)}: cannot read the expiration "
                                      f"date {clip(cell)!r}") from None
        run_days.append(days[cell])
    column_days = np.repeat(np.array(run_days, dtype=np.int64),
                            np.diff(np.append(run_starts, n_rows)))
    unix_epoch_ordinal = 719163  # date(1970, 1, 1).toordinal()
    occ_days = occ_expiry.astype(np.int64) + unix_epoch_ordinal
    mismatch = (occ_days != column_days).any(axis=0)
    if mismatch.any():
        row = int(np.flatnonzero(mismatch)[0])
        raise SourceDataError(f"{name}: line {line_of(row)}: expiration date "
                              f"{table.cell(_EXPIRY, row)!r} disagrees with the option symbol "
                              f"{table.cell(_CALL, row)!r}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
