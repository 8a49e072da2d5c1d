"""OCC option symbols: `<ROOT><YYMMDD><C|P><strike x 1000, 8 digits>`, read from the right.

`AAPL250912C00207500` is AAPL, 2025-09-12, call, strike 207.5. The root is 1-6 characters:
letters, or letters followed by one digit for an adjusted contract ("AAPL1") whose
deliverable is not 100 shares. The padded 21-character OSI form ("SPXW  231031C03400000")
is accepted too. `parse_occ_symbols` works on whole numpy columns at once.

Roots name a product, not always the underlying: SPXW options are on SPX. `underlying_of`
maps the index roots; every other root is its own underlying.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

ROOT_TO_UNDERLYING = {"SPXW": "SPX", "NDXP": "NDX", "RUTW": "RUT", "VIXW": "VIX"}
_TAIL = 15  # YYMMDD + C/P + 8 strike digits
_ROOT = re.compile(r"[A-Z]{1,6}|[A-Z]{1,5}[0-9]")
# Little-endian masks keeping the first k bytes of 8, k = 0..8.
_PREFIX_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype="<u8")
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


class OccSymbolError(ValueError):
    """A string that is not an OCC option symbol.

    Attributes:
        position: index of the first bad symbol in the input.
        symbol: that symbol, as text.
    """

    def __init__(self, message: str, *, position: int, symbol: str) -> None:
        super().__init__(message)
        self.position = position
        self.symbol = symbol


@dataclass(frozen=True)
class OccSymbols:
    """Columns decoded from OCC symbols, one row per symbol.

    Attributes:
        root: OCC root ("SPXW"), str array, padding removed.
        expiry: expiration date, datetime64[D].
        is_call: True for calls, False for puts.
        strike: USD per share (the symbol's 8 digits / 1000).
        roots: the distinct roots in `root`, in no particular order.
    """

    root: np.ndarray
    expiry: np.ndarray
    is_call: np.ndarray
    strike: np.ndarray
    roots: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.strike)


@dataclass(frozen=True)
class OccSymbol:
    """One decoded OCC symbol."""

    root: str
    expiry: date
    is_call: bool
    strike: float


def underlying_of(root: str) -> str:
    """The underlying symbol users type for an OCC root: "SPXW" -> "SPX", "AAPL" -> "AAPL"."""
    return ROOT_TO_UNDERLYING.get(root, root)


def is_adjusted_root(root: str) -> bool:
    """True for roots such as "AAPL1": adjusted contracts with a non-standard deliverable."""
    return root[-1:].isdigit()


def parse_occ_symbol(symbol: str) -> OccSymbol:
    """Decode one OCC symbol.

    Raises:
        OccSymbolError: `symbol` is not an OCC symbol.

    >>> parse_occ_symbol("AAPL250912C00207500")
    OccSymbol(root='AAPL', expiry=datetime.date(2025, 9, 12), is_call=True, strike=207.5)
    """
    columns = parse_occ_symbols([symbol])
    return OccSymbol(
        root=str(columns.root[0]),
        expiry=columns.expiry[0].astype(object),
        is_call=bool(columns.is_call[0]),
        strike=float(columns.strike[0]),
    )


def parse_occ_symbols(symbols: Sequence[str] | np.ndarray) -> OccSymbols:
    """Decode a column of OCC symbols with array operations (no per-symbol Python code).

    Args:
        symbols: str or ASCII bytes values.

    Raises:
        OccSymbolError: at least one value is not an OCC symbol; names the first one.
    """
    raw = _as_ascii_bytes(symbols)
    n = len(raw)
    if n == 0:
        empty = np.empty(0)
        return OccSymbols(np.empty(0, dtype=str), empty.astype("datetime64[D]"),
                          empty.astype(bool), empty.astype(np.float64))
    if raw.dtype.itemsize < _TAIL + 1:
        raw = raw.astype(f"S{_TAIL + 1}")
    width = raw.dtype.itemsize
    codes = raw.view(np.uint8).reshape(n, width)
    length = np.char.str_len(raw)
    root_length = length - _TAIL
    long_enough = root_length >= 1
    tail_start = np.where(long_enough, root_length, 0)
    # The 15 tail bytes as rows of a (15, n) matrix: each position is one contiguous vector,
    # gathered a row at a time (no 15 x n index matrix).
    index = np.arange(0, n * width, width, dtype=np.intp) + tail_start
    tail = np.empty((_TAIL, n), dtype=np.uint8)
    flat = codes.ravel()
    for row in tail:
        flat.take(index, out=row)
        index += 1
    digits = tail - np.uint8(ord("0"))  # wraps: every non-digit byte becomes >= 10
    numeric = digits <= 9
    is_call = tail[6] == ord("C")
    year, month, day = (2000 + _two_digits(digits[0], digits[1]), _two_digits(digits[2], digits[3]),
                        _two_digits(digits[4], digits[5]))
    ok = (long_enough & numeric[:6].all(axis=0) & numeric[7:].all(axis=0)
          & (is_call | (tail[6] == ord("P")))
          & (month >= 1) & (month <= 12) & (day >= 1) & (day <= _days_in_month(year, month)))
    expiry = _days_since_1970(year, month, day).astype("datetime64[D]")
    strike_digits = np.where(numeric[7:], digits[7:], np.uint8(0))
    strike = strike_digits[0].astype(np.int32)
    for row in strike_digits[1:]:
        strike = strike * 10 + row
    strike = strike / 1000.0

    # A root is at most 6 bytes, so the first 8 bytes (masked past the root) are a
    # uint64 key: np.unique on integers is much faster than on strings.
    head = np.ascontiguousarray(codes[:, :8]).view("<u8").ravel()
    keys = head & _PREFIX_MASKS[np.minimum(tail_start, 8)]
    unique_keys, inverse = _unique_by_runs(keys)
    decoded = [key.tobytes().rstrip(b"\0").decode("ascii").rstrip(" ") for key in unique_keys]
    root_ok = np.array([_ROOT.fullmatch(r) is not None for r in decoded])
    ok &= root_ok[inverse.ravel()] & (root_length <= 6)

    if not ok.all():
        position = int(np.flatnonzero(~ok)[0])
        text = raw[position].decode("ascii")
        raise OccSymbolError(f"not an OCC option symbol: {text!r} ({_explain(text)})",
                             position=position, symbol=text)
    return OccSymbols(
        root=np.array(decoded, dtype=str)[inverse.ravel()],
        expiry=expiry,
        is_call=is_call,
        strike=strike,
        roots=tuple(decoded),
    )


def _unique_by_runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(keys, return_inverse=True)`, sorting only the first key of each run of
    equal keys (a chain's symbols come grouped by root: a few hundred runs, not 20,000 keys)."""
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    unique_keys, run_inverse = np.unique(keys[starts], return_inverse=True)
    return unique_keys, np.repeat(run_inverse, np.diff(starts, append=len(keys)))


def _two_digits(tens: np.ndarray, units: np.ndarray) -> np.ndarray:
    return tens.astype(np.int32) * 10 + units


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)


