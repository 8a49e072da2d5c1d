"""What a trader keeps open: the decision numbers above the fold, the strike chart's tooltip,
requests that follow the view (tab switch, key repeat, refresh plan), the view in the URL and
the scanner's conventions; a real server on 127.0.0.1 and headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from gex_mcp.service import build_service
from tests.rest.conftest import running
from tests.web.browser import DESKTOP, LOAD_MS, PHONE, ConsoleLog
from tests.web.test_dashboard_page import rest, settings_for_file, wait_ready, windowed

DECISION = ["#headline-symbol", "#headline-spot", "#regime", "#interpretation",
            *(f"#levels .card[data-level={k}]" for k in ("gamma_flip", "call_wall", "put_wall", "net_gex",
                                                         "hedge", "zero_dte"))]


def api_requests(page: Page) -> list[str]:
    """Every /v1 request the page makes from now on (paths with their query)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url.split("/v1/", 1)[1]) if "/v1/" in r.url else None)
    return seen


def wait_history(page: Page) -> None:
    page.wait_for_function("() => document.body.dataset.history !== 'loading'", timeout=LOAD_MS)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_decision_numbers_are_above_the_fold(browser, demo_url, viewport):
    page = browser.new_page(viewport=viewport)
    page.goto(f"{demo_url}/?symbol=SPY&watchlist=SPY")
    wait_ready(page)
    wait_history(page)
    summary = rest(demo_url, "/v1/exposure/summary/SPY")
    history = rest(demo_url, "/v1/exposure/history/SPY", days=5)
    for selector in DECISION:
        box = page.locator(selector).bounding_box()
        assert box and box["y"] + box["height"] <= viewport["height"], f"{selector} is below the fold"
        assert page.inner_text(selector).strip(), selector
    chart_top = page.locator("#strike-chart").bounding_box()["y"]
    assert chart_top < viewport["height"], "the strike chart starts below the first screen"
    # the change since the prior close is the last history point's, as a signed amount
    last = history["points"][-1]
    for level in ("call_wall", "put_wall"):
        change = last[f"{level}_change"]
        text = page.inner_text(f"[data-change={level}]")
        if change:
            assert ("▲ +" if change > 0 else "▼ −") + f"{abs(change):g}" in text
    hedge = page.inner_text("#levels .card[data-level=hedge]")
    up = summary["dealer_hedge_up_1pct"]
    assert up["direction"] in hedge and "+1%" in hedge and "−1%" in hedge
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    page.close()


def test_the_tooltip_reads_the_strike_under_the_cursor(browser, demo_url):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{demo_url}/?symbol=SPY&watchlist=SPY")
    wait_ready(page)
    rows = windowed(rest(demo_url, "/v1/exposure/gex/SPY"))
    over = page.locator("#strike-chart .u-over").bounding_box()
    page.mouse.move(over["x"] + over["width"] * 0.6, over["y"] + over["height"] * 0.3)
    page.wait_for_function("() => !document.getElementById('tooltip').hidden", timeout=LOAD_MS)
    shown = page.evaluate("() => gexDashboard.tooltip")
    row = next(r for r in rows if r["strike"] == shown["strike"])
    assert shown == pytest.approx({"strike": row["strike"], "call": row["call_gex"], "put": row["put_gex"],
                                   "net": row["net_gex"]})
    # high strikes on top: a point higher in the plot reads a higher strike
    page.mouse.move(over["x"] + over["width"] * 0.6, over["y"] + over["height"] * 0.1)
    page.wait_for_timeout(100)
    assert page.evaluate("() => gexDashboard.tooltip.strike") > shown["strike"]
    text = page.inner_text("#tooltip")
    assert "Strike" in text and "Calls" in text and "Puts" in text and "Net GEX" in text
    titles = page.evaluate("() => gexDashboard.axisTitles")  # drawn on the canvas, so read from the state
    assert titles == ["Strike (USD)", "GEX (USD of dealer delta per 1% move)"]
    assert page.locator("#strike-chart .u-legend").count() == 0  # the values are in the tooltip
    page.close()


def test_a_tab_switch_asks_only_for_the_per_strike_answer_and_key_repeat_cannot_flood(browser, demo_url):
    page = browser.new_page(viewport=DESKTOP)
    log = ConsoleLog(page)
    page.goto(f"{demo_url}/?symbol=SPY&watchlist=SPY")
    wait_ready(page)
    wait_history(page)
    seen = api_requests(page)
    page.click("[role=tab][data-metric=vex]")
    wait_ready(page, metric="vex")
    assert [re.sub(r"\?.*", "", s) for s in seen] == ["exposure/vex/SPY"]
    seen.clear()
    page.focus("[role=tab][data-metric=vex]")
    for _ in range(40):  # a held arrow key: 40 presses 25 ms apart
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(25)
    page.wait_for_timeout(600)
    wait_ready(page)
    assert len(seen) <= 3, seen
    final = page.evaluate("() => gexDashboard.metric")
    assert re.sub(r"\?.*", "", seen[-1]) == f"exposure/{final}/SPY"
    assert page.evaluate("() => gexDashboard.chart.x.length") > 0
    assert log.errors == []
    page.close()


