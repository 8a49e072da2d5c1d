"""One good call of every tool, resource and prompt, shared by the transport tests."""

from __future__ import annotations

from mcp import Client

from gex_mcp.endpoints import ENDPOINTS

#: One good call per tool: the endpoint table's example arguments, in table order.
EVERY_TOOL_CALL: dict[str, dict] = {ep.name: dict(ep.example) for ep in ENDPOINTS}


async def call_everything(client: Client) -> dict[str, object]:
    """Call every listed tool, read every resource kind and get every prompt; return results."""
    listed = {t.name for t in (await client.list_tools()).tools}
    assert listed == set(EVERY_TOOL_CALL), listed ^ set(EVERY_TOOL_CALL)
    results: dict[str, object] = {}
    for name, args in EVERY_TOOL_CALL.items():
        result = await client.call_tool(name, args)
        assert not result.is_error, (name, result.content)
        assert result.structured_content, name
        results[name] = result
    for uri in ("gex://SPY/levels", "gex://SPY/summary", "gex://conventions"):
        contents = (await client.read_resource(uri)).contents
        assert contents and contents[0].text, uri
        results[uri] = contents[0].text
    for prompt, args in (("dashboard_brief", {"symbol": "SPY"}), ("watchlist_scan", {"symbols": "SPY,QQQ"})):
        messages = (await client.get_prompt(prompt, args)).messages
        assert messages, prompt
        results[prompt] = messages
    return results
