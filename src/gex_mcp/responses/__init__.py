"""Shape a `ChainAnalysis` into the response models (one builder per contract shape).

Every builder is `build(analysis, provenance, context) -> Model` and is named in the
endpoint table (`endpoints/table.py`). Numbers here are only re-labelled, rounded to
contract units (OI as integers), or put into words; every quantity is computed by the engine.
"""

from gex_mcp.responses._common import (
    DEFAULT_CONTEXT,
    BuildContext,
    data_quality,
    flip_fields,
    round_or_none,
)
from gex_mcp.responses.basket import basket_response
from gex_mcp.responses.complex import complex_response
from gex_mcp.responses.expiries import (
    expected_move_response,
    expirations_response,
    expiry_breakdown_response,
    expiry_rows,
    max_pain_response,
    zero_dte_response,
)
from gex_mcp.responses.exposures import (
    chart_info,
    chex_response,
    dex_response,
    flip_distance_response,
    gex_response,
    interpret_charm,
    interpret_gamma,
    interpret_vanna,
    levels_response,
    oi_changes_response,
    regime_response,
    scan_row,
    summary_response,
    vex_response,
)
from gex_mcp.responses.level_export import level_export_response
from gex_mcp.responses.scenarios import flip_sensitivity_response, hedging_response, profile_response

__all__ = [
    "DEFAULT_CONTEXT", "BuildContext", "basket_response", "chart_info", "chex_response", "complex_response", "data_quality", "dex_response",
    "expected_move_response", "expirations_response", "expiry_breakdown_response", "expiry_rows",
    "flip_distance_response", "flip_fields", "flip_sensitivity_response", "gex_response", "hedging_response", "interpret_charm",
    "interpret_gamma", "interpret_vanna", "level_export_response", "levels_response", "max_pain_response",
    "oi_changes_response", "profile_response", "regime_response", "round_or_none", "scan_row", "summary_response",
    "vex_response", "zero_dte_response",
]
