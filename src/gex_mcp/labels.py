"""Human labels: dollar amounts (1_847_293_000 -> "1.85B"), counts (1,234 contracts) and market
times ("2023-09-14 16:15 ET")."""

from __future__ import annotations

import math
from datetime import datetime

from gex_mcp.engine.calendar import NEW_YORK

_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
#: Counts (contracts, shares) from here up print in scientific notation: no real chain comes
#: near it, and a corrupt one (OI of 1e300) must not print a 300-digit number.
MAX_PLAIN_COUNT = 1e15


def format_amount(value: float | None) -> str:
    """Short form with two decimals and a K/M/B/T suffix; whole units below 1,000;
    scientific notation from 999.95T up (a label stays short); "n/a" for None or non-finite.

    >>> format_amount(1_847_293_000), format_amount(-144_449_000), format_amount(512.4)
    ('1.85B', '-144.45M', '512')
    >>> format_amount(1e300)
    '1.00e+300'
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= 999.95e12:  # past 999.95T a suffix stops being short
        return f"{value:.2e}"
    for size, suffix in _UNITS:
        if magnitude >= size * 0.9995:
            return f"{sign}{magnitude / size:.2f}{suffix}"
    text = f"{sign}{magnitude:.0f}"
    return "0" if text == "-0" else text


def new_york_time(moment: datetime) -> str:
    """A time as the market reads it, New York wall clock to the minute.

    >>> from datetime import UTC
    >>> new_york_time(datetime(2023, 9, 14, 20, 15, tzinfo=UTC))
    '2023-09-14 16:15 ET'
    """
    return f"{moment.astimezone(NEW_YORK):%Y-%m-%d %H:%M} ET"


def format_count(value: float | None, *, signed: bool = False) -> str:
    """A count of contracts or shares with thousands separators ("+" first when `signed`);
    scientific notation from 1e15 up; "n/a" for None or non-finite.

    >>> format_count(1234567), format_count(-250.4, signed=True), format_count(1e300)
    ('1,234,567', '-250', '1.00e+300')
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    if abs(value) >= MAX_PLAIN_COUNT:
        return f"{value:{sign}.2e}"
    return f"{round(value):{sign},}"


__all__ = ["MAX_PLAIN_COUNT", "NEW_YORK", "format_amount", "format_count", "new_york_time"]
