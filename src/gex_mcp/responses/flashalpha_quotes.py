"""FlashAlpha's option quote (`OptionQuoteResponse` of its SDK), from our listed contracts.

Quotes are the source's delayed bid and ask; sizes, IVs of bid and ask and the SVI fit are
not in our chains (null). Greeks are at spot from the contract's IV (`responses.contracts`).
"""

from __future__ import annotations

from typing import Any

from gex_mcp.errors import InputError
from gex_mcp.models import ContractRow

TYPES = {"call": "call", "c": "call", "put": "put", "p": "put"}


def option_type(raw: str | None) -> str | None:
    """`type` of the query: call or put (C and P too); None when absent."""
    if raw is None:
        return None
    kind = TYPES.get(raw.strip().lower())
    if kind is None:
        raise InputError(f"type must be call or put; got {raw!r:.20}.")
    return kind


def strike_value(raw: str | None) -> float | None:
    """`strike` of the query: a positive price in USD; None when absent."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise InputError(f"strike must be a positive price in USD; got {raw!r:.20}.")
    return value


def option_quote_body(row: ContractRow, underlying: str, as_of: str) -> dict[str, Any]:
    return {"type": row.type, "expiry": row.expiration, "strike": row.strike, "bid": row.bid,
            "ask": row.ask, "mid": row.mid, "bidSize": None, "askSize": None, "lastUpdate": as_of,
            "implied_vol": row.iv, "iv_bid": None, "iv_ask": None, "delta": row.delta,
            "gamma": row.gamma, "theta": row.theta, "vega": row.vega, "rho": row.rho,
            "vanna": row.vanna, "charm": row.charm, "svi_vol": None, "svi_vol_gated": None,
            "open_interest": row.open_interest, "volume": row.volume, "underlying": underlying,
            "root": row.root}


__all__ = ["option_quote_body", "option_type", "strike_value"]