def _days_since_1970(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Proleptic Gregorian date to days since 1970-01-01 (years >= 1; March-based year)."""
    y = year - (month <= 2)
    era, year_of_era = y // 400, y % 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era.astype(np.int64) * 146097 + day_of_era - 719468


def _as_ascii_bytes(symbols: Sequence[str] | np.ndarray) -> np.ndarray:
    if isinstance(symbols, np.ndarray) and symbols.dtype.kind == "S":
        return symbols.ravel()
    values = symbols.ravel().tolist() if isinstance(symbols, np.ndarray) else list(symbols)
    if not values:
        return np.empty(0, dtype="S1")
    if set(map(type, values)) == {str}:
        try:
            return np.array(values, dtype="S")
        except UnicodeEncodeError:
            pass  # the loop below names the offending value
    for position, value in enumerate(values):
        if not isinstance(value, (str, bytes)):
            raise OccSymbolError(f"not an OCC option symbol: {value!r} (not text)",
                                 position=position, symbol=str(value))
        if isinstance(value, str) and not value.isascii():
            raise OccSymbolError(f"not an OCC option symbol: {value!r} (not ASCII text)",
                                 position=position, symbol=value)
    return np.array(values, dtype="S")


def _explain(text: str) -> str:
    """Why one symbol failed, for the error message (slow path, runs once)."""
    if len(text) < _TAIL + 1:
        return f"{len(text)} characters, need a root plus 15"
    head, stamp, side, digits = text[:-_TAIL], text[-_TAIL:-9], text[-9], text[-8:]
    if not stamp.isdigit():
        return f"expected YYMMDD before the C/P, found {stamp!r}"
    if side not in "CP":
        return f"expected C or P 9th from the right, found {side!r}"
    if not digits.isdigit():
        return f"expected 8 strike digits at the end, found {digits!r}"
    if _ROOT.fullmatch(head.rstrip(" ")) is None:
        return f"root {head!r} is not 1-6 capital letters (optionally ending in one digit)"
    return f"{stamp!r} is not a date"
