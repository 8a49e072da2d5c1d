"""Small synthetic chains built in code, for edge cases and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from gex_mcp.engine.chain import OptionChain, build_chain

AS_OF = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # a Monday, 10:00 New York


def make_chain(
    *,
    spot: float = 100.0,
    strikes=(90.0, 95.0, 100.0, 105.0, 110.0),
    days=(0, 4, 32),
    call_oi: float = 1000.0,
    put_oi: float = 1000.0,
    iv: float = 0.25,
    seed: int | None = None,
    as_of: datetime = AS_OF,
) -> OptionChain:
    """A call and a put at every (strike, expiry); day 0 expires today at 16:00 New York."""
    rng = np.random.default_rng(seed) if seed is not None else None
    rows = []
    for d in days:
        exp = (as_of + timedelta(days=d)).date()
        for k in strikes:
            for call in (True, False):
                oi = call_oi if call else put_oi
                vol = iv
                if rng is not None:
                    oi = float(rng.integers(0, 5000))
                    vol = float(rng.uniform(0.1, 0.8))
                rows.append(("X", exp, k, call, vol, oi))
    root, expiry, strike, is_call, ivs, ois = zip(*rows)
    return build_chain(symbol="X", spot=spot, as_of=as_of, root=list(root), expiry=list(expiry),
                       strike=list(strike), is_call=list(is_call), iv=list(ivs), open_interest=list(ois),
                       volume=[10.0] * len(rows), bid=[1.0] * len(rows), ask=[1.1] * len(rows))
