"""Brent's method for one real root in a sign-changing bracket (no scipy import needed).

Combines bisection (always safe), the secant step and inverse quadratic interpolation
(fast near the root), taking the fast step only when it stays inside the bracket and
shrinks it quickly enough. Reference: R. P. Brent, *Algorithms for Minimization without
Derivatives* (1973), ch. 4; the same algorithm as `scipy.optimize.brentq`.
"""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_MAX_ITERATIONS = 100
_EPS = 2.220446049250313e-16


def brent_root(f: Callable[[float], float], a: float, b: float, *, xtol: float = 1e-12,
               rtol: float = 4 * _EPS, max_iterations: int = DEFAULT_MAX_ITERATIONS) -> float:
    """A root of `f` in [a, b], to within xtol + rtol·|root|.

    >>> round(brent_root(lambda x: x * x - 2.0, 0.0, 2.0), 12)
    1.414213562373

    Raises:
        ValueError: f(a) and f(b) have the same sign (no bracket).
    """
    fa, fb = f(a), f(b)
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    if (fa > 0) == (fb > 0):
        raise ValueError("f(a) and f(b) must have opposite signs")
    c, fc = a, fa
    d = e = b - a
    for _ in range(max_iterations):
        if (fb > 0) == (fc > 0):  # keep the root between b and c
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):  # b is the best estimate so far
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2.0 * rtol * abs(b) + 0.5 * xtol
        m = 0.5 * (c - b)
        if abs(m) <= tol or fb == 0.0:
            return b
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:  # secant
                p, q = 2.0 * m * s, 1.0 - s
            else:  # inverse quadratic interpolation
                q, r = fa / fc, fb / fc
                p = s * (2.0 * m * q * (q - r) - (b - a) * (r - 1.0))
                q = (q - 1.0) * (r - 1.0) * (s - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if 2.0 * p < min(3.0 * m * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q  # accept the interpolation
            else:
                d = e = m  # bisect
        else:
            d = e = m
        a, fa = b, fb
        b += d if abs(d) > tol else (tol if m > 0 else -tol)
        fb = f(b)
    return b
