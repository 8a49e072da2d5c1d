"""What one row of the endpoint table is: `Endpoint`, and the names its fields take.

Kinds:
- "analysis": one symbol's chain analysed once; `build(analysis, context)` shapes the answer.
  `backends` says who can answer: "chains" (cboe/file/demo through our engine) and/or
  "flashalpha" (answers translated from FlashAlpha, see `backends/flashalpha.py`).
- "scan": a watchlist, one row per symbol (from the levels and regime answers).
- "chart": a PNG of GEX by strike plus the numbers drawn.
- "history": one symbol's level records over a time window (stored, or replayed from a
  source's snapshots: see `backends/level_history.py`); `build(window, interval)`.
- "history_chart": a PNG of the history window plus the numbers drawn.
- "complex": an index and its ETF/mini siblings, each analysed, merged into one book (see
  `backends/complex.py`).
- "basket": a weighted watchlist, each member's summary weighted into one book (see
  `responses/basket.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from gex_mcp.endpoints.args import Arg
from gex_mcp.responses.guide import FlashAlphaPath, GuideShape

Backend = Literal["chains", "flashalpha"]
CHAINS: frozenset[Backend] = frozenset({"chains"})
BOTH: frozenset[Backend] = frozenset({"chains", "flashalpha"})
Kind = Literal["analysis", "scan", "chart", "history", "history_chart", "complex", "basket"]
MULTI_SYMBOL_KINDS: frozenset[str] = frozenset({"scan", "basket"})  # no symbol in the REST path
PNG_KINDS: frozenset[str] = frozenset({"chart", "history_chart"})
#: The terminal views (`gex_mcp.terminal.views` draws each); "generic" lists any model's
#: facts and tables, so a new endpoint needs no view of its own.
#: The MCP toolsets (`gex_mcp.mcp_server.toolsets`): which tools `tools/list` shows.
Toolset = Literal["core", "exposures", "expiries", "scenarios", "history", "alerts"]
View = Literal["gex", "greek", "levels", "summary", "scan", "regime", "expiries", "oi_changes",
               "history", "level_accuracy", "flip_sensitivity", "generic"]


@dataclass(frozen=True)
class Endpoint:
    """One question: its name, arguments, answer shape and how the answer is made.

    Attributes:
        name: tool name, service method and JSON name (snake_case).
        title: the tool's human title.
        description: three sentences for a model: what comes back (units), when to use
            it rather than a sibling, one fact about the data.
        summary: one line for the README table and the CLI help.
        args: the arguments, in order.
        response: the answer's model (CLI JSON, REST, service).
        build: chain analysis + context -> response (kind "analysis", "chains" backend);
            window + interval -> response (kind "history").
        backends: which backends can answer.
        per_strike: the answer lists strikes (rows with `net_<name>`); MCP lists the key ones
            by default (see `gex_mcp.mcp_server.compact`).
        kind: how the service answers it (see the module docstring).
        cli_name: the CLI command, when it differs from `name`.
        from_record: (record, symbol, source, neutral band %) -> response: a live source
            answers `as_of` from its stored level record (others cannot go back in time).
        rest_segment: the REST path's segment, when it differs from the name with dashes.
        rest_shape: the guide's REST body of the answer, when it differs from the model.
        flashalpha_paths: FlashAlpha's other names for this question (path, query names and
            body), served beside `rest_path` (`gex_mcp.http.rest.flashalpha`).
        view: the terminal view of the answer.
        toolset: the MCP toolset that lists the tool (`GEX_TOOLSETS`).
        resource: when set, the answer is also the MCP resource `gex://{symbol}/<name>`
            (default source), and this is the resource's description.
        example: one good call's arguments (tests, docs).
        app: the MCP tool opens the dashboard MCP App (`ui://gex/dashboard`) in hosts that
            render MCP Apps; other hosts get the same answer without it.
        file: the answer's `content` is a file's text: the CLI writes it to -o FILE, or
            prints it without -o (the JSON answer with --json).
    """

    name: str
    title: str
    description: tuple[str, str, str]
    summary: str
    args: tuple[Arg, ...]
    response: type[BaseModel]
    example: dict[str, Any]
    build: Callable[..., BaseModel] | None = None
    backends: frozenset[Backend] = CHAINS
    per_strike: bool = False
    kind: Kind = "analysis"
    cli_name: str | None = None
    resource: str | None = None
    app: bool = False
    from_record: Callable[..., BaseModel] | None = None
    rest_segment: str | None = None
    rest_shape: GuideShape | None = None
    flashalpha_paths: tuple[FlashAlphaPath, ...] = ()
    view: View = "generic"
    toolset: Toolset = "core"
    file: bool = False

    @property
    def png(self) -> bool:
        """The answer is an image plus the numbers drawn."""
        return self.kind in PNG_KINDS

    @property
    def rest_path(self) -> str:
        """The REST route: `/v1/exposure/<segment>/{symbol}` (no symbol for a scan or basket)."""
        segment = self.rest_segment or self.name.replace("_", "-")
        return f"/v1/exposure/{segment}" + ("" if self.kind in MULTI_SYMBOL_KINDS else "/{symbol}")

    @property
    def rest_model(self) -> type[BaseModel]:
        """The REST body's model (OpenAPI)."""
        return self.rest_shape.model if self.rest_shape else self.response

    def rest_body(self, answer: BaseModel) -> dict[str, Any]:
        """The REST body of an answer: the guide's shape, or the model as JSON."""
        return self.rest_shape.body(answer) if self.rest_shape else answer.model_dump(mode="json")

    @property
    def command(self) -> str:
        """The CLI command name."""
        return self.cli_name or self.name.replace("_", "-")

    @property
    def service_args(self) -> tuple[Arg, ...]:
        """The arguments the service takes (presentation arguments shape answers, not questions)."""
        return tuple(a for a in self.args if not a.presentation)

    @property
    def cli_args(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if not a.mcp_only)


__all__ = ["BOTH", "CHAINS", "MULTI_SYMBOL_KINDS", "PNG_KINDS", "Backend", "Endpoint", "Kind", "Toolset", "View"]
