"""A folder of the three SPY 2020 .dat snapshots (symlinks to ../shared/chains, not copies)."""

from __future__ import annotations

import pytest

FILES = ("cboe_legacy_SPY_2020-06-22.dat", "cboe_legacy_SPY_2020-06-28.dat",
         "cboe_legacy_SPY_2020-07-04.dat")


@pytest.fixture
def folder(tmp_path, chains_dir):
    linked = tmp_path / "chains"
    linked.mkdir()
    for name in FILES:
        (linked / name).symlink_to(chains_dir / name)
    return linked
