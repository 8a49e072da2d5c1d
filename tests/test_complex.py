"""complex on the real 2023-09-14 SPX, SPY and XSP snapshots against an independent book:
each member's contracts priced with the scalar reference greeks at its own spot moved by the
index's percentage, summed, and the zero found by bisection; strikes on the SPX grid."""

from __future__ import annotations

import math
from pathlib import Path

import anyio
import numpy as np
import pytest

from gex_mcp.engine.prepare import DEFAULT_RATE, prepare_chain
from gex_mcp.errors import InputError
from gex_mcp.parsing import load_chain_file
from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from tests.engine import reference

pytestmark = pytest.mark.anyio

DAY = "2023-09-14"


def settings(chains_dir: Path) -> Settings:
    return Settings(_env_file=None, source="file", chains_dir=Path(chains_dir).resolve())


async def ask(chains_dir, name="complex", **arguments):
    async with build_service(settings(chains_dir)) as service:
        with anyio.fail_after(60):
            return await service.call(name, **arguments)


@pytest.fixture(scope="module")
def prepared(chains_dir):
    return {s: prepare_chain(load_chain_file(chains_dir / f"cboe_quotedata_{s}_{DAY}.csv"),
                             rate=DEFAULT_RATE) for s in ("SPX", "SPY", "XSP")}


def reference_book(p, x: float) -> float:
    """Σ over SPX, SPY, XSP contracts of s·Γ·OI·m·y²·0.01, each member priced at its own
    spot moved by the index's percentage: y = x · S_member / S_SPX."""
    total = 0.0
    for chain in p.values():
        y = x * chain.spot / p["SPX"].spot
        for i in range(len(chain)):
            t, q = float(chain.t_years[i]), float(chain.dividend_yield[i])
            g = reference.greeks(y, float(chain.strike[i]), t, float(chain.iv[i]), chain.rate, q,
                                 bool(chain.is_call[i]))["gamma"]
            total += chain.sign[i] * g * chain.open_interest[i] * chain.multiplier[i] * y * y * 0.01
    return total


async def test_spx_complex_flip_and_totals_against_the_reference_book(chains_dir, prepared):
    answer = await ask(chains_dir, symbol="SPX", as_of=DAY)
    assert [m.symbol for m in answer.members] == ["SPX", "SPY", "XSP"]
    assert all(m.error is None and m.as_of.date().isoformat() == DAY for m in answer.members)
    assert answer.as_of_mismatch is False and answer.symbol == "SPX"
    # each member's dollar GEX in the book is its own chain's net GEX (the gex answer)
    for m in answer.members:
        own = await ask(chains_dir, "gex", symbol=m.symbol, as_of=DAY)
        assert math.isclose(m.net_gex, own.net_gex, rel_tol=1e-9)
    assert math.isclose(answer.net_gex, sum(m.net_gex for m in answer.members), rel_tol=1e-12)
    assert math.isclose(sum(m.gross_gex_share_pct for m in answer.members), 100, abs_tol=0.02)
    spot = prepared["SPX"].spot
    assert math.isclose(answer.net_gex, reference_book(prepared, spot), rel_tol=1e-6)
    # the flip: bisection on the reference book
    lo, hi = answer.gamma_flip - 10, answer.gamma_flip + 10
    f_lo = reference_book(prepared, lo)
    assert f_lo * reference_book(prepared, hi) < 0
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        f_mid = reference_book(prepared, mid)
        lo, hi, f_lo = (mid, hi, f_mid) if f_mid * f_lo > 0 else (lo, mid, f_lo)
    assert abs(answer.gamma_flip - (lo + hi) / 2) <= 0.02
    # SPY is ~1/10 of SPX with its dividend in the forward; XSP is exactly 1/10
    spy, xsp = answer.members[1], answer.members[2]
    assert 9.95 < spy.forward_ratio < 10.1 and abs(xsp.forward_ratio - 10) < 0.01


async def test_key_strikes_and_walls_lie_on_the_index_grid(chains_dir, prepared):
    answer = await ask(chains_dir, symbol="XSP", as_of=DAY)  # any member names the complex
    grid = set(np.unique(prepared["SPX"].strike).tolist())
    assert answer.symbol == "SPX" and 0 < len(answer.strikes) <= 20
    for row in answer.strikes:
        assert row.strike in grid
        assert math.isclose(row.net_gex, row.call_gex + row.put_gex, rel_tol=1e-9, abs_tol=1.0)
    for level in (answer.call_wall, answer.put_wall, answer.max_positive_gamma, answer.max_negative_gamma):
        assert level in grid


async def test_members_apart_are_flagged_and_failures_listed(chains_dir):
    # latest files: SPX 2025-01-06, SPY and XSP 2023-09-14: years apart
    apart = await ask(chains_dir, symbol="SPX")
    assert apart.as_of_mismatch is True and apart.as_of_spread_sessions > 1
    # NDX 2022-02-05 has no QQQ snapshot at or before it: QQQ is listed with its error
    ndx = await ask(chains_dir, symbol="NDX", as_of="2022-02-05")
    qqq = next(m for m in ndx.members if m.symbol == "QQQ")
    assert qqq.error and qqq.net_gex is None and ndx.members[0].error is None
    with pytest.raises(InputError, match="not in an index complex"):
        await ask(chains_dir, symbol="AAPL")
