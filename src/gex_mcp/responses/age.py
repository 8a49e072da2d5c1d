"""How old an answer is relative to the question: the time asked for (replay) or now.

age_seconds = reference - as_of, where the reference is `requested_as_of` (a replay: `as_of`
or GEX_FILE_AS_OF) or the time of the answer. A snapshot is *outdated* when more than one
NYSE session lies between it and the reference (sessions d with session_of(as_of) < d <=
session_of(reference)), or when its file was retrieved more than one session after its quotes
(retrieved_at): a note then gives the gap in words ("7 months before the requested time").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from gex_mcp.engine.calendar import NEW_YORK, is_trading_day, session_of

MAX_SESSIONS_BEHIND = 1  # the previous session's close is current enough
_DAY = 86400.0


def sessions_between(earlier: datetime, later: datetime) -> int:
    """NYSE sessions after the one `earlier` shows, up to the one `later` shows (0 when the
    same session; 1 from Friday's close to Monday)."""
    first, last = session_of(earlier), session_of(later)
    count, day = 0, first
    if (last - first).days > 800:  # years apart: count weekdays, close enough for words
        return int((last - first).days * 252 / 365)
    while day < last:
        day += timedelta(days=1)
        count += is_trading_day(day)
    return count


def gap_in_words(seconds: float) -> str:
    """A gap as a person says it: '7 months', '4 days', '3 hours', '2 years 1 month'."""
    days = seconds / _DAY
    if days >= 365:
        years, months = int(days // 365.25), int(days % 365.25 // 30.44)
        return _plural(years, "year") + (f" {_plural(months, 'month')}" if months else "")
    if days >= 60:
        return _plural(int(round(days / 30.44)), "month")
    if days >= 2:
        return _plural(int(round(days)), "day")
    hours = seconds / 3600.0
    if hours >= 2:
        return _plural(int(round(hours)), "hour")
    return _plural(max(int(round(seconds / 60.0)), 0), "minute")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _ny(moment: datetime) -> str:
    return f"{moment.astimezone(NEW_YORK):%Y-%m-%d %H:%M} ET"


def age_fields(as_of: datetime, *, now: float, requested: datetime | None,
               retrieved_at: datetime | None = None) -> dict:
    """`age_seconds`, `outdated` and the age notes of an answer made at `now` (epoch seconds)
    from a snapshot of `as_of`, for a question about `requested` (None: now)."""
    reference = requested or datetime.fromtimestamp(now, as_of.tzinfo or NEW_YORK)
    age = reference.timestamp() - as_of.timestamp()
    notes: list[str] = []
    behind = sessions_between(as_of, reference) if age > 0 else 0
    if behind > MAX_SESSIONS_BEHIND:
        what = f"the requested time {_ny(requested)}" if requested is not None else "now"
        notes.append(f"old snapshot: the quotes are of {_ny(as_of)}, {gap_in_words(age)} "
                     f"({behind:,} sessions) before {what}.")
    late = retrieved_at is not None and sessions_between(as_of, retrieved_at) > MAX_SESSIONS_BEHIND
    if late:
        assert retrieved_at is not None
        notes.append(f"the file was retrieved {_ny(retrieved_at)}, "
                     f"{gap_in_words(retrieved_at.timestamp() - as_of.timestamp())} after its "
                     "quotes: its open interest and quotes are of the earlier time.")
    return {"age_seconds": round(max(age, 0.0), 1), "outdated": bool(notes),
            "age_notes": notes}


def aged(answer: BaseModel, now: float, requested: datetime | None = None) -> BaseModel:
    """`answer` with its age relative to the question (see the module docstring); answers
    are memoised, so the age is set on each call. Models without `as_of` are unchanged."""
    as_of = getattr(answer, "as_of", None)
    fields = type(answer).model_fields
    if as_of is None or "age_seconds" not in fields:
        return answer
    got = age_fields(as_of, now=now, requested=requested,
                     retrieved_at=getattr(answer, "retrieved_at", None))
    update = {"age_seconds": got["age_seconds"]}
    if "outdated" in fields:
        update["outdated"] = got["outdated"]
        update["requested_as_of"] = requested
        kept = [n for n in answer.notes if not n.startswith(_AGE_PREFIXES)]  # type: ignore[attr-defined]
        update["notes"] = kept + got["age_notes"]
    return answer.model_copy(update=update)


_AGE_PREFIXES = ("old snapshot:", "the file was retrieved")


__all__ = ["aged", "age_fields", "gap_in_words", "sessions_between"]
