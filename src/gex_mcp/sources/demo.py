"""The `demo` source: a deterministic synthetic option market for offline use.

Every chain is generated, never fetched, and says so in `notes`. Given the same symbol and the
same clock value it returns identical arrays. Open interest is anchored to fixed strikes (a
hash of symbol, expiry, strike and side), so walls stay put from one day to the next while spot
drifts a little (at most about 0.7%). Per-day details (OI change, volume, quote spreads, rows with
missing IV) come from `np.random.default_rng` seeded with crc32 of the symbol and the New York date.

What the market looks like, so that every feature of the product has something to chew on:
- Expiries counted from the New York date of `as_of`: same-day (0DTE) while the session is open
  on a weekday, 12 daily expiries for the index products, 7 weekly Fridays, 8 third-Friday
  monthlies and two December LEAPS. Weekends are skipped, exchange holidays are not.
  AM-settled monthlies use the index root (SPX, NDX, RUT); other index expiries use the PM root
  (SPXW, NDXP, RUTW); on index monthlies both roots are listed. Nothing already settled is listed.
- Strike grids with the exchange's spacing: fine near spot, coarse in the wings, from about
  -3.5 to +3 sigma, widening with time to expiry.
- IV with a per-symbol level, a term structure and a skewed smile; prices, bid and ask from
  Black-Scholes (r = 4%, no dividends) with tick-rounded spreads.
- OI clustered at round strikes, heavier on monthlies, puts below spot and calls above. Where
  calls take over from puts sets the dealer-gamma regime: SPX, SPY, QQQ, NDX, AAPL, MSFT, AMZN
  and META sit in positive gamma (flip below spot); IWM, RUT, TSLA, NVDA and AMD in negative
  gamma (flip above spot, heavy put OI just above spot).
- `prev_open_interest` filled, a few zero-OI rows, and a few rows with a valid quote but no IV.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from gex_mcp.engine.calendar import (
    MIN_T_YEARS,
    NEW_YORK,
    SECONDS_PER_YEAR,
    expiry_on_or_before,
    is_trading_day,
    next_trading_day,
    quote_time,
    session_close,
    settlement_times,
)
from gex_mcp.engine.chain import OptionChain, build_chain
from gex_mcp.errors import UnknownSymbolError
from gex_mcp.sources.base import normalize_symbol

__all__ = ["DEMO_NOTE", "DEMO_SYMBOLS", "DemoSource", "generate_chain"]

DEMO_NOTE = "synthetic demo market: not real quotes"
DEMO_RATE = 0.04
REPLAY_HOURS = range(10, 17)  # the replay grid: 10:00 ... 16:00 New York
MAX_HOURLY_REPLAY = 35  # beyond (5 sessions), replay session closes only

DAILY_EXPIRY_COUNT = 12
WEEKLY_EXPIRY_COUNT = 7
MONTHLY_EXPIRY_COUNT = 8
LEAPS_COUNT = 2

# OI weight of an expiry relative to a weekly Friday.
_KIND_WEIGHT = {"daily": 0.35, "weekly": 1.0, "monthly": 2.6, "leaps": 1.6}


@dataclass(frozen=True)
class _Profile:
    """How one demo underlying looks.

    `flip_at` is the log-moneyness (from the anchor spot) where call OI overtakes put OI, over
    a transition `tilt_width` wide; the gamma flip lands near it. Negative means a flip below
    spot (positive gamma), positive a flip above spot (negative gamma).
    """

    spot: float
    vol: float  # 1-month ATM IV, decimal
    fine_step: float
    coarse_step: float
    round_steps: tuple[float, ...]  # strike multiples that gather OI, strongest first
    oi_scale: float  # contracts at a weekly's ATM strike, before boosts and noise
    flip_at: float
    tilt_width: float
    short_vol: float = 0.9  # ATM IV near expiry relative to 1 month (<1: contango)
    skew: float = -0.12  # IV slope per standard deviation of moneyness
    smile: float = 0.02  # IV curvature per squared standard deviation
    put_bias: float = 1.3  # put OI relative to call OI
    ticks: tuple[float, float] = (0.01, 0.05)  # tick below and at/above $3
    daily: bool = False
    pm_root: str | None = None
    am_root: str | None = None


_PROFILES: dict[str, _Profile] = {
    "SPX": _Profile(5900.0, 0.15, 5.0, 25.0, (100.0, 50.0, 25.0), 550.0, -0.022, 0.05,
                    put_bias=2.0, ticks=(0.05, 0.10), daily=True, pm_root="SPXW", am_root="SPX"),
    "SPY": _Profile(590.0, 0.145, 1.0, 5.0, (10.0, 5.0), 1100.0, -0.025, 0.05,
                    put_bias=2.0, ticks=(0.01, 0.01), daily=True),
    "QQQ": _Profile(510.0, 0.19, 1.0, 5.0, (10.0, 5.0), 900.0, -0.029, 0.06,
                    put_bias=1.8, ticks=(0.01, 0.01), daily=True),
    "NDX": _Profile(21000.0, 0.19, 25.0, 100.0, (500.0, 250.0, 100.0), 12.0, -0.02, 0.06,
                    put_bias=1.4, ticks=(0.05, 0.10), daily=True, pm_root="NDXP", am_root="NDX"),
    "IWM": _Profile(225.0, 0.22, 1.0, 5.0, (10.0, 5.0), 1100.0, 0.018, 0.06,
                    put_bias=1.8, ticks=(0.01, 0.01), daily=True),
    "RUT": _Profile(2250.0, 0.22, 5.0, 25.0, (100.0, 50.0, 25.0), 70.0, 0.019, 0.06,
                    put_bias=1.6, ticks=(0.05, 0.10), daily=True, pm_root="RUTW", am_root="RUT"),
    "TSLA": _Profile(340.0, 0.58, 2.5, 10.0, (50.0, 10.0, 5.0), 900.0, 0.065, 0.12,
                     short_vol=1.08, skew=-0.02, smile=0.02, put_bias=1.1),
    "AAPL": _Profile(230.0, 0.25, 2.5, 5.0, (50.0, 10.0, 5.0), 1800.0, -0.016, 0.07,
                     short_vol=0.95, skew=-0.04, smile=0.018, put_bias=1.0),
    "NVDA": _Profile(140.0, 0.50, 1.0, 5.0, (10.0, 5.0), 2800.0, 0.049, 0.1,
                     short_vol=1.06, skew=-0.025, smile=0.02, put_bias=1.1),
    "META": _Profile(600.0, 0.34, 5.0, 10.0, (100.0, 50.0, 10.0), 550.0, -0.008, 0.09,
                     short_vol=0.97, skew=-0.035, smile=0.018, put_bias=1.0),
    "AMD": _Profile(120.0, 0.48, 1.0, 5.0, (10.0, 5.0), 900.0, 0.046, 0.1,
                    short_vol=1.05, skew=-0.025, smile=0.02, put_bias=1.1),
    "MSFT": _Profile(430.0, 0.24, 2.5, 5.0, (50.0, 10.0, 5.0), 500.0, -0.022, 0.07,
                     short_vol=0.95, skew=-0.04, smile=0.018, put_bias=1.0),
    "AMZN": _Profile(210.0, 0.32, 2.5, 5.0, (50.0, 10.0, 5.0), 1400.0, -0.028, 0.08,
                     short_vol=0.97, skew=-0.035, smile=0.018, put_bias=1.0),
}

DEMO_SYMBOLS: tuple[str, ...] = tuple(sorted(_PROFILES))


class DemoSource:
    """Synthetic, deterministic option chains for the symbols in `DEMO_SYMBOLS`.

    Args:
        clock: returns the current time, timezone-aware; defaults to now in UTC. Tests pass a
            fixed clock to get a fixed chain.
    """

    name = "demo"

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))

    def symbols(self) -> list[str]:
        """The symbols the demo market lists."""
        return list(DEMO_SYMBOLS)

    async def fetch_chain(self, symbol: str, *, as_of: datetime | None = None) -> OptionChain:
        """The demo chain of `symbol` as of `as_of` (default `clock()`): the market can be
        regenerated at any past time, so demo replays like a folder of snapshots.

        Like real delayed quotes, the market stands still outside its sessions: at night, on
        weekends and holidays the chain is the one at the last close (`calendar.quote_time`),
        with `retrieved_at` saying when it was asked for.

        Raises:
            UnknownSymbolError: the symbol is malformed or not in the demo market.
            ValueError: the clock returned a naive datetime.
        """
        key = self._known(symbol)
        seen = as_of or self._clock()
        if seen.tzinfo is None:
            raise ValueError("the demo source's clock must return a timezone-aware datetime")
        quoted = quote_time(seen, key)
        chain = generate_chain(key, quoted)
        return chain if quoted == seen else replace(chain, retrieved_at=seen)

    def snapshot_times(self, symbol: str, since: datetime | None = None,
                       until: datetime | None = None) -> list[datetime]:
        """The demo's replay grid: every whole hour from 10:00 to the session's close New York
        (16:00, 13:00 on early-close days) on trading days, with since <= t <= until (until
        defaults to now, since to 5 days before it); only the closes when that would exceed
        MAX_HOURLY_REPLAY times.

        Raises:
            UnknownSymbolError: the symbol is not in the demo market.
        """
        self._known(symbol)
        now = self._clock()
        until = min(until or now, now)
        since = since or until - timedelta(days=5)
        day, last = since.astimezone(NEW_YORK).date(), until.astimezone(NEW_YORK).date()
        times, closes = [], []
        while day <= last:
            if is_trading_day(day):
                close = session_close(day).hour
                grid = [datetime.combine(day, time(hour), NEW_YORK) for hour in REPLAY_HOURS if hour <= close]
                times += [t for t in grid if since <= t <= until]
                closes += [t for t in grid[-1:] if since <= t <= until]
            day += timedelta(days=1)
        return closes if len(times) > MAX_HOURLY_REPLAY else times  # long windows: closes only

    def _known(self, symbol: str) -> str:
        key = normalize_symbol(symbol)
        if key not in _PROFILES:
            raise UnknownSymbolError(
                f"No demo data for {key!r}. The demo source knows: {', '.join(DEMO_SYMBOLS)}. "
                "Use source cboe for live delayed quotes."
            )
        return key

    async def aclose(self) -> None:
        """Nothing to release; present for symmetry with the network sources."""


def generate_chain(symbol: str, as_of: datetime) -> OptionChain:
    """Build the demo chain of a known, upper-case `symbol` at the aware time `as_of`."""
    profile = _PROFILES[symbol]
    symbol_seed = zlib.crc32(symbol.encode())
    ny_now = as_of.astimezone(NEW_YORK)
    rng = np.random.default_rng([symbol_seed, ny_now.date().toordinal()])
    spot = _spot(profile, symbol_seed, ny_now)

    listed = _listed_expiries(symbol, profile, ny_now)
    listed_day = np.array([day for day, _, _ in listed], dtype="datetime64[D]")
    listed_root = np.array([root for _, root, _ in listed])
    listed_weight = np.array([weight for _, _, weight in listed])
    listed_key = np.array([(symbol_seed << 20) ^ day.toordinal() ^ zlib.crc32(root.encode())
                           for day, root, _ in listed], dtype=np.uint64)
    listed_t = (settlement_times(listed_day, listed_root) - as_of.timestamp()) / SECONDS_PER_YEAR
    alive = np.flatnonzero(listed_t > 0)  # drop what has already settled
    grids = [_strike_grid(profile, float(listed_t[i])) for i in alive]

    row = np.repeat(alive, [2 * len(grid) for grid in grids])
    strike = np.concatenate([np.concatenate([grid, grid]) for grid in grids])
    is_call = np.concatenate([np.repeat([True, False], len(grid)) for grid in grids])
    root, expiry = listed_root[row], listed_day[row]
    oi = _open_interest(profile, listed_key[row], strike, is_call, listed_t[row],
                        listed_weight[row])
    t_years = np.maximum(listed_t[row], MIN_T_YEARS)
    n = len(strike)

    iv = _implied_vol(profile, spot, strike, t_years) + rng.normal(0.0, 0.0015, n)
    price = _bs_price(spot, strike, t_years, iv, is_call)
    bid, ask = _quotes(profile, price, rng)

    # A few freshly listed strikes: quoted and traded, no open interest yet.
    oi[rng.random(n) < 0.004] = 0.0
    sigma_t = iv * np.sqrt(np.maximum(t_years, 1.0 / 365.0))
    near = np.exp(-0.5 * (np.log(strike / spot) / (1.5 * sigma_t)) ** 2)
    days = t_years * 365.0
    turnover = 0.04 + 1.1 * np.exp(-days / 1.5) + 0.25 * np.exp(-days / 10.0)
    volume = np.round((oi + 0.5 * profile.oi_scale * near) * turnover * near
                      * rng.lognormal(0.0, 0.6, n))
    change = np.round(oi * rng.normal(0.03, 0.08, n) + 30.0 * near * rng.normal(0.0, 1.0, n))
    prev_oi = np.maximum(oi - change, 0.0)

    # Near-the-money quotes without an IV make the engine re-imply it from the mid.
    quoted = np.flatnonzero((bid > 0) & (t_years > 2.0 / 365.0) & (near > 0.3))
    no_iv = rng.choice(quoted, size=min(len(quoted), max(3, n // 400)), replace=False)
    iv[no_iv] = np.nan

    return build_chain(
        symbol=symbol,
        spot=spot,
        as_of=as_of,
        root=root,
        expiry=expiry,
        strike=strike,
        is_call=is_call,
        iv=iv,
        open_interest=oi,
        volume=volume,
        bid=bid,
        ask=ask,
        prev_open_interest=prev_oi,
        source="demo",
        notes=(DEMO_NOTE,),
    )


def _spot(profile: _Profile, symbol_seed: int, ny_now: datetime) -> float:
    """Anchor spot moved by a small deterministic daily and intraday drift (at most ~0.7%)."""
    phase = (symbol_seed % 1000) / 1000.0 * 2.0 * math.pi
    day = ny_now.date().toordinal()
    minute = ny_now.hour * 60 + ny_now.minute
    drift = 0.005 * math.sin(0.7 * day + phase) + 0.0015 * math.sin(2.0 * math.pi * minute / 97.0
                                                                   + phase)
    return round(profile.spot * (1.0 + drift), 2)


def _listed_expiries(symbol: str, profile: _Profile,
                     ny_now: datetime) -> list[tuple[date, str, float]]:
    """(expiry, root, OI weight) listed at `ny_now`, settled ones included (the caller drops)."""
    today = ny_now.date()
    session_open = is_trading_day(today) and ny_now.time() < session_close(today)
    first = today if session_open else next_trading_day(today)

    kinds: dict[date, str] = {}
    if profile.daily:
        day = first
        for _ in range(DAILY_EXPIRY_COUNT):
            kinds[day] = "daily"
            day = next_trading_day(day)
    friday = first + timedelta(days=(4 - first.weekday()) % 7)
    for week in range(WEEKLY_EXPIRY_COUNT):
        kinds[expiry_on_or_before(friday + timedelta(weeks=week))] = "weekly"
    year, month = first.year, first.month
    monthlies: list[date] = []
    while len(monthlies) < MONTHLY_EXPIRY_COUNT:
        third = _third_friday(year, month)
        if third >= first:
            monthlies.append(third)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for day in list(kinds):
        if day == _third_friday(day.year, day.month):
            kinds[day] = "monthly"
    kinds.update(dict.fromkeys(monthlies, "monthly"))
    leaps_year = monthlies[-1].year if monthlies[-1].month < 12 else monthlies[-1].year + 1
    for k in range(LEAPS_COUNT):
        kinds[_third_friday(leaps_year + k, 12)] = "leaps"

    pm_root = profile.pm_root or symbol
    listed: list[tuple[date, str, float]] = []
    for day in sorted(kinds):
        kind = kinds[day]
        weight = _KIND_WEIGHT[kind]
        if profile.am_root and kind in ("monthly", "leaps"):
            # The AM-settled standard contract carries most of an index monthly's OI.
            listed.append((day, profile.am_root, 0.75 * weight))
            if kind == "monthly":
                listed.append((day, pm_root, 0.25 * weight))
        else:
            listed.append((day, pm_root, weight))
    return listed


def _third_friday(year: int, month: int) -> date:
    """The standard monthly expiration: third Friday, moved earlier over a holiday."""
    first = date(year, month, 1)
    return expiry_on_or_before(first + timedelta(days=(4 - first.weekday()) % 7 + 14))


def _atm_vol(profile: _Profile, t_years: np.ndarray | float) -> np.ndarray | float:
    """ATM IV term structure: `short_vol` x vol near expiry, easing to vol at 1 month and beyond."""
    long_level = 1.0 + 0.3 * (1.0 - profile.short_vol)
    blend = np.exp(-np.asarray(t_years) / 0.06)
    return profile.vol * (long_level + (profile.short_vol - long_level) * blend)


def _implied_vol(profile: _Profile, spot: float, strike: np.ndarray,
                 t_years: np.ndarray) -> np.ndarray:
    """Skewed smile in standardized moneyness x = ln(K/S) / (atm * sqrt(t)), flat beyond it."""
    atm = _atm_vol(profile, t_years)
    x = np.clip(np.log(strike / spot) / (atm * np.sqrt(np.maximum(t_years, 1.0 / 365.0))), -5, 4)
    return atm * np.clip(1.0 + profile.skew * x + profile.smile * x * x, 0.5, 3.0)


def _strike_grid(profile: _Profile, t_years: float) -> np.ndarray:
    """Listed strikes: `fine_step` near spot, `coarse_step` out to -3.5 / +3 sigma."""
    sigma = float(_atm_vol(profile, t_years)) * math.sqrt(max(t_years, 2.0 / 365.0))
    s0 = profile.spot
    low = s0 * max(math.exp(-3.5 * sigma), 0.25)
    high = s0 * math.exp(3.0 * sigma)
    low, high = min(low, s0 * 0.96), min(max(high, s0 * 1.04), s0 * 1.8)
    fine = min(max(0.8 * sigma, 0.025), 0.10)
    coarse = profile.coarse_step
    # The fine zone ends on coarse strikes so that the grid steps only by fine or coarse.
    fine_low = math.floor(s0 * (1 - fine) / coarse) * coarse
    fine_high = math.ceil(s0 * (1 + fine) / coarse) * coarse

    def multiples(lo: float, hi: float, step: float) -> np.ndarray:
        return np.arange(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1) * step

    grid = np.concatenate([multiples(low, high, coarse),
                           multiples(max(fine_low, low), min(fine_high, high), profile.fine_step)])
    return np.unique(np.round(grid, 4))


def _open_interest(profile: _Profile, contract_key: np.ndarray, strike: np.ndarray,
                   is_call: np.ndarray, t_years: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """OI per contract: a bell around the anchor spot, round-strike boosts, side tilt, noise."""
    m = np.log(strike / profile.spot)
    width = np.maximum(1.5 * _atm_vol(profile, t_years) * np.sqrt(np.maximum(t_years, 20 / 365)),
                       0.05)
    # Out-of-the-money contracts hold more OI: put bells sit below spot, call bells above.
    # Fat tails, fatter on the downside where the hedging puts live.
    centred = m - np.where(is_call, 0.25, -0.35) * width
    tail = np.where(m < 0, 0.5, 0.06) * np.exp(-np.abs(m) / (2.0 * width))
    shape = np.exp(-0.5 * (centred / width) ** 2) + tail
    boost = np.ones_like(strike)
    for step, factor in zip(profile.round_steps, (3.5, 2.0, 1.4), strict=False):
        ratio = strike / step
        on_step = np.abs(ratio - np.round(ratio)) < 1e-6
        boost = np.where(on_step & (boost < factor), factor, boost)

    # Put-bias-weighted put OI equals call OI at log-moneyness `flip_at`.
    centre = profile.flip_at - profile.tilt_width * math.log(profile.put_bias)
    call_share = 1.0 / (1.0 + np.exp(-(m - centre) / profile.tilt_width))
    call_share = np.clip(call_share, 0.1, 0.9)
    side = np.where(is_call, call_share, profile.put_bias * (1.0 - call_share))

    noise = np.exp(0.45 * _hashed_normal(contract_key, strike, is_call))
    return np.round(2.0 * profile.oi_scale * weight * shape * boost * side * noise)


def _hashed_normal(contract_key: np.ndarray, strike: np.ndarray,
                   is_call: np.ndarray) -> np.ndarray:
    """Standard normals fixed per contract (splitmix64 hash + Box-Muller), stable across days."""
    key = _splitmix64(contract_key)
    key = _splitmix64(key ^ np.round(strike * 1000.0).astype(np.uint64))
    side = is_call.astype(np.uint64)
    u1 = _unit(_splitmix64(key ^ side))
    u2 = _unit(_splitmix64(key ^ (side + np.uint64(2))))
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * math.pi * u2)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    # uint64 arrays wrap on overflow without a warning (scalars would warn).
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _unit(x: np.ndarray) -> np.ndarray:
    """Uniform in [0, 1) from the top 53 bits."""
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, Abramowitz & Stegun 26.2.17 (absolute error < 7.5e-8)."""
    z = np.abs(x)
    k = 1.0 / (1.0 + 0.2316419 * z)
    poly = k * (0.319381530 + k * (-0.356563782 + k * (1.781477937
                                                       + k * (-1.821255978 + k * 1.330274429))))
    tail = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) * poly
    return np.where(x >= 0, 1.0 - tail, tail)


