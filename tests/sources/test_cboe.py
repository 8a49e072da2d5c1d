"""CboeSource against the loopback server: real fixtures, every failure mapped once."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

import anyio
import httpx
import numpy as np
import pytest

from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import (
    NoDataError,
    RateLimitedError,
    SourceDataError,
    SourceUnavailableError,
    UnknownSymbolError,
)
from gex_mcp.parsing import load_chain_file
from gex_mcp.sources._http import RetryPolicy
from gex_mcp.sources.base import ChainSource, normalize_symbol
from gex_mcp.sources.cboe import CboeSource, cboe_symbol
from tests.sources.loopback import CHAINS_DIR, Fault, LoopbackServer, fixture_path

pytestmark = pytest.mark.anyio

NO_WAIT = RetryPolicy(retries=2, wait_initial_seconds=0)


def path_of(cboe_sym: str) -> str:
    return f"/api/global/delayed_quotes/options/{cboe_sym}.json"


async def fetch(loopback: LoopbackServer, symbol: str, **kwargs) -> OptionChain:
    kwargs.setdefault("retry_policy", NO_WAIT)
    with anyio.fail_after(5):
        async with CboeSource(base_url=loopback.url, **kwargs) as source:
            return await source.fetch_chain(symbol)


def assert_same_chain(actual: OptionChain, expected: OptionChain) -> None:
    for field in dataclasses.fields(OptionChain):
        if field.name == "source":
            continue
        a, b = getattr(actual, field.name), getattr(expected, field.name)
        if isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=field.name)
        else:
            assert a == b, field.name


async def test_cboe_source_is_a_chain_source() -> None:
    """CboeSource satisfies the ChainSource protocol."""
    async with CboeSource() as source:
        assert isinstance(source, ChainSource)
        assert source.name == "cboe"


@pytest.mark.parametrize(("raw", "symbol"), [
    ("spy", "SPY"), (" SPY ", "SPY"), ("^spx", "SPX"), ("_SPX", "SPX"), ("brk.b", "BRK.B"),
    ("VIX9D", "VIX9D")])
def test_symbols_are_normalised_to_what_users_type(raw: str, symbol: str) -> None:
    """Case, blanks and an index prefix (^ or _) are dropped."""
    assert normalize_symbol(raw) == symbol


@pytest.mark.parametrize("raw", ["../etc", "", "^", "SPY/X", "1ABC", "ABCDEFGHIJK", "S P Y",
                                 "SPY;rm", "%2e%2e"])
def test_anything_but_a_ticker_is_an_unknown_symbol(raw: str) -> None:
    """Path-like, empty, too long or punctuated input is refused with a ticker example."""
    with pytest.raises(UnknownSymbolError) as info:
        normalize_symbol(raw)
    assert str(info.value) == (f"{raw!r} is not a ticker symbol. "
                               "Use letters only, e.g. 'SPY' or 'SPX'.")


def test_indexes_get_cboes_underscore_prefix() -> None:
    """Users type SPX; CBOE's CDN spells it _SPX. Stocks are unchanged."""
    assert [cboe_symbol(s) for s in ("SPX", "NDX", "RUT", "VIX", "SPY", "BRK.B")] == [
        "_SPX", "_NDX", "_RUT", "_VIX", "SPY", "BRK.B"]


async def test_fetched_aapl_equals_the_fixture_loaded_from_disk(loopback: LoopbackServer) -> None:
    """Over HTTP or from the file, the AAPL snapshot is the same chain; only the source differs."""
    chain = await fetch(loopback, "AAPL")
    from_disk = load_chain_file(fixture_path("AAPL"))
    assert_same_chain(chain, from_disk)
    assert chain.source == "cboe"
    assert len(chain) == 2336
    assert loopback.requests[path_of("AAPL")] == 1


@pytest.mark.parametrize("symbol", ["GOOGL", "META"])
async def test_every_json_fixture_is_served_and_parsed(loopback: LoopbackServer,
                                                       symbol: str) -> None:
    """GOOGL and META come back as non-empty chains for the symbol asked."""
    chain = await fetch(loopback, symbol.lower())
    assert chain.symbol == symbol
    assert len(chain) > 2000
    assert chain.as_of.tzinfo is not None


async def test_the_symbol_is_normalised_before_the_request(loopback: LoopbackServer) -> None:
    """' aapl ' asks CBOE for AAPL.json."""
    chain = await fetch(loopback, " aapl ")
    assert chain.symbol == "AAPL"
    assert list(loopback.requests) == [path_of("AAPL")]


