"""Settlement instants and time to expiry.

Options settle at 16:00 America/New_York on their expiration date, except AM-settled
roots (SPX, NDX, RUT, VIX monthlies and their kin), whose value is fixed at the
09:30 open. Time to expiry is in years of 365 calendar days, floored at
`MIN_T_YEARS` so that same-day options near the bell keep finite greeks.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

NEW_YORK = ZoneInfo("America/New_York")
PM_SETTLEMENT = time(16, 0)
AM_SETTLEMENT = time(9, 30)
#: OCC roots whose exercise-settlement value is fixed from opening prices (09:30 New York):
#: - SPX: Cboe's standard third-Friday S&P 500 options (their PM twins list under SPXW);
#: - NDX: Nasdaq-100 monthlies (PM twins: NDXP); RUT: Cboe Russell 2000 monthlies (PM: RUTW);
#: - VIX and VIXW: Cboe volatility options, monthly and weekly alike, settle to the Special
#:   Opening Quotation (SOQ) of VIX on the Wednesday morning of expiration;
#: - DJX, XEO, MXEA, MXEF: Cboe's Dow Jones, S&P 100 European and MSCI EAFE/EM monthlies, as
#:   first listed here; not re-checked against current product specifications.
AM_SETTLED_ROOTS = frozenset({"SPX", "NDX", "RUT", "VIX", "VIXW", "DJX", "XEO", "MXEA", "MXEF"})
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


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """n-th `weekday` (0 = Monday) of a month; n = -1 for the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    return date(year, month, (h + l - 7 * m + 114) % 31 + 1)


def _observed(day: date) -> date:
    """Saturday holidays are observed on Friday, Sunday ones on Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def nyse_holidays(year: int) -> frozenset[date]:
    """Full-day NYSE closures of `year` under the current rules (Juneteenth from 2022).

    New Year's Day falling on a Saturday is not observed on the Friday before.
    """
    days = {
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _easter(year) - timedelta(days=2),  # Good Friday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _observed(date(year, 7, 4)),
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
        _observed(date(year, 12, 25)),
    }
    if date(year, 1, 1).weekday() != 5:
        days.add(_observed(date(year, 1, 1)))
    if year >= 2022:
        days.add(_observed(date(year, 6, 19)))
    return frozenset(days)


def is_trading_day(day: date) -> bool:
    """Weekday and not an NYSE holiday."""
    return day.weekday() < 5 and day not in nyse_holidays(day.year)


def next_trading_day(day: date) -> date:
    """The first trading day strictly after `day`."""
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def expiry_on_or_before(day: date) -> date:
    """Where an expiration scheduled for `day` lands: the trading day on or before it
    (a Good Friday monthly expires on the Thursday)."""
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def market_open(moment: datetime) -> bool:
    """True during the regular US options session: a trading day, 09:30 to 16:15 New York
    (index options trade until 16:15). Early closes are not known here: after 13:00 on
    such a day this still says open, which only costs a shorter cache lifetime."""
    local = moment.astimezone(NEW_YORK)
    return is_trading_day(local.date()) and time(9, 30) <= local.time() < time(16, 15)


SESSION_OPEN = time(9, 30)


def session_of(moment: datetime) -> date:
    """The trading session whose prices a snapshot taken at `moment` shows: its New York date
    when that is a trading day and the time is 09:30 or later, else the last trading day
    before (a Sunday or pre-open snapshot shows the previous close)."""
    local = moment.astimezone(NEW_YORK)
    day = local.date()
    if is_trading_day(day) and local.time() >= SESSION_OPEN:
        return day
    return expiry_on_or_before(day - timedelta(days=1))
