"""Max pain: the settlement price at which option holders collect the least.

For an expiration with calls and puts at strikes K_i, if the underlying settles at P,
holders collect

    payout(P) = Σ_calls OI · m · max(P − K, 0) + Σ_puts OI · m · max(K − P, 0)   (USD)

payout is piecewise linear and convex in P with kinks at the strikes, so its minimum lies
on a strike: max pain is the listed strike with the smallest payout (the lower one on a tie).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MaxPain:
    strike: float  # USD
    payout_usd: float  # payout at that strike
    strikes: np.ndarray  # candidate settlement prices, ascending
    payouts: np.ndarray  # payout at each candidate, USD


def max_pain(strike: np.ndarray, is_call: np.ndarray, open_interest: np.ndarray,
             multiplier: np.ndarray) -> MaxPain | None:
    """Max pain of one expiration's contracts; None without open interest.

    Cost: O(n log n) by sorting and cumulative sums, not O(n²).
    """
    oi = np.nan_to_num(np.asarray(open_interest, dtype=float)) * multiplier
    keep = oi > 0
    if not keep.any():
        return None
    k, calls, w = strike[keep], is_call[keep], oi[keep]
    grid = np.unique(k)
    # Calls: Σ_{K<P} w (P − K) = P·W_c(<P) − KW_c(<P); puts: Σ_{K>P} w (K − P).
    order = np.argsort(k)
    k, calls, w = k[order], calls[order], w[order]
    cw, ckw = np.where(calls, w, 0.0), np.where(calls, w * k, 0.0)
    pw, pkw = np.where(calls, 0.0, w), np.where(calls, 0.0, w * k)
    below = np.searchsorted(k, grid, side="left")  # contracts with K < P
    above = np.searchsorted(k, grid, side="right")  # contracts with K <= P
    c_w, c_kw = np.concatenate(([0.0], np.cumsum(cw))), np.concatenate(([0.0], np.cumsum(ckw)))
    p_w, p_kw = np.concatenate(([0.0], np.cumsum(pw))), np.concatenate(([0.0], np.cumsum(pkw)))
    call_pay = grid * c_w[below] - c_kw[below]
    put_pay = (p_kw[-1] - p_kw[above]) - grid * (p_w[-1] - p_w[above])
    payouts = call_pay + put_pay
    best = int(np.argmin(payouts))
    return MaxPain(float(grid[best]), float(payouts[best]), grid, payouts)
