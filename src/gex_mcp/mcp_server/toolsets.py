"""Toolsets: which tools `tools/list` shows, and a compact form of their schemas, so that a
host that passes the whole list to its model spends a few thousand tokens, not tens of
thousands (the list was 145,000 characters for 24 tools).

- Each endpoint row names its toolset (`Endpoint.toolset`); the alert tools are "alerts".
  `GEX_TOOLSETS` / `serve --toolsets` choose the listed ones ("all" lists every tool); the
  default is `DEFAULT_TOOLSETS`.
- A tool whose toolset is off is still reachable: `more_tools(tool, arguments)` runs it and
  lists every such tool, one line each, in its description (it is listed only when some
  toolset is off). Resources and prompts do not depend on toolsets.
- `compact_schema` drops the per-property "title" keywords pydantic writes (they repeat the
  name) from every schema; input schemas lose their "examples" (each description already
  gives one); output schemas also lose their "required" lists (every field of an answer is
  always present, null when unknown, so the list only repeated the field names), descriptions and
  defaults (units and meanings are in the server instructions, the gex://conventions resource
  and the tools' descriptions; input schemas keep theirs: they say what an argument takes).
  Nullable fields stay `anyOf` branches of one type each: a `type` list would be shorter but
  is less portable (the MCP Inspector's --strict check warns that single-`type` dialects such
  as Gemini's function declarations reject it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gex_mcp.endpoints import ENDPOINTS, Toolset
from gex_mcp.errors import ConfigError

TOOLSETS: dict[str, str] = {
    "core": "summary, levels, per-strike GEX, the watchlist scan and the GEX chart",
    "exposures": "per-strike DEX, VEX and CHEX, regime and distance to the flip",
    "expiries": "GEX by expiration, listed expirations, OI changes, max pain, expected move, 0DTE",
    "scenarios": "GEX/DEX profile across spot and dealer hedging for given moves",
    "history": "level history, how the levels held, the history chart",
    "alerts": "watch symbols for alerts, unwatch, the watchlist",
}
DEFAULT_TOOLSETS: tuple[str, ...] = ("core", "alerts")
ALERT_TOOLSET: Toolset = "alerts"
MORE_TOOLS = "more_tools"


def parse_toolsets(text: str | Iterable[str] | None) -> frozenset[str]:
    """The toolsets a comma-separated list names ("all": every one; None or empty: the default).

    Raises:
        ConfigError: an unknown toolset name (the message lists the known ones).
    """
    if text is None:
        return frozenset(DEFAULT_TOOLSETS)
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    if not names:
        return frozenset(DEFAULT_TOOLSETS)
    if "all" in names:
        return frozenset(TOOLSETS)
    unknown = sorted(set(names) - set(TOOLSETS))
    if unknown:
        raise ConfigError(f"Unknown toolset {', '.join(unknown)} in GEX_TOOLSETS/--toolsets. "
                          f"Use any of: {', '.join(TOOLSETS)} (comma-separated), or all.")
    return frozenset(names)


def compact_schema(schema: Any, *, output: bool) -> Any:
    """`schema` in its compact form (see the module docstring); a property *named* title,
    description or default is kept.

    >>> compact_schema({"properties": {"title": {"type": "number", "default": 0.0,
    ...     "title": "Title", "description": "USD."}}}, output=True)
    {'properties': {'title': {'type': 'number'}}}
    """
    drop = {"title", "description", "default", "required"} if output else {"title", "examples"}

    def walk(node: Any, in_properties: bool = False) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if in_properties:  # keys are property names, values are schemas
            return {name: walk(sub) for name, sub in node.items()}
        out = {key: walk(value, key in ("properties", "$defs", "patternProperties"))
               for key, value in node.items()
               if not (key in drop and (key in ("default", "examples") or isinstance(value, str)
                                        or (key == "required" and isinstance(value, list))))}
        return out

    return walk(schema)


def more_tools_description(hidden: Iterable[tuple[str, str, str]]) -> str:
    """The dispatcher's description: what it is for, then one line per hidden tool
    (name: summary; arguments)."""
    lines = [f"- {name}: {summary} ({arguments})" for name, summary, arguments in hidden]
    return ("Runs a gex-mcp tool that this server does not list (its toolset is off; "
            "GEX_TOOLSETS turns toolsets on). Give the tool's name and its arguments as an "
            "object; the answer is that tool's. Tools:\n" + "\n".join(lines))


def endpoint_toolset_names() -> dict[str, Toolset]:
    """Each endpoint tool's toolset, from the table."""
    return {ep.name: ep.toolset for ep in ENDPOINTS}


__all__ = ["ALERT_TOOLSET", "DEFAULT_TOOLSETS", "MORE_TOOLS", "TOOLSETS", "compact_schema",
           "endpoint_toolset_names", "more_tools_description", "parse_toolsets"]
