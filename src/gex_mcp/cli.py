"""`gex-mcp`: the terminal dashboard and the MCP server launcher.

    gex-mcp {gex|dex|vex|chex|levels|summary|regime|expiries|oi-changes} [SYMBOL]
            [--chain FILE] [--source NAME] [--expiration YYYY-MM-DD] [--min-oi N] [--json]
    gex-mcp scan SYMBOL... [--source NAME] [--json]
    gex-mcp chart SYMBOL -o FILE.png
    gex-mcp serve [--transport stdio|http] [--host H] [--port P]

Errors are caught once, in `_run`: a `GexError` prints `ClassName: message` to stderr and
exits with its `exit_code` (2 input, 3 source, 4 no data, 5 config); anything else is a
bug and exits 1 (traceback only with GEX_DEBUG=1).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from gex_mcp.errors import ConfigError, GexError, InputError

app = typer.Typer(
    name="gex-mcp", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Gamma-exposure (GEX) analytics for US options: terminal dashboard and MCP server.")

SymbolArg = Annotated[str | None, typer.Argument(
    help="Ticker or index, e.g. SPY or SPX. Optional with --chain (taken from the file).")]
ChainOpt = Annotated[Path | None, typer.Option(
    "--chain", help="Analyse this CBOE chain file (.csv, .dat or .json) instead of a source.")]
SourceOpt = Annotated[str | None, typer.Option(
    "--source", help="cboe, flashalpha, file or demo (default: GEX_SOURCE, else cboe).")]
ExpirationOpt = Annotated[str | None, typer.Option(
    "--expiration", help="Only this expiration, YYYY-MM-DD.")]
MinOiOpt = Annotated[int, typer.Option("--min-oi", help="Drop strikes with call+put OI below N.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON response instead of tables.")]
WindowOpt = Annotated[float, typer.Option(
    "--window", help="Table shows strikes within this % of spot (0 = all). JSON is never windowed.")]


def _console() -> Console:
    return Console(soft_wrap=False, width=max(Console().width, 120))


def _settings(source: str | None):
    from gex_mcp.settings import Settings
    try:
        settings = Settings()
        if source is not None:
            settings = settings.model_copy(update={"source": source.strip().lower()})
            if settings.source not in ("cboe", "flashalpha", "file", "demo"):
                raise InputError(f"Unknown source {source!r}. Use one of: cboe, flashalpha, file, demo.")
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"Setting {field!r} is invalid: {first['msg']}. Check the GEX_* "
                          "environment variables and .env.") from None
    return settings


def _service(source: str | None, chain: Path | None):
    """A service on the configured sources, or on one chain file when --chain is given."""
    if chain is not None:
        from gex_mcp.service import EngineParams, GexService
        from gex_mcp.sources.chain_file import ChainFileSource
        from gex_mcp.store.cache import ChainCache

        return GexService(sources={"file": ChainFileSource(chain)}, default_source="file",
                          cache=ChainCache(None), params=EngineParams.from_settings(_settings(None)))
    from gex_mcp.service import build_service
    return build_service(_settings(source))


def _symbol(symbol: str | None, chain: Path | None, service) -> str:
    """The SYMBOL argument, or with --chain the file's own symbol (parsed once, then cached)."""
    if symbol:
        return symbol
    if chain is not None:
        return service.sources["file"].load().symbol
    raise InputError("Give a SYMBOL (e.g. SPY), or --chain FILE to analyse a snapshot file.")


def _run(work: Callable[[Any], Awaitable[Any]], *, source: str | None = None,
         chain: Path | None = None) -> Any:
    """Build the service, run `work(service)`, close it; map errors to exit codes."""
    async def main():
        service = _service(source, chain)
        async with service:
            return await work(service)
    try:
        return anyio.run(main)
    except GexError as exc:
        typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug: say so plainly, traceback on request
        if _debug_requested():
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (set GEX_DEBUG=1 for a traceback)",
                   err=True)
        raise typer.Exit(1) from None


def _debug_requested() -> bool:
    try:
        return _settings(None).debug
    except GexError:
        return False


def _emit(model: BaseModel, as_json: bool, view: Callable[[Any], Any]) -> None:
    if as_json:
        sys.stdout.write(model.model_dump_json(indent=2) + "\n")
    else:
        _console().print(view(model))


