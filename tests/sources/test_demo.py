"""The demo source: deterministic, realistic enough to exercise every feature, clearly labelled."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from gex_mcp.engine.calendar import quote_time
from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import UnknownSymbolError
from gex_mcp.sources.demo import DEMO_NOTE, DEMO_SYMBOLS, DemoSource

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAY_MORNING = datetime(2025, 6, 10, 14, 0, tzinfo=UTC)  # Tuesday 10:00 New York
AFTER_FRIDAY_CLOSE = datetime(2025, 6, 13, 20, 30, tzinfo=UTC)  # Friday 16:30 New York
SATURDAY = datetime(2025, 6, 14, 15, 0, tzinfo=UTC)
THIRD_FRIDAY_MORNING = datetime(2025, 6, 20, 14, 0, tzinfo=UTC)  # SPX AM monthly settled at 09:30
LATER_MONDAY = datetime(2026, 3, 2, 17, 45, tzinfo=UTC)

ANCHOR_SPOTS = {
    "SPY": 590.0, "SPX": 5900.0, "QQQ": 510.0, "NDX": 21000.0, "IWM": 225.0, "RUT": 2250.0,
    "TSLA": 340.0, "AAPL": 230.0, "NVDA": 140.0, "META": 600.0, "AMD": 120.0, "MSFT": 430.0,
    "AMZN": 210.0,
}
POSITIVE_GAMMA = ("SPY", "SPX", "QQQ", "NDX", "AAPL", "MSFT", "AMZN", "META")
NEGATIVE_GAMMA = ("TSLA", "IWM", "NVDA", "RUT", "AMD")
DAILY_EXPIRY_SYMBOLS = ("SPX", "SPY", "QQQ", "IWM")
REGIME_CLOCKS = (WEEKDAY_MORNING, SATURDAY, THIRD_FRIDAY_MORNING, LATER_MONDAY)
RATE = 0.04


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def fetch(symbol: str, clock: datetime = WEEKDAY_MORNING) -> OptionChain:
    return await DemoSource(clock=lambda: clock).fetch_chain(symbol)


def dealer_gamma_usd(chain: OptionChain, spot: float) -> float:
    """Independent total dealer GEX (long calls, short puts), USD per 1% move, rows with an IV."""
    t = np.maximum((chain.settle_time - chain.as_of.timestamp()) / (365.0 * 86400.0), 1e-5)
    ok = np.isfinite(chain.iv) & (chain.iv > 0)
    strike, t, iv, oi = chain.strike[ok], t[ok], chain.iv[ok], chain.open_interest[ok]
    d1 = (np.log(spot / strike) + (RATE + 0.5 * iv**2) * t) / (iv * np.sqrt(t))
    gamma = np.exp(-0.5 * d1**2) / math.sqrt(2.0 * math.pi) / (spot * iv * np.sqrt(t))
    sign = np.where(chain.is_call[ok], 1.0, -1.0)
    return float(np.sum(sign * gamma * oi * 100.0 * spot**2 * 0.01))


def ny_date(chain: OptionChain, row: int) -> date:
    return datetime.fromtimestamp(chain.settle_time[row], NEW_YORK).date()


@pytest.mark.anyio
async def test_same_symbol_and_clock_give_identical_chains() -> None:
    """Two sources with the same clock return the same spot, time and arrays, NaNs included."""
    first, second = await fetch("SPX"), await fetch("SPX")
    assert (first.spot, first.as_of, first.symbol) == (second.spot, second.as_of, second.symbol)
    for name in ("strike", "settle_time", "iv", "open_interest", "volume", "bid", "ask",
                 "prev_open_interest", "multiplier"):
        assert np.array_equal(getattr(first, name), getattr(second, name), equal_nan=True), name
    for name in ("root", "expiry", "is_call"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name


@pytest.mark.anyio
@pytest.mark.parametrize("symbol", sorted(ANCHOR_SPOTS))
async def test_every_demo_symbol_loads_a_labelled_chain_near_its_usual_price(symbol: str) -> None:
    """Each listed symbol gives a non-empty demo chain whose spot is within 1% of its level."""
    chain = await fetch(symbol)
    assert symbol in DEMO_SYMBOLS
    assert chain.symbol == symbol
    assert chain.source == "demo"
    assert DEMO_NOTE in chain.notes
    assert len(chain) > 500
    assert chain.spot == pytest.approx(ANCHOR_SPOTS[symbol], rel=0.01)
    assert chain.as_of == WEEKDAY_MORNING
    assert np.all(chain.multiplier == 100.0)


@pytest.mark.anyio
async def test_symbols_are_case_insensitive_and_stripped() -> None:
    """' spy ' and 'SPY' are the same demo chain, and '^spx' is SPX."""
    assert np.array_equal((await fetch(" spy ")).open_interest, (await fetch("SPY")).open_interest)
    assert (await fetch("^spx")).symbol == "SPX"


@pytest.mark.anyio
async def test_unknown_symbol_error_lists_the_demo_symbols_and_the_live_source() -> None:
    """A symbol outside the demo market raises UnknownSymbolError (exit 2) naming what exists."""
    with pytest.raises(UnknownSymbolError) as info:
        await fetch("xyz")
    assert info.value.exit_code == 2
    assert str(info.value) == (
        "No demo data for 'XYZ'. The demo source knows: AAPL, AMD, AMZN, IWM, META, MSFT, NDX, "
        "NVDA, QQQ, RUT, SPX, SPY, TSLA. Use source cboe for live delayed quotes."
    )


@pytest.mark.anyio
async def test_malformed_symbol_is_an_unknown_symbol_error() -> None:
    """Path-like input is rejected before any generation."""
    with pytest.raises(UnknownSymbolError):
        await fetch("../SPY")


@pytest.mark.anyio
@pytest.mark.parametrize("symbol", DAILY_EXPIRY_SYMBOLS)
async def test_weekday_morning_lists_a_same_day_expiry(symbol: str) -> None:
    """At 10:00 New York on a Tuesday the daily-expiry products list that Tuesday (0DTE)."""
    chain = await fetch(symbol)
    assert chain.expirations[0] == "2025-06-10"


@pytest.mark.anyio
@pytest.mark.parametrize("symbol", DAILY_EXPIRY_SYMBOLS)
async def test_saturday_has_no_same_day_expiry_and_starts_on_monday(symbol: str) -> None:
    """On a Saturday nothing expires today; the earliest expiry is the next weekday."""
    chain = await fetch(symbol, SATURDAY)
    assert "2025-06-14" not in chain.expirations
    assert chain.expirations[0] == "2025-06-16"


@pytest.mark.anyio
async def test_after_the_close_the_earliest_expiry_is_the_next_weekday() -> None:
    """At 16:30 on a Friday the Friday expiry is gone and Monday comes first."""
    chain = await fetch("SPY", AFTER_FRIDAY_CLOSE)
    assert chain.expirations[0] == "2025-06-16"


@pytest.mark.anyio
async def test_stocks_expire_on_fridays_or_the_day_before_a_holiday() -> None:
    """Single stocks list weekly Fridays (Thursday when the Friday is a holiday)."""
    chain = await fetch("TSLA")
    assert chain.expirations[0] == "2025-06-13"
    days = [np.datetime64(e, "D").astype(object) for e in chain.expirations]
    assert "2025-07-03" in chain.expirations and "2025-07-04" not in chain.expirations
    assert {d.weekday() for d in days if d.isoformat() != "2025-07-03"} == {4}


@pytest.mark.anyio
async def test_spx_lists_am_settled_spx_monthlies_and_pm_settled_spxw() -> None:
    """SPX rows are third-Friday monthlies settling 09:30; SPXW rows settle at 16:00."""
    chain = await fetch("SPX")
    assert set(chain.root.tolist()) == {"SPX", "SPXW"}
    for row in np.flatnonzero(chain.root == "SPX"):
        day = chain.expiry[row].astype(object)
        assert day.weekday() == 4 and 15 <= day.day <= 21
    settle = {(str(r), datetime.fromtimestamp(s, NEW_YORK).strftime("%H:%M"))
              for r, s in zip(chain.root, chain.settle_time, strict=True)}
    assert settle == {("SPX", "09:30"), ("SPXW", "16:00")}


@pytest.mark.anyio
@pytest.mark.parametrize("clock", [WEEKDAY_MORNING, AFTER_FRIDAY_CLOSE, SATURDAY,
                                   THIRD_FRIDAY_MORNING, LATER_MONDAY])
@pytest.mark.parametrize("symbol", ["SPX", "SPY", "TSLA", "NDX"])
async def test_no_listed_contract_has_settled(symbol: str, clock: datetime) -> None:
    """Every row settles after as_of, including on a third Friday after the 09:30 AM settlement."""
    chain = await fetch(symbol, clock)
    assert np.all(chain.settle_time > clock.timestamp())


@pytest.mark.anyio
async def test_third_friday_morning_keeps_spxw_but_not_the_settled_spx_monthly() -> None:
    """At 10:00 on an expiration Friday the PM SPXW contract is live, the AM SPX one is gone."""
    chain = await fetch("SPX", THIRD_FRIDAY_MORNING)
    today = chain.expiry == np.datetime64("2025-06-20")
    assert set(chain.root[today].tolist()) == {"SPXW"}


@pytest.mark.anyio
@pytest.mark.parametrize("symbol", sorted(ANCHOR_SPOTS))
async def test_columns_are_finite_where_the_engine_needs_them(symbol: str) -> None:
    """Strike, OI, previous OI, volume and quotes are finite, non-negative and ask >= bid."""
    chain = await fetch(symbol)
    for name in ("strike", "open_interest", "prev_open_interest", "volume", "bid", "ask"):
        column = getattr(chain, name)
        assert np.all(np.isfinite(column)), name
        assert np.all(column >= 0), name
    assert np.all(chain.strike > 0)
    assert np.all(chain.ask >= chain.bid)
    assert np.all(chain.ask > 0)


@pytest.mark.anyio
async def test_strike_grids_are_fine_near_spot_and_coarse_in_the_wings() -> None:
    """SPX steps 5 points near spot and 25 far out; SPY steps 1 dollar near spot."""
    spx = await fetch("SPX")
    near = np.unique(spx.strike[np.abs(spx.strike / spx.spot - 1) < 0.02])
    assert set(np.diff(near).tolist()) == {5.0}
    leaps = spx.expiry == spx.expiry.max()
    wing = np.unique(spx.strike[leaps & (spx.strike < 0.8 * spx.spot)])
    assert set(np.diff(wing).tolist()) == {25.0}
    spy = await fetch("SPY")
    near = np.unique(spy.strike[np.abs(spy.strike / spy.spot - 1) < 0.02])
    assert set(np.diff(near).tolist()) == {1.0}


@pytest.mark.anyio
async def test_strike_range_widens_with_time_to_expiry() -> None:
    """The last expiry spans a much wider strike range than the first."""
    chain = await fetch("SPX")
    first, last = chain.expiry == chain.expiry.min(), chain.expiry == chain.expiry.max()
    assert np.ptp(chain.strike[last]) > 3 * np.ptp(chain.strike[first])


@pytest.mark.anyio
async def test_iv_has_a_put_skew_and_a_term_structure() -> None:
    """Low strikes carry higher IV than high ones; short and long ATM IV differ by symbol style."""
    spx = await fetch("SPX")
    month = spx.expiry == np.datetime64("2025-07-18")
    low = np.nanmean(spx.iv[month & (np.abs(spx.strike / spx.spot - 0.92) < 0.01)])
    atm = np.nanmean(spx.iv[month & (np.abs(spx.strike / spx.spot - 1.0) < 0.005)])
    high = np.nanmean(spx.iv[month & (np.abs(spx.strike / spx.spot - 1.05) < 0.01)])
    assert low > atm > high

    def atm_iv(chain: OptionChain, expiry: np.datetime64) -> float:
        rows = (chain.expiry == expiry) & (np.abs(chain.strike / chain.spot - 1) < 0.01)
        return float(np.nanmean(chain.iv[rows]))

    assert atm_iv(spx, spx.expiry.min()) < atm_iv(spx, spx.expiry.max())  # index: contango
    tsla = await fetch("TSLA")
    assert atm_iv(tsla, tsla.expiry.min()) > atm_iv(tsla, tsla.expiry.max())  # stock: inverted
    assert atm_iv(tsla, tsla.expiry.max()) > 2 * atm_iv(spx, spx.expiry.max())


@pytest.mark.anyio
async def test_open_interest_clusters_at_round_strikes() -> None:
    """Near spot, SPX strikes at multiples of 100 hold far more OI than off-grid 5-point strikes."""
    chain = await fetch("SPX")
    near = np.abs(chain.strike / chain.spot - 1) < 0.05
    strikes, inverse = np.unique(chain.strike[near], return_inverse=True)
    per_strike = np.bincount(inverse, weights=chain.open_interest[near])
    round_ = per_strike[strikes % 100 == 0].mean()
    odd = per_strike[strikes % 25 != 0].mean()
    assert round_ > 3 * odd


@pytest.mark.anyio
async def test_puts_dominate_below_spot_and_calls_above() -> None:
    """SPY put OI outweighs call OI well below spot; call OI outweighs put OI well above."""
    chain = await fetch("SPY")
    below, above = chain.strike < 0.95 * chain.spot, chain.strike > 1.05 * chain.spot
    oi, call = chain.open_interest, chain.is_call
    assert oi[below & ~call].sum() > 2 * oi[below & call].sum()
    assert oi[above & call].sum() > 2 * oi[above & ~call].sum()


@pytest.mark.anyio
async def test_monthly_expiries_hold_more_open_interest_than_neighbouring_weeklies() -> None:
    """SPY's July monthly holds more OI than the Fridays a week either side."""
    chain = await fetch("SPY")

    def total(day: str) -> float:
        return float(chain.open_interest[chain.expiry == np.datetime64(day)].sum())

    assert total("2025-07-18") > 1.5 * max(total("2025-07-11"), total("2025-07-25"))


