"""Cache, request budget and history, in one embedded SQLite database.

Open it once with `open_database(path)` (":memory:" for tests), pass the connection to
`ChainCache`, `RequestBudget` and `OISnapshotStore`, and close it at shutdown.
"""

from gex_mcp.store.budget import BudgetStatus, RequestBudget
from gex_mcp.store.cache import Cached, CacheKey, ChainCache, chain_key
from gex_mcp.store.migrations import MIGRATIONS, SCHEMA_VERSION, StoreConnection, open_database
from gex_mcp.store.oi_snapshots import OISnapshot, OISnapshotStore
from gex_mcp.store.serialize import CHAIN_CODEC, Codec, json_codec, model_codec

__all__ = [
    "CHAIN_CODEC",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "BudgetStatus",
    "CacheKey",
    "Cached",
    "ChainCache",
    "Codec",
    "OISnapshotStore",
    "OISnapshot",
    "RequestBudget",
    "StoreConnection",
    "chain_key",
    "json_codec",
    "model_codec",
    "open_database",
]
