"""Fixtures the dashboard's browser tests share: one headless Chromium per test module, and
the demo market served on loopback (MCP + REST, as `serve --transport http` guards it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.rest.conftest import demo_service, running
from tests.web.browser import ARGS, chromium_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with running(demo_service()) as url:
        yield url
