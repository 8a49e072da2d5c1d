"""Alerts: rules over successive levels (`rules`), the watchlist and fan-out (`hub`) and the
background poller (`watcher`). Their faces live with their doors: `mcp_server.alerts`,
`http.rest.alerts`, `terminal.alerts`."""
