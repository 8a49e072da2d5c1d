"""Key strike levels from per-strike exposures.

- call wall: strike of the largest |call GEX| (largest call GEX under the default model)
- put wall: strike of the largest |put GEX| (most negative put GEX under the default model)
- max positive / negative gamma: strikes of the largest / most negative net GEX
  (None when no strike is positive / negative)
- highest OI strike: largest call + put open interest
- 0DTE magnet: strike of the largest |net GEX| among contracts expiring on as_of's
  New York date (None when nothing expires today)

Walls, max ± gamma and the highest OI strike look within one window: strikes K with
|K − S| <= S · LEVEL_WINDOW_PCT / 100 (the flip's search range), so a deep in-the-money
strike holding old OI (META's $5 with spot at 750) is never reported as a level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gex_mcp.engine.exposure import ContractExposures, StrikeExposures
from gex_mcp.engine.prepare import PreparedChain

LEVEL_WINDOW_PCT = 20.0  # percent of spot either side: the walls' and highest OI's window


@dataclass(frozen=True)
class Levels:
    call_wall: float | None
    put_wall: float | None
    max_positive_gamma: float | None
    max_negative_gamma: float | None
    highest_oi_strike: float | None
    zero_dte_magnet: float | None


def _strike_of_max(strikes: np.ndarray, values: np.ndarray, *, require=None) -> float | None:
    if len(values) == 0:
        return None
    i = int(np.argmax(values))
    if values[i] <= 0 or (require is not None and not require(values[i])):
        return None
    return float(strikes[i])


def find_levels(prepared: PreparedChain, contracts: ContractExposures,
                by_strike: StrikeExposures) -> Levels:
    """Compute the key levels (definitions in the module docstring)."""
    near = np.abs(by_strike.strike - prepared.spot) <= prepared.spot * LEVEL_WINDOW_PCT / 100.0
    k = by_strike.strike[near]
    net = by_strike.net_gex[near]
    today = prepared.expiry == prepared.today
    magnet = None
    if today.any():
        strikes, inverse = np.unique(prepared.strike[today], return_inverse=True)
        net_today = np.bincount(inverse, weights=contracts.gex[today], minlength=len(strikes))
        magnet = _strike_of_max(strikes, np.abs(net_today))
    return Levels(
        call_wall=_strike_of_max(k, np.abs(by_strike.call_gex[near])),
        put_wall=_strike_of_max(k, np.abs(by_strike.put_gex[near])),
        max_positive_gamma=_strike_of_max(k, net),
        max_negative_gamma=_strike_of_max(k, -net),
        highest_oi_strike=_strike_of_max(k, by_strike.call_oi[near] + by_strike.put_oi[near]),
        zero_dte_magnet=magnet,
    )
