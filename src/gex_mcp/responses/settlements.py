"""One expiry view: the rows `expirations` and `expiry_breakdown` (and the summary) share.

A row per settlement, not per date: on an SPX monthly date the AM-settled SPX options and the
PM-settled SPXW options are two rows, each with its settlement. For every row:

    open_interest          = Σ OI of the settlement's listed, unsettled contracts (all of them,
                             skipped ones included: the listing's fact)
    net_gex                = Σ GEX of its priced contracts, USD per 1% move
    share_of_gross_gex_pct = Σ |GEX| of its contracts / Σ |GEX| of every contract x 100
    days_to_expiry         = (settlement instant - as_of) / 86400

Kinds follow the products' calendars: a date's standard monthly (third Friday, or the trading
day before) is "monthly" ("quarterly" in Mar/Jun/Sep/Dec), but when that date also has an AM
settlement the AM options are the monthly and the PM ones (SPXW) are "weekly".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from gex_mcp.engine.aggregate import unique_inverse
from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.breakdown import ExpiryGex, expiry_kind
from gex_mcp.engine.calendar import AM_SETTLEMENT, NEW_YORK


@dataclass(frozen=True)
class Settlement:
    expiration: str
    settlement: str  # "AM" | "PM"
    kind: str
    days_to_expiry: float
    contracts: int
    open_interest: int
    net_gex: float
    gross_gex: float
    share_of_gross_gex_pct: float
    priced: ExpiryGex | None  # the engine's row (forward, top strike); None when none priced


def settlement_rows(a: ChainAnalysis) -> list[Settlement]:
    """Every unsettled settlement of the chain, ascending (see the module docstring)."""
    chain = a.chain
    live = chain.live
    if not live.any():
        return []
    minutes = np.rint(chain.settle_time[live] / 60.0).astype(np.int64)
    keys, first, slot = unique_inverse(minutes)
    contracts = np.bincount(slot, minlength=len(keys))
    oi = np.bincount(slot, weights=np.nan_to_num(chain.open_interest[live]), minlength=len(keys))
    dates = chain.expiry[live][first]
    now = chain.as_of.timestamp()
    priced = {(str(e.expiration), e.settlement): e for e in a.expiries}
    total_gross = sum(e.gross_gex for e in a.expiries)
    sides = [(str(d), "AM" if datetime.fromtimestamp(k * 60.0, NEW_YORK).time() == AM_SETTLEMENT
              else "PM") for d, k in zip(dates, keys.tolist())]
    has_am = {d for d, s in sides if s == "AM"}
    rows = []
    for i, (day, side) in enumerate(sides):
        days = (float(keys[i]) * 60.0 - now) / 86400.0
        kind = expiry_kind(dates[i], a.prepared.today, days)
        if side == "PM" and day in has_am and kind in ("monthly", "quarterly"):
            kind = "weekly"  # SPXW on an SPX monthly date: the PM weekly, not the monthly
        e = priced.get((day, side))
        gross = e.gross_gex if e is not None else 0.0
        rows.append(Settlement(
            expiration=day, settlement=side, kind=kind, days_to_expiry=days,
            contracts=int(contracts[i]), open_interest=int(round(oi[i])),
            net_gex=e.net_gex if e is not None else 0.0, gross_gex=gross,
            share_of_gross_gex_pct=gross / total_gross * 100.0 if total_gross > 0 else 0.0,
            priced=e))
    return rows


__all__ = ["Settlement", "settlement_rows"]
