"""Answers in the guide's shapes (the REST bodies) (`shared/notes/flashalpha-api.md`), built from our models.

Our response models are flat. FlashAlpha's API nests the key levels under "levels" and the
summary's totals, words, hedging and 0DTE parts under "exposures", "interpretation",
"hedging_estimate" and "zero_dte", and names the regime "regime". REST bodies carry those
names and nesting, and keep every field of ours beside them (never renamed, except the
summary's one-line `interpretation`, which becomes `interpretation_text` because the
guide's `interpretation` is an object). Other endpoints are our models as they are.

Where FlashAlpha's SDK says a field must not be, ours is not: the summary's totals live only
under `exposures` (no top-level `net_gex`). The summary's `hedging_estimate` is the guide's
linear estimate (shares = -net GEX x 1% / spot, the same size both ways); our re-priced
estimate (dealer delta re-computed at spot ±1%, IV fixed) stays beside it as
`dealer_hedge_up_1pct` / `dealer_hedge_down_1pct`. The summary's `regime` is FlashAlpha's
(spot above or below the flip, or unknown); ours, with `neutral`, is `gamma_regime`.

Every JSON answer of /v1 carries `endpoint_version` (this server's version) and `data_as_of`
(when each feed last delivered: here the chain's `as_of` for the feeds it came from, null for
the feeds this server has none of), as FlashAlpha's answers do (`with_envelope`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from gex_mcp import __version__
from gex_mcp.engine.calendar import INDEX_SYMBOLS
from gex_mcp.models import HedgeEstimate, LevelsResponse, SummaryResponse

#: `endpoint_version` of every answer: the server's version (shapes change only with it).
ENDPOINT_VERSION = __version__
FEEDS = ("equity_feed", "equity_options_feed", "index_feed", "index_options_feed", "futures_feed",
         "futures_options_feed", "flow_feed", "oi_feed", "macro_feed")


def data_as_of(symbol: str | None, as_of: str | None) -> dict[str, str | None]:
    """FlashAlpha's `data_as_of`: every feed key, the chain's time on the feeds it came from
    (spot and options of an index or of a stock, and open interest), null on the others."""
    index = (symbol or "").upper() in INDEX_SYMBOLS
    used = {"index_feed", "index_options_feed"} if index else {"equity_feed", "equity_options_feed"}
    return {"node": "gex-mcp", **{f: as_of if (f in used or f == "oi_feed") else None for f in FEEDS}}


def with_envelope(body: dict[str, Any], symbol: str | None = None, as_of: str | None = None) -> dict[str, Any]:
    """`body` plus `endpoint_version` and `data_as_of` (symbol and as_of read from the body
    when not given)."""
    symbol = symbol if symbol is not None else body.get("symbol")
    as_of = as_of if as_of is not None else body.get("as_of")
    return {**body, "endpoint_version": ENDPOINT_VERSION,
            "data_as_of": data_as_of(symbol if isinstance(symbol, str) else None,
                                     as_of if isinstance(as_of, str) else None)}


def guide_regime(gamma_flip: float | None, spot: float) -> str:
    """FlashAlpha's regime: positive_gamma when spot is above the flip, negative_gamma below,
    unknown without a flip (ours adds `neutral` near the flip: see `gamma_regime`)."""
    if gamma_flip is None:
        return "unknown"
    return "positive_gamma" if spot >= gamma_flip else "negative_gamma"


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
    endpoint_version: str
    data_as_of: dict[str, str | None]


class Exposures(BaseModel):
    net_gex: float
    net_dex: float
    net_vex: float
    net_chex: float


class GuideHedge(HedgeEstimate):
    """A hedge as the guide writes it: direction buy or sell, null when there is nothing to trade."""

    direction: Literal["buy", "sell"] | None  # type: ignore[assignment]


class HedgingEstimate(BaseModel):
    spot_up_1pct: GuideHedge
    spot_down_1pct: GuideHedge


class ZeroDteShare(BaseModel):
    net_gex: float | None = Field(description="Net GEX of options expiring today, USD per 1% move.")
    pct_of_total_gex: float | None
    expiration: str | None


class RestSummary(SummaryResponse):
    """GET /v1/exposure/summary: ours plus the API's names and nesting."""

    # the totals live only under `exposures` (FlashAlpha's SDK: no top-level net_gex)
    net_gex: SkipJsonSchema[None] = Field(None, exclude=True)  # type: ignore[assignment]
    net_dex: SkipJsonSchema[None] = Field(None, exclude=True)  # type: ignore[assignment]
    net_vex: SkipJsonSchema[None] = Field(None, exclude=True)  # type: ignore[assignment]
    net_chex: SkipJsonSchema[None] = Field(None, exclude=True)  # type: ignore[assignment]


    interpretation: dict[str, str] = Field(description="gamma, vanna and charm in words.")  # type: ignore[assignment]
    interpretation_text: str = Field(description="The gamma interpretation in one paragraph.")
    regime: Literal["positive_gamma", "negative_gamma", "unknown"] = Field(
        description="Spot above (positive) or below (negative) the gamma flip; unknown without one.")
    exposures: Exposures
    hedging_estimate: HedgingEstimate = Field(
        description="The guide's linear estimate: shares = -net GEX x 1% / spot, the same size both "
                    "ways. The re-priced estimate is dealer_hedge_up_1pct / dealer_hedge_down_1pct.")
    zero_dte: ZeroDteShare
    endpoint_version: str
    data_as_of: dict[str, str | None]


