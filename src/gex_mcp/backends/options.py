"""The small option objects the service and its chain backend are built from.

- `EngineParams`: model inputs applied to every chain (rates as decimals, bands in percent).
- `Freshness`: how long a fetched chain or answer counts as fresh (seconds), open and closed.
- `Stores`: what is kept beyond one answer: OI snapshots (for OI change), level records (for
  history), per-source daily request budgets, and how long snapshots are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gex_mcp.engine.flip import DEFAULT_RANGE_PCT
from gex_mcp.engine.prepare import DEFAULT_DEALER_MODEL, DEFAULT_DIVIDEND_YIELD, DEFAULT_RATE
from gex_mcp.engine.regime import NEUTRAL_BAND_PCT

if TYPE_CHECKING:
    from gex_mcp.sources.base import ChainSource
    from gex_mcp.store.budget import RequestBudget
    from gex_mcp.store.levels import LevelStore
    from gex_mcp.store.oi_snapshots import OISnapshotStore
    from gex_mcp.store.shared import SharedStores


@dataclass(frozen=True)
class EngineParams:
    """Model inputs applied to every chain (rates as decimals, bands in percent of spot)."""

    rate: float = DEFAULT_RATE
    dividend_yield: float = DEFAULT_DIVIDEND_YIELD
    dealer_model: str = DEFAULT_DEALER_MODEL
    neutral_band_pct: float = NEUTRAL_BAND_PCT
    flip_range_pct: float = DEFAULT_RANGE_PCT


@dataclass(frozen=True)
class Freshness:
    """Cache lifetimes in seconds: `ttl_seconds` while the market is open, and
    `closed_ttl_seconds` while it is closed (nights, weekends, holidays: quotes do not move;
    None uses `ttl_seconds` always)."""

    ttl_seconds: float = 60.0
    closed_ttl_seconds: float | None = None


@dataclass(frozen=True)
class Stores:
    """What is kept beyond one answer (every part optional: none keeps nothing).

    Attributes:
        oi_snapshots: per-strike OI snapshots, for OI change when a source gives no previous OI.
        levels: where each live analysis leaves its level record (history, level_accuracy).
        budgets: per-source daily request budgets, checked before each upstream fetch.
        history_days: snapshots and records older than this are pruned; None keeps them all.
        shared: what replicas share (Redis, PostgreSQL; its `rate_limit` is the per-key limit
            the HTTP door uses), or None (all in this process).
    """

    oi_snapshots: OISnapshotStore | None = None
    levels: LevelStore | None = None
    budgets: Mapping[str, RequestBudget] = field(default_factory=dict)
    history_days: float | None = None
    shared: SharedStores | None = None


def cache_tag(source: ChainSource) -> str:
    """A source's cache identity: its `cache_tag` when its answers depend on its setup
    (a folder, a replay time), else its name."""
    return getattr(source, "cache_tag", source.name)


__all__ = ["EngineParams", "Freshness", "Stores", "cache_tag"]
