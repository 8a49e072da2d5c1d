"""GEX per expiration, and the strikes whose open interest moved most.

Rows are per settlement instant: a date with AM- and PM-settled options has two rows.
Expiry kinds: "0dte" expires on as_of's New York date; "leaps" more than 365 days out;
"quarterly" the standard monthly expiration of Mar/Jun/Sep/Dec; "monthly" that of any other
month (the third Friday, or the trading day before it when it is a holiday); "weekly"
everything else. share_of_total = |net GEX of the expiry| / Σ |net GEX of each
expiry| x 100, so shares add up to 100 even when expiries offset each other.
forward = S e^{(r - q)T}, the price the expiry's greeks were carried to (USD; the put-call
parity forward, see forwards.py). Expirations under a week (`BASIS_YEARS`) report
basis_points = F - S (USD): over hours or days a few points of timing basis (the 16:00 index
print against the 16:15 options close) would read as tens of percent a year. The others report
implied_carry_pct = ln(F/S*)/T x 100, percent a year, S* the spot the term structure beyond a
week extrapolates to (`forwards.implied_spot`; S itself when it cannot be fitted), so that
basis is not annualised into their carry either. Both None where parity could not be read and
the settings were used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from gex_mcp.engine.aggregate import oi_change_by_strike, unique_inverse
from gex_mcp.engine.calendar import NEW_YORK, SECONDS_PER_YEAR, expiry_on_or_before
from gex_mcp.engine.exposure import ContractExposures
from gex_mcp.engine.forwards import BASIS_YEARS
from gex_mcp.engine.prepare import PreparedChain


@dataclass(frozen=True)
class ExpiryGex:
    expiration: np.datetime64
    days_to_expiry: float
    kind: str
    net_gex: float
    share_of_total_pct: float
    top_strike: float | None
    open_interest: float
    settlement: str = "PM"  # "AM" (09:30 New York) or "PM" (16:00)
    forward: float | None = None  # USD
    implied_carry_pct: float | None = None  # percent a year; None = settings, or under a week
    basis_points: float | None = None  # F - S, USD, under a week only
    gross_gex: float = 0.0  # Σ |GEX| of the settlement's contracts, USD per 1% move


@dataclass(frozen=True)
class OIMove:
    strike: float
    call_change: float
    put_change: float

    @property
    def total_abs(self) -> float:
        return abs(self.call_change) + abs(self.put_change)


def expiry_kind(expiry: np.datetime64, today: np.datetime64, days: float) -> str:
    """Classify an expiration date (see the module docstring)."""
    if expiry == today:
        return "0dte"
    if days > 365:
        return "leaps"
    d = expiry.astype(object)
    first = d.replace(day=1)
    third_friday = first + timedelta(days=(4 - first.weekday()) % 7 + 14)
    if d == expiry_on_or_before(third_friday):
        return "quarterly" if d.month in (3, 6, 9, 12) else "monthly"
    return "weekly"


def gex_by_expiry(prepared: PreparedChain, contracts: ContractExposures) -> list[ExpiryGex]:
    """Net GEX, share, top strike and OI per settlement, ascending.

    One row per settlement instant, not per date: on an SPX monthly date the AM-settled SPX
    options and the PM-settled SPXW weeklies are two rows, each with its own days to expiry.
    """
    if len(prepared) == 0:
        return []
    # the settlement instant, to the minute (T is floored at ten minutes, so AM and PM stay apart)
    # (it also fixes the date, so one int64 key per row suffices)
    minutes = np.rint(prepared.t_years * SECONDS_PER_YEAR / 60.0).astype(np.int64)
    keys, first, e_idx = unique_inverse(minutes)
    dates = prepared.expiry[first]
    strikes, _, k_idx = unique_inverse(prepared.strike)
    n_e, n_k = len(keys), len(strikes)
    grid = np.bincount(e_idx * n_k + k_idx, weights=contracts.gex, minlength=n_e * n_k).reshape(n_e, n_k)
    net = grid.sum(axis=1)
    gross_by = np.bincount(e_idx, weights=np.abs(contracts.gex), minlength=n_e)
    oi = np.bincount(e_idx, weights=prepared.open_interest, minlength=n_e)
    gross = float(np.abs(net).sum())
    carry = prepared.rate - prepared.dividend_yield[first]
    t_first = prepared.t_years[first]
    forward = prepared.spot * np.exp(carry * t_first)
    from_parity = prepared.forward_implied[first]
    anchor = prepared.quality.implied_spot or prepared.spot  # S*, the term structure at T = 0
    term_carry = np.log(forward / anchor) / t_first * 100.0
    near = t_first < BASIS_YEARS
    top = np.argmax(np.abs(grid), axis=1)
    out = []
    for i in range(n_e):
        exp = dates[i]
        days = float(keys[i] * 60.0 / 86400.0)
        settles = datetime.fromtimestamp(prepared.as_of_epoch + keys[i] * 60.0, NEW_YORK)
        top_strike = float(strikes[top[i]]) if grid[i, top[i]] != 0 else None
        out.append(ExpiryGex(exp, days, expiry_kind(exp, prepared.today, days), float(net[i]),
                             float(abs(net[i]) / gross * 100.0) if gross > 0 else 0.0,
                             top_strike, float(oi[i]),
                             "AM" if settles.hour < 12 and settles.date() == exp.astype(object) else "PM",
                             float(forward[i]),
                             float(term_carry[i]) if from_parity[i] and not near[i] else None,
                             float(forward[i] - prepared.spot) if from_parity[i] and near[i]
                             else None,
                             float(gross_by[i])))
    return out


def top_oi_movers(prepared: PreparedChain, limit: int = 10) -> list[OIMove]:
    """Strikes with the largest |call OI change| + |put OI change|; empty when unknown."""
    if len(prepared.change_strike) == 0:
        return []
    strikes, call, put, _, _ = oi_change_by_strike(
        prepared.change_strike, prepared.change_is_call, prepared.change_value)
    total = np.abs(call) + np.abs(put)
    order = np.argsort(-total, kind="stable")[:limit]
    return [OIMove(float(strikes[i]), float(call[i]), float(put[i])) for i in order if total[i] > 0]
