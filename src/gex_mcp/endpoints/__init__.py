"""The endpoint table and the arguments its endpoints take (see `table.py`)."""

from gex_mcp.endpoints.args import Arg
from gex_mcp.endpoints.table import BY_NAME, ENDPOINTS, Endpoint, Toolset, View, endpoint

__all__ = ["BY_NAME", "ENDPOINTS", "Arg", "Endpoint", "Toolset", "View", "endpoint"]
