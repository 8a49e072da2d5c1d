"""What the charts share: the palette (the guide's example colours plus light tints for the
call/put components), short axis amounts and matplotlib-safe text."""

from __future__ import annotations

import math

GREEN = "#16a34a"
RED = "#dc2626"
CALL_TINT = "#bbf7d0"
PUT_TINT = "#fecaca"
SPOT_BLUE = "#2563eb"
FLIP_AMBER = "#f59e0b"
CALL_WALL = "#7c3aed"
PUT_WALL = "#0f766e"
GREY = "#4b5563"


def human(value: float) -> str:
    """1.2B / 350M / -40M / 12K / 0: short USD amounts for axis ticks; 2e18 beyond T.

    >>> human(1.2e9), human(-4e7), human(0.0), human(2e18)
    ('1.2B', '-40M', '0', '2e18')
    """
    mag = abs(value)
    if not math.isfinite(mag):
        return str(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if mag >= scale:
            scaled = value / scale
            if abs(scaled) >= 1000:  # past 999T a suffix stops being short: 2e18
                exponent = math.floor(math.log10(mag))
                return f"{value / 10**exponent:.3g}e{exponent}"
            return f"{scaled:.3g}{suffix}"
    return f"{value:.3g}" if value else "0"


def escape(text: str) -> str:
    """Text drawn by matplotlib as is: a "$" would start mathtext."""
    return text.replace("$", r"\$")


__all__ = ["CALL_TINT", "CALL_WALL", "FLIP_AMBER", "GREEN", "GREY", "PUT_TINT", "PUT_WALL", "RED",
           "SPOT_BLUE", "escape", "human"]