@pytest.mark.anyio
async def test_volume_turns_over_short_dated_contracts_faster() -> None:
    """Volume relative to OI is far higher on the same-day expiry than on the LEAPS."""
    chain = await fetch("SPX")
    first, last = chain.expiry == chain.expiry.min(), chain.expiry == chain.expiry.max()
    turnover_first = chain.volume[first].sum() / chain.open_interest[first].sum()
    turnover_last = chain.volume[last].sum() / chain.open_interest[last].sum()
    assert turnover_first > 10 * turnover_last


@pytest.mark.anyio
@pytest.mark.parametrize("symbol", ["SPX", "SPY", "TSLA"])
async def test_some_rows_lack_iv_but_carry_a_quote_to_reimply_it_from(symbol: str) -> None:
    """A few near-the-money rows have NaN IV with bid > 0 and a mid above intrinsic value."""
    chain = await fetch(symbol)
    missing = np.flatnonzero(np.isnan(chain.iv))
    assert len(missing) >= 3
    bid, ask = chain.bid[missing], chain.ask[missing]
    assert np.all(bid > 0) and np.all(ask > bid)
    t = (chain.settle_time[missing] - chain.as_of.timestamp()) / (365.0 * 86400.0)
    forward_strike = chain.strike[missing] * np.exp(-RATE * t)
    intrinsic = np.where(chain.is_call[missing], chain.spot - forward_strike,
                         forward_strike - chain.spot)
    assert np.all((bid + ask) / 2 > np.maximum(intrinsic, 0.0))


