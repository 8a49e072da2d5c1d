"""Gamma flip: the spot at which total dealer gamma exposure crosses zero.

The whole chain is re-priced at hypothetical spots x with each option's IV and time
held fixed (sticky strike):

    G(x) = Σ s · Γ(x; K, T, σ) · OI · m · x² · 0.01
         = 0.01 · x · Σ w · φ(a · ln x + c),
    with w = s · OI · m · e^{-qT} / (σ√T), a = 1/(σ√T), c = (-ln K + (r - q + σ²/2)T)/(σ√T).

G does not depend on the current spot, so the set of crossings is a property of the
chain alone and moving spot only changes which crossing is nearest: the reported flip
moves smoothly. Crossings are bracketed on a lattice fixed in log-price (step
`LATTICE_STEP`, anchored at 0, not at spot, so a small spot move never shifts the
grid) over spot·(1 ± range), then refined with Brent's method to 1e-9 relative.
Contracts whose |d1| exceeds 9 over the whole range (φ < 3e-18) are left out of the scan.
The lattice scan runs in float32 (half the memory traffic, twice the exp throughput);
every lattice value within `_F32_DOUBT` of zero, relative to the largest, and both ends
of every bracket are re-evaluated in float64 before signs are trusted, and the roots
themselves are found in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gex_mcp.engine.prepare import PreparedChain
from gex_mcp.engine.roots import brent_root

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
LATTICE_STEP = 0.005  # in ln(price): 0.5% between scan points
DEFAULT_RANGE_PCT = 20.0
_D1_CUTOFF = 9.0
_CHUNK = 512  # columns per block: keeps the block in L2 cache
FLAT_SLOPE_RATIO = 1e-4
_F32_DOUBT = 1e-3


@dataclass(frozen=True)
class GammaFlip:
    """Result of the flip search; `price` is None unless `status == "ok"`."""

    price: float | None
    status: str  # "ok" | "no_crossing" | "ill_determined" | "no_data"
    reason: str | None
    crossings: list[float] = field(default_factory=list)
    search_range: tuple[float, float] | None = None
    sign_at_spot: int = 0  # sign of G(spot): +1, -1 or 0


class GammaProfile:
    """Total dealer GEX as a function of hypothetical spot, for one prepared chain."""

    def __init__(self, prepared: PreparedChain, lo: float, hi: float) -> None:
        sig_sqrt_t = prepared.iv * np.sqrt(prepared.t_years)
        a = 1.0 / sig_sqrt_t
        c = (-np.log(prepared.strike)
             + (prepared.rate - prepared.dividend_yield + 0.5 * prepared.iv ** 2) * prepared.t_years
             ) / sig_sqrt_t
        w = (prepared.sign * prepared.open_interest * prepared.multiplier
             * np.exp(-prepared.dividend_yield * prepared.t_years) / sig_sqrt_t)
        if prepared.intrinsic is not None:  # deep in the money, no IV: no gamma anywhere
            w = np.where(prepared.intrinsic, 0.0, w)
        live = (a * np.log(lo) + c < _D1_CUTOFF) & (a * np.log(hi) + c > -_D1_CUTOFF) & (w != 0)
        self.a, self.c, self.w = a[live], c[live], w[live] * _INV_SQRT_2PI
        self._scale = float(np.max(np.abs(self.w))) if live.any() else 1.0
        self._a32, self._c32 = self.a.astype(np.float32), self.c.astype(np.float32)
        self._w32 = (self.w / self._scale).astype(np.float32)
        self.contracts_scanned = int(np.count_nonzero(live))

    def scan(self, x: np.ndarray) -> np.ndarray:
        """G on many prices at float32 precision (about 1e-6 of the largest term)."""
        x = np.asarray(x, dtype=np.float64)
        lnx = np.log(x).astype(np.float32)[:, None]
        total = np.zeros(len(x))
        for start in range(0, len(self.a), _CHUNK):
            stop = start + _CHUNK
            block = lnx * self._a32[start:stop] + self._c32[start:stop]  # d1
            block *= block
            block *= np.float32(-0.5)
            np.exp(block, out=block)
            total += np.einsum("ij,j->i", block, self._w32[start:stop])
        return 0.01 * x * total * self._scale

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        """G at each price in `x` (USD per 1% move)."""
        x = np.atleast_1d(np.asarray(x, dtype=np.float64))
        lnx = np.log(x)[:, None]
        if len(x) <= 4:  # single points (root refinement): one pass, no blocking
            d1 = lnx * self.a + self.c
            return 0.01 * x * np.einsum("ij,j->i", np.exp(-0.5 * d1 * d1), self.w)
        total = np.zeros(len(x))
        for start in range(0, len(self.a), _CHUNK):
            stop = start + _CHUNK
            block = lnx * self.a[start:stop] + self.c[start:stop]  # d1
            block *= block
            block *= -0.5
            np.exp(block, out=block)
            # einsum, not @: BLAS gemv is slower here for these thin blocks
            total += np.einsum("ij,j->i", block, self.w[start:stop])
        return 0.01 * x * total


def find_gamma_flip(prepared: PreparedChain, *, range_pct: float = DEFAULT_RANGE_PCT) -> GammaFlip:
    """Find every zero crossing of G within spot·(1 ± range_pct/100); report the nearest.

    Returns status "ok" with the root nearest spot; "no_crossing" when G keeps one sign
    over the range (reason says which); "ill_determined" when G is so flat at the nearest
    root that its position is not meaningful; "no_data" when no contract has gamma.
    """
    spot = prepared.spot
    lo, hi = spot * (1.0 - range_pct / 100.0), spot * (1.0 + range_pct / 100.0)
    if len(prepared) == 0:
        return GammaFlip(None, "no_data", "no contracts with open interest and IV to price",
                         search_range=(lo, hi))
    profile = GammaProfile(prepared, lo, hi)
    k_lo, k_hi = int(np.ceil(np.log(lo) / LATTICE_STEP)), int(np.floor(np.log(hi) / LATTICE_STEP))
    grid = np.exp(np.arange(k_lo, k_hi + 1) * LATTICE_STEP)
    grid = np.unique(np.concatenate(([lo], grid, [hi])))
    values = profile.scan(grid)
    doubt = np.abs(values) <= _F32_DOUBT * np.max(np.abs(values))
    signs = np.sign(values)
    suspect = doubt.copy()
    suspect[:-1] |= signs[:-1] * signs[1:] < 0  # bracket ends
    suspect[1:] |= signs[:-1] * signs[1:] < 0
    if suspect.any():
        values[suspect] = profile(grid[suspect])
    at_spot = float(profile(spot)[0])
    sign_at_spot = int(np.sign(at_spot))
    scale = float(np.max(np.abs(values)))
    if scale == 0.0 or not np.isfinite(scale):
        return GammaFlip(None, "no_data", "total dealer gamma is zero over the searched range",
                         search_range=(lo, hi), sign_at_spot=sign_at_spot)

    signs = np.sign(values)
    brackets = np.flatnonzero(signs[:-1] * signs[1:] < 0)
    exact = grid[signs == 0]
    roots = []
    for i in brackets:
        try:
            roots.append(brent_root(lambda s: float(profile(s)[0]), float(grid[i]),
                                    float(grid[i + 1]), xtol=spot * 1e-9, rtol=1e-12))
        except ValueError:  # a sign change of rounding noise (G ~ 0, e.g. calls and puts
            continue        # offsetting exactly) that a single-point evaluation does not repeat
    crossings = sorted(set(roots) | {float(v) for v in exact})
    if not crossings:
        side = "positive" if signs[0] > 0 else "negative"
        return GammaFlip(None, "no_crossing",
                         f"total dealer gamma stays {side} from {lo:.2f} to {hi:.2f}",
                         search_range=(lo, hi), sign_at_spot=sign_at_spot)
    nearest = min(crossings, key=lambda r: abs(r - spot))
    h = spot * 1e-3
    slope = abs(float(profile(nearest + h)[0] - profile(nearest - h)[0])) / (2 * h)
    if slope * spot * 0.01 < FLAT_SLOPE_RATIO * scale:
        return GammaFlip(None, "ill_determined",
                         f"total gamma is nearly flat at the crossing near {nearest:.2f}; "
                         "its position is not meaningful",
                         crossings=crossings, search_range=(lo, hi), sign_at_spot=sign_at_spot)
    return GammaFlip(nearest, "ok", None, crossings=crossings, search_range=(lo, hi),
                     sign_at_spot=sign_at_spot)
