"""Fixtures of the multi-replica tests: one real redis-server and one real PostgreSQL for the
session (Debian's, started in temporary folders on free loopback ports), emptied before each
test that asks for their URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.shared_stores import PostgresServer, RedisServer


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The session's PostgreSQL, with no tables (started again if a test stopped it)."""
    try:
        postgres_server.reset()
    except Exception:  # stopped by the previous test
        postgres_server.start()
        postgres_server.reset()
    return postgres_server.url
