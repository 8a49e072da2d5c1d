"""HTTP plumbing shared by the cboe and flashalpha sources.

Two things live here, modelled on httpx's own transport layer:

* `make_client()`: one way to build an `httpx.AsyncClient` (timeout, User-Agent).
* `map_http_errors()`: the ONE boundary where httpx exceptions become `GexError`s.
  Nothing above `sources/` ever sees an httpx exception.

`send_with_retries()` sends a request with bounded exponential backoff (tenacity),
retrying timeouts, connection failures (including a connection dropped mid-body) and
5xx answers only. A 4xx, 429 included, is never retried: it is returned at once for
the source to map (a 429 becomes `RateLimitedError`). Every fetch is bounded twice over:
the body is streamed and abandoned past `max_bytes` of decoded content, inflated in
bounded slices off the event loop (`_inflate`: a gzip bomb or a 200 MB answer never fills
memory nor stalls other requests), and all attempts together must finish within a
deadline (a server trickling one byte a second never resets it).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import anyio
import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
    wait_none,
)

from gex_mcp import __version__
from gex_mcp.errors import RateLimitedError, SourceDataError, SourceError, SourceUnavailableError
from gex_mcp.sources._inflate import (
    ACCEPT_ENCODING,
    BadEncodingError,
    BodyTooLargeError,
    decoder_for,
)

__all__ = ["BadEncodingError", "BodyTooLargeError"]  # re-exported: raised by the reads below

logger = logging.getLogger(__name__)

USER_AGENT = f"gex-mcp/{__version__}"
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_RETRIES = 2  # retries after the first attempt: 3 attempts in all
DEFAULT_BACKOFF_INITIAL_SECONDS = 0.2
DEFAULT_BACKOFF_MAX_SECONDS = 2.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # the largest real chain is ~2.5 MB
FALLBACK_HINT = "use source file/demo"

# Transient transport failures worth another attempt. RemoteProtocolError covers a
# server that closes the connection before the promised Content-Length arrived.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried.

    Attributes:
        retries: attempts after the first one (0 = no retry).
        wait_initial_seconds: first backoff; doubles per attempt.
        wait_max_seconds: cap on a single backoff.
    """

    retries: int = DEFAULT_RETRIES
    wait_initial_seconds: float = DEFAULT_BACKOFF_INITIAL_SECONDS
    wait_max_seconds: float = DEFAULT_BACKOFF_MAX_SECONDS

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError("retries must be >= 0")

    @property
    def attempts(self) -> int:
        return self.retries + 1

    @property
    def after_attempts(self) -> str:
        """Error-message suffix: ' after N attempts', or '' for a single attempt."""
        return f" after {self.attempts} attempts" if self.attempts > 1 else ""


