"""The SDK's private attributes gex-mcp reaches (`mcp_server/sdk.py`) are still there and
still what we use them for. When an SDK release moves one, this fails naming it."""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool

from gex_mcp.mcp_server import sdk


def _server() -> MCPServer:
    mcp = MCPServer("probe")

    @mcp.tool()
    def ping() -> str:
        """Answer pong."""
        return "pong"

    return mcp


def test_every_private_path_exists_on_a_real_server():
    mcp = _server()
    for path in sdk.PRIVATE_PATHS:
        node: object = mcp
        for name in path:
            assert hasattr(node, name), (
                f"the MCP SDK no longer has {'.'.join(path)} (missing {name}); update "
                "gex_mcp/mcp_server/sdk.py and the pin in pyproject.toml")
            node = getattr(node, name)


def test_tool_registry_is_the_dict_the_server_lists():
    mcp = _server()
    registry = sdk.tool_registry(mcp)
    assert isinstance(registry, dict) and isinstance(registry["ping"], Tool)
    extra = Tool.from_function(lambda: "x", name="extra", description="An added tool.")
    registry["extra"] = extra
    assert {t.name for t in anyio.run(mcp.list_tools)} == {"ping", "extra"}


def test_lowlevel_server_takes_request_handlers():
    assert callable(getattr(sdk.lowlevel_server(_server()), "add_request_handler", None))
