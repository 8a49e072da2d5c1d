"""Answers in the guide's shapes (the REST bodies) (`shared/notes/flashalpha-api.md`), built from our models.

Our response models are flat. FlashAlpha's API nests the key levels under "levels" and the
summary's totals, words, hedging and 0DTE parts under "exposures", "interpretation",
"hedging_estimate" and "zero_dte", and names the regime "regime". REST bodies carry those
names and nesting, and keep every field of ours beside them (never renamed, except the
summary's one-line `interpretation`, which becomes `interpretation_text` because the
guide's `interpretation` is an object). Other endpoints are our models as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from gex_mcp.models import HedgeEstimate, LevelsResponse, Regime, SummaryResponse


class KeyLevels(BaseModel):
    """The API's nested levels object (USD; null when absent)."""

    gamma_flip: float | None
    gamma_flip_status: str
    max_positive_gamma: float | None
    max_negative_gamma: float | None
    call_wall: float | None
    put_wall: float | None
    highest_oi_strike: float | None
    zero_dte_magnet: float | None


class RestLevels(LevelsResponse):
    """GET /v1/exposure/levels: our flat levels plus the API's nested `levels`."""

    levels: KeyLevels


class Exposures(BaseModel):
    net_gex: float
    net_dex: float
    net_vex: float
    net_chex: float


class HedgingEstimate(BaseModel):
    spot_up_1pct: HedgeEstimate
    spot_down_1pct: HedgeEstimate


class ZeroDteShare(BaseModel):
    net_gex: float | None = Field(description="Net GEX of options expiring today, USD per 1% move.")
    pct_of_total_gex: float | None
    expiration: str | None


class RestSummary(SummaryResponse):
    """GET /v1/exposure/summary: ours plus the API's names and nesting."""

    interpretation: dict[str, str] = Field(description="gamma, vanna and charm in words.")  # type: ignore[assignment]
    interpretation_text: str = Field(description="The gamma interpretation in one paragraph.")
    regime: Regime
    exposures: Exposures
    hedging_estimate: HedgingEstimate
    zero_dte: ZeroDteShare


LEVEL_FIELDS = tuple(KeyLevels.model_fields)  # copied from the flat levels answer
EXPOSURE_FIELDS = tuple(Exposures.model_fields)  # copied from the flat summary


@dataclass(frozen=True)
class GuideShape:
    """How a row's answer is reshaped for REST: the body's model (for OpenAPI) and the
    function from the answer to the body. A row without one is served as its model dumps."""

    model: type[BaseModel]
    body: Callable[[Any], dict[str, Any]]


def levels_body(levels: LevelsResponse) -> dict[str, Any]:
    """Flat fields (as the guide's example) plus the API's nested `levels` object."""
    body = levels.model_dump(mode="json")
    return {**body, "levels": {k: body[k] for k in LEVEL_FIELDS}}


def summary_body(summary: SummaryResponse) -> dict[str, Any]:
    """Our summary plus `regime`, `exposures`, `interpretation`, `hedging_estimate`, `zero_dte`."""
    body = summary.model_dump(mode="json")
    body["interpretation_text"] = body.pop("interpretation")
    zero = summary.zero_dte_net_gex
    today = next((e.expiration for e in summary.expiry_breakdown if e.kind == "0dte"), None)
    return {
        **body,
        "regime": summary.gamma_regime,
        "exposures": {k: body[k] for k in EXPOSURE_FIELDS},
        "interpretation": dict(summary.interpretation_detail),
        "hedging_estimate": {"spot_up_1pct": body["dealer_hedge_up_1pct"],
                             "spot_down_1pct": body["dealer_hedge_down_1pct"]},
        "zero_dte": {"net_gex": zero, "pct_of_total_gex": summary.zero_dte_pct_of_total,
                     "expiration": today if zero is not None else None},
    }


LEVELS_SHAPE = GuideShape(RestLevels, levels_body)
SUMMARY_SHAPE = GuideShape(RestSummary, summary_body)

__all__ = ["LEVELS_SHAPE", "SUMMARY_SHAPE", "GuideShape", "KeyLevels", "RestLevels", "RestSummary",
           "levels_body", "summary_body"]
