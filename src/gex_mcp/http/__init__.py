"""The HTTP door: serving MCP and REST over one uvicorn server (`serve`), the request guard
(hosts, keys, rate limits: `guard`), protocol-era helpers (`protocol`) and the REST API (`rest`)."""
