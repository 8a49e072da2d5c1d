"""Builders of what-if answers: the exposure profile across spot, hedging by move size,
the gamma flip under changed assumptions."""

from __future__ import annotations

import numpy as np

from gex_mcp.engine.analysis import ChainAnalysis
from gex_mcp.engine.flip_scenarios import (
    DEFAULT_IV_SHIFTS,
    ROBUST_MOVE_PCT,
    FlipScenario,
    flip_scenarios,
)
from gex_mcp.engine.hedging import DEFAULT_MOVES_PCT, hedge_instruments, hedge_ladder
from gex_mcp.engine.profile import DEFAULT_PROFILE_POINTS, DEFAULT_PROFILE_RANGE_PCT, exposure_profile
from gex_mcp.engine.regime import classify_regime
from gex_mcp.models import (
    FlipScenario as FlipScenarioModel,
)
from gex_mcp.models import (
    FlipSensitivityResponse,
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
    round_or_none,
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




def iv_shift_list(extra: list[float] | tuple[float, ...] | None) -> tuple[float, ...]:
    """The default shifts (-2, -1, +1, +2 vol points) plus any given, sorted, 0 left out."""
    shifts = {float(x) for x in (*DEFAULT_IV_SHIFTS, *(extra or ())) if float(x) != 0.0}
    return tuple(sorted(shifts))


def _scenario_name(s: FlipScenario) -> str:
    if s.kind == "iv_shift":
        return f"IV {s.iv_shift:+g} vol pt"
    if s.kind == "dealer_model":
        return f"dealer model {s.dealer_model}"
    return f"without {s.expiration}"


def _reading(base: float | None, spot: float, one_vol: list[FlipScenarioModel]) -> tuple[
        float | None, float | None, bool | None, str]:
    """(max |move| for ±1 vol pt in points, in %, robust, one line)."""
    if base is None:
        return None, None, None, "No gamma flip at the quoted IVs, so there is nothing to shift."
    gone = [s.scenario for s in one_vol if s.gamma_flip is None]
    if gone:
        return None, None, False, (f"The flip {base:.2f} vanishes under {', '.join(gone)}: fragile.")
    moves = [abs(s.flip_change or 0.0) for s in one_vol]
    worst = max(moves) if moves else 0.0
    pct = worst / spot * 100.0
    robust = pct <= ROBUST_MOVE_PCT
    return (round(worst, 2), round(pct, 3), robust,
            f"The flip moves at most {worst:.1f} points ({pct:.2f}%) for ±1 vol point: "
            + ("robust." if robust else f"fragile (more than {ROBUST_MOVE_PCT:g}% of spot)."))


def flip_sensitivity_response(a: ChainAnalysis, prov: Provenance,
                              ctx: BuildContext = DEFAULT_CONTEXT) -> FlipSensitivityResponse:
    """The flip under IV shifts, the other dealer model and without the top near-spot
    expirations (see `engine/flip_scenarios.py`), each against the flip as quoted."""
    spot, base = a.prepared.spot, a.flip.price
    found = flip_scenarios(a.prepared, a.contracts, dealer_model=prov.dealer_model,
                           iv_shifts=iv_shift_list(ctx.options.get("iv_shifts")),
                           range_pct=ctx.flip_range_pct)
    rows = []
    for s in found:
        change = None if base is None or s.flip.price is None else s.flip.price - base
        regime = classify_regime(spot, s.flip, neutral_band_pct=ctx.neutral_band_pct)
        rows.append(FlipScenarioModel(
            scenario=_scenario_name(s), kind=s.kind,  # type: ignore[arg-type]
            iv_shift_points=s.iv_shift, ivs_floored=s.ivs_floored,
            dealer_model=s.dealer_model,  # type: ignore[arg-type]
            expiration_removed=None if s.expiration is None else str(s.expiration),
            near_spot_gamma_share_pct=round_or_none(s.near_spot_share_pct, 1),
            gamma_flip=cents(s.flip.price), gamma_flip_status=s.flip.status,  # type: ignore[arg-type]
            gamma_flip_reason=s.flip.reason, flip_change=round_or_none(change, 2),
            flip_change_pct=None if change is None else round(change / spot * 100.0, 3),
            net_gex=s.net_gex, gamma_regime=regime.regime))  # type: ignore[arg-type]
    one_vol = [r for r in rows if r.kind == "iv_shift" and abs(r.iv_shift_points or 0) == 1.0]
    worst, worst_pct, robust, line = _reading(base, spot, one_vol)
    return FlipSensitivityResponse(
        **prov.model_dump(), **flip_fields(a.flip), net_gex=a.totals["net_gex"],
        gamma_regime=a.regime.regime, scenarios=rows, max_flip_move_1vol=worst,  # type: ignore[arg-type]
        max_flip_move_1vol_pct=worst_pct, robust=robust, reading=line)
