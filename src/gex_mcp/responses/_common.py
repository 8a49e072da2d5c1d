"""What every builder shares: the build context, provenance-side helpers, rounding."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from gex_mcp.engine.flip import DEFAULT_RANGE_PCT, GammaFlip
from gex_mcp.engine.hedging import Hedge
from gex_mcp.engine.prepare import Quality
from gex_mcp.engine.regime import NEUTRAL_BAND_PCT
from gex_mcp.models import (
    DataQuality,
    HedgeEstimate,
    HedgeStep,
)


@dataclass(frozen=True)
class BuildContext:
    """What a builder needs besides the analysis and its provenance.

    Attributes:
        min_oi: the min_oi filter the analysis applied (contracts).
        neutral_band_pct: half-width of the neutral regime band, percent of spot.
        previous_oi_as_of: when OI change came from a stored snapshot, that snapshot's time.
        options: the endpoint's own arguments (validated), e.g. {"range_pct": 5.0}.
        flip_range_pct: the flip search range, percent of spot.
        previous_oi_from: where that earlier snapshot lives, in words.
        previous_oi_expired: OI of that snapshot's contracts that settled before this one
            (left out of the changes); None when unknown (stored per-strike snapshots).
    """

    min_oi: int = 0
    neutral_band_pct: float = NEUTRAL_BAND_PCT
    previous_oi_as_of: datetime | None = None
    options: dict[str, Any] = field(default_factory=dict)
    flip_range_pct: float = DEFAULT_RANGE_PCT
    previous_oi_from: str = "GEX_DATA_DIR history"
    previous_oi_expired: int | None = None
    previous_oi_expired_by_strike: dict[float, tuple[int, int]] | None = None  # (call, put)


DEFAULT_CONTEXT = BuildContext()


def int_or_none(value: float) -> int | None:
    return None if not math.isfinite(value) else int(round(value))


def data_quality(q: Quality) -> DataQuality:
    """The engine's cleaning counts, every field the model publishes (notes copied)."""
    counts = asdict(q)
    counts["implied_spot"] = cents(q.implied_spot)
    return DataQuality(**{k: v for k, v in counts.items() if k in DataQuality.model_fields})


def cents(value: float | None) -> float | None:
    """Prices are reported to the cent; the engine keeps full precision."""
    return None if value is None else round(value, 2)


def flip_fields(f: GammaFlip) -> dict[str, Any]:
    """The `FlipInfo` fields of a flip (whole chain, one expiry or the 0DTE options)."""
    return {
        "gamma_flip": cents(f.price), "gamma_flip_status": f.status, "gamma_flip_reason": f.reason,
        "gamma_flip_crossings": [cents(x) for x in f.crossings],
        "flip_search_range": None if f.search_range is None else tuple(cents(x) for x in f.search_range),
    }


def _hedge_fields(h: Hedge) -> dict[str, Any]:
    """A re-hedge as reported: spot to the cent, shares and notional whole."""
    return {"new_spot": round(h.new_spot, 2), "dealer_shares_to_trade": round(h.shares),
            "direction": h.direction, "notional_usd": round(h.notional_usd)}


def hedge_estimate(h: Hedge) -> HedgeEstimate:
    return HedgeEstimate(spot_move_pct=h.move_pct, **_hedge_fields(h))


def round_or_none(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def pct_from_spot(level: float | None, spot: float) -> float | None:
    """(level − spot) / spot · 100, to 0.001%: + when the level is above spot. The one
    convention of every distance the answers state (fields named `<level>_above_spot_pct`)."""
    return None if level is None else round((level - spot) / spot * 100.0, 3)


def hedge_step(h: Hedge, units: list[float]) -> HedgeStep:
    return HedgeStep(move_pct=h.move_pct, instrument_units=units, **_hedge_fields(h))


