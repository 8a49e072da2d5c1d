"""Settlement times and the NYSE holiday calendar, against published exchange calendars."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from gex_mcp.engine.calendar import (
    NEW_YORK,
    early_closes,
    expiry_on_or_before,
    is_trading_day,
    market_open,
    next_trading_day,
    nyse_holidays,
    quote_time,
    settlement_times,
)

# NYSE's published full-day closures (nyse.com holiday calendar).
PUBLISHED = {
    2025: ["2025-01-01", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19",
           "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25"],
    2026: ["2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19",
           "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25"],
    2027: ["2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18",
           "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24"],
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_holidays_match_the_published_nyse_calendar(year):
    """Every rule (Easter, observed weekends, nth Mondays) lands on the published dates."""
    assert sorted(d.isoformat() for d in nyse_holidays(year)) == PUBLISHED[year]


def test_thanksgiving_week_trading_days():
    """Thanksgiving is closed; Black Friday trades; weekends never do."""
    assert not is_trading_day(date(2026, 11, 26))
    assert is_trading_day(date(2026, 11, 27))
    assert next_trading_day(date(2026, 11, 25)) == date(2026, 11, 27)
    assert next_trading_day(date(2026, 11, 27)) == date(2026, 11, 30)


def test_good_friday_monthly_expires_on_thursday():
    """An expiration scheduled on a holiday moves to the trading day before."""
    assert expiry_on_or_before(date(2025, 4, 18)) == date(2025, 4, 17)
    assert expiry_on_or_before(date(2025, 4, 11)) == date(2025, 4, 11)


def test_settlement_is_4pm_new_york_or_0930_for_am_roots_across_dst():
    """SPXW settles 16:00 and SPX 09:30 New York time, in summer and winter alike."""
    expiry = np.array(["2025-01-17", "2025-01-17", "2025-07-18", "2025-07-18"], dtype="datetime64[D]")
    roots = np.array(["SPXW", "SPX", "SPXW", "SPX"])
    got = [datetime.fromtimestamp(t, NEW_YORK) for t in settlement_times(expiry, roots)]
    assert [(g.hour, g.minute) for g in got] == [(16, 0), (9, 30), (16, 0), (9, 30)]
    assert [g.utcoffset().total_seconds() / 3600 for g in got] == [-5, -5, -4, -4]


def test_settlement_times_of_shuffled_rows_match_one_row_at_a_time():
    """Grouped-run and presence-table shortcuts: shuffled rows over 40 years (and one far
    date, which takes the sorting path) equal each row's own datetime.combine."""
    from datetime import time

    rng = np.random.default_rng(11)
    days = rng.integers(7000, 7000 + 40 * 365, size=3000)
    for far in (False, True):
        if far:
            days[17] = 2_000_000  # year 7445: the range is too large for a table
        expiry = days.astype("datetime64[D]")
        roots = rng.choice(np.array(["SPX", "SPXW", "VIX", "AAPL", "NDXP"]), size=len(days))
        roots[:1000].sort()  # some long runs, some single rows
        expected = [datetime.combine(d.astype(object),
                                     time(9, 30) if r in ("SPX", "VIX") else time(16),
                                     tzinfo=NEW_YORK).timestamp() for d, r in zip(expiry, roots)]
        assert settlement_times(expiry, roots).tolist() == expected


def test_market_open_is_the_regular_session_of_trading_days():
    from gex_mcp.engine.calendar import NEW_YORK, market_open

    def at(*args) -> bool:
        return market_open(datetime(*args, tzinfo=NEW_YORK))

    assert at(2025, 6, 11, 9, 30) and at(2025, 6, 11, 16, 14)
    assert not at(2025, 6, 11, 9, 29) and not at(2025, 6, 11, 16, 15)
    assert not at(2025, 6, 14, 12, 0)  # Saturday
    assert not at(2025, 12, 25, 12, 0)  # Christmas


def test_vix_weeklies_settle_in_the_morning_like_the_monthlies():
    """VIX and VIXW settle to the Wednesday-morning SOQ; the PM index weeklies at the close."""
    expiry = np.array(["2025-03-19"] * 5, dtype="datetime64[D]")
    roots = np.array(["VIX", "VIXW", "SPXW", "NDXP", "RUTW"])
    got = [datetime.fromtimestamp(t, NEW_YORK) for t in settlement_times(expiry, roots)]
    assert [(g.hour, g.minute) for g in got] == [(9, 30), (9, 30), (16, 0), (16, 0), (16, 0)]


