"""Toolsets and compact schemas: the default server's tools/list fits a budget an agent can
afford, and every capability stays reachable (through its own tool or `more_tools`).

Measured with a real MCP client against the server exactly as `gex-mcp serve` builds it
(demo source, a watcher, the default `GEX_TOOLSETS`)."""

from __future__ import annotations

import json

import anyio
import jsonschema
import pytest
from mcp import Client
from mcp.types import ImageContent

from gex_mcp.alerts.watcher import Watcher
from gex_mcp.endpoints import ENDPOINTS
from gex_mcp.errors import ConfigError
from gex_mcp.mcp_server.server import build_server
from gex_mcp.mcp_server.toolsets import MORE_TOOLS, TOOLSETS, compact_schema, parse_toolsets
from gex_mcp.settings import Settings
from tests.test_endpoints import demo_service

#: The budget of the issue: what a host that passes tools/list whole to its model reads.
BUDGET_CHARS = 30_000
ALERT_TOOLS = {"watch", "unwatch", "watchlist"}


async def _tools(toolsets: frozenset[str] | None) -> list[dict]:
    service = demo_service()
    async with Client(build_server(service, Watcher(service), toolsets=toolsets), mode="legacy") as c:
        with anyio.fail_after(10):
            tools = (await c.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


@pytest.mark.anyio
async def test_the_default_tool_list_fits_the_budget():
    default = parse_toolsets(Settings(_env_file=None).toolsets)
    tools = await _tools(default)
    size = len(json.dumps(tools))
    assert size <= BUDGET_CHARS, f"tools/list is {size:,} characters"
    names = {t["name"] for t in tools}
    assert {"summary", "levels", "gex", "scan", "gex_chart", MORE_TOOLS} | ALERT_TOOLS == names


@pytest.mark.anyio
async def test_all_toolsets_list_every_tool_and_no_dispatcher():
    names = [t["name"] for t in await _tools(parse_toolsets("all"))]
    assert names == [ep.name for ep in ENDPOINTS] + ["watch", "unwatch", "watchlist"]
    assert MORE_TOOLS not in names


def _timeless(answer: dict) -> dict:
    """An answer without `age_seconds` (it grows between two calls)."""
    return {k: v for k, v in answer.items() if k != "age_seconds"}


@pytest.mark.anyio
async def test_more_tools_names_every_hidden_tool_and_answers_as_the_tool_does():
    """Each tool the default leaves out is named in more_tools' description, and calling it
    through more_tools gives the same structured answer as calling it directly."""
    default = parse_toolsets(None)
    listed = {t["name"]: t for t in await _tools(default)}
    hidden = [ep for ep in ENDPOINTS if ep.toolset not in default]
    assert hidden, "the default should leave some toolset out"
    for ep in hidden:
        assert f"- {ep.name}: " in listed[MORE_TOOLS]["description"], ep.name
    service = demo_service()
    async with Client(build_server(service, Watcher(service), toolsets=default), mode="legacy") as small, \
            Client(build_server(service, Watcher(service)), mode="legacy") as full:
        for ep in hidden:
            via = await small.call_tool(MORE_TOOLS, {"tool": ep.name, "arguments": ep.example})
            direct = await full.call_tool(ep.name, ep.example)
            assert not via.is_error and not direct.is_error, (ep.name, via.content)
            assert _timeless(via.structured_content) == _timeless(direct.structured_content), ep.name
            assert any(isinstance(c, ImageContent) for c in via.content) == ep.png, ep.name


@pytest.mark.anyio
async def test_more_tools_refuses_an_unknown_tool_and_bad_arguments_in_words():
    service = demo_service()
    async with Client(build_server(service, toolsets=parse_toolsets("core")), mode="legacy") as c:
        unknown = await c.call_tool(MORE_TOOLS, {"tool": "nope", "arguments": {}})
        assert unknown.is_error and "no tool 'nope'" in unknown.content[0].text
        assert "max_pain" in unknown.content[0].text
        bad = await c.call_tool(MORE_TOOLS, {"tool": "max_pain", "arguments": {"symbol": "SPY",
                                                                              "expiration": "soon"}})
        assert bad.is_error and "expiration" in bad.content[0].text.lower()


@pytest.mark.anyio
async def test_every_answer_still_matches_its_compact_output_schema():
    """Compaction (no titles, descriptions or defaults) keeps each output schema true to the
    answers, and every `type` stays a single type (portable to single-type dialects)."""
    service = demo_service()
    async with Client(build_server(service, Watcher(service)), mode="legacy") as c:
        schemas = {t.name: t.output_schema for t in (await c.list_tools()).tools}
        for ep in ENDPOINTS:
            result = await c.call_tool(ep.name, ep.example)
            assert not result.is_error, (ep.name, result.content)
            jsonschema.validate(result.structured_content, schemas[ep.name])
            text = json.dumps(schemas[ep.name])
            assert '"title"' not in text.replace('"title":{', ""), ep.name
            assert '"type": [' not in text, ep.name


def test_compact_schema_keeps_meaning_and_drops_only_keywords():
    schema = {"type": "object", "title": "Answer", "required": ["title"], "properties": {
        "title": {"type": "string", "title": "Title", "description": "A property named title."},
        "price": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None,
                  "description": "USD."},
        "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}}}
    out = compact_schema(schema, output=True)
    assert set(out["properties"]) == {"title", "price", "when"}
    assert out["properties"]["price"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}
    assert out["properties"]["when"] == schema["properties"]["when"]
    for value in ({"title": "x", "price": None, "when": None}, {"title": "x", "price": 1.5, "when": "2026-01-02"}):
        jsonschema.validate(value, out)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"title": "x", "price": "1.5", "when": None}, out)
    kept = compact_schema(schema, output=False)
    assert kept["properties"]["price"]["description"] == "USD."


def test_toolset_names_are_checked():
    assert parse_toolsets("all") == frozenset(TOOLSETS)
    assert parse_toolsets(" Core , history ") == {"core", "history"}
    assert parse_toolsets("") == parse_toolsets(None)
    with pytest.raises(ConfigError, match="Unknown toolset bogus.*core, exposures"):
        parse_toolsets("core,bogus")


def test_every_row_names_a_known_toolset():
    assert {ep.toolset for ep in ENDPOINTS} <= set(TOOLSETS)
