"""What ../shared/chains/PROVENANCE.md records about each fixture, typed in by hand.

These values come from that table (written independently of the loaders), not from
running the code. Two deliberate departures are marked where they occur.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

CHAINS = Path(__file__).resolve().parents[2].parent / "shared" / "chains"


class Recorded(NamedTuple):
    """One PROVENANCE row: underlying, spot, New York snapshot time, sizes, expiry range."""

    file: str
    symbol: str
    spot: float
    local_time: datetime  # naive New York wall-clock time
    utc_offset_hours: int
    rows: int  # table rows (2 contracts each) or JSON options (1 contract each)
    expiries: int
    first_expiry: date | None
    last_expiry: date | None
    roots: frozenset[str]


# The delayed JSON files were produced after the close: their spot is PROVENANCE's `close`
# (the closing quotes' price), not `current_price` (after hours).
def _r(file, symbol, spot, local_time, offset, rows, expiries, first, last, roots=None):
    return Recorded(file, symbol, spot, datetime.fromisoformat(local_time), offset, rows,
                    expiries, first and date.fromisoformat(first),
                    last and date.fromisoformat(last), frozenset(roots or {symbol}))


SPX_ROOTS = {"SPX", "SPXW"}
NDX_ROOTS = {"NDX", "NDXP"}

RECORDED = [
    _r("cboe_quotedata_SPX_2023-02-07.csv", "SPX", 4164.0, "2023-02-07 17:34", -5, 9481, 50,
       "2023-02-07", "2027-12-17", SPX_ROOTS),
    _r("cboe_quotedata_SPX_2023-09-14.csv", "SPX", 4505.1001, "2023-09-14 16:31", -4, 9960, 53,
       "2023-09-14", "2025-12-19", SPX_ROOTS),
    _r("cboe_quotedata_SPY_2023-09-14.csv", "SPY", 450.81, "2023-09-14 16:31", -4, 3646, 31,
       "2023-09-14", "2026-01-16"),
    _r("cboe_quotedata_XSP_2023-09-14.csv", "XSP", 450.51, "2023-09-14 16:30", -4, 5441, 51,
       None, None),
    # PROVENANCE says 9688 rows: it subtracts 4 preamble lines, but this spreadsheet re-save
    # has 3 (no leading blank line). `wc -l` gives 9692 = 3 + 9689.
    _r("cboe_quotedata_SPX_2022-07-12_intraday.csv", "SPX", 3856.28, "2022-07-12 11:55", -4,
       9689, 47, "2022-07-12", "2027-12-17", SPX_ROOTS),
    _r("cboe_quotedata_NVDA_2025-01-06.csv", "NVDA", 150.2802, "2025-01-06 21:30", -5, 543, 4,
       "2025-01-10", "2025-01-31"),
    # 869 rows, of which 40 are AMD1 (adjusted, dropped): `grep -c AMD1` on the file.
    _r("cboe_quotedata_AMD_2023-08-20.csv", "AMD", 105.6, "2023-08-20 22:35", -4, 869 - 40, 18,
       "2023-08-25", "2025-12-19"),
    _r("cboe_quotedata_TSLA_2023-08-20_one-expiry.csv", "TSLA", 218.8, "2023-08-20 22:38", -4,
       118, 1, "2023-08-25", "2023-08-25"),
    _r("cboe_quotedata_QQQ_2024-03-22_edited-header.csv", "QQQ", 445.65, "2024-03-22 21:46", -4,
       4920, 31, "2024-03-22", "2026-12-18"),
    _r("cboe_legacy_AAPL_2019-08-25.dat", "AAPL", 202.63, "2019-08-25 10:55", -4, 699, 16,
       "2019-08-30", "2021-06-18"),
    _r("cboe_legacy_SPY_2020-06-22.dat", "SPY", 310.68, "2020-06-22 20:42", -4, 4759, 35,
       "2020-06-22", "2022-12-16"),
    _r("cboe_delayed_AAPL_2025-09-05.json", "AAPL", 239.69, "2025-09-05 16:00:00", -4, 2336, 21,
       "2025-09-12", "2027-12-17"),
    _r("cboe_delayed_GOOGL_2025-09-05.json", "GOOGL", 235.0, "2025-09-05 15:59:59", -4, 2292, 21,
       "2025-09-12", "2027-12-17"),
    _r("cboe_quotedata_SPX_2022-02-05.csv", "SPX", 4500.5298, "2022-02-05 20:09", -5, 10257, 40,
       "2022-02-07", "2026-12-18", SPX_ROOTS),
    _r("cboe_quotedata_NDX_2022-02-05.csv", "NDX", 14694.3506, "2022-02-05 20:26", -5, 9193, 34,
       "2022-02-07", "2024-12-20", NDX_ROOTS),
    _r("cboe_quotedata_SPX_2022-06-11.csv", "SPX", 3900.8601, "2022-06-11 20:47", -4, 9835, 44,
       "2022-06-10", "2026-12-18", SPX_ROOTS),
    _r("cboe_quotedata_SPX_2023-08-20.csv", "SPX", 4369.71, "2023-08-20 22:42", -4, 10171, 50,
       "2023-08-18", "2028-12-15", SPX_ROOTS),
    _r("cboe_quotedata_SPX_2024-01-07.csv", "SPX", 4697.2402, "2024-01-07 10:52", -5, 10519, 55,
       "2024-01-05", "2029-12-21", SPX_ROOTS),
    _r("cboe_quotedata_NDX_2024-03-22.csv", "NDX", 18339.4434, "2024-03-22 21:40", -4, 10502,
       45, "2024-03-22", "2026-12-18", NDX_ROOTS),
    _r("cboe_quotedata_SPX_2025-01-06_JAN-expiries.csv", "SPX", 5975.3799, "2025-01-06 21:26",
       -5, 4242, 19, "2025-01-06", "2025-01-31", SPX_ROOTS),
    _r("cboe_legacy_SPX_2020-09-04.dat", "SPX", 3426.96, "2020-09-04 20:49", -4, 9369, 36,
       "2020-09-04", "2022-12-16", SPX_ROOTS),
    _r("cboe_legacy_SPY_2020-06-28.dat", "SPY", 300.01, "2020-06-28 14:27", -4, 4660, 35,
       "2020-06-29", "2022-12-16"),
    _r("cboe_legacy_SPY_2020-07-04.dat", "SPY", 312.18, "2020-07-04 13:52", -4, 4676, 36,
       "2020-07-02", "2022-12-16"),
    _r("cboe_delayed_META_2025-09-05.json", "META", 752.45, "2025-09-05 15:59:59", -4, 5678, 21,
       "2025-09-12", "2027-12-17"),
]

FILES = [r.file for r in RECORDED]


def contracts_of(recorded: Recorded) -> int:
    """Contracts a fixture yields: two per table row, one per JSON option."""
    return recorded.rows if recorded.file.endswith(".json") else 2 * recorded.rows
