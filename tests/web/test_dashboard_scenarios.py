"""Issue 23 on the page: the Scenarios panel (the flip under IV shifts and the other dealer
model, from flip_sensitivity), an index complex as a symbol (`?symbol=SPX-complex`) and a
basket (`?basket=SPY,QQQ,IWM`); a real server on 127.0.0.1 (demo and file sources) and
headless Chromium. What the page shows is checked against the REST answers and against
relations the test computes itself (flip change = scenario flip - quoted flip; a basket's total
= sum of weight x member; the complex's shares sum to 100%)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from gex_mcp.service import build_service
from tests.rest.conftest import running
from tests.web.axe import axe_run
from tests.web.browser import DESKTOP, LOAD_MS, PHONE, ConsoleLog
from tests.web.test_dashboard_page import rest, settings_for_file, wait_ready, windowed


def api_paths(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url.split("/v1/", 1)[1].split("?")[0]) if "/v1/" in r.url else None)
    return seen


def price(v: float) -> str:
    """The page's price format: whole numbers bare, else two decimals."""
    return str(round(v)) if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


def amount(v: float) -> str:
    """The page's amount format (K/M/B/T with two decimals below 100 of the unit)."""
    a = abs(v)
    for scale, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= scale:
            return f"{v / scale:.{0 if a / scale >= 100 else 2}f}{unit}"
    return f"{v:.0f}"


def scenario_rows(page: Page) -> list[list[str]]:
    return page.eval_on_selector_all("#scenarios tbody tr", """rows => rows.map(r =>
        [r.dataset.scenario, ...Array.from(r.cells).map(c => c.textContent)])""")


def open_scenarios(page: Page) -> None:
    page.locator("#scenarios-panel").scroll_into_view_if_needed()
    page.wait_for_function("() => document.body.dataset.scenarios === 'ready'", timeout=LOAD_MS)


def check_scenarios(page: Page, answer: dict) -> None:
    rows = scenario_rows(page)
    assert [r[0] for r in rows] == ["As quoted", *(s["scenario"] for s in answer["scenarios"])]
    assert rows[0][2] == price(answer["gamma_flip"])
    assert page.inner_text("#scenarios-reading") == answer["reading"]
    kinds = {s["kind"] for s in answer["scenarios"]}
    assert {"iv_shift", "dealer_model"} <= kinds
    assert sorted(s["iv_shift_points"] for s in answer["scenarios"] if s["kind"] == "iv_shift") == [-2, -1, 1, 2]
    for shown, s in zip(rows[1:], answer["scenarios"], strict=True):
        if s["gamma_flip"] is None:
            assert shown[2].startswith("none") and s["gamma_flip_status"].replace("_", " ") in shown[2]
            continue
        assert shown[2] == price(s["gamma_flip"])
        change = s["gamma_flip"] - answer["gamma_flip"]  # the test's own subtraction
        sign = "+" if s["flip_change"] >= 0 else "−"
        assert shown[3].startswith(sign + price(abs(s["flip_change"])))
        assert abs(abs(change) - abs(s["flip_change"])) <= 0.011, s["scenario"]
        pct = change / answer["underlying_price"] * 100  # % of spot
        assert f"{abs(pct):.2f}%" in shown[3] or f"{abs(s['flip_change_pct']):.2f}%" in shown[3]
        assert abs(pct - s["flip_change_pct"]) < 0.003
        assert shown[4] == amount(s["net_gex"])


