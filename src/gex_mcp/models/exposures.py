"""Per-strike exposure answers: GEX, DEX, VEX and CHEX by strike (USD; see the package docstring for units)."""

from __future__ import annotations

from pydantic import Field

from gex_mcp.models.base import BaseModel, DataQuality, FlipInfo, Provenance


class GexStrike(BaseModel):
    strike: float
    call_gex: float = Field(description="Dealer call gamma exposure, USD per 1% move.")
    put_gex: float = Field(description="Dealer put gamma exposure, USD per 1% move.")
    net_gex: float = Field(description="call_gex + put_gex, USD per 1% move.")
    call_oi: int
    put_oi: int
    call_volume: int
    put_volume: int
    call_oi_change: int | None = Field(description="Day-over-day call OI change; null when unknown.")
    put_oi_change: int | None = Field(description="Day-over-day put OI change; null when unknown.")


class GexResponse(Provenance, FlipInfo):
    """Per-strike gamma exposure (the guide's /v1/exposure/gex)."""

    net_gex: float = Field(description="Total dealer GEX, USD per 1% move.")
    net_gex_label: str = Field(description="net_gex in short form, e.g. '1.85B'.")
    call_gex: float = Field(description="Total call GEX, USD per 1% move.")
    put_gex: float = Field(description="Total put GEX, USD per 1% move.")
    min_oi: int = Field(0, description="Strikes with call+put OI below this were omitted.")
    strikes: list[GexStrike]
    data_quality: DataQuality


class DexStrike(BaseModel):
    strike: float
    call_dex: float
    put_dex: float
    net_dex: float


class VexStrike(BaseModel):
    strike: float
    call_vex: float
    put_vex: float
    net_vex: float


class ChexStrike(BaseModel):
    strike: float
    call_chex: float
    put_chex: float
    net_chex: float


class DexResponse(Provenance):
    """Per-strike dealer delta exposure, USD of delta (the guide's /v1/exposure/dex)."""

    net_dex: float
    net_dex_label: str
    strikes: list[DexStrike]
    data_quality: DataQuality


class VexResponse(Provenance):
    """Per-strike dealer vanna exposure, USD of delta per vol point (/v1/exposure/vex)."""

    net_vex: float
    net_vex_label: str
    vex_interpretation: str
    strikes: list[VexStrike]
    data_quality: DataQuality


class ChexResponse(Provenance):
    """Per-strike dealer charm exposure, USD of delta per calendar day (/v1/exposure/chex)."""

    net_chex: float
    net_chex_label: str
    chex_interpretation: str
    strikes: list[ChexStrike]
    data_quality: DataQuality


