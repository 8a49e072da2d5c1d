"""Times as users give them to as_of and since: ISO-8601, or a bare New York date.

    "2026-11-24T15:30:00-05:00"   that instant
    "2026-11-24T15:30"            15:30 New York (no offset means New York time)
    "2026-11-24"                  as_of: the end of that New York day (23:59:59.999999),
                                  so "Tuesday's close" includes a snapshot saved that evening;
                                  since: the start of that day (00:00)

Every date a user gives (as_of, since, expiration, --snapshot-time, GEX_FILE_AS_OF) must lie
in FIRST_DAY..LAST_DAY: beyond them datetime arithmetic overflows (0001-01-01 in New York
is before datetime.min in UTC) and no option chain exists anyway.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from gex_mcp.engine.calendar import FIRST_DAY, LAST_DAY, NEW_YORK, SUPPORTED_RANGE, check_supported
from gex_mcp.errors import InputError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_moment(text: str | None, name: str, *, end_of_day: bool) -> datetime | None:
    """The aware datetime `text` names, or None for None or blank.

    Raises:
        InputError: not an ISO-8601 time or date (the message names the argument).
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if _DATE.fullmatch(value):
            day = date.fromisoformat(value)
            check_supported(day, name, value)
            return datetime.combine(day, time.max if end_of_day else time.min, NEW_YORK)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        check_supported(moment.date(), name, value)
    except ValueError:
        raise InputError(
            f"{name} must be an ISO-8601 time or a date, got {value[:40]!r}. Example: "
            f"'2026-11-24' ({'the end' if end_of_day else 'the start'} of that New York day) "
            f"or '2026-11-24T16:00:00-05:00'.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=NEW_YORK)


__all__ = ["FIRST_DAY", "LAST_DAY", "SUPPORTED_RANGE", "check_supported", "parse_moment"]
