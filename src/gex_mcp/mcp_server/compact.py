"""Answers shaped for an agent's context window: what the MCP tools return.

An agent pays for every character it reads, so an MCP answer is the response model
reshaped, never recomputed:

- Each list of records becomes a table, `{"columns": [...], "rows": [[...], ...]}`: field
  names once, not once per row. `*_label` fields inside rows are left out (the amount is
  there).
- Amounts (GEX, DEX, VEX, CHEX, notional and payouts in USD, dealer shares) are rounded to 4
  significant figures, far finer than the model inputs (IVs to 3-4 digits) justify. Prices,
  strikes and percentages keep the cents and decimals their builders gave them.
- Per-strike answers list by default the strikes that matter: the `KEY_LARGEST` strikes of
  largest |net| exposure plus the `KEY_NEAREST` strikes nearest spot, in strike order, with
  a count of the rest. `strikes="window"` lists every strike within ±window_pct% of spot,
  `strikes="all"` every strike. Totals always cover the whole chain.
- A scan lists at most `MAX_SCAN_ROWS` rows: past that, the rows that match a flag first
  (spot below the flip or near a wall, then rows with an error), each group in the order
  asked, with a count of the rest. `negative_gamma` and `failed` still name every symbol.

The CLI's `--json` and the REST API keep the guide's full shapes.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, Field, create_model

from gex_mcp.models import ScanResponse, in_window

StrikeChoice = Literal["key", "window", "all"]
KEY_LARGEST = 10  # strikes of largest |net| exposure
KEY_NEAREST = 10  # strikes nearest spot
MAX_SCAN_ROWS = 25  # rows of a scan an agent reads; the flagged ones first
SIGNIFICANT_DIGITS = 4
_AMOUNT = re.compile(r"(^|_)(gex|dex|vex|chex|usd)(_at_spot)?$|shares_to_trade$")
_PERCENT = re.compile(r"_pct$")
PERCENT_DECIMALS = 3  # a share or distance in percent: 48.009 (JSON and REST keep every digit)


class Table(BaseModel):
    """Records in compact form: the field names once, then one list of values per record."""

    columns: list[str] = Field(description="The field name of each column, in order.")
    rows: list[list[Any]] = Field(
        description="One list per record, its values (any JSON value) in column order.")


class StrikeSelection(BaseModel):
    """Which strikes a per-strike answer lists; totals always cover the whole chain."""

    strikes_listed: StrikeChoice = Field(
        description="key: the strikes of largest |net| exposure and those nearest spot; "
                    "window: every strike within ±window_pct% of spot; all: every strike.")
    window_pct: float | None = Field(description="The window used with strikes='window', percent.")
    strikes_total: int = Field(description="Strikes in the whole chain (after min_oi).")
    strikes_omitted: int = Field(
        description="Strikes not listed. Call again with strikes='all' (or 'window' and a "
                    "window_pct) to see them.")


class ScanSelection(BaseModel):
    """How many of a scan's rows are listed (an agent's answer stays short on a big scan)."""

    rows_total: int = Field(description="Symbols scanned.")
    rows_omitted: int = Field(
        description=f"Rows not listed: past {MAX_SCAN_ROWS} rows the listed ones are those "
                    "below the flip or near a wall, then those with an error, in the order "
                    "asked. negative_gamma and failed still name every symbol.")


def _row_model(annotation: Any) -> type[BaseModel] | None:
    """The record model of a `list[Model]` field annotation, else None."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _columns(row_model: type[BaseModel]) -> list[str]:
    return [name for name in row_model.model_fields if not name.endswith("_label")]


@cache
def agent_model(model: type[BaseModel], per_strike: bool = False) -> type[BaseModel]:
    """The output model an MCP tool publishes for `model`: list fields as `Table`s, and for
    per-strike answers the selection facts, for a scan its row counts. `model` itself when
    nothing changes."""
    tables = {name: (Table, Field(description=f"{field.description or name.replace('_', ' ')} "
                                              "As a table: columns name each row's fields."))
              for name, field in model.model_fields.items() if _row_model(field.annotation)}
    if not tables and not per_strike:
        return model
    bases = (model, StrikeSelection) if per_strike else (model,)
    if model is ScanResponse:
        bases = (model, ScanSelection)
    return create_model(f"Compact{model.__name__}", __base__=bases, __doc__=model.__doc__,
                        __module__=__name__, **tables)


