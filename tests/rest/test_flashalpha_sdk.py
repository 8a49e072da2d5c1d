"""FlashAlpha's official Python SDK, pointed at our server with `base_url`, gets our answers.

The SDK (`flashalpha` on PyPI) sends `X-Api-Key` and parses JSON into dicts; its errors
come from the status codes. Checked on the file source (real CBOE snapshots) and the demo.
"""

from __future__ import annotations

import anyio
import pytest
from flashalpha import AuthenticationError, FlashAlpha, NotFoundError, RateLimitError

from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from tests.conftest import CHAINS_DIR
from tests.rest.conftest import KEYS, demo_service


@pytest.fixture(scope="module")
def file_sdk(tmp_path_factory):
    from tests.rest.conftest import running

    settings = Settings(_env_file=None, source="file", chains_dir=CHAINS_DIR,
                        data_dir=tmp_path_factory.mktemp("data"))
    service = build_service(settings)
    with running(service, keys=KEYS) as url:
        yield FlashAlpha(KEYS[1], base_url=url), build_service(settings)
    anyio.run(service.aclose)


def own(service, name, **arguments):
    return anyio.run(lambda: service.call(name, **arguments))


def test_sdk_gex_dex_vex_chex_equal_our_answers_on_a_real_chain(file_sdk):
    fa, service = file_sdk
    gex = fa.gex("SPX")
    ours = own(service, "gex", symbol="SPX")
    assert (gex["symbol"], gex["underlying_price"], gex["gamma_flip"]) == (
        "SPX", ours.underlying_price, ours.gamma_flip)
    assert gex["net_gex"] == ours.net_gex and gex["net_gex_label"] == ours.net_gex_label
    assert [s["strike"] for s in gex["strikes"]] == [s.strike for s in ours.strikes]
    assert gex["strikes"][100]["call_oi"] == ours.strikes[100].call_oi
    day = own(service, "expirations", symbol="SPX").expirations[0].expiration
    for greek in ("dex", "vex", "chex"):
        answer = getattr(fa, greek)("SPX", expiration=day)
        mine = own(service, greek, symbol="SPX", expiration=day)
        assert answer[f"net_{greek}"] == getattr(mine, f"net_{greek}")
        assert answer["expiration"] == day and len(answer["strikes"]) == len(mine.strikes)
    filtered = fa.gex("SPX", expiration=day, min_oi=1000)
    assert filtered["min_oi"] == 1000
    assert all(s["call_oi"] + s["put_oi"] >= 1000 for s in filtered["strikes"])


def test_sdk_levels_and_summary_read_the_guides_nesting(file_sdk):
    fa, service = file_sdk
    levels = fa.exposure_levels("SPX")
    ours = own(service, "levels", symbol="SPX")
    assert levels["levels"]["call_wall"] == ours.call_wall
    assert levels["levels"]["gamma_flip"] == ours.gamma_flip
    summary = fa.exposure_summary("SPX")
    mine = own(service, "summary", symbol="SPX")
    spot, flip = mine.underlying_price, mine.gamma_flip
    assert summary["regime"] == ("unknown" if flip is None else
                                 "positive_gamma" if spot >= flip else "negative_gamma")
    assert summary["exposures"]["net_gex"] == mine.net_gex and "net_gex" not in summary
    # the guide's linear estimate, and our re-priced one beside it under its own name
    assert summary["hedging_estimate"]["spot_down_1pct"]["dealer_shares_to_trade"] == round(mine.net_gex / spot)
    assert summary["dealer_hedge_down_1pct"]["dealer_shares_to_trade"] == \
        mine.dealer_hedge_down_1pct.dealer_shares_to_trade
    assert summary["interpretation"]["gamma"] == mine.interpretation


def test_sdk_errors_map_from_our_statuses(file_sdk, serve):
    fa, _ = file_sdk
    with pytest.raises(NotFoundError) as missing:
        fa.gex("ZZZZ")
    assert "ZZZZ" in str(missing.value)
    with pytest.raises(AuthenticationError):
        FlashAlpha("not-a-key", base_url=fa.base_url).exposure_levels("SPX")
    with serve(demo_service(), keys=KEYS, rate_limit_per_minute=1) as url:
        limited = FlashAlpha(KEYS[0], base_url=url)
        limited.exposure_levels("SPY")
        with pytest.raises(RateLimitError) as info:
            limited.exposure_levels("SPY")
    assert info.value.retry_after is not None and 1 <= info.value.retry_after <= 60


def test_sdk_on_the_demo_market_gets_the_demo_answers(serve):
    """The same calls on the demo source, flagged as demo data."""
    service = demo_service()
    with serve(service, keys=KEYS) as url:
        fa = FlashAlpha(KEYS[0], base_url=url)
        gex, levels = fa.gex("QQQ"), fa.exposure_levels("QQQ")
    assert gex["is_demo"] is True and gex["source"] == "demo"
    assert gex["net_gex"] == own(service, "gex", symbol="QQQ").net_gex
    assert levels["levels"]["put_wall"] == own(service, "levels", symbol="QQQ").put_wall
