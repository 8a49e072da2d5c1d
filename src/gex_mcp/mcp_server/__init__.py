"""The MCP door: tools and resources generated from the endpoint table (`server`), prompts,
the compact answers agents read (`compact`), the units sheet (`conventions`), alert
subscriptions (`alerts`) and the one adapter over the SDK's private attributes (`sdk`)."""
