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

from gex_mcp.errors import InputError

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
    am = _by_runs(root, lambda roots: np.isin(roots, list(AM_SETTLED_ROOTS)))
    keys = expiry.astype("int64") * 2 + am.astype("int64")
    unique_keys, inverse = _unique_small_range(keys)
    values = np.empty(len(unique_keys), dtype=np.float64)
    for i, key in enumerate(unique_keys):
        day = np.datetime64(int(key) // 2, "D").astype(object)
        clock = AM_SETTLEMENT if key % 2 else PM_SETTLEMENT
        values[i] = datetime.combine(day, clock, tzinfo=NEW_YORK).timestamp()
    out[:] = values[inverse]
    return out


def _by_runs(values: np.ndarray, function) -> np.ndarray:
    """`function(values)` for an elementwise function, computed once per run of equal
    values (a chain's rows come grouped by root)."""
    starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
    return np.repeat(function(values[starts]), np.diff(starts, append=len(values)))


def _unique_small_range(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(keys, return_inverse=True)` for int64 keys; by a presence table over
    min..max when that range is small (a chain's expiries span a few thousand days),
    which is several times faster than sorting."""
    low, high = int(keys.min()), int(keys.max())
    if high - low > 1 << 20:
        return np.unique(keys, return_inverse=True)
    offsets = keys - low
    present = np.zeros(high - low + 1, dtype=bool)
    present[offsets] = True
    rank = np.cumsum(present) - 1  # index of each present key among the distinct ones
    return np.flatnonzero(present) + low, rank[offsets]


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


#: Unscheduled full-day NYSE closures (national days of mourning, weather, 9/11).
SPECIAL_CLOSURES = frozenset({
    date(2001, 9, 11), date(2001, 9, 12), date(2001, 9, 13), date(2001, 9, 14),
    date(2004, 6, 11),  # President Reagan
    date(2007, 1, 2),  # President Ford
    date(2012, 10, 29), date(2012, 10, 30),  # Hurricane Sandy
    date(2018, 12, 5),  # President G. H. W. Bush
    date(2025, 1, 9),  # President Carter
})
REGULAR_CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)
SESSION_OPEN = time(9, 30)


def is_trading_day(day: date) -> bool:
    """Weekday, not an NYSE holiday and not an unscheduled closure."""
    return day.weekday() < 5 and day not in nyse_holidays(day.year) and day not in SPECIAL_CLOSURES


@lru_cache(maxsize=64)
def early_closes(year: int) -> frozenset[date]:
    """NYSE 13:00 closes of `year`: the day after Thanksgiving, and July 3 and December 24
    when they are trading days (not when they are the observed holiday or a weekend)."""
    days = {_nth_weekday(year, 11, 3, 4) + timedelta(days=1)}
    days |= {d for d in (date(year, 7, 3), date(year, 12, 24)) if is_trading_day(d)}
    return frozenset(days)


def session_close(day: date) -> time:
    """The regular session's close on trading day `day`: 16:00, or 13:00 on early-close days."""
    return EARLY_CLOSE if day in early_closes(day.year) else REGULAR_CLOSE


#: Index options trade 15 minutes past the stock close (16:15, or 13:15 on early-close days).
INDEX_SYMBOLS = frozenset({"SPX", "XSP", "NDX", "RUT", "VIX", "DJX", "XEO", "OEX", "MXEA", "MXEF"})
#: Options on SPY, QQQ, IWM, DIA and other broad ETFs also trade until 16:15, but they are
#: timed at 16:00 here, the close their underlying's price comes from: the near-expiry (< 4
#: days) vendor IVs of SPY 2023-09-14 and QQQ 2024-03-22 are reproduced from the mids better
#: at 16:00 than at 16:15 (median misfit 2.71 against 2.88, and 0.448 against 0.459 vol points).
#: Cboe's Global Trading Hours: these also trade from 20:15 New York the evening before a
#: trading day until its open, so a download then holds live quotes: the SPX file saved on
#: Monday 2025-01-06 at 21:26 fits its mids at 21:26 better than at the 16:15 close, while
#: the one saved on Sunday 2024-01-07 at 10:52 (no session) fits Friday's close.
GTH_SYMBOLS = frozenset({"SPX", "XSP", "VIX"})
GTH_OPEN = time(20, 15)
#: The overnight session began on Sunday 2021-11-21 (Cboe's move to nearly 24x5 SPX and VIX
#: options trading); before it, Global Trading Hours ran only from 03:00 on the trading day
#: itself, so a 2020 SPX file saved on a Thursday at 21:30 holds Thursday's close.
OVERNIGHT_START = date(2021, 11, 21)
EARLY_GTH_OPEN = time(3, 0)


def quote_time(seen: datetime, symbol: str | None = None) -> datetime:
    """When the quotes visible at `seen` for `symbol`'s options were made: `seen` itself while
    they trade, otherwise the close of the last session at or before it. A Sunday-evening
    download of AMD shows Friday's 16:00 close (13:00 on an early-close day); index options
    close at 16:15, and SPX, XSP and VIX also trade overnight (GTH, from 20:15 since
OVERNIGHT_START, from 03:00 before). New York time.

    >>> quote_time(datetime(2023, 8, 20, 22, 35, tzinfo=NEW_YORK), "AMD").isoformat()
    '2023-08-18T16:00:00-04:00'
    """
    local = seen.astimezone(NEW_YORK)
    day = local.date()
    extra = timedelta(minutes=15) if symbol in INDEX_SYMBOLS else timedelta(0)

    def close_of(d: date) -> datetime:
        return datetime.combine(d, session_close(d), tzinfo=NEW_YORK) + extra

    if is_trading_day(day) and datetime.combine(day, SESSION_OPEN, tzinfo=NEW_YORK) <= local < close_of(day):
        return local
    if symbol in GTH_SYMBOLS and _in_extended_hours(local):
        return local
    return last_close(local, symbol)


def _in_extended_hours(local: datetime) -> bool:
    """Whether New York time `local` falls in Cboe's extended (GTH) session before a trading
    day: from 20:15 the evening before (from OVERNIGHT_START on; before it, from 03:00 on the
    day itself) to the 09:30 open."""
    day, clock = local.date(), local.time()
    if day >= OVERNIGHT_START and clock >= GTH_OPEN:
        return is_trading_day(day + timedelta(days=1))
    opens = time(0, 0) if day >= OVERNIGHT_START else EARLY_GTH_OPEN
    return opens <= clock < SESSION_OPEN and is_trading_day(day)


def last_close(moment: datetime, symbol: str | None = None) -> datetime:
    """The close of the last regular session ending at or before `moment` (16:00, 13:00 on
    early-close days; 15 minutes later for index options), New York time."""
    local = moment.astimezone(NEW_YORK)
    day = local.date()
    extra = timedelta(minutes=15) if symbol in INDEX_SYMBOLS else timedelta(0)

    def close_of(d: date) -> datetime:
        return datetime.combine(d, session_close(d), tzinfo=NEW_YORK) + extra

    if is_trading_day(day) and local >= close_of(day):
        return close_of(day)
    day -= timedelta(days=1)
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return close_of(day)


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
    """True during the regular US options session: a trading day, 09:30 to 15 minutes after
    the close (index options trade until 16:15, or 13:15 on early-close days) New York."""
    local = moment.astimezone(NEW_YORK)
    day = local.date()
    if not is_trading_day(day):
        return False
    close = datetime.combine(day, session_close(day)) + timedelta(minutes=15)
    return SESSION_OPEN <= local.time() < close.time()


def session_of(moment: datetime) -> date:
    """The trading session whose prices a snapshot taken at `moment` shows: its New York date
    when that is a trading day and the time is 09:30 or later, else the last trading day
    before (a Sunday or pre-open snapshot shows the previous close)."""
    local = moment.astimezone(NEW_YORK)
    day = local.date()
    if is_trading_day(day) and local.time() >= SESSION_OPEN:
        return day
    return expiry_on_or_before(day - timedelta(days=1))


#: The dates every date argument must lie in: beyond them datetime arithmetic overflows
#: (0001-01-01 in New York is before datetime.min in UTC) and no option chain exists anyway.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2099, 12, 31)
SUPPORTED_RANGE = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"


def check_supported(day: date, name: str, given: str) -> None:
    """Raises InputError unless FIRST_DAY <= day <= LAST_DAY (the message names the range)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(f"{name} {given[:40]!r} is outside the supported dates, "
                         f"{SUPPORTED_RANGE}.")
