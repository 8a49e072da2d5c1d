"""The terminal door's rich views: answers (`views`), level history (`history`) and alerts
as they fire (`alerts`). The web page is `gex_mcp.web`, not this."""
