"""Wiring: the sources, cache, stores and budgets a `GexService` is built from, out of
`Settings` (`gex_mcp.settings`). `service.build_service(settings)` calls `assemble`.

One SQLite database in `GEX_DATA_DIR` holds the chain cache, the daily budgets, the OI
snapshots and the level records; a `--chain FILE` service has none (memory cache only).
With `GEX_REDIS_URL`, replicas also share through Redis the chain cache and its fetch locks,
the daily budgets, the unknown-symbol refusals and the REST rate limit (`store/redis_*.py`);
with `GEX_DATABASE_URL`, OI snapshots and level records live in PostgreSQL (`store/postgres.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gex_mcp.backends.options import EngineParams, Freshness, Stores
from gex_mcp.errors import ConfigError
from gex_mcp.sources.base import ChainSource
from gex_mcp.store.cache import ChainCache, spread_ttl_factor

if TYPE_CHECKING:
    from gex_mcp.settings import Settings

logger = logging.getLogger(__name__)


def open_store(path: Path) -> Any:
    """The SQLite store at `path`. It holds a cache, budgets and history, nothing that cannot
    be rebuilt, so a file that is not a readable database is moved aside (said once, in the
    log) and a fresh one started; when the folder cannot be written at all, the service runs
    on an in-memory store with a warning instead of refusing to start.

    Raises:
        ConfigError: the database was written by a newer gex-mcp (left untouched).
    """
    import sqlite3

    from gex_mcp.store.migrations import MEMORY, open_database

    try:
        return open_database(path)
    except ConfigError:
        raise
    except sqlite3.DatabaseError as exc:  # not a database, or a malformed one
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            path.rename(aside)
            for suffix in ("-wal", "-shm"):
                stale = path.with_name(path.name + suffix)
                if stale.exists():
                    stale.rename(aside.with_name(aside.name + suffix))
            logger.warning("the store %s could not be read (%s); moved it to %s and started a "
                           "fresh one (cache and history start empty)", path, exc, aside.name)
            return open_database(path)
        except (OSError, sqlite3.Error) as again:
            exc = again
    except (OSError, sqlite3.Error) as error:
        exc = error
    logger.warning("cannot use the store %s (%s); running with an in-memory store: nothing is "
                   "kept across restarts. Set GEX_DATA_DIR to a writable folder.", path, exc)
    return open_database(MEMORY)


def _cboe_source(settings: Settings, max_bytes: int) -> ChainSource:
    from gex_mcp.sources.cboe import CboeSource

    return CboeSource(base_url=settings.cboe_base_url, timeout_seconds=settings.http_timeout,
                      retries=settings.http_retries, max_bytes=max_bytes)


def assemble(settings: Settings, *, chain_file: Path | None = None,
             clock: Callable[[], float] = time.time,
             snapshot_time: datetime | None = None) -> dict[str, Any]:
    """The keyword arguments of `GexService` that `settings` describe: sources, cache, OI
    snapshots, level records and budgets on one database, engine parameters, freshness.

    With `chain_file`, the service answers from that one snapshot file alone (memory
    cache, no database, no network), as `gex-mcp ... --chain FILE` does; `snapshot_time`
    then overrides the download time the file states (`--snapshot-time`).

    Raises:
        ConfigError: the chosen source is not usable with these settings.
    """
    params = EngineParams(rate=settings.rate, dividend_yield=settings.dividend_yield,
                          dealer_model=settings.dealer_model)
    if chain_file is not None:
        from gex_mcp.sources.chain_file import ChainFileSource

        return {"sources": {"file": ChainFileSource(chain_file, snapshot_time=snapshot_time)},
                "default_source": "file", "cache": ChainCache(None, clock=clock), "params": params}

    from gex_mcp.sources.base import LazySource
    from gex_mcp.sources.demo import DemoSource
    from gex_mcp.store.budget import RequestBudget
    from gex_mcp.store.shared import SharedStores

    if settings.source == "flashalpha" and settings.flashalpha_api_key is None:
        raise ConfigError("GEX_SOURCE is flashalpha but FLASHALPHA_API_KEY is not set. "
                          "Set the key, or use GEX_SOURCE=cboe (free, no key).")
    if settings.source == "file" and settings.chains_dir is None:
        raise ConfigError("GEX_SOURCE is file but GEX_CHAINS_DIR is not set. Point it at a "
                          "folder of CBOE chain files (.csv, .dat or .json).")
    link = _redis_link(settings)
    database = _database(settings)
    shared = None if link is None and database is None else SharedStores(link, database)
    conn = open_store(settings.data_dir / "gex.db")
    max_bytes = int(settings.max_response_mb * 1_048_576)
    sources: dict[str, ChainSource] = {
        "cboe": LazySource("cboe", lambda: _cboe_source(settings, max_bytes)),
        "demo": DemoSource(),
    }
    if settings.chains_dir is not None:
        from gex_mcp.sources.file import FileSource

        sources["file"] = FileSource(settings.chains_dir, as_of=settings.file_as_of)
    def budget(source: str, limit: int) -> RequestBudget:
        if link is None:
            return RequestBudget(conn, source, limit, clock=clock)
        from gex_mcp.store.redis_budget import RedisRequestBudget

        return RedisRequestBudget(conn, source, limit, link=link, clock=clock)

    budgets = {"cboe": budget("cboe", settings.cboe_daily_budget)}
    flashalpha = None
    if settings.flashalpha_api_key is not None:
        from gex_mcp.sources.flashalpha import FlashAlphaClient

        fa_budget = budget("flashalpha", settings.flashalpha_daily_budget)
        budgets["flashalpha"] = fa_budget
        flashalpha = FlashAlphaClient(
            settings.flashalpha_api_key, base_url=settings.flashalpha_base_url,
            timeout_seconds=settings.http_timeout, retries=settings.http_retries,
            max_bytes=max_bytes, on_rate_limit_headers=lambda limit, remaining, reset:
            fa_budget.record_upstream_limits(remaining, reset))
    return {
        "sources": sources, "default_source": settings.source,
        "cache": ChainCache(conn, clock=clock, ttl_factor=spread_ttl_factor(),
                            shared=None if link is None else _redis_tier(link)), "params": params,
        "freshness": Freshness(settings.cache_ttl, settings.cache_ttl_closed),
        "stores": _history_stores(conn, database, budgets, settings.history_days, shared),
        "flashalpha": flashalpha,
        "on_close": [conn.close] + ([] if shared is None else [shared.aclose])}


def _history_stores(conn: Any, database: Any, budgets: dict[str, Any], history_days: int,
                    shared: Any) -> Stores:
    """OI snapshots and level records in PostgreSQL when configured, else in SQLite; with
    what the replicas share."""
    if database is not None:
        from gex_mcp.store.postgres import PostgresLevelStore, PostgresOISnapshotStore

        return Stores(oi_snapshots=PostgresOISnapshotStore(database), levels=PostgresLevelStore(database),
                      budgets=budgets, history_days=history_days, shared=shared)
    from gex_mcp.store.levels import SqliteLevelStore
    from gex_mcp.store.oi_snapshots import OISnapshotStore

    return Stores(oi_snapshots=OISnapshotStore(conn), levels=SqliteLevelStore(conn),
                  budgets=budgets, history_days=history_days, shared=shared)


def _database(settings: Settings) -> Any:
    """The `PostgresDatabase` of `GEX_DATABASE_URL`, migrated, or None when unset.

    Raises:
        ConfigError: the `postgres` extra is missing, PostgreSQL does not answer (the URL is
            named without its password), or its schema is newer than this gex-mcp.
    """
    if settings.database_url is None:
        return None
    from gex_mcp.store.postgres import PostgresDatabase

    return PostgresDatabase(settings.database_url.get_secret_value())


def _redis_link(settings: Settings) -> Any:
    """The `RedisLink` of `GEX_REDIS_URL`, checked to answer, or None when unset.

    Raises:
        ConfigError: the `redis` extra is missing, or Redis does not answer (the URL is named
            without its password).
    """
    if settings.redis_url is None:
        return None
    from gex_mcp.store.redis_link import RedisLink

    link = RedisLink(settings.redis_url.get_secret_value())
    link.check()
    return link


def _redis_tier(link: Any) -> Any:
    from gex_mcp.store.redis_cache import RedisTier

    return RedisTier(link)


__all__ = ["assemble", "open_store"]
