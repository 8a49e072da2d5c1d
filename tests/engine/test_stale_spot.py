"""A stale spot: the forwards of the near expirations agree on one underlying price, and a
quoted spot further from it than their spread is flagged and replaced, so that no chain is
priced off two spots (the near expirations off the stale one, the far ones off parity).

The stale files are edited copies of real ones, made here; the implied spot they are checked
against is read in the test from the raw mids (Cboe's VIX rule: the strike where call and put
mids are closest, F = K + e^{rT}(C - P)), not taken from the engine."""

from __future__ import annotations

import pytest

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.parsing import load_chain_file
from tests.engine import reference

LEGACY_SPX = "cboe_legacy_SPX_2020-09-04.dat"
AMD = "cboe_quotedata_AMD_2023-08-20.csv"
RATE = 0.04


def edited(chains_dir, tmp_path, name: str, old: str, new: str):
    text = (chains_dir / name).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_chain_file(tmp_path / name)


@pytest.mark.parametrize(("name", "old", "new"), [
    (LEGACY_SPX, "Index),3426.96,", "Index),3516.06,"),  # +2.6%
    (AMD, "Last: 105.6,", "Last: 108.77,"),  # +3%
])
def test_a_stale_spot_is_flagged_and_the_chain_priced_from_the_implied_one(
        chains_dir, tmp_path, name, old, new):
    original = load_chain_file(chains_dir / name)
    stale = edited(chains_dir, tmp_path, name, old, new)
    assert stale.spot / original.spot - 1 > 0.025
    truth = reference.parity_spot(original, RATE)
    a, base = analyze_chain(stale, rate=RATE), analyze_chain(original, rate=RATE)
    q = a.prepared.quality
    assert q.spot_stale and any("stale" in note for note in q.notes)
    assert not base.prepared.quality.spot_stale
    assert a.prepared.spot == pytest.approx(truth, rel=0.002)
    # one spot for the whole chain: every expiration read from parity, none pushed off it
    assert q.forward_fallbacks == base.prepared.quality.forward_fallbacks
    # the answer is the one the quotes give, whatever the spot line said: the same regime,
    # and net GEX within 2% (the unedited file is priced at its own quoted spot, itself a
    # few tenths of a percent from the implied one)
    assert a.regime.regime == base.regime.regime
    gross = abs(base.totals["call_gex"]) + abs(base.totals["put_gex"])
    assert abs(a.totals["net_gex"] - base.totals["net_gex"]) < 0.02 * gross


def test_a_spot_within_the_forwards_spread_is_not_flagged(chains_dir, tmp_path):
    """AMD's spot moved by 0.2% (inside the 0.5% floor): kept as quoted."""
    stale = edited(chains_dir, tmp_path, AMD, "Last: 105.6,", "Last: 105.81,")
    a = analyze_chain(stale, rate=RATE)
    assert not a.prepared.quality.spot_stale
    assert a.prepared.spot == stale.spot
