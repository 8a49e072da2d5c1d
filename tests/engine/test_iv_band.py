"""Implied IVs are held to the documented band (3%-1000% a year), and deep in-the-money rows
without a usable IV are counted at intrinsic value (delta ±1, zero gamma), not dropped."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gex_mcp.engine import greeks as g
from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.parsing import load_chain_file
from tests.engine import reference

AMD = "cboe_quotedata_AMD_2023-08-20.csv"
SPX = "cboe_quotedata_SPX_2023-09-14.csv"
AMD_106_CALL = "Fri Sep 22 2023,AMD230922C00106000,5.65,0.3,5.65,5.8,81,0.44,0.5287,0.0277,94,"
STALE_106_CALL = "Fri Sep 22 2023,AMD230922C00106000,5.65,0.3,0.15,0.25,81,0,0.5287,0.0277,2000,"


def test_the_solver_band_is_the_documented_one():
    """A premium priced at 2% a year has no IV in the band (NaN, not 2%); one priced at 900%
    (beyond the old 500% cap) is recovered. Premiums from the independent scalar reference."""
    low = reference.greeks(100.0, 100.0, 0.05, 0.02, 0.04, 0.0, True)["price"]
    high = reference.greeks(100.0, 100.0, 0.05, 9.0, 0.04, 0.0, True)["price"]
    out = g.implied_vol([low, high], 100.0, 100.0, 0.05, True, 0.04, 0.0)
    assert math.isnan(out[0])
    assert out[1] == pytest.approx(9.0, abs=1e-6)


def test_a_stale_near_the_money_quote_is_not_priced_at_two_percent(chains_dir, tmp_path):
    """AMD's Sep 22 106 call edited to a stale quote (no IV, mid 0.20, OI 2,000): that mid
    implies about 2% a year, below the band; the row takes its put's IV instead (equal by
    parity), and the regime is that of the unedited file."""
    text = (chains_dir / AMD).read_text(encoding="utf-8")
    assert AMD_106_CALL in text
    (tmp_path / AMD).write_text(text.replace(AMD_106_CALL, STALE_106_CALL), encoding="utf-8")
    chain = load_chain_file(tmp_path / AMD)
    a = analyze_chain(chain)
    p = a.prepared
    row = (p.strike == 106.0) & p.is_call & (p.expiry == np.datetime64("2023-09-22"))
    assert np.count_nonzero(row) == 1 and p.open_interest[row][0] == 2000
    # the mid really is below the band: at 3% a year it is worth more than 0.20
    t = float(p.t_years[row][0])
    at_floor = reference.greeks(chain.spot, 106.0, t, 0.03, p.rate, float(p.dividend_yield[row][0]),
                                True)["price"]
    assert at_floor > 0.20
    put = (chain.strike == 106.0) & ~chain.is_call & (chain.expiry == np.datetime64("2023-09-22"))
    assert p.iv[row][0] == pytest.approx(float(chain.iv[put][0]))
    assert a.regime.regime == analyze_chain(load_chain_file(chains_dir / AMD)).regime.regime


def test_deep_in_the_money_rows_without_an_iv_count_at_intrinsic(chains_dir):
    """SPX 2023-09-14: the 09-15 C1000 (OI 9,487, no quoted IV), skipped under the old 500%
    cap, now enters DEX with a delta of ±e^{-qT} to 1e-3; the rows with no IV in the band at
    all (C200-C800) enter with exactly ±e^{-qT} per share, computed here from their own yield,
    and no gamma, and are counted."""
    a = analyze_chain(load_chain_file(chains_dir / SPX))
    p = a.prepared
    row = np.flatnonzero((p.strike == 1000.0) & p.is_call & (p.open_interest == 9487))
    assert len(row) == 1
    i = int(row[0])
    per_share = a.contracts.dex[i] / (9487 * 100 * p.spot)
    assert per_share == pytest.approx(math.exp(-p.dividend_yield[i] * p.t_years[i]), abs=1e-3)
    deep = np.flatnonzero(p.intrinsic)
    assert p.quality.iv_intrinsic == len(deep) >= 1
    assert any("intrinsic" in note for note in p.quality.notes)
    for j in deep:
        forward = p.spot * math.exp((p.rate - p.dividend_yield[j]) * p.t_years[j])
        assert (forward > p.strike[j]) if p.is_call[j] else (forward < p.strike[j])
        side = 1.0 if p.is_call[j] else -1.0
        expected = side * p.sign[j] * math.exp(-p.dividend_yield[j] * p.t_years[j]) \
            * p.open_interest[j] * p.multiplier[j] * p.spot
        assert a.contracts.dex[j] == pytest.approx(expected, rel=1e-12)
        assert a.contracts.gex[j] == 0.0 and a.contracts.vex[j] == 0.0
