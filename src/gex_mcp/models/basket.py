"""A weighted watchlist as one book, in the shape of FlashAlpha's `/v1/exposure/basket`."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gex_mcp.models.base import BaseModel


class BasketAggregate(BaseModel):
    """Σ wᵢ x each member's net exposure, weights scaled to sum 1."""

    net_gex: float = Field(description="USD per 1% move of every member (the basket).")
    net_dex: float = Field(description="USD of delta.")
    net_vex: float = Field(description="USD of delta per vol point.")
    net_chex: float = Field(description="USD of delta per calendar day.")


class BasketConstituent(BaseModel):
    """One member: its scaled weight, its own net exposures and its part of the basket."""

    symbol: str
    weight: float = Field(description="Weight scaled so the members' weights sum to 1.")
    underlying_price: float = Field(description="Its spot, USD.")
    net_gex: float = Field(description="Its own net GEX, USD per 1% move.")
    net_dex: float = Field(description="Its own net DEX, USD of delta.")
    net_vex: float = Field(description="Its own net VEX, USD of delta per vol point.")
    net_chex: float = Field(description="Its own net CHEX, USD of delta per day.")
    contribution_pct: float | None = Field(
        description="|wᵢ x net_gexᵢ| / Σ|wⱼ x net_gexⱼ| x 100; null when every term is 0.")
    regime: str = Field(description="positive_gamma (spot at or above its flip), negative_gamma "
                                    "or unknown (no flip).")
    as_of: datetime = Field(description="Its snapshot time.")
    stale: bool = Field(False, description="True when its answer is a cached one served after "
                                           "upstream failed.")


class BasketResponse(BaseModel):
    """A weighted basket as one book: aggregate net exposures and each member's part."""

    as_of: datetime = Field(description="The newest member's snapshot time.")
    source: str = Field(description="Data source asked.")
    is_demo: bool = Field(False, description="True when the numbers come from the synthetic demo market.")
    constituent_count: int = Field(description="Members that answered (missing ones are dropped).")
    missing_symbols: list[str] = Field(
        description="Symbols the source has no data for; left out, the other weights re-scaled.")
    aggregate: BasketAggregate
    aggregate_labels: dict[str, str] = Field(description="The aggregate in words, e.g. '$1.2B'.")
    constituents: list[BasketConstituent]
    as_of_spread_seconds: float = Field(
        description="Seconds between the oldest and newest member's as_of; large when the "
                    "members come from different times (e.g. saved snapshots).")
    notes: list[str] = Field(default_factory=list, description="What changes how to read this answer.")
