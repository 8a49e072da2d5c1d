"""FlashAlpha's 0DTE answer (`ZeroDteResponse` of its SDK), from our answers for one expiry.

The expiry is today's (the chain's `as_of` date in New York) unless `expiry` names another,
as FlashAlpha's selector allows. Without a same-day expiry the answer is FlashAlpha's for a
symbol without one: `no_zero_dte: true`, a message and `next_zero_dte_expiry` (the nearest
listed date). The door gathers the answers (gex, dex, vex, chex, levels, hedging, max pain,
expected move and contracts of that expiry; summary, expirations and expected moves of the
chain) and this module shapes them.

Our own scores, where FlashAlpha publishes no formula (each 0-100 or 0-25, whole numbers):
- pin components, 0-25 each, summed into pin_score: oi_score = 25 x the expiry's OI within
  ±1% of spot / its OI; proximity_score = 25 x max(0, 1 - |spot - magnet| / (1% of spot));
  time_score = 25 x (1 - time_to_close_pct / 100); gamma_score = 25 x |magnet GEX| / Σ|net GEX|.
- execution_score = max(0, 100 - 10 x OI-weighted spread %), spread % = (ask - bid) / mid x 100.
- convexity_at_spot = shares(+0.5%) + shares(-0.5%): zero for a linear book, the gamma
  convexity of dealer hedging otherwise (shares).
- decay: net_theta_dollars = Σ sign x theta x OI x 100 (calls +, puts -, as the GEX signs),
  USD per day; theta_per_hour_remaining = that / 6.5 (a regular session's hours).
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from typing import Any

from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.errors import InputError
from gex_mcp.models import ContractRow, ExpirationsResponse, GexResponse
from gex_mcp.responses.guide import guide_regime

SESSION_HOURS = 6.5
PIN_BAND_PCT = 1.0
HEDGE_MOVES = {"10bp": 0.1, "25bp": 0.25, "half_pct": 0.5, "1pct": 1.0}
DEFAULT_STRIKE_RANGE = 0.05  # fraction of spot either side for the per-strike rows
MIN_STRIKE_RANGE, MAX_STRIKE_RANGE = 0.001, 0.10


def strike_range(raw: str | None) -> float:
    """`strike_range` of the query: a fraction of spot from 0.001 to 0.10 (default 0.05)."""
    if raw is None:
        return DEFAULT_STRIKE_RANGE
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not MIN_STRIKE_RANGE <= value <= MAX_STRIKE_RANGE:
        raise InputError(f"strike_range must be a fraction of spot from {MIN_STRIKE_RANGE} to "
                         f"{MAX_STRIKE_RANGE}; got {raw!r:.20}.")
    return value


def same_day_expiry(listing: ExpirationsResponse) -> str | None:
    """Today's expiration (kind 0dte) of a listing, or None."""
    return next((e.expiration for e in listing.expirations if e.kind == "0dte"), None)


def no_zero_dte_body(listing: ExpirationsResponse) -> dict[str, Any]:
    """FlashAlpha's answer for a symbol without a same-day expiry."""
    upcoming = listing.expirations[0].expiration if listing.expirations else None
    return {"symbol": listing.symbol, "underlying_price": listing.underlying_price,
            "as_of": listing.as_of.isoformat(), "expiration": None, "no_zero_dte": True,
            "message": f"{listing.symbol} has no options expiring on {listing.as_of.astimezone(NEW_YORK):%Y-%m-%d}"
                       f" that are not yet settled; the next expiration is {upcoming or 'not listed'}.",
            "next_zero_dte_expiry": upcoming}


def _pct(part: float, whole: float, digits: int = 3) -> float | None:
    return round(part / whole * 100.0, digits) if whole else None


