"""The one place gex-mcp reaches past the MCP SDK's public API (`mcp` 2.3.x; pyproject pins
`mcp<2.4` for this module). Each reach is a function here, and `tests/test_sdk_adapter.py`
fails loudly, naming the attribute, when an SDK release moves one.

- `tool_registry(mcp)`: MCPServer takes ready `Tool` objects only at construction (`tools=`);
  its `add_tool` rebuilds a tool from a function, which would drop our relaxed argument
  models. Tools built on the first request are put into the tool manager's dict by name.
- `lowlevel_server(mcp)`: MCPServer exposes no hook for `resources/subscribe` (2025-era
  sessions); the low-level server's `add_request_handler` takes one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.tools import Tool

#: The private attribute paths this module reads, for the test that watches them.
PRIVATE_PATHS = (("_tool_manager", "_tools"), ("_lowlevel_server",))


def tool_registry(mcp: MCPServer) -> dict[str, Tool]:
    """The server's tools by name (the dict `list_tools` and `call_tool` read)."""
    return mcp._tool_manager._tools  # noqa: SLF001


def lowlevel_server(mcp: MCPServer) -> Any:
    """The low-level server under `mcp` (it has `add_request_handler(method, params, handler)`)."""
    return mcp._lowlevel_server  # noqa: SLF001


__all__ = ["PRIVATE_PATHS", "lowlevel_server", "tool_registry"]