@pytest.mark.anyio
async def test_some_contracts_have_no_open_interest() -> None:
    """Freshly listed contracts with zero OI are present."""
    chain = await fetch("SPY")
    assert np.count_nonzero(chain.open_interest == 0) >= 3


@pytest.mark.anyio
async def test_previous_open_interest_is_filled_and_moves() -> None:
    """prev_open_interest is known everywhere and differs from today's OI on many rows."""
    chain = await fetch("SPX")
    assert np.all(np.isfinite(chain.prev_open_interest))
    changed = chain.prev_open_interest != chain.open_interest
    assert changed.mean() > 0.5


@pytest.mark.anyio
async def test_open_interest_stays_anchored_to_strikes_from_day_to_day() -> None:
    """Contracts listed on two consecutive days keep closely related OI (walls do not jump)."""
    tuesday = await fetch("SPX", WEEKDAY_MORNING)
    wednesday = await fetch("SPX", datetime(2025, 6, 11, 14, 0, tzinfo=UTC))

    def by_contract(chain: OptionChain) -> dict[tuple[str, str, float, bool], float]:
        return {(str(r), str(e), float(k), bool(c)): float(oi) for r, e, k, c, oi in zip(
            chain.root, chain.expiry, chain.strike, chain.is_call, chain.open_interest,
            strict=True)}

    a, b = by_contract(tuesday), by_contract(wednesday)
    common = sorted(set(a) & set(b))
    assert len(common) > 5000
    correlation = np.corrcoef([a[k] for k in common], [b[k] for k in common])[0, 1]
    assert correlation > 0.95


