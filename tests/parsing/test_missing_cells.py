"""Cells a quote table marks as missing ("N/A") and quotes below zero: a counted skip or an
unknown, never a rejected file or a silent zero."""

from __future__ import annotations

import numpy as np
import pytest

from gex_mcp.parsing import load_chain_file, parse_chain_bytes
from tests.parsing.provenance import CHAINS

SPX_CSV = "cboe_quotedata_SPX_2023-09-14.csv"
LINE = 57  # 0-based index of line 58: SPXW 2023-09-14 4240 call and put
CALL = "SPXW230914C04240000"


def edited(old: bytes, new: bytes):
    lines = (CHAINS / SPX_CSV).read_bytes().split(b"\n")
    assert old in lines[LINE]
    lines[LINE] = lines[LINE].replace(old, new, 1)
    return parse_chain_bytes(b"\n".join(lines), name="x.csv")


def contract(chain, is_call: bool) -> np.ndarray:
    return ((chain.strike == 4240.0) & (chain.is_call == is_call) & (chain.root == "SPXW")
            & (chain.expiry == np.datetime64("2023-09-14")))


@pytest.mark.parametrize(("old", "new", "column"), [
    (b",30,4240.00,", b",N/A,4240.00,", "Open Interest (call)"),
    (b",30,4240.00,", b",n/a,4240.00,", "Open Interest (call)"),
])
def test_an_na_cell_skips_its_contract_and_counts_it(old, new, column):
    """An "N/A" open interest drops that one contract (the put on the line stays), and the
    notes count it and name the line; every other contract is read as before."""
    original = load_chain_file(CHAINS / SPX_CSV)
    chain = edited(old, new)
    assert len(chain) == len(original) - 1
    assert not contract(chain, True).any() and contract(chain, False).sum() == 1
    assert any(n.startswith("1 contract skipped") and "line 58" in n and column in n
               and "'N/A'" in n.replace("'n/a'", "'N/A'") for n in chain.notes)
    # the others are untouched: OI sums differ by exactly the dropped contract's OI
    dropped = float(original.open_interest[contract(original, True)][0])
    assert np.nansum(chain.open_interest) == pytest.approx(np.nansum(original.open_interest) - dropped)


def test_an_na_bid_skips_its_contract_too():
    """A price column marked N/A: the contract's quote is unreadable, so it is skipped and
    counted like any other N/A cell."""
    line = (CHAINS / SPX_CSV).read_bytes().split(b"\n")[LINE]
    cells = line.split(b",")
    cells[4] = b"N/A"  # the call's Bid
    chain = edited(line, b",".join(cells))
    assert not contract(chain, True).any()
    assert any(n.startswith("1 contract skipped") and "Bid (call)" in n for n in chain.notes)


def test_a_negative_bid_is_noted_and_read_as_unknown():
    """No real quote is below zero: a bid of -0.05 becomes unknown (NaN), with a note, and
    the contract stays (its open interest still counts)."""
    line = (CHAINS / SPX_CSV).read_bytes().split(b"\n")[LINE]
    cells = line.split(b",")
    cells[4] = b"-0.05"
    chain = edited(line, b",".join(cells))
    row = contract(chain, True)
    assert row.sum() == 1 and np.isnan(chain.bid[row][0])
    assert any("negative bid or ask" in n for n in chain.notes)
