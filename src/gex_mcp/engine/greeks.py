"""Vectorised Black-Scholes-Merton price and greeks, with continuous dividend yield.

Inputs broadcast as numpy arrays. Units: spot S and strike K in USD per share,
t_years T in years of 365 days, iv σ and rate r and dividend yield q as decimals
(0.2 = 20%). With d1 = (ln(S/K) + (r - q + σ²/2)T) / (σ√T), d2 = d1 - σ√T,
φ the standard normal density and N its distribution function:

| greek | call | put | unit |
|---|---|---|---|
| delta | e^{-qT} N(d1) | -e^{-qT} N(-d1) | shares per share of underlying |
| gamma | e^{-qT} φ(d1) / (S σ √T) | same | delta per $1 of spot |
| vanna | -e^{-qT} φ(d1) d2 / σ | same | delta per 1.00 of vol (x 0.01 per vol point) |
| charm | qe^{-qT}N(d1) - e^{-qT}φ(d1)·B | -qe^{-qT}N(-d1) - e^{-qT}φ(d1)·B | delta per year of time passing |

with B = (2(r - q)T - d2 σ√T) / (2T σ√T). Charm is the change of delta as time passes
(-∂Δ/∂T), per year; divide by 365 for per calendar day. Reference: Hull, *Options,
Futures and Other Derivatives*, ch. 19; Haug, *The Complete Guide to Option Pricing
Formulas*, 2nd ed., §2.1.

>>> round(float(gamma(49.0, 50.0, 0.3846, 0.2, 0.05, 0.0)), 3)  # Hull, gamma example (S=49, K=50)
0.066
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gex_mcp.engine.normal import ndtr

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)

#: The band implied vols are solved in (decimal per year), 3% to 1000%: the README's band of
#: plausible IVs (no US equity or index option trades below 3% a year). A premium below the
#: σ = IV_FLOOR price (a stale or deep in-the-money quote) has no IV in it rather than a 2% one.
IV_FLOOR = 0.03
IV_CAP = 10.0


def _pdf(x: np.ndarray) -> np.ndarray:
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def _d1_d2(spot, strike, t_years, iv, rate, dividend_yield):
    sig_sqrt_t = iv * np.sqrt(t_years)
    d1 = (np.log(spot / strike) + (rate - dividend_yield + 0.5 * iv * iv) * t_years) / sig_sqrt_t
    return d1, d1 - sig_sqrt_t, sig_sqrt_t


def gamma(spot, strike, t_years, iv, rate=0.0, dividend_yield=0.0) -> np.ndarray:
    """Γ = e^{-qT} φ(d1) / (S σ √T): change in delta per $1 move in spot (calls and puts alike)."""
    d1, _, sig_sqrt_t = _d1_d2(spot, strike, t_years, iv, rate, dividend_yield)
    return np.exp(-dividend_yield * t_years) * _pdf(d1) / (spot * sig_sqrt_t)


def delta(spot, strike, t_years, iv, is_call, rate=0.0, dividend_yield=0.0) -> np.ndarray:
    """Δ = e^{-qT} N(d1) for calls, -e^{-qT} N(-d1) for puts; shares per share."""
    d1, _, _ = _d1_d2(spot, strike, t_years, iv, rate, dividend_yield)
    disc_q = np.exp(-dividend_yield * t_years)
    return np.where(is_call, disc_q * ndtr(d1), -disc_q * ndtr(-d1))


def price(spot, strike, t_years, iv, is_call, rate=0.0, dividend_yield=0.0) -> np.ndarray:
    """BSM premium per share, USD."""
    d1, d2, _ = _d1_d2(spot, strike, t_years, iv, rate, dividend_yield)
    return _price_from_d(spot, strike, t_years, d1, d2, is_call, rate, dividend_yield)


def _price_from_d(spot, strike, t_years, d1, d2, is_call, rate, dividend_yield):
    fwd_s = spot * np.exp(-dividend_yield * t_years)
    disc_k = strike * np.exp(-rate * t_years)
    sign = np.where(is_call, 1.0, -1.0)  # put: K e^{-rT} N(-d2) - S e^{-qT} N(-d1)
    return sign * (fwd_s * ndtr(sign * d1) - disc_k * ndtr(sign * d2))


@dataclass(frozen=True)
class Greeks:
    """Per-contract greeks, per share (see the module table for units)."""

    delta: np.ndarray
    gamma: np.ndarray
    vanna: np.ndarray
    charm: np.ndarray


def all_greeks(spot, strike, t_years, iv, is_call, rate=0.0, dividend_yield=0.0) -> Greeks:
    """Delta, gamma, vanna and charm in one pass, sharing d1, d2, φ(d1) and N(d1)."""
    d1, d2, sig_sqrt_t = _d1_d2(spot, strike, t_years, iv, rate, dividend_yield)
    disc_q = np.exp(-dividend_yield * t_years)
    pdf_d1 = _pdf(d1)
    n_d1 = ndtr(d1)
    n_minus_d1 = 1.0 - n_d1
    delta_ = np.where(is_call, disc_q * n_d1, -disc_q * n_minus_d1)
    gamma_ = disc_q * pdf_d1 / (spot * sig_sqrt_t)
    vanna_ = -disc_q * pdf_d1 * d2 / iv
    b = (2.0 * (rate - dividend_yield) * t_years - d2 * sig_sqrt_t) / (2.0 * t_years * sig_sqrt_t)
    carry = np.where(is_call, dividend_yield * disc_q * n_d1, -dividend_yield * disc_q * n_minus_d1)
    charm_ = carry - disc_q * pdf_d1 * b
    return Greeks(delta=delta_, gamma=gamma_, vanna=vanna_, charm=charm_)


def implied_vol(premium, spot, strike, t_years, is_call, rate=0.0, dividend_yield=0.0,
                *, tolerance: float = 1e-10, max_iterations: int = 60) -> np.ndarray:
    """IV that reprices `premium` (USD per share), by safeguarded Newton on [IV_FLOOR, IV_CAP].

    Stops when the next step would move σ by less than `tolerance` (absolute).

    Price is increasing in σ, so a bracket [lo, hi] is kept and narrowed each step; a
    Newton step (σ -= (P(σ) - premium) / vega) that leaves the bracket, or has no vega,
    is replaced by bisection. Rows whose premium lies outside the no-arbitrage band
    (at or below the σ=IV_FLOOR price, or at or above the σ=IV_CAP price) get NaN.
    """
    premium, spot, strike, t_years, is_call, rate, dividend_yield = np.broadcast_arrays(
        np.asarray(premium, float), np.asarray(spot, float), np.asarray(strike, float),
        np.asarray(t_years, float), np.asarray(is_call, bool), np.asarray(rate, float),
        np.asarray(dividend_yield, float))
    p_lo = price(spot, strike, t_years, IV_FLOOR, is_call, rate, dividend_yield)
    p_hi = price(spot, strike, t_years, IV_CAP, is_call, rate, dividend_yield)
    solvable = (premium > p_lo) & (premium < p_hi) & np.isfinite(premium)
    sigma = np.full(premium.shape, np.nan)
    # Newton runs on the rows still moving: a row, once converged, keeps its σ (its next
    # step would repeat this one), so dropping it from the working set changes no result.
    rows = np.flatnonzero(solvable.reshape(-1))
    prem, s, x, t, call, r, q = (a.reshape(-1)[rows] for a in (
        premium, spot, strike, t_years, is_call, rate, dividend_yield))
    sig = np.full(len(rows), 0.3)
    lo, hi = np.full(len(rows), IV_FLOOR), np.full(len(rows), IV_CAP)
    disc_q, sqrt_t = np.exp(-q * t), np.sqrt(t)
    price_floor = 1e-13 * s  # below this, price differences are float noise
    flat = sigma.reshape(-1)
    for _ in range(max_iterations):
        if not len(rows):
            return sigma
        d1, d2, _ = _d1_d2(s, x, t, sig, r, q)
        diff = _price_from_d(s, x, t, d1, d2, call, r, q) - prem
        vega = s * disc_q * _pdf(d1) * sqrt_t
        # converged when the next Newton step would move σ by less than `tolerance`, or the
        # price already matches to float precision
        done = (np.abs(diff) <= np.maximum(tolerance * vega, price_floor)) | (hi - lo <= tolerance)
        flat[rows[done]] = sig[done]
        moving = ~done
        if not moving.any():
            return sigma
        rows, prem, s, x, t, call, r, q, sig, lo, hi, disc_q, sqrt_t, price_floor, diff, vega = (
            a[moving] for a in (rows, prem, s, x, t, call, r, q, sig, lo, hi, disc_q, sqrt_t,
                                price_floor, diff, vega))
        above = diff > 0
        hi = np.where(above, sig, hi)
        lo = np.where(above, lo, sig)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = sig - diff / vega
        inside = np.isfinite(newton) & (newton > lo) & (newton < hi)
        sig = np.where(inside, newton, 0.5 * (lo + hi))
    flat[rows] = sig  # rows still moving after max_iterations keep their last σ
    return sigma
