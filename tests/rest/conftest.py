"""A real uvicorn server on 127.0.0.1 (port 0, in a thread) serving the HTTP app over a service."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import anyio
import pytest
import uvicorn
from flashalpha import FlashAlpha

from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.http import serve as _serve
from gex_mcp.http.rest.app import build_rest_app
from gex_mcp.mcp_server.server import build_server
from gex_mcp.service import GexService, build_service
from gex_mcp.settings import Settings
from gex_mcp.sources.demo import DemoSource
from gex_mcp.store.cache import ChainCache
from tests.conftest import CHAINS_DIR

WEDNESDAY = datetime(2025, 6, 11, 10, 30, tzinfo=NEW_YORK)  # the demo lists 0DTE options
KEYS = ("key-one-for-tests", "key-two-for-tests")
STARTUP_SECONDS = 20  # uvicorn binds in well under a second; the margin is for a loaded CI box


def demo_service() -> GexService:
    return GexService(sources={"demo": DemoSource(clock=lambda: WEDNESDAY)}, default_source="demo",
                      cache=ChainCache(None))


class _Server(uvicorn.Server):
    """uvicorn, closing the service in its own event loop once it has stopped serving (its
    HTTP clients' connections belong to that loop)."""

    def __init__(self, config: uvicorn.Config, service: GexService | None) -> None:
        super().__init__(config)
        self.service = service

    async def shutdown(self, sockets=None) -> None:
        await super().shutdown(sockets=sockets)
        if self.service is not None:
            await self.service.aclose()


@contextmanager
def running(service: GexService, *, mcp: bool = True, close: bool = False, watcher=None,
            **options) -> Iterator[str]:
    """Serve `service` (MCP + REST, guarded as `serve --transport http` does); yield the base URL.
    With `close`, the service is closed when the server stops; with `watcher`, the alert
    tools and resources are served too (its poller is not run)."""
    app = _serve.http_app(build_server(service, watcher) if mcp else None, build_rest_app(service),
                          _serve.HttpOptions(host="127.0.0.1", **options))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_config=None, lifespan="on"), service if close else None)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("REST test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()


@pytest.fixture(scope="module")
def keyed_url() -> Iterator[str]:
    """Demo market behind two keys and a generous rate limit."""
    with running(demo_service(), keys=KEYS, rate_limit_per_minute=10_000) as url:
        yield url


@pytest.fixture
def serve() -> Callable:
    return running


#: Two SPY snapshots a trading week apart: the later one's OI change is known (the earlier
#: file is its previous snapshot), which no symbol of the whole folder has at its latest.
PRIOR_PAIR = ("cboe_legacy_SPY_2020-06-22.dat", "cboe_legacy_SPY_2020-06-28.dat")


@contextmanager
def sdk_on(chains_dir: Path, data_dir: Path) -> Iterator[FlashAlpha]:
    """FlashAlpha's SDK pointed at a loopback server on the file source of `chains_dir`."""
    service = build_service(Settings(_env_file=None, source="file", chains_dir=chains_dir,
                                     data_dir=data_dir))
    with running(service, keys=KEYS, rate_limit_per_minute=100_000) as url:
        yield FlashAlpha(KEYS[0], base_url=url)
    anyio.run(service.aclose)


@pytest.fixture(scope="session")
def clients(tmp_path_factory) -> Iterator[Clients]:
    """Two file-source servers, shared by the FlashAlpha SDK tests: the whole folder, and PRIOR_PAIR."""
    pair = tmp_path_factory.mktemp("chains")
    for name in PRIOR_PAIR:  # linked, not copied: the snapshots stay in ../shared/chains
        (pair / name).symlink_to(CHAINS_DIR / name)
    with sdk_on(CHAINS_DIR, tmp_path_factory.mktemp("data")) as fa, \
            sdk_on(pair, tmp_path_factory.mktemp("data")) as prior:
        yield Clients(fa, prior)


class Clients(NamedTuple):
    fa: FlashAlpha  # every snapshot of ../shared/chains (latest per symbol answers)
    prior: FlashAlpha  # SPY of 2020-06-26 with the previous snapshot's OI known
