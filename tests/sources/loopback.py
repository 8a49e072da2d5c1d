"""A real HTTP server on 127.0.0.1 that plays CBOE's CDN and FlashAlpha, with fault injection.

Test code, not part of the package (the benchmark imports it by putting the project
root on sys.path). Modelled on httpx's `TestServer` / `serve_in_thread`: a stdlib
`ThreadingHTTPServer` bound to 127.0.0.1, port 0, in a background thread.

Routes
    GET /api/global/delayed_quotes/options/{SYM}.json
        The real CBOE JSON fixture `shared/chains/cboe_delayed_{SYM}_*.json`, read from
        disk at request time (AAPL, GOOGL, META). Any other symbol gets 403 with an XML
        body, as CBOE's CDN answers for a symbol it does not list.
    GET /v1/exposure/{gex,dex,vex,chex,levels,summary}/{SYM}[?expiration=&min_oi=]
        FlashAlpha-shaped JSON (fields as in shared/notes/flashalpha-api.md), built by
        `build_flashalpha_answer` from the same CBOE fixture. Requires header X-Api-Key
        equal to `server.api_key` (else 401). Every answer carries X-RateLimit-* headers.

Faults: `server.faults[key] = Fault(...)`, where key is a request path
("/v1/exposure/gex/AAPL") or a symbol ("AAPL", "_SPX" or "SPX"); a path key wins. A
fault with `times=n` fires n times, then the route answers normally. `server.requests`
counts requests per path; `server.last_headers[path]` keeps the last request headers.

THE FLASHALPHA NUMBERS ARE A TEST DOUBLE: GEX and DEX follow the documented formulas
from the fixture's own (rounded) CBOE greeks; "vanna" and "charm" are stand-ins built
from vega and theta so that every field has a plausible, deterministic value. Never
read them as real exposures.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

CHAINS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "chains"
CBOE_PREFIX = "/api/global/delayed_quotes/options/"
FLASHALPHA_PREFIX = "/v1/exposure/"
FLASHALPHA_ENDPOINTS = ("gex", "dex", "vex", "chex", "levels", "summary")
DEFAULT_API_KEY = "fa-LEAKCHECK-7f3a9c1e5b"  # distinctive, so leak tests can grep for it
RATE_LIMIT = 2500
RATE_LIMIT_RESET_EPOCH = 1757203200  # 2025-09-07T00:00:00Z, fixed for determinism


@dataclass
class Fault:
    """What a route does instead of its normal answer.

    Attributes:
        status: HTTP status to answer with.
        times: fire this many times, then answer normally; None = every time.
        sleep_seconds: wait this long before answering (woken early on server stop).
        body: raw body bytes; `json_body` is serialised when `body` is None.
        json_body: a JSON-able body.
        headers: extra response headers (e.g. Retry-After).
        content_type: Content-Type of the body.
        truncate: announce Content-Length larger than the body, send half, close.
    """

    status: int = 200
    times: int | None = None
    sleep_seconds: float = 0.0
    body: bytes | None = None
    json_body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    truncate: bool = False
    trickle_seconds: float = 0.0  # send the normal answer 256 bytes at a time, this far apart

    # -- ready-made faults ---------------------------------------------------------------

    @classmethod
    def http_status(cls, status: int, *, times: int | None = None, message: str | None = None,
                    **extra: Any) -> Fault:
        body: dict[str, Any] = {"message": message or f"status {status}"}
        body.update(extra)
        return cls(status=status, times=times, json_body=body)

    @classmethod
    def trickle(cls, seconds_per_chunk: float, *, times: int | None = None) -> Fault:
        """The normal answer, dripped out 256 bytes at a time (never trips a read timeout)."""
        return cls(status=0, trickle_seconds=seconds_per_chunk, times=times)

    @classmethod
    def slow(cls, seconds: float, *, times: int | None = None) -> Fault:
        """Answer normally, but only after `seconds` (for timeout tests)."""
        return cls(status=0, sleep_seconds=seconds, times=times)

    @classmethod
    def truncated(cls, *, times: int | None = None) -> Fault:
        """Promise a full fixture-sized body, send half of it, close the connection."""
        return cls(status=0, truncate=True, times=times)

    @classmethod
    def malformed_json(cls, *, times: int | None = None) -> Fault:
        return cls(body=b'{"timestamp": "2025-09-07 00:32:02", "data": {"options": [{"opt',
                   times=times)

    @classmethod
    def html(cls, *, status: int = 200, times: int | None = None) -> Fault:
        page = b"<!DOCTYPE html><html><body><h1>Service maintenance</h1></body></html>"
        return cls(status=status, body=page, content_type="text/html; charset=utf-8",
                   times=times)

    @classmethod
    def rate_limited(cls, *, retry_after: int | None = 30, limit: int = 5,
                     reset_at: str = "2025-09-07T00:00:00Z", times: int | None = None) -> Fault:
        body = {"status": "ERROR", "error": "Quota exceeded",
                "message": f"You have exceeded your daily API quota of {limit} requests.",
                "current_plan": "Free", "limit": limit, "upgrade_to": "Basic",
                "reset_at": reset_at}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return cls(status=429, json_body=body, headers=headers, times=times)

    @classmethod
    def plan_restricted(cls, *, current: str | None = "Free", required: str | None = "Growth",
                        times: int | None = None) -> Fault:
        body: dict[str, Any] = {"status": "ERROR", "error": "tier_restricted",
                                "message": f"This endpoint requires the {required} plan or higher."}
        if current is not None:
            body["current_plan"] = current
        if required is not None:
            body["required_plan"] = required
        return cls(status=403, json_body=body, times=times)

    @classmethod
    def empty_chain(cls, symbol: str, *, times: int | None = None) -> Fault:
        """A well-formed CBOE answer whose options list is empty."""
        payload = json.loads(fixture_path("AAPL").read_bytes())
        payload["symbol"] = symbol
        payload["data"]["symbol"] = symbol
        payload["data"]["options"] = []
        return cls(json_body=payload, times=times)

    @property
    def replaces_answer(self) -> bool:
        """False for faults that only delay or cut the normal answer (status 0)."""
        return self.status != 0


def fixture_path(symbol: str) -> Path:
    """The CBOE delayed-JSON fixture of `symbol` (no index prefix)."""
    matches = sorted(CHAINS_DIR.glob(f"cboe_delayed_{symbol}_*.json"))
    if not matches:
        raise FileNotFoundError(symbol)
    return matches[-1]


def has_fixture(symbol: str) -> bool:
    return bool(symbol) and symbol.isalnum() and any(
        CHAINS_DIR.glob(f"cboe_delayed_{symbol}_*.json"))


# -- the FlashAlpha test double ------------------------------------------------------------


def _occ_parts(occ: str) -> tuple[str, date, bool, float]:
    strike = int(occ[-8:]) / 1000.0
    is_call = occ[-9] == "C"
    expiry = datetime.strptime(occ[-15:-9], "%y%m%d").date()
    return occ[:-15], expiry, is_call, strike


def _fixture_as_of(payload: dict[str, Any]) -> str:
    # last_trade_time is New York wall time; FlashAlpha speaks UTC with a Z.
    text = payload["data"].get("last_trade_time") or payload["timestamp"].replace(" ", "T")
    local = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("America/New_York"))
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FlashAlphaError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def build_flashalpha_answer(endpoint: str, symbol: str, query: dict[str, str]) -> dict[str, Any]:
    """A FlashAlpha-shaped answer computed from the CBOE fixture of `symbol` (test double).

    GEX = gamma x OI x 100 x S^2 x 0.01 (calls +, puts -); DEX = delta x OI x 100 x S.
    VEX / CHEX stand-ins: vega x OI x 100 x 0.01 (calls +, puts -) and theta x OI x 100.
    """
    if not has_fixture(symbol):
        raise FlashAlphaError(404, {"error": "symbol_not_found",
                                    "message": f"No data for {symbol}."})
    payload = json.loads(fixture_path(symbol).read_bytes())
    spot = float(payload["data"]["current_price"])
    as_of = _fixture_as_of(payload)
    expiration = query.get("expiration")
    if expiration is not None:
        try:
            wanted = date.fromisoformat(expiration)
        except ValueError:
            raise FlashAlphaError(400, {"error": "invalid_expiry",
                                        "message": "Invalid expiration format."}) from None
    else:
        wanted = None
    min_oi = float(query.get("min_oi", 0) or 0)

    per_strike: dict[float, dict[str, float]] = {}
    expiries: set[date] = set()
    for option in payload["data"]["options"]:
        _root, expiry, is_call, strike = _occ_parts(option["option"])
        expiries.add(expiry)
        if wanted is not None and expiry != wanted:
            continue
        row = per_strike.setdefault(strike, dict.fromkeys(
            ("call_gex", "put_gex", "call_dex", "put_dex", "call_vex", "put_vex",
             "call_chex", "put_chex", "call_oi", "put_oi", "call_volume", "put_volume"), 0.0))
        oi = float(option["open_interest"])
        side = "call" if is_call else "put"
        sign = 1.0 if is_call else -1.0
        row[f"{side}_gex"] += sign * option["gamma"] * oi * 100 * spot * spot * 0.01
        row[f"{side}_dex"] += option["delta"] * oi * 100 * spot
        row[f"{side}_vex"] += sign * option["vega"] * oi * 100 * 0.01
        row[f"{side}_chex"] += option["theta"] * oi * 100
        row[f"{side}_oi"] += oi
        row[f"{side}_volume"] += float(option["volume"])
    if wanted is not None and wanted not in expiries:
        raise FlashAlphaError(400, {"error": "invalid_expiry",
                                    "message": f"No options expire on {expiration} for {symbol}."})

    strikes = []
    for strike in sorted(per_strike):
        row = per_strike[strike]
        if row["call_oi"] + row["put_oi"] < min_oi:
            continue
        strikes.append({"strike": strike, **row})

    def total(key: str) -> float:
        return sum(s[key] for s in strikes)

    net = {g: total(f"call_{g}") + total(f"put_{g}") for g in ("gex", "dex", "vex", "chex")}
    flip = _crude_flip(strikes, spot)
    head = {"symbol": symbol, "underlying_price": spot, "as_of": as_of,
            "data_as_of": as_of, "endpoint_version": "1"}

    if endpoint == "gex":
        rows = [{"strike": s["strike"], "call_gex": s["call_gex"], "put_gex": s["put_gex"],
                 "net_gex": s["call_gex"] + s["put_gex"], "call_oi": int(s["call_oi"]),
                 "put_oi": int(s["put_oi"]), "call_volume": int(s["call_volume"]),
                 "put_volume": int(s["put_volume"]), "call_oi_change": None,
                 "put_oi_change": None} for s in strikes]
        # The real API's label is a word here, not "1.39B": the client must not trust it.
        label = "positive" if net["gex"] >= 0 else "negative"
        return {**head, "gamma_flip": flip, "gamma_flip_status": "ok" if flip else "no_boundary",
                "net_gex": net["gex"], "net_gex_label": label, "strikes": rows}
    if endpoint in ("dex", "vex", "chex"):
        g = endpoint
        rows = [{"strike": s["strike"], f"call_{g}": s[f"call_{g}"], f"put_{g}": s[f"put_{g}"],
                 f"net_{g}": s[f"call_{g}"] + s[f"put_{g}"]} for s in strikes]
        answer = {**head, f"net_{g}": net[g], "strikes": rows}
        if g == "vex":
            answer["vex_interpretation"] = "Positive vanna (test double)"
        if g == "chex":
            answer["chex_interpretation"] = "Charm stand-in from theta (test double)"
        return answer

    net_by_strike = {s["strike"]: s["call_gex"] + s["put_gex"] for s in strikes}
    if endpoint == "levels":
        oi = {s["strike"]: s["call_oi"] + s["put_oi"] for s in strikes}
        return {**head, "levels": {
            "gamma_flip": flip, "gamma_flip_status": "ok" if flip else "no_boundary",
            "max_positive_gamma": max(net_by_strike, key=net_by_strike.__getitem__),
            "max_negative_gamma": min(net_by_strike, key=net_by_strike.__getitem__),
            "call_wall": max(strikes, key=lambda s: s["call_gex"])["strike"],
            "put_wall": min(strikes, key=lambda s: s["put_gex"])["strike"],
            "highest_oi_strike": max(oi, key=oi.__getitem__),
            "zero_dte_magnet": None}}
    if endpoint == "summary":
        regime = ("undetermined" if flip is None
                  else "positive_gamma" if spot > flip else "negative_gamma")
        # Dealers re-hedge against the move when long gamma: sell on +1%, buy on -1%.
        shares = abs(net["gex"]) / spot  # USD per 1% / spot = shares per 1% move
        up_dir, down_dir = ("SELL", "BUY") if net["gex"] >= 0 else ("BUY", "SELL")
        up_shares = -shares if up_dir == "SELL" else shares
        return {**head, "gamma_flip": flip, "regime": regime,
                "exposures": {f"net_{g}": net[g] for g in ("gex", "dex", "vex", "chex")},
                "interpretation": {"gamma": "Dealers long gamma (test double)",
                                   "vanna": "Vanna stand-in (test double)",
                                   "charm": "Charm stand-in (test double)"},
                "hedging_estimate": {
                    "spot_up_1pct": {"dealer_shares_to_trade": up_shares, "direction": up_dir,
                                     "notional_usd": shares * spot * 1.01},
                    "spot_down_1pct": {"dealer_shares_to_trade": -up_shares,
                                       "direction": down_dir,
                                       "notional_usd": shares * spot * 0.99}},
                "zero_dte": {"net_gex": None, "pct_of_total_gex": None, "expiration": None}}
    raise FlashAlphaError(404, {"message": f"Unknown endpoint {endpoint}."})


def _crude_flip(strikes: list[dict[str, float]], spot: float) -> float | None:
    """Strike where cumulative net GEX (ascending strikes) changes sign nearest spot."""
    cumulative = 0.0
    crossings = []
    previous = None
    for s in strikes:
        cumulative += s["call_gex"] + s["put_gex"]
        if previous is not None and (previous < 0) != (cumulative < 0):
            crossings.append(s["strike"])
        previous = cumulative
    return min(crossings, key=lambda k: abs(k - spot)) if crossings else None


# -- the server --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up (timeout tests)

    def _route(self) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        owner = self.server.owner
        fault = owner._take_fault(path, dict(self.headers))
        if fault is not None and fault.sleep_seconds and owner._stopping.wait(
                fault.sleep_seconds):
            self.close_connection = True  # the server is stopping: drop the request
            return
        if fault is not None and fault.replaces_answer:
            body = fault.body
            if body is None:
                body = json.dumps(fault.json_body if fault.json_body is not None else {}).encode()
            self._send(fault.status, body, fault.content_type, fault.headers)
            return
        status, body, content_type, headers = owner._normal_answer(path, query, self.headers)
        if fault is not None and fault.trickle_seconds:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for start in range(0, len(body), 256):
                if owner._stopping.wait(fault.trickle_seconds):
                    break
                self.wfile.write(body[start:start + 256])
                self.wfile.flush()
            self.close_connection = True
            return
        if fault is not None and fault.truncate:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(status, body, content_type, headers)

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # joined in server_close(), after their sockets are shut
    block_on_close = True
    owner: LoopbackServer

    def process_request(self, request: socket.socket, client_address: Any) -> None:
        with self.owner._lock:
            self.owner._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        with self.owner._lock:
            self.owner._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer is expected here


class LoopbackServer:
    """The fake CBOE + FlashAlpha server. Use `start()`/`stop()` or `with LoopbackServer():`."""

    def __init__(self, api_key: str = DEFAULT_API_KEY) -> None:
        self.api_key = api_key
        self.faults: dict[str, Fault] = {}
        self.requests: Counter[str] = Counter()
        self.last_headers: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._remaining = RATE_LIMIT
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="loopback-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # wake handler threads blocked on idle keep-alive reads
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget faults and counters (between tests)."""
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self.last_headers.clear()
            self._remaining = RATE_LIMIT

    def cboe_path(self, cboe_symbol: str) -> str:
        return f"{CBOE_PREFIX}{cboe_symbol}.json"

    @staticmethod
    def flashalpha_path(endpoint: str, symbol: str) -> str:
        return f"{FLASHALPHA_PREFIX}{endpoint}/{symbol}"

    # -- request handling (called from handler threads) ----------------------------------

    def _take_fault(self, path: str, headers: dict[str, str]) -> Fault | None:
        segment = path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json")
        with self._lock:
            self.requests[path] += 1
            self.last_headers[path] = headers
            for key in (path, segment, segment.lstrip("_")):
                fault = self.faults.get(key)
                if fault is None:
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                return fault
        return None

    def _normal_answer(self, path: str, query: dict[str, str],
                       headers: Any) -> tuple[int, bytes, str, dict[str, str]]:
        if path.startswith(CBOE_PREFIX) and path.endswith(".json"):
            cboe_symbol = path[len(CBOE_PREFIX):-len(".json")]
            if has_fixture(cboe_symbol):
                return 200, fixture_path(cboe_symbol).read_bytes(), "application/json", {}
            denied = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied'
                      b"</Code><Message>Access Denied</Message></Error>")
            return 403, denied, "application/xml", {}
        if path.startswith(FLASHALPHA_PREFIX):
            return self._flashalpha(path, query, headers)
        return 404, b'{"message": "no such route"}', "application/json", {}

    def _flashalpha(self, path: str, query: dict[str, str],
                    headers: Any) -> tuple[int, bytes, str, dict[str, str]]:
        with self._lock:
            self._remaining = max(0, self._remaining - 1)
            limits = {"X-RateLimit-Limit": str(RATE_LIMIT),
                      "X-RateLimit-Remaining": str(self._remaining),
                      "X-RateLimit-Reset": str(RATE_LIMIT_RESET_EPOCH)}
        if headers.get("X-Api-Key") != self.api_key:
            body = {"title": "Unauthorized", "status": 401, "detail": "Invalid API key."}
            return 401, json.dumps(body).encode(), "application/json", limits
        parts = path[len(FLASHALPHA_PREFIX):].split("/")
        if len(parts) != 2 or parts[0] not in FLASHALPHA_ENDPOINTS:
            return 404, b'{"message": "no such endpoint"}', "application/json", limits
        try:
            answer = build_flashalpha_answer(parts[0], parts[1], query)
        except FlashAlphaError as exc:
            return exc.status, json.dumps(exc.body).encode(), "application/json", limits
        return 200, json.dumps(answer).encode(), "application/json", limits


if __name__ == "__main__":  # manual poking: python tests/sources/loopback.py
    with LoopbackServer() as srv:
        print(srv.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