def _session(as_of: datetime) -> tuple[bool, float]:
    """(regular session open at as_of, hours left to its 16:00 New York close, >= 0)."""
    ny = as_of.astimezone(NEW_YORK)
    close = datetime.combine(ny.date(), time(16), NEW_YORK)
    opened = datetime.combine(ny.date(), time(9, 30), NEW_YORK)
    is_open = ny.weekday() < 5 and opened <= ny < close
    return is_open, max(0.0, (close - ny) / timedelta(hours=1)) if ny.weekday() < 5 else 0.0


def _occ(root: str, expiration: str, kind: str, strike: float) -> str:
    """OCC option symbol: root, YYMMDD, C or P, strike x 1000 in eight digits."""
    return f"{root}{expiration[2:4]}{expiration[5:7]}{expiration[8:10]}{kind[0].upper()}{round(strike * 1000):08d}"


def _spread_pct(c: ContractRow | None) -> float | None:
    if c is None or c.bid is None or c.ask is None or not c.mid:
        return None
    return round((c.ask - c.bid) / c.mid * 100.0, 3)


def zero_dte_body(a: dict[str, Any], expiry: str, extras: dict[str, str]) -> dict[str, Any]:
    """The full 0DTE answer for `expiry` from the answers `a` (see the module docstring)."""
    gex: GexResponse = a["gex"]
    spot, as_of = gex.underlying_price, gex.as_of
    listing: ExpirationsResponse = a["expirations"]
    is_open, hours_left = _session(as_of)
    time_pct = round(min(100.0, hours_left / SESSION_HOURS * 100.0), 2)
    move = next((m for m in a["expected_move"].moves if m.expiration == expiry), None)
    strikes = gex.strikes
    gross = sum(abs(s.net_gex) for s in strikes)
    magnet = max(strikes, key=lambda s: abs(s.net_gex), default=None)
    oi_total = sum(s.call_oi + s.put_oi for s in strikes)
    contracts: list[ContractRow] = a["contracts"].contracts
    today = as_of.astimezone(NEW_YORK).date().isoformat()
    warnings = [] if expiry == today else [
        f"{expiry} is not today's expiration ({today}): the answer is for that expiry, as asked."]
    return {
        "symbol": gex.symbol, "underlying_price": spot, "expiration": expiry, "as_of": as_of.isoformat(),
        "market_open": is_open, "time_to_close_hours": round(hours_left, 3), "time_to_close_pct": time_pct,
        "regime": _regime(gex, expiry, move.iv_move_1sd if move else None),
        "exposures": {"net_gex": gex.net_gex, "net_dex": a["dex"].net_dex, "net_vex": a["vex"].net_vex,
                      "net_chex": a["chex"].net_chex,
                      "pct_of_total_gex": next((e.share_of_gross_gex_pct for e in listing.expirations
                                                if e.expiration == expiry), None),
                      "total_chain_net_gex": a["summary"].net_gex},
        "expected_move": _expected_move(move, spot),
        "pin_risk": _pin_risk(a, gex, expiry, magnet, gross, oi_total, time_pct),
        "hedging": _hedging(a["hedging"].steps),
        "decay": _decay(a, contracts, expiry),
        "vol_context": _vol_context(a, move),
        "flow": _flow(strikes, spot, oi_total),
        "levels": _levels(a["levels"], strikes, spot, magnet),
        "liquidity": _liquidity(contracts, spot),
        "metadata": {"snapshot_age_seconds": gex.age_seconds,
                     "chain_contract_count": sum(e.contracts for e in listing.expirations),
                     "data_quality_score": None, "greek_smoothness_score": None},
        "strikes": _strike_rows(a, gex, expiry, contracts, strike_range(extras.get("strike_range")),
                                gross, oi_total),
        "warnings": warnings, "no_zero_dte": False,
        "message": f"{gex.symbol} options expiring {expiry}.", "next_zero_dte_expiry": None,
    }


