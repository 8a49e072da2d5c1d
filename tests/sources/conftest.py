"""Fixtures for source tests: one loopback HTTP server per session, reset per test.

The server plays CBOE's CDN and FlashAlpha on 127.0.0.1 (see `loopback.py`); tests pass
its URL as `base_url`, so nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sources.loopback import LoopbackServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def loopback_session() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def loopback(loopback_session: LoopbackServer) -> Iterator[LoopbackServer]:
    """The session server with no faults and zeroed request counters."""
    loopback_session.reset()
    yield loopback_session
    loopback_session.reset()
