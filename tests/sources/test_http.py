"""The HTTP boundary: client factory, retries, and httpx exceptions mapped to GexErrors."""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest

from gex_mcp import __version__
from gex_mcp.errors import SourceUnavailableError
from gex_mcp.sources._http import (
    DEFAULT_BACKOFF_INITIAL_SECONDS,
    DEFAULT_BACKOFF_MAX_SECONDS,
    RetryPolicy,
    make_client,
    map_http_errors,
    retry_after_seconds,
    send_with_retries,
)
from tests.sources.loopback import Fault, LoopbackServer

pytestmark = pytest.mark.anyio

NO_WAIT = RetryPolicy(retries=2, wait_initial_seconds=0)
AAPL = "/api/global/delayed_quotes/options/AAPL.json"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_client_sends_the_gex_mcp_user_agent(loopback: LoopbackServer) -> None:
    """make_client() identifies itself as gex-mcp/<version>."""
    async with make_client(loopback.url, 5.0) as client:
        response = await client.get(AAPL)
    assert response.status_code == 200
    assert loopback.last_headers[AAPL]["User-Agent"] == f"gex-mcp/{__version__}"


def test_default_backoff_starts_at_a_fifth_of_a_second_and_caps_at_two() -> None:
    """Three attempts in all by default, waits 0.2 s doubling up to 2 s."""
    policy = RetryPolicy()
    assert policy.attempts == 3
    assert (DEFAULT_BACKOFF_INITIAL_SECONDS, DEFAULT_BACKOFF_MAX_SECONDS) == (0.2, 2.0)
    assert (policy.wait_initial_seconds, policy.wait_max_seconds) == (0.2, 2.0)


def test_negative_retries_are_refused() -> None:
    """A retry count below zero is a programming error."""
    with pytest.raises(ValueError):
        RetryPolicy(retries=-1)


async def test_a_500_is_retried_until_it_succeeds(loopback: LoopbackServer) -> None:
    """Two 500s then the real answer: three requests upstream, the caller sees the 200."""
    loopback.faults[AAPL] = Fault.http_status(500, times=2)
    with anyio.fail_after(5):
        async with make_client(loopback.url, 5.0) as client:
            response = await send_with_retries(client, "GET", AAPL, policy=NO_WAIT)
    assert response.status_code == 200
    assert loopback.requests[AAPL] == 3


async def test_a_persistent_503_is_returned_after_all_attempts(loopback: LoopbackServer) -> None:
    """When every attempt fails with 5xx the last response comes back for the source to map."""
    loopback.faults[AAPL] = Fault.http_status(503)
    with anyio.fail_after(5):
        async with make_client(loopback.url, 5.0) as client:
            response = await send_with_retries(client, "GET", AAPL, policy=NO_WAIT)
    assert response.status_code == 503
    assert loopback.requests[AAPL] == NO_WAIT.attempts


@pytest.mark.parametrize("status", [400, 403, 404, 429])
async def test_a_4xx_is_never_retried(loopback: LoopbackServer, status: int) -> None:
    """Client errors, 429 included, go upstream exactly once."""
    loopback.faults[AAPL] = Fault.http_status(status)
    with anyio.fail_after(5):
        async with make_client(loopback.url, 5.0) as client:
            response = await send_with_retries(client, "GET", AAPL, policy=NO_WAIT)
    assert response.status_code == status
    assert loopback.requests[AAPL] == 1


async def test_zero_retries_means_one_attempt(loopback: LoopbackServer) -> None:
    """retries=0 sends a single request even on a 500."""
    loopback.faults[AAPL] = Fault.http_status(500)
    with anyio.fail_after(5):
        async with make_client(loopback.url, 5.0) as client:
            response = await send_with_retries(
                client, "GET", AAPL, policy=RetryPolicy(retries=0, wait_initial_seconds=0))
    assert response.status_code == 500
    assert loopback.requests[AAPL] == 1


async def test_a_real_read_timeout_is_retried_then_succeeds(loopback: LoopbackServer) -> None:
    """A 2 s stall against a 0.2 s timeout times out once; the retry gets the answer."""
    loopback.faults[AAPL] = Fault.slow(2.0, times=1)
    with anyio.fail_after(5):
        async with make_client(loopback.url, 5.0) as client:
            response = await send_with_retries(client, "GET", AAPL, policy=NO_WAIT,
                                               timeout_seconds=0.2)
    assert response.status_code == 200
    assert loopback.requests[AAPL] == 2


