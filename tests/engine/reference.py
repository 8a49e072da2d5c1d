"""Slow scalar reference for the engine, written with `math` only, for cross-checks.

Independent of gex_mcp.engine: its own d1/d2, its own normal CDF (math.erf), its own
loops (numpy only selects rows and fits a line in `parity_spot`). Formulas follow Hull / Haug
as stated in gex_mcp.engine.greeks.
"""

from __future__ import annotations

import math

import numpy


def norm_pdf(x: float) -> float:
    return math.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi)


def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def greeks(S: float, K: float, T: float, sigma: float, r: float, q: float, call: bool) -> dict:
    """sigma = 0 gives the zero-vol limit: the option is worth its discounted forward
    intrinsic value, so delta is ±e^{-qT} in the money (0 out of it), gamma and vanna 0, and
    charm = -d(delta)/dT = ±q e^{-qT}."""
    if sigma == 0.0:
        eq = math.exp(-q * T)
        forward = S * math.exp((r - q) * T)
        itm = forward > K if call else forward < K
        side = 1.0 if call else -1.0
        intrinsic = max(side * (forward - K), 0.0) * math.exp(-r * T)
        return {"price": intrinsic, "delta": side * eq if itm else 0.0, "gamma": 0.0, "vanna": 0.0,
                "charm": side * q * eq if itm else 0.0}
    d1 = (math.log(S / K) + (r - q + sigma * sigma / 2.0) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    eq = math.exp(-q * T)
    pdf = norm_pdf(d1)
    if call:
        delta = eq * norm_cdf(d1)
        price = S * eq * norm_cdf(d1) - K * math.exp(-r * T) * norm_cdf(d2)
    else:
        delta = -eq * norm_cdf(-d1)
        price = K * math.exp(-r * T) * norm_cdf(-d2) - S * eq * norm_cdf(-d1)
    gamma = eq * pdf / (S * sigma * math.sqrt(T))
    vanna = -eq * pdf * d2 / sigma
    b = (2.0 * (r - q) * T - d2 * sigma * math.sqrt(T)) / (2.0 * T * sigma * math.sqrt(T))
    charm = (q * eq * norm_cdf(d1) if call else -q * eq * norm_cdf(-d1)) - eq * pdf * b
    return {"price": price, "delta": delta, "gamma": gamma, "vanna": vanna, "charm": charm}


def exposures_by_strike(rows, S: float, r: float, q: float, sign_model: str = "long_calls_short_puts"):
    """rows: iterable of (strike, T, sigma, call, oi, multiplier); q one yield for all rows or
    a sequence with one per row (the engine's per-expiry implied yields). Returns {strike: dict}."""
    out: dict[float, dict[str, float]] = {}
    rows = list(rows)
    yields = [float(x) for x in q] if hasattr(q, "__len__") else [q] * len(rows)
    for (K, T, sigma, call, oi, m), q_row in zip(rows, yields, strict=True):
        g = greeks(S, K, T, sigma, r, q_row, call)
        s = (1.0 if call else -1.0) if sign_model == "long_calls_short_puts" else -1.0
        acc = out.setdefault(K, {"gex": 0.0, "dex": 0.0, "vex": 0.0, "chex": 0.0})
        acc["gex"] += s * g["gamma"] * oi * m * S * S * 0.01
        acc["dex"] += s * g["delta"] * oi * m * S
        acc["vex"] += s * g["vanna"] * oi * m * S * 0.01
        acc["chex"] += s * g["charm"] * oi * m * S / 365.0
    return out


def parity_forward(chain, r: float, settle: float) -> float:
    """F = K + e^{rT}(C - P) of one settlement (Unix seconds), at the strike with the smallest
    |C - P| among those quoted on both sides (bid > 0, ask >= bid)."""
    t = (settle - chain.as_of.timestamp()) / (365.0 * 86400.0)
    at = (chain.bid > 0) & (chain.ask >= chain.bid) & (chain.settle_time == settle)
    mid = (chain.bid + chain.ask) / 2
    calls = {k: m for k, m, c in zip(chain.strike[at], mid[at], chain.is_call[at]) if c}
    puts = {k: m for k, m, c in zip(chain.strike[at], mid[at], chain.is_call[at]) if not c}
    k = min(set(calls) & set(puts), key=lambda s: abs(calls[s] - puts[s]))
    return k + math.exp(r * t) * (calls[k] - puts[k])


def parity_spot(chain, r: float, expirations: int = 5, min_days: float = 1.0) -> float:
    """The spot the nearest `expirations` (more than `min_days` out) imply: per expiration
    F = K + e^{rT}(C - P) at the strike with the smallest |C - P|, then ln F = a + bT fitted
    by least squares and extrapolated to T = 0 (the spot is the forward to now)."""
    t = (chain.settle_time - chain.as_of.timestamp()) / (365.0 * 86400.0)
    quoted = (chain.bid > 0) & (chain.ask >= chain.bid) & (t > min_days / 365)  # NaN is False
    mid = (chain.bid + chain.ask) / 2
    times, logs = [], []
    for settle in numpy.unique(chain.settle_time[quoted])[:expirations]:
        at = quoted & (chain.settle_time == settle)
        calls = {k: m for k, m, c in zip(chain.strike[at], mid[at], chain.is_call[at]) if c}
        puts = {k: m for k, m, c in zip(chain.strike[at], mid[at], chain.is_call[at]) if not c}
        k = min(set(calls) & set(puts), key=lambda s: abs(calls[s] - puts[s]))
        tt = (settle - chain.as_of.timestamp()) / (365.0 * 86400.0)
        times.append(tt)
        logs.append(math.log(k + math.exp(r * tt) * (calls[k] - puts[k])))
    slope, intercept = numpy.polyfit(times, logs, 1)
    return math.exp(intercept)
