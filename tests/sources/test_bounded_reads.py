"""Upstream reads are bounded: size, time, redirects and nesting, each a clear GexError.

Every fault is served for real by the loopback server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json

import anyio
import pytest

from gex_mcp.errors import SourceDataError, SourceUnavailableError
from gex_mcp.sources._http import RetryPolicy
from gex_mcp.sources.cboe import CboeSource
from gex_mcp.sources.flashalpha import FlashAlphaClient
from tests.sources.loopback import DEFAULT_API_KEY, Fault, LoopbackServer

pytestmark = pytest.mark.anyio

NO_RETRY = RetryPolicy(retries=0, wait_initial_seconds=0)


async def fetch(loopback: LoopbackServer, **kwargs):
    with anyio.fail_after(10):
        async with CboeSource(base_url=loopback.url, retry_policy=NO_RETRY, **kwargs) as source:
            return await source.fetch_chain("AAPL")


async def test_a_body_past_the_cap_is_abandoned_as_bad_data(loopback):
    """The ~1 MB AAPL chain against a 100 kB cap."""
    with pytest.raises(SourceDataError) as info:
        await fetch(loopback, max_bytes=100_000)
    assert str(info.value) == (
        "cboe sent more than 0.0953674 MB for AAPL; reading stopped there (GEX_MAX_RESPONSE_MB). "
        "Try again later, or use source file/demo.")


async def test_a_gzip_bomb_is_capped_on_its_decoded_size(loopback):
    """40 kB of gzip expanding to 40 MB stops at the 1 MB cap, not at 40 MB of memory."""
    bomb = gzip.compress(b" " * 40_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    loopback.faults["AAPL"] = Fault(body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(SourceDataError) as info:
        await fetch(loopback, max_bytes=1_048_576)
    assert str(info.value).startswith("cboe sent more than 1 MB for AAPL; reading stopped there")


async def test_a_body_that_is_not_what_its_encoding_says_is_bad_data(loopback):
    loopback.faults["AAPL"] = Fault(body=b"this is not gzip at all",
                                    headers={"Content-Encoding": "gzip"})
    with pytest.raises(SourceDataError) as info:
        await fetch(loopback)
    assert str(info.value) == ("cboe sent a body for AAPL that does not decode as its "
                               "Content-Encoding says. Try again later, or use source file/demo.")


async def test_a_trickling_answer_hits_the_overall_deadline_and_says_so(loopback):
    """256 bytes every 0.05 s never trips a 0.5 s read timeout; the 1.75 s deadline does."""
    loopback.faults["AAPL"] = Fault.trickle(0.05)
    with pytest.raises(SourceUnavailableError) as info:
        await fetch(loopback, timeout_seconds=0.5)
    assert str(info.value) == ("cboe did not deliver AAPL within 1.75 s (all attempts together). "
                               "Try again shortly, or use source file/demo.")


async def test_absurdly_nested_json_is_bad_data_not_a_crash(loopback):
    """The parser and the empty-chain probe both meet the nesting (the probe used to raise
    RecursionError, which skipped the stale fallback)."""
    loopback.faults["AAPL"] = Fault(body=b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(SourceDataError) as info:
        await fetch(loopback)
    assert str(info.value) == ("cboe sent an unreadable chain for AAPL (cboe:AAPL: invalid JSON "
                               "(nested too deeply)). Try again shortly, or use source file/demo.")


async def test_flashalpha_never_follows_a_redirect_with_the_key():
    """A 302 to another origin is refused; that origin never sees a request (or the key)."""
    with LoopbackServer() as home, LoopbackServer() as elsewhere:
        path = home.flashalpha_path("levels", "AAPL")
        home.faults[path] = Fault(status=302, headers={"Location": elsewhere.url + path},
                                  body=b"")
        with anyio.fail_after(10):
            async with FlashAlphaClient(DEFAULT_API_KEY, base_url=home.url,
                                        retry_policy=NO_RETRY) as client:
                with pytest.raises(SourceUnavailableError) as info:
                    await client.levels("AAPL")
        assert sum(elsewhere.requests.values()) == 0
    assert str(info.value) == (
        "FlashAlpha redirected levels AAPL to 127.0.0.1 (HTTP 302); the key is never sent to "
        "another address. Check GEX_FLASHALPHA_BASE_URL, or use source cboe.")
    assert DEFAULT_API_KEY not in str(info.value)


async def test_flashalpha_nested_json_is_bad_data(loopback):
    path = loopback.flashalpha_path("levels", "AAPL")
    loopback.faults[path] = Fault(body=json.dumps([[[]]]).replace("[]", "[" * 50_000 + "]" * 50_000).encode())
    with anyio.fail_after(10):
        async with FlashAlphaClient(DEFAULT_API_KEY, base_url=loopback.url,
                                    retry_policy=NO_RETRY) as client:
            with pytest.raises(SourceDataError) as info:
                await client.levels("AAPL")
    assert str(info.value).startswith("FlashAlpha's levels answer for AAPL is not JSON")
