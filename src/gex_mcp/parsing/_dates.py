"""Date spellings found in CBOE downloads, read without `strptime` (no locale dependence).

Snapshot times are New York wall-clock times labelled EDT, EST or ET; all three mean
America/New_York. Functions here raise `ValueError`; the loaders add the file name and line.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from gex_mcp.engine.calendar import NEW_YORK, quote_time

# Month names as browsers write them in the quote page's Date line, by locale: English, Spanish,
# Portuguese, French, German, Italian and Russian (genitive, as in dates, and nominative),
# full and abbreviated (abbreviations' trailing dots are removed before lookup).
_MONTH_SPELLINGS = (
    ("january jan", "enero ene", "janeiro jan", "janvier janv", "januar jan jän jänner", "gennaio gen",
     "января январь янв"),
    ("february feb", "febrero feb", "fevereiro fev", "février févr fevrier fevr", "februar feb",
     "febbraio feb", "февраля февраль февр фев"),
    ("march mar", "marzo mar", "março mar marco", "mars", "märz mär marz", "marzo mar", "марта март мар"),
    ("april apr", "abril abr", "abril abr", "avril avr", "april apr", "aprile apr", "апреля апрель апр"),
    ("may", "mayo may", "maio mai", "mai", "mai", "maggio mag", "мая май"),
    ("june jun", "junio jun", "junho jun", "juin", "juni jun", "giugno giu", "июня июнь июн"),
    ("july jul", "julio jul", "julho jul", "juillet juil", "juli jul", "luglio lug", "июля июль июл"),
    ("august aug", "agosto ago", "agosto ago", "août aout", "august aug", "agosto ago", "августа август авг"),
    ("september sep sept", "septiembre setiembre sep sept set", "setembro set", "septembre sept",
     "september sep sept", "settembre set", "сентября сентябрь сент сен"),
    ("october oct", "octubre oct", "outubro out", "octobre oct", "oktober okt", "ottobre ott",
     "октября октябрь окт"),
    ("november nov", "noviembre nov", "novembro nov", "novembre nov", "november nov", "novembre nov",
     "ноября ноябрь нояб ноя"),
    ("december dec", "diciembre dic", "dezembro dez", "décembre déc decembre", "dezember dez",
     "dicembre dic", "декабря декабрь дек"),
)
_MONTHS = {word: number for number, spellings in enumerate(_MONTH_SPELLINGS, start=1)
           for words in spellings for word in words.split()}
_NEW_YORK_LABELS = frozenset({"ET", "EDT", "EST"})
# Words that join the parts of a date in those locales ("14 de septiembre de 2023, 16:31",
# "14. September 2023 um 16:31", "14 settembre 2023 alle ore 16:31", "14 сентября 2023 г., 16:31").
_FILLER = frozenset({"at", "@", "de", "del", "à", "às", "a", "um", "alle", "ore", "le", "г", "в"})

# After normalisation (commas, fillers and dots removed): "September 14 2023 4:31 PM EDT",
# "22 March 2024 9:46 PM EDT", "Sep 04 2020 20:49 ET", "14 septiembre 2023 16:31 GMT-4".
_SNAPSHOT = re.compile(
    r"(?:(?P<month1>[^\W\d_]+) (?P<day1>\d{1,2})|(?P<day2>\d{1,2}) (?P<month2>[^\W\d_]+))"
    r" (?P<year>\d{4}) (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r" ?(?P<ampm>[AaPp][Mm])? (?P<zone>[A-Za-z]+|(?:GMT|UTC)[+-]\d{1,2}(?::?\d{2})?)")
_WORDY_EXPIRY = re.compile(
    r"(?:[A-Za-z]{3} )?(?P<month>[A-Za-z]{3}) (?P<day>\d{1,2}) (?P<year>\d{4})")
_SLASH_EXPIRY = re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})")
_OFFSET = re.compile(r"(?:GMT|UTC)(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d{2})?")
_LABEL = re.compile(r"^[^\W\d_]+:\s*")  # "Date:", "Fecha:", "Datum:", "Дата:"


def month_number(word: str) -> int:
    """1-12 for a month name or abbreviation in English, Spanish, Portuguese, French, German,
    Italian or Russian.

    Raises:
        ValueError: not a month name.
    """
    number = _MONTHS.get(word.lower().rstrip("."))
    if number is None:
        raise ValueError(f"not a month name: {word!r}")
    return number


def _normalised(text: str) -> str:
    """One spelling for every locale: no label, commas, fillers or dots; AM/PM as one word."""
    cleaned = _LABEL.sub("", text.strip().strip('"').strip())
    cleaned = cleaned.replace("\u2212", "-").replace("\u202f", " ").replace("\xa0", " ")
    cleaned = re.sub(r"\b([ap])\.?\s?m\.", lambda m: m.group(1) + "m", cleaned, flags=re.I)
    words = []
    for word in cleaned.replace(",", " ").split():
        bare = word.rstrip(".") if not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", word) else word
        if bare.lower() not in _FILLER and bare:
            words.append(bare)
    return " ".join(words)


def parse_snapshot_time(text: str) -> tuple[datetime, str | None]:
    """Snapshot time from a CBOE date line, as an aware America/New_York datetime.

    Accepts "Date: September 14, 2023 at 4:31 PM EDT", "Date: February 5 2022, 8:09 PM EST",
    "Date: July 12, 2022, 11:55 AM EDT", "Date: 22 March 2024, 9:46 PM EDT", the legacy
    "Sep 04 2020 @ 20:49 ET", and the same written by a browser in another locale with a
    GMT/UTC offset ("Fecha: 14 de septiembre de 2023, 16:31 GMT-4", "14. September 2023 um
    16:31 GMT-4", "14 сентября 2023 г., 16:31 GMT-4"). The label picks the earlier (EDT) or
    later (EST) instant of an ambiguous fall-back hour.

    Returns:
        The time and, when the EDT/EST label contradicts the New York calendar, a remark.

    Raises:
        ValueError: the text is not one of these spellings, or names another time zone.
    """
    match = _SNAPSHOT.fullmatch(_normalised(text))
    if match is None:
        raise ValueError(f"unrecognised date spelling {text!r}")
    zone = match["zone"].upper()
    offset = _OFFSET.fullmatch(zone)
    if offset is None and zone not in _NEW_YORK_LABELS:
        raise ValueError(f"time zone {zone!r} is not New York time (EDT, EST, ET or its GMT offset)")
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
        fold=1 if zone in ("EST", "GMT-5", "UTC-5") else 0,
    )
    if offset is not None:
        sign = -1 if offset["sign"] == "-" else 1
        minutes = sign * (int(offset["hours"]) * 60 + int(offset["minutes"] or 0))
        if moment.utcoffset() != timedelta(minutes=minutes):
            raise ValueError(f"{zone} is not New York's offset on {moment:%Y-%m-%d} "
                             f"({moment.tzname()})")
        return moment, None
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


def as_new_york(moment: datetime) -> datetime:
    """`moment` in New York time; a naive one is taken as New York wall-clock time."""
    return moment.replace(tzinfo=NEW_YORK) if moment.tzinfo is None else moment.astimezone(NEW_YORK)
