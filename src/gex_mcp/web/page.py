"""The dashboard as one self-contained HTML document (styles, uPlot and the script inlined).

The same document serves both places: `/` in a browser (`mode="rest"`: data from the REST
API) and the MCP App resource `ui://gex/dashboard` (`mode="app"`: data from tool calls through
the host bridge). Everything is inlined, so the app runs under a host's default CSP (no
network origins) and the page works offline.

uPlot 1.6.32 (MIT, vendored unmodified in `vendor/uplot/`) draws the charts: 51 KB minified,
canvas-drawn and fast with hundreds of bars, small enough to inline into every app resource.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Literal

from gex_mcp import __version__

APP_URI = "ui://gex/dashboard"
DEFAULT_WATCHLIST = ("SPY", "QQQ", "IWM", "SPX", "TSLA", "NVDA")
#: What fills each /*PLACEHOLDER*/ of dashboard.html.
_INLINED = {"UPLOT_CSS": "vendor/uplot/uPlot.min.css", "DASHBOARD_CSS": "dashboard.css",
            "UPLOT_JS": "vendor/uplot/uPlot.iife.min.js", "DASHBOARD_JS": "dashboard.js"}


@cache
def _asset(name: str) -> str:
    return (resources.files("gex_mcp.web") / name).read_text(encoding="utf-8")


@cache
def _template() -> str:
    html = _asset("dashboard.html")
    for name, path in _INLINED.items():
        html = html.replace(f"/*{name}*/", _asset(path), 1)
    return html


def dashboard_html(mode: Literal["rest", "app"], *, symbol: str = "SPY",
                   refresh_seconds: float = 60.0,
                   watchlist: tuple[str, ...] = DEFAULT_WATCHLIST) -> str:
    """The page. `refresh_seconds` is the auto-refresh period when an answer does not carry
    its own (the MCP App; REST answers bring `Cache-Control: max-age`, the cache lifetime now,
    which the page prefers). Snapshot files are never refreshed."""
    config = {"mode": mode, "symbol": symbol.upper(), "refresh_seconds": refresh_seconds,
              "watchlist": list(watchlist), "version": __version__}
    # "</" inside a <script> element would end it early; JSON allows "<\/".
    return _template().replace("/*CONFIG*/", json.dumps(config).replace("</", "<\\/"), 1)