def _bs_price(spot: float, strike: np.ndarray, t_years: np.ndarray, iv: np.ndarray,
              is_call: np.ndarray) -> np.ndarray:
    """Black-Scholes price, USD per share, with rate DEMO_RATE and no dividends."""
    sqrt_t = np.sqrt(t_years)
    d1 = (np.log(spot / strike) + (DEMO_RATE + 0.5 * iv * iv) * t_years) / (iv * sqrt_t)
    d2 = d1 - iv * sqrt_t
    discount = strike * np.exp(-DEMO_RATE * t_years)
    call = spot * _norm_cdf(d1) - discount * _norm_cdf(d2)
    put = discount * _norm_cdf(-d2) - spot * _norm_cdf(-d1)
    return np.maximum(np.where(is_call, call, put), 0.0)


def _quotes(profile: _Profile, price: np.ndarray,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bid and ask around `price`, rounded outwards to the tick; bid 0 for worthless wings."""
    small, large = profile.ticks
    tick = np.where(price < 3.0, small, large)
    half = np.maximum(tick, (0.005 * price + tick) * rng.uniform(0.6, 1.4, len(price)))
    bid = np.floor((price - half) / tick + 1e-9) * tick
    ask = np.ceil((price + half) / tick - 1e-9) * tick
    return np.round(np.maximum(bid, 0.0), 2), np.round(np.maximum(ask, tick), 2)
