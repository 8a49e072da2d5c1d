"""Issue 23 in the MCP App: the Scenarios panel calls flip_sensitivity through the host when it
scrolls into view, and `SPX-complex` typed in the symbol box calls the complex tool; the host
page of test_dashboard_app plays the host, a real MCP client answers the tools, and what the
app shows is compared with the service's own answers (MCP rounds to 4 significant figures)."""

from __future__ import annotations

import pytest
from mcp import Client
from playwright.async_api import async_playwright

from gex_mcp.mcp_server.server import build_server
from gex_mcp.web.page import APP_URI
from tests.rest.conftest import demo_service
from tests.web.axe import axe_run_async
from tests.web.browser import ARGS, LAPTOP, LOAD_MS, ConsoleLog, chromium_path
from tests.web.test_dashboard_app import start_in_host, wait_ready

pytestmark = pytest.mark.anyio


async def test_the_app_calls_flip_sensitivity_in_view_and_complex_through_the_host():
    service = demo_service()
    async with Client(build_server(service), mode="auto", raise_exceptions=True) as client:
        resource = (await client.read_resource(APP_URI)).contents[0]
        opened = await client.call_tool("summary", {"symbol": "SPY"})
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_path(), args=ARGS)
            page = await browser.new_page(viewport=LAPTOP)
            log = ConsoleLog(page)
            frame, calls = await start_in_host(page, client, resource.text, "SPY", opened)
            await wait_ready(frame, symbol="SPY")
            assert "flip_sensitivity" not in [n for n, _ in calls]  # below the compact view
            await frame.locator("#scenarios-panel").scroll_into_view_if_needed()
            await frame.wait_for_function("() => document.body.dataset.scenarios === 'ready'", timeout=LOAD_MS)
            assert ("flip_sensitivity", {"symbol": "SPY"}) in calls
            expected = await service.flip_sensitivity("SPY")
            rows = await frame.eval_on_selector_all("#scenarios tbody tr", """rows => rows.map(r =>
                [r.dataset.scenario, r.cells[1].textContent])""")
            assert [r[0] for r in rows] == ["As quoted", *(s.scenario for s in expected.scenarios)]
            for (_, shown), flip in zip(rows, [expected.gamma_flip, *(s.gamma_flip for s in expected.scenarios)],
                                        strict=True):
                if flip is None:
                    assert shown.startswith("none")
                else:
                    assert float(shown) == pytest.approx(flip, rel=1e-3)
            assert await frame.inner_text("#scenarios-reading") == expected.reading
            serious = [v for v in await axe_run_async(frame) if v["impact"] in ("serious", "critical")]
            assert serious == []

            # the complex as a symbol, through the host's tools/call
            await frame.fill("#symbol", "SPX-complex")
            await frame.press("#symbol", "Enter")
            await wait_ready(frame, book="complex")
            assert ("complex", {"symbol": "SPX"}) in calls
            book = await service.complex("SPX")
            assert await frame.inner_text("#headline-symbol") == "SPX complex"
            flip = await frame.inner_text("#levels .card[data-level=gamma_flip] .value")
            assert float(flip) == pytest.approx(book.gamma_flip, rel=1e-3)
            members = await frame.eval_on_selector_all("#book tbody tr", "rs => rs.map(r => r.dataset.symbol)")
            assert members == [m.symbol for m in book.members]
            chart = await frame.evaluate("() => gexDashboard.chart")
            spot = book.underlying_price
            assert chart["x"] == [s.strike for s in book.strikes if spot * 0.95 <= s.strike <= spot * 1.05]
            told = await page.evaluate("() => window.hostModelContext")
            assert "SPX complex" in told[-1]["content"][0]["text"]
            await browser.close()
    assert log.errors == []