def _regime(gex: GexResponse, expiry: str, remaining: float | None) -> dict[str, Any]:
    """Spot against this expiry's flip, in dollars and in the remaining one-sigma move."""
    spot, flip = gex.underlying_price, gex.gamma_flip
    distance = None if flip is None else spot - flip
    return {"label": guide_regime(flip, spot),
            "description": (f"Spot is {'above' if distance >= 0 else 'below'} the {expiry} options' "
                            f"gamma flip {flip:g}." if distance is not None
                            else f"No gamma flip for the {expiry} options ({gex.gamma_flip_status})."),
            "gamma_flip": flip, "gamma_flip_status": gex.gamma_flip_status,
            "spot_vs_flip": None if distance is None else "above" if distance >= 0 else "below",
            "spot_to_flip_pct": None if distance is None else round(distance / spot * 100, 3),
            "distance_to_flip_dollars": None if distance is None else round(distance, 2),
            "distance_to_flip_sigmas": (None if distance is None or not remaining
                                        else round(distance / remaining, 3))}


def _expected_move(move: Any, spot: float) -> dict[str, Any]:
    """A full day's one-sigma move (spot x ATM IV x sqrt(1/365)) and what remains to expiry."""
    iv = move.atm_iv if move else None
    remaining = move.iv_move_1sd if move else None
    full_day = spot * iv * math.sqrt(1.0 / 365.0) if iv else None
    return {"implied_1sd_dollars": None if full_day is None else round(full_day, 2),
            "implied_1sd_pct": None if full_day is None else round(full_day / spot * 100, 3),
            "remaining_1sd_dollars": remaining,
            "remaining_1sd_pct": None if remaining is None else round(remaining / spot * 100, 3),
            "upper_bound": move.upper_1sd if move else None,
            "lower_bound": move.lower_1sd if move else None,
            "straddle_price": move.straddle if move else None, "atm_iv": iv}


def _pin_risk(a: dict[str, Any], gex: GexResponse, expiry: str, magnet: Any, gross: float,
              oi_total: float, time_pct: float) -> dict[str, Any]:
    """The pin score: four 0-25 components (see the module docstring)."""
    spot, strikes = gex.underlying_price, gex.strikes
    near_oi = sum(s.call_oi + s.put_oi for s in strikes if abs(s.strike - spot) <= spot * PIN_BAND_PCT / 100)
    top3 = sum(sorted((s.call_oi + s.put_oi for s in strikes), reverse=True)[:3])
    components = {
        "oi_score": round(25 * near_oi / oi_total) if oi_total else 0,
        "proximity_score": round(25 * max(0.0, 1 - abs(spot - magnet.strike) / (spot * 0.01))) if magnet else 0,
        "time_score": round(25 * (1 - time_pct / 100)),
        "gamma_score": round(25 * abs(magnet.net_gex) / gross) if magnet and gross else 0}
    return {"magnet_strike": magnet.strike if magnet else None,
            "magnet_gex": magnet.net_gex if magnet else None,
            "distance_to_magnet_pct": round((magnet.strike - spot) / spot * 100, 3) if magnet else None,
            "pin_score": sum(components.values()), "components": components,
            "max_pain": next((e.max_pain for e in a["max_pain"].expirations if e.expiration == expiry), None),
            "oi_concentration_top3_pct": _pct(top3, oi_total),
            "description": (f"Pin score {sum(components.values())} of 100 (OI near spot, proximity "
                            "to the magnet, time left, the magnet's share of gamma).")}


def _hedging(hedge_steps: list[Any]) -> dict[str, Any]:
    """Dealer shares for each of HEDGE_MOVES up and down, and the convexity at spot."""
    steps = {round(st.move_pct, 4): st for st in hedge_steps}

    def bucket(move_pct: float) -> dict[str, Any]:
        st = steps[round(move_pct, 4)]
        return {"dealer_shares_to_trade": st.dealer_shares_to_trade,
                "direction": "buy" if st.dealer_shares_to_trade >= 0 else "sell",
                "notional_usd": st.notional_usd}

    hedging: dict[str, Any] = {}
    for name, size in HEDGE_MOVES.items():
        hedging[f"spot_up_{name}"], hedging[f"spot_down_{name}"] = bucket(size), bucket(-size)
    hedging["convexity_at_spot"] = (steps[0.5].dealer_shares_to_trade + steps[-0.5].dealer_shares_to_trade)
    return hedging


