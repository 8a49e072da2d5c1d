"""The dashboard page in headless Chromium against a real server on 127.0.0.1.

Each test serves a real service (demo market, snapshot files, or CBOE played by the loopback
server) with uvicorn, opens `/` in Chromium and compares what the page drew with the REST
answers fetched independently by the test: one bar per visible strike, level markers, banners.
Screenshots go to build/screenshots/.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from playwright.sync_api import Browser, Page

from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.service import build_service
from tests.rest.conftest import KEYS, demo_service, running
from tests.sources.loopback import Fault
from tests.test_service import Clock, settings_for
from tests.web.browser import LAPTOP, LOAD_MS, PHONE, ConsoleLog, screenshot_path

LEVEL_MARKERS = ("gamma_flip", "call_wall", "put_wall", "max_positive_gamma", "max_negative_gamma",
                 "zero_dte_magnet")


def open_page(browser: Browser, url: str, viewport: dict[str, int]) -> tuple[Page, ConsoleLog]:
    page = browser.new_page(viewport=viewport)
    log = ConsoleLog(page)
    page.goto(url)
    wait_ready(page)
    return page, log


def wait_ready(page: Page, **expected: str) -> None:
    """Wait until the page finished a load (and its scan), with `expected` body data values."""
    checks = " && ".join(f"document.body.dataset.{k} === {v!r}" for k, v in expected.items())
    page.wait_for_function(
        "() => document.body.dataset.status !== 'loading' && document.body.dataset.scan !== 'loading'"
        + (f" && {checks}" if checks else ""), timeout=LOAD_MS)


def rest(url: str, path: str, **params) -> dict:
    response = httpx.get(url + path, params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def windowed(answer: dict, window_pct: float = 5.0) -> list[dict]:
    spot = answer["underlying_price"]
    return [r for r in answer["strikes"]
            if spot * (1 - window_pct / 100) <= r["strike"] <= spot * (1 + window_pct / 100)]


def assert_bars_match(chart: dict, rows: list[dict], metric: str) -> None:
    """One bar per visible strike (no binning) with the REST values."""
    assert chart["strikes"] == len(rows) > 0
    assert chart["binWidth"] == 0
    assert chart["x"] == [r["strike"] for r in rows]
    for side in ("call", "put", "net"):
        assert chart[side] == pytest.approx([r[f"{side}_{metric}"] for r in rows], rel=1e-9, abs=1e-6)


def markers(page: Page) -> list[dict]:
    return page.eval_on_selector_all(
        "#markers .marker", """nodes => nodes.map(n => {
            const b = n.getBoundingClientRect();
            return {levels: n.dataset.levels.split(' '), value: Number(n.dataset.value),
                    edge: n.dataset.edge, left: b.left, right: b.right, top: b.top, bottom: b.bottom};
        })""")


def assert_markers(page: Page, levels: dict, spot: float) -> None:
    """A labelled marker per known level at its value (levels at one price share a label);
    labels inside the plot, never overlapping each other, ordered top to bottom as their values
    fall (high strikes on top); a level outside the strikes drawn sits on the edge it lies past."""
    boxes = markers(page)
    drawn = {level: m["value"] for m in boxes for level in m["levels"]}
    expected = {"spot": spot, **{k: levels[k] for k in LEVEL_MARKERS if levels[k] is not None}}
    assert drawn == pytest.approx(expected)
    assert len({m["value"] for m in boxes}) == len(boxes)  # one label per price
    plot = page.eval_on_selector("#strike-chart .u-over", """n => { const b = n.getBoundingClientRect();
        return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; }""")
    for m in boxes:  # clamped inside the plot
        assert plot["left"] - 0.5 <= m["left"] and m["right"] <= plot["right"] + 0.5, m
        assert plot["top"] - 0.5 <= m["top"] and m["bottom"] <= plot["bottom"] + 0.5, m
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] + 0.5 or b["bottom"] <= a["top"] + 0.5
            assert apart, f"labels {a['levels']} and {b['levels']} overlap"
    by_value = sorted(boxes, key=lambda m: -m["value"])
    tops = [m["top"] for m in by_value]
    assert tops == sorted(tops)
    chart = page.evaluate("() => gexDashboard.chart")
    for m in boxes:
        inside = chart["x"][0] <= m["value"] <= chart["x"][-1]
        assert (m["edge"] == "none") == inside or not inside, m


def banners(page: Page) -> dict[str, str]:
    return {b["kind"]: b["text"] for b in page.eval_on_selector_all(
        "#banners [data-banner]", "ns => ns.map(n => ({kind: n.dataset.banner, text: n.textContent}))")}


def test_demo_page_draws_the_rest_answers(browser, demo_url):
    page, log = open_page(browser, f"{demo_url}/?symbol=SPY&watchlist=SPY,QQQ,IWM", LAPTOP)
    gex, levels = rest(demo_url, "/v1/exposure/gex/SPY"), rest(demo_url, "/v1/exposure/levels/SPY")
    summary = rest(demo_url, "/v1/exposure/summary/SPY")
    assert_bars_match(page.evaluate("() => gexDashboard.chart"), windowed(gex), "gex")
    assert_markers(page, levels, gex["underlying_price"])
    assert levels["zero_dte_magnet"] is not None  # the demo's Wednesday lists 0DTE options
    assert page.get_attribute("#regime", "data-regime") == summary["regime"]
    assert page.text_content("#interpretation") == summary["interpretation_text"]
    # The demo's clock is fixed on a 2025 Wednesday, so the page also says the data is old.
    assert set(banners(page)) == {"demo", "old"} and "2025" in banners(page)["old"]
    # times read as the market does, New York wall clock, whatever the browser's zone
    new_york = datetime.fromisoformat(gex["as_of"]).astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M ET")
    assert new_york in page.text_content("#meta") and new_york in banners(page)["old"]
    cards = page.eval_on_selector_all("#levels .card", "ns => ns.map(n => n.dataset.level)")
    assert cards == ["gamma_flip", "call_wall", "put_wall", "net_gex", "hedge", "zero_dte"]
    more = page.eval_on_selector_all("#more-levels .card", "ns => ns.map(n => n.dataset.level)")
    assert "zero_dte_magnet" in more
    rows = page.eval_on_selector_all("#expiries tbody tr", "ns => ns.length")
    assert rows == len(summary["expiry_breakdown"])
    page.wait_for_function("() => document.body.dataset.history !== 'loading'", timeout=LOAD_MS)
    history = rest(demo_url, "/v1/exposure/history/SPY", days=5)
    drawn = page.evaluate("() => gexDashboard.historyChart")
    assert len(history["points"]) > 10  # five sessions of the demo, hourly
    assert drawn["x"] == [datetime.fromisoformat(p["as_of"]).timestamp() for p in history["points"]]
    for line, field in (("spot", "spot"), ("flip", "gamma_flip"), ("call", "call_wall"), ("put", "put_wall")):
        assert drawn[line] == [p[field] for p in history["points"]], line
    page.screenshot(path=screenshot_path("page-laptop-SPY"), full_page=True)
    assert log.errors == []


def test_spx_draws_every_strike_on_a_phone_without_sideways_scroll(browser, demo_url):
    page, log = open_page(browser, f"{demo_url}/?symbol=SPX&watchlist=SPX", PHONE)
    gex, levels = rest(demo_url, "/v1/exposure/gex/SPX"), rest(demo_url, "/v1/exposure/levels/SPX")
    chart = page.evaluate("() => gexDashboard.chart")
    assert len(windowed(gex)) > 40  # many strikes, still one bar each
    assert_bars_match(chart, windowed(gex), "gex")
    ticks = page.evaluate("() => gexDashboard.strikeTicks")
    assert ticks and set(ticks) <= set(chart["x"])  # the axis labels listed strikes, never between
    assert_markers(page, levels, gex["underlying_price"])
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
    page.screenshot(path=screenshot_path("page-phone-SPX"), full_page=True)
    assert log.errors == []


def test_expiry_metric_symbol_and_scanner_switches_redraw(browser, demo_url):
    page, log = open_page(browser, f"{demo_url}/?symbol=SPY&watchlist=SPY,QQQ,IWM", LAPTOP)
    expiry = page.eval_on_selector_all("#expiration option", "ns => ns.map(n => n.value)")[2]
    page.select_option("#expiration", expiry)
    wait_ready(page, expiration=expiry)
    answer = rest(demo_url, "/v1/exposure/gex/SPY", expiration=expiry)
    assert answer["expiration"] == expiry
    assert_bars_match(page.evaluate("() => gexDashboard.chart"), windowed(answer), "gex")

    page.focus("[role=tab][data-metric=gex]")
    page.keyboard.press("ArrowRight")  # keyboard only: GEX -> DEX
    wait_ready(page, metric="dex")
    dex = rest(demo_url, "/v1/exposure/dex/SPY", expiration=expiry)
    assert_bars_match(page.evaluate("() => gexDashboard.chart"), windowed(dex), "dex")
    assert page.get_attribute("[role=tab][data-metric=dex]", "aria-selected") == "true"

    page.fill("#min-oi", "2000")
    page.press("#min-oi", "Enter")
    wait_ready(page, minOi="2000")
    filtered = rest(demo_url, "/v1/exposure/dex/SPY", expiration=expiry, min_oi=2000)
    assert 0 < len(windowed(filtered)) < len(windowed(dex))  # the filter drops some strikes
    assert_bars_match(page.evaluate("() => gexDashboard.chart"), windowed(filtered), "dex")
    page.fill("#min-oi", "0")
    page.press("#min-oi", "Enter")
    wait_ready(page, minOi="0")

    page.fill("#symbol", "qqq")
    page.press("#symbol", "Enter")
    wait_ready(page, symbol="QQQ")
    qqq = rest(demo_url, "/v1/exposure/dex/QQQ")
    assert_bars_match(page.evaluate("() => gexDashboard.chart"), windowed(qqq), "dex")

    scan = rest(demo_url, "/v1/exposure/scan", symbols="SPY,QQQ,IWM")
    shown = page.eval_on_selector_all("#scan tbody tr", """ns => ns.map(n => ({
        symbol: n.dataset.symbol, below: n.textContent.includes('below flip')}))""")
    assert shown == [{"symbol": r["symbol"], "below": r["below_flip"]} for r in scan["rows"]]
    assert any(r["below_flip"] for r in scan["rows"])  # IWM sits in negative gamma in the demo
    page.focus("#scan tbody tr[data-symbol=IWM] button")
    page.keyboard.press("Enter")
    wait_ready(page, symbol="IWM")
    assert page.input_value("#symbol") == "IWM"
    assert log.errors == []


def test_snapshot_files_show_the_old_data_banner_and_errors_in_the_page(browser, chains_dir, tmp_path):
    settings = settings_for_file(chains_dir, tmp_path)
    with running(build_service(settings), close=True) as url:
        page, log = open_page(browser, f"{url}/?symbol=SPX&watchlist=SPX,NVDA,ZZZZ", LAPTOP)
        shown = banners(page)
        assert "old" in shown and "demo" not in shown and "stale" not in shown
        levels = rest(url, "/v1/exposure/levels/SPX")
        assert levels["as_of"][:10] in shown["old"] or levels["as_of"][:4] in shown["old"]
        assert_markers(page, levels, levels["underlying_price"])
        assert page.get_attribute("#scan tbody tr[data-symbol=ZZZZ]", "data-symbol") == "ZZZZ"
        assert "ZZZZ" in page.text_content("#scan tbody tr[data-symbol=ZZZZ]")

        page.fill("#symbol", "ZZZZ")
        page.press("#symbol", "Enter")
        wait_ready(page, symbol="ZZZZ")
        page.wait_for_function("() => document.body.dataset.history !== 'loading'", timeout=LOAD_MS)
        errors = page.eval_on_selector_all("#banners [data-banner=error]", "ns => ns.map(n => n.textContent)")
        assert len(errors) == 1 and "ZZZZ" in errors[0]  # one banner for one cause
        panels, message = errors[0].split(": ", 1)
        assert panels.startswith("GEX by strike, levels, summary, profile, expirations")
        assert "Error" not in errors[0]  # words, not exception class names
        assert page.inner_text("main").count(message) == 1  # shown once, not per panel
        assert "No GEX chart" in page.text_content("#strike-chart")  # a message, not a blank chart
        page.screenshot(path=screenshot_path("page-laptop-unknown-symbol"), full_page=True)
    # The browser reports the 404s of the unknown symbol as resource errors; nothing else.
    assert [e for e in log.errors if "404" not in e] == []


def test_auto_refresh_turns_on_the_stale_banner_when_the_source_fails(browser, loopback, tmp_path):
    clock = Clock()
    service = build_service(settings_for(loopback, tmp_path, cache_ttl=5, cache_ttl_closed=5), clock=clock)
    with running(service, close=True) as url:
        page, log = open_page(browser, f"{url}/?symbol=AAPL&watchlist=AAPL", LAPTOP)
        assert "stale" not in banners(page)
        loads = page.evaluate("() => gexDashboard.loads")
        loopback.faults["AAPL"] = Fault.http_status(503)
        clock.now += 600  # the cached chain is now 10 minutes old
        page.wait_for_function(f"() => gexDashboard.loads > {loads}", timeout=LOAD_MS)  # the 5 s refresh
        wait_ready(page)
        stale = banners(page)["stale"]
        assert "503" in stale and "10 min" in stale
    assert log.errors == []


def settings_for_file(chains_dir, tmp_path):
    from gex_mcp.settings import Settings

    return Settings(_env_file=None, source="file", chains_dir=chains_dir, data_dir=tmp_path)


def test_a_keyed_server_asks_for_the_key_in_the_page(browser):
    with running(demo_service(), keys=KEYS) as url:
        page = browser.new_page(viewport=LAPTOP)
        ConsoleLog(page)  # the 401s are expected here
        page.goto(f"{url}/?symbol=SPY&watchlist=SPY")
        wait_ready(page)
        assert page.is_visible("#api-key") and "error" in banners(page)
        page.fill("#api-key", KEYS[1])
        # another answer failing meanwhile (here: the DEX tab, 401) re-renders the banners;
        # the key typed so far must survive it
        with page.expect_response(lambda r: "/v1/exposure/dex/" in r.url):
            page.click("#tab-dex")
        page.wait_for_function("() => document.getElementById('banners').textContent.includes('DEX')",
                               timeout=LOAD_MS)
        assert page.input_value("#api-key") == KEYS[1]
        page.press("#api-key", "Enter")
        wait_ready(page, status="ready")
        assert page.is_hidden("#api-key") and "error" not in banners(page)
        assert page.evaluate("() => gexDashboard.chart.x.length") > 0
