"""`OptionChain`: one snapshot of an option chain as numpy columns, the engine's input.

One row per contract (a call and a put at the same strike and expiry are two rows).
Units: prices and strikes in USD per share, `iv` as a decimal (0.175 = 17.5%),
open interest and volume in contracts, `settle_time` in Unix seconds (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

DEFAULT_MULTIPLIER = 100.0

_FLOAT_COLUMNS = ("strike", "settle_time", "iv", "open_interest", "volume", "bid", "ask",
                  "prev_open_interest", "multiplier")


@dataclass(frozen=True, eq=False)
class OptionChain:
    """A chain snapshot: spot, time, and per-contract columns of equal length.

    Attributes:
        symbol: underlying as users type it ("SPX", not "_SPX" or "^SPX").
        spot: underlying price, USD.
        as_of: snapshot time, timezone-aware.
        root: OCC root per row ("SPXW", "SPX"); str array.
        expiry: expiration date per row, datetime64[D].
        settle_time: settlement instant per row, Unix seconds (16:00 New York, 09:30 for AM roots).
        strike: USD.
        is_call: bool.
        iv: implied volatility, decimal; NaN or <= 0 means missing (re-implied from mid later).
        open_interest, volume: contracts (float64).
        bid, ask: USD per share; NaN when unknown.
        prev_open_interest: the previous day's OI when the source knows it, else NaN.
        multiplier: shares per contract (100 for US equity and index options).
        source: where the snapshot came from ("file:NAME", "cboe", "demo").
        notes: free-text remarks from the loader (e.g. a date spelling it repaired).
        quote_spot: the spot at which bid/ask were quoted, when `spot` was moved away from
            it (what-if analysis); None means `spot`. Missing IVs are implied at this spot,
            so a hypothetical spot re-prices options at their snapshot IVs.
        retrieved_at: when the snapshot was downloaded or fetched, when that differs from
            `as_of` (the quotes' market time: a Sunday download holds Friday's close).
        quote_clock: how `as_of` was chosen from the file's own IVs (which candidate time
            reproduces them, and how well), when the loader could tell; else None.
    """

    symbol: str
    spot: float
    as_of: datetime
    root: np.ndarray
    expiry: np.ndarray
    settle_time: np.ndarray
    strike: np.ndarray
    is_call: np.ndarray
    iv: np.ndarray
    open_interest: np.ndarray
    volume: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    prev_open_interest: np.ndarray
    multiplier: np.ndarray
    source: str = "unknown"
    notes: tuple[str, ...] = field(default=())
    quote_spot: float | None = None
    retrieved_at: datetime | None = None
    quote_clock: str | None = None

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware")
        n = len(self.strike)
        for name in (*_FLOAT_COLUMNS, "root", "expiry", "is_call"):
            column = getattr(self, name)
            if len(column) != n:
                raise ValueError(f"column {name!r} has {len(column)} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.strike)

    def take(self, index: np.ndarray) -> OptionChain:
        """Rows selected by a boolean mask or integer index, as a new chain."""
        columns = {name: getattr(self, name)[index]
                   for name in (*_FLOAT_COLUMNS, "root", "expiry", "is_call")}
        return replace(self, **columns)

    def with_open_interest(self, open_interest: np.ndarray) -> OptionChain:
        """Same chain with OI replaced (used by tests and OI-scaling properties)."""
        return replace(self, open_interest=np.asarray(open_interest, dtype=np.float64))

    def with_spot(self, spot: float) -> OptionChain:
        """Same quotes, hypothetical spot (IVs stay those of the snapshot)."""
        return replace(self, spot=float(spot), quote_spot=self.quote_spot or self.spot)

    def with_prev_open_interest(self, prev: np.ndarray) -> OptionChain:
        return replace(self, prev_open_interest=np.asarray(prev, dtype=np.float64))

    @property
    def live(self) -> np.ndarray:
        """Mask of the rows not yet settled at `as_of` (the options still trading)."""
        return self.settle_time > self.as_of.timestamp()

    @property
    def expirations(self) -> list[str]:
        """Distinct expiration dates, ISO strings, ascending."""
        return [str(d) for d in np.unique(self.expiry)]


def two_sided(bid: np.ndarray, ask: np.ndarray) -> np.ndarray:
    """Mask of quotes with a real market on both sides (bid > 0, ask >= bid): the ones whose
    mid means something (parity forwards, straddles)."""
    return np.isfinite(bid) & np.isfinite(ask) & (bid > 0) & (ask >= bid)


#: Open interest above this many contracts in one series is a corrupt value (the largest US
#: series hold a few million); build_chain reads it as unknown (NaN) and says so in `notes`.
MAX_PLAUSIBLE_OI = 50_000_000


def build_chain(
    *,
    symbol: str,
    spot: float,
    as_of: datetime,
    root: np.ndarray | list[str],
    expiry: np.ndarray | list,
    strike: np.ndarray | list[float],
    is_call: np.ndarray | list[bool],
    iv: np.ndarray | list[float],
    open_interest: np.ndarray | list[float],
    volume: np.ndarray | list[float] | None = None,
    bid: np.ndarray | list[float] | None = None,
    ask: np.ndarray | list[float] | None = None,
    prev_open_interest: np.ndarray | list[float] | None = None,
    multiplier: float | np.ndarray = DEFAULT_MULTIPLIER,
    source: str = "unknown",
    notes: tuple[str, ...] = (),
    retrieved_at: datetime | None = None,
) -> OptionChain:
    """Build a chain from columns, filling optional ones and computing settlement times.

    Raises:
        ValueError: columns of unequal length or a naive `as_of`.
    """
    from gex_mcp.engine.calendar import settlement_times

    n = len(strike)

    def floats(values, default: float) -> np.ndarray:
        if values is None:
            return np.full(n, default, dtype=np.float64)
        return np.asarray(values, dtype=np.float64)

    roots = np.asarray(root, dtype=str)
    expiries = np.asarray(expiry, dtype="datetime64[D]")
    open_interest = floats(open_interest, 0.0)
    absurd = open_interest > MAX_PLAUSIBLE_OI
    if absurd.any():  # a corrupt feed, not a position: every answer would repeat it
        open_interest = np.where(absurd, np.nan, open_interest)
        notes = (*notes, f"{int(absurd.sum())} contracts reported open interest above "
                         f"{MAX_PLAUSIBLE_OI:,} (no real position is that large); read as unknown")
    bids, asks = floats(bid, np.nan), floats(ask, np.nan)
    negative = (bids < 0) | (asks < 0)
    if negative.any():  # no real quote is below zero: unknown, not a price
        bids, asks = np.where(bids < 0, np.nan, bids), np.where(asks < 0, np.nan, asks)
        notes = (*notes, f"{int(negative.sum())} contracts quoted a negative bid or ask; read "
                         "as unknown")
    return OptionChain(
        symbol=symbol,
        spot=float(spot),
        as_of=as_of,
        root=roots,
        expiry=expiries,
        settle_time=settlement_times(expiries, roots),
        strike=floats(strike, np.nan),
        is_call=np.asarray(is_call, dtype=bool),
        iv=floats(iv, np.nan),
        open_interest=open_interest,
        volume=floats(volume, 0.0),
        bid=bids,
        ask=asks,
        prev_open_interest=floats(prev_open_interest, np.nan),
        multiplier=floats(np.broadcast_to(multiplier, (n,)), DEFAULT_MULTIPLIER),
        source=source,
        notes=notes,
        retrieved_at=retrieved_at,
    )
