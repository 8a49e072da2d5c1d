"""GexService end to end: real sources on loopback, SQLite cache, budgets, history, stale data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import anyio
import numpy as np
import pytest

from gex_mcp.backends.options import Freshness, Stores
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.engine.prepare import live_strike_oi
from gex_mcp.errors import InvalidExpiryError, RateLimitedError, SourceUnavailableError, UnknownSymbolError
from gex_mcp.parsing import load_chain_file
from gex_mcp.service import GexService, build_service
from gex_mcp.settings import Settings
from gex_mcp.sources.demo import DemoSource
from gex_mcp.sources.parse_pool import default_workers
from gex_mcp.store.cache import ChainCache
from gex_mcp.store.migrations import open_database
from gex_mcp.store.oi_snapshots import OISnapshotStore
from tests.sources.loopback import DEFAULT_API_KEY, Fault
from tests.universe import make_universe

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def settings_for(loopback, tmp_path, **extra) -> Settings:
    values = {"source": "cboe", "data_dir": tmp_path, "cboe_base_url": loopback.url,
              "flashalpha_base_url": loopback.url, "http_retries": 0, **extra}
    return Settings(_env_file=None, **values)


async def test_hundred_concurrent_requests_make_one_upstream_call(loopback, tmp_path):
    """Single-flight through the whole stack: 100 gex calls for AAPL, one CBOE request."""
    loopback.faults["AAPL"] = Fault.slow(0.3)  # keep the fetch in flight while callers pile up
    async with build_service(settings_for(loopback, tmp_path)) as svc:
        results = []

        async def one():
            results.append(await svc.gex("AAPL"))
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(100):
                    tg.start_soon(one)
    assert loopback.requests[loopback.cboe_path("AAPL")] == 1
    assert len(results) == 100 and len({r.net_gex for r in results}) == 1


async def test_a_restart_reads_the_sqlite_cache_instead_of_refetching(loopback, tmp_path):
    """A second service on the same data dir answers from SQLite with no upstream request."""
    async with build_service(settings_for(loopback, tmp_path)) as first:
        before = await first.levels("AAPL")
    async with build_service(settings_for(loopback, tmp_path)) as second:
        after = await second.levels("AAPL")
    assert loopback.requests[loopback.cboe_path("AAPL")] == 1
    assert after.call_wall == before.call_wall and after.gamma_flip == before.gamma_flip


async def test_a_failing_upstream_serves_the_last_answer_flagged_stale(loopback, tmp_path):
    """After the TTL, a 503 from CBOE yields the cached answer with stale=True, age and reason."""
    clock = Clock()
    svc = build_service(settings_for(loopback, tmp_path, cache_ttl=60, cache_ttl_closed=60), clock=clock)
    async with svc:
        fresh = await svc.summary("AAPL")
        clock.now += 600
        loopback.faults["AAPL"] = Fault.http_status(503)
        stale = await svc.summary("AAPL")
    assert not fresh.stale
    assert stale.stale and stale.stale_age_seconds == pytest.approx(600, abs=1)
    assert "503" in stale.stale_reason
    assert stale.net_gex == fresh.net_gex


async def test_failing_upstream_with_nothing_cached_is_a_clear_error(loopback, tmp_path):
    """No cache and a 503: SourceUnavailableError naming the status, no stale data invented."""
    loopback.faults["AAPL"] = Fault.http_status(503)
    async with build_service(settings_for(loopback, tmp_path)) as svc:
        with pytest.raises(SourceUnavailableError) as info:
            await svc.gex("AAPL")
    assert "503" in str(info.value)


async def test_budget_refuses_the_sixth_flashalpha_call_before_upstream(loopback, tmp_path):
    """Five distinct FlashAlpha calls pass; the sixth is refused locally, upstream sees five."""
    s = settings_for(loopback, tmp_path, source="flashalpha", flashalpha_api_key=DEFAULT_API_KEY,
                     flashalpha_daily_budget=5)
    async with build_service(s) as svc:
        for endpoint in ("gex", "dex", "vex", "chex", "levels"):
            await getattr(svc, endpoint)("AAPL")
        with pytest.raises(RateLimitedError) as info:
            await svc.summary("AAPL")
    assert str(info.value).startswith("Daily request budget for flashalpha is spent (5 of 5 used today, UTC).")
    assert sum(n for path, n in loopback.requests.items() if path.startswith("/v1/")) == 5
    assert DEFAULT_API_KEY not in str(info.value)


async def test_budget_survives_a_restart(loopback, tmp_path):
    """Budget counts live in SQLite: a new process still sees today's spending."""
    s = settings_for(loopback, tmp_path, source="flashalpha", flashalpha_api_key=DEFAULT_API_KEY,
                     flashalpha_daily_budget=1)
    async with build_service(s) as svc:
        await svc.levels("AAPL")
    async with build_service(s) as svc:
        with pytest.raises(RateLimitedError):
            await svc.gex("AAPL")


