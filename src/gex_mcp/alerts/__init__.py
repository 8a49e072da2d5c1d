"""Alerts: rules over successive levels (`rules`), the watchlist and fan-out (`hub`), the
background poller (`watcher`), and their MCP (`mcp`) and REST (`rest`) faces."""
