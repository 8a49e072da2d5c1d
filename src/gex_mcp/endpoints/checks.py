"""The checks every analysis question shares, beyond its row's argument schema: the
expiration's form and range, and min_oi as a whole number of contracts. `GexService.answer`
runs them, so every door gives the same sentence."""

from __future__ import annotations

import math
import re
from datetime import date

from gex_mcp.engine.calendar import FIRST_DAY, LAST_DAY, SUPPORTED_RANGE
from gex_mcp.errors import InputError, InvalidExpiryError

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_expiration(expiration: str | None) -> str | None:
    """Validate the format of an expiration argument; returns it as YYYY-MM-DD or None.

    Raises:
        InvalidExpiryError: not a real calendar date in YYYY-MM-DD form.
    """
    if expiration is None or (isinstance(expiration, str) and not expiration.strip()):
        return None
    text = expiration.strip() if isinstance(expiration, str) else ""
    try:
        if not _DATE_RE.fullmatch(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidExpiryError(
            f"{str(expiration)[:40]!r} is not an expiration date. Use YYYY-MM-DD, e.g. "
            "'2026-12-18', or leave it out for all expirations.") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidExpiryError(f"Expiration {text!r} is outside the supported dates, "
                                 f"{SUPPORTED_RANGE}.")
    return day.isoformat()


def check_min_oi(min_oi: int | float) -> int:
    """Raises InputError unless min_oi is a non-negative whole number of contracts."""
    try:  # a huge int (10**400) overflows float: as wrong as NaN
        finite = not isinstance(min_oi, bool) and math.isfinite(float(min_oi))
    except (TypeError, ValueError, OverflowError):
        finite = False
    if not finite or min_oi < 0 or min_oi != int(min_oi):
        raise InputError(f"min_oi must be a whole number of contracts >= 0, got {min_oi!r}. "
                         "Use 0 to keep every strike.")
    return int(min_oi)


__all__ = ["check_min_oi", "parse_expiration"]
