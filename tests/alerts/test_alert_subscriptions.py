"""A replayed market drives alerts to subscribed MCP clients over stdio and streamable HTTP.

The file source serves the newest snapshot in its folder; the test steps the replay by linking
the next real CBOE snapshot into that folder (SPX 2022-07-12 -> 2023-02-07 -> 2023-08-20 ->
2023-09-14 crosses the gamma flip three times; SPY 2020-06-22 -> 06-28 brings spot onto the
put wall). Two real servers (`gex-mcp serve` over stdio, and over HTTP) poll at a 0.3 s
cache TTL. The stdio client subscribes the handshake-era way (`resources/subscribe`), the HTTP
client the 2026-07-28 way (`subscriptions/listen`); a third client, connected but not
subscribed, must hear nothing. Expected events are derived here from the snapshots' levels
(spot against flip and walls), not from the rules' state machine.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import anyio
import httpx
import mcp.types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPDeprecationWarning

from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from tests.conftest import CHAINS_DIR
from tests.test_http_transport import _start

pytestmark = pytest.mark.anyio

SPX = ["cboe_quotedata_SPX_2022-07-12_intraday.csv", "cboe_quotedata_SPX_2023-02-07.csv",
       "cboe_quotedata_SPX_2023-08-20.csv", "cboe_quotedata_SPX_2023-09-14.csv"]
SPY = ["cboe_legacy_SPY_2020-06-22.dat", "cboe_legacy_SPY_2020-06-28.dat"]
TTL = "0.3"
WAIT = 40
FLIP_BAND, NEAR_PCT = 0.1, 0.5  # RuleConfig defaults, restated: the test's own thresholds


async def _levels(name: str) -> dict:
    service = build_service(Settings(_env_file=None), chain_file=CHAINS_DIR / name)
    async with service:
        levels = await service.call("levels", symbol=service.default_symbol())
    return levels.model_dump(mode="json")


async def _expected() -> tuple[list[dict], list[dict]]:
    """Events the replay must fire: SPX flip crossings, SPY wall entries (by hand from levels)."""
    spx = [await _levels(n) for n in SPX]
    sides = ["above" if x["underlying_price"] > x["gamma_flip"] * (1 + FLIP_BAND / 100) else
             "below" if x["underlying_price"] < x["gamma_flip"] * (1 - FLIP_BAND / 100) else None
             for x in spx]
    assert None not in sides  # every snapshot is clearly on one side: no band ambiguity
    flips = [{"as_of": x["as_of"], "spot": x["underlying_price"], "level": x["gamma_flip"],
              "current": side} for k, (x, side) in enumerate(zip(spx, sides))
             if k and side != sides[k - 1]]
    before, after = [await _levels(n) for n in SPY]
    near = []
    for kind in ("put", "call"):
        d0 = abs(before["underlying_price"] - before[f"{kind}_wall"]) / before["underlying_price"] * 100
        d1 = abs(after["underlying_price"] - after[f"{kind}_wall"]) / after["underlying_price"] * 100
        if d1 <= NEAR_PCT and d0 > NEAR_PCT:
            near.append({"as_of": after["as_of"], "spot": after["underlying_price"],
                         "level": after[f"{kind}_wall"], "current": kind})
        # the other wall: near at the start (so disarmed) or far at the end: no event
        assert (d1 <= NEAR_PCT and d0 > NEAR_PCT) or d0 <= NEAR_PCT or d1 > NEAR_PCT + 0.25
    return flips, near


class Heard:
    """resources/updated notifications a handshake-era client received, by URI."""

    def __init__(self) -> None:
        self.uris: list[str] = []

    async def __call__(self, message) -> None:
        if isinstance(message, types.ServerNotification | types.ResourceUpdatedNotification):
            root = getattr(message, "root", message)
            if isinstance(root, types.ResourceUpdatedNotification):
                self.uris.append(str(root.params.uri))


async def _until(predicate, what: str) -> None:
    with anyio.fail_after(WAIT):
        while not predicate():
            await anyio.sleep(0.05)


async def _polled(client: Client, as_of: dict[str, str]) -> bool:
    result = await client.call_tool("watchlist", {})
    rows = {w["symbol"]: w for w in result.structured_content["watching"]}
    return all(rows.get(sym, {}).get("last_as_of") and
               rows[sym]["last_as_of"][:16] == when[:16] for sym, when in as_of.items())


async def test_subscribed_clients_of_both_eras_hear_each_alert_once_and_others_nothing(tmp_path: Path):
    flips, near = await _expected()
    assert len(flips) == 3 and len(near) == 1
    chains = tmp_path / "chains"
    chains.mkdir()

    def link(name: str) -> None:
        (chains / name).symlink_to(CHAINS_DIR.resolve() / name)

    link(SPX[0])
    link(SPY[0])
    env = {"GEX_SOURCE": "file", "GEX_CHAINS_DIR": str(chains), "GEX_CACHE_TTL": TTL,
           "GEX_CACHE_TTL_CLOSED": TTL, "PATH": os.environ.get("PATH", ""),
           "MPLCONFIGDIR": str(tmp_path / "mpl")}
    stdio_dir, http_dir = tmp_path / "stdio", tmp_path / "http"
    stdio_dir.mkdir()
    stdio = StdioServerParameters(command=sys.executable, args=["-m", "gex_mcp", "serve"],
                                  env={**env, "GEX_DATA_DIR": str(stdio_dir)}, cwd=tmp_path)
    http_dir.mkdir()
    servers = _start(http_dir, token=None, source="file", extra_env=env)
    http = next(servers)
    uris = ["gex://SPX/alerts", "gex://SPY/alerts"]
    legacy_heard, silent_heard, modern_heard, sse_heard = Heard(), Heard(), [], []
    try:
        async with (Client(stdio, mode="legacy", message_handler=legacy_heard) as legacy,
                    Client(http.url) as modern,
                    Client(http.url, mode="legacy", message_handler=silent_heard) as silent):
            for client in (legacy, modern):
                watched = await client.call_tool("watch", {"symbols": ["SPX"], "rules": ["flip_cross"]})
                assert not watched.is_error, watched.content
                await client.call_tool("watch", {"symbols": ["SPY"], "rules": ["near_wall"]})
            with warnings.catch_warnings():  # deprecated for 2026-07-28; the handshake era's way
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                for uri in uris:
                    await legacy.session.subscribe_resource(uri)
            async with anyio.create_task_group() as tg, modern.listen(resource_subscriptions=uris) as sub:
                async def hear() -> None:
                    async for event in sub:
                        modern_heard.append(event.uri)

                tg.start_soon(hear)
                await tg.start(_read_sse, http.port, sse_heard)
                baseline = {"SPX": "2022-07-12T11:55", "SPY": "2020-06-22T16:00"}  # the quotes' times
                for client in (legacy, modern):
                    await _until_async(lambda c=client: _polled(c, baseline))
                steps = [(SPX[1], SPY[1]), (SPX[2],), (SPX[3],)]
                spy_seen = 0
                for spx_seen, step in enumerate(steps, 1):
                    for name in step:
                        link(name)
                    spy_seen += SPY[1] in step
                    want = sorted(["gex://SPX/alerts"] * spx_seen + ["gex://SPY/alerts"] * spy_seen)
                    await _until(lambda w=want: sorted(legacy_heard.uris) == w
                                 and sorted(modern_heard) == w and len(sse_heard) == len(w),
                                 f"notifications {want}")
                await anyio.sleep(4 * float(TTL) + 0.5)  # later polls of the same snapshot: silence
                tg.cancel_scope.cancel()
            # the unsubscribed client was connected and served all along
            assert (await silent.call_tool("watchlist", {})).structured_content["alerts_fired"] == 4
            for client in (legacy, modern):
                spx_alerts = json.loads((await client.read_resource("gex://SPX/alerts")).contents[0].text)
                spy_alerts = json.loads((await client.read_resource("gex://SPY/alerts")).contents[0].text)
                assert [_numbers(a) for a in spx_alerts["alerts"]] == [_numbers(e) for e in flips]
                assert [_numbers(a) for a in spy_alerts["alerts"]] == [_numbers(e) for e in near]
                assert {a["rule"] for a in spx_alerts["alerts"]} == {"flip_cross"}
    finally:
        next(servers, None)
    assert sorted(legacy_heard.uris) == sorted(["gex://SPX/alerts"] * 3 + ["gex://SPY/alerts"])
    assert sorted(modern_heard) == sorted(legacy_heard.uris)
    assert silent_heard.uris == []
    # REST: the SSE stream (every symbol) carried the same alerts, numbered, with their numbers
    assert sorted(_numbers(a) for a in sse_heard) == sorted(_numbers(e) for e in flips + near)
    assert len({a["id"] for a in sse_heard}) == len(sse_heard)


async def _read_sse(port: int, heard: list[dict], *, task_status=anyio.TASK_STATUS_IGNORED) -> None:
    """Collect the `alert` events of GET /v1/alerts/stream (all symbols) as a browser would."""
    async with httpx.AsyncClient(timeout=None) as http, http.stream(
            "GET", f"http://127.0.0.1:{port}/v1/alerts/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        task_status.started()
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "alert":
                heard.append(json.loads(line.split(":", 1)[1]))


def _numbers(event: dict) -> tuple:
    return (event["as_of"][:16], round(event["spot"], 2), round(event["level"], 2), event["current"])


async def _until_async(predicate) -> None:
    with anyio.fail_after(WAIT):
        while not await predicate():
            await anyio.sleep(0.1)