async def test_an_index_is_requested_with_an_underscore(loopback: LoopbackServer) -> None:
    """'^spx' becomes _SPX.json; the fake CDN does not list it, so the error names SPX."""
    with pytest.raises(UnknownSymbolError) as info:
        await fetch(loopback, "^spx")
    assert str(info.value) == ("No option chain for 'SPX' from cboe. "
                               "Use a US ticker such as 'SPY' or an index such as 'SPX'.")
    assert list(loopback.requests) == [path_of("_SPX")]


async def test_an_unlisted_symbol_is_an_input_error_asked_once(loopback: LoopbackServer) -> None:
    """CBOE's 403 for SPXX is UnknownSymbolError (exit 2), with no retry."""
    with pytest.raises(UnknownSymbolError) as info:
        await fetch(loopback, "SPXX")
    assert str(info.value) == ("No option chain for 'SPXX' from cboe. "
                               "Use a US ticker such as 'SPY' or an index such as 'SPX'.")
    assert info.value.exit_code == 2
    assert loopback.requests[path_of("SPXX")] == 1


async def test_a_404_is_an_unknown_symbol_too(loopback: LoopbackServer) -> None:
    """A 404 from the CDN means the same as its 403."""
    loopback.faults["AAPL"] = Fault.http_status(404)
    with pytest.raises(UnknownSymbolError):
        await fetch(loopback, "AAPL")
    assert loopback.requests[path_of("AAPL")] == 1


@pytest.mark.parametrize("bad", ["../etc", "", "SPY/../../x", "TOOLONGSYMBOL", "1ABC", "S P Y"])
async def test_a_malformed_symbol_never_reaches_the_network(loopback: LoopbackServer,
                                                            bad: str) -> None:
    """Path-like or malformed symbols are rejected before any request."""
    with pytest.raises(UnknownSymbolError):
        await fetch(loopback, bad)
    assert sum(loopback.requests.values()) == 0


async def test_two_500s_are_retried_and_the_third_attempt_wins(loopback: LoopbackServer) -> None:
    """With retries=2 a 500, 500, 200 sequence gives the chain after three requests."""
    loopback.faults["AAPL"] = Fault.http_status(500, times=2)
    chain = await fetch(loopback, "AAPL")
    assert len(chain) == 2336
    assert loopback.requests[path_of("AAPL")] == 3


async def test_a_persistent_503_is_source_unavailable_naming_the_status(
        loopback: LoopbackServer) -> None:
    """Three 503s: SourceUnavailableError that names the status and the attempts."""
    loopback.faults["AAPL"] = Fault.http_status(503)
    with pytest.raises(SourceUnavailableError) as info:
        await fetch(loopback, "AAPL")
    assert str(info.value) == ("cboe answered HTTP 503 for AAPL after 3 attempts. "
                               "Try again shortly, or use source file/demo.")
    assert info.value.exit_code == 3
    assert loopback.requests[path_of("AAPL")] == 3


async def test_a_429_is_rate_limited_at_once_with_the_wait(loopback: LoopbackServer) -> None:
    """429 with Retry-After: 30 gives RateLimitedError(retry_after_seconds=30), one request."""
    loopback.faults["AAPL"] = Fault.rate_limited(retry_after=30)
    with pytest.raises(RateLimitedError) as info:
        await fetch(loopback, "AAPL")
    assert str(info.value) == ("cboe rate-limited the request for AAPL (HTTP 429). "
                               "Try again in 30 s, or use source file/demo.")
    assert info.value.retry_after_seconds == 30.0
    assert loopback.requests[path_of("AAPL")] == 1


async def test_a_slow_cdn_times_out_for_real(loopback: LoopbackServer) -> None:
    """A 2 s stall against a 0.2 s timeout: SourceUnavailableError after both attempts."""
    loopback.faults["AAPL"] = Fault.slow(2.0)
    with pytest.raises(SourceUnavailableError) as info:
        await fetch(loopback, "AAPL", timeout_seconds=0.2,
                    retry_policy=RetryPolicy(retries=1, wait_initial_seconds=0))
    assert str(info.value) == ("cboe timed out after 0.2 s fetching AAPL. "
                               "Try again shortly, or use source file/demo.")
    assert loopback.requests[path_of("AAPL")] == 2


async def test_a_connection_closed_mid_body_is_source_unavailable(
        loopback: LoopbackServer) -> None:
    """Content-Length larger than what arrives: SourceUnavailableError, never httpx's error."""
    loopback.faults["AAPL"] = Fault.truncated()
    with pytest.raises(SourceUnavailableError) as info:
        await fetch(loopback, "AAPL")
    assert str(info.value) == ("cboe closed the connection before sending the whole response "
                               "for AAPL. Try again shortly, or use source file/demo.")
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)


