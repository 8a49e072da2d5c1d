"""FlashAlpha's narrative, exposure sheet and term structure bodies, from our answers.

FlashAlpha's SDK (`flashalpha/types.py`) names them `NarrativeResponse`,
`ExposureSheetResponse` and `ExposureTermStructureResponse` (its basket is the basket row's
answer, `responses/basket.py`); each body here has every field those declare. Fields this server has no data for are null: the
prior day's net GEX and the VIX (narrative), `dag` (sheet). Our own judgements:
- sheet `lis` (line in the sand): the gamma flip, with the net GEX of the strike nearest it
  as its magnitude; `peaks`: the five strikes of largest |net GEX| (side call or put by sign,
  strength = |net GEX| / the largest).
- term-structure buckets by days to expiry: 0dte [0, 0], week [1, 7], month [8, 30],
  quarter [31, 90], long [91, 10000].
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gex_mcp.models import (
    ChexResponse,
    DexResponse,
    ExpirationsResponse,
    GexResponse,
    LevelsResponse,
    SummaryResponse,
    VexResponse,
)
from gex_mcp.responses.guide import guide_regime

GREEKS = ("gex", "dex", "vex", "chex")
PEAKS = 5
BUCKETS = (("0dte", 0, 0), ("week", 1, 7), ("month", 8, 30), ("quarter", 31, 90), ("long", 91, 10_000))


def _head(answer: Any) -> dict[str, Any]:
    return {"symbol": answer.symbol, "underlying_price": answer.underlying_price,
            "as_of": answer.as_of.isoformat()}


def _third_friday(day: date) -> bool:
    return day.weekday() == 4 and 15 <= day.day <= 21


def opex_flags(expiration: str | None) -> tuple[bool | None, bool | None]:
    """(monthly OPEX, triple witching): the third Friday; of March, June, September or December."""
    if expiration is None:
        return None, None
    day = date.fromisoformat(expiration)
    opex = _third_friday(day)
    return opex, opex and day.month in (3, 6, 9, 12)


def narrative_body(answers: dict[str, Any], extras: dict[str, str]) -> dict[str, Any]:
    """GET /v1/exposure/narrative/{symbol}: the summary and levels in sentences, with the data."""
    s: SummaryResponse = answers["summary"]
    lv: LevelsResponse = answers["levels"]
    regime = guide_regime(s.gamma_flip, s.underlying_price)
    walls = (f"Call wall {lv.call_wall:g}, put wall {lv.put_wall:g}" if lv.call_wall and lv.put_wall
             else "The walls are not determined")
    flip = (f"gamma flip {s.gamma_flip:g}" if s.gamma_flip is not None
            else f"no gamma flip ({s.gamma_flip_status})")
    movers = [{"strike": m.strike, "type": kind, "oi_change": change, "volume": None}
              for m in s.top_oi_movers
              for kind, change in (("call", m.call_oi_change), ("put", m.put_oi_change)) if change]
    flow = (f"Largest open-interest change at {movers[0]['strike']:g} ({movers[0]['type']}s, "
            f"{movers[0]['oi_change']:+,})." if movers else "No previous open interest to compare with.")
    zero = (f"0DTE options hold {s.zero_dte_pct_of_total:.1f}% of gross GEX."
            if s.zero_dte_pct_of_total is not None else "No options expire today.")
    return {**_head(s), "narrative": {
        "regime": s.interpretation, "gex_change": f"Net GEX is {s.net_gex_label}; no prior day is "
                                                  "kept to compare with.",
        "key_levels": f"{walls}; {flip}.", "flow": flow,
        "vanna": s.interpretation_detail.get("vanna"), "charm": s.interpretation_detail.get("charm"),
        "zero_dte": zero,
        "outlook": f"{regime.replace('_', ' ')}: {s.regime_reason}.",
        "data": {"net_gex": s.net_gex, "net_gex_prior": None, "net_gex_change_pct": None, "vix": None,
                 "gamma_flip": s.gamma_flip, "gamma_flip_status": s.gamma_flip_status,
                 "call_wall": lv.call_wall, "put_wall": lv.put_wall, "regime": regime,
                 "zero_dte_pct": s.zero_dte_pct_of_total, "top_oi_changes": movers}}}


def sheet_body(answers: dict[str, Any], extras: dict[str, str]) -> dict[str, Any]:
    """GET /v1/exposure/sheet/{symbol}: GEX, DEX, VEX and CHEX of every strike in one row set."""
    gex: GexResponse = answers["gex"]
    dex: DexResponse = answers["dex"]
    vex: VexResponse = answers["vex"]
    chex: ChexResponse = answers["chex"]
    others = {name: {s.strike: s for s in answers[name].strikes} for name in ("dex", "vex", "chex")}
    rows = []
    for s in gex.strikes:
        row: dict[str, Any] = {"strike": s.strike, "call_gex": s.call_gex, "put_gex": s.put_gex,
                               "net_gex": s.net_gex}
        for name in ("dex", "vex", "chex"):
            o = others[name].get(s.strike)
            for side in ("call", "put", "net"):
                row[f"{side}_{name}"] = None if o is None else getattr(o, f"{side}_{name}")
        rows.append({**row, "dag": None, "call_oi": s.call_oi, "put_oi": s.put_oi})
    largest = max((abs(s.net_gex) for s in gex.strikes), default=0.0)
    peaks = sorted(gex.strikes, key=lambda s: -abs(s.net_gex))[:PEAKS]
    near_flip = (min(gex.strikes, key=lambda s: abs(s.strike - gex.gamma_flip))
                 if gex.gamma_flip is not None and gex.strikes else None)
    opex, witching = opex_flags(gex.expiration)
    return {**_head(gex), "expiration": gex.expiration, "is_opex": opex, "is_triple_witching": witching,
            "totals": {"net_gex": gex.net_gex, "net_dex": dex.net_dex, "net_vex": vex.net_vex,
                       "net_chex": chex.net_chex, "net_dag": None},
            "lis": {"strike": gex.gamma_flip,
                    "magnitude": None if near_flip is None else near_flip.net_gex},
            "peaks": [{"strike": p.strike, "net_gex": p.net_gex,
                       "strength": round(abs(p.net_gex) / largest, 4) if largest else None,
                       "side": "call" if p.net_gex >= 0 else "put"} for p in peaks],
            "strikes": rows}


def term_structure_body(listing: ExpirationsResponse, per_expiry: dict[str, SummaryResponse]) -> dict[str, Any]:
    """GET /v1/exposure/term-structure/{symbol}: net exposures per expiration (each one's own
    summary) and per days-to-expiry bucket (their sums)."""
    total_gex = sum(s.net_gex for s in per_expiry.values())
    rows = []
    for e in listing.expirations:
        s = per_expiry.get(e.expiration)
        opex, witching = opex_flags(e.expiration)
        rows.append({"expiration": e.expiration, "dte": int(e.days_to_expiry), "is_opex": opex,
                     "is_triple_witching": witching,
                     **{f"net_{g}": None if s is None else getattr(s, f"net_{g}") for g in GREEKS},
                     "pct_of_chain_gex": (None if s is None or not total_gex
                                          else round(s.net_gex / total_gex * 100.0, 3)),
                     "_contracts": e.contracts})
    buckets = []
    for name, low, high in BUCKETS:
        inside = [r for r in rows if low <= r["dte"] <= high and r["net_gex"] is not None]
        buckets.append({"bucket": name, "dte_range": [low, high],
                        **{f"net_{g}": sum(r[f"net_{g}"] for r in inside) for g in GREEKS},
                        "contract_count": sum(r["_contracts"] for r in inside)})
    for r in rows:
        del r["_contracts"]
    return {**_head(listing), "by_dte_bucket": buckets, "by_expiry": rows}


__all__ = ["narrative_body", "opex_flags", "sheet_body", "term_structure_body"]
