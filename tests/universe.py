"""A universe of local snapshot files for scans: links to the real fixtures in
../shared/chains under generated tickers (used by tests and benchmarks/bench_scan.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CHAINS_DIR


def make_universe(folder: Path, count: int, chains: Path = CHAINS_DIR) -> list[str]:
    """`count` snapshot files in `folder`: links to the fixtures, cycling, under tickers
    U000, U001, ...; the file source takes the symbol from the name."""
    fixtures = sorted(p for p in chains.iterdir() if p.suffix in (".csv", ".dat", ".json"))
    tickers = []
    for i in range(count):
        fixture = fixtures[i % len(fixtures)]
        kind, _, rest = fixture.name.removeprefix("cboe_").partition("_")
        day_and_tail = rest.split("_", 1)[1]  # "2023-09-14.csv", "2023-09-14_intraday.csv"
        ticker = f"U{i:03d}"
        (folder / f"cboe_{kind}_{ticker}_{day_and_tail}").symlink_to(fixture)
        tickers.append(ticker)
    return tickers