async def test_flashalpha_answers_keep_our_shape_and_never_contain_the_key(loopback, tmp_path, caplog):
    """A FlashAlpha-backed levels call is our LevelsResponse; the key is nowhere in it or the logs."""
    caplog.set_level("DEBUG")
    s = settings_for(loopback, tmp_path, source="flashalpha", flashalpha_api_key=DEFAULT_API_KEY)
    async with build_service(s) as svc:
        levels = await svc.levels("AAPL")
        loopback.faults["/v1/exposure/gex/AAPL"] = Fault.http_status(401)
        with pytest.raises(Exception) as info:
            await svc.gex("AAPL")
    assert levels.source == "flashalpha" and levels.symbol == "AAPL"
    for text in (levels.model_dump_json(), str(info.value), repr(info.value), caplog.text):
        assert DEFAULT_API_KEY not in text


class SequenceSource:
    """Serves the given chains one per fetch, counting calls (a stand-in for daily snapshots)."""

    name = "file"

    def __init__(self, chains):
        self.chains = list(chains)
        self.calls = 0

    async def fetch_chain(self, symbol):
        chain = self.chains[min(self.calls, len(self.chains) - 1)]
        self.calls += 1
        return chain


async def test_oi_change_comes_from_the_previous_days_snapshot(chains_dir, tmp_path):
    """SPY 2020-06-28 minus the stored 2020-06-22 snapshot gives each strike's OI change."""
    day1 = load_chain_file(chains_dir / "cboe_legacy_SPY_2020-06-22.dat")
    day2 = load_chain_file(chains_dir / "cboe_legacy_SPY_2020-06-28.dat")
    conn = open_database(tmp_path / "gex.db")
    try:
        svc = GexService(sources={"file": SequenceSource([day1, day2])}, default_source="file",
                         cache=ChainCache(conn), stores=Stores(oi_snapshots=OISnapshotStore(conn)), freshness=Freshness(0))
        first = await svc.gex("SPY")
        second = await svc.gex("SPY")
        movers = await svc.oi_changes("SPY")
    finally:
        conn.close()
    assert all(row.call_oi_change is None for row in first.strikes)
    k1, c1, p1 = live_strike_oi(day1)
    k2, c2, p2 = live_strike_oi(day2)
    before_call = dict(zip(k1, c1))
    before_put = dict(zip(k1, p1))
    for row in second.strikes:
        i = int(np.searchsorted(k2, row.strike))
        assert row.call_oi_change == round(c2[i] - before_call.get(row.strike, 0.0))
        assert row.put_oi_change == round(p2[i] - before_put.get(row.strike, 0.0))
    assert movers.oi_change_known and movers.movers
    # 06-23, 06-24, 06-25 and 06-26 are the sessions after day 1's
    assert movers.oi_change_basis == ("open interest minus the snapshot of "
                                      f"{day1.as_of:%Y-%m-%d %H:%M} ET, 4 sessions earlier "
                                      "(GEX_DATA_DIR history)")


async def test_warm_answers_are_the_same_object_until_the_ttl_expires():
    """Within the TTL the second call is served from memory without refetching."""
    clock = Clock()
    fixed = datetime(2025, 6, 10, 14, 30, tzinfo=UTC)
    source = DemoSource(clock=lambda: fixed)
    calls = []

    class Counting:
        name = "demo"

        async def fetch_chain(self, symbol):
            calls.append(symbol)
            return await source.fetch_chain(symbol)

    svc = GexService(sources={"demo": Counting()}, default_source="demo",
                     cache=ChainCache(None, clock=clock), freshness=Freshness(60))
    a = await svc.levels("SPY")
    b = await svc.levels("spy")
    clock.now += 61
    c = await svc.levels("SPY")
    # b is a's memoised answer with its age restated: a shallow copy sharing a's lists
    assert a.gamma_flip_crossings is b.gamma_flip_crossings
    assert len(calls) == 2 and c.call_wall == a.call_wall
    assert json.loads(a.model_dump_json())["is_demo"] is True