def test_the_view_lives_in_the_url_with_history_entries(browser, demo_url):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{demo_url}/?symbol=SPY&watchlist=SPY")
    wait_ready(page)
    expiry = page.eval_on_selector_all("#expiration option", "ns => ns.map(n => n.value)")[2]
    page.select_option("#expiration", expiry)
    wait_ready(page, expiration=expiry)
    page.click("[role=tab][data-metric=dex]")
    wait_ready(page, metric="dex")
    page.select_option("#window", "10")
    page.fill("#min-oi", "500")
    page.press("#min-oi", "Enter")
    wait_ready(page, minOi="500")
    query = dict(re.findall(r"([a-z_]+)=([^&]+)", page.url.split("?", 1)[1]))
    assert query.pop("watchlist") == "SPY"  # kept as it came
    assert query == {"symbol": "SPY", "expiration": expiry, "tab": "dex", "window": "10", "min_oi": "500"}
    page.reload()
    wait_ready(page, minOi="500")
    assert page.evaluate("() => [gexDashboard.symbol, gexDashboard.expiration, gexDashboard.metric, "
                         "gexDashboard.windowPct, gexDashboard.minOi]") == ["SPY", expiry, "dex", 10, 500]
    assert page.input_value("#expiration") == expiry and page.input_value("#window") == "10"
    page.go_back()  # min OI 500 -> 0
    wait_ready(page, minOi="0")
    page.go_back()  # window 10 -> 5
    page.wait_for_function("() => gexDashboard.windowPct === 5", timeout=LOAD_MS)
    page.go_back()  # DEX -> GEX
    wait_ready(page, metric="gex")
    assert page.url.endswith(f"expiration={expiry}") or f"expiration={expiry}" in page.url
    page.close()


def test_a_snapshot_file_is_not_refreshed_and_the_scanner_shows_sessions_and_signed_distances(
        browser, chains_dir, tmp_path):
    with running(build_service(settings_for_file(chains_dir, tmp_path)), close=True) as url:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{url}/?symbol=SPX&watchlist=SPX,NVDA,TSLA")
        wait_ready(page)
        assert page.evaluate("() => gexDashboard.nextRefresh") is None
        assert "no auto-refresh" in page.inner_text("#meta")
        scan = rest(url, "/v1/exposure/scan", symbols="SPX,NVDA,TSLA")
        sessions = {r["as_of"][:10] for r in scan["rows"] if r["as_of"]}
        assert len(sessions) > 1  # the snapshots are from different days
        assert page.get_attribute("#scan-note", "data-mixed") == "true"
        assert "different sessions" in page.inner_text("#scan-note")
        cells = page.eval_on_selector_all("#scan tbody tr", """rows => rows.map(r => [r.dataset.symbol,
            ...Array.from(r.cells).map(c => c.textContent)])""")
        for row in scan["rows"]:
            shown = next(c for c in cells if c[0] == row["symbol"])
            spot = row["underlying_price"]
            for level, column in (("gamma_flip", 7), ("call_wall", 9), ("put_wall", 11)):
                if row[level] is None:
                    continue
                pct = (row[level] - spot) / spot * 100  # + above spot
                assert shown[column] == ("+" if pct >= 0 else "−") + f"{abs(pct):.2f}%", (row["symbol"], level)
        page.click("#scan th[data-key=net_gex] button")
        order = page.eval_on_selector_all("#scan tbody tr", "rs => rs.map(r => r.dataset.symbol)")
        expected = [r["symbol"] for r in sorted(scan["rows"], key=lambda r: r["net_gex"])]
        assert order == expected
        assert page.get_attribute("#scan th[data-key=net_gex]", "aria-sort") == "ascending"
        page.click("#scan th[data-key=net_gex] button")
        assert page.eval_on_selector_all("#scan tbody tr", "rs => rs.map(r => r.dataset.symbol)") == expected[::-1]
        page.close()

        phone = browser.new_page(viewport=PHONE)
        phone.goto(f"{url}/?symbol=TSLA&watchlist=TSLA")
        wait_ready(phone)
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        phone.close()
