"""The standard normal distribution function N(x), vectorised in numpy to double precision.

Replaces `scipy.special.ndtr` (importing scipy.special cost ~0.2 s per process, more than the
rest of a CLI command). Relative error below 2e-13 from x = -37.5 up (about 1e-14 near the
money), the same as scipy's; N(x) = 1 - N(-x) above 0.

- x in [-8, 0]: Taylor series about the nearest point x0 of a grid of step 1/256, whose
  values come from `math.erfc` (N(x0) = erfc(-x0/√2)/2):
  N(x0 + h) = N(x0) + φ(x0) Σ_{n≥1} (-1)^{n-1} He_{n-1}(x0) hⁿ / n!, with He the
  probabilists' Hermite polynomials (He_{n+1} = x He_n - n He_{n-1}) and |h| ≤ 1/512;
  five terms reach double precision.
- x < -8: Laplace's continued fraction for the Mills ratio,
  N(x) = φ(x) / (z + 1/(z + 2/(z + 3/(z + ...)))), z = -x; twenty levels suffice there.

Reference: Abramowitz & Stegun, *Handbook of Mathematical Functions*, 26.2.11 (the Hermite
series of the derivatives) and 26.2.14 (the continued fraction).
"""

from __future__ import annotations

import math

import numpy as np

_STEP = 1.0 / 256.0
_LOW = -8.0  # below: the continued fraction
_TERMS = 5
_LEVELS = 20
_FLOOR = -40.0  # N(-40) underflows to 0; also keeps z*z finite
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _taylor_table() -> list[np.ndarray]:
    """Entry n: the coefficient of hⁿ about each grid point (entry 0 is N(x0) itself)."""
    grid = np.arange(round(_LOW / _STEP), 1) * _STEP
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * grid * grid)
    table = [np.array([0.5 * math.erfc(-g / math.sqrt(2.0)) for g in grid])]
    he_prev, he = np.zeros_like(grid), np.ones_like(grid)  # He_{-1}, He_0
    factorial = 1.0
    for n in range(1, _TERMS + 1):
        factorial *= n
        table.append((-1.0) ** (n - 1) * he * pdf / factorial)
        he_prev, he = he, grid * he - (n - 1) * he_prev
    return table


_TABLE = _taylor_table()


def _near(x: np.ndarray) -> np.ndarray:
    """N(x) for x in [-8 - 1/512, 0]."""
    u = (x - _LOW) * (1.0 / _STEP)
    i = np.rint(u)
    h = (u - i) * _STEP
    i = i.astype(np.intp)
    acc = _TABLE[_TERMS].take(i)
    for n in range(_TERMS - 1, -1, -1):  # Horner in h
        acc *= h
        acc += _TABLE[n].take(i)
    return acc


def _tail(x: np.ndarray) -> np.ndarray:
    """N(x) for x < -8 (0 from -40 down)."""
    z = -x
    f = z
    for k in range(_LEVELS, 0, -1):
        f = z + k / f
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z) / f


def ndtr(x: np.ndarray | float) -> np.ndarray:
    """N(x) = P(Z ≤ x) for a standard normal Z, elementwise; NaN stays NaN.

    >>> [round(float(v), 12) for v in ndtr(np.array([-1.96, 0.0, 1.0]))]
    [0.024997895148, 0.5, 0.841344746069]
    """
    shape = np.shape(x)
    x = np.asarray(x, dtype=float).reshape(-1)
    low = np.fmax(-np.abs(x), _FLOOR)  # N(x) for x > 0 is 1 - N(-x); NaN becomes -40 here
    if low.size and low.min() < _LOW - 0.5 * _STEP:
        far = low < _LOW - 0.5 * _STEP
        out = np.empty_like(low)
        out[far] = _tail(low[far])
        out[~far] = _near(low[~far])
    else:
        out = _near(low)
    np.subtract(1.0, out, out=out, where=x > 0)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = np.nan
    return out.reshape(shape)