async def test_expiration_checks_name_the_nearest_listed_dates():
    """An unlisted future expiration is an InvalidExpiryError listing nearby dates."""
    fixed = datetime(2025, 6, 10, 14, 30, tzinfo=UTC)  # Tuesday 10:30 New York
    svc = GexService(sources={"demo": DemoSource(clock=lambda: fixed)}, default_source="demo",
                     cache=ChainCache(None))
    with pytest.raises(InvalidExpiryError) as info:
        await svc.gex("TSLA", expiration="2025-06-11")
    assert str(info.value) == ("TSLA has no options expiring 2025-06-11. Nearest listed: "
                               "2025-06-13, 2025-06-20, 2025-06-27.")
    today = await svc.gex("SPY", expiration="2025-06-10")
    assert today.expiration == "2025-06-10" and today.strikes


async def test_replay_times_do_not_share_cached_chains(chains_dir, tmp_path):
    """Two replay times of the file source on one data dir get their own snapshots."""
    answers = []
    for when in ("2020-06-23T00:00", "2020-07-05T00:00"):
        s = Settings(_env_file=None, source="file", data_dir=tmp_path, chains_dir=chains_dir,
                     file_as_of=when)
        async with build_service(s) as svc:
            answers.append(await svc.levels("SPY"))
    # The 07-04 file (a Saturday; Friday 07-03 was the observed holiday) holds Thursday's close.
    assert [a.as_of.date().isoformat() for a in answers] == ["2020-06-22", "2020-07-02"]
    assert answers[0].source == "file:cboe_legacy_SPY_2020-06-22.dat"


async def test_history_keeps_one_snapshot_per_fifteen_minutes(tmp_path):
    """Refetching every minute does not grow the history faster than every 15 minutes."""
    start = datetime(2025, 6, 10, 14, 0, tzinfo=UTC)
    moments = [start.replace(minute=m) for m in (0, 1, 5, 14, 16, 31)]
    demo = DemoSource(clock=lambda: moments[0])
    base = await demo.fetch_chain("SPY")
    from dataclasses import replace
    conn = open_database(tmp_path / "gex.db")
    try:
        history = OISnapshotStore(conn)
        svc = GexService(sources={"demo": SequenceSource([replace(base, as_of=m) for m in moments])},
                         default_source="demo", cache=ChainCache(conn), stores=Stores(oi_snapshots=history), freshness=Freshness(0))
        for _ in moments:
            await svc.levels("SPY")
        stored = [h["as_of"] for h in history.levels_history("SPY", "demo")]
    finally:
        conn.close()
    assert sorted(stored) == [moments[0], moments[4], moments[5]]


async def test_unknown_symbols_are_remembered_and_spend_only_their_share(loopback, tmp_path):
    """100 asks for NOPE cost one request; made-up tickers spend at most 10% of the budget
    (issue 26, point 3: they used to take 90% and lock out symbols never fetched before,
    GOOGL and META, until midnight), and new real symbols are served after the flood."""
    s = settings_for(loopback, tmp_path, cboe_daily_budget=20, cache_ttl=0)
    async with build_service(s) as svc:
        with anyio.fail_after(20):
            await svc.levels("AAPL")  # 1 request
            for _ in range(100):
                with pytest.raises(UnknownSymbolError):
                    await svc.levels("NOPE")
            assert loopback.requests[loopback.cboe_path("NOPE")] == 1
            for i in range(60):  # three times the whole budget, all answered "no such symbol"
                with pytest.raises(UnknownSymbolError):
                    await svc.levels(f"NOPE{chr(65 + i % 26)}{i // 26}")
            (status,) = svc.budgets()
            assert status.used_today == 1 + 2  # AAPL, then the share: 10% of 20
            new = [await svc.levels(symbol) for symbol in ("GOOGL", "META")]
            (status,) = svc.budgets()
    assert [n.symbol for n in new] == ["GOOGL", "META"] and not any(n.stale for n in new)
    assert status.used_today == 5
    made_up = sum(n for path, n in loopback.requests.items() if "NOPE" in path)
    assert made_up == 61  # each made-up ticker asked once; only 2 of them counted


async def test_the_budget_still_ends_the_day_for_real_symbols(loopback, tmp_path):
    """The share gives back made-up tickers' requests, not real ones': the 4th of 3 is
    refused before it is sent (AAPL again would be served stale from the cache)."""
    s = settings_for(loopback, tmp_path, cboe_daily_budget=3, cache_ttl=0)
    async with build_service(s) as svc:
        with anyio.fail_after(20):
            for symbol in ("AAPL", "GOOGL", "META"):
                await svc.levels(symbol)
            with pytest.raises(RateLimitedError, match="Daily request budget for cboe is spent"):
                await svc.levels("NOPE")
    assert loopback.requests[loopback.cboe_path("NOPE")] == 0


