"""Settlement instants and time to expiry.

Options settle at 16:00 America/New_York on their expiration date, except AM-settled
roots (SPX, NDX, RUT, VIX monthlies and their kin), whose value is fixed at the
09:30 open. Time to expiry is in years of 365 calendar days, floored at
`MIN_T_YEARS` so that same-day options near the bell keep finite greeks.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np

NEW_YORK = ZoneInfo("America/New_York")
PM_SETTLEMENT = time(16, 0)
AM_SETTLEMENT = time(9, 30)
AM_SETTLED_ROOTS = frozenset({"SPX", "NDX", "RUT", "VIX", "DJX", "XEO", "MXEA", "MXEF"})
SECONDS_PER_YEAR = 365.0 * 86400.0
MIN_T_YEARS = 10.0 * 60.0 / SECONDS_PER_YEAR  # ten minutes


def settlement_times(expiry: np.ndarray, root: np.ndarray) -> np.ndarray:
    """Unix seconds of each row's settlement instant (handles DST via zoneinfo).

    Args:
        expiry: datetime64[D] expiration dates.
        root: OCC roots; those in AM_SETTLED_ROOTS settle at 09:30 New York time.
    """
    out = np.empty(len(expiry), dtype=np.float64)
    if len(expiry) == 0:
        return out
    am = np.isin(root, list(AM_SETTLED_ROOTS))
    keys = expiry.astype("int64") * 2 + am.astype("int64")
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    values = np.empty(len(unique_keys), dtype=np.float64)
    for i, key in enumerate(unique_keys):
        day = np.datetime64(int(key) // 2, "D").astype(object)
        clock = AM_SETTLEMENT if key % 2 else PM_SETTLEMENT
        values[i] = datetime.combine(day, clock, tzinfo=NEW_YORK).timestamp()
    out[:] = values[inverse]
    return out


def years_to_expiry(settle_time: np.ndarray, as_of: datetime) -> np.ndarray:
    """Years of 365 days from `as_of` to each settlement; negative when already settled."""
    return (settle_time - as_of.timestamp()) / SECONDS_PER_YEAR
