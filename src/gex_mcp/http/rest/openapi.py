"""The OpenAPI 3.1 document of the REST API, generated from the endpoint table and models,
and a small HTML page that lists it (no JavaScript, nothing fetched from the internet)."""

from __future__ import annotations

import html
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from gex_mcp import __version__
from gex_mcp.endpoints import ENDPOINTS

_REF = "#/components/schemas/{model}"


class ErrorBody(BaseModel):
    """Every error: a short code and one sentence saying what to do."""

    error: str
    message: str


def _parameter(arg, *, in_: str, default_source: str) -> dict[str, Any]:
    schema = TypeAdapter(arg.annotation(default_source=default_source)).json_schema()
    param = {"name": arg.name, "in": in_, "required": in_ == "path" or arg.required,
             "description": schema.pop("description", ""), "schema": schema}
    if schema.get("type") == "array" or any(s.get("type") == "array" for s in schema.get("anyOf", [])):
        param.update(style="form", explode=True)
    return param


def _plain_arrays(node: Any) -> Any:
    """Homogeneous fixed-length tuples as `items` + min/max length: `prefixItems` is
    valid OpenAPI 3.1, but several client generators and fuzzers mishandle it."""
    if isinstance(node, list):
        return [_plain_arrays(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _plain_arrays(v) for k, v in node.items()}
    prefix = out.get("prefixItems")
    if prefix and all(p == prefix[0] for p in prefix):
        out.pop("prefixItems")
        out["items"] = prefix[0]
    return out


def openapi_document(default_source: str = "the configured one") -> dict[str, Any]:
    """OpenAPI 3.1 for every route of `rest.app`, response schemas from the models."""
    models = [ep.rest_model for ep in ENDPOINTS if not ep.png]
    _, defs = models_json_schema([(m, "serialization") for m in {*models, ErrorBody}],
                                 ref_template=_REF)
    errors = {str(code): {"description": what, "content": {"application/json": {
        "schema": {"$ref": _REF.format(model="ErrorBody")}}}}
        for code, what in (("400", "Bad argument"), ("401", "Missing or wrong key"),
                           ("404", "Unknown symbol, or no data"), ("429", "Rate limited"),
                           ("502", "Upstream answered badly"), ("503", "Upstream unavailable"))}
    paths: dict[str, Any] = {}
    for ep in ENDPOINTS:
        params = [_parameter(a, in_="path" if a.name == "symbol" else "query",
                             default_source=default_source) for a in ep.service_args]
        if ep.png:
            ok = {"description": "PNG", "content": {"image/png": {"schema": {
                "type": "string", "contentMediaType": "image/png"}}}}
        else:
            model = ep.rest_model
            ok = {"description": model.__doc__.strip().splitlines()[0] if model.__doc__ else ep.title,
                  "content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}}
        paths[ep.rest_path] = {"get": {
            "operationId": ep.name, "summary": ep.title, "description": " ".join(ep.description),
            "parameters": params, "responses": {"200": ok, **errors}}}
    plain = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}
    paths.update(_flashalpha_paths(plain, errors))
    paths["/v1/symbols"] = {"get": {"operationId": "symbols", "summary": "Symbols the source lists",
                                    "responses": {**plain, "400": errors["400"]}}}
    paths["/v1/account"] = {"get": {"operationId": "account",
                                    "summary": "Local request budgets per upstream", "responses": plain}}
    paths["/health"] = {"get": {"operationId": "health", "summary": "Liveness", "responses": plain}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "gex-mcp REST API", "version": __version__,
                 "description": "Gamma-exposure analytics in the paths and shapes of FlashAlpha's "
                                "exposure API. Units: GEX USD per 1% move, DEX USD of delta, VEX "
                                "USD of delta per vol point, CHEX USD of delta per day."},
        "paths": _plain_arrays(paths),
        "components": {"schemas": _plain_arrays(defs["$defs"]), "securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"apiKey": []}, {"bearer": []}, {}],
    }


def _query(name: str, description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _flashalpha_paths(plain: dict[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    """FlashAlpha's own paths (`http/rest/flashalpha.py`): bodies as its SDK's TypedDicts."""
    symbol = {"name": "symbol", "in": "path", "required": True, "description": "Ticker, e.g. SPY.",
              "schema": {"type": "string", "maxLength": 32}}
    text = {"type": "string", "maxLength": 64}
    source = _query("source", "Data source; default the server's.", text)
    expiry = _query("expiry", "Expiration, YYYY-MM-DD.", text)
    expiration = _query("expiration", "Expiration, YYYY-MM-DD.", text)
    answers = {**plain, **{k: errors[k] for k in ("400", "404", "502", "503")}}
    routes: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for ep in ENDPOINTS:
        for alias in ep.flashalpha_paths:
            renamed = dict(alias.params)
            params = [symbol, source, *(_query(theirs, f"FlashAlpha's name for {ours}.", text)
                                        for theirs, ours in renamed.items())]
            params += [_query(name, "Read by the body.", text) for name in alias.extras]
            if "expiration" not in renamed.values() and any(a.name == "expiration" for a in ep.service_args):
                params.append(expiration)
            routes[alias.path] = (f"{ep.title}, in FlashAlpha's shape", params)
    routes.update({
        "/v1/exposure/zero-dte/{symbol}": ("Today's expiry (or expiry) in FlashAlpha's 0DTE shape, ours beside",
                                           [symbol, source, expiry, _query("strike_range", "Fraction of spot, "
                                                                           "0.001 to 0.10.", text)]),
        "/v1/exposure/term-structure/{symbol}": ("Net exposures per expiration and DTE bucket", [symbol, source]),
        "/v1/options/{symbol}": ("Expirations and strikes of a ticker", [symbol, source]),
        "/v1/tickers": ("Tickers the source answers for", [source]),
        "/stockquote/{symbol}": ("The underlying's price from the chain", [symbol, source]),
        "/optionquote/{symbol}": ("Listed contracts with quotes and greeks", [
            symbol, source, expiry, _query("strike", "Strike, USD.", text),
            _query("type", "call or put.", text)]),
    })
    return {path: {"get": {"operationId": "fa_" + path.strip("/").split("/{")[0].replace("/", "_").replace("-", "_"),
                           "summary": summary, "parameters": params, "responses": answers}}
            for path, (summary, params) in routes.items()}


def docs_page(document: dict[str, Any]) -> str:
    """The API as one HTML page: each route, what it returns, its parameters."""
    rows = []
    for path, item in document["paths"].items():
        op = item["get"]
        params = ", ".join(f"{p['name']}{'' if p['required'] else '?'}" for p in op.get("parameters", []))
        rows.append(f"<tr><td><code>GET {html.escape(path)}</code></td><td>{html.escape(op['summary'])}"
                    f"</td><td>{html.escape(params)}</td></tr>")
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>gex-mcp REST API</title>"
        "<style>body{font:15px system-ui;margin:2em;max-width:70em}td{padding:.3em .8em;"
        "border-bottom:1px solid #ddd;vertical-align:top}</style>"
        f"<h1>gex-mcp REST API {html.escape(document['info']['version'])}</h1>"
        f"<p>{html.escape(document['info']['description'])} Send your key as "
        "<code>X-Api-Key</code> when the server has keys. Machine-readable: "
        "<a href=/openapi.json>/openapi.json</a>.</p>"
        "<table><tr><th>route</th><th>returns</th><th>parameters (? = optional)</th></tr>"
        + "".join(rows) + "</table></html>")