# NYSE's published 13:00 closes (nyse.com holiday pages, 2018-2026).
PUBLISHED_EARLY_CLOSES = {
    2018: {date(2018, 7, 3), date(2018, 11, 23), date(2018, 12, 24)},
    2019: {date(2019, 7, 3), date(2019, 11, 29), date(2019, 12, 24)},
    2020: {date(2020, 11, 27), date(2020, 12, 24)},
    2021: {date(2021, 11, 26)},
    2022: {date(2022, 11, 25)},
    2023: {date(2023, 7, 3), date(2023, 11, 24)},
    2024: {date(2024, 7, 3), date(2024, 11, 29), date(2024, 12, 24)},
    2025: {date(2025, 7, 3), date(2025, 11, 28), date(2025, 12, 24)},
}


@pytest.mark.parametrize("year", sorted(PUBLISHED_EARLY_CLOSES))
def test_early_closes_match_the_published_nyse_calendar(year):
    assert early_closes(year) == PUBLISHED_EARLY_CLOSES[year]


def test_unscheduled_closures_are_not_trading_days():
    assert not is_trading_day(date(2025, 1, 9))  # national day of mourning, President Carter
    assert not is_trading_day(date(2012, 10, 29))  # Hurricane Sandy
    assert is_trading_day(date(2025, 1, 10))


@pytest.mark.parametrize(("seen", "symbol", "expected"), [
    (datetime(2023, 8, 20, 22, 35), "AMD", datetime(2023, 8, 18, 16, 0)),  # Sunday: Friday's close
    (datetime(2024, 11, 29, 15, 0), "SPY", datetime(2024, 11, 29, 13, 0)),  # after an early close
    (datetime(2024, 11, 29, 13, 10), "SPX", datetime(2024, 11, 29, 13, 10)),  # index: until 13:15
    (datetime(2024, 11, 30, 12, 0), "SPY", datetime(2024, 11, 29, 13, 0)),  # Saturday after it
    (datetime(2025, 1, 9, 12, 0), "SPY", datetime(2025, 1, 8, 16, 0)),  # closed day
    (datetime(2025, 1, 10, 8, 0), "SPY", datetime(2025, 1, 8, 16, 0)),  # before the open
    (datetime(2025, 1, 10, 8, 0), "SPX", datetime(2025, 1, 10, 8, 0)),  # SPX trades overnight
    (datetime(2025, 1, 6, 21, 26), "SPX", datetime(2025, 1, 6, 21, 26)),  # GTH
    (datetime(2025, 1, 6, 18, 0), "SPX", datetime(2025, 1, 6, 16, 15)),  # between sessions
    (datetime(2025, 1, 6, 21, 26), "NVDA", datetime(2025, 1, 6, 16, 0)),
    (datetime(2025, 1, 6, 11, 0), "NVDA", datetime(2025, 1, 6, 11, 0)),  # in session
    # before the overnight session began (2021-11-21), GTH opened at 03:00 on the day itself
    (datetime(2020, 9, 3, 21, 30), "SPX", datetime(2020, 9, 3, 16, 15)),  # Thursday evening
    (datetime(2020, 9, 4, 1, 0), "SPX", datetime(2020, 9, 3, 16, 15)),
    (datetime(2020, 9, 4, 5, 0), "SPX", datetime(2020, 9, 4, 5, 0)),  # early GTH
    (datetime(2021, 11, 21, 21, 0), "SPX", datetime(2021, 11, 21, 21, 0)),  # the first night
    (datetime(2021, 11, 18, 21, 0), "SPX", datetime(2021, 11, 18, 16, 15)),  # the week before
])
def test_quote_time_is_the_last_moment_the_options_traded(seen, symbol, expected):
    assert quote_time(seen.replace(tzinfo=NEW_YORK), symbol) == expected.replace(tzinfo=NEW_YORK)


def test_the_market_is_closed_after_an_early_close():
    assert market_open(datetime(2024, 11, 29, 13, 10, tzinfo=NEW_YORK))
    assert not market_open(datetime(2024, 11, 29, 13, 20, tzinfo=NEW_YORK))
    assert market_open(datetime(2024, 11, 27, 16, 10, tzinfo=NEW_YORK))
