"""Headless Chromium for the dashboard tests: Debian's `chromium` driven by Playwright.

`.ci/run` installs the browser when it is missing, so these tests fail (never skip) without
it. Chromium runs with no sandbox (CI runs as root) and without its background network
traffic (Google hosts are unreachable here and must never be contacted).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-default-apps", "--disable-extensions", "--disable-quic"]
LAPTOP = {"width": 1280, "height": 900}
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
LOAD_MS = 30_000


def chromium_path() -> str:
    """The Chromium executable: $GEX_CHROMIUM, else chromium on PATH."""
    found = os.environ.get("GEX_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is missing: install Debian's package (apt-get install chromium) "
                    "or set GEX_CHROMIUM; .ci/run does this.")
    return found


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


class ConsoleLog:
    """Every console error and uncaught page error of a page (a test asserts it stays empty)."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
