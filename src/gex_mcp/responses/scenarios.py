"""Builders of what-if answers: the exposure profile across spot, hedging by move size."""

from __future__ import annotations

import numpy as np

from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.hedging import DEFAULT_MOVES_PCT, hedge_instruments, hedge_ladder
from gex_mcp.engine.profile import DEFAULT_PROFILE_POINTS, DEFAULT_PROFILE_RANGE_PCT, exposure_profile
from gex_mcp.models import (
    HedgeInstrument,
    HedgingResponse,
    ProfilePoint,
    ProfileResponse,
    Provenance,
)
from gex_mcp.responses._common import (
    DEFAULT_CONTEXT,
    BuildContext,
    cents,
    flip_fields,
    hedge_step,
)


def profile_response(a: ChainAnalysis, prov: Provenance,
                     ctx: BuildContext = DEFAULT_CONTEXT) -> ProfileResponse:
    """GEX and DEX across spot·(1 ± range_pct/100), `DEFAULT_PROFILE_POINTS` points."""
    range_pct = float(ctx.options.get("range_pct") or DEFAULT_PROFILE_RANGE_PCT)
    curve = exposure_profile(a.prepared, range_pct=range_pct, points=DEFAULT_PROFILE_POINTS)
    spot = a.prepared.spot
    lo, hi = int(np.argmin(curve.gex)), int(np.argmax(curve.gex))
    points = [ProfilePoint(spot=round(float(x), 2), move_pct=round(float(x / spot - 1) * 100, 3),
                           net_gex=float(g), net_dex=float(d))
              for x, g, d in zip(curve.spots, curve.gex, curve.dex)]
    return ProfileResponse(
        **prov.model_dump(), **flip_fields(a.flip), range_pct=range_pct,
        net_gex_at_spot=a.totals["net_gex"], min_net_gex=float(curve.gex[lo]),
        min_net_gex_spot=cents(float(curve.spots[lo])), max_net_gex=float(curve.gex[hi]),
        max_net_gex_spot=cents(float(curve.spots[hi])), points=points)


def hedging_response(a: ChainAnalysis, prov: Provenance,
                     ctx: BuildContext = DEFAULT_CONTEXT) -> HedgingResponse:
    """Re-priced dealer delta for each move, also in units of the liquid hedges."""
    moves = tuple(ctx.options.get("moves") or DEFAULT_MOVES_PCT)
    instruments = hedge_instruments(prov.symbol)
    steps = []
    for h in hedge_ladder(a.prepared, moves):
        # units of an instrument = shares / (USD per unit per point)
        steps.append(hedge_step(h, [round(h.shares / factor, 1) for _, factor, _ in instruments]))
    return HedgingResponse(
        **prov.model_dump(), steps=steps,
        instruments=[HedgeInstrument(name=n, description=d, usd_per_point=f) for n, f, d in instruments])