@pytest.mark.anyio
@pytest.mark.parametrize("clock", REGIME_CLOCKS)
@pytest.mark.parametrize("symbol", POSITIVE_GAMMA)
async def test_positive_gamma_symbols_have_dealers_net_long_gamma(
        symbol: str, clock: datetime) -> None:
    """Total dealer GEX at spot is positive for the index products and large caps."""
    chain = await fetch(symbol, clock)
    assert dealer_gamma_usd(chain, chain.spot) > 0


@pytest.mark.anyio
@pytest.mark.parametrize("clock", REGIME_CLOCKS)
@pytest.mark.parametrize("symbol", NEGATIVE_GAMMA)
async def test_negative_gamma_symbols_stay_net_short_gamma_two_percent_higher(
        symbol: str, clock: datetime) -> None:
    """Total dealer GEX is negative at spot and still negative with spot 2% higher."""
    chain = await fetch(symbol, clock)
    assert dealer_gamma_usd(chain, chain.spot) < 0
    assert dealer_gamma_usd(chain, 1.02 * chain.spot) < 0


@pytest.mark.anyio
@pytest.mark.parametrize("symbol", ["SPY", "SPX", "IWM", "TSLA"])
async def test_dealer_gamma_changes_sign_within_fifteen_percent_of_spot(symbol: str) -> None:
    """A gamma flip exists: total GEX takes both signs for spots within 15% of the current one."""
    chain = await fetch(symbol)
    grid = chain.spot * np.linspace(0.85, 1.15, 61)
    signs = {np.sign(dealer_gamma_usd(chain, s)) for s in grid}
    assert {-1.0, 1.0} <= signs


