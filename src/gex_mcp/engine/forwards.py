"""Each expiration's forward, implied from put-call parity, and the carry it implies.

Per settlement instant (SPX AM monthlies and SPXW PM weeklies on one date are two), over the
strikes where both the call and the put have a two-sided quote (bid > 0, ask >= bid):

    F_K = K + e^{rT} (C_mid - P_mid)           (parity: C - P = e^{-rT} (F - K))

The strike K* with the smallest |C_mid - P_mid| is the one Cboe's VIX method reads the forward
at; here F is the median of F_K over `REFINE_STRIKES` consecutive quoted strikes centred on K*
(shifted inward at the ends of the listing), so one stale quote cannot move it.
The greeks then use the yield that carries spot to that forward,

    q = r - ln(F / S) / T          so that  S e^{(r - q) T} = F,

and the rate only discounts: dividends, borrow and carry come from the market. Units: F and
strikes in USD, T in years of 365 days, r and q decimals per year.

Parity is not read (the caller falls back to the rate and dividend-yield settings) when an
expiration has fewer than `MIN_STRIKES` strikes quoted on both sides, when its F_K disagree
(median absolute deviation above `MAX_DISPERSION` of spot: quotes that are placeholders, not
prices), or when F is not finite or lies further from spot than `MAX_BASIS` + `MAX_CARRY` x T
in log terms (a stale spot or a broken quote, not carry).

A stale spot (a file's spot line from another moment than its quotes) would fail that guard
on the near expirations only, pricing them off the stale spot and the far ones off parity:
two spots in one chain. `implied_spot` reads the spot the near forwards agree on; the caller
prices from it, and flags the quoted one, when the quoted one is off by more than their spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gex_mcp.engine.chain import OptionChain, two_sided

REFINE_STRIKES = 5
IMPLIED_SPOT_HORIZON = 0.25  # years: the expirations an implied spot is fitted over ...
BASIS_YEARS = 7.0 / 365.0  # ... beyond a week (nearer ones report a basis, not a carry)
IMPLIED_SPOT_MIN = 3  # expirations needed to judge the quoted spot
STALE_SPOT_MIN = 0.005  # |ln(S/S*)| never called stale below this (the 16:00 vs 16:15 basis)
MIN_STRIKES = 3
MAX_DISPERSION = 0.005  # of spot
MAX_BASIS = 0.02  # |ln(F/S)| allowed at T = 0 (quote timing), decimal
MAX_CARRY = 0.20  # further |ln(F/S)| allowed per year to expiry

#: Why an expiration's forward was not read from parity, by code.
REASONS = {
    1: f"fewer than {MIN_STRIKES} strikes with two-sided call and put quotes",
    2: "call-put parity disagrees across near-the-money strikes",
    3: "the parity forward is too far from spot",
}
_STRIKE_UNITS = 1000.0  # strike keys in 1/1000 USD
_STRIKE_SPAN = 10**9  # so strikes below 1,000,000 USD pack with the settlement minute


@dataclass(frozen=True)
class Forwards:
    """Forwards per settlement instant, ascending; `reason` 0 where parity was read."""

    settle_time: np.ndarray  # settlement instant, Unix seconds (as in the chain's column)
    forward: np.ndarray  # USD; NaN where not read
    carry_yield: np.ndarray  # q = r - ln(F/S)/T, decimal per year; NaN where not read
    strikes_used: np.ndarray  # pairs in the median
    reason: np.ndarray  # 0 = read from parity, else a key of REASONS
    estimate: np.ndarray  # USD; the parity median before the distance-from-spot guard
    t_years: np.ndarray  # years to settlement (as given per row, floored by the caller)

    def lookup(self, settle_time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into these arrays, reason) for each settlement time (Unix seconds, exactly
        as in the chain); reason 1 for an instant with no quoted pair at all."""
        settle_time = np.asarray(settle_time)
        if len(self.settle_time) == 0:
            return np.zeros(len(settle_time), np.int64), np.ones(len(settle_time), np.int64)
        pos = np.minimum(np.searchsorted(self.settle_time, settle_time), len(self.settle_time) - 1)
        return pos, np.where(self.settle_time[pos] == settle_time, self.reason[pos], 1)


_EMPTY = Forwards(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64),
                  np.zeros(0), np.zeros(0))


