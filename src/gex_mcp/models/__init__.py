"""Response models, one per contract shape of the guide, shared by MCP, CLI and REST.

Field names follow `spec/gex-dashboard-api-guide.txt`; extra fields (flip status,
crossings, units, data quality, provenance) are additions, never renames.
All numbers are finite: a value that cannot be determined is null with a reason.
Units: GEX in USD of dealer delta per 1% spot move; DEX in USD of delta; VEX in USD
of delta per vol point; CHEX in USD of delta per calendar day; prices in USD.

One module per family: `base` (provenance, flip fields), `exposures` (per strike),
`summary` (levels, summary, regime, scan), `expiries`, `scenarios` (profile, hedging, flip
sensitivity), `level_export`, `complex`, `basket`, `charts`, `history` and `alerts`; this package
re-exports every model.
"""

from __future__ import annotations

from gex_mcp.models.alerts import (  # noqa: F401
    AlertEvent,
    AlertRule,
    AlertsResponse,
    WatchedSymbol,
    WatchlistResponse,
)
from gex_mcp.models.base import (  # noqa: F401
    SOURCE_NAMES,
    BaseModel,
    DataQuality,
    DealerModel,
    ExpiryKind,
    FlipInfo,
    FlipStatus,
    Provenance,
    Regime,
    SourceName,
)
from gex_mcp.models.basket import BasketAggregate, BasketConstituent, BasketResponse  # noqa: F401
from gex_mcp.models.charts import (  # noqa: F401
    ChartBar,
    GexChartInfo,
    in_window,
    window_bounds,
)
from gex_mcp.models.complex import (  # noqa: F401
    ComplexMember,
    ComplexResponse,
    ComplexStrike,
)
from gex_mcp.models.contracts import ContractRow, ContractsResponse  # noqa: F401
from gex_mcp.models.expiries import (  # noqa: F401
    ExpectedMoveResponse,
    ExpectedMoveRow,
    ExpirationListing,
    ExpirationsResponse,
    ExpiryBreakdownResponse,
    MaxPainExpiry,
    MaxPainResponse,
    OIChangesResponse,
    PayoutPoint,
    ZeroDteResponse,
)
from gex_mcp.models.exposures import (  # noqa: F401
    ChexResponse,
    ChexStrike,
    DexResponse,
    DexStrike,
    GexResponse,
    GexStrike,
    VexResponse,
    VexStrike,
)
from gex_mcp.models.history import (  # noqa: F401
    HistoryBasis,
    HistoryChartInfo,
    HistoryInterval,
    HistoryPoint,
    HistoryResponse,
    LevelAccuracyResponse,
    LevelName,
    LevelScore,
    SessionClose,
    SessionLevelTest,
)
from gex_mcp.models.level_export import (  # noqa: F401
    ExportedLevel,
    ExportFormat,
    LevelExportResponse,
)
from gex_mcp.models.scenarios import (  # noqa: F401
    FlipScenario,
    FlipSensitivityResponse,
    HedgeInstrument,
    HedgeStep,
    HedgingResponse,
    ProfilePoint,
    ProfileResponse,
)
from gex_mcp.models.summary import (  # noqa: F401
    ExpiryExposure,
    ExpiryForwardExposure,
    FlipDistanceResponse,
    HedgeEstimate,
    LevelsResponse,
    OIMover,
    RegimeResponse,
    ScanResponse,
    ScanRow,
    SummaryResponse,
    linear_hedges,
)

__all__ = [
    "AlertEvent",
    "AlertRule",
    "AlertsResponse",
    "BaseModel",
    "BasketAggregate",
    "BasketConstituent",
    "BasketResponse",
    "ChartBar",
    "ChexResponse",
    "ContractRow",
    "ContractsResponse",
    "ChexStrike",
    "ComplexMember",
    "ComplexResponse",
    "ComplexStrike",
    "DataQuality",
    "DealerModel",
    "DexResponse",
    "DexStrike",
    "ExpectedMoveResponse",
    "ExpectedMoveRow",
    "ExpirationListing",
    "ExpirationsResponse",
    "ExpiryBreakdownResponse",
    "ExpiryExposure",
    "ExpiryForwardExposure",
    "ExpiryKind",
    "ExportFormat",
    "ExportedLevel",
    "FlipDistanceResponse",
    "FlipInfo",
    "FlipScenario",
    "FlipSensitivityResponse",
    "FlipStatus",
    "GexChartInfo",
    "GexResponse",
    "GexStrike",
    "HedgeEstimate",
    "HedgeInstrument",
    "HedgeStep",
    "HedgingResponse",
    "HistoryBasis",
    "HistoryChartInfo",
    "HistoryInterval",
    "HistoryPoint",
    "HistoryResponse",
    "LevelAccuracyResponse",
    "LevelExportResponse",
    "LevelName",
    "LevelScore",
    "LevelsResponse",
    "MaxPainExpiry",
    "MaxPainResponse",
    "OIChangesResponse",
    "OIMover",
    "PayoutPoint",
    "ProfilePoint",
    "ProfileResponse",
    "Provenance",
    "Regime",
    "RegimeResponse",
    "SOURCE_NAMES",
    "ScanResponse",
    "ScanRow",
    "SessionClose",
    "SessionLevelTest",
    "SourceName",
    "SummaryResponse",
    "VexResponse",
    "VexStrike",
    "WatchedSymbol",
    "WatchlistResponse",
    "ZeroDteResponse",
    "in_window",
    "linear_hedges",
    "window_bounds",
]
