"""FlashAlpha's own names for our answers, so its official SDK works unchanged with `base_url`.

    GET /v1/maxpain/{s}  /v1/expected-move/{s}  /v1/exposure/oi-diff/{s}   a row's
        `flashalpha_paths` (the table chooses path, query names, body and the answers it needs)
    GET /v1/symbols  /v1/tickers            the symbols the source answers for
    GET /v1/options/{s}                     expirations and strikes of a ticker
    GET /stockquote/{s}                     the underlying, from the chain
    GET /optionquote/{s}?expiry=&strike=&type=   listed contracts with quotes and greeks
    GET /v1/exposure/term-structure/{s}     net exposures per expiration and DTE bucket
    GET /v1/exposure/zero-dte/{s}?expiry=&strike_range=   today's expiry (or expiry) in full

Every body is built from the service's answers (`responses/flashalpha_*.py` shape them) and
carries `endpoint_version` and `data_as_of` (`responses.guide.with_envelope`).
FlashAlpha's `/v1/exposure/basket` is the basket row's own route (`http/rest/app.py`): its
answer has FlashAlpha's shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gex_mcp.errors import NoDataError
from gex_mcp.http.rest.errors import JsonBody
from gex_mcp.responses.flashalpha_exposures import term_structure_body
from gex_mcp.responses.flashalpha_quotes import option_quote_body, option_type, strike_value
from gex_mcp.responses.flashalpha_zero_dte import (
    no_zero_dte_body,
    same_day_expiry,
    strike_range,
    zero_dte_body,
)
from gex_mcp.responses.guide import FlashAlphaPath, with_envelope
from gex_mcp.service import ENDPOINTS, Endpoint, GexService, endpoint

#: the arguments a needed row shares with the asked one
SHARED_ARGS = ("symbol", "source", "expiration", "min_oi", "as_of")


def _query(request: Request) -> dict[str, str]:
    return {key: request.query_params.getlist(key)[-1] for key in request.query_params}


def path_route(ep: Endpoint, alias: FlashAlphaPath, service: GexService) -> Route:
    """The route of one of a row's FlashAlpha paths."""
    renamed = dict(alias.params)

    async def handle(request: Request) -> Response:
        query = _query(request)
        extras = {k: query.pop(k) for k in alias.extras if k in query}
        args: dict[str, Any] = {renamed.get(k, k): v for k, v in query.items()}
        args["symbol"] = request.path_params["symbol"]
        answers = {ep.name: await service.call(ep.name, **args)}
        for name in alias.needs:
            accepted = {a.name for a in endpoint(name).service_args}
            answers[name] = await service.call(
                name, **{k: v for k, v in args.items() if k in SHARED_ARGS and k in accepted})
        return JsonBody(with_envelope(alias.body(answers, extras)))

    return Route(alias.path, handle, methods=["GET"], name=f"{ep.name}:{alias.path}")