def round_amount(value: float) -> float:
    """`value` to SIGNIFICANT_DIGITS significant figures (non-finite values unchanged).

    >>> round_amount(5236666.996567002), round_amount(-0.000123456)
    (5237000.0, -0.0001235)
    """
    if not math.isfinite(value) or value == 0:
        return value
    return float(f"{value:.{SIGNIFICANT_DIGITS - 1}e}")


def _round_amounts(record: dict[str, Any]) -> dict[str, Any]:
    """Amounts to SIGNIFICANT_DIGITS figures, percentages to PERCENT_DECIMALS decimals."""
    return {k: round_amount(v) if isinstance(v, float) and _AMOUNT.search(k) else
            round(v, PERCENT_DECIMALS) if isinstance(v, float) and _PERCENT.search(k) else
            (_round_amounts(v) if isinstance(v, dict) else v) for k, v in record.items()}


def scan_rows(rows: list[dict[str, Any]]) -> list[int]:
    """Indexes of the scan rows to list: all when at most MAX_SCAN_ROWS, else the flagged
    rows first (below the flip or near a wall, then errors), each group in asked order."""
    if len(rows) <= MAX_SCAN_ROWS:
        return list(range(len(rows)))
    flagged = [i for i, r in enumerate(rows)
               if r["below_flip"] or r["near_call_wall"] or r["near_put_wall"]]
    failed = [i for i, r in enumerate(rows) if r["error"]]
    listed = set(flagged) | set(failed)
    rest = [i for i in range(len(rows)) if i not in listed]
    return (flagged + failed + rest)[:MAX_SCAN_ROWS]


def key_strikes(strikes: list[float], net: list[float], spot: float) -> list[int]:
    """Indexes of the strikes that matter, ascending: the KEY_LARGEST of largest |net| and
    the KEY_NEAREST nearest spot (ties broken by strike order)."""
    by_size = sorted(range(len(net)), key=lambda i: -abs(net[i]))[:KEY_LARGEST]
    by_distance = sorted(range(len(strikes)), key=lambda i: abs(strikes[i] - spot))[:KEY_NEAREST]
    return sorted(set(by_size) | set(by_distance))


def shape(answer: BaseModel, *, per_strike: str | None = None, strikes: StrikeChoice = "key",
          window_pct: float | None = None) -> dict[str, Any]:
    """The agent's form of `answer` (see the module docstring), as JSON-ready data.

    Args:
        answer: a response model.
        per_strike: for per-strike answers, the net field of a strike row ("net_gex").
        strikes: which strikes to list ("key", "window", "all").
        window_pct: half-width of the window for strikes="window", percent of spot.
    """
    data = answer.model_dump(mode="json")
    if per_strike is not None:
        rows = data["strikes"]
        spot = data["underlying_price"]
        if strikes == "all" or not rows:
            kept = list(range(len(rows)))
        elif strikes == "window":
            kept = [i for i, r in enumerate(rows) if in_window(r["strike"], spot, window_pct or 0.0)]
        else:
            kept = key_strikes([r["strike"] for r in rows], [r[per_strike] for r in rows], spot)
        data["strikes"] = [rows[i] for i in kept]
        data.update(strikes_listed=strikes, window_pct=window_pct if strikes == "window" else None,
                    strikes_total=len(rows), strikes_omitted=len(rows) - len(kept))
    if isinstance(answer, ScanResponse):
        rows = data["rows"]
        data["rows"] = [rows[i] for i in scan_rows(rows)]
        data.update(rows_total=len(rows), rows_omitted=len(rows) - len(data["rows"]))
    data = _round_amounts(data)  # top-level amounts; rows are rounded as tables below
    for name, field in type(answer).model_fields.items():
        row_model = _row_model(field.annotation)
        if row_model is not None and isinstance(data.get(name), list):
            columns = _columns(row_model)
            rounded = [_round_amounts(r) for r in data[name]]
            data[name] = {"columns": columns, "rows": [[r[c] for c in columns] for r in rounded]}
    return data


def to_text(data: dict[str, Any]) -> str:
    """The text content: the structured content as compact JSON (no indentation)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def records(table: dict[str, Any]) -> list[dict[str, Any]]:
    """A table back as one dict per row (for tests and clients that prefer records)."""
    return [dict(zip(table["columns"], row)) for row in table["rows"]]
