"""Translate FlashAlpha's JSON answers into our flat response models (no I/O here).

`Translator` reads one answer defensively: a missing required field is a
`SourceDataError` naming the endpoint, symbol and field; optional numbers that are
absent or non-finite become null (or 0 with a note in `data_quality.notes`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gex_mcp.errors import SourceDataError
from gex_mcp.models import DataQuality, HedgeEstimate

SOURCE_NAME = "flashalpha"
DATA_QUALITY_NOTE = "computed by FlashAlpha"
FALLBACK = "use source cboe"
ModelT = TypeVar("ModelT", bound=BaseModel)

# FlashAlpha flip status codes (null flip) -> our FlipStatus.
_FLIP_STATUS = {
    "ok": "ok",
    "no_boundary": "no_crossing",
    "no_crossing": "no_crossing",
    "no_data": "no_data",
    "insufficient_data": "no_data",
}
REGIMES = {
    "positive_gamma": "positive_gamma",
    "negative_gamma": "negative_gamma",
    "neutral": "neutral",
}

def parse_time(value: Any) -> datetime | None:
    """ISO-8601 text (naive means UTC) or a Unix epoch number -> aware datetime."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


class Translator:
    """Reads one FlashAlpha answer; every shape error becomes a SourceDataError."""

    def __init__(self, endpoint: str, symbol: str, body: dict[str, Any]) -> None:
        self.endpoint = endpoint
        self.symbol = symbol
        self.body = body
        self.notes: list[str] = [DATA_QUALITY_NOTE]

    def bad(self, what: str) -> SourceDataError:
        return SourceDataError(
            f"FlashAlpha's {self.endpoint} answer for {self.symbol} {what}. "
            f"Try again shortly, or {FALLBACK}.")

    def number(self, obj: dict[str, Any], key: str, *, where: str = "") -> float | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.bad(f"has a non-numeric {where}{key!r}")
        number = float(value)
        if not math.isfinite(number):
            raise self.bad(f"has a non-finite {where}{key!r}")
        return number

    def required(self, obj: dict[str, Any], key: str, *, where: str = "") -> float:
        number = self.number(obj, key, where=where)
        if number is None:
            raise self.bad(f"lacks {where}{key!r}")
        return number

    def or_zero(self, obj: dict[str, Any], key: str, *, where: str = "") -> float:
        """A total FlashAlpha left null: 0 here, with a note so the zero is not silent."""
        number = self.number(obj, key, where=where)
        if number is None:
            self.notes.append(f"FlashAlpha gave no {where}{key}; shown as 0")
            return 0.0
        return number

    def count(self, obj: dict[str, Any], key: str) -> int:
        number = self.number(obj, key, where="strike ")
        return 0 if number is None else round(number)

    def change(self, obj: dict[str, Any], key: str) -> int | None:
        number = self.number(obj, key, where="strike ")
        return None if number is None else round(number)

    def section(self, key: str) -> dict[str, Any]:
        value = self.body.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.bad(f"has {key!r} that is not an object")
        return value

    def strikes(self) -> list[dict[str, Any]]:
        rows = self.body.get("strikes")
        if rows is None:
            return []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise self.bad("has 'strikes' that is not a list of objects")
        for row in rows:
            self.required(row, "strike", where="strike ")
        return sorted(rows, key=lambda r: float(r["strike"]))

    def provenance(self, expiration: str | None = None) -> dict[str, Any]:
        as_of = parse_time(self.body.get("as_of")) or parse_time(self.body.get("data_as_of"))
        if as_of is None:
            raise self.bad("lacks a readable 'as_of' time")
        return {
            "symbol": self.symbol,
            "underlying_price": self.required(self.body, "underlying_price"),
            "as_of": as_of,
            "source": SOURCE_NAME,
            "is_demo": False,
            "expiration": expiration,
        }

    def flip(self, obj: dict[str, Any]) -> dict[str, Any]:
        flip = self.number(obj, "gamma_flip")
        code = obj.get("gamma_flip_status")
        code = code.strip() if isinstance(code, str) and code.strip() else None
        if flip is not None:
            reason = (f"FlashAlpha flags the flip as {code!r}"
                      if code not in (None, "ok") else None)
            return {"gamma_flip": flip, "gamma_flip_status": "ok", "gamma_flip_reason": reason}
        status = _FLIP_STATUS.get(code or "", "ill_determined")
        if status == "ok":  # "ok" with a null flip says nothing usable
            status = "ill_determined"
        reason = (f"FlashAlpha could not determine the flip ({code})" if code
                  else "FlashAlpha gave no gamma flip")
        return {"gamma_flip": None, "gamma_flip_status": status, "gamma_flip_reason": reason}

    def quality(self) -> DataQuality:
        return DataQuality(contracts_total=0, contracts_used=0, notes=self.notes)

    def model(self, cls: type[ModelT], **fields: Any) -> ModelT:
        try:
            return cls(**fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise self.bad(f"does not fit {cls.__name__} ({where}: {first.get('msg')})") from exc


def hedge_estimate(tr: Translator, hedging: dict[str, Any], key: str, *, spot: float,
           move_pct: float) -> HedgeEstimate:
    block = hedging.get(key)
    new_spot = spot * (1.0 + move_pct / 100.0)
    if not isinstance(block, dict):
        tr.notes.append(f"FlashAlpha gave no hedging estimate for {move_pct:+g}%; shown as 0")
        return HedgeEstimate(spot_move_pct=move_pct, new_spot=new_spot,
                             dealer_shares_to_trade=0.0, direction="none", notional_usd=0.0)
    where = f"hedging_estimate.{key}."
    shares = tr.number(block, "dealer_shares_to_trade", where=where)
    if shares is None:
        shares = tr.or_zero(block, "dealer_shares", where=where)
    notional = tr.number(block, "notional_usd", where=where)
    raw_direction = block.get("direction")
    direction = raw_direction.strip().lower() if isinstance(raw_direction, str) else ""
    # FlashAlpha's docs show both signed shares and unsigned shares with a direction;
    # our contract is signed: + buy, - sell.
    if direction == "buy":
        shares = abs(shares)
    elif direction == "sell":
        shares = -abs(shares)
    else:
        direction = "buy" if shares > 0 else "sell" if shares < 0 else "none"
    if notional is None:
        notional = abs(shares) * new_spot
    return HedgeEstimate(spot_move_pct=move_pct, new_spot=new_spot,
                         dealer_shares_to_trade=shares, direction=direction,
                         notional_usd=abs(notional))


