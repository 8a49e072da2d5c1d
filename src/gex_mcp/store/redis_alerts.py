"""`RedisAlertBus`: the fleet's one watchlist, poller lease, alert de-duplication and fan-out,
in Redis (`GEX_REDIS_URL`). `alerts/fleet.py` puts it to use.

Keys and channel (under the link's prefix):

- `watchlist`: a hash symbol -> JSON {"source", "rules"}; any replica's `watch` writes it.
- `lease:poller`: the replica holding it (a random owner id) is the fleet's one poller; it
  expires `lease_seconds` after the holder last renewed it, so a dead poller is replaced.
- `alert:<symbol>:<rule>:<as_of>`: set once per event (NX, kept a day): the first replica to
  set it publishes the alert, any other skips it; `alerts:id` numbers alerts fleet-wide.
- channel `alerts`: JSON messages {"alert": {...}} (an alert to deliver) or {"watch": true}
  (the watchlist changed: poll now); every replica listens and delivers to its own subscribers.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

from gex_mcp.store.redis_link import RedisLink

DEDUP_SECONDS = 86400

# KEYS[1] lease; ARGV owner, ms. Take the lease if free, renew it if ours; 1 if held by us.
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0
"""


class RedisAlertBus:
    """The Redis side of fleet alerts (see the module docstring)."""

    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.owner = secrets.token_hex(8)
        self.channel = link.key("alerts")

    async def watchlist(self) -> dict[str, dict[str, Any]]:
        raw = await self.link.client().hgetall(self.link.key("watchlist"))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    async def watch(self, entries: dict[str, dict[str, Any]]) -> None:
        if entries:
            await self.link.client().hset(self.link.key("watchlist"),
                                          mapping={k: json.dumps(v) for k, v in entries.items()})
        await self.link.client().publish(self.channel, json.dumps({"watch": True}))

    async def unwatch(self, symbols: list[str]) -> None:
        if symbols:
            await self.link.client().hdel(self.link.key("watchlist"), *symbols)

    async def hold_lease(self, seconds: float) -> bool:
        """True when this replica holds (took or renewed) the poller lease."""
        got = await self.link.client().eval(_LEASE, 1, self.link.key("lease", "poller"),
                                            self.owner, max(int(seconds * 1000), 1))
        return bool(got)

    async def first(self, event_key: str) -> int | None:
        """A fleet-wide alert number when this is the first report of `event_key`, else None."""
        client = self.link.client()
        if not await client.set(self.link.key("alert", event_key), self.owner, nx=True,
                                ex=DEDUP_SECONDS):
            return None
        return int(await client.incr(self.link.key("alerts", "id")))

    async def publish(self, alert_json: str) -> None:
        await self.link.client().publish(self.channel, '{"alert": ' + alert_json + "}")

    async def messages(self, poll_seconds: float = 1.0) -> AsyncIterator[dict[str, Any]]:
        """The channel's messages, decoded, until cancelled (raises the link's errors)."""
        pubsub = self.link.client().pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            while True:
                message = await pubsub.get_message(timeout=poll_seconds)
                if message is not None and message.get("type") == "message":
                    yield json.loads(message["data"])
        finally:
            try:
                await pubsub.aclose()
            except self.link.errors:
                pass


__all__ = ["RedisAlertBus"]
