"""Listed contracts of a chain, one row each (FlashAlpha's option quotes and 0DTE strikes read them)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gex_mcp.models.base import BaseModel, Provenance


class ContractRow(BaseModel):
    """One listed contract: quotes as the source gave them, greeks at spot from its IV."""

    root: str = Field(description="OCC root, e.g. SPXW.")
    expiration: str
    strike: float
    type: Literal["call", "put"]
    bid: float | None = Field(description="USD per share; null when not quoted.")
    ask: float | None
    mid: float | None = Field(description="(bid + ask) / 2 when both are quoted.")
    iv: float | None = Field(description="Implied volatility, decimal; null when the source gives none.")
    delta: float | None
    gamma: float | None = Field(description="Delta per $1 of spot.")
    theta: float | None = Field(description="USD per share per calendar day.")
    vega: float | None = Field(description="USD per share per vol point.")
    rho: float | None = Field(description="USD per share per rate point.")
    vanna: float | None = Field(description="Delta per vol point.")
    charm: float | None = Field(description="Delta per calendar day.")
    open_interest: int
    volume: int


class ContractsResponse(Provenance):
    """Every listed, unsettled contract of the chain (or of `expiration`)."""

    contracts: list[ContractRow]
