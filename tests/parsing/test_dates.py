"""Every snapshot-date spelling in the fixtures, read as New York time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from gex_mcp.parsing._dates import parse_expiration_date, parse_snapshot_time


@pytest.mark.parametrize(("text", "wall_clock", "offset_hours"), [
    ("Date: September 14, 2023 at 4:31 PM EDT", "2023-09-14 16:31", -4),
    ("Date: February 5 2022, 8:09 PM EST", "2022-02-05 20:09", -5),
    ("Date: July 12, 2022, 11:55 AM EDT", "2022-07-12 11:55", -4),
    ("Date: 22 March 2024, 9:46 PM EDT", "2024-03-22 21:46", -4),
    ("Date: January 7, 2024 at 12:52 AM EST", "2024-01-07 00:52", -5),
    ("Date: January 7, 2024 at 12:05 PM EST", "2024-01-07 12:05", -5),
    ("Sep 04 2020 @ 20:49 ET", "2020-09-04 20:49", -4),
    ("Jan 04 2021 @ 09:30 ET", "2021-01-04 09:30", -5),
])
def test_each_spelling_gives_the_new_york_time_and_offset(text: str, wall_clock: str,
                                                           offset_hours: int) -> None:
    """Wall-clock time as written; the offset follows the New York calendar."""
    moment, remark = parse_snapshot_time(text)
    assert moment.replace(tzinfo=None) == datetime.fromisoformat(wall_clock)
    assert moment.utcoffset() == timedelta(hours=offset_hours)
    assert remark is None


def test_the_label_picks_the_instant_in_the_repeated_fall_back_hour() -> None:
    """1:30 on 2023-11-05 happens twice: EDT is the first, EST the second, an hour later."""
    first, _ = parse_snapshot_time("Date: November 5, 2023 at 1:30 AM EDT")
    second, _ = parse_snapshot_time("Date: November 5, 2023 at 1:30 AM EST")
    assert second.timestamp() - first.timestamp() == 3600


def test_a_label_that_contradicts_the_calendar_is_remarked() -> None:
    """'EST' in September is read as New York time (EDT) and the mismatch is reported."""
    moment, remark = parse_snapshot_time("Date: September 14, 2023 at 4:31 PM EST")
    assert moment.utcoffset() == timedelta(hours=-4)
    assert remark == "date line says EST but New York was on EDT then; read as EDT"


@pytest.mark.parametrize("text", [
    "Date: Foo", "Date: September 14, 2023 at 4:31 PM CDT", "Date: Smarch 14, 2023 4:31 PM EDT",
    "Date: September 31, 2023 at 4:31 PM EDT", "Date: September 14, 2023 at 13:31 PM EDT",
    "Date: September 14, 2023", "",
])
def test_unreadable_dates_raise_value_error(text: str) -> None:
    """Other zones, unknown months, impossible days and missing times are rejected."""
    with pytest.raises(ValueError):
        parse_snapshot_time(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Fri Jan 10 2025", date(2025, 1, 10)), ("08/30/2019", date(2019, 8, 30)),
    ("Thu Sep 14 2023", date(2023, 9, 14)),
])
def test_expiration_cells_in_both_layouts_are_read(text: str, expected: date) -> None:
    """2022+ CSV 'Fri Jan 10 2025' and legacy '08/30/2019'."""
    assert parse_expiration_date(text) == expected


@pytest.mark.parametrize("text", [
    "Fecha: 14 de septiembre de 2023, 16:31 GMT-4",  # es-ES
    "Date: 14 de septiembre de 2023, 4:31 p. m. GMT-4",  # es-MX, 12-hour
    "Date: 14 de setembro de 2023 16:31 GMT-4",  # pt-BR
    "Date: 14 septembre 2023 à 16:31 UTC\u22124",  # fr-FR (minus sign U+2212)
    "Datum: 14. September 2023 um 16:31 GMT-4",  # de-DE
    "Date: 14 settembre 2023 alle ore 16:31 GMT-4",  # it-IT
    "Дата: 14 сентября 2023 г., 16:31 GMT-4",  # ru-RU
    "Date: 14 sept. 2023, 16:31 GMT-04:00",  # abbreviated month, offset with minutes
])
def test_date_lines_written_in_other_browser_locales_load(text: str) -> None:
    moment, remark = parse_snapshot_time(text)
    assert moment.replace(tzinfo=None) == datetime(2023, 9, 14, 16, 31)
    assert moment.utcoffset() == timedelta(hours=-4) and remark is None


def test_a_gmt_offset_that_is_not_new_yorks_is_refused() -> None:
    with pytest.raises(ValueError, match="not New York's offset"):
        parse_snapshot_time("Date: 14 septembre 2023 à 16:31 UTC+2")
