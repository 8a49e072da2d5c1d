"""The alert tools, resources and subscriptions in process, ticked by hand (no sleeping).

The file source's replay time steps from SPY 2020-06-22 to 06-28: spot (310.68 -> 300.01)
lands on the put wall (300). Clients of both eras connect to one server; the poller is
ticked directly, so each notification is tied to one tick.
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime

import anyio
import mcp.types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning

from gex_mcp.alerts.hub import AlertHub
from gex_mcp.alerts.watcher import Watcher
from gex_mcp.backends.options import Freshness
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.mcp_server.server import build_server
from gex_mcp.service import GexService
from gex_mcp.sources.file import FileSource
from gex_mcp.store.cache import ChainCache
from tests.conftest import CHAINS_DIR

pytestmark = pytest.mark.anyio
WAIT = 10


@pytest.fixture
def replay():
    source = FileSource(CHAINS_DIR, as_of=datetime(2020, 6, 23, tzinfo=NEW_YORK))
    service = GexService(sources={"file": source}, default_source="file", cache=ChainCache(None))
    watcher = Watcher(service, every=1.0)
    return source, service, watcher


def updated_uris(log: list[str]):
    async def handler(message) -> None:
        root = getattr(message, "root", message)
        if isinstance(root, types.ResourceUpdatedNotification):
            log.append(str(root.params.uri))
    return handler


async def test_watch_tick_and_notify_both_eras_then_unsubscribe(replay):
    source, service, watcher = replay
    server = build_server(service, watcher)
    legacy_log, silent_log, modern_log = [], [], []
    async with (Client(server, mode="legacy", message_handler=updated_uris(legacy_log)) as legacy,
                Client(server, mode="legacy", message_handler=updated_uris(silent_log)) as silent,
                Client(server) as modern):
        assert legacy.session.server_capabilities.resources.subscribe is True
        watched = await modern.call_tool("watch", {"symbols": ["spy"], "rules": ["near_wall"]})
        assert not watched.is_error, watched.content
        assert watched.structured_content["resources"] == ["gex://alerts", "gex://SPY/alerts"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await legacy.session.subscribe_resource("gex://SPY/alerts")
        async with anyio.create_task_group() as tg, modern.listen(
                resource_subscriptions=["gex://SPY/alerts"]) as sub:
            async def hear() -> None:
                async for event in sub:
                    modern_log.append(event.uri)

            tg.start_soon(hear)
            assert await watcher.tick() == []  # the baseline: 06-22
            source.as_of = datetime(2020, 6, 29, tzinfo=NEW_YORK)  # replay steps to 06-28
            fired = await watcher.tick()
            again = await watcher.tick()  # the same snapshot: nothing new
            with anyio.fail_after(WAIT):
                while not (legacy_log and modern_log):
                    await anyio.sleep(0.01)
            await anyio.sleep(0.1)
            tg.cancel_scope.cancel()
        assert [e.rule for e in fired] == ["near_wall"] and again == []
        assert legacy_log == modern_log == ["gex://SPY/alerts"]
        assert silent_log == []

        levels = await service.levels("SPY", source="file")
        alert = json.loads((await silent.read_resource("gex://SPY/alerts")).contents[0].text)["alerts"][0]
        assert alert["spot"] == levels.underlying_price == 300.01
        assert alert["level"] == levels.put_wall == 300.0 and alert["current"] == "put"
        assert abs(alert["spot"] - alert["level"]) / alert["spot"] * 100 <= 0.5
        everything = json.loads((await silent.read_resource("gex://alerts")).contents[0].text)
        assert everything["alerts"] == [alert]

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await legacy.session.unsubscribe_resource("gex://SPY/alerts")
        await watcher.hub.publish(fired)  # the same alert again: nobody is subscribed now
        await anyio.sleep(0.05)
        assert legacy_log == ["gex://SPY/alerts"]

        status = (await legacy.call_tool("watchlist", {})).structured_content
        assert status["watching"][0]["polls"] == 3 and status["watching"][0]["alerts"] == 2
        await legacy.call_tool("unwatch", {"symbols": ["SPY"]})
        assert (await legacy.call_tool("watchlist", {})).structured_content["watching"] == []


@pytest.mark.parametrize(("arguments", "message"), [
    ({"symbols": ["SPY"], "rules": ["flip"]}, "InputError: Unknown alert rule 'flip'. Use any of: "
     "flip_cross, near_wall, net_gex_sign, regime_change, wall_move (comma-separated), or leave "
     "rules out for all of them."),
    ({"symbols": ["../x"]}, "UnknownSymbolError: '../x' is not a ticker symbol. Use letters only, "
     "e.g. 'SPY' or 'SPX'."),
    ({"symbols": ["SPY"], "source": "cboe"}, "ConfigError: Source cboe is not configured."),
])
async def test_bad_watch_arguments_get_one_sentence(replay, arguments, message):
    _, service, watcher = replay
    async with Client(build_server(service, watcher), mode="legacy") as client:
        result = await client.call_tool("watch", arguments)
    assert result.is_error
    assert result.content[0].text.endswith(message)


async def test_a_failing_symbol_keeps_its_error_and_the_others_are_polled(replay):
    _, _, watcher = replay
    watcher.watch(["SPY", "QQQ"])  # the shared chains hold no QQQ .dat before 2020-06-23
    await watcher.tick()
    rows = {w.symbol: w for w in watcher.status().watching}
    assert rows["SPY"].polls == 1 and rows["SPY"].last_error is None
    assert rows["QQQ"].polls == 0 and rows["QQQ"].last_error.startswith("NoDataError")


async def test_live_sources_pause_outside_market_hours():
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK).timestamp()

    class Service:  # only what the watcher asks of a service, for the market-hours check
        def resolve_source(self, source):
            return source

        async def answer(self, *args, **kwargs):
            raise AssertionError("polled while the market is closed")

    watcher = Watcher(Service(), AlertHub(), every=5, clock=lambda: saturday)
    watcher.watch(["SPY"], source="cboe")
    assert await watcher.tick() == []
    assert watcher.paused().startswith("market closed")
    assert watcher.status().watching[0].polls == 0


async def test_the_hub_keeps_a_bounded_number_of_alerts_and_drops_a_stuck_stream():
    from gex_mcp.alerts import hub as hub_module
    from tests.alerts.test_rules import obs

    hub = AlertHub(keep=5)
    event = obs(0, 100.0)
    from gex_mcp.models import AlertEvent

    alert = AlertEvent(symbol="SPY", rule="flip_cross", message="m", as_of=event.as_of, spot=100.0,
                       net_gex=1.0, source="demo")
    async with hub.listen() as stream:
        await hub.publish([alert] * (hub_module.STREAM_BUFFER + 3))
        assert hub.stream_count == 0  # never read: closed instead of growing
        received = [a async for a in stream]
    assert len(received) == hub_module.STREAM_BUFFER
    assert [a.id for a in hub.recent().alerts] == list(range(hub.fired - 4, hub.fired + 1))


async def test_a_short_soak_on_the_demo_market_holds_traced_memory_flat():
    """200 polls, a fresh demo chain each (the clock moves a cache TTL per tick): the memory
    Python and numpy hold after tick 50 does not grow by tick 200 (the full 10,000-tick RSS
    curve is benchmarks/bench_watch_soak.py)."""
    import gc
    import tracemalloc
    from datetime import UTC

    from gex_mcp.sources.demo import DemoSource

    now = [datetime(2026, 3, 2, 9, 30, tzinfo=NEW_YORK).timestamp()]
    service = GexService(sources={"demo": DemoSource(clock=lambda: datetime.fromtimestamp(now[0], UTC))},
                         default_source="demo", cache=ChainCache(None, clock=lambda: now[0]),
                         freshness=Freshness(60))
    watcher = Watcher(service, AlertHub(keep=20), every=60, clock=lambda: now[0])
    watcher.watch(["SPY"])
    tracemalloc.start()
    try:
        for tick in range(1, 201):
            await watcher.tick()
            now[0] += 60
            if tick == 50:
                gc.collect()
                early = tracemalloc.get_traced_memory()[0]
        gc.collect()
        late = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert watcher.status().watching[0].polls == 200
    assert len(watcher.hub.recent().alerts) <= 20
    assert late - early < 2_000_000, (early, late)


async def test_the_running_poller_takes_a_new_symbols_baseline_at_once(replay):
    """With an hour between polls, `watch` still gets its first poll (the baseline) now."""
    _, service, _ = replay
    watcher = Watcher(service, every=3600.0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(watcher.run)
        await anyio.sleep(0.05)  # the first (empty) tick has run; the poller now waits an hour
        watcher.watch(["SPY"])
        with anyio.fail_after(WAIT):
            while watcher.status().watching[0].polls == 0:
                await anyio.sleep(0.01)
        tg.cancel_scope.cancel()
    assert watcher.status().watching[0].last_spot == 310.68