class DeadlineExceededError(Exception):
    """All attempts of one fetch together took longer than the deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"deadline of {seconds:g} s passed")
        self.seconds = seconds


def deadline_for(policy: RetryPolicy, timeout_seconds: float) -> float:
    """What one fetch may take in all: every attempt's timeout and backoff, with half again
    as margin, so a plain timeout still reports itself; only a trickle reaches it."""
    backoff = sum(min(policy.wait_initial_seconds * 2 ** i, policy.wait_max_seconds)
                  for i in range(policy.retries))
    return 1.5 * policy.attempts * timeout_seconds + backoff + 1.0


def make_client(base_url: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
                headers: dict[str, str] | None = None, *,
                trust_env: bool = False, follow_redirects: bool = True) -> httpx.AsyncClient:
    """An AsyncClient for one upstream: base URL, one timeout for every phase, our User-Agent.

    Secrets do not belong in `headers`: httpx's `Headers` repr shows every value except
    Authorization, so pass API keys per request instead; a client that sends a key should
    not follow redirects (`follow_redirects=False`), or the key goes wherever it is sent. `trust_env` (proxy variables,
    SSL_CERT_FILE, .netrc) is off unless the caller, who read the settings, turns it on.
    """
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json",
              "Accept-Encoding": ACCEPT_ENCODING}  # only what _inflate bounds
    merged.update(headers or {})
    return httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(timeout_seconds),
                             headers=merged, follow_redirects=follow_redirects, trust_env=trust_env)


def _format_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


def _request_timeout(exc: httpx.HTTPError) -> float | None:
    try:
        timeouts = exc.request.extensions.get("timeout") or {}
    except RuntimeError:  # exception raised without a request attached
        return None
    values = [v for v in timeouts.values() if isinstance(v, (int, float))]
    return max(values) if values else None


def _host_of(exc: httpx.HTTPError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:
        return "the server"
    return f"{url.host}:{url.port}" if url.port else str(url.host)


@contextmanager
def map_http_errors(source_name: str, symbol: str, *,
                    timeout_seconds: float | None = None,
                    fallback: str = FALLBACK_HINT) -> Iterator[None]:
    """Translate httpx transport exceptions raised inside the block into `GexError`s.

    Timeout -> SourceUnavailableError ("... timed out after 10 s ..."); connection
    refused / DNS failure -> SourceUnavailableError (host unreachable); a connection
    closed before the body was complete, or any other transport error ->
    SourceUnavailableError. Always chained (`raise ... from exc`). Messages name the
    source, the symbol and what to do (`fallback` ends the sentence); never a header
    (API keys travel in headers) and never the text of the httpx exception.
    """
    try:
        yield
    except DeadlineExceededError as exc:
        raise SourceUnavailableError(
            f"{source_name} did not deliver {symbol} within {exc.seconds:g} s (all attempts "
            f"together). Try again shortly, or {fallback}.") from exc
    except BodyTooLargeError as exc:
        raise SourceDataError(
            f"{source_name} sent more than {exc.limit / 1_048_576:g} MB for {symbol}; reading "
            f"stopped there (GEX_MAX_RESPONSE_MB). Try again later, or {fallback}.") from exc
    except (BadEncodingError, httpx.DecodingError) as exc:
        raise SourceDataError(
            f"{source_name} sent a body for {symbol} that does not decode as its "
            f"Content-Encoding says. Try again later, or {fallback}.") from exc
    except httpx.TimeoutException as exc:
        seconds = timeout_seconds if timeout_seconds is not None else _request_timeout(exc)
        after = f" after {_format_seconds(seconds)}" if seconds is not None else ""
        raise SourceUnavailableError(
            f"{source_name} timed out{after} fetching {symbol}. "
            f"Try again shortly, or {fallback}.") from exc
    except httpx.ConnectError as exc:
        raise SourceUnavailableError(
            f"{source_name} is unreachable: could not connect to {_host_of(exc)} fetching "
            f"{symbol}. Check the network connection and the base URL, or {fallback}.",
        ) from exc
    except httpx.RemoteProtocolError as exc:
        raise SourceUnavailableError(
            f"{source_name} closed the connection before sending the whole response for "
            f"{symbol}. Try again shortly, or {fallback}.") from exc
    except httpx.TransportError as exc:
        raise SourceUnavailableError(
            f"{source_name} connection failed fetching {symbol} ({type(exc).__name__}). "
            f"Try again shortly, or {fallback}.") from exc


def _is_server_error(response: httpx.Response) -> bool:
    return response.status_code >= 500


def _retry_logger(method: str, url: str) -> Callable[[RetryCallState], None]:
    path = httpx.URL(url).path  # no query string, no host: nothing secret, nothing long

    def log(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        if outcome is None:
            return
        what = (type(outcome.exception()).__name__ if outcome.failed
                else f"HTTP {outcome.result().status_code}")
        logger.info("retrying %s %s after %s (attempt %d)", method, path, what,
                    retry_state.attempt_number)

    return log


def _return_last_outcome(retry_state: RetryCallState) -> httpx.Response:
    # Out of attempts: hand back the last 5xx response, or re-raise the last exception.
    assert retry_state.outcome is not None
    return retry_state.outcome.result()


async def send_with_retries(client: httpx.AsyncClient, method: str, url: str, *,
                            policy: RetryPolicy, timeout_seconds: float | None = None,
                            params: dict[str, Any] | None = None,
                            headers: dict[str, str] | None = None,
                            max_bytes: int = DEFAULT_MAX_BYTES,
                            deadline_seconds: float | None = None) -> httpx.Response:
    """Send a request, retrying timeouts, connection errors and 5xx per `policy`.

    Returns the first non-5xx response (its body read, at most `max_bytes` decoded), or
    the last 5xx response once attempts run out. Transport exceptions escape as httpx
    exceptions, a body past the cap as BodyTooLargeError and a fetch past the deadline
    (default `deadline_for(policy, timeout)`) as DeadlineExceededError: call this inside
    `map_http_errors()`. `timeout_seconds`, when given, overrides the client's timeout.
    """
    timeout: Any = (httpx.Timeout(timeout_seconds) if timeout_seconds is not None
                    else httpx.USE_CLIENT_DEFAULT)
    if deadline_seconds is None:
        per_request = timeout_seconds if timeout_seconds is not None else (
            client.timeout.read or DEFAULT_TIMEOUT_SECONDS)
        deadline_seconds = deadline_for(policy, per_request)
    if policy.wait_initial_seconds <= 0:
        wait = wait_none()
    else:
        wait = wait_exponential(multiplier=policy.wait_initial_seconds,
                                max=policy.wait_max_seconds)
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait,
        retry=(retry_if_exception_type(RETRYABLE_EXCEPTIONS)
               | retry_if_result(_is_server_error)),
        before_sleep=_retry_logger(method, url),
        retry_error_callback=_return_last_outcome,
        reraise=True,
    )
    try:
        with anyio.fail_after(deadline_seconds):
            async for attempt in retrying:
                with attempt:
                    request = client.build_request(method, url, params=params, headers=headers,
                                                   timeout=timeout)
                    response = await _read_capped(client, request, max_bytes)
                outcome = attempt.retry_state.outcome
                if outcome is not None and not outcome.failed:
                    attempt.retry_state.set_result(response)  # lets retry_if_result see the status
    except TimeoutError:
        raise DeadlineExceededError(deadline_seconds) from None
    return response


async def _read_capped(client: httpx.AsyncClient, request: httpx.Request,
                       max_bytes: int) -> httpx.Response:
    """Send `request` and read its decoded body, abandoning it past `max_bytes`.

    gzip/deflate are inflated by `_inflate.BoundedBody` from the raw bytes, at most
    `SLICE_BYTES` per step, in a worker thread; an encoding it does not know falls back to
    httpx's decoder with the cap checked per decoded chunk.
    """
    response = await client.send(request, stream=True)
    try:
        decoder = decoder_for(response.headers.get("Content-Encoding"), max_bytes)
        if decoder is None:
            content = await _read_with_httpx_decoder(response, max_bytes)
        else:
            async for raw in response.aiter_raw():
                if decoder.inflates:
                    await anyio.to_thread.run_sync(decoder.feed, raw)
                else:
                    decoder.feed(raw)
            content = decoder.finish()
    finally:
        await response.aclose()
    # The body is decoded already: drop the encoding headers so it is not decoded twice.
    kept = [(k, v) for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=kept, content=content,
                          request=request, extensions=response.extensions)


async def _read_with_httpx_decoder(response: httpx.Response, max_bytes: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            parts.clear()
            raise BodyTooLargeError(max_bytes)
        parts.append(chunk)
    return b"".join(parts)


def retry_after_seconds(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def status_error(response: httpx.Response, *, source: str, subject: str, policy: RetryPolicy,
                 fallback: str = FALLBACK_HINT, detail: str = "") -> SourceError:
    """The error for an upstream status that means the same from every source.

    429 -> RateLimitedError (with Retry-After, never retried); 5xx -> SourceUnavailableError
    naming the attempts made; any other non-200 -> SourceUnavailableError. Statuses that
    mean something particular to one API (CBOE's 403/404 for an unlisted symbol,
    FlashAlpha's 401/403 plans) are mapped by that source before it falls back to this.

    Args:
        response: the final answer (after retries).
        source: the upstream's name as the message shows it ("cboe", "FlashAlpha").
        subject: what was asked for ("AAPL", "gex AAPL").
        policy: the retry policy used, for "after N attempts".
        fallback: what to do instead, ending the message.
        detail: upstream text to quote, starting with ": " (already scrubbed of secrets).
    """
    status = response.status_code
    if status == 429:
        wait = retry_after_seconds(response)
        when = f"in {wait:g} s" if wait is not None else "shortly"
        return RateLimitedError(
            f"{source} rate-limited the request for {subject} (HTTP 429){detail}. "
            f"Try again {when}, or {fallback}.", retry_after_seconds=wait)
    if status >= 500:
        return SourceUnavailableError(
            f"{source} answered HTTP {status} for {subject}{policy.after_attempts}{detail}. "
            f"Try again shortly, or {fallback}.")
    return SourceUnavailableError(
        f"{source} answered HTTP {status} for {subject}{detail}. Try again later, or {fallback}.")


class OwnedClient:
    """Closing for a source that may own its `httpx.AsyncClient` (`_client`, `_owns_client`).

    An injected client belongs to the caller and is left open; one the source made is closed.
    """

    _client: httpx.AsyncClient
    _owns_client: bool

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()
