"""Backends answer the endpoint table's questions: raw chains through our engine, or FlashAlpha."""

from gex_mcp.backends.base import Backend, Query

__all__ = ["Backend", "Query"]
