"""OI change compares each contract with itself in the previous snapshot; contracts that
settled in between are counted apart, never as falls (SPY as of 2020-06-29, files on
../shared/chains: the 270 put fell 46,118 by strike totals, of which 28,886 expired)."""

from __future__ import annotations

import anyio
import numpy as np

from gex_mcp.parsing import load_chain_file
from gex_mcp.service import build_service
from gex_mcp.settings import Settings


def test_expired_contracts_are_apart_and_the_basis_names_the_gap(chains_dir, tmp_path):
    before = load_chain_file(chains_dir / "cboe_legacy_SPY_2020-06-22.dat")
    now = load_chain_file(chains_dir / "cboe_legacy_SPY_2020-06-28.dat")
    settings = Settings(_env_file=None, source="file", chains_dir=chains_dir, data_dir=tmp_path)

    async def ask():
        async with build_service(settings) as service:
            return (await service.call("oi_changes", symbol="SPY", as_of="2020-06-29"),
                    await service.call("gex", symbol="SPY", as_of="2020-06-29"))

    answer, gex = anyio.run(ask)
    oi = np.nan_to_num(before.open_interest)
    alive = before.settle_time > before.as_of.timestamp()
    still = alive & (before.settle_time > now.as_of.timestamp())
    put270 = (before.strike == 270) & ~before.is_call
    now_put = np.nansum(now.open_interest[(now.settle_time > now.as_of.timestamp())
                                          & (now.strike == 270) & ~now.is_call])
    assert now_put - oi[alive & put270].sum() == -46_118  # the old, misleading fall
    assert oi[alive & ~still & put270].sum() == 28_886  # of which expired
    row = next(s for s in gex.strikes if s.strike == 270)
    assert row.put_oi_change == now_put - oi[still & put270].sum() == -17_232
    assert answer.expired_oi == int(oi[alive & ~still].sum())
    assert answer.previous_as_of == before.as_of
    assert "the snapshot of 2020-06-22 16:00 ET, 4 sessions earlier" in answer.oi_change_basis
    assert f"expired: {answer.expired_oi:,}" in answer.oi_change_basis
    # each mover row gives its own expired OI, from the raw earlier file
    assert answer.movers
    for m in answer.movers:
        at = alive & ~still & (before.strike == m.strike)
        assert m.call_oi_expired == round(oi[at & before.is_call].sum())
        assert m.put_oi_expired == round(oi[at & ~before.is_call].sum())
    assert sum(m.put_oi_expired for m in answer.movers if m.strike == 270) in (0, 28_886)
