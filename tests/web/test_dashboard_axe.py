"""axe-core (4.14, WCAG 2.x A/AA and best practices) on the dashboard page and the MCP App in
headless Chromium: no serious or critical violation. `scripts/ensure-axe.sh` installs axe."""

from __future__ import annotations

import pytest

from gex_mcp.web.page import dashboard_html
from tests.rest.conftest import demo_service, running
from tests.web.axe import axe_run
from tests.web.browser import LAPTOP, LOAD_MS, PHONE


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_page_has_no_serious_accessibility_violation(browser, viewport):
    with running(demo_service()) as url:
        page = browser.new_page(viewport=viewport)
        page.goto(f"{url}/?symbol=SPY&watchlist=SPY,QQQ,IWM")
        page.wait_for_function("() => document.body.dataset.status === 'ready' && document.body.dataset.scan === 'ready'"
                               " && document.body.dataset.history !== 'loading'", timeout=LOAD_MS)
        assert page.locator("h1").count() == 1
        assert blocking(axe_run(page)) == []
        # the scanner sorted and the tooltip open are states too
        page.click("#scan th[data-key=net_gex] button")
        page.hover("#strike-chart .u-over")
        assert blocking(axe_run(page)) == []
        page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_app_outside_a_host_has_no_serious_accessibility_violation(browser, theme):
    page = browser.new_page(viewport=LAPTOP)
    page.set_content(dashboard_html("app"))
    page.wait_for_function("() => document.body.dataset.status === 'outside'", timeout=LOAD_MS)
    page.evaluate("t => { document.documentElement.dataset.theme = t; }", theme)
    assert blocking(axe_run(page)) == []
    page.close()
