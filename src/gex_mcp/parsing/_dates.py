"""Date spellings found in CBOE downloads, read without `strptime` (no locale dependence).

Snapshot times are New York wall-clock times labelled EDT, EST or ET; all three mean
America/New_York. Functions here raise `ValueError`; the loaders add the file name and line.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from gex_mcp.engine.calendar import NEW_YORK, quote_time

_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_FULL_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")
_NEW_YORK_LABELS = frozenset({"ET", "EDT", "EST"})

# After normalisation (commas, "at" and "@" removed): "September 14 2023 4:31 PM EDT",
# "22 March 2024 9:46 PM EDT", "Sep 04 2020 20:49 ET".
_SNAPSHOT = re.compile(
    r"(?:(?P<month1>[A-Za-z]+) (?P<day1>\d{1,2})|(?P<day2>\d{1,2}) (?P<month2>[A-Za-z]+))"
    r" (?P<year>\d{4}) (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r" ?(?P<ampm>[AaPp][Mm])? (?P<zone>[A-Za-z]+)")
_WORDY_EXPIRY = re.compile(
    r"(?:[A-Za-z]{3} )?(?P<month>[A-Za-z]{3}) (?P<day>\d{1,2}) (?P<year>\d{4})")
_SLASH_EXPIRY = re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})")


def month_number(word: str) -> int:
    """1-12 for an English month name or its three-letter (or "Sept") abbreviation.

    Raises:
        ValueError: not a month name.
    """
    lowered = word.lower()
    number = _MONTHS.get(lowered[:3])
    if number is None or lowered not in (lowered[:3], "sept", _FULL_MONTHS[number - 1]):
        raise ValueError(f"not a month name: {word!r}")
    return number


def parse_snapshot_time(text: str) -> tuple[datetime, str | None]:
    """Snapshot time from a CBOE date line, as an aware America/New_York datetime.

    Accepts "Date: September 14, 2023 at 4:31 PM EDT", "Date: February 5 2022, 8:09 PM EST",
    "Date: July 12, 2022, 11:55 AM EDT", "Date: 22 March 2024, 9:46 PM EDT" and the legacy
    "Sep 04 2020 @ 20:49 ET". The label picks the earlier (EDT) or later (EST) instant of
    an ambiguous fall-back hour.

    Returns:
        The time and, when the EDT/EST label contradicts the New York calendar, a remark.

    Raises:
        ValueError: the text is not one of these spellings, or names another time zone.
    """
    cleaned = text.strip().strip('"').strip()
    if cleaned[:5].lower() == "date:":
        cleaned = cleaned[5:]
    words = [w for w in cleaned.replace(",", " ").split() if w.lower() not in ("at", "@")]
    match = _SNAPSHOT.fullmatch(" ".join(words))
    if match is None:
        raise ValueError(f"unrecognised date spelling {text!r}")
    zone = match["zone"].upper()
    if zone not in _NEW_YORK_LABELS:
        raise ValueError(f"time zone {zone!r} is not New York time (EDT, EST or ET)")
    hour = int(match["hour"])
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} with AM/PM")
        hour = hour % 12 + (12 if match["ampm"].upper() == "PM" else 0)
    moment = datetime(
        int(match["year"]),
        month_number(match["month1"] or match["month2"]),
        int(match["day1"] or match["day2"]),
        hour,
        int(match["minute"]),
        int(match["second"] or 0),
        tzinfo=NEW_YORK,
        fold=1 if zone == "EST" else 0,
    )
    remark = None
    actual = moment.tzname()
    if zone != "ET" and actual != zone:
        remark = f"date line says {zone} but New York was on {actual} then; read as {actual}"
    return moment, remark


def parse_expiration_date(text: str) -> date:
    """An 'Expiration Date' cell: "Fri Jan 10 2025" (2022+ CSV) or "08/30/2019" (legacy).

    Raises:
        ValueError: neither spelling, or not a calendar date.
    """
    cleaned = text.strip()
    match = _SLASH_EXPIRY.fullmatch(cleaned)
    if match is not None:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    match = _WORDY_EXPIRY.fullmatch(cleaned)
    if match is not None:
        return date(int(match["year"]), month_number(match["month"]), int(match["day"]))
    raise ValueError(f"unrecognised expiration date {text!r}")


def market_clock(seen: datetime, symbol: str | None) -> tuple[datetime, datetime | None]:
    """(as_of, retrieved_at) of quotes downloaded at `seen`: as_of is the quotes' market time
    (`quote_time`: `seen` while the options trade, else the last close); retrieved_at is
    `seen` when it differs, else None."""
    as_of = quote_time(seen, symbol)
    return as_of, (None if as_of == seen else seen)