def _decay(a: dict[str, Any], contracts: list[ContractRow], expiry: str) -> dict[str, Any]:
    """Dealer theta of the expiry's options (USD a day) and the charm regime."""
    theta = sum((1 if c.type == "call" else -1) * c.theta * c.open_interest * 100
                for c in contracts if c.theta is not None)
    return {"net_theta_dollars": round(theta), "theta_per_hour_remaining": round(theta / SESSION_HOURS),
            "charm_regime": "delta_building" if a["chex"].net_chex >= 0 else "delta_decaying",
            "charm_description": a["chex"].chex_interpretation,
            "gamma_acceleration": None,
            "description": f"Dealer theta {theta:,.0f} USD a day on the {expiry} options."}


def _vol_context(a: dict[str, Any], move: Any) -> dict[str, Any]:
    """This expiry's ATM IV against the expiry nearest 7 days out."""
    iv = move.atm_iv if move else None
    seven = min(a["expected_moves"].moves, key=lambda m: abs(m.days_to_expiry - 7), default=None)
    seven_iv = seven.atm_iv if seven else None
    return {"zero_dte_atm_iv": iv, "seven_dte_atm_iv": seven_iv,
            "iv_ratio_0dte_7dte": round(iv / seven_iv, 4) if iv and seven_iv else None,
            "vix": None, "vanna_exposure": a["vex"].net_vex,
            "vanna_interpretation": a["vex"].vex_interpretation,
            "description": "ATM IV of this expiry against the expiry nearest 7 days out."}


def _flow(strikes: list[Any], spot: float, oi_total: float) -> dict[str, Any]:
    """Volume and open interest of the expiry: totals, put/call ratios, concentration."""
    calls_v = sum(s.call_volume for s in strikes)
    puts_v = sum(s.put_volume for s in strikes)
    calls_oi, puts_oi = sum(s.call_oi for s in strikes), sum(s.put_oi for s in strikes)
    volume = calls_v + puts_v
    atm_volume = sum(s.call_volume + s.put_volume for s in strikes if abs(s.strike - spot) <= spot * 0.01)
    top3_volume = sum(sorted((s.call_volume + s.put_volume for s in strikes), reverse=True)[:3])
    return {"total_volume": volume, "call_volume": calls_v, "put_volume": puts_v,
            "net_call_minus_put_volume": calls_v - puts_v, "total_oi": oi_total, "call_oi": calls_oi,
            "put_oi": puts_oi, "pc_ratio_volume": round(puts_v / calls_v, 4) if calls_v else None,
            "pc_ratio_oi": round(puts_oi / calls_oi, 4) if calls_oi else None,
            "volume_to_oi_ratio": round(volume / oi_total, 4) if oi_total else None,
            "atm_volume_share_pct": _pct(atm_volume, volume),
            "top3_strike_volume_pct": _pct(top3_volume, volume)}


def _levels(lv: Any, strikes: list[Any], spot: float, magnet: Any) -> dict[str, Any]:
    """The walls with their GEX and strength (|wall GEX| / largest |net GEX|), the OI peak."""
    at = {s.strike: s for s in strikes}
    largest = max((abs(s.net_gex) for s in strikes), default=0.0)

    def wall(strike: float | None, side: str) -> dict[str, Any]:
        g = getattr(at[strike], f"{side}_gex") if strike in at else None
        return {f"{side}_wall": strike, f"{side}_wall_gex": g,
                f"{side}_wall_strength": round(abs(g) / largest, 4) if g is not None and largest else None,
                f"distance_to_{side}_wall_pct": None if strike is None else round((strike - spot) / spot * 100, 3)}

    return {**wall(lv.call_wall, "call"), **wall(lv.put_wall, "put"),
            "distance_to_magnet_dollars": round(magnet.strike - spot, 2) if magnet else None,
            "highest_oi_strike": lv.highest_oi_strike,
            "highest_oi_total": (at[lv.highest_oi_strike].call_oi + at[lv.highest_oi_strike].put_oi
                                 if lv.highest_oi_strike in at else None),
            "max_positive_gamma": lv.max_positive_gamma, "max_negative_gamma": lv.max_negative_gamma,
            "level_cluster_score": None}


