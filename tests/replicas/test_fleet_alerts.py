"""Alerts across replicas: a `watch` made through replica 1 is polled by one replica only and
each alert reaches, exactly once, a `subscriptions/listen` client on replica 2, a
`resources/subscribe` session on replica 3 and an SSE client on replica 2, and is kept once
in the PostgreSQL alert log.

Replica 3 keeps sessions (no `--stateless`): a stateless server has no session to notify
later, so it refuses `resources/subscribe` (README, Alerts). The market is replayed as in
tests/alerts/test_alert_subscriptions.py: real CBOE SPX snapshots linked one after another
into the file source's folder cross the gamma flip three times; the expected crossings are
derived there from the snapshots' levels, not from the rules.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import anyio
import psycopg
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning

from tests.alerts.test_alert_subscriptions import SPX, Heard, _expected, _numbers, _read_sse
from tests.conftest import CHAINS_DIR
from tests.replicas.conftest import fresh_postgres, fresh_redis
from tests.shared_stores import PostgresServer, RedisServer, start_replicas

pytestmark = pytest.mark.anyio
TTL = "0.3"
WAIT = 45


async def _until(predicate, what: str) -> None:
    with anyio.fail_after(WAIT):
        while not await predicate():
            await anyio.sleep(0.1)


async def test_a_watch_on_replica_1_alerts_subscribers_on_every_replica_once(
        redis_server: RedisServer, postgres_server: PostgresServer, tmp_path: Path) -> None:
    flips, _ = await _expected()
    chains = tmp_path / "chains"
    chains.mkdir()

    def link(name: str) -> None:
        (chains / name).symlink_to(CHAINS_DIR.resolve() / name)

    link(SPX[0])
    replicas = start_replicas(tmp_path / "fleet", 3, {
        "GEX_REDIS_URL": fresh_redis(redis_server),
        "GEX_DATABASE_URL": fresh_postgres(postgres_server), "GEX_SOURCE": "file",
        "GEX_CHAINS_DIR": str(chains), "GEX_CACHE_TTL": TTL, "GEX_CACHE_TTL_CLOSED": TTL,
        "PATH": os.environ.get("PATH", "")}, stateful=(3,))
    first, second, third = replicas
    listen_heard, legacy_heard, sse_heard = [], Heard(), []
    try:
        async with (Client(first.url + "/mcp") as one,
                    Client(second.url + "/mcp") as two,
                    Client(third.url + "/mcp", mode="legacy", message_handler=legacy_heard) as three):
            watched = await one.call_tool("watch", {"symbols": ["SPX"], "rules": ["flip_cross"]})
            assert not watched.is_error, watched.content
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                await three.session.subscribe_resource("gex://SPX/alerts")
            async with anyio.create_task_group() as tg, two.listen(
                    resource_subscriptions=["gex://SPX/alerts"]) as sub:
                async def hear() -> None:
                    async for event in sub:
                        listen_heard.append(event.uri)

                tg.start_soon(hear)
                await tg.start(_read_sse, second.port, sse_heard)

                async def baseline() -> bool:  # the poller has judged the first snapshot
                    for client in (one, two, three):
                        rows = (await client.call_tool("watchlist", {})).structured_content["watching"]
                        if any(r["symbol"] == "SPX" and r["last_as_of"] for r in rows):
                            return True
                    return False

                await _until(baseline, "the baseline poll")
                for seen, name in enumerate(SPX[1:], 1):
                    link(name)

                    async def heard(n: int = seen) -> bool:
                        return (len(listen_heard) >= n and legacy_heard.uris.count("gex://SPX/alerts") >= n
                                and len(sse_heard) >= n)

                    await _until(heard, f"alert {seen}")
                await anyio.sleep(6 * float(TTL) + 0.5)  # later polls of the same snapshot: silence
                tg.cancel_scope.cancel()
            statuses = [(await c.call_tool("watchlist", {})).structured_content for c in (one, two, three)]
            kept = [json.loads((await c.read_resource("gex://SPX/alerts")).contents[0].text)["alerts"]
                    for c in (one, two, three)]
            await two.call_tool("unwatch", {"symbols": ["SPX"]})  # through another replica

            async def unwatched() -> bool:
                lists = [(await c.call_tool("watchlist", {})).structured_content["watching"]
                         for c in (one, three)]
                return lists == [[], []]

            await _until(unwatched, "the unwatch to reach every replica")
    finally:
        codes = [r.stop() for r in replicas]
    assert listen_heard == ["gex://SPX/alerts"] * 3
    assert legacy_heard.uris.count("gex://SPX/alerts") == 3
    assert sorted(_numbers(a) for a in sse_heard) == sorted(_numbers(e) for e in flips)
    assert len({a["id"] for a in sse_heard}) == 3
    for alerts in kept:  # every replica keeps the same alerts, with the same fleet-wide numbers
        assert [(a["id"], _numbers(a)) for a in alerts] == [(a["id"], _numbers(a)) for a in kept[0]]
    polled = [next(w["polls"] for w in s["watching"] if w["symbol"] == "SPX") for s in statuses]
    assert sum(p > 0 for p in polled) == 1  # one poller for the fleet
    assert all(s["watching"][0]["symbol"] == "SPX" for s in statuses)  # one watchlist
    with psycopg.connect(postgres_server.url) as conn:  # the alert log: each alert once
        logged = conn.execute("SELECT id, event FROM alert_log ORDER BY id").fetchall()
    assert [n for n, _ in logged] == sorted(a["id"] for a in sse_heard)
    assert [_numbers(json.loads(e)) for _, e in logged] == [_numbers(a) for a in kept[0]]
    for replica, code in zip(replicas, codes):
        assert code == 0 and "Traceback" not in replica.text(), replica.text()