def flashalpha_routes(service: GexService) -> list[Route]:
    """Every row's FlashAlpha paths, and FlashAlpha's symbol, ticker, option and quote routes."""
    routes = [path_route(ep, alias, service) for ep in ENDPOINTS for alias in ep.flashalpha_paths]

    def listed(request: Request) -> tuple[str, list[str], bool]:
        name = service.resolve_source(request.query_params.get("source"))
        symbols = service.listed_symbols(name)
        return name, symbols if symbols is not None else service.symbol_candidates("", name), symbols is None

    async def symbols(request: Request) -> Response:
        name, names, any_symbol = listed(request)
        now = datetime.fromtimestamp(service.now(), UTC).isoformat()
        note = (f"Source {name} answers any optionable symbol; these are the suggested ones."
                if any_symbol else f"The symbols source {name} holds chains for.")
        return JsonBody(with_envelope({"symbols": names, "count": len(names), "note": note,
                                       "last_updated": now, "source": name, "any_symbol": any_symbol},
                                      as_of=now))

    async def tickers(request: Request) -> Response:
        _, names, _ = listed(request)
        return JsonBody(with_envelope({"tickers": names, "count": len(names)}))

    async def options(request: Request) -> Response:
        """Expirations (our `expirations` answer) and each one's strikes with open interest and
        a usable IV (its `gex` answer; none when the date has no such contract)."""
        query = _query(request)
        source = query.get("source")
        symbol = request.path_params["symbol"]
        listing = await service.call("expirations", symbol=symbol, source=source)
        rows = []
        for e in listing.expirations:
            try:
                gex = await service.call("gex", symbol=symbol, source=source, expiration=e.expiration)
            except NoDataError:
                strikes: list[float] = []
            else:
                strikes = [s.strike for s in gex.strikes]
            rows.append({"expiration": e.expiration, "strikes": strikes})
        return JsonBody(with_envelope({
            "symbol": listing.symbol, "expirations": rows, "expiration_count": len(rows),
            "total_contracts": sum(e.contracts for e in listing.expirations)},
            as_of=listing.as_of.isoformat()))

    async def stock_quote(request: Request) -> Response:
        """The underlying as the chain gives it: its price (no bid or ask: null) and time."""
        levels = await service.call("levels", symbol=request.path_params["symbol"],
                                    source=_query(request).get("source"))
        as_of = levels.as_of.isoformat()
        return JsonBody(with_envelope({
            "ticker": levels.symbol, "bid": None, "ask": None, "mid": levels.underlying_price,
            "lastPrice": levels.underlying_price, "lastUpdate": as_of}, levels.symbol, as_of))

    async def term_structure(request: Request) -> Response:
        """Each expiration's own summary (net GEX, DEX, VEX, CHEX), and their sums by DTE bucket."""
        source = _query(request).get("source")
        symbol = request.path_params["symbol"]
        listing = await service.call("expirations", symbol=symbol, source=source)
        per_expiry = {}
        for e in listing.expirations:
            try:
                per_expiry[e.expiration] = await service.call("summary", symbol=symbol, source=source,
                                                              expiration=e.expiration)
            except NoDataError:
                continue
        return JsonBody(with_envelope(term_structure_body(listing, per_expiry)))

    async def option_quote(request: Request) -> Response:
        """One contract when expiry, strike and type are all given, else a list of them."""
        query = _query(request)
        kind, strike = option_type(query.get("type")), strike_value(query.get("strike"))
        answer = await service.call("contracts", symbol=request.path_params["symbol"],
                                    source=query.get("source"), expiration=query.get("expiry"))
        rows = [r for r in answer.contracts
                if (kind is None or r.type == kind) and (strike is None or r.strike == strike)]
        if not rows:
            raise NoDataError(f"No {answer.symbol} option matches expiry {query.get('expiry') or 'any'}, "
                              f"strike {query.get('strike') or 'any'}, type {kind or 'any'}.")
        as_of = answer.as_of.isoformat()
        bodies = [with_envelope(option_quote_body(r, answer.symbol, as_of), answer.symbol, as_of)
                  for r in rows]
        one = all(query.get(k) for k in ("expiry", "strike", "type"))
        return JsonBody(bodies[0] if one else bodies)

    async def zero_dte(request: Request) -> Response:
        """Today's expiry (or `expiry`) in FlashAlpha's 0DTE shape; FlashAlpha's no-0DTE answer
        when there is none today. Our zero_dte row's answer stays beside (FlashAlpha's names
        win where both have one: `expiration` is the expiry answered, not a filter)."""
        query = _query(request)
        extras = {"strike_range": query["strike_range"]} if "strike_range" in query else {}
        strike_range(extras.get("strike_range"))  # a bad value is a 400 before any work
        base = {"symbol": request.path_params["symbol"], "source": query.get("source")}
        listing = await service.call("expirations", **base)
        ours = (await service.call("zero_dte", **base)).model_dump(mode="json")
        expiry = query.get("expiry") or same_day_expiry(listing)
        if expiry is None:
            return JsonBody(with_envelope({**ours, **no_zero_dte_body(listing)}))
        one = {**base, "expiration": expiry}
        answers: dict[str, Any] = {"expirations": listing}
        for name in ("gex", "dex", "vex", "chex", "levels", "max_pain", "expected_move", "contracts"):
            answers[name] = await service.call(name, **one)
        answers["hedging"] = await service.call(
            "hedging", **one, moves=[m * s for m in (0.1, 0.25, 0.5, 1.0) for s in (1, -1)])
        answers["summary"] = await service.call("summary", **base)
        answers["expected_moves"] = await service.call("expected_move", **base)
        body = zero_dte_body(answers, answers["gex"].expiration or expiry, extras)
        return JsonBody(with_envelope({**ours, **body}))

    return [*routes, Route("/v1/symbols", symbols), Route("/v1/tickers", tickers),
            Route("/v1/options/{symbol}", options), Route("/stockquote/{symbol}", stock_quote),
            Route("/v1/exposure/term-structure/{symbol}", term_structure),
            Route("/v1/exposure/zero-dte/{symbol}", zero_dte), Route("/optionquote/{symbol}", option_quote)]


__all__ = ["flashalpha_routes", "path_route"]
