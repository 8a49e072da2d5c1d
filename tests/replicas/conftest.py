"""Fixtures of the multi-replica tests: one real redis-server for the session (Debian's,
started in a temporary folder on a free loopback port), emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.shared_stores import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, empty (started again if a test stopped it)."""
    if redis_server.process is None:
        redis_server.start()
    redis_server.flush()
    return redis_server.url
