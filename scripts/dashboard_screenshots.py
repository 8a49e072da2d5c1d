"""Screenshots of the dashboard for docs/: desktop (1440x900), phone (390x844), the Scenarios
panel, the SPX complex (the whole page) and the MCP App in a dark host, all over the demo market on 127.0.0.1, in headless Chromium.

    .venv/bin/python scripts/dashboard_screenshots.py [OUT_DIR]   (default docs/)

Needs Chromium (`bash scripts/ensure-chromium.sh`). The first screen only (what a trader sees
without scrolling), so each image shows what is above the fold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from gex_mcp.web.page import dashboard_html  # noqa: E402
from tests.rest.conftest import demo_service, running  # noqa: E402
from tests.web.browser import ARGS, chromium_path  # noqa: E402

#: A dark chat host: a 600 px tall inline frame, theme dark, the app's HTML with a no-network CSP;
#: it hands over a summary result made by the same server (REST answer of the same numbers).
DARK_HOST = """<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #0f1113; color: #ddd; font: 14px system-ui; padding: 16px; }
iframe { border: 1px solid #333; border-radius: 8px; width: 100%; height: 600px; display: block; }
</style></head><body><p>Agent: here is the SPY dashboard.</p><iframe id="app" sandbox="allow-scripts"></iframe>
<script>
const frame = document.getElementById("app");
window.addEventListener("message", (event) => {
  const msg = event.data, send = (m) => frame.contentWindow.postMessage(m, "*");
  if (!msg || msg.jsonrpc !== "2.0") return;
  if (msg.method === "ui/initialize") send({jsonrpc: "2.0", id: msg.id, result: {protocolVersion: msg.params.protocolVersion,
      hostInfo: {name: "dark host", version: "1"}, hostCapabilities: {serverTools: {}},
      hostContext: {theme: "dark", displayMode: "inline", availableDisplayModes: ["inline", "fullscreen"],
                    containerDimensions: {width: 760, maxHeight: 600}}}});
  else if (msg.method === "ui/notifications/initialized") {
    send({jsonrpc: "2.0", method: "ui/notifications/tool-input", params: {arguments: {symbol: "SPY"}}});
    send({jsonrpc: "2.0", method: "ui/notifications/tool-result", params: window.RESULT});
  } else if (msg.method === "tools/call") {
    fetch(window.BASE + "/tool/" + msg.params.name + "?" + new URLSearchParams(msg.params.arguments))
      .then(r => r.json()).then(result => send({jsonrpc: "2.0", id: msg.id, result}));
  } else if (msg.id !== undefined) send({jsonrpc: "2.0", id: msg.id, result: {}});
});
frame.srcdoc = window.APP;
</script></body></html>"""


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with running(demo_service()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        for name, viewport in (("dashboard-desktop", {"width": 1440, "height": 900}),
                               ("dashboard-phone", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=viewport)
            page.goto(f"{url}/?symbol=SPY&watchlist=SPY,QQQ,IWM,SPX")
            page.wait_for_function("() => document.body.dataset.status === 'ready' && "
                                   "document.body.dataset.history !== 'loading'", timeout=30_000)
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / f"{name}.png"))
            page.close()
        # issue 23: the Scenarios panel (an element shot) and the SPX complex's first screen
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{url}/?symbol=SPY&watchlist=SPY")
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        page.locator("#scenarios-panel").scroll_into_view_if_needed()
        page.wait_for_function("() => document.body.dataset.scenarios === 'ready'", timeout=30_000)
        page.locator("#scenarios-panel").screenshot(path=str(out / "dashboard-scenarios.png"))
        page.goto(f"{url}/?symbol=SPX-complex&watchlist=SPY")
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / "dashboard-complex.png"), full_page=True)
        page.close()
        # the MCP App in a dark host, its tool calls answered from the REST API of the same server
        import httpx

        summary = httpx.get(f"{url}/v1/exposure/summary/SPY", timeout=30).json()
        result = {"content": [{"type": "text", "text": "SPY summary"}], "structuredContent": summary}
        page = browser.new_page(viewport={"width": 820, "height": 700})

        def tool(route) -> None:
            from urllib.parse import parse_qsl, urlsplit

            parts = urlsplit(route.request.url)
            name = parts.path.rsplit("/", 1)[1]
            args = dict(parse_qsl(parts.query))
            args.pop("strikes", None)
            if name == "scan":
                path, params = "/v1/exposure/scan", {"symbols": args.pop("symbols")}
            else:
                path, params = f"/v1/exposure/{name.replace('_', '-')}/{args.pop('symbol')}", args
            answer = httpx.get(url + path, params={**params, **args} if name != "scan" else params, timeout=30)
            body = {"content": [{"type": "text", "text": name}], "structuredContent": answer.json(),
                    "isError": answer.status_code != 200}
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body),
                          headers={"Access-Control-Allow-Origin": "*"})

        page.route("http://host.invalid/tool/**", tool)
        def js(value) -> str:  # JSON inside a <script>: "</" must not end it
            return json.dumps(value).replace("</", "<\\/")

        page.set_content(DARK_HOST.replace("<script>", "<script>window.BASE = 'http://host.invalid'; "
                                           f"window.APP = {js(dashboard_html('app'))}; window.RESULT = {js(result)};\n", 1))
        frame = None
        for _ in range(100):
            if len(page.frames) > 1:
                frame = page.frames[1]
                break
            page.wait_for_timeout(50)
        assert frame is not None
        try:
            frame.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        except Exception:
            print(frame.url, page.evaluate('() => [typeof window.APP, (window.APP || "").length, document.body.innerHTML.slice(0, 300)]'), frame.evaluate('() => document.documentElement.outerHTML.slice(0, 500)'))
            raise
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / "dashboard-app-dark.png"))
        browser.close()
    print("wrote", ", ".join(str(out / f"{n}.png") for n in ("dashboard-desktop", "dashboard-phone", "dashboard-scenarios",
                                                            "dashboard-complex", "dashboard-app-dark")))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