def _analysis_command(endpoint: str):
    def command(symbol: SymbolArg = None, chain: ChainOpt = None, source: SourceOpt = None,
                expiration: ExpirationOpt = None, min_oi: MinOiOpt = 0, as_json: JsonOpt = False,
                window: WindowOpt = 5.0) -> None:
        from gex_mcp import dashboard

        async def work(service):
            sym = _symbol(symbol, chain, service)
            return await getattr(service, endpoint)(sym, expiration=expiration, min_oi=min_oi,
                                                    source=None if chain else source)
        result = _run(work, source=source, chain=chain)
        view = dashboard.gex_view if endpoint == "gex" else dashboard.greek_view
        _emit(result, as_json, lambda m: view(m, window or None))
    command.__doc__ = {
        "gex": "Per-strike gamma exposure (USD per 1% move), gamma flip and totals.",
        "dex": "Per-strike dealer delta exposure (USD of delta).",
        "vex": "Per-strike dealer vanna exposure (USD of delta per vol point).",
        "chex": "Per-strike dealer charm exposure (USD of delta per day).",
    }[endpoint]
    return command


for _name in ("gex", "dex", "vex", "chex"):
    app.command(_name)(_analysis_command(_name))


def _symbol_command(endpoint: str, view_name: str, doc: str):
    def command(symbol: SymbolArg = None, chain: ChainOpt = None, source: SourceOpt = None,
                as_json: JsonOpt = False) -> None:
        from gex_mcp import dashboard

        async def work(service):
            return await getattr(service, endpoint)(_symbol(symbol, chain, service),
                                                    source=None if chain else source)
        result = _run(work, source=source, chain=chain)
        _emit(result, as_json, getattr(dashboard, view_name))
    command.__doc__ = doc
    return command


app.command("levels")(_symbol_command(
    "levels", "levels_view", "Gamma flip, call/put walls, max gamma strikes, highest OI, 0DTE magnet."))
app.command("summary")(_symbol_command(
    "summary", "summary_view", "Regime, net GEX/DEX/VEX/CHEX, interpretation, hedging, expiries."))
app.command("regime")(_symbol_command(
    "regime", "regime_view", "Dealer gamma regime with the numbers behind it."))
app.command("expiries")(_symbol_command(
    "expiry_breakdown", "expiries_view", "GEX per expiration: 0DTE / weekly / monthly concentration."))
app.command("oi-changes")(_symbol_command(
    "oi_changes", "oi_changes_view", "Strikes whose open interest changed most since the previous day."))


@app.command("scan")
def scan(symbols: Annotated[list[str], typer.Argument(help="Symbols, e.g. SPY QQQ IWM TSLA.")],
         source: SourceOpt = None, as_json: JsonOpt = False,
         near_wall: Annotated[float, typer.Option("--near-wall", help="Near-wall threshold, % of spot.")] = 1.0,
         ) -> None:
    """Flip, regime, net GEX and walls for a watchlist; flags names below flip or near a wall."""
    from gex_mcp import dashboard

    result = _run(lambda s: s.scan(symbols, source=source, near_wall_pct=near_wall), source=source)
    _emit(result, as_json, dashboard.scan_view)


@app.command("chart")
def chart(symbol: SymbolArg = None,
          output: Annotated[Path, typer.Option("-o", "--output", help="PNG file to write.")] = Path("gex.png"),
          chain: ChainOpt = None, source: SourceOpt = None, expiration: ExpirationOpt = None,
          min_oi: MinOiOpt = 0,
          window: Annotated[float, typer.Option("--window", help="Strikes within this % of spot.")] = 10.0,
          ) -> None:
    """Render net GEX by strike with spot, flip and walls to a PNG file."""
    async def work(service):
        return await service.chart(_symbol(symbol, chain, service), expiration=expiration, min_oi=min_oi,
                                   source=None if chain else source, window_pct=window)
    png, gex, _ = _run(work, source=source, chain=chain)
    try:
        output.write_bytes(png)
    except OSError as exc:
        typer.echo(f"InputError: cannot write {output}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {output} ({len(png):,} bytes): {gex.symbol} net GEX {gex.net_gex_label}, "
               f"flip {'n/a' if gex.gamma_flip is None else f'{gex.gamma_flip:.2f}'}")


@app.command("serve")
def serve(transport: Annotated[str, typer.Option("--transport", help="stdio or http.")] = "stdio",
          host: Annotated[str, typer.Option("--host", help="HTTP bind address.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 8000,
          source: SourceOpt = None) -> None:
    """Run the MCP server (stdio for Claude Desktop / Cursor / Windsurf, or streamable HTTP)."""
    if transport not in ("stdio", "http"):
        typer.echo(f"InputError: --transport must be stdio or http, got {transport!r}", err=True)
        raise typer.Exit(2)
    try:
        from gex_mcp.server import run_server
        from gex_mcp.service import build_service

        settings = _settings(source)
        logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        service = build_service(settings)
        token = settings.http_token.get_secret_value() if settings.http_token else None
        run_server(service, transport=transport, host=host, port=port, bearer_token=token)
    except GexError as exc:
        typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


def main() -> None:
    app()


__all__ = ["app", "main"]
