"""Clean a chain for analysis: drop settled rows, floor time, fill IV, apply filters.

The output `PreparedChain` holds only contracts that contribute to the sums (OI > 0,
finite positive IV, positive time), plus the dealer sign of each contract, and a
`Quality` record counting what was dropped and why.

Dealer sign models (the position dealers are assumed to hold):
- "long_calls_short_puts" (default): +1 for calls, -1 for puts. Customers sell calls
  (overwriting) and buy puts (protection), so call GEX >= 0 and put GEX <= 0.
- "short_all": -1 for every contract; dealers sold everything customers hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gex_mcp.engine.aggregate import sum_by_strike
from gex_mcp.engine.calendar import MIN_T_YEARS, NEW_YORK, years_to_expiry
from gex_mcp.engine.chain import OptionChain
from gex_mcp.engine.forwards import IMPLIED_SPOT_HORIZON, REASONS, implied_spot, parity_forwards
from gex_mcp.engine.greeks import IV_CAP, IV_FLOOR, delta, implied_vol

DEALER_MODELS = ("long_calls_short_puts", "short_all")
DEFAULT_DEALER_MODEL = DEALER_MODELS[0]
DEFAULT_RATE = 0.04  # decimal; discounts, and carries spot where a chain gives no forward
DEFAULT_DIVIDEND_YIELD = 0.0  # decimal; used only where a chain gives no forward
#: Quoted IVs outside [MIN_PLAUSIBLE_IV, MAX_PLAUSIBLE_IV] (decimal, annualised) are not market
#: data: the legacy .dat download writes 0.02 (and 0.01) where it has no IV, and no US equity or
#: index option trades below 3% a year. They are treated as missing and re-implied.
MIN_PLAUSIBLE_IV = IV_FLOOR  # 0.03
MAX_PLAUSIBLE_IV = IV_CAP  # 10.0
#: A file whose median quoted IV is above this is in percent (300 would be 30,000%/yr).
PERCENT_MEDIAN_IV = 3.0


@dataclass
class Quality:
    """Row counts from cleaning (contracts, not strikes)."""

    contracts_total: int = 0
    contracts_used: int = 0
    expired_dropped: int = 0
    iv_reimplied: int = 0
    iv_from_pair: int = 0
    iv_missing_skipped: int = 0
    iv_intrinsic: int = 0  # deep in the money without an IV: intrinsic delta, zero gamma
    zero_open_interest: int = 0
    filtered_min_oi: int = 0
    filtered_expiration: int = 0
    duplicates_dropped: int = 0
    iv_implausible: int = 0
    iv_percent_scaled: bool = False
    forward_fallbacks: int = 0  # settlements priced off the r/q settings, not parity
    implied_spot: float | None = None  # USD, the spot the near parity forwards agree on
    spot_stale: bool = False  # the quoted spot was off it; priced from implied_spot
    quote_clock: str | None = None  # the loader's evidence for as_of (vendor IVs), if any
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class PreparedChain:
    """Contracts ready for pricing; arrays of equal length, all finite."""

    symbol: str
    spot: float
    as_of_epoch: float
    today: np.datetime64
    expiry: np.ndarray
    strike: np.ndarray
    is_call: np.ndarray
    iv: np.ndarray
    t_years: np.ndarray
    open_interest: np.ndarray
    volume: np.ndarray
    oi_change: np.ndarray  # per used contract; NaN where the previous OI is unknown
    change_strike: np.ndarray  # OI changes of every live row (zero OI today included)
    change_is_call: np.ndarray
    change_value: np.ndarray  # contracts, finite only (rows with unknown previous OI left out)
    multiplier: np.ndarray
    sign: np.ndarray
    rate: float
    dividend_yield: np.ndarray  # per contract: r - ln(F/S)/T of its expiry's forward, or the setting
    forward_implied: np.ndarray  # per contract: True where the forward came from parity
    quality: Quality
    #: per contract: deep in the money with no usable IV; priced at the σ -> 0 limit
    #: (delta ±e^{-qT}, gamma, vanna 0; `iv` holds IV_FLOOR only as a finite placeholder)
    intrinsic: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.strike)


def repeated_contracts(chain: OptionChain, rows: np.ndarray) -> np.ndarray:
    """Mask of the rows among `rows` that repeat an earlier row's contract: same settlement
    instant (expiry, and AM or PM, which tells SPX from SPXW), strike, side and multiplier.
    Summing them would count OI twice. Numeric keys only: no string sort on the hot path."""
    idx = np.flatnonzero(rows)
    repeated = np.zeros(len(chain), dtype=bool)
    if len(idx) < 2:
        return repeated
    # One int64 per row: settlement minute, strike in 1/1000 USD, side, multiplier in
    # tenths, each counted from its smallest value, packed by their spans (SPX, with six
    # years of LEAPS and strikes to 12,000: ~3e6 minutes x 1.2e7 x 2 x 1 = 7e13 < 9.2e18).
    strike_milli, mult_tenths = chain.strike[idx] * 1000.0, chain.multiplier[idx] * 10.0
    if not (np.all(np.abs(strike_milli) < 2.0 ** 52) and np.all(np.abs(mult_tenths) < 2.0 ** 52)):
        return _repeated_by_columns(chain, idx, repeated)  # absurd values: no exact integer
    columns = [np.rint(chain.settle_time[idx] / 60.0).astype(np.int64),
               np.rint(strike_milli).astype(np.int64), chain.is_call[idx].astype(np.int64),
               np.rint(mult_tenths).astype(np.int64)]
    lows = [int(c.min()) for c in columns]
    lows[2] = 0  # the side is 0 or 1 whatever the rows hold
    spans = [int(c.max()) - low + 1 for c, low in zip(columns, lows, strict=True)]
    spans[2] = 2
    if math.prod(spans) >= 2 ** 63:
        return _repeated_by_columns(chain, idx, repeated)
    key = np.zeros(len(idx), dtype=np.int64)
    for column, low, span in zip(columns, lows, spans, strict=True):
        key *= span
        key += column - low
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    repeated[idx[order[1:][ordered[1:] == ordered[:-1]]]] = True
    return repeated


def _repeated_by_columns(chain: OptionChain, idx: np.ndarray, repeated: np.ndarray) -> np.ndarray:
    """`repeated_contracts` for keys too wide to pack in one int64 (absurd strikes)."""
    keys = (chain.is_call[idx], chain.strike[idx], chain.settle_time[idx], chain.multiplier[idx])
    order = np.lexsort(keys)
    same = np.ones(len(idx) - 1, dtype=bool)
    for key in keys:
        ordered = key[order]
        same &= ordered[1:] == ordered[:-1]
    repeated[idx[order[1:][same]]] = True
    return repeated


def clean_iv(quoted: np.ndarray, rows: np.ndarray, quality: Quality) -> np.ndarray:
    """Quoted IVs (decimal per year) made usable; the counts go to `quality`.

    - A column in percent (median of the positive quotes above PERCENT_MEDIAN_IV) is divided
      by 100, and a note says so.
    - Values outside [MIN_PLAUSIBLE_IV, MAX_PLAUSIBLE_IV] become NaN, so they are re-implied
      from the mid like a missing IV; `iv_implausible` counts those among `rows`.
    """
    iv = np.asarray(quoted, dtype=np.float64).copy()
    quoted_ok = np.isfinite(iv) & (iv > 0)
    if quoted_ok.any() and float(np.median(iv[quoted_ok])) > PERCENT_MEDIAN_IV:
        iv /= 100.0
        quality.iv_percent_scaled = True
        quality.notes.append("IV column is in percent: divided by 100.")
    implausible = quoted_ok & ((iv < MIN_PLAUSIBLE_IV) | (iv > MAX_PLAUSIBLE_IV))
    iv[implausible] = np.nan
    quality.iv_implausible = int(np.count_nonzero(implausible & rows))
    if quality.iv_implausible:
        quality.notes.append(
            f"{quality.iv_implausible} quoted IVs outside {MIN_PLAUSIBLE_IV:.0%}-{MAX_PLAUSIBLE_IV:.0%} "
            "a year (placeholders such as 0.02) were treated as missing and re-implied.")
    return iv


#: |delta| e^{qT} at σ = IV_FLOOR at or above which a contract is deep in the money: at the
#: lowest plausible vol its delta is within 1% of ±1 (d1 beyond ±2.33 standard deviations).
DEEP_ITM_DELTA = 0.99


def deep_in_the_money(spot, strike, t_years, is_call, rate, dividend_yield) -> np.ndarray:
    """Mask of contracts deep in the money: |Δ(σ = IV_FLOOR)| e^{qT} >= DEEP_ITM_DELTA, i.e.
    ln(F/K) > 2.33 x 3% x √T for a call (F < K likewise for a put), F = S e^{(r-q)T}.
    Such a row's mid sits at intrinsic value, below the band an IV can be implied from."""
    d = delta(spot, strike, t_years, IV_FLOOR, is_call, rate, dividend_yield)
    return np.abs(d) * np.exp(np.asarray(dividend_yield) * t_years) >= DEEP_ITM_DELTA