async def test_a_cut_json_body_is_source_data_error(loopback: LoopbackServer) -> None:
    """A complete HTTP answer whose JSON stops half-way is SourceDataError (exit 3)."""
    half = fixture_path("AAPL").read_bytes()[:500_000]
    loopback.faults["AAPL"] = Fault(body=half)
    with pytest.raises(SourceDataError) as info:
        await fetch(loopback, "AAPL")
    message = str(info.value)
    assert message.startswith("cboe sent an unreadable chain for AAPL (cboe:AAPL: ")
    assert message.endswith("). Try again shortly, or use source file/demo.")
    assert loopback.requests[path_of("AAPL")] == 1


async def test_malformed_json_is_source_data_error(loopback: LoopbackServer) -> None:
    """Garbage JSON is reported as data the source sent, not as a crash."""
    loopback.faults["AAPL"] = Fault.malformed_json()
    with pytest.raises(SourceDataError):
        await fetch(loopback, "AAPL")


async def test_an_html_page_instead_of_json_is_source_data_error(
        loopback: LoopbackServer) -> None:
    """A maintenance page served with 200 is SourceDataError."""
    loopback.faults["AAPL"] = Fault.html()
    with pytest.raises(SourceDataError) as info:
        await fetch(loopback, "AAPL")
    assert str(info.value) == ("cboe sent an HTML page instead of the JSON chain for AAPL. "
                               "Try again shortly, or use source file/demo.")


async def test_a_chain_without_options_is_no_data(loopback: LoopbackServer) -> None:
    """A well-formed answer with an empty options list is NoDataError (exit 4)."""
    loopback.faults["AAPL"] = Fault.empty_chain("AAPL")
    with pytest.raises(NoDataError) as info:
        await fetch(loopback, "AAPL")
    assert str(info.value) == ("cboe lists no options for AAPL right now. "
                               "Try again later, or use source file/demo.")
    assert info.value.exit_code == 4


async def test_an_unreachable_cdn_is_source_unavailable() -> None:
    """Nothing listening on the port: SourceUnavailableError, not httpx.ConnectError."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with anyio.fail_after(5):
        async with CboeSource(base_url=f"http://127.0.0.1:{port}",
                              retry_policy=NO_WAIT) as source:
            with pytest.raises(SourceUnavailableError) as info:
                await source.fetch_chain("SPY")
    assert str(info.value).startswith(f"cboe is unreachable: could not connect to "
                                      f"127.0.0.1:{port} fetching SPY.")


async def test_an_injected_client_is_left_open(loopback: LoopbackServer) -> None:
    """aclose() closes only a client the source built itself."""
    async with httpx.AsyncClient() as client:
        source = CboeSource(client, base_url=loopback.url, retry_policy=NO_WAIT)
        with anyio.fail_after(5):
            chain = await source.fetch_chain("AAPL")
        await source.aclose()
        assert not client.is_closed
    assert len(chain) == 2336
    owned = CboeSource(base_url=loopback.url)
    await owned.aclose()
    assert owned._client.is_closed


def test_the_fixture_folder_is_the_shared_one() -> None:
    """The server reads ../shared/chains; the project keeps no copy of the snapshots."""
    assert Path(__file__).resolve().parents[2].parent / "shared" / "chains" == CHAINS_DIR
    assert json.loads(fixture_path("AAPL").read_bytes())["symbol"] == "AAPL"


async def test_an_unchanged_feed_is_not_parsed_again(loopback: LoopbackServer, monkeypatch) -> None:
    """The second fetch of identical bytes returns the first parse; a changed body is parsed."""
    import gex_mcp.sources.cboe as cboe_module

    parses = []
    real = cboe_module.parse_cboe_delayed_json

    def counting(body, **kwargs):
        parses.append(len(body))
        return real(body, **kwargs)

    monkeypatch.setattr(cboe_module, "parse_cboe_delayed_json", counting)
    with anyio.fail_after(10):
        async with CboeSource(base_url=loopback.url, retry_policy=NO_WAIT) as source:
            first = await source.fetch_chain("AAPL")
            second = await source.fetch_chain("AAPL")
            payload = json.loads(fixture_path("AAPL").read_bytes())
            payload["data"]["current_price"] = payload["data"]["current_price"] + 1
            payload["data"]["close"] = payload["data"]["close"] + 1  # the spot after hours
            loopback.faults["AAPL"] = Fault(json_body=payload)
            third = await source.fetch_chain("AAPL")
    assert len(parses) == 2 and loopback.requests[loopback.cboe_path("AAPL")] == 3
    assert second is first and third.spot == first.spot + 1