def test_the_scenarios_panel_loads_in_view_and_follows_the_view(browser, demo_url):
    page = browser.new_page(viewport=DESKTOP)
    log = ConsoleLog(page)
    seen = api_paths(page)
    page.goto(f"{demo_url}/?symbol=SPY&watchlist=SPY")
    wait_ready(page)
    assert "exposure/flip-sensitivity/SPY" not in seen  # below the fold: not asked yet
    # the net GEX card reads the REST summary (its net GEX sits under `exposures`)
    net = rest(demo_url, "/v1/exposure/gex/SPY")["net_gex"]
    assert page.inner_text("#levels .card[data-level=net_gex] .value") == amount(net)
    assert page.inner_text("#scenarios-reading") == "Loads when scrolled into view."
    open_scenarios(page)
    check_scenarios(page, rest(demo_url, "/v1/exposure/flip-sensitivity/SPY"))
    assert seen.count("exposure/flip-sensitivity/SPY") == 1
    # a new expiry while the panel is in view: the scenarios of that expiry
    expiry = page.eval_on_selector_all("#expiration option", "ns => ns.map(n => n.value)")[2]
    page.select_option("#expiration", expiry)
    wait_ready(page, expiration=expiry)
    page.wait_for_function(f"() => document.body.dataset.scenarios === 'ready' && "
                           f"gexDashboard.scenarios.key === 'SPY|{expiry}'", timeout=LOAD_MS)
    check_scenarios(page, rest(demo_url, "/v1/exposure/flip-sensitivity/SPY", expiration=expiry))
    assert expiry in page.inner_text("#scenarios-caption")
    # another symbol: the page goes to the top and asks again once the panel is back in view
    page.fill("#symbol", "QQQ")
    page.click("#show")
    wait_ready(page, symbol="QQQ")
    open_scenarios(page)
    page.wait_for_function("() => gexDashboard.scenarios.key === 'QQQ|'", timeout=LOAD_MS)
    check_scenarios(page, rest(demo_url, "/v1/exposure/flip-sensitivity/QQQ"))
    assert log.errors == []
    page.close()


def test_a_complex_is_a_symbol_the_page_shows(browser, demo_url):
    page = browser.new_page(viewport=DESKTOP)
    log = ConsoleLog(page)
    seen = api_paths(page)
    page.goto(f"{demo_url}/?symbol=SPX-complex&watchlist=SPY")
    wait_ready(page, book="complex")
    answer = rest(demo_url, "/v1/exposure/complex/SPX")
    assert "exposure/complex/SPX" in seen
    assert not any(p.startswith(("exposure/summary", "exposure/levels", "exposure/gex/")) for p in seen)
    assert page.inner_text("#headline-symbol") == "SPX complex"
    assert page.input_value("#symbol") == "SPX-complex"
    assert page.inner_text("#headline-spot") == price(answer["underlying_price"])
    assert page.get_attribute("#regime", "data-regime") == answer["gamma_regime"]
    for level in ("gamma_flip", "call_wall", "put_wall"):
        assert page.inner_text(f"#levels .card[data-level={level}] .value") == price(answer[level])
    assert page.inner_text("#levels .card[data-level=net_gex] .value") == amount(answer["net_gex"])
    # the strike chart draws the complex's strikes (index grid) within the window, one bar each
    chart = page.evaluate("() => gexDashboard.chart")
    rows = windowed(answer)
    assert chart["x"] == [r["strike"] for r in rows] and len(rows) > 0
    assert chart["net"] == pytest.approx([r["net_gex"] for r in rows])
    assert "complex" in page.inner_text("#strike-caption")
    # members: as-of, share, error; the shares of the members that answered sum to 100%
    members = page.eval_on_selector_all("#book tbody tr", "rs => rs.map(r => Array.from(r.cells).map(c => c.textContent))")
    assert [m[0] for m in members] == [m["symbol"] for m in answer["members"]]
    shares = [m["gross_gex_share_pct"] for m in answer["members"] if m["error"] is None]
    assert sum(shares) == pytest.approx(100, abs=0.05)
    for shown, m in zip(members, answer["members"], strict=True):
        if m["error"]:
            assert shown[-1] and shown[5] == ""
        else:
            assert shown[5] == f"{m['gross_gex_share_pct']:.1f}%" and shown[1].endswith("ET")
    assert page.get_attribute("#book-note", "data-mismatch") == str(answer["as_of_mismatch"]).lower()
    # single-chain panels are hidden, and so are the tabs other than GEX
    assert not page.is_visible("#scenarios-panel") and not page.is_visible("#tab-dex")
    assert page.is_visible("#book-panel")
    # a member opens alone, back to a plain view
    page.click("#book [data-open=SPY]")
    wait_ready(page, symbol="SPY")
    assert page.get_attribute("body", "data-book") is None and not page.is_visible("#book-panel")
    assert "symbol=SPY" in page.url
    page.go_back()
    wait_ready(page, book="complex")
    assert "symbol=SPX-complex" in page.url
    assert log.errors == []
    page.close()