@pytest.mark.parametrize(("moment", "refetched"), [
    (datetime(2025, 6, 11, 11, 0, tzinfo=NEW_YORK), True),   # a Wednesday session: 60 s
    (datetime(2025, 6, 14, 11, 0, tzinfo=NEW_YORK), False),  # a Saturday: 1,800 s
    (datetime(2025, 7, 4, 11, 0, tzinfo=NEW_YORK), False),   # Independence Day
    (datetime(2025, 6, 11, 20, 0, tzinfo=NEW_YORK), False),  # Wednesday night
])
async def test_the_cache_lifetime_follows_the_market(loopback, tmp_path, moment, refetched):
    """Two minutes later a chain is stale in the session and still fresh when closed."""
    clock = Clock(moment.timestamp())
    svc = build_service(settings_for(loopback, tmp_path), clock=clock)
    async with svc:
        await svc.levels("AAPL")
        clock.now += 120
        await svc.levels("AAPL")
    assert loopback.requests[loopback.cboe_path("AAPL")] == (2 if refetched else 1)


async def test_a_fresh_answer_is_served_without_reloading_its_evicted_chain(tmp_path, monkeypatch):
    """Memory keeps one chain here: after QQQ pushes SPY's chain out, SPY's levels still come
    from the answer memo (no SQLite read and decode of the chain) while its row is fresh;
    past the TTL the chain is fetched again and the answer is a new one."""
    clock = Clock()
    conn = open_database(tmp_path / "gex.db")
    loads = []
    original = ChainCache._load_row

    def counting(self, key, codec, *, newer_than):
        loads.append(key)
        return original(self, key, codec, newer_than=newer_than)

    monkeypatch.setattr(ChainCache, "_load_row", counting)
    try:
        wednesday = datetime(2025, 6, 11, 14, 30, tzinfo=UTC)  # the demo market trades
        demo = DemoSource(clock=lambda: wednesday + timedelta(seconds=clock.now - 1_750_000_000.0))
        svc = GexService(sources={"demo": demo}, default_source="demo",
                         cache=ChainCache(conn, clock=clock, max_memory_entries=1),
                         freshness=Freshness(60, 60))
        first = await svc.levels("SPY")
        await svc.levels("QQQ")
        loads.clear()
        again = await svc.levels("SPY")
        assert loads == [] and again.gamma_flip == first.gamma_flip
        clock.now += 61
        later = await svc.levels("SPY")
    finally:
        conn.close()
    assert later.as_of > first.as_of  # a new demo snapshot, not the remembered answer


async def test_a_bulk_scan_parses_in_workers_to_the_same_rows(tmp_path, chains_dir,
                                                              monkeypatch) -> None:
    """From BULK_SCAN_SYMBOLS local symbols on, files are parsed in worker processes, which
    stop when the scan ends; the rows equal those of the same scan parsed in threads."""
    folder = tmp_path / "chains"
    folder.mkdir()
    symbols = make_universe(folder, 6, chains_dir)

    async def scan(bulk_from: int, data: str) -> tuple[list, int]:
        monkeypatch.setattr("gex_mcp.service.BULK_SCAN_SYMBOLS", bulk_from)
        settings = Settings(_env_file=None, source="file", data_dir=tmp_path / data,
                            chains_dir=folder)
        async with build_service(settings) as svc:
            rows = (await svc.scan(symbols)).rows
            parser = svc._chains.sources["file"]._parser
            assert parser.started == 0  # stopped when the scan ended
        return [r.model_dump() for r in rows], parser.spawned

    in_threads, none = await scan(1000, "a")
    in_workers, some = await scan(len(symbols), "b")
    assert none == 0 and 1 <= some <= default_workers()
    assert in_workers == in_threads
    assert not any(r["error"] for r in in_workers)


async def test_a_long_scan_reports_progress_in_steps_ending_at_the_total(monkeypatch) -> None:
    """Beyond MAX_PROGRESS_REPORTS symbols progress comes every ceil(n / cap) symbols and
    once at the end: never more than cap + 1 reports, always rising, the last one n of n."""
    from gex_mcp.sources.demo import DEMO_SYMBOLS

    monkeypatch.setattr("gex_mcp.service.MAX_PROGRESS_REPORTS", 4)
    symbols = list(DEMO_SYMBOLS)
    seen: list[tuple[int, int]] = []

    async def on_progress(done: int, total: int) -> None:
        seen.append((done, total))

    service = GexService(sources={"demo": DemoSource(clock=lambda: datetime(2025, 6, 11, 14, tzinfo=UTC))},
                         default_source="demo", cache=ChainCache(None))
    async with service:
        await service.scan(symbols, progress=on_progress)
    n = len(symbols)
    step = -(-n // 4)
    assert n > 4
    assert [d for d, _ in seen] == sorted({*range(step, n + 1, step), n})
    assert {t for _, t in seen} == {n}
