"""The basket answer: each member's summary, fetched concurrently, weighted into one book
(formulas in `gex_mcp.responses.basket`).

A symbol the source has no data for (unknown symbol, no data) is listed as missing and the
other weights re-scaled; any other failure (e.g. the source is down) fails the basket, so a
sum is never silently short of a member that has data.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence

import anyio

from gex_mcp.endpoints.args import MAX_BASKET_SYMBOLS
from gex_mcp.errors import GexError, InputError, NoDataError, UnknownSymbolError
from gex_mcp.models import BasketResponse, SummaryResponse
from gex_mcp.responses import basket_response
from gex_mcp.sources.base import normalize_symbol

CONCURRENCY = 4  # members asked at once (as the scan)


def basket_weights(names: Sequence[str], weights: Sequence[float] | None) -> list[float]:
    """One weight per name (1 each when none are given).

    Raises:
        InputError: repeated names; not one finite number >= 0 per name; all zero.
    """
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"symbols lists {', '.join(twice)} more than once; give each symbol "
                         "once with its total weight.")
    if not 1 <= len(names) <= MAX_BASKET_SYMBOLS:
        raise InputError(f"symbols must name 1 to {MAX_BASKET_SYMBOLS} symbols, got {len(names)}.")
    out = [1.0] * len(names) if weights is None else [float(w) for w in weights]
    if len(out) != len(names):
        raise InputError(f"weights has {len(out)} numbers for {len(names)} symbols; give one "
                         "per symbol, in the same order, or leave weights out for equal weights.")
    if not all(math.isfinite(w) and w >= 0 for w in out) or not any(out):
        raise InputError("weights must be numbers >= 0, not all zero, e.g. [0.5, 0.3, 0.2].")
    return out


async def basket_answer(summary: Callable[[str], Awaitable[SummaryResponse]], symbols: Sequence[str],
                        weights: Sequence[float] | None, source: str) -> BasketResponse:
    """The basket of `symbols` with `weights` (notional shares, any scale), `summary(symbol)`
    answering each member on `source`.

    Raises:
        InputError: see `basket_weights`; every member with data weighted 0.
        NoDataError: no member has data. Whatever else a member's summary raises.
    """
    names = [normalize_symbol(s) for s in symbols]
    by_name = dict(zip(names, basket_weights(names, weights), strict=True))
    found: list[SummaryResponse | GexError | None] = [None] * len(names)
    limiter = anyio.CapacityLimiter(CONCURRENCY)

    async def one(i: int) -> None:
        async with limiter:
            try:
                found[i] = await summary(names[i])
            except GexError as exc:  # kept, so the first failure is raised as itself
                found[i] = exc

    async with anyio.create_task_group() as tg:
        for i in range(len(names)):
            tg.start_soon(one, i)
    summaries, missing = {}, []
    for name, answer in zip(names, found, strict=True):
        if isinstance(answer, UnknownSymbolError | NoDataError):
            missing.append(name)
        elif isinstance(answer, GexError):
            raise answer
        elif answer is not None:
            summaries[name] = answer
    if not summaries:
        raise NoDataError(f"No symbol of the basket has data on source {source}: {', '.join(missing)}.")
    if not any(by_name[s] for s in summaries):
        raise InputError(f"Every symbol with data ({', '.join(summaries)}) has weight 0; give "
                         "one of them a weight above 0.")
    return basket_response(summaries, by_name, missing, source)


__all__ = ["basket_answer", "basket_weights"]
