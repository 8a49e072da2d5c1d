"""The index-complex answer: each member's memoised analysis, merged by the engine.

The index must answer; a sibling that fails (not listed by the source, no data) is listed
with its error and left out of the book.
"""

from __future__ import annotations

from datetime import datetime

from gex_mcp.backends.base import Query
from gex_mcp.backends.chains import ChainBackend
from gex_mcp.backends.history_answers import past_moment
from gex_mcp.engine.complex import COMPLEXES, analyze_complex, complex_of
from gex_mcp.errors import GexError, InputError, describe
from gex_mcp.models import ComplexResponse, Provenance
from gex_mcp.responses import complex_response
from gex_mcp.sources.base import normalize_symbol


def complex_members(symbol: str) -> tuple[str, ...]:
    """The members of the complex holding `symbol`, the index first.

    Raises:
        InputError: `symbol` belongs to no complex.
    """
    index = complex_of(symbol)
    if index is None:
        listed = "; ".join(" + ".join(m) for m in COMPLEXES.values())
        raise InputError(f"{symbol} is not in an index complex. Complexes: {listed} (give the "
                         "index or any member, e.g. 'SPX').")
    return COMPLEXES[index]


async def complex_answer(chains: ChainBackend, symbol: str, source: str, as_of: str | None,
                         *, now: datetime) -> ComplexResponse:
    """The complex of `symbol` as one book (see `engine/complex.py`); with `as_of`, from a
    replayable source's snapshots at or before it.

    Raises:
        InputError: not a complex member, a source without raw chains (flashalpha), or as_of
            from a source that keeps no past chains. Whatever the index's analysis raises.
    """
    members = complex_members(normalize_symbol(symbol))
    if source not in chains.sources:
        raise InputError("complex needs raw option chains; FlashAlpha returns ready exposures "
                         "only. Use source cboe, file or demo.")
    moment = None
    if as_of is not None:
        moment = past_moment(as_of, "as_of", now, end_of_day=True)
        if not chains.replayable(source):
            raise InputError(f"as_of needs a source that keeps past chains (file or demo); "
                             f"{source} answers complex only for the present.")
    analysed, info, failed = [], [], []
    for i, member in enumerate(members):
        try:
            entry, prov, _ = await chains.analyse(Query(member, source, as_of=moment))
        except GexError as exc:
            if i == 0:
                raise
            failed.append((member, None, describe(exc)))
            continue
        analysed.append(entry)
        info.append((member, prov, None))
    p = chains.params
    book = analyze_complex(analysed[0].analysis.prepared, [e.analysis.prepared for e in analysed[1:]],
                           flip_range_pct=p.flip_range_pct, neutral_band_pct=p.neutral_band_pct)
    index_prov: Provenance = info[0][1]  # type: ignore[assignment]
    return complex_response(book, index_prov, info + failed, analysed[0].context)
