"""Expected move to each expiration: from the at-the-money straddle and from ATM IV.

For an expiration, the ATM strike is the listed strike nearest that expiration's forward
F = S·e^{(r−q)T} (the put-call parity forward the greeks are priced off, see forwards.py; spot
when no contract of the expiration was priced) at which both the call and the put have a
two-sided quote (bid > 0, ask >= bid). Nearest spot would put intrinsic value in the straddle
when the forward sits away from spot (a dividend before expiry). Then

    straddle = call mid + put mid                  (USD per share; the market's price of the move)
    iv_move  = S · σ_ATM · √T                       (USD; one standard deviation to expiry)

σ_ATM is the mean IV of that strike's call and put (the engine's IVs: the chain's, or
re-implied from the mid), T years of 365 days from the quotes to the expiration's last
settlement. When a date settles twice (SPX AM monthlies and SPXW PM weeklies), the
later settlement's contracts are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gex_mcp.engine.calendar import SECONDS_PER_YEAR
from gex_mcp.engine.chain import OptionChain, two_sided
from gex_mcp.engine.prepare import PreparedChain


@dataclass(frozen=True)
class ExpectedMove:
    expiration: np.datetime64
    days_to_expiry: float
    atm_strike: float | None  # USD, nearest the forward
    forward: float  # USD, the expiration's forward (spot when it has no priced contract)
    straddle: float | None  # USD per share
    atm_iv: float | None  # decimal
    iv_move: float | None  # USD, one standard deviation


def expected_moves(chain: OptionChain, prepared: PreparedChain) -> list[ExpectedMove]:
    """One ExpectedMove per unsettled expiration of `chain`, ascending dates."""
    now = chain.as_of.timestamp()
    live = chain.live
    out = []
    for day in np.unique(chain.expiry[live]):
        on_day = live & (chain.expiry == day)
        last = chain.settle_time[on_day].max()
        rows = on_day & (chain.settle_time == last)
        t_years = max((last - now) / SECONDS_PER_YEAR, 1e-9)
        quoted = rows & two_sided(chain.bid, chain.ask)
        calls = set(chain.strike[quoted & chain.is_call].tolist())
        both = sorted(calls & set(chain.strike[quoted & ~chain.is_call].tolist()))
        forward = _forward(prepared, day)
        atm = min(both, key=lambda k: (abs(k - forward), k)) if both else None
        straddle = atm_iv = iv_move = None
        if atm is not None:
            at = quoted & (chain.strike == atm)
            mids = (chain.bid[at] + chain.ask[at]) / 2.0
            straddle = float(mids[chain.is_call[at]][0] + mids[~chain.is_call[at]][0])
            ivs = prepared.iv[(prepared.expiry == day) & (prepared.strike == atm)]
            if len(ivs):
                atm_iv = float(ivs.mean())
                iv_move = chain.spot * atm_iv * float(np.sqrt(t_years))
        out.append(ExpectedMove(day, t_years * SECONDS_PER_YEAR / 86400.0, atm, forward, straddle,
                                atm_iv, iv_move))
    return out


def _forward(prepared: PreparedChain, day: np.datetime64) -> float:
    """F = S·e^{(r−q)T} of the expiration's last settlement (its contracts' own q), USD."""
    on_day = np.flatnonzero(prepared.expiry == day)
    if not len(on_day):
        return prepared.spot
    i = on_day[int(np.argmax(prepared.t_years[on_day]))]
    return float(prepared.spot * np.exp((prepared.rate - prepared.dividend_yield[i]) * prepared.t_years[i]))
