"""Today's levels as a file for a charting platform (TradingView Pine, thinkorswim, CSV)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gex_mcp.models.base import BaseModel, Provenance

ExportFormat = Literal["pine", "thinkscript", "csv"]


class ExportedLevel(BaseModel):
    """One horizontal line of the export."""

    name: str = Field(description="Identifier used in the script, e.g. 'gamma_flip'.")
    label: str = Field(description="The text drawn next to the line.")
    price: float = Field(description="Price of the line, USD (the symbol's own units).")


class LevelExportResponse(Provenance):
    """The current levels as a script or CSV to paste into a charting platform."""

    format: ExportFormat = Field(description="pine (TradingView Pine v6), thinkscript (thinkorswim) or csv.")
    filename: str = Field(description="A suggested file name, e.g. 'spx_gex_levels.pine'.")
    levels: list[ExportedLevel] = Field(description="The lines drawn, in the order written.")
    missing: list[str] = Field(
        default_factory=list, description="Levels left out because they are not determined, with why.")
    content: str = Field(description="The file's text.")