LEVEL_FIELDS = tuple(KeyLevels.model_fields)  # copied from the flat levels answer
EXPOSURE_FIELDS = tuple(Exposures.model_fields)  # copied from the flat summary


@dataclass(frozen=True)
class GuideShape:
    """How a row's answer is reshaped for REST: the body's model (for OpenAPI) and the
    function from the answer to the body. A row without one is served as its model dumps."""

    model: type[BaseModel]
    body: Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class FlashAlphaPath:
    """Another REST path for a row, in FlashAlpha's name and body (e.g. /v1/maxpain/{symbol}).

    Attributes:
        path: the route, with `{symbol}`.
        body: (answers by row name, extra query values) -> the JSON body.
        params: FlashAlpha's query names -> the row's argument names (e.g. expiry -> expiration).
        extras: query names the body reads itself (e.g. topN), checked there.
        needs: other rows whose answers (same symbol, source and expiration) the body reads.
    """

    path: str
    body: Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]
    params: tuple[tuple[str, str], ...] = ()
    extras: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


def levels_body(levels: LevelsResponse) -> dict[str, Any]:
    """Flat fields (as the guide's example) plus the API's nested `levels` object."""
    body = levels.model_dump(mode="json")
    return {**body, "levels": {k: body[k] for k in LEVEL_FIELDS}}


def guide_hedge(hedge: dict[str, Any]) -> dict[str, Any]:
    """A hedge as the guide writes it: direction buy, sell or null (ours says "none")."""
    return {**hedge, "direction": None if hedge["direction"] == "none" else hedge["direction"]}


def summary_body(summary: SummaryResponse) -> dict[str, Any]:
    """Our summary plus `regime`, `exposures`, `interpretation`, `hedging_estimate`, `zero_dte`."""
    body = summary.model_dump(mode="json")
    body["interpretation_text"] = body.pop("interpretation")
    exposures = {k: body.pop(k) for k in EXPOSURE_FIELDS}
    zero = summary.zero_dte_net_gex
    today = next((e.expiration for e in summary.expiry_breakdown if e.kind == "0dte"), None)
    return {
        **body,
        "regime": guide_regime(summary.gamma_flip, summary.underlying_price),
        "exposures": exposures,
        "interpretation": dict(summary.interpretation_detail),
        "hedging_estimate": {"spot_up_1pct": guide_hedge(body["linear_hedge_up_1pct"]),
                             "spot_down_1pct": guide_hedge(body["linear_hedge_down_1pct"])},
        "zero_dte": {"net_gex": zero, "pct_of_total_gex": summary.zero_dte_pct_of_total,
                     "expiration": today if zero is not None else None},
    }


LEVELS_SHAPE = GuideShape(RestLevels, levels_body)
SUMMARY_SHAPE = GuideShape(RestSummary, summary_body)

__all__ = ["ENDPOINT_VERSION", "FlashAlphaPath", "LEVELS_SHAPE", "SUMMARY_SHAPE", "GuideShape", "KeyLevels", "RestLevels",
           "RestSummary", "data_as_of", "guide_regime", "levels_body", "summary_body", "with_envelope"]