def _liquidity(contracts: list[ContractRow], spot: float) -> dict[str, Any]:
    """ATM and OI-weighted bid/ask spreads (% of mid) and the execution score."""
    by_key = {(c.strike, c.type): c for c in contracts}
    atm = min(contracts, key=lambda c: abs(c.strike - spot), default=None)
    atm_pair = [by_key.get((atm.strike, t)) for t in ("call", "put")] if atm else []
    atm_spreads = [x for x in (_spread_pct(c) for c in atm_pair) if x is not None]
    weighted = [(_spread_pct(c), c.open_interest) for c in contracts if c.open_interest and _spread_pct(c) is not None]
    weight = sum(w for _, w in weighted)
    wspread = round(sum(x * w for x, w in weighted) / weight, 3) if weight else None
    return {"atm_spread_pct": round(sum(atm_spreads) / len(atm_spreads), 3) if atm_spreads else None,
            "weighted_spread_pct": wspread,
            "execution_score": None if wspread is None else max(0, round(100 - 10 * wspread))}


def _strike_rows(a: dict[str, Any], gex: GexResponse, expiry: str, contracts: list[ContractRow],
                 width: float, gross: float, oi_total: float) -> list[dict[str, Any]]:
    """One row per strike within `width` x spot: exposures, shares, OCC symbols, quotes, greeks."""
    spot, strikes = gex.underlying_price, gex.strikes
    by_key = {(c.strike, c.type): c for c in contracts}
    volume = sum(s.call_volume + s.put_volume for s in strikes)
    others = {n: {s.strike: s for s in a[n].strikes} for n in ("dex", "vex", "chex")}
    rows = []
    for s in strikes:
        if abs(s.strike - spot) > spot * width:
            continue
        call, put = by_key.get((s.strike, "call")), by_key.get((s.strike, "put"))
        root = (call or put).root if (call or put) else gex.symbol
        d, v, c = (others[n].get(s.strike) for n in ("dex", "vex", "chex"))
        rows.append({
            "strike": s.strike, "distance_from_spot_pct": round((s.strike - spot) / spot * 100, 3),
            "call_symbol": _occ(root, expiry, "call", s.strike), "put_symbol": _occ(root, expiry, "put", s.strike),
            "call_gex": s.call_gex, "put_gex": s.put_gex, "net_gex": s.net_gex,
            "call_dex": d and d.call_dex, "put_dex": d and d.put_dex, "net_dex": d and d.net_dex,
            "net_vex": v and v.net_vex, "net_chex": c and c.net_chex,
            "call_oi": s.call_oi, "put_oi": s.put_oi, "call_volume": s.call_volume, "put_volume": s.put_volume,
            "gex_share_pct": _pct(abs(s.net_gex), gross), "oi_share_pct": _pct(s.call_oi + s.put_oi, oi_total),
            "volume_share_pct": _pct(s.call_volume + s.put_volume, volume),
            **{f"{side}_{k}": getattr(row, src) if row else None
               for side, row in (("call", call), ("put", put))
               for k, src in (("iv", "iv"), ("delta", "delta"), ("gamma", "gamma"), ("theta", "theta"),
                              ("mid", "mid"))},
            "call_spread_pct": _spread_pct(call), "put_spread_pct": _spread_pct(put)})
    return rows


__all__ = ["no_zero_dte_body", "same_day_expiry", "strike_range", "zero_dte_body"]
