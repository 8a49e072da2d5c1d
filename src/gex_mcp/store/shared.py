"""`SharedStores`: what replicas share, as one object for the service and its doors: the
Redis link (`GEX_REDIS_URL`) and the PostgreSQL database (`GEX_DATABASE_URL`), either or both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gex_mcp.store.postgres import PostgresDatabase
    from gex_mcp.store.redis_link import RedisLink


@dataclass
class SharedStores:
    """The shared stores configured (each None when its setting is unset)."""

    redis: RedisLink | None = None
    database: PostgresDatabase | None = None

    def health(self) -> dict[str, Any]:
        """The /health entry, e.g. {"redis": "ok", "postgres": "ok", "dropped_writes": 0}."""
        return {**(self.redis.health() if self.redis else {}),
                **(self.database.health() if self.database else {})}

    def rate_limit(self, local: Any) -> Any:
        """The REST rate limit: shared in Redis when configured (with `local`, this process's
        bucket, answering while Redis is lost), else `local`."""
        return local if self.redis is None else self.redis.rate_limit(local)

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        if self.database is not None:
            self.database.close()


__all__ = ["SharedStores"]