def dealer_sign(is_call: np.ndarray, dealer_model: str) -> np.ndarray:
    """+1/-1 per contract: the dealer's side under `dealer_model` (see module docstring)."""
    if dealer_model == "long_calls_short_puts":
        return np.where(is_call, 1.0, -1.0)
    if dealer_model == "short_all":
        return np.full(len(is_call), -1.0)
    raise ValueError(f"unknown dealer model {dealer_model!r}; expected one of {DEALER_MODELS}")


def prepare_chain(
    chain: OptionChain,
    *,
    rate: float = DEFAULT_RATE,
    dividend_yield: float = DEFAULT_DIVIDEND_YIELD,
    dealer_model: str = DEFAULT_DEALER_MODEL,
    expiration: np.datetime64 | str | None = None,
    min_oi: float = 0.0,
    previous_strike_oi: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> PreparedChain:
    """Select the contracts that enter the sums and fill what is missing.

    Steps: drop rows repeating a contract already listed (counted); drop rows settled at
    `as_of`; keep only `expiration` when given; floor time at MIN_T_YEARS; drop zero-OI rows;
    read each settlement's forward from put-call parity (forwards.py) and price its contracts
    with q = r - ln(F/S)/T, or with `dividend_yield` where parity cannot be read (counted);
    clean quoted IVs (`clean_iv`: percent columns, placeholders); re-imply missing IV from the
    bid/ask mid; failing that
    (a mid outside the no-arbitrage band, common for deep in-the-money rows), take the IV
    of the other side of the same (root, expiry, strike), equal by put-call parity; else
    keep it as intrinsic (`deep_in_the_money`: delta ±e^{-qT}, zero gamma, counted in
    `iv_intrinsic`) when it is deep in the money, else skip the row and count it; drop
    strikes whose call+put OI is below `min_oi`.

    OI change comes from the chain's own `prev_open_interest` when it has any; otherwise
    from `previous_strike_oi` = (strikes, call OI, put OI) of an earlier snapshot, all
    expiries, compared with today's live OI per strike (used only without `expiration`,
    since the stored snapshot is not split by expiry). A strike missing on either side
    counts as 0 there.

    Raises:
        ValueError: spot not finite and positive, or an unknown dealer model.
    """
    if not (np.isfinite(chain.spot) and chain.spot > 0):
        raise ValueError(f"spot must be a positive number, got {chain.spot!r}")
    quality = Quality(contracts_total=len(chain), notes=list(chain.notes),
                      quote_clock=chain.quote_clock)
    today = np.datetime64(chain.as_of.astimezone(NEW_YORK).date(), "D")
    t = years_to_expiry(chain.settle_time, chain.as_of)
    valid = np.isfinite(chain.strike) & (chain.strike > 0) & np.isfinite(t)
    repeated = repeated_contracts(chain, valid)
    quality.duplicates_dropped = int(np.count_nonzero(repeated))
    valid &= ~repeated
    alive = valid & (t > 0)
    quality.expired_dropped = int(np.count_nonzero(valid & ~alive))
    keep = alive
    if expiration is not None:
        on_date = chain.expiry == np.datetime64(expiration, "D")
        quality.filtered_expiration = int(np.count_nonzero(keep & ~on_date))
        keep = keep & on_date
    quoted_rows = keep.copy()  # parity reads every live quote in scope, whatever its OI
    oi = np.nan_to_num(chain.open_interest, nan=0.0)
    has_oi = oi > 0
    quality.zero_open_interest = int(np.count_nonzero(keep & ~has_oi))
    keep = keep & has_oi
    t = np.maximum(t, MIN_T_YEARS)
    quote_spot = chain.quote_spot or chain.spot
    q, implied, quote_spot = _carry(chain, quoted_rows, keep, t, rate, dividend_yield, quote_spot,
                                    quality)
    # a stale quoted spot is replaced by the implied one; a what-if spot stays what it is
    spot = quote_spot if quality.spot_stale and chain.quote_spot is None else float(chain.spot)

    iv, intrinsic = _fill_iv(chain, keep, t, q, quote_spot, rate, quality)
    if min_oi > 0 and keep.any():
        _filter_min_oi(chain.strike, oi, keep, min_oi, quality)
    prev = chain.prev_open_interest
    change_strike, change_is_call, change_value = _oi_change(
        chain, alive, oi, expiration, previous_strike_oi)
    sel = np.flatnonzero(keep)
    quality.contracts_used = len(sel)
    return PreparedChain(
        symbol=chain.symbol,
        spot=spot,
        as_of_epoch=chain.as_of.timestamp(),
        today=today,
        expiry=chain.expiry[sel],
        strike=chain.strike[sel],
        is_call=chain.is_call[sel],
        iv=iv[sel],
        t_years=t[sel],
        open_interest=oi[sel],
        volume=np.nan_to_num(chain.volume[sel], nan=0.0),
        oi_change=oi[sel] - prev[sel],
        change_strike=change_strike,
        change_is_call=change_is_call,
        change_value=change_value,
        multiplier=chain.multiplier[sel],
        sign=dealer_sign(chain.is_call[sel], dealer_model),
        rate=rate,
        dividend_yield=q[sel],
        forward_implied=implied[sel],
        quality=quality,
        intrinsic=intrinsic[sel],
    )



def _fill_iv(chain: OptionChain, keep: np.ndarray, t: np.ndarray, q: np.ndarray,
             quote_spot: float, rate: float, quality: Quality) -> tuple[np.ndarray, np.ndarray]:
    """(IV per row, intrinsic rows): quoted IVs cleaned; missing ones re-implied from the
    bid/ask mid, else taken from the other side of the strike, else the row is intrinsic when
    deep in the money or dropped from `keep` (each counted in `quality`)."""
    iv = clean_iv(chain.iv, keep, quality)
    missing = keep & ~(np.isfinite(iv) & (iv > 0))
    intrinsic = np.zeros(len(chain), dtype=bool)
    if not missing.any():
        return iv, intrinsic
    idx = np.flatnonzero(missing)
    bid, ask = chain.bid[idx], chain.ask[idx]
    quoted = np.isfinite(bid) & np.isfinite(ask) & (bid >= 0) & (ask > 0) & (ask >= bid)
    mid = np.where(quoted, 0.5 * (bid + ask), np.nan)
    reimplied = implied_vol(mid, quote_spot, chain.strike[idx], t[idx], chain.is_call[idx],
                            rate, q[idx])
    iv[idx] = reimplied
    ok = np.isfinite(reimplied)
    quality.iv_reimplied = int(np.count_nonzero(ok))
    if ok.all():
        return iv, intrinsic
    still = idx[~ok]
    paired = _pair_iv(chain, iv, still)
    iv[still] = paired
    got = np.isfinite(paired)
    quality.iv_from_pair = int(np.count_nonzero(got))
    none = still[~got]
    deep = deep_in_the_money(quote_spot, chain.strike[none], t[none], chain.is_call[none],
                             rate, q[none])
    intrinsic[none[deep]] = True
    iv[none[deep]] = IV_FLOOR
    quality.iv_intrinsic = int(np.count_nonzero(deep))
    quality.iv_missing_skipped = int(np.count_nonzero(~deep))
    keep[none[~deep]] = False
    if quality.iv_intrinsic:
        quality.notes.append(
            f"{quality.iv_intrinsic} deep in-the-money rows without a usable IV "
            "counted at intrinsic value (delta ±1, zero gamma).")
    return iv, intrinsic


def _filter_min_oi(strike: np.ndarray, oi: np.ndarray, keep: np.ndarray, min_oi: float,
                   quality: Quality) -> None:
    """Drop from `keep` the rows of strikes whose call+put OI (kept rows) is below `min_oi`."""
    strikes, inverse = np.unique(strike[keep], return_inverse=True)
    per_strike = np.bincount(inverse, weights=oi[keep], minlength=len(strikes))
    big = per_strike[inverse] >= min_oi
    idx = np.flatnonzero(keep)
    quality.filtered_min_oi = int(np.count_nonzero(~big))
    keep[idx[~big]] = False


def _oi_change(chain: OptionChain, alive: np.ndarray, oi: np.ndarray,
               expiration: np.datetime64 | str | None,
               previous_strike_oi: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(strike, is_call, change) of OI: from the chain's own previous OI where it has any,
    else against `previous_strike_oi` per strike (all expiries only); see `prepare_chain`."""
    prev = chain.prev_open_interest
    known = (alive if expiration is None else alive & (chain.expiry == np.datetime64(expiration, "D")))
    known = known & np.isfinite(prev)
    if not known.any() and previous_strike_oi is not None and expiration is None:
        return _strike_oi_change(chain.strike[alive], chain.is_call[alive], oi[alive],
                                 previous_strike_oi)
    return chain.strike[known], chain.is_call[known], oi[known] - prev[known]

def _carry(chain: OptionChain, quoted_rows: np.ndarray, keep: np.ndarray, t: np.ndarray,
           rate: float, dividend_yield: float, quote_spot: float,
           quality: Quality) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-row yield q, whether it came from parity (see forwards.py), and the spot the quotes
    were made at: `quote_spot`, or the spot the near forwards agree on when `quote_spot` is
    stale (`implied_spot`; flagged in `quality` with a note). Rows of a settlement whose parity
    cannot be read get `dividend_yield`, and those settlements are counted in
    `quality.forward_fallbacks` with a note naming them and why."""
    q = np.full(len(chain), float(dividend_yield))
    implied = np.zeros(len(chain), dtype=bool)
    if not keep.any():
        return q, implied, quote_spot
    forwards = parity_forwards(chain, quoted_rows, t, rate, quote_spot)
    agreed = implied_spot(forwards, quote_spot)
    if agreed is not None:
        quality.implied_spot = agreed.spot
        if agreed.stale:
            quality.spot_stale = True
            quality.notes.append(
                f"spot {quote_spot:g} is stale: the put-call parity forwards of "
                f"{agreed.expirations} expirations from a week to {IMPLIED_SPOT_HORIZON * 12:g} months "
                f"agree on {agreed.spot:.6g} (to {agreed.spread:.2%}), "
                f"{np.log(quote_spot / agreed.spot):+.2%} away; priced from {agreed.spot:.6g}.")
            quote_spot = agreed.spot
            forwards = parity_forwards(chain, quoted_rows, t, rate, quote_spot)
    idx = np.flatnonzero(keep)
    pos, reason = forwards.lookup(chain.settle_time[idx])
    ok = reason == 0
    q[idx[ok]] = forwards.carry_yield[pos[ok]]
    implied[idx] = ok
    if not ok.all():
        minutes, first = np.unique(np.rint(chain.settle_time[idx[~ok]] / 60.0), return_index=True)
        quality.forward_fallbacks = len(minutes)
        why = reason[~ok][first]
        listed = [f"{chain.expiry[idx[~ok]][i]} ({REASONS[int(w)]})" for i, w in
                  zip(first[:3], why[:3])]
        more = f" and {len(minutes) - 3} more" if len(minutes) > 3 else ""
        quality.notes.append(
            f"{len(minutes)} expirations priced with the rate and dividend-yield settings "
            f"(r={rate:g}, q={dividend_yield:g}) instead of a put-call parity forward: "
            + ", ".join(listed) + more + ".")
    return q, implied, quote_spot


def _strike_oi_change(strike, is_call, oi, previous):
    """Per-strike (strike, is_call, change) rows: today's OI minus a stored snapshot's."""
    prev_strikes, prev_call, prev_put = (np.asarray(a, dtype=np.float64) for a in previous)
    strikes = np.unique(np.concatenate([strike, prev_strikes]))
    n = len(strikes)
    now_call, now_put = sum_by_strike(np.searchsorted(strikes, strike), n, is_call, oi)
    pidx = np.searchsorted(strikes, prev_strikes)
    before_call = np.bincount(pidx, weights=prev_call, minlength=n)
    before_put = np.bincount(pidx, weights=prev_put, minlength=n)
    return (np.concatenate([strikes, strikes]),
            np.concatenate([np.ones(n, bool), np.zeros(n, bool)]),
            np.concatenate([now_call - before_call, now_put - before_put]))


def live_strike_oi(chain: OptionChain) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(strikes, call OI, put OI) summed over every unsettled row: what history stores."""
    alive = years_to_expiry(chain.settle_time, chain.as_of) > 0
    strikes, idx = np.unique(chain.strike[alive], return_inverse=True)
    oi = np.nan_to_num(chain.open_interest[alive], nan=0.0)
    return (strikes, *sum_by_strike(idx, len(strikes), chain.is_call[alive], oi))


def _pair_iv(chain: OptionChain, iv: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """IV of the opposite side at the same settlement and strike for `rows`; NaN if none.

    The settlement instant stands for (root, expiry): SPX and SPXW on one date settle at
    09:30 and 16:00, so they never lend each other an IV.
    """
    minutes = np.rint(chain.settle_time / 60.0).astype(np.int64)
    key = minutes * 10**9 + np.rint(chain.strike * 1000).astype(np.int64)
    valid = np.isfinite(iv) & (iv > 0)
    out = np.full(len(rows), np.nan)
    for side in (True, False):
        want = chain.is_call[rows] != side  # rows on the other side look up this side
        donors = np.flatnonzero(valid & (chain.is_call == side))
        if not want.any() or len(donors) == 0:
            continue
        order = np.argsort(key[donors])
        sorted_keys = key[donors][order]
        k = key[rows[want]]
        pos = np.minimum(np.searchsorted(sorted_keys, k), len(sorted_keys) - 1)
        hit = sorted_keys[pos] == k
        found = np.full(len(k), np.nan)
        found[hit] = iv[donors[order[pos[hit]]]]
        out[want] = found
    return out
