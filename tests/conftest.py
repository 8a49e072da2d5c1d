"""Shared fixtures: a clean environment and the path to the real chain snapshots."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sources.loopback import LoopbackServer

CHAINS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "chains"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strip GEX_* and FLASHALPHA_* variables so tests see only what they set."""
    for name in list(os.environ):
        if name.startswith(("GEX_", "FLASHALPHA_")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def chains_dir() -> Path:
    if not CHAINS_DIR.is_dir():
        pytest.fail(f"fixture folder {CHAINS_DIR} is missing: tests need ../shared/chains")
    return CHAINS_DIR


@pytest.fixture(scope="session")
def loopback_session() -> Iterator[LoopbackServer]:
    """One HTTP server on 127.0.0.1 playing CBOE's CDN and FlashAlpha (tests/sources/loopback.py)."""
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def loopback(loopback_session: LoopbackServer) -> Iterator[LoopbackServer]:
    """The session server with no faults and zeroed request counters."""
    loopback_session.reset()
    yield loopback_session
    loopback_session.reset()
