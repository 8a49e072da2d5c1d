"""The summary's words never contradict its hedging numbers (real CBOE snapshots)."""

from __future__ import annotations

import anyio
import pytest

from gex_mcp.service import build_service
from gex_mcp.settings import Settings

FILES = ["cboe_quotedata_SPX_2023-09-14.csv", "cboe_quotedata_SPY_2023-09-14.csv",
         "cboe_quotedata_SPX_2024-01-07.csv", "cboe_quotedata_NDX_2024-03-22.csv",
         "cboe_quotedata_AMD_2023-08-20.csv", "cboe_delayed_AAPL_2025-09-05.json",
         "cboe_quotedata_SPX_2022-02-05.csv"]


async def summary_of(path):
    async with build_service(Settings(_env_file=None), chain_file=path) as service:
        with anyio.fail_after(30):
            return await service.call("summary", symbol=service.default_symbol())


@pytest.mark.parametrize("name", FILES)
def test_the_interpretation_warns_exactly_when_a_1pct_hedge_goes_against_the_regime(chains_dir, name):
    s = anyio.run(summary_of, chains_dir / name)
    long, short = s.gamma_regime == "positive_gamma", s.gamma_regime == "negative_gamma"
    against = ((long and s.dealer_hedge_down_1pct.direction == "sell")
               or (short and s.dealer_hedge_up_1pct.direction == "sell"))
    assert ("Caveat:" in s.interpretation) == against, (name, s.interpretation)
    if against:
        move = s.dealer_hedge_down_1pct if long else s.dealer_hedge_up_1pct
        assert f"net sale of {abs(move.dealer_shares_to_trade):,.0f} shares" in s.interpretation


def test_spx_2023_09_14_says_the_fall_crosses_the_flip(chains_dir):
    """Flip 0.47% below spot: 'buy dips' alone would contradict the −1% hedge (a sale)."""
    s = anyio.run(summary_of, chains_dir / "cboe_quotedata_SPX_2023-09-14.csv")
    down = s.dealer_hedge_down_1pct
    assert s.underlying_price * 0.99 < s.gamma_flip < s.underlying_price and down.direction == "sell"
    assert s.interpretation.endswith(
        f"Caveat: a 1% fall (to {down.new_spot:.2f}) crosses the gamma flip at {s.gamma_flip:.2f}, "
        "where dealers turn short gamma, and the re-priced dealer hedge for it is a net sale of "
        f"{abs(down.dealer_shares_to_trade):,.0f} shares.")
