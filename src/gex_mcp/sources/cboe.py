"""CBOE delayed quotes: the default, key-free source of raw option chains.

`GET {base_url}/api/global/delayed_quotes/options/{SYM}.json`, where cash indexes
carry an underscore (`_SPX`, `_NDX`, `_RUT`, `_VIX`); users type `SPX`. The payload is
parsed by `gex_mcp.parsing.parse_cboe_delayed_json`; this module only fetches and maps
failures to `GexError`s:

| upstream                                   | raised                                  |
|--------------------------------------------|-----------------------------------------|
| timeout, refused connection, cut-off body  | SourceUnavailableError (after retries)  |
| 5xx                                        | SourceUnavailableError (after retries)  |
| 403 / 404 (the CDN's answer for a symbol it does not list) | UnknownSymbolError      |
| 429                                        | RateLimitedError (never retried)        |
| malformed / truncated / HTML body          | SourceDataError                         |
| a chain with no options                    | NoDataError                             |
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from urllib.parse import quote

import anyio
import httpx

from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import (
    GexError,
    NoDataError,
    SourceDataError,
    UnknownSymbolError,
)
from gex_mcp.parsing import parse_cboe_delayed_json
from gex_mcp.sources._http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    FALLBACK_HINT,
    OwnedClient,
    RetryPolicy,
    make_client,
    map_http_errors,
    send_with_retries,
    status_error,
)
from gex_mcp.sources.base import is_index, normalize_symbol

DEFAULT_CBOE_BASE_URL = "https://cdn.cboe.com"
CHAIN_PATH = "/api/global/delayed_quotes/options/{symbol}.json"


def cboe_symbol(symbol: str) -> str:
    """CBOE's spelling of a normalised symbol: "_SPX" for indexes, else unchanged."""
    return f"_{symbol}" if is_index(symbol) else symbol


def _has_empty_options(body: bytes) -> bool:
    """True when a body the parser rejected is a well-formed chain with zero options.

    The parser treats "no option rows" as malformed; for a live source it means the
    symbol lists nothing right now, which is NoDataError, not SourceDataError.
    """
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return False
    data = payload.get("data") if isinstance(payload, dict) else None
    return isinstance(data, dict) and data.get("options") == []


class CboeSource(OwnedClient):
    """Fetches CBOE's delayed (about 15 minutes) option chains over HTTPS.

    Args:
        client: an AsyncClient to reuse; it is not closed by `aclose()`. When None,
            the source builds and owns one.
        base_url: scheme and host of the CDN; also used with an injected client.
        timeout_seconds: per-request timeout (connect, read, write, pool).
        retries: attempts after the first on timeouts, connection errors and 5xx.
        retry_policy: full backoff control (tests pass a zero wait); overrides `retries`.
        max_bytes: a decoded body larger than this is abandoned (SourceDataError).
    """

    name = "cboe"

    def __init__(self, client: httpx.AsyncClient | None = None, *,
                 base_url: str = DEFAULT_CBOE_BASE_URL,
                 timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
                 retries: int = DEFAULT_RETRIES,
                 retry_policy: RetryPolicy | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        # the last parse per symbol, by a digest of its bytes: an unchanged feed is not re-parsed
        self._parsed: dict[str, tuple[bytes, OptionChain]] = {}
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.retry_policy = retry_policy or RetryPolicy(retries=retries)
        self._owns_client = client is None
        self._client = client if client is not None else make_client(self.base_url,
                                                                     timeout_seconds)

    def __repr__(self) -> str:
        return f"CboeSource(base_url={self.base_url!r})"

    def chain_url(self, symbol: str) -> str:
        """Absolute URL of the chain of a normalised symbol."""
        return self.base_url + CHAIN_PATH.format(symbol=quote(cboe_symbol(symbol), safe=""))

    async def fetch_chain(self, symbol: str) -> OptionChain:
        """The delayed chain of `symbol` ("SPY", "spx", "^SPX" all work).

        Raises:
            UnknownSymbolError: malformed symbol, or CBOE lists no options for it.
            SourceUnavailableError: timeout, connection failure or 5xx after retries.
            RateLimitedError: CBOE answered 429.
            SourceDataError: the body is not a complete CBOE chain.
            NoDataError: the chain has no options.
        """
        sym = normalize_symbol(symbol)
        with map_http_errors(self.name, sym, timeout_seconds=self.timeout_seconds):
            response = await send_with_retries(
                self._client, "GET", self.chain_url(sym), policy=self.retry_policy,
                timeout_seconds=self.timeout_seconds, max_bytes=self.max_bytes)
        self._raise_for_status(response, sym)
        digest = hashlib.blake2b(response.content, digest_size=16).digest()
        previous = self._parsed.get(sym)
        if previous is not None and previous[0] == digest:
            return previous[1]  # the feed has not changed since the last fetch: no re-parse
        try:
            # parsing a 2.5 MB chain takes tens of ms: keep the event loop free for others
            chain = await anyio.to_thread.run_sync(
                lambda: parse_cboe_delayed_json(response.content, name=f"cboe:{sym}"))
        except SourceDataError as exc:
            if _has_empty_options(response.content):
                raise self._no_data(sym) from exc
            if "html" in response.headers.get("Content-Type", "").lower():
                raise SourceDataError(
                    f"cboe sent an HTML page instead of the JSON chain for {sym}. "
                    f"Try again shortly, or {FALLBACK_HINT}.") from exc
            raise SourceDataError(
                f"cboe sent an unreadable chain for {sym} ({exc}). "
                f"Try again shortly, or {FALLBACK_HINT}.") from exc
        except GexError:
            raise
        except (ValueError, KeyError, TypeError, IndexError, RecursionError) as exc:
            raise SourceDataError(
                f"cboe sent an unreadable chain for {sym} ({type(exc).__name__}). "
                f"Try again shortly, or {FALLBACK_HINT}.") from exc
        if len(chain) == 0:
            raise self._no_data(sym)
        chain = replace(chain, symbol=sym, source=self.name)
        self._parsed[sym] = (digest, chain)
        return chain

    @staticmethod
    def _no_data(sym: str) -> NoDataError:
        return NoDataError(f"cboe lists no options for {sym} right now. "
                           f"Try again later, or {FALLBACK_HINT}.")

    def _raise_for_status(self, response: httpx.Response, sym: str) -> None:
        status = response.status_code
        if status == 200:
            return
        if status in (403, 404):
            raise UnknownSymbolError(
                f"No option chain for {sym!r} from cboe. "
                "Use a US ticker such as 'SPY' or an index such as 'SPX'.")
        raise status_error(response, source=self.name, subject=sym, policy=self.retry_policy)
