"""FlashAlpha: an optional hosted backend whose exposures are translated, not recomputed.

The real API (`shared/notes/flashalpha-api.md`, FlashAlpha's MIT SDK and public docs)
answers `GET /v1/exposure/{gex,dex,vex,chex,levels,summary}/{symbol}` with header
`X-Api-Key`. Its shapes differ from our contract (levels nested under "levels", summary
nested under "exposures", "interpretation", "hedging_estimate", "zero_dte"; its
`net_gex_label` can be a word such as "positive"), so each method here maps one answer
into our flat response model (`gex_mcp.models`). Labels are always recomputed with
`gex_mcp.labels.format_amount` so they look the same whatever the source.

Errors (upstream message from body `message`, else `detail`, else the text):

| upstream                        | raised                                               |
|---------------------------------|------------------------------------------------------|
| 401                             | AuthError: key rejected                              |
| 403                             | AuthError naming current_plan / required_plan        |
| 404                             | UnknownSymbolError                                   |
| 429                             | RateLimitedError with retry_after_seconds (no retry) |
| 400 about the expiration        | InvalidExpiryError (other 400s: InputError)          |
| 5xx, timeout, connection errors | SourceUnavailableError, after retries                |
| 3xx (a redirect is not followed)| SourceUnavailableError: the key goes nowhere else    |
| body not JSON / wrong shape     | SourceDataError                                      |

The API key is a `SecretStr`, sent per request and never put in a message, a log
line or a repr; any upstream text that echoes it is scrubbed.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr

from gex_mcp.errors import (
    AuthError,
    ConfigError,
    InputError,
    InvalidExpiryError,
    RateLimitedError,
    SourceDataError,
    SourceUnavailableError,
    UnknownSymbolError,
)
from gex_mcp.labels import format_amount
from gex_mcp.models import (
    ChexResponse,
    ChexStrike,
    DexResponse,
    DexStrike,
    GexResponse,
    GexStrike,
    LevelsResponse,
    SummaryResponse,
    VexResponse,
    VexStrike,
    linear_hedges,
)
from gex_mcp.sources._flashalpha_translate import (
    FALLBACK,
    REGIMES,
    SOURCE_NAME,
    ModelT,
    Translator,
    hedge_estimate,
    parse_time,
)
from gex_mcp.sources._http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    OwnedClient,
    RetryPolicy,
    make_client,
    map_http_errors,
    retry_after_seconds,
    send_with_retries,
    status_error,
)
from gex_mcp.sources.base import normalize_symbol

logger = logging.getLogger(__name__)

DEFAULT_FLASHALPHA_BASE_URL = "https://lab.flashalpha.com"
_MAX_UPSTREAM_TEXT = 200
_EXPIRY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

RateLimitCallback = Callable[[int | None, int | None, float | None], None]


class RateLimitInfo(NamedTuple):
    """The X-RateLimit-* headers of the last answer (None when absent or "unlimited")."""

    limit: int | None
    remaining: int | None
    reset_epoch: float | None


def _parse_int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None  # "unlimited" and friends


def _parse_float_header(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class FlashAlphaClient(OwnedClient):
    """Async client of FlashAlpha's exposure endpoints, answering in our response models.

    Args:
        api_key: the FlashAlpha key (kept as a SecretStr).
        client: an AsyncClient to reuse (not closed by `aclose()`); None builds one.
        base_url: API root; also used with an injected client.
        timeout_seconds: per-request timeout.
        retries: attempts after the first on timeouts, connection errors and 5xx.
        on_rate_limit_headers: called as (limit, remaining, reset_epoch) after every
            answer that carries X-RateLimit-* headers (e.g. to feed a local budget).
        retry_policy: full backoff control (tests pass a zero wait); overrides `retries`.
        clock: Unix-seconds clock, used to turn a 429's `reset_at` into a wait.

    Raises:
        ConfigError: the key is empty.
    """

    name = SOURCE_NAME

    def __init__(self, api_key: SecretStr | str, client: httpx.AsyncClient | None = None, *,
                 base_url: str = DEFAULT_FLASHALPHA_BASE_URL,
                 timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
                 retries: int = DEFAULT_RETRIES,
                 on_rate_limit_headers: RateLimitCallback | None = None,
                 retry_policy: RetryPolicy | None = None,
                 clock: Callable[[], float] = time.time,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        secret = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        if not secret.get_secret_value().strip():
            raise ConfigError("FLASHALPHA_API_KEY is empty. Set it to your FlashAlpha key, "
                              "or use source cboe.")
        self._api_key = secret
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.retry_policy = retry_policy or RetryPolicy(retries=retries)
        self.on_rate_limit_headers = on_rate_limit_headers
        self.last_rate_limit: RateLimitInfo | None = None
        self._clock = clock
        self._owns_client = client is None
        self.max_bytes = max_bytes
        # Never follow a redirect: the key would go to wherever it points (another origin).
        self._client = client if client is not None else make_client(
            self.base_url, timeout_seconds, follow_redirects=False)

    def __repr__(self) -> str:
        return f"FlashAlphaClient(base_url={self.base_url!r}, api_key={self._api_key!r})"

    # -- endpoints ---------------------------------------------------------------------

    async def gex(self, symbol: str, expiration: str | None = None,
                  min_oi: int | None = None) -> GexResponse:
        """Per-strike gamma exposure, USD per 1% move (GET /v1/exposure/gex/{symbol}).

        Raises:
            UnknownSymbolError, InvalidExpiryError, AuthError, RateLimitedError,
            SourceUnavailableError, SourceDataError: see the module docstring.
        """
        sym = normalize_symbol(symbol)
        params = self._expiry_params(sym, expiration)
        if min_oi is not None:
            if min_oi < 0:
                raise InputError(f"min_oi must be 0 or more, got {min_oi}.")
            params["min_oi"] = int(min_oi)
        tr = await self._get("gex", sym, params, expiration)
        strikes = []
        for row in tr.strikes():
            call = tr.number(row, "call_gex", where="strike ") or 0.0
            put = tr.number(row, "put_gex", where="strike ") or 0.0
            net = tr.number(row, "net_gex", where="strike ")
            strikes.append(GexStrike(
                strike=float(row["strike"]), call_gex=call, put_gex=put,
                net_gex=call + put if net is None else net,
                call_oi=tr.count(row, "call_oi"), put_oi=tr.count(row, "put_oi"),
                call_volume=tr.count(row, "call_volume"),
                put_volume=tr.count(row, "put_volume"),
                call_oi_change=tr.change(row, "call_oi_change"),
                put_oi_change=tr.change(row, "put_oi_change")))
        net_gex = tr.number(tr.body, "net_gex")
        if net_gex is None:
            net_gex = sum(s.net_gex for s in strikes)
        return tr.model(
            GexResponse, **tr.provenance(expiration), **tr.flip(tr.body),
            net_gex=net_gex, net_gex_label=format_amount(net_gex),
            call_gex=sum(s.call_gex for s in strikes), put_gex=sum(s.put_gex for s in strikes),
            min_oi=int(min_oi or 0), strikes=strikes, data_quality=tr.quality())

    async def dex(self, symbol: str, expiration: str | None = None) -> DexResponse:
        """Per-strike dealer delta exposure, USD of delta (GET /v1/exposure/dex/{symbol})."""
        return await self._greek("dex", DexResponse, DexStrike, symbol, expiration)

    async def vex(self, symbol: str, expiration: str | None = None) -> VexResponse:
        """Per-strike dealer vanna exposure, USD of delta per vol point (/v1/exposure/vex)."""
        return await self._greek("vex", VexResponse, VexStrike, symbol, expiration)

    async def chex(self, symbol: str, expiration: str | None = None) -> ChexResponse:
        """Per-strike dealer charm exposure, USD of delta per day (/v1/exposure/chex)."""
        return await self._greek("chex", ChexResponse, ChexStrike, symbol, expiration)

    async def _greek(self, greek: str, model: type[ModelT], row_model: type[BaseModel],
                     symbol: str, expiration: str | None) -> ModelT:
        """dex/vex/chex: strikes, net (summed when upstream omits it), label, interpretation."""
        sym = normalize_symbol(symbol)
        tr = await self._get(greek, sym, self._expiry_params(sym, expiration), expiration)
        strikes = [row_model(strike=float(r["strike"]), **self._legs(tr, r, greek))
                   for r in tr.strikes()]
        net = tr.number(tr.body, f"net_{greek}")
        net = sum(getattr(s, f"net_{greek}") for s in strikes) if net is None else net
        extra = ({} if greek == "dex" else
                 {f"{greek}_interpretation": self._text(tr.body, f"{greek}_interpretation")})
        return tr.model(model, **tr.provenance(expiration), **{f"net_{greek}": net},
                        **{f"net_{greek}_label": format_amount(net)}, **extra, strikes=strikes,
                        data_quality=tr.quality())

    async def levels(self, symbol: str) -> LevelsResponse:
        """Gamma flip, walls and other key strikes, USD (GET /v1/exposure/levels/{symbol})."""
        sym = normalize_symbol(symbol)
        tr = await self._get("levels", sym, {}, None)
        levels = tr.section("levels")
        flip_source = levels if "gamma_flip" in levels else tr.body
        keys = ("call_wall", "put_wall", "max_positive_gamma", "max_negative_gamma",
                "highest_oi_strike", "zero_dte_magnet")
        return tr.model(LevelsResponse, **tr.provenance(), **tr.flip(flip_source),
                        **{k: tr.number(levels, k, where="levels.") for k in keys})

    async def summary(self, symbol: str) -> SummaryResponse:
        """Regime, net GEX/DEX/VEX/CHEX, interpretation and hedging (/v1/exposure/summary)."""
        sym = normalize_symbol(symbol)
        tr = await self._get("summary", sym, {}, None)
        prov = tr.provenance()
        spot = prov["underlying_price"]
        flip = tr.flip(tr.body)
        exposures = tr.section("exposures")
        nets = {k: tr.or_zero(exposures, k, where="exposures.")
                for k in ("net_gex", "net_dex", "net_vex", "net_chex")}
        raw_regime = tr.body.get("regime")
        raw_regime = raw_regime.strip().lower() if isinstance(raw_regime, str) else ""
        regime = REGIMES.get(raw_regime, "unknown")
        flip_value = flip["gamma_flip"]
        if flip_value is not None and spot:
            distance_points = flip_value - spot
            distance_pct = distance_points / spot * 100.0
            regime_reason = (f"FlashAlpha reports {raw_regime or 'no regime'} "
                             f"(spot {spot:g}, flip {flip_value:g})")
        else:
            distance_points = distance_pct = None
            regime_reason = f"FlashAlpha reports {raw_regime or 'no regime'} (no gamma flip)"
        interpretation = tr.section("interpretation")
        detail = {k: v.strip() for k, v in interpretation.items()
                  if isinstance(v, str) and v.strip()}
        hedging = tr.section("hedging_estimate")
        zero_dte = tr.section("zero_dte")
        zero_pct = tr.number(zero_dte, "pct_of_total_gex", where="zero_dte.")
        if zero_pct is None:
            zero_pct = tr.number(zero_dte, "pct_of_total", where="zero_dte.")
        up = hedge_estimate(tr, hedging, "spot_up_1pct", spot=spot, move_pct=1.0)
        down = hedge_estimate(tr, hedging, "spot_down_1pct", spot=spot, move_pct=-1.0)
        return tr.model(
            SummaryResponse, **prov, **flip,
            gamma_regime=regime, regime_reason=regime_reason,
            flip_above_spot_pct=distance_pct, flip_above_spot_points=distance_points,
            **nets, **{f"{k}_label": format_amount(v) for k, v in nets.items()},
            interpretation=detail.get("gamma") or next(iter(detail.values()), ""),
            interpretation_detail=detail,
            dealer_hedge_up_1pct=up, dealer_hedge_down_1pct=down,
            **linear_hedges(nets["net_gex"], spot),
            zero_dte_net_gex=tr.number(zero_dte, "net_gex", where="zero_dte."),
            zero_dte_pct_of_total=zero_pct,
            call_wall=None, put_wall=None, expiry_breakdown=[], top_oi_movers=[],
            data_quality=tr.quality())

    # -- plumbing ----------------------------------------------------------------------

    @staticmethod
    def _text(body: dict[str, Any], key: str) -> str:
        value = body.get(key)
        return value.strip() if isinstance(value, str) else ""

    @staticmethod
    def _legs(tr: Translator, row: dict[str, Any], greek: str) -> dict[str, float]:
        call = tr.number(row, f"call_{greek}", where="strike ") or 0.0
        put = tr.number(row, f"put_{greek}", where="strike ") or 0.0
        net = tr.number(row, f"net_{greek}", where="strike ")
        return {f"call_{greek}": call, f"put_{greek}": put,
                f"net_{greek}": call + put if net is None else net}

    @staticmethod
    def _expiry_params(sym: str, expiration: str | None) -> dict[str, Any]:
        if expiration is None:
            return {}
        text = expiration.strip() if isinstance(expiration, str) else ""
        valid = bool(_EXPIRY_RE.fullmatch(text))
        if valid:
            try:
                datetime.strptime(text, "%Y-%m-%d")
            except ValueError:
                valid = False
        if not valid:
            raise InvalidExpiryError(
                f"{str(expiration)[:40]!r} is not an expiration date. Use YYYY-MM-DD, "
                f"e.g. '2026-03-20', or leave it out for all expirations of {sym}.")
        return {"expiration": text}

    def _scrub(self, text: str) -> str:
        """Upstream text made safe to show: key removed, whitespace collapsed, bounded."""
        key = self._api_key.get_secret_value()
        cleaned = " ".join(text.replace(key, "***").split()).rstrip(".")
        if len(cleaned) > _MAX_UPSTREAM_TEXT:
            cleaned = cleaned[:_MAX_UPSTREAM_TEXT].rstrip() + " [cut]"
        return cleaned

    def _record_rate_limit(self, response: httpx.Response) -> None:
        headers = response.headers
        names = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
        if not any(name in headers for name in names):
            return
        info = RateLimitInfo(_parse_int_header(headers.get(names[0])),
                             _parse_int_header(headers.get(names[1])),
                             _parse_float_header(headers.get(names[2])))
        self.last_rate_limit = info
        logger.debug("flashalpha quota: limit=%s remaining=%s reset=%s", *info)
        if self.on_rate_limit_headers is not None:
            self.on_rate_limit_headers(*info)

    async def _get(self, endpoint: str, sym: str, params: dict[str, Any],
                   expiration: str | None) -> Translator:
        path = f"/v1/exposure/{quote(endpoint, safe='')}/{quote(sym, safe='')}"
        headers = {"X-Api-Key": self._api_key.get_secret_value()}
        with map_http_errors(self.name, sym, timeout_seconds=self.timeout_seconds,
                             fallback=FALLBACK):
            response = await send_with_retries(
                self._client, "GET", self.base_url + path, policy=self.retry_policy,
                timeout_seconds=self.timeout_seconds, params=params or None, headers=headers,
                max_bytes=self.max_bytes)
        self._record_rate_limit(response)
        if response.status_code != 200:
            raise self._status_error(response, endpoint, sym, expiration)
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, absurd nesting
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise SourceDataError(
                f"FlashAlpha's {endpoint} answer for {sym} is not JSON ({kind}). "
                f"Try again shortly, or {FALLBACK}.") from exc
        if not isinstance(body, dict):
            raise SourceDataError(
                f"FlashAlpha's {endpoint} answer for {sym} is not a JSON object. "
                f"Try again shortly, or {FALLBACK}.")
        return Translator(endpoint, sym, body)

    def _status_error(self, response: httpx.Response, endpoint: str, sym: str,
                      expiration: str | None) -> Exception:
        status = response.status_code
        try:
            body = response.json()
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            body = {}
        raw = body.get("message") or body.get("detail") or response.text or ""
        message = self._scrub(raw if isinstance(raw, str) else str(raw))

        def field(key: str) -> str | None:
            value = body.get(key)
            return self._scrub(str(value)) if value not in (None, "") else None

        if status == 401:
            return AuthError("FlashAlpha rejected the API key (401). Check FLASHALPHA_API_KEY.")
        if status == 403:
            current, required = field("current_plan"), field("required_plan")
            if required:
                plan = f"; your key is on {current}" if current else ""
                return AuthError(
                    f"FlashAlpha refused {endpoint} for {sym} (403): it needs the {required} "
                    f"plan{plan}. Upgrade the plan, or {FALLBACK}.")
            why = f": {message}" if message else ""
            return AuthError(
                f"FlashAlpha refused {endpoint} for {sym} (403){why}. "
                f"Check the plan of FLASHALPHA_API_KEY, or {FALLBACK}.")
        if status == 404:
            return UnknownSymbolError(
                f"No exposure data for {sym!r} from flashalpha. "
                "Use a US ticker such as 'SPY' or an index such as 'SPX'.")
        if status == 429:
            return self._rate_limited(response, body)
        if 300 <= status < 400:
            target = httpx.URL(response.headers.get("Location", ""))
            where = f" to {target.host}" if target.host else ""
            return SourceUnavailableError(
                f"FlashAlpha redirected {endpoint} {sym}{where} (HTTP {status}); the key is never "
                f"sent to another address. Check GEX_FLASHALPHA_BASE_URL, or {FALLBACK}.")
        if status == 400:
            code = str(body.get("error") or "")
            if expiration is not None and ("expir" in code.lower() or "expir" in message.lower()):
                why = f": {message}" if message else ""
                return InvalidExpiryError(
                    f"FlashAlpha rejected expiration {expiration!r} for {sym}{why}. "
                    f"Use an expiration listed for {sym} (YYYY-MM-DD), "
                    "or leave it out for all expirations.")
            why = f": {message}" if message else ""
            return InputError(f"FlashAlpha rejected the {endpoint} request for {sym} "
                              f"(400){why}. Check the arguments.")
        return status_error(response, source="FlashAlpha", subject=f"{endpoint} {sym}",
                            policy=self.retry_policy, fallback=FALLBACK,
                            detail=f": {message}" if message else "")

    def _rate_limited(self, response: httpx.Response, body: dict[str, Any]) -> RateLimitedError:
        wait = retry_after_seconds(response, now=self._clock())
        reset = parse_time(body.get("reset_at"))
        if reset is None and self.last_rate_limit and self.last_rate_limit.reset_epoch:
            reset = parse_time(self.last_rate_limit.reset_epoch)
        if wait is None and reset is not None:
            wait = max(0.0, reset.timestamp() - self._clock())
        limit = body.get("limit")
        parts = []
        if isinstance(limit, (int, float)) and not isinstance(limit, bool):
            parts.append(f"limit {limit:g} requests per day")
        if reset is not None:
            parts.append(f"resets at {reset.isoformat()}")
        if wait is not None:
            parts.append(f"retry after {wait:g} s")
        detail = f": {', '.join(parts)}" if parts else ""
        return RateLimitedError(
            f"FlashAlpha quota exceeded (HTTP 429){detail}. Wait for the reset, or {FALLBACK}.",
            retry_after_seconds=wait)

