"""gex-mcp: gamma-exposure analytics for US options, as an MCP server and a CLI."""

__version__ = "0.1.0"
__all__ = ["__version__"]
