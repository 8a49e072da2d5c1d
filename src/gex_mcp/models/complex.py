"""An index and its ETF/mini siblings as one book (SPX + SPY + XSP, NDX + QQQ, RUT + IWM)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gex_mcp.models.base import BaseModel, FlipInfo, Provenance, Regime


class ComplexMember(BaseModel):
    """One member of the complex, with its own as-of and its part of the book."""

    symbol: str
    as_of: datetime | None = Field(None, description="This member's snapshot time.")
    underlying_price: float | None = Field(None, description="This member's spot, its own units (USD).")
    forward_ratio: float | None = Field(
        None, description="Index points per unit of this member: F_index/F_member at its nearest "
                          "expiration (1 for the index).")
    net_gex: float | None = Field(None, description="Its net GEX, USD per 1% move.")
    gross_gex_share_pct: float | None = Field(None, description="Its Σ|GEX| / the book's Σ|GEX| x 100.")
    error: str | None = Field(None, description="Why it is left out of the book, when it is.")


class ComplexStrike(BaseModel):
    strike: float = Field(description="Index strike, index points.")
    call_gex: float = Field(description="USD per 1% move, every member.")
    put_gex: float = Field(description="USD per 1% move, every member.")
    net_gex: float = Field(description="USD per 1% move, every member.")


class ComplexResponse(Provenance, FlipInfo):
    """An index complex as one book in the index's units: flip, walls, regime, members' shares."""

    members: list[ComplexMember]
    as_of_spread_sessions: int = Field(description="Weekdays between the oldest and newest member snapshot.")
    as_of_mismatch: bool = Field(description="True when members' snapshots are more than one session apart.")
    net_gex: float = Field(description="Book total, USD per 1% move.")
    net_dex: float = Field(description="Book total, USD of delta.")
    gamma_regime: Regime
    regime_reason: str
    call_wall: float | None = Field(description="Index strike of the largest call GEX.")
    put_wall: float | None = Field(description="Index strike of the most negative put GEX.")
    max_positive_gamma: float | None = Field(description="Index strike of the largest net GEX.")
    max_negative_gamma: float | None = Field(description="Index strike of the most negative net GEX.")
    strikes_total: int = Field(description="Index strikes holding any member's gamma.")
    strikes: list[ComplexStrike] = Field(
        description="The key strikes: the 10 of largest |net GEX| and the 10 nearest spot.")
