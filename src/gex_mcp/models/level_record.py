"""`LevelRecord`: the compact trace one analysed snapshot leaves, per symbol and time.

Everything the history and accuracy answers need, and nothing that needs the chain again:

    spot, gamma flip (+ status), call and put walls, max ± gamma strikes, highest-OI strike,
    0DTE magnet (USD); net GEX (USD per 1% move), DEX (USD of delta), VEX (USD of delta per
    vol point), CHEX (USD of delta per day); regime and its reason; the 0DTE share of gross
    |GEX| in percent; per-strike net GEX (strikes ascending, USD per 1% move) of the strikes
    within ±PER_STRIKE_WINDOW_PCT of spot (the wings carry almost no gamma).

`level_record(analysis)` builds one from an engine analysis; the store keeps it (`store/levels.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

import numpy as np

from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.calendar import session_of

PER_STRIKE_WINDOW_PCT = 25.0

#: The scalar fields, in the order the store's JSON and the answers list them.
SCALARS = ("spot", "gamma_flip", "gamma_flip_status", "gamma_flip_reason", "call_wall", "put_wall",
           "max_positive_gamma", "max_negative_gamma", "highest_oi_strike", "zero_dte_magnet",
           "net_gex", "net_dex", "net_vex", "net_chex", "regime", "regime_reason",
           "zero_dte_share_pct")


@dataclass(frozen=True, eq=False)
class LevelRecord:
    """One snapshot's levels (USD), totals and per-strike net GEX; see the module docstring."""

    as_of: datetime
    spot: float
    gamma_flip: float | None
    gamma_flip_status: str
    gamma_flip_reason: str | None
    call_wall: float | None
    put_wall: float | None
    max_positive_gamma: float | None
    max_negative_gamma: float | None
    highest_oi_strike: float | None
    zero_dte_magnet: float | None
    net_gex: float
    net_dex: float
    net_vex: float
    net_chex: float
    regime: str
    regime_reason: str
    zero_dte_share_pct: float | None
    strikes: np.ndarray = field(default_factory=lambda: np.empty(0))
    net_gex_by_strike: np.ndarray = field(default_factory=lambda: np.empty(0))

    @cached_property
    def session(self) -> date:
        """The trading session the snapshot shows (`engine.calendar.session_of`): a Sunday
        snapshot belongs to Friday's session."""
        return session_of(self.as_of)

    @cached_property
    def epoch(self) -> float:
        """as_of in Unix seconds."""
        return self.as_of.timestamp()

    def scalars(self) -> dict[str, Any]:
        """The scalar fields as a JSON-able dict (without as_of and the per-strike arrays)."""
        return {name: getattr(self, name) for name in SCALARS}

    @classmethod
    def from_scalars(cls, as_of: datetime, values: dict[str, Any],
                     strikes: np.ndarray | None = None,
                     net_gex_by_strike: np.ndarray | None = None) -> LevelRecord:
        # a record written by an older version may lack a field; unknown keys are ignored
        kept = {name: values.get(name) for name in SCALARS}
        return cls(as_of=as_of, **kept,
                   strikes=np.empty(0) if strikes is None else strikes,
                   net_gex_by_strike=np.empty(0) if net_gex_by_strike is None else net_gex_by_strike)


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def level_record(a: ChainAnalysis) -> LevelRecord:
    """The record of one all-expiry analysis.

    zero_dte_share_pct = Σ|GEX| of options expiring on the snapshot's New York date /
    Σ|GEX| of all options x 100; None when none expire that day.
    """
    totals = a.totals
    gross = np.abs(a.contracts.gex)
    today = a.prepared.expiry == a.prepared.today
    total_gross = float(gross.sum())
    share = (float(gross[today].sum() / total_gross * 100.0)
             if today.any() and total_gross > 0 else None)
    s = a.strikes
    spot = float(a.prepared.spot)
    near = np.abs(s.strike / spot - 1.0) * 100.0 <= PER_STRIKE_WINDOW_PCT
    return LevelRecord(
        as_of=a.chain.as_of, spot=float(a.prepared.spot),
        gamma_flip=_finite(a.flip.price), gamma_flip_status=a.flip.status,
        gamma_flip_reason=a.flip.reason,
        call_wall=_finite(a.levels.call_wall), put_wall=_finite(a.levels.put_wall),
        max_positive_gamma=_finite(a.levels.max_positive_gamma),
        max_negative_gamma=_finite(a.levels.max_negative_gamma),
        highest_oi_strike=_finite(a.levels.highest_oi_strike),
        zero_dte_magnet=_finite(a.levels.zero_dte_magnet),
        net_gex=totals["net_gex"], net_dex=totals["net_dex"], net_vex=totals["net_vex"],
        net_chex=totals["net_chex"], regime=a.regime.regime, regime_reason=a.regime.reason,
        zero_dte_share_pct=share, strikes=np.asarray(s.strike[near], dtype=np.float64),
        net_gex_by_strike=np.asarray((s.call_gex + s.put_gex)[near], dtype=np.float64))


__all__ = ["SCALARS", "LevelRecord", "level_record"]