def test_a_basket_shows_weighted_totals_and_members(browser, demo_url):
    page = browser.new_page(viewport=DESKTOP)
    log = ConsoleLog(page)
    page.goto(f"{demo_url}/?basket=SPY,QQQ,IWM&weights=2,1,1&watchlist=SPY")
    wait_ready(page, book="basket")
    answer = rest(demo_url, "/v1/exposure/basket", symbols="SPY,QQQ,IWM", weights="2,1,1")
    singles = {s: rest(demo_url, f"/v1/exposure/gex/{s}") for s in ("SPY", "QQQ", "IWM")}
    weights = {"SPY": 0.5, "QQQ": 0.25, "IWM": 0.25}  # 2,1,1 as notional shares
    expected = sum(weights[s] * singles[s]["net_gex"] for s in weights)  # the test's own sum
    assert answer["aggregate"]["net_gex"] == pytest.approx(expected, rel=1e-6)
    assert page.inner_text("#levels .card[data-level=net_gex] .value") == amount(expected)
    for k in ("net_dex", "net_vex", "net_chex"):
        assert page.inner_text(f"#levels .card[data-level={k}] .value") == amount(answer["aggregate"][k])
    assert page.inner_text("#headline-symbol") == "Basket SPY, QQQ, IWM"
    assert page.input_value("#symbol") == ""  # no one symbol is shown
    assert not page.is_visible("#regime") and not page.is_visible("#strike-section")
    members = page.eval_on_selector_all("#book tbody tr", "rs => rs.map(r => Array.from(r.cells).map(c => c.textContent))")
    assert [m[0] for m in members] == ["SPY", "QQQ", "IWM"]
    for shown in members:
        assert shown[1] == f"{weights[shown[0]] * 100:.1f}%"
        assert shown[3] == amount(singles[shown[0]]["net_gex"])
        assert ("Positive" in shown[8]) == (singles[shown[0]]["net_gex"] > 0)
    assert re.search(r"basket=SPY%2CQQQ%2CIWM|basket=SPY,QQQ,IWM", page.url) and "weights=2" in page.url
    # a symbol typed in the box leaves the basket
    page.fill("#symbol", "IWM")
    page.click("#show")
    wait_ready(page, symbol="IWM")
    assert "basket" not in page.url and page.get_attribute("body", "data-book") is None
    assert log.errors == []
    page.close()


def test_the_file_source_complex_flags_members_from_different_sessions(browser, chains_dir, tmp_path):
    with running(build_service(settings_for_file(chains_dir, tmp_path)), close=True) as url:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{url}/?symbol=NDX-complex&watchlist=QQQ")
        wait_ready(page, book="complex")
        ndx = rest(url, "/v1/exposure/complex/NDX")
        assert [m["symbol"] for m in ndx["members"]] == ["NDX", "QQQ"]
        assert page.get_attribute("#book-note", "data-mismatch") == str(ndx["as_of_mismatch"]).lower()
        flip = page.inner_text("#levels .card[data-level=gamma_flip] .value")
        assert flip == (price(ndx["gamma_flip"]) if ndx["gamma_flip"] is not None else "n/a")
        assert page.evaluate("() => gexDashboard.chart.x") == [r["strike"] for r in windowed(ndx)]
        page.goto(f"{url}/?symbol=SPX-complex&watchlist=QQQ")
        wait_ready(page, book="complex")
        spx = rest(url, "/v1/exposure/complex/SPX")
        dates = {m["as_of"][:10] for m in spx["members"] if m["as_of"]}
        assert len(dates) > 1 and spx["as_of_mismatch"]  # the snapshots are of different days
        assert page.get_attribute("#book-note", "data-mismatch") == "true"
        assert "sessions apart" in page.inner_text("#book-note")
        # a snapshot file has scenarios too (SPX as of its file)
        page.goto(f"{url}/?symbol=SPX&watchlist=SPX")
        wait_ready(page)
        open_scenarios(page)
        check_scenarios(page, rest(url, "/v1/exposure/flip-sensitivity/SPX"))
        page.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_scenarios_complex_and_basket_have_no_serious_accessibility_violation(browser, demo_url, viewport):
    page = browser.new_page(viewport=viewport)
    page.goto(f"{demo_url}/?symbol=SPY&watchlist=SPY")
    wait_ready(page)
    open_scenarios(page)
    for query in ("", "?symbol=SPX-complex&watchlist=SPY", "?basket=SPY,QQQ,IWM&watchlist=SPY"):
        if query:
            page.goto(f"{demo_url}/{query}")
            wait_ready(page)
        bad = [v for v in axe_run(page) if v["impact"] in ("serious", "critical")]
        assert bad == [], (query, bad)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    page.close()
