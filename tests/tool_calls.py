"""One good call of every tool, resource and prompt, shared by the transport tests."""

from __future__ import annotations

from mcp import Client

from gex_mcp.endpoints import ENDPOINTS

#: One good call per tool: the endpoint table's example arguments, in table order.
EVERY_TOOL_CALL: dict[str, dict] = {ep.name: dict(ep.example) for ep in ENDPOINTS}


#: The alert tools a served MCP server adds (`gex_mcp.mcp_server.alerts`), in a good calling order.
ALERT_TOOL_CALLS: dict[str, dict] = {"watch": {"symbols": ["SPY"], "rules": ["flip_cross"]},
                                     "watchlist": {}, "unwatch": {"symbols": ["SPY"]}}


async def call_everything(client: Client) -> dict[str, object]:
    """Call every tool, read every resource kind and get every prompt; return results.

    A server built with a watcher also has the alert tools; they are called too. A tool
    whose toolset the server does not list is called through `more_tools`."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    listed = set(tools) - {"more_tools"}
    behind = set()
    if "more_tools" in tools:  # the hidden tools, as its description lists them ("- name: ...")
        behind = {line[2:].split(":")[0] for line in tools["more_tools"].description.splitlines()
                  if line.startswith("- ")}
        assert not behind & listed
    reachable = listed | behind
    calls = {**EVERY_TOOL_CALL, **(ALERT_TOOL_CALLS if "watch" in reachable else {})}
    assert reachable == set(calls), reachable ^ set(calls)
    results: dict[str, object] = {}
    for name, args in calls.items():
        if name in behind:
            result = await client.call_tool("more_tools", {"tool": name, "arguments": args})
        else:
            result = await client.call_tool(name, args)
        assert not result.is_error, (name, result.content)
        assert result.structured_content, name
        results[name] = result
    alert_uris = ("gex://alerts", "gex://SPY/alerts") if "watch" in reachable else ()
    for uri in ("gex://SPY/levels", "gex://SPY/summary", "gex://conventions", *alert_uris):
        contents = (await client.read_resource(uri)).contents
        assert contents and contents[0].text, uri
        results[uri] = contents[0].text
    for prompt, args in (("dashboard_brief", {"symbol": "SPY"}), ("watchlist_scan", {"symbols": "SPY,QQQ"})):
        messages = (await client.get_prompt(prompt, args)).messages
        assert messages, prompt
        results[prompt] = messages
    return results