@pytest.mark.anyio
async def test_default_clock_is_now() -> None:
    """Without a clock the chain is the market's at the real time: now while it trades,
    else the last close (with retrieved_at now)."""
    before = datetime.now(UTC)
    chain = await DemoSource().fetch_chain("SPY")
    after = datetime.now(UTC)
    assert quote_time(before, "SPY") <= chain.as_of <= quote_time(after, "SPY")
    if chain.retrieved_at is not None:
        assert before <= chain.retrieved_at <= after and chain.as_of < before


@pytest.mark.anyio
@pytest.mark.parametrize(("seen", "close"), [
    (datetime(2026, 11, 29, 9, 47, tzinfo=NEW_YORK), datetime(2026, 11, 27, 13, 0, tzinfo=NEW_YORK)),
    (datetime(2025, 6, 11, 21, 5, tzinfo=NEW_YORK), datetime(2025, 6, 11, 16, 0, tzinfo=NEW_YORK)),
    (datetime(2025, 7, 4, 11, 0, tzinfo=NEW_YORK), datetime(2025, 7, 3, 13, 0, tzinfo=NEW_YORK)),
])
async def test_outside_a_session_the_market_stands_at_the_last_close(seen, close) -> None:
    """A Sunday after the Thanksgiving early close, a weekday evening, Independence Day:
    the chain is the one at the close (same spot and quotes at any later moment), and
    retrieved_at says when it was asked for."""
    chain = await DemoSource(clock=lambda: seen).fetch_chain("SPY")
    later = await DemoSource(clock=lambda: seen + timedelta(hours=1)).fetch_chain("SPY")
    at_close = await DemoSource(clock=lambda: close).fetch_chain("SPY")
    assert chain.as_of == close and chain.retrieved_at == seen
    assert chain.spot == later.spot == at_close.spot
    np.testing.assert_array_equal(chain.bid, at_close.bid)


@pytest.mark.anyio
async def test_naive_clock_is_rejected() -> None:
    """A clock returning a naive datetime is a programming error (ValueError)."""
    source = DemoSource(clock=lambda: datetime(2025, 6, 10, 10, 0))
    with pytest.raises(ValueError) as info:
        await source.fetch_chain("SPY")
    assert str(info.value) == "the demo source's clock must return a timezone-aware datetime"


def test_demo_source_is_named_demo() -> None:
    """The source reports its name as 'demo'."""
    assert DemoSource.name == "demo"


def test_the_replay_grid_ends_at_each_sessions_close_early_closes_included():
    """Black Friday 2026-11-27 closes at 13:00 (NYSE); Thanksgiving is shut; others run to 16:00."""
    source = DemoSource(clock=lambda: datetime(2026, 11, 28, 12, 0, tzinfo=NEW_YORK))
    times = source.snapshot_times("SPY", since=datetime(2026, 11, 25, 0, 0, tzinfo=NEW_YORK))
    by_day: dict[str, list[int]] = {}
    for t in times:
        by_day.setdefault(t.strftime("%Y-%m-%d"), []).append(t.hour)
    assert by_day == {"2026-11-25": list(range(10, 17)), "2026-11-27": [10, 11, 12, 13]}
