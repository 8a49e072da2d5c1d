"""The builder of the index-complex answer (see `engine/complex.py` for the merge)."""

from __future__ import annotations

import numpy as np

from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.engine.complex import ComplexBook
from gex_mcp.models import ComplexMember, ComplexResponse, ComplexStrike, Provenance
from gex_mcp.responses._common import DEFAULT_CONTEXT, BuildContext, cents, flip_fields

KEY_LARGEST = 10
KEY_NEAREST = 10


def key_strike_rows(strikes: np.ndarray, net: np.ndarray, spot: float) -> np.ndarray:
    """Indexes of the KEY_LARGEST strikes of largest |net| and the KEY_NEAREST nearest spot,
    in strike order."""
    largest = np.argsort(-np.abs(net), kind="stable")[:KEY_LARGEST]
    nearest = np.argsort(np.abs(strikes - spot), kind="stable")[:KEY_NEAREST]
    return np.unique(np.concatenate([largest, nearest]))


def session_spread(times: list) -> int:
    """Weekdays between the oldest and newest New York snapshot dates (holidays not removed)."""
    days = sorted({t.astimezone(NEW_YORK).date() for t in times})
    return int(np.busday_count(days[0], days[-1])) if len(days) > 1 else 0


def complex_response(book: ComplexBook, prov: Provenance,
                     members: list[tuple[str, Provenance | None, str | None]],
                     ctx: BuildContext = DEFAULT_CONTEXT) -> ComplexResponse:
    """`members`: (symbol, provenance or None, error or None) in the order of the book, the
    failed ones last (they are not in the book)."""
    rows, i = [], 0
    for symbol, member_prov, error in members:
        if member_prov is None:
            rows.append(ComplexMember(symbol=symbol, error=error))
            continue
        rho = book.ratios[i]
        t = book.prepared.t_years[book.member == i]
        near = float(rho[int(np.argmin(t))]) if len(rho) else None
        rows.append(ComplexMember(
            symbol=symbol, as_of=member_prov.as_of, underlying_price=member_prov.underlying_price,
            forward_ratio=None if near is None else round(near, 5), net_gex=book.member_net_gex(i),
            gross_gex_share_pct=round(book.member_gross_share_pct(i), 2)))
        i += 1
    s = book.strikes
    net = s.call_gex + s.put_gex
    keep = key_strike_rows(s.strike, net, book.prepared.spot)
    spread = session_spread([r.as_of for r in rows if r.as_of is not None])
    lv = book.levels
    return ComplexResponse(
        **prov.model_dump(), **flip_fields(book.flip), members=rows,
        as_of_spread_sessions=spread, as_of_mismatch=spread > 1,
        net_gex=float(book.contracts.gex.sum()), net_dex=float(book.contracts.dex.sum()),
        gamma_regime=book.regime.regime, regime_reason=book.regime.reason,  # type: ignore[arg-type]
        call_wall=lv.call_wall, put_wall=lv.put_wall, max_positive_gamma=lv.max_positive_gamma,
        max_negative_gamma=lv.max_negative_gamma, strikes_total=len(s.strike),
        strikes=[ComplexStrike(strike=cents(float(s.strike[j])), call_gex=float(s.call_gex[j]),
                               put_gex=float(s.put_gex[j]), net_gex=float(net[j])) for j in keep])
