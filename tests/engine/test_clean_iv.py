"""Quoted IVs are cleaned before pricing: placeholders re-implied, percent columns rescaled.

The legacy .dat download writes 0.02 where it has no IV. Priced at 2%, an in-the-money call a
few days out has no gamma at all; CBOE's own gamma column (in the same file, computed by CBOE
with a real IV) says otherwise. The test reads that column with the csv module and prices
gamma by the textbook formula, independently of the engine.
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from datetime import datetime, time

import numpy as np
import pytest

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.engine.prepare import MIN_PLAUSIBLE_IV
from gex_mcp.parsing import load_chain_file
from gex_mcp.responses._common import data_quality

DAT = "cboe_legacy_SPY_2020-06-22.dat"
PLACEHOLDER = 0.02


def bs_gamma(spot: float, strike: float, years: float, vol: float, rate: float) -> float:
    """Black-Scholes gamma, no dividends: phi(d1) / (S sigma sqrt(T))."""
    d1 = (math.log(spot / strike) + (rate + vol * vol / 2) * years) / (vol * math.sqrt(years))
    return math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi) / (spot * vol * math.sqrt(years))


def placeholder_rows(path):
    """(expiry, strike, is_call, CBOE gamma) of live rows quoted with the placeholder IV and
    a CBOE gamma large enough to read (>= 0.005 after the file's 4-decimal rounding)."""
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    out = []
    for r in rows[3:]:
        expiry = datetime.strptime(r[0], "%m/%d/%Y").date()
        for is_call, (iv, gamma, oi) in ((True, (7, 9, 10)), (False, (18, 20, 21))):
            if float(r[iv]) == PLACEHOLDER and float(r[oi]) > 0 and float(r[gamma]) >= 0.005:
                out.append((expiry, float(r[11]), is_call, float(r[gamma])))
    return out


def test_placeholder_ivs_are_reimplied_and_then_agree_with_cboes_own_gamma(chains_dir):
    chain = load_chain_file(chains_dir / DAT)
    analysis = analyze_chain(chain)
    quality = analysis.prepared.quality
    raw = chain.iv
    live = chain.settle_time > chain.as_of.timestamp()
    with_oi = np.nan_to_num(chain.open_interest) > 0
    assert quality.iv_implausible == np.count_nonzero(
        live & with_oi & np.isfinite(raw) & (raw > 0) & ((raw < MIN_PLAUSIBLE_IV) | (raw > 10.0)))
    assert quality.iv_implausible > 200
    assert any("placeholders" in n for n in quality.notes)
    assert data_quality(quality).iv_implausible == quality.iv_implausible

    p = analysis.prepared
    iv_of = {(np.datetime64(e, "D"), k, c): v for e, k, c, v in zip(p.expiry, p.strike, p.is_call, p.iv)}
    rate = p.rate
    errors_clean, errors_placeholder = [], []
    for expiry, strike, is_call, cboe_gamma in placeholder_rows(chains_dir / DAT):
        key = (np.datetime64(expiry, "D"), strike, is_call)
        if key not in iv_of:
            continue  # settled at as_of
        settle = datetime.combine(expiry, time(16), NEW_YORK)
        years = (settle - chain.as_of).total_seconds() / (365 * 86400)
        assert iv_of[key] >= MIN_PLAUSIBLE_IV  # never priced at the placeholder
        errors_clean.append(abs(bs_gamma(chain.spot, strike, years, iv_of[key], rate) / cboe_gamma - 1))
        errors_placeholder.append(abs(bs_gamma(chain.spot, strike, years, PLACEHOLDER, rate) / cboe_gamma - 1))
    assert len(errors_clean) >= 20
    assert np.median(errors_placeholder) > 0.9  # at 2% these rows have almost no gamma
    assert np.median(errors_clean) < 0.2  # re-implied from the mid, they match CBOE's gamma


@pytest.mark.parametrize("name", ["cboe_quotedata_SPX_2023-09-14.csv", "cboe_quotedata_AMD_2023-08-20.csv"])
def test_an_iv_column_in_percent_is_detected_and_gives_the_same_numbers(chains_dir, name):
    chain = load_chain_file(chains_dir / name)
    in_percent = replace(chain, iv=chain.iv * 100.0)
    plain, scaled = analyze_chain(chain), analyze_chain(in_percent)
    assert not plain.prepared.quality.iv_percent_scaled
    assert scaled.prepared.quality.iv_percent_scaled
    assert "IV column is in percent: divided by 100." in scaled.prepared.quality.notes
    for key, value in plain.totals.items():
        assert scaled.totals[key] == pytest.approx(value, rel=1e-9), key
    assert scaled.flip.price == pytest.approx(plain.flip.price, rel=1e-9)


def test_clean_quotes_are_left_alone(chains_dir):
    """The modern CSV's IVs are plausible: nothing rescaled, and only a handful of rows flagged."""
    chain = load_chain_file(chains_dir / "cboe_quotedata_SPY_2023-09-14.csv")
    quality = analyze_chain(chain).prepared.quality
    assert not quality.iv_percent_scaled
    assert quality.iv_implausible <= 0.01 * quality.contracts_used
