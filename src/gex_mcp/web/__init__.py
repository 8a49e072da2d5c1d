"""The GEX dashboard page: served at `/` over HTTP and as the MCP App `ui://gex/dashboard`."""