async def test_a_timeout_becomes_source_unavailable_naming_the_wait(
        loopback: LoopbackServer) -> None:
    """Every attempt timing out gives the documented message, chained to httpx's error."""
    loopback.faults[AAPL] = Fault.slow(2.0)
    policy = RetryPolicy(retries=1, wait_initial_seconds=0)
    with anyio.fail_after(5):
        async with make_client(loopback.url, 5.0) as client:
            with (pytest.raises(SourceUnavailableError) as info,
                  map_http_errors("cboe", "SPY", timeout_seconds=0.2)):
                await send_with_retries(client, "GET", AAPL, policy=policy, timeout_seconds=0.2)
    assert str(info.value) == ("cboe timed out after 0.2 s fetching SPY. "
                               "Try again shortly, or use source file/demo.")
    assert isinstance(info.value.__cause__, httpx.TimeoutException)
    assert info.value.exit_code == 3
    assert loopback.requests[AAPL] == 2


async def test_the_timeout_in_the_message_comes_from_the_request_when_not_given(
        loopback: LoopbackServer) -> None:
    """Without timeout_seconds the message reads the timeout httpx actually used."""
    loopback.faults[AAPL] = Fault.slow(2.0)
    with anyio.fail_after(5):
        async with make_client(loopback.url, 0.25) as client:
            with (pytest.raises(SourceUnavailableError) as info,
                  map_http_errors("cboe", "SPY")):
                await client.get(AAPL)
    assert str(info.value).startswith("cboe timed out after 0.25 s fetching SPY.")


async def test_a_refused_connection_is_reported_as_unreachable(closed_port: int) -> None:
    """Nothing listening: SourceUnavailableError naming host and port, after the retries."""
    with anyio.fail_after(5):
        async with make_client(f"http://127.0.0.1:{closed_port}", 2.0) as client:
            with (pytest.raises(SourceUnavailableError) as info,
                  map_http_errors("cboe", "SPY")):
                await send_with_retries(client, "GET", AAPL, policy=NO_WAIT)
    assert str(info.value) == (
        f"cboe is unreachable: could not connect to 127.0.0.1:{closed_port} fetching SPY. "
        "Check the network connection and the base URL, or use source file/demo.")
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_a_body_cut_short_is_a_source_error_not_a_raw_exception(
        loopback: LoopbackServer) -> None:
    """Content-Length promised more than was sent: retried, then SourceUnavailableError."""
    loopback.faults[AAPL] = Fault.truncated()
    with anyio.fail_after(5):
        async with make_client(loopback.url, 5.0) as client:
            with (pytest.raises(SourceUnavailableError) as info,
                  map_http_errors("cboe", "AAPL")):
                await send_with_retries(client, "GET", AAPL, policy=NO_WAIT)
    assert str(info.value) == (
        "cboe closed the connection before sending the whole response for AAPL. "
        "Try again shortly, or use source file/demo.")
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert loopback.requests[AAPL] == NO_WAIT.attempts


def test_other_transport_errors_name_their_kind() -> None:
    """Any other httpx.TransportError is mapped too, with the exception's class name."""
    with (pytest.raises(SourceUnavailableError) as info,
          map_http_errors("flashalpha", "QQQ", fallback="use source cboe")):
        raise httpx.ReadError("connection reset")
    assert str(info.value) == ("flashalpha connection failed fetching QQQ (ReadError). "
                               "Try again shortly, or use source cboe.")


def test_non_httpx_exceptions_pass_through_untouched() -> None:
    """The boundary maps httpx errors only; anything else is not its business."""
    with pytest.raises(KeyError), map_http_errors("cboe", "SPY"):
        raise KeyError("x")


def test_retry_after_reads_seconds_and_http_dates() -> None:
    """Retry-After as delta-seconds or as an HTTP date; absent or junk gives None."""
    def response(value: str | None) -> httpx.Response:
        headers = {"Retry-After": value} if value is not None else {}
        return httpx.Response(429, headers=headers)

    assert retry_after_seconds(response("30")) == 30.0
    assert retry_after_seconds(response("Wed, 21 Oct 2015 07:28:00 GMT"),
                               now=1445412440.0) == 40.0
    assert retry_after_seconds(response(None)) is None
    assert retry_after_seconds(response("soon")) is None
