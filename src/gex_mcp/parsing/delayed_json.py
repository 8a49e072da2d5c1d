"""CBOE delayed-quotes JSON (`cdn.cboe.com/api/global/delayed_quotes/options/<SYM>.json`).

Shape::

    {"timestamp": "2025-09-07 00:32:02",
     "data": {"options": [{"option": "AAPL250912C00207500", "bid": ..., "ask": ..., "iv": ...,
                           "open_interest": 236.0, "volume": ..., ...}, ...],
              "current_price": 239.23, "close": 239.69, "last_trade_time": "2025-09-05T16:00:00",
              ...},
     "symbol": "AAPL"}

Index symbols carry a leading underscore ("_SPX"), dropped here. Strikes come from the OCC
symbol and may be fractional (207.5).

Time: `as_of` is the market time of the quotes: `data.last_trade_time` (the underlying's last
trade) when present, else the top-level `timestamp` (when the file was produced, which may be
hours later), either clamped to the last session's close when it falls outside a session
(`engine.calendar.quote_time`); `retrieved_at` is the file's timestamp when it is later. CBOE does not label either; both are read as America/New_York local
time, which matches the 16:00 close in the fixtures.

Spot: `data.close` when the file was produced outside the options' session (its quotes are
the closing ones; `data.current_price` is then the after-hours price), else
`data.current_price`; either falls back to the other when missing, with a note.

Strictness: `open_interest` and `volume` must be non-negative numbers in every option, or
the whole payload is rejected with the option's index; `bid`, `ask` and `iv` may be null
(NaN); an IV of 0 means "not computed" and becomes NaN.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from operator import itemgetter
from typing import Any

import numpy as np

from gex_mcp.engine.calendar import quote_time
from gex_mcp.engine.chain import OptionChain, build_chain
from gex_mcp.errors import SourceDataError
from gex_mcp.parsing._clock import clock_from_ivs
from gex_mcp.parsing._dates import as_new_york, market_clock
from gex_mcp.parsing._deliverables import drop_adjusted
from gex_mcp.parsing.occ import OccSymbolError, parse_occ_symbols, underlying_of

_COUNT_FIELDS = ("open_interest", "volume")
_NULLABLE_FIELDS = ("bid", "ask", "iv")


def parse_cboe_delayed_json(data: bytes, *, name: str) -> OptionChain:
    """Parse a CBOE delayed-quotes JSON body into a chain whose source label is `name`.

    Args:
        data: the response body or file bytes.
        name: where the bytes came from ("cboe:AAPL", "AAPL.json"); prefixes every
            error message and becomes the chain's `source`.

    Raises:
        SourceDataError: not JSON, truncated, or missing what the format promises.
    """
    return parse_delayed_json(data, name=name, source=name)


def parse_delayed_json(data: bytes, *, name: str, source: str,
                       snapshot_time: datetime | None = None) -> OptionChain:
    """As `parse_cboe_delayed_json`, with a separate source label (files use "file:NAME") and
    optionally the download time given instead of the file's (`snapshot_time`).

    Raises:
        SourceDataError: not JSON, truncated, or missing what the format promises.
    """
    payload = _load(data, name)
    body = payload.get("data")
    if not isinstance(body, dict):
        keys = ", ".join(map(str, payload)) or "none"
        raise SourceDataError(f"{name}: no 'data' object (top-level keys: {keys})")
    options = body.get("options")
    if not isinstance(options, list):
        raise SourceDataError(f"{name}: 'data.options' is missing or not a list")
    if not options:
        raise SourceDataError(f"{name}: no option rows")
    notes: list[str] = []
    if set(map(type, options)) != {dict} and not all(isinstance(o, dict) for o in options):
        index = next(i for i, o in enumerate(options) if not isinstance(o, dict))
        raise SourceDataError(f"{name}: options[{index}] is not an object")

    symbols = _column(options, "option", name)
    try:
        occ = parse_occ_symbols(symbols)
    except OccSymbolError as exc:
        raise SourceDataError(f"{name}: options[{exc.position}]: {exc}") from None
    columns: dict[str, Any] = {"root": occ.root, "expiry": occ.expiry, "strike": occ.strike,
                               "is_call": occ.is_call}
    for field in (*_COUNT_FIELDS, *_NULLABLE_FIELDS):
        columns[field] = _numbers(options, field, name, symbols)
    for field in _COUNT_FIELDS:
        bad = ~(columns[field] >= 0) | np.isinf(columns[field])
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise SourceDataError(f"{name}: options[{index}] ({symbols[index]}): {field} is "
                                  f"{options[index][field]!r}, not a count")
    iv = columns["iv"]
    columns["iv"] = np.where(np.isfinite(iv) & (iv > 0), iv, np.nan)
    for field in ("bid", "ask"):
        columns[field] = np.where(np.isfinite(columns[field]), columns[field], np.nan)

    columns = drop_adjusted(columns, name=name, notes=notes, roots=occ.roots)

    symbol = _symbol(payload, body, columns["root"], name)
    clock = (_clock(payload, body, symbol, name, notes) if snapshot_time is None
             else _given_clock(snapshot_time, symbol, notes))
    produced = clock["retrieved_at"] or clock["as_of"]
    chain = build_chain(
        symbol=symbol,
        spot=_spot(body, name, notes, at_close=quote_time(produced, symbol) != produced),
        **clock,
        source=source,
        notes=tuple(notes),
        **columns,
    )
    return clock_from_ivs(chain, produced)


def _load(data: bytes, name: str) -> dict:
    if not data or data.isspace():
        raise SourceDataError(f"{name}: empty file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceDataError(f"{name}: not UTF-8 text (bad byte at {exc.start})") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        kind = "truncated" if at_end else "invalid"
        message = exc.msg.removesuffix(" at")  # "Unterminated string starting at"
        raise SourceDataError(f"{name}: {kind} JSON ({message} at char {exc.pos})") from None
    except RecursionError:
        raise SourceDataError(f"{name}: invalid JSON (nested too deeply)") from None
    if not isinstance(payload, dict):
        raise SourceDataError(f"{name}: expected a JSON object, found {type(payload).__name__}")
    return payload


def _column(options: list[dict], field: str, name: str) -> list:
    try:
        return list(map(itemgetter(field), options))
    except KeyError:
        index = next(i for i, o in enumerate(options) if field not in o)
        raise SourceDataError(f"{name}: options[{index}] has no {field!r}") from None


def _numbers(options: list[dict], field: str, name: str, symbols: list) -> np.ndarray:
    """A numeric field of every option; null becomes NaN."""
    values = _column(options, field, name)
    if not set(map(type, values)) <= {float, int}:  # bool, str, None... checked one by one
        for index, value in enumerate(values):
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, float))):
                raise SourceDataError(f"{name}: options[{index}] ({symbols[index]}): {field} "
                                      f"is {value!r}, not a number")
        values = [math.nan if v is None else v for v in values]
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:  # an integer beyond float range
        index = next(i for i, v in enumerate(values) if abs(v) > 1e308)
        raise SourceDataError(f"{name}: options[{index}] ({symbols[index]}): {field} is out of "
                              f"range") from None


def _symbol(payload: dict, body: dict, roots: np.ndarray, name: str) -> str:
    for raw in (payload.get("symbol"), body.get("symbol")):
        if isinstance(raw, str) and raw.strip("_^ "):
            return raw.strip().lstrip("_^").upper()
    underlyings = sorted({underlying_of(r) for r in np.unique(roots).tolist()})
    if len(underlyings) != 1:
        raise SourceDataError(f"{name}: no 'symbol', and the options mix underlyings "
                              f"{', '.join(underlyings)}")
    return underlyings[0]


def _spot(body: dict, name: str, notes: list[str], *, at_close: bool) -> float:
    """The underlying price the quotes were made at. `data.current_price` follows the stock
    after hours while the option quotes stay at the close: a file produced outside the session
    (`at_close`) takes `data.close` (the parity forwards of AAPL, GOOGL and META 2025-09-05
    imply the close, not the after-hours price), one produced during it `current_price`."""
    keys = ("close", "current_price") if at_close else ("current_price", "close")
    for key in keys:
        value = body.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1e308:
            if key != keys[0]:
                notes.append(f"data.{keys[0]} missing or not positive; spot is data.{key}")
            elif at_close and body.get("current_price") != value:
                notes.append(f"spot is data.close {value:g}, the price the closing quotes were "
                             f"made at (data.current_price {body.get('current_price')!r} is "
                             "after hours)")
            return float(value)
    raise SourceDataError(f"{name}: no spot price (data.current_price and data.close are "
                          f"missing or not positive: {body.get('current_price')!r}, "
                          f"{body.get('close')!r})")


def _clock(payload: dict, body: dict, symbol: str, name: str, notes: list[str]) -> dict[str, datetime | None]:
    """as_of: the quotes' market time (`quote_time` of the last trade, or of the file time);
    retrieved_at: the file's own timestamp when it is later than that."""
    as_of, retrieved = market_clock(_as_of(payload, body, name, notes), symbol)
    stamped = _time(payload.get("timestamp"))
    if stamped is not None and stamped > as_of:
        retrieved = stamped
    return {"as_of": as_of, "retrieved_at": retrieved}


