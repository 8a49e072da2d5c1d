"""Old or partial data says so: age of every answer, partial listings, mixed-time scans."""

from __future__ import annotations

import time

import anyio
import pytest

from gex_mcp.service import build_service
from gex_mcp.settings import Settings


async def ask(settings, name, chain_file=None, **arguments):
    async with build_service(settings, chain_file=chain_file) as service:
        with anyio.fail_after(30):
            if "symbol" not in arguments and "symbols" not in arguments:
                arguments["symbol"] = service.default_symbol()
            return await service.call(name, **arguments)


def test_every_answer_carries_its_age(chains_dir):
    """A 2023 snapshot is years old, and says so, even when its answer was memoised."""
    path = chains_dir / "cboe_quotedata_SPX_2023-09-14.csv"
    answer = anyio.run(lambda: ask(Settings(_env_file=None), "levels", path))
    expected = time.time() - answer.as_of.timestamp()
    assert answer.age_seconds == pytest.approx(expected, abs=60)
    assert answer.age_seconds > 2 * 365 * 86400


@pytest.mark.parametrize(("name", "note"), [
    ("cboe_quotedata_TSLA_2023-08-20_one-expiry.csv",
     "the snapshot lists only 1 expiration, through 2023-08-25: totals and levels cover those "
     "options alone"),
    ("cboe_quotedata_SPX_2025-01-06_JAN-expiries.csv",
     "the snapshot lists only 18 expirations, through 2025-01-31: totals and levels cover those "
     "options alone"),
    ("cboe_quotedata_SPX_2023-09-14.csv", None),
])
def test_a_partial_listing_says_so_in_data_quality(chains_dir, name, note):
    gex = anyio.run(lambda: ask(Settings(_env_file=None), "gex", chains_dir / name))
    assert (note in gex.data_quality.notes) if note else not any(
        n.startswith("the snapshot lists only") for n in gex.data_quality.notes)


def test_a_scan_of_snapshots_from_different_days_gives_the_spread(chains_dir, tmp_path):
    settings = Settings(_env_file=None, source="file", chains_dir=chains_dir, data_dir=tmp_path)
    scan = anyio.run(lambda: ask(settings, "scan", symbols=["AAPL", "AMD"]))
    times = [r.as_of.timestamp() for r in scan.rows]
    assert all(r.error is None for r in scan.rows)
    assert scan.as_of_spread_seconds == pytest.approx(max(times) - min(times), abs=0.1)
    assert scan.as_of_spread_seconds > 365 * 86400  # AAPL 2025-09 against AMD 2023-08
