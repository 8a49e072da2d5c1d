"""The dashboard as an MCP App, in a test host page that plays the host side of the bridge.

A real MCP client (in process) lists the tools, reads `ui://gex/dashboard` and calls the tool
that opens the app. `app_host.html` renders the resource in a sandboxed iframe under a
no-network CSP, answers `ui/initialize`, hands over the tool input and result, and forwards
the app's `tools/call` to the same client. The test compares what the app drew with the
service's own answers (full precision; MCP rounds amounts to 4 significant figures).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from playwright.async_api import Frame, Page, async_playwright

from gex_mcp.mcp_server.server import build_server
from gex_mcp.web.page import APP_URI
from tests.rest.conftest import demo_service
from tests.web.axe import axe_run_async
from tests.web.browser import ARGS, LAPTOP, LOAD_MS, PHONE, ConsoleLog, chromium_path, screenshot_path

pytestmark = pytest.mark.anyio

HOST_PAGE = Path(__file__).with_name("app_host.html").read_text(encoding="utf-8")
APP_MIME = "text/html;profile=mcp-app"
MCP_ROUNDING = 1e-3  # relative: 4 significant figures


async def app_frame(page: Page) -> Frame:
    with anyio.fail_after(LOAD_MS / 1000):
        while len(page.frames) < 2:
            await anyio.sleep(0.05)
    return page.frames[1]


async def start_in_host(page: Page, client: Client, html: str, symbol: str, opened: Any,
                        context: dict | None = None) -> tuple[Frame, list[tuple[str, dict]]]:
    """Run the app `html` in the test host on `page`, opened by a tool call for `symbol` with
    `opened` as its result (None: the user cancelled it) and the host context `context` (None:
    a light inline host); its tools/call go to `client`. Returns the app's frame and the
    (tool, arguments) calls it made, growing as it makes more."""
    calls: list[tuple[str, dict]] = []

    async def host_call_tool(name: str, arguments: dict) -> dict:
        calls.append((name, arguments))
        result = await client.call_tool(name, arguments)
        return result.model_dump(mode="json", by_alias=True, exclude_none=True)

    await page.expose_function("hostCallTool", host_call_tool)
    await page.set_content(HOST_PAGE)
    result = None if opened is None else opened.model_dump(mode="json", by_alias=True, exclude_none=True)
    await page.evaluate("([html, args, result, ctx]) => startHost(html, args, result, ctx)",
                        [html, {"symbol": symbol}, result, context])
    return await app_frame(page), calls


async def wait_ready(frame: Frame, **expected: str) -> None:
    checks = "".join(f" && document.body.dataset.{k} === {v!r}" for k, v in expected.items())
    await frame.wait_for_function("() => document.body.dataset.status === 'ready'" + checks, timeout=LOAD_MS)


async def test_the_app_renders_tool_results_and_calls_tools_through_the_host():
    service = demo_service()
    async with Client(build_server(service), mode="auto", raise_exceptions=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        bound = {name for name, t in tools.items() if (t.meta or {}).get("ui", {}).get("resourceUri") == APP_URI}
        assert bound == {"gex", "summary"}
        resource = (await client.read_resource(APP_URI)).contents[0]
        assert resource.mime_type == APP_MIME
        opened = await client.call_tool("summary", {"symbol": "QQQ"})
        assert not opened.is_error

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_path(), args=ARGS)
            page = await browser.new_page(viewport=LAPTOP)
            log = ConsoleLog(page)
            frame, calls = await start_in_host(page, client, resource.text, "QQQ", opened)

            # The app renders the summary it was handed (never asking for it again) and asks
            # only for what the first screen lacks; lower panels load as they come into view.
            await wait_ready(frame, symbol="QQQ")
            log_so_far = await page.evaluate("() => window.hostLog")
            assert log_so_far[:2] == ["ui/initialize", "ui/notifications/initialized"]
            names = [name for name, _ in calls]
            assert "summary" not in names
            assert {"gex", "levels", "expirations"} <= set(names)
            assert ("gex", {"symbol": "QQQ", "strikes": "all"}) in calls
            assert "scan" not in names  # below the first screen: not asked for yet
            await frame.locator("#scan").scroll_into_view_if_needed()
            await frame.wait_for_function("() => document.body.dataset.scan === 'ready'", timeout=LOAD_MS)
            assert "scan" in [name for name, _ in calls]
            assert [n for n in names if n in ("gex", "levels", "expirations")].count("gex") == 1
            # ... and tells the model what the user looks at
            told = await page.evaluate("() => window.hostModelContext")
            assert told and told[-1]["structuredContent"]["symbol"] == "QQQ"
            assert "QQQ" in told[-1]["content"][0]["text"]
            summary = await service.summary("QQQ")
            assert await frame.get_attribute("#regime", "data-regime") == summary.gamma_regime

            # Bars and markers are the service's numbers.
            gex, levels = await service.gex("QQQ"), await service.levels("QQQ")
            spot = gex.underlying_price
            rows = [r for r in gex.strikes if spot * 0.95 <= r.strike <= spot * 1.05]
            chart = await frame.evaluate("() => gexDashboard.chart")
            assert chart["x"] == [r.strike for r in rows]
            assert chart["net"] == pytest.approx([r.net_gex for r in rows], rel=MCP_ROUNDING, abs=1.0)
            drawn = await frame.eval_on_selector_all("#markers .marker", """ns => ns.flatMap(
                n => n.dataset.levels.split(' ').map(level => [level, Number(n.dataset.value)]))""")
            expected = {"spot": spot, **{k: getattr(levels, k) for k in (
                "gamma_flip", "call_wall", "put_wall", "max_positive_gamma", "max_negative_gamma",
                "zero_dte_magnet") if getattr(levels, k) is not None}}
            assert dict(drawn) == pytest.approx(expected)
            banners = await frame.eval_on_selector_all("#banners [data-banner]", "ns => ns.map(n => n.dataset.banner)")
            assert "demo" in banners and "error" not in banners
            sizes = await page.evaluate("() => window.hostSizes")
            assert sizes and sizes[-1]["height"] > 500  # the app tells the host how tall it is

            # Switching symbol and expiry inside the app calls tools back through the host.
            await frame.fill("#symbol", "SPY")
            await frame.press("#symbol", "Enter")
            await wait_ready(frame, symbol="SPY")
            assert ("gex", {"symbol": "SPY", "strikes": "all"}) in calls
            told = await page.evaluate("() => window.hostModelContext")
            assert told[-1]["structuredContent"]["symbol"] == "SPY"
            expiry = (await frame.eval_on_selector_all("#expiration option", "ns => ns.map(n => n.value)"))[1]
            await frame.select_option("#expiration", expiry)
            await wait_ready(frame, expiration=expiry)
            assert ("gex", {"symbol": "SPY", "expiration": expiry, "strikes": "all"}) in calls
            by_expiry = await service.gex("SPY", expiration=expiry)
            chart = await frame.evaluate("() => gexDashboard.chart")
            in_window = [r.strike for r in by_expiry.strikes
                         if by_expiry.underlying_price * 0.95 <= r.strike <= by_expiry.underlying_price * 1.05]
            assert chart["x"] == in_window

            serious = [v for v in await axe_run_async(frame) if v["impact"] in ("serious", "critical")]
            assert serious == []
            await page.screenshot(path=screenshot_path("app-laptop-SPY"), full_page=False)
            await page.set_viewport_size(PHONE)
            await frame.wait_for_function("() => document.documentElement.clientWidth <= 400", timeout=LOAD_MS)
            await anyio.sleep(0.4)  # the page re-draws 150 ms after a resize
            await page.screenshot(path=screenshot_path("app-phone-SPY"), full_page=False)
            await browser.close()
    assert log.errors == []


async def test_the_app_says_loading_cancelled_outside_a_host_and_follows_a_dark_host():
    service = demo_service()
    resource_html = None
    async with Client(build_server(service), mode="auto", raise_exceptions=True) as client:
        resource_html = (await client.read_resource(APP_URI)).contents[0].text
        opened = await client.call_tool("summary", {"symbol": "SPY"})

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_path(), args=ARGS)
            # outside any host: a message, not a blank skeleton
            page = await browser.new_page(viewport=LAPTOP)
            log = ConsoleLog(page)
            await page.set_content(resource_html)
            await page.wait_for_function("() => document.body.dataset.status === 'outside'", timeout=LOAD_MS)
            assert "open it from an MCP host" in await page.inner_text("#app-state")
            await page.close()

            # a cancelled tool call
            page = await browser.new_page(viewport=LAPTOP)
            frame, _ = await start_in_host(page, client, resource_html, "SPY", None)
            await frame.wait_for_function("() => document.body.dataset.status === 'cancelled'", timeout=LOAD_MS)
            assert "Cancelled" in await frame.inner_text("#app-state")
            await page.close()

            # a dark host: the app takes its theme
            page = await browser.new_page(viewport=LAPTOP)
            frame, _ = await start_in_host(page, client, resource_html, "SPY", opened, {
                "theme": "dark", "displayMode": "inline", "availableDisplayModes": ["inline", "fullscreen"]})
            await wait_ready(frame, symbol="SPY")
            assert await frame.evaluate("() => document.documentElement.dataset.theme") == "dark"
            background = await frame.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(23, 25, 28)"
            assert await frame.is_visible("#fullscreen")
            serious = [v for v in await axe_run_async(frame) if v["impact"] in ("serious", "critical")]
            assert serious == []
            await page.screenshot(path=screenshot_path("app-dark-SPY"))
            await browser.close()
    assert log.errors == []