def _given_clock(snapshot_time: datetime, symbol: str, notes: list[str]) -> dict[str, datetime | None]:
    seen = as_new_york(snapshot_time)
    notes.append(f"snapshot time {seen:%Y-%m-%d %H:%M} given by the caller, not read from the file")
    as_of, retrieved_at = market_clock(seen, symbol)
    return {"as_of": as_of, "retrieved_at": retrieved_at}


def _time(raw: Any) -> datetime | None:
    """A CBOE time string read as New York local time (None when absent or unreadable)."""
    try:
        moment = datetime.fromisoformat(str(raw)) if raw is not None else None
    except ValueError:
        return None
    return None if moment is None else as_new_york(moment)


def _as_of(payload: dict, body: dict, name: str, notes: list[str]) -> datetime:
    for where, raw in (("data.last_trade_time", body.get("last_trade_time")),
                       ("timestamp", payload.get("timestamp"))):
        if raw is None:
            continue
        moment = _time(raw)
        if moment is None:
            notes.append(f"could not read {where} {raw!r}")
            continue
        if where == "timestamp":
            notes.append("as_of is the file timestamp (no data.last_trade_time)")
        return moment
    raise SourceDataError(f"{name}: no snapshot time (data.last_trade_time and timestamp are "
                          f"missing or unreadable)")
