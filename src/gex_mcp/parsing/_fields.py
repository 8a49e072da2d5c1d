"""A regular comma-separated body as numpy byte columns, and a vectorised decimal reader.

The quote-table loaders spend their time turning ~10,000 rows x 22 fields into numbers.
Splitting the text into Python strings and calling `float` on each costs ~60 ms for an SPX
chain; here the body stays one `uint8` array:

- `ByteTable.from_bytes` (in place, a view of the file's bytes; lines ending in `\\n`, or
  all in `\\r\\n`) or `ByteTable.split` (text): separator positions (`,` and the line end)
  by comparisons over the array; a body whose every line has exactly `n_columns - 1` commas
  gives each field's end (and so its start) as a (rows x columns) grid.
- `ByteTable.column` / `ByteTable.changes`: columns gathered a byte position at a time into a
  (byte position x fields) matrix, zero past each field's end: position-major, so numpy's
  inner loops run over the thousands of fields rather than a field's few bytes. `column`
  transposes it into a fixed-width `S` array.
- `ByteTable.decimals`: the same matrix counted from each field's end (row j = the j-th byte
  from the end), a few columns at a time so that each batch stays in the CPU cache.
- `parse_decimals` / `decimal_codes`: `[+-]digits[.digits]` with at most 15 digits read as
  mantissa / 10^k (mantissa by Horner's rule over the digit rows, k = the dot's row). Both
  are exact in float64 (mantissa < 2^53, k <= 15 < 22), so the single rounded division
  gives the same double as Python's `float(text)`. Any other text (blank, exponent, `nan`,
  spaces, underscores, more digits) returns None and the caller falls back to `float`
  semantics, so what is accepted and every error message are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_COMMA, _NEWLINE, _RETURN, _DOT, _MINUS, _PLUS, _ZERO = (ord(c) for c in ",\n\r.-+0")
_MAX_DIGITS = 15
_POWERS_OF_TEN = 10.0 ** np.arange(_MAX_DIGITS + 2)
BATCH_FIELDS = 20_000  # two columns of an SPX table; three (28,000 fields) ran 1.5x slower here


@dataclass(frozen=True)
class ByteTable:
    """Fields of an ASCII body as byte offsets: field (r, c) ends at `ends[r, c]` (exclusive,
    its separator); it starts one byte after the field before it in its row, and a row's
    first field `line_break` bytes (1 for `\\n`, 2 for `\\r\\n`) after the row above ends."""

    data: np.ndarray  # uint8, the body's lines, each ending in a line break
    ends: np.ndarray  # int64 (rows, columns)
    line_break: int = 1

    @classmethod
    def split(cls, body: str, n_columns: int) -> ByteTable | None:
        """The grid of fields, or None unless every line has exactly `n_columns` fields
        (and the body is ASCII without NUL bytes, double quotes or carriage returns)."""
        if not body.isascii():
            return None
        encoded = (body + "\n").encode("ascii")
        return cls.from_bytes(encoded, 0, len(encoded), n_columns)

    @classmethod
    def from_bytes(cls, data: bytes, start: int, stop: int, n_columns: int) -> ByteTable | None:
        """As `split`, for the ASCII lines `data[start:stop]`, in place (a view, no copy).

        The lines end in `\\n`, or all in `\\r\\n` when the last one does (a Windows file,
        read as is: no normalised copy). None when any line differs: a lone `\\r`, or a mix.
        """
        if data.find(b'"', start, stop) >= 0 or data.find(b"\0", start, stop) >= 0:
            return None
        crlf = data.endswith(b"\r\n", start, stop)
        if not crlf and data.find(b"\r", start, stop) >= 0:
            return None
        view = np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start)
        row_end = _RETURN if crlf else _NEWLINE  # the separator after a row's last field
        separators = view == row_end
        n_rows = int(np.count_nonzero(separators))
        separators |= view == _COMMA
        ends = np.flatnonzero(separators)
        if len(ends) != n_rows * n_columns:
            return None
        ends = ends.reshape(n_rows, n_columns)
        # n_rows row ends in all: if each row's last separator is one, none is elsewhere.
        if not (view[ends[:, -1]] == row_end).all():
            return None  # a line with too many commas beside one with too few
        if crlf and not ((view[ends[:, -1] + 1] == _NEWLINE).all()
                         and np.count_nonzero(np.equal(view, _NEWLINE, out=separators)) == n_rows):
            return None  # a lone \r or \n: the line reader splits lines there
        return cls(view, ends, 2 if crlf else 1)

    def starts(self, column: int) -> np.ndarray:
        if column > 0:
            return self.ends[:, column - 1] + 1
        starts = np.empty(len(self), dtype=np.int64)
        starts[0] = 0
        np.add(self.ends[:-1, -1], self.line_break, out=starts[1:])
        return starts

    def __len__(self) -> int:
        return self.ends.shape[0]

    def cell(self, column: int, row: int) -> str:
        if column:
            start = self.ends[row, column - 1] + 1
        else:
            start = self.ends[row - 1, -1] + self.line_break if row else 0
        return self.data[start:self.ends[row, column]].tobytes().decode("ascii")

    def strings(self, column: int) -> list[str]:
        return [value.decode("ascii") for value in self.column(column).tolist()]

    def _starts_and_lengths(self, columns: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Start offsets and lengths of the columns' fields, one column after another."""
        starts = np.concatenate([self.starts(column) for column in columns])
        ends = np.concatenate([self.ends[:, column] for column in columns])
        return starts, ends - starts

    def column(self, *columns: int) -> np.ndarray:
        """The columns' fields, one column after another, as a fixed-width `S` array."""
        codes, _ = self._codes(columns)
        return np.ascontiguousarray(codes.T).view(f"S{codes.shape[0]}").ravel()

    def decimals(self, *columns: int) -> np.ndarray | None:
        """`parse_decimals` of the columns' fields, one column after another.

        Read in batches of whole columns, about `BATCH_FIELDS` fields each: a batch's byte
        rows stay in the CPU cache between the steps (faster than one matrix for a large
        table), and a small table is one batch (few numpy calls).
        """
        per_batch = max(1, BATCH_FIELDS // max(len(self), 1))
        parts = []
        for first in range(0, len(columns), per_batch):
            starts, lengths = self._starts_and_lengths(columns[first:first + per_batch])
            values = decimal_codes(self._gather(starts + lengths - 1, lengths, step=-1),
                                   lengths, self.data[starts])
            if values is None:
                return None
            parts.append(values)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def changes(self, column: int) -> np.ndarray:
        """True where a row's field differs from the row above (always for the first row)."""
        codes, lengths = self._codes((column,))
        changed = np.empty(len(self), dtype=bool)
        changed[0] = True
        np.not_equal(lengths[1:], lengths[:-1], out=changed[1:])
        changed[1:] |= (codes[:, 1:] != codes[:, :-1]).any(axis=0)
        return changed

    def _codes(self, columns: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The fields' bytes as a (width, fields) uint8 matrix, first byte in row 0, zero past
        each field's end, and the lengths."""
        starts, lengths = self._starts_and_lengths(columns)
        return self._gather(starts, lengths, step=1), lengths

    def _gather(self, first: np.ndarray, lengths: np.ndarray, *, step: int) -> np.ndarray:
        """A (width, fields) uint8 matrix: row j holds byte `first + step * j` of every field,
        zero where j >= the field's length.

        Position-major, so numpy's inner loops run over the many fields rather than a field's
        few bytes; filled a row at a time, so no (width x fields) index matrix is built.
        """
        width = max(int(lengths.max()), 1)
        codes = np.empty((width, len(first)), dtype=np.uint8)
        index = first.copy()
        for row in codes:
            self.data.take(index, out=row, mode="clip")
            index += step
        codes *= np.arange(width)[:, None] < lengths
        return codes


def parse_decimals(column: np.ndarray) -> np.ndarray | None:
    """Plain decimals of an `S` array as float64, identical to `float`; None if any is not one."""
    if len(column) == 0:
        return np.empty(0)
    table = column.view(np.uint8).reshape(len(column), column.dtype.itemsize)
    lengths = np.char.str_len(column)
    width = max(int(lengths.max()), 1)
    rows = np.arange(len(column))
    from_end = np.stack([table[rows, np.maximum(lengths - 1 - j, 0)] for j in range(width)])
    from_end *= np.arange(width)[:, None] < lengths
    return decimal_codes(from_end, lengths, table[:, 0])


def decimal_codes(from_end: np.ndarray, lengths: np.ndarray, first: np.ndarray) -> np.ndarray | None:
    """`parse_decimals` of fields given as a (width, values) byte matrix whose row j is each
    field's j-th byte from its end (zero past its start), their lengths and first bytes.

    The mantissa is the digits read as one integer (the dot skipped), by Horner's rule from
    the top row; the dot's row j (counted from the end) is the number of fraction digits k;
    value = mantissa / 10^k.
    """
    width = from_end.shape[0]
    if width > _MAX_DIGITS + 2:
        return None  # some field is longer than a sign, 15 digits and a dot
    negative = first == _MINUS
    signed = negative | (first == _PLUS)
    digits = from_end - np.uint8(_ZERO)  # wraps: every non-digit byte becomes >= 10
    is_digit = digits < 10
    is_dot = from_end == _DOT
    n_digits = np.add.reduce(is_digit, axis=0, dtype=np.uint8)  # width <= 17: no overflow
    n_dots = np.add.reduce(is_dot, axis=0, dtype=np.uint8)
    # Every byte within the length is a digit, the one dot or a leading sign (padding is 0).
    if (not np.array_equal(n_digits + n_dots + signed, lengths) or n_dots.max() > 1
            or n_digits.min() < 1 or n_digits.max() > _MAX_DIGITS):
        return None
    digits *= is_digit  # the dot, a sign and the padding add 0
    mantissa = digits[-1].astype(np.int64)
    for row, row_is_dot in zip(digits[-2::-1], is_dot[-2::-1], strict=True):
        mantissa *= 10 - 9 * row_is_dot.view(np.uint8)  # 1 at the dot: it has no place
        mantissa += row
    fraction_digits = np.add.reduce(is_dot * np.arange(width, dtype=np.uint8)[:, None],
                                    axis=0, dtype=np.uint8)  # 0 without a dot
    value = mantissa / _POWERS_OF_TEN[fraction_digits]
    return np.negative(value, out=value, where=negative)
