"""Theta, vega and rho of single contracts (for option quotes), Black-Scholes-Merton.

With d1, d2, φ, N as in `engine.greeks`, S spot, K strike, T years, σ IV, r rate, q yield:

| greek | call | put | unit here |
|---|---|---|---|
| theta | -Se^{-qT}φ(d1)σ/(2√T) - rKe^{-rT}N(d2) + qSe^{-qT}N(d1) | -Se^{-qT}φ(d1)σ/(2√T) + rKe^{-rT}N(-d2) - qSe^{-qT}N(-d1) | USD per share per calendar day (/365) |
| vega | Se^{-qT}φ(d1)√T | same | USD per share per vol point (/100) |
| rho | KTe^{-rT}N(d2) | -KTe^{-rT}N(-d2) | USD per share per rate point (/100) |

Reference: Hull, *Options, Futures and Other Derivatives*, ch. 19.
"""

from __future__ import annotations

import numpy as np

from gex_mcp.engine.normal import ndtr

DAYS_PER_YEAR = 365.0


def theta_vega_rho(spot, strike, t_years, iv, is_call, rate=0.0, dividend_yield=0.0
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(theta per day, vega per vol point, rho per rate point), USD per share."""
    sig_sqrt_t = iv * np.sqrt(t_years)
    d1 = (np.log(spot / strike) + (rate - dividend_yield + 0.5 * iv * iv) * t_years) / sig_sqrt_t
    d2 = d1 - sig_sqrt_t
    pdf_d1 = np.exp(-0.5 * d1 * d1) / np.sqrt(2.0 * np.pi)
    disc_q, disc_r = np.exp(-dividend_yield * t_years), np.exp(-rate * t_years)
    decay = -spot * disc_q * pdf_d1 * iv / (2.0 * np.sqrt(t_years))
    theta = np.where(is_call,
                     decay - rate * strike * disc_r * ndtr(d2) + dividend_yield * spot * disc_q * ndtr(d1),
                     decay + rate * strike * disc_r * ndtr(-d2) - dividend_yield * spot * disc_q * ndtr(-d1))
    vega = spot * disc_q * pdf_d1 * np.sqrt(t_years)
    rho = np.where(is_call, strike * t_years * disc_r * ndtr(d2), -strike * t_years * disc_r * ndtr(-d2))
    return theta / DAYS_PER_YEAR, vega / 100.0, rho / 100.0