def parity_forwards(chain: OptionChain, rows: np.ndarray, t_years: np.ndarray, rate: float,
                    spot: float) -> Forwards:
    """Forwards of the settlement instants among `rows` (a mask over `chain`), from their quotes.

    `t_years` is per chain row (years to settlement); `spot` the price the quotes were made at.
    Vectorised: one sort of the quoted rows, no loop over expirations.
    """
    idx = np.flatnonzero(rows)
    bid, ask = chain.bid[idx], chain.ask[idx]
    strike_key = np.rint(chain.strike[idx] * _STRIKE_UNITS)
    usable = two_sided(bid, ask) & (strike_key < _STRIKE_SPAN)
    idx, strike_key, mid = idx[usable], strike_key[usable], 0.5 * (bid[usable] + ask[usable])
    if len(idx) < 2:
        return _EMPTY
    minute = np.rint(chain.settle_time[idx] / 60.0).astype(np.int64)
    # one int64 per row: settlement minute, strike, side (put 0, call 1) in the lowest bit
    key = ((minute - minute.min()) * _STRIKE_SPAN + strike_key.astype(np.int64)) * 2
    key += chain.is_call[idx]
    order = np.argsort(key, kind="stable")  # chains come nearly sorted: timsort is fastest
    base = key[order] >> 1
    same = base[1:] == base[:-1]
    # a (put, call) pair: two rows sharing a contract key, and no third one (a repeat is ambiguous)
    pair = same.copy()
    pair[1:] &= ~same[:-1]
    pair[:-1] &= ~same[1:]
    put_at = np.flatnonzero(pair)
    put_at = put_at[(key[order[put_at + 1]] - key[order[put_at]]) == 1]  # not two of one side
    if len(put_at) == 0:
        return _EMPTY
    p_i, c_i = order[put_at], order[put_at + 1]
    diff = mid[c_i] - mid[p_i]
    # pairs are in key order: each instant's pairs are contiguous, by ascending strike
    pair_minute = minute[c_i]
    new_group = np.empty(len(pair_minute), dtype=bool)
    new_group[0] = True
    new_group[1:] = pair_minute[1:] != pair_minute[:-1]
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], len(pair_minute))
    group = np.cumsum(new_group) - 1
    closeness = np.abs(diff)
    smallest = np.minimum.reduceat(closeness, starts)
    hits = np.flatnonzero(closeness == smallest[group])
    first_hit = np.ones(len(hits), dtype=bool)
    first_hit[1:] = group[hits[1:]] != group[hits[:-1]]
    k_star = hits[first_hit]  # one per group, in group order
    # REFINE_STRIKES consecutive strikes around K*, shifted inside the group at its edges
    lo = np.clip(k_star - REFINE_STRIKES // 2, starts, np.maximum(starts, ends - REFINE_STRIKES))
    window = lo[:, None] + np.arange(REFINE_STRIKES)
    inside = window < ends[:, None]
    window = np.minimum(window, len(diff) - 1)
    row = idx[c_i[window]]
    estimate = chain.strike[row] + np.exp(rate * t_years[row]) * diff[window]  # F_K
    table = np.where(inside, estimate, np.inf)
    counts = np.count_nonzero(inside, axis=1)
    forward = _median_of_first(table, counts)
    dispersion = _median_of_first(np.abs(table - forward[:, None]), counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        basis = np.abs(np.log(forward / spot))
    reason = np.zeros(len(starts), dtype=np.int64)
    reason[~(basis <= MAX_BASIS + MAX_CARRY * t_years[row[:, 0]])] = 3  # NaN and non-positive F too
    reason[~(dispersion <= MAX_DISPERSION * spot)] = 2
    reason[counts < MIN_STRIKES] = 1
    estimate = np.where((reason == 0) | (reason == 3), forward, np.nan)
    forward = np.where(reason == 0, forward, np.nan)
    t_group = t_years[row[:, 0]]
    return Forwards(chain.settle_time[row[:, 0]], forward,
                    implied_yield(forward, spot, t_group, rate), counts, reason, estimate, t_group)


@dataclass(frozen=True)
class ImpliedSpot:
    """The spot the near forwards agree on, against the quoted one (see `implied_spot`)."""

    spot: float  # USD, S* = exp(a) of the fit ln F = a + b T
    spread: float  # largest |ln(S_k / S*)| over the expirations fitted, decimal
    expirations: int  # how many were fitted
    stale: bool  # the quoted spot is further from S* than max(spread, STALE_SPOT_MIN)


def implied_spot(forwards: Forwards, spot: float) -> ImpliedSpot | None:
    """The underlying price the parity forwards imply, and whether the quoted `spot` is stale.

    Over the settlements from a week (`BASIS_YEARS`) to `IMPLIED_SPOT_HORIZON` years out whose
    forward was read from parity (the distance-from-spot guard aside), fit ln F_k = a + b T_k
    by least squares (the term structure beyond a week):
    S* = e^a is the spot the options were quoted at, b the near-term carry, and each
    expiration's own implied spot S_k = F_k e^{-b T_k}. The quoted spot is stale when
    |ln(S / S*)| > max(spread, STALE_SPOT_MIN), spread = max_k |ln(S_k / S*)|: the forwards
    agree with each other better than with it. None with fewer than `IMPLIED_SPOT_MIN`
    expirations (a line through two points has no spread to judge by)."""
    near = (np.isfinite(forwards.estimate) & (forwards.estimate > 0)
            & (forwards.t_years >= BASIS_YEARS) & (forwards.t_years <= IMPLIED_SPOT_HORIZON))
    if np.count_nonzero(near) < IMPLIED_SPOT_MIN:
        return None
    t, log_f = forwards.t_years[near], np.log(forwards.estimate[near])
    b, a = np.polyfit(t, log_f, 1)
    spread = float(np.max(np.abs(log_f - b * t - a)))
    gap = abs(float(np.log(spot)) - a)
    return ImpliedSpot(float(np.exp(a)), spread, int(len(t)),
                       bool(gap > max(spread, STALE_SPOT_MIN)))


def _median_of_first(table: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Median of each row's finite entries, `counts` of them (the rest are +inf, sorted last)."""
    ordered = np.sort(table, axis=1)
    rows = np.arange(len(table))
    return 0.5 * (ordered[rows, (counts - 1) // 2] + ordered[rows, counts // 2])


def implied_yield(forward: np.ndarray, spot: float, t_years: np.ndarray, rate: float) -> np.ndarray:
    """q = r - ln(F/S)/T, the continuous yield with S e^{(r-q)T} = F (decimal per year)."""
    return rate - np.log(forward / spot) / t_years
