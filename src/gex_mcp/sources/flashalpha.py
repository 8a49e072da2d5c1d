"""FlashAlpha: an optional hosted backend whose exposures are translated, not recomputed.

The real API (`shared/notes/flashalpha-api.md`, FlashAlpha's MIT SDK and public docs)
answers `GET /v1/exposure/{gex,dex,vex,chex,levels,summary}/{symbol}` with header
`X-Api-Key`. Its shapes differ from our contract (levels nested under "levels", summary
nested under "exposures", "interpretation", "hedging_estimate", "zero_dte"; its
`net_gex_label` can be a word such as "positive"), so each method here maps one answer
into our flat response model (`gex_mcp.models`). Labels are always recomputed with
`gex_mcp.engine.labels.format_amount` so they look the same whatever the source.

Errors (upstream message from body `message`, else `detail`, else the text):

| upstream                        | raised                                               |
|---------------------------------|------------------------------------------------------|
| 401                             | AuthError: key rejected                              |
| 403                             | AuthError naming current_plan / required_plan        |
| 404                             | UnknownSymbolError                                   |
| 429                             | RateLimitedError with retry_after_seconds (no retry) |
| 400 about the expiration        | InvalidExpiryError (other 400s: InputError)          |
| 5xx, timeout, connection errors | SourceUnavailableError, after retries                |
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
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NamedTuple, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from gex_mcp.engine.labels import format_amount
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
from gex_mcp.models import (
    ChexResponse,
    ChexStrike,
    DataQuality,
    DexResponse,
    DexStrike,
    GexResponse,
    GexStrike,
    HedgeEstimate,
    LevelsResponse,
    SummaryResponse,
    VexResponse,
    VexStrike,
)
from gex_mcp.sources._http import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    RetryPolicy,
    make_client,
    map_http_errors,
    retry_after_seconds,
    send_with_retries,
)
from gex_mcp.sources.base import normalize_symbol

logger = logging.getLogger(__name__)

DEFAULT_FLASHALPHA_BASE_URL = "https://lab.flashalpha.com"
SOURCE_NAME = "flashalpha"
FALLBACK = "use source cboe"
DATA_QUALITY_NOTE = "computed by FlashAlpha"
_MAX_UPSTREAM_TEXT = 200
_EXPIRY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# FlashAlpha flip status codes (null flip) -> our FlipStatus.
_FLIP_STATUS = {
    "ok": "ok",
    "no_boundary": "no_crossing",
    "no_crossing": "no_crossing",
    "no_data": "no_data",
    "insufficient_data": "no_data",
}
_REGIMES = {
    "positive_gamma": "positive_gamma",
    "negative_gamma": "negative_gamma",
    "neutral": "neutral",
}

RateLimitCallback = Callable[[int | None, int | None, float | None], None]
ModelT = TypeVar("ModelT", bound=BaseModel)


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


def _parse_time(value: Any) -> datetime | None:
    """ISO-8601 text (naive means UTC) or a Unix epoch number -> aware datetime."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


