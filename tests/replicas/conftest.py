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


def fresh_redis(server: RedisServer) -> str:
    """The session's Redis, empty (started again if a test stopped it)."""
    if server.process is None:
        server.start()
    server.flush()
    return server.url


def fresh_postgres(server: PostgresServer) -> str:
    """The session's PostgreSQL, with no tables (started again if a test stopped it)."""
    try:
        server.reset()
    except Exception:  # stopped by the previous test
        server.start()
        server.reset()
    return server.url


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return fresh_redis(redis_server)


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
    return fresh_postgres(postgres_server)
