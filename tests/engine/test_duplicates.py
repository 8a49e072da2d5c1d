"""A chain listing a contract twice counts it once (and says so)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.prepare import repeated_contracts
from gex_mcp.parsing import load_chain_file
from tests.conftest import CHAINS_DIR


def doubled(chain, rows: np.ndarray):
    """`chain` with `rows` appended again at the end."""
    columns = ("strike", "settle_time", "iv", "open_interest", "volume", "bid", "ask",
               "prev_open_interest", "multiplier", "root", "expiry", "is_call")
    return replace(chain, **{c: np.concatenate([getattr(chain, c), getattr(chain, c)[rows]])
                             for c in columns})


def test_a_repeated_contract_is_dropped_and_counted_and_totals_do_not_change():
    chain = load_chain_file(CHAINS_DIR / "cboe_quotedata_SPY_2023-09-14.csv")
    rows = np.flatnonzero(chain.open_interest > 0)[:500]
    base = analyze_chain(chain, rate=0.04)
    twice = analyze_chain(doubled(chain, rows), rate=0.04)
    assert twice.prepared.quality.duplicates_dropped == 500
    assert base.prepared.quality.duplicates_dropped == 0
    for key, value in base.totals.items():
        assert twice.totals[key] == value, key  # not doubled: the copies are gone


def test_the_same_strike_in_another_root_or_side_is_not_a_repeat():
    """SPX (AM) and SPXW (PM) on one date, or a call and a put, are different contracts."""
    chain = load_chain_file(CHAINS_DIR / "cboe_quotedata_SPX_2023-09-14.csv")
    assert not repeated_contracts(chain, np.ones(len(chain), dtype=bool)).any()
    assert len(set(chain.root)) > 1


@pytest.mark.parametrize("name", [
    "cboe_quotedata_SPX_2023-09-14.csv",
    "cboe_quotedata_SPX_2024-01-07.csv",  # six years of LEAPS
    "cboe_quotedata_NDX_2024-03-22.csv",  # strikes to 25,000
])
@pytest.mark.parametrize("mixed_multipliers", [False, True])
def test_the_packed_key_agrees_with_the_column_by_column_comparison(name, mixed_multipliers):
    """The fast one-int64 key finds exactly the repeats a plain four-column sort finds,
    also when some contracts have another multiplier (minis: 10 shares)."""
    from gex_mcp.engine.prepare import _repeated_by_columns

    chain = load_chain_file(CHAINS_DIR / name)
    if mixed_multipliers:
        multiplier = chain.multiplier.copy()
        multiplier[::3] = 10.0
        chain = replace(chain, multiplier=multiplier)
    twice = doubled(chain, np.arange(0, len(chain), 7))
    rows = np.ones(len(twice), dtype=bool)
    fast = repeated_contracts(twice, rows)
    plain = _repeated_by_columns(twice, np.flatnonzero(rows), np.zeros(len(twice), dtype=bool))
    assert fast.sum() == len(np.arange(0, len(chain), 7)) and np.array_equal(fast, plain)