class _Translator:
    """Reads one FlashAlpha answer; every shape error becomes a SourceDataError."""

    def __init__(self, endpoint: str, symbol: str, body: dict[str, Any]) -> None:
        self.endpoint = endpoint
        self.symbol = symbol
        self.body = body
        self.notes: list[str] = [DATA_QUALITY_NOTE]

    def bad(self, what: str) -> SourceDataError:
        return SourceDataError(
            f"FlashAlpha's {self.endpoint} answer for {self.symbol} {what}. "
            f"Try again shortly, or {FALLBACK}.")

    def number(self, obj: dict[str, Any], key: str, *, where: str = "") -> float | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.bad(f"has a non-numeric {where}{key!r}")
        number = float(value)
        if not math.isfinite(number):
            raise self.bad(f"has a non-finite {where}{key!r}")
        return number

    def required(self, obj: dict[str, Any], key: str, *, where: str = "") -> float:
        number = self.number(obj, key, where=where)
        if number is None:
            raise self.bad(f"lacks {where}{key!r}")
        return number

    def or_zero(self, obj: dict[str, Any], key: str, *, where: str = "") -> float:
        """A total FlashAlpha left null: 0 here, with a note so the zero is not silent."""
        number = self.number(obj, key, where=where)
        if number is None:
            self.notes.append(f"FlashAlpha gave no {where}{key}; shown as 0")
            return 0.0
        return number

    def count(self, obj: dict[str, Any], key: str) -> int:
        number = self.number(obj, key, where="strike ")
        return 0 if number is None else round(number)

    def change(self, obj: dict[str, Any], key: str) -> int | None:
        number = self.number(obj, key, where="strike ")
        return None if number is None else round(number)

    def section(self, key: str) -> dict[str, Any]:
        value = self.body.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.bad(f"has {key!r} that is not an object")
        return value

    def strikes(self) -> list[dict[str, Any]]:
        rows = self.body.get("strikes")
        if rows is None:
            return []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise self.bad("has 'strikes' that is not a list of objects")
        for row in rows:
            self.required(row, "strike", where="strike ")
        return sorted(rows, key=lambda r: float(r["strike"]))

    def provenance(self, expiration: str | None = None) -> dict[str, Any]:
        as_of = _parse_time(self.body.get("as_of")) or _parse_time(self.body.get("data_as_of"))
        if as_of is None:
            raise self.bad("lacks a readable 'as_of' time")
        return {
            "symbol": self.symbol,
            "underlying_price": self.required(self.body, "underlying_price"),
            "as_of": as_of,
            "source": SOURCE_NAME,
            "is_demo": False,
            "expiration": expiration,
        }

    def flip(self, obj: dict[str, Any]) -> dict[str, Any]:
        flip = self.number(obj, "gamma_flip")
        code = obj.get("gamma_flip_status")
        code = code.strip() if isinstance(code, str) and code.strip() else None
        if flip is not None:
            reason = (f"FlashAlpha flags the flip as {code!r}"
                      if code not in (None, "ok") else None)
            return {"gamma_flip": flip, "gamma_flip_status": "ok", "gamma_flip_reason": reason}
        status = _FLIP_STATUS.get(code or "", "ill_determined")
        if status == "ok":  # "ok" with a null flip says nothing usable
            status = "ill_determined"
        reason = (f"FlashAlpha could not determine the flip ({code})" if code
                  else "FlashAlpha gave no gamma flip")
        return {"gamma_flip": None, "gamma_flip_status": status, "gamma_flip_reason": reason}

    def quality(self) -> DataQuality:
        return DataQuality(contracts_total=0, contracts_used=0, notes=self.notes)

    def model(self, cls: type[ModelT], **fields: Any) -> ModelT:
        try:
            return cls(**fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise self.bad(f"does not fit {cls.__name__} ({where}: {first.get('msg')})") from exc


def _hedge(tr: _Translator, hedging: dict[str, Any], key: str, *, spot: float,
           move_pct: float) -> HedgeEstimate:
    block = hedging.get(key)
    new_spot = spot * (1.0 + move_pct / 100.0)
    if not isinstance(block, dict):
        tr.notes.append(f"FlashAlpha gave no hedging estimate for {move_pct:+g}%; shown as 0")
        return HedgeEstimate(spot_move_pct=move_pct, new_spot=new_spot,
                             dealer_shares_to_trade=0.0, direction="none", notional_usd=0.0)
    where = f"hedging_estimate.{key}."
    shares = tr.number(block, "dealer_shares_to_trade", where=where)
    if shares is None:
        shares = tr.or_zero(block, "dealer_shares", where=where)
    notional = tr.number(block, "notional_usd", where=where)
    raw_direction = block.get("direction")
    direction = raw_direction.strip().lower() if isinstance(raw_direction, str) else ""
    # FlashAlpha's docs show both signed shares and unsigned shares with a direction;
    # our contract is signed: + buy, - sell.
    if direction == "buy":
        shares = abs(shares)
    elif direction == "sell":
        shares = -abs(shares)
    else:
        direction = "buy" if shares > 0 else "sell" if shares < 0 else "none"
    if notional is None:
        notional = abs(shares) * new_spot
    return HedgeEstimate(spot_move_pct=move_pct, new_spot=new_spot,
                         dealer_shares_to_trade=shares, direction=direction,
                         notional_usd=abs(notional))


class FlashAlphaClient:
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
                 clock: Callable[[], float] = time.time) -> None:
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
        self._client = client if client is not None else make_client(self.base_url,
                                                                     timeout_seconds)

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
        sym = normalize_symbol(symbol)
        tr = await self._get("dex", sym, self._expiry_params(sym, expiration), expiration)
        strikes = [DexStrike(strike=float(r["strike"]), **self._legs(tr, r, "dex"))
                   for r in tr.strikes()]
        net = tr.number(tr.body, "net_dex")
        net = sum(s.net_dex for s in strikes) if net is None else net
        return tr.model(DexResponse, **tr.provenance(expiration), net_dex=net,
                        net_dex_label=format_amount(net), strikes=strikes,
                        data_quality=tr.quality())

    async def vex(self, symbol: str, expiration: str | None = None) -> VexResponse:
        """Per-strike dealer vanna exposure, USD of delta per vol point (/v1/exposure/vex)."""
        sym = normalize_symbol(symbol)
        tr = await self._get("vex", sym, self._expiry_params(sym, expiration), expiration)
        strikes = [VexStrike(strike=float(r["strike"]), **self._legs(tr, r, "vex"))
                   for r in tr.strikes()]
        net = tr.number(tr.body, "net_vex")
        net = sum(s.net_vex for s in strikes) if net is None else net
        return tr.model(VexResponse, **tr.provenance(expiration), net_vex=net,
                        net_vex_label=format_amount(net),
                        vex_interpretation=self._text(tr.body, "vex_interpretation"),
                        strikes=strikes, data_quality=tr.quality())

    async def chex(self, symbol: str, expiration: str | None = None) -> ChexResponse:
        """Per-strike dealer charm exposure, USD of delta per day (/v1/exposure/chex)."""
        sym = normalize_symbol(symbol)
        tr = await self._get("chex", sym, self._expiry_params(sym, expiration), expiration)
        strikes = [ChexStrike(strike=float(r["strike"]), **self._legs(tr, r, "chex"))
                   for r in tr.strikes()]
        net = tr.number(tr.body, "net_chex")
        net = sum(s.net_chex for s in strikes) if net is None else net
        return tr.model(ChexResponse, **tr.provenance(expiration), net_chex=net,
                        net_chex_label=format_amount(net),
                        chex_interpretation=self._text(tr.body, "chex_interpretation"),
                        strikes=strikes, data_quality=tr.quality())

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
        regime = _REGIMES.get(raw_regime, "unknown")
        flip_value = flip["gamma_flip"]
        if flip_value is not None and spot:
            distance_points = spot - flip_value
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
        up = _hedge(tr, hedging, "spot_up_1pct", spot=spot, move_pct=1.0)
        down = _hedge(tr, hedging, "spot_down_1pct", spot=spot, move_pct=-1.0)
        return tr.model(
            SummaryResponse, **prov, **flip,
            gamma_regime=regime, regime_reason=regime_reason,
            distance_to_flip_pct=distance_pct, distance_to_flip_points=distance_points,
            **nets, **{f"{k}_label": format_amount(v) for k, v in nets.items()},
            interpretation=detail.get("gamma") or next(iter(detail.values()), ""),
            interpretation_detail=detail,
            dealer_hedge_up_1pct=up, dealer_hedge_down_1pct=down,
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
    def _legs(tr: _Translator, row: dict[str, Any], greek: str) -> dict[str, float]:
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
                   expiration: str | None) -> _Translator:
        path = f"/v1/exposure/{quote(endpoint, safe='')}/{quote(sym, safe='')}"
        headers = {"X-Api-Key": self._api_key.get_secret_value()}
        with map_http_errors(self.name, sym, timeout_seconds=self.timeout_seconds,
                             fallback=FALLBACK):
            response = await send_with_retries(
                self._client, "GET", self.base_url + path, policy=self.retry_policy,
                timeout_seconds=self.timeout_seconds, params=params or None, headers=headers)
        self._record_rate_limit(response)
        if response.status_code != 200:
            raise self._status_error(response, endpoint, sym, expiration)
        try:
            body = response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise SourceDataError(
                f"FlashAlpha's {endpoint} answer for {sym} is not JSON ({kind}). "
                f"Try again shortly, or {FALLBACK}.") from exc
        if not isinstance(body, dict):
            raise SourceDataError(
                f"FlashAlpha's {endpoint} answer for {sym} is not a JSON object. "
                f"Try again shortly, or {FALLBACK}.")
        return _Translator(endpoint, sym, body)

    def _status_error(self, response: httpx.Response, endpoint: str, sym: str,
                      expiration: str | None) -> Exception:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
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
        why = f": {message}" if message else ""
        if status >= 500:
            attempts = self.retry_policy.attempts
            tries = f" after {attempts} attempts" if attempts > 1 else ""
            return SourceUnavailableError(
                f"FlashAlpha answered HTTP {status} for {endpoint} {sym}{tries}{why}. "
                f"Try again shortly, or {FALLBACK}.")
        return SourceUnavailableError(
            f"FlashAlpha answered HTTP {status} for {endpoint} {sym}{why}. "
            f"Try again later, or {FALLBACK}.")

    def _rate_limited(self, response: httpx.Response, body: dict[str, Any]) -> RateLimitedError:
        wait = retry_after_seconds(response, now=self._clock())
        reset = _parse_time(body.get("reset_at"))
        if reset is None and self.last_rate_limit and self.last_rate_limit.reset_epoch:
            reset = _parse_time(self.last_rate_limit.reset_epoch)
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

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()
