"""`gex-mcp`: the terminal dashboard and the MCP server launcher.

One command per row of the endpoint table (`gex_mcp.endpoints`), its arguments and help
taken from the row:

    gex-mcp {gex|dex|vex|chex|levels|summary|regime|flip-distance|expiries|oi-changes|...}
            [SYMBOL] [--chain FILE] [--source NAME] [--expiration YYYY-MM-DD] [--min-oi N] [--json]
    gex-mcp scan SYMBOL... [--source NAME] [--near-wall PCT] [--json]
    gex-mcp chart [SYMBOL] -o FILE.png [--chain FILE] [--window PCT]
    gex-mcp serve [--transport stdio|http] [--host H] [--port P]

Errors are caught once, by `exit_on_error`, the CLI's one error boundary: a `GexError`
prints `ClassName: message` to stderr and exits with its `exit_code` (2 input, 3 source, 4
no data, 5 config); Ctrl-C exits 130; anything else is a bug and exits 1 (traceback only with
GEX_DEBUG=1).
"""

from __future__ import annotations

import gc
import inspect
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from pydantic import BaseModel, ValidationError

from gex_mcp.errors import ConfigError, GexError, InputError, describe
from gex_mcp.gc_pause import pause_gc
from gex_mcp.models import SOURCE_NAMES
from gex_mcp.service import (
    ENDPOINTS,
    MAX_LOCAL_SCAN_SYMBOLS,
    Endpoint,
    GexService,
    build_service,
    check_supported,
    normalize_symbol,
)

app = typer.Typer(
    name="gex-mcp", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Gamma-exposure (GEX) analytics for US options: terminal dashboard and MCP server.")


def _print_version(value: bool) -> None:
    if value:
        from gex_mcp import __version__  # the package metadata, as serverInfo.version

        typer.echo(f"gex-mcp {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    pass


ChainOpt = Annotated[Path | None, typer.Option(
    "--chain", help="Analyse this CBOE chain file (.csv, .dat or .json) instead of a source.")]
SnapshotTimeOpt = Annotated[str | None, typer.Option(
    "--snapshot-time", help="With --chain: the file's download time, 'YYYY-MM-DD HH:MM' New York "
                            "time, for a file whose date line cannot be read.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON response instead of tables.")]
OutputOpt = Annotated[Path, typer.Option("-o", "--output", help="PNG file to write.")]
FileOpt = Annotated[Path | None, typer.Option(
    "-o", "--output", help="File to write (default: print it).")]
SourceOpt = Annotated[str | None, typer.Option(
    "--source", help="cboe, flashalpha, file or demo (default: GEX_SOURCE, else cboe).")]


def _console() -> Any:
    from rich.console import Console  # rich only for tables: --json never imports it

    return Console(soft_wrap=False, width=max(Console().width, 120))


def _settings(source: str | None):
    from gex_mcp.settings import Settings
    try:
        settings = Settings()
        if source is not None:
            name = source.strip().lower()
            if name not in SOURCE_NAMES:
                raise InputError(f"Unknown source {source!r}. Use one of: {', '.join(SOURCE_NAMES)}.")
            settings = settings.model_copy(update={"source": name})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"Setting {field!r} is invalid: {first['msg']}. Check the GEX_* "
                          "environment variables and .env.") from None
    return settings


def _symbol(symbol: str | None, service: GexService) -> str:
    """The SYMBOL argument, or with --chain the file's own symbol (parsed once, then cached)."""
    chosen = symbol or service.default_symbol()
    if chosen:
        return chosen
    raise InputError("Give a SYMBOL (e.g. SPY), or --chain FILE to analyse a snapshot file.")


def _snapshot_time(text: str | None, chain: Path | None) -> datetime | None:
    """The --snapshot-time value as a datetime (naive: New York), checked."""
    if text is None:
        return None
    if chain is None:
        raise InputError("--snapshot-time applies to a --chain FILE only.")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--snapshot-time {text!r} is not a time; write it as 'YYYY-MM-DD HH:MM' "
                         "(New York time), e.g. '2023-08-18 16:00'.") from None
    check_supported(moment.date(), "--snapshot-time", text.strip())
    return moment


@contextmanager
def exit_on_error() -> Iterator[None]:
    """The CLI's error boundary: `GexError` -> "ClassName: message" on stderr and the class's
    exit code; Ctrl-C -> 130; any other exception (a bug) -> one line and exit 1, or the
    traceback with GEX_DEBUG=1."""
    try:
        yield
    except GexError as exc:
        typer.echo(describe(exc), err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug: say so plainly, traceback on request
        if _debug_requested():
            raise
        typer.echo(f"internal error: {describe(exc)} (set GEX_DEBUG=1 for a traceback)",
                   err=True)
        raise typer.Exit(1) from None


def _run(work: Callable[[GexService], Awaitable[Any]], *, source: str | None = None,
         chain: Path | None = None, snapshot_time: str | None = None) -> Any:
    """Build the service, run `work(service)`, close it, inside the error boundary."""
    async def main():
        service = build_service(_settings(None if chain else source), chain_file=chain,
                                snapshot_time=_snapshot_time(snapshot_time, chain))
        async with service:
            return await work(service)
    with exit_on_error():
        return anyio.run(main)


def _debug_requested() -> bool:
    try:
        return _settings(None).debug
    except GexError:
        return False


def _emit(model: BaseModel, as_json: bool, view: Callable[[], Callable[[BaseModel], Any]]) -> None:
    """Print `model` as JSON, or as the table `view()` returns (imported only then)."""
    if as_json:
        sys.stdout.write(model.model_dump_json(indent=2) + "\n")
    else:
        _console().print(view()(model))


def _write_chart(image: Any, output: Path) -> None:
    with exit_on_error():
        try:
            output.write_bytes(image.png)
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(f"wrote {output} ({len(image.png):,} bytes): {image.caption}")


def _write_file(answer: Any, output: Path | None) -> None:
    """A file answer's `content`: to `output`, else to stdout."""
    if output is None:
        sys.stdout.write(answer.content)
        return
    with exit_on_error():
        try:
            output.write_text(answer.content, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror}") from None
    missing = f"; not determined: {', '.join(m.split(':')[0] for m in answer.missing)}" if answer.missing else ""
    typer.echo(f"wrote {output} ({len(answer.levels)} levels of {answer.symbol} as of "
               f"{answer.as_of:%Y-%m-%d %H:%M}{missing})")


@contextmanager
def _scan_progress() -> Iterator[Callable[[int, int], Awaitable[None]]]:
    """A transient progress bar on stderr while a scan runs (stdout stays clean for --json);
    none at all when stderr is not an interactive terminal (rich would still end with a blank
    line there)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    with Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), transient=True,
                  console=console, disable=not console.is_interactive) as bar:
        task = bar.add_task("scan", total=None)

        async def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _parameters(ep: Endpoint) -> list[inspect.Parameter]:
    """The command's parameters: the row's arguments, plus --chain, --json or -o."""
    params: list[tuple[str, Any, Any]] = []
    for arg in ep.cli_args:
        kind = arg.cli_type or arg.type
        if arg.cli_flag is None:
            info = typer.Argument(help=arg.cli_help)
        else:
            info = typer.Option(arg.cli_flag, help=arg.cli_help)
        default = arg.cli_value_default
        params.append((arg.name, Annotated[kind, info], inspect.Parameter.empty if default is ... else default))
    if any(a.name == "symbol" for a in ep.args):
        params.append(("chain", ChainOpt, None))
        params.append(("snapshot_time", SnapshotTimeOpt, None))
    if ep.png:
        params.append(("output", OutputOpt, Path("gex.png")))
    else:
        params.append(("as_json", JsonOpt, False))
    if ep.file:
        params.append(("file_output", FileOpt, None))
    return [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
            for name, annotation, default in params]


def _command(ep: Endpoint) -> Callable[..., None]:
    """The CLI command of one endpoint row."""
    def command(**kwargs: Any) -> None:
        chain: Path | None = kwargs.pop("chain", None)
        snapshot_time: str | None = kwargs.pop("snapshot_time", None)
        as_json: bool = kwargs.pop("as_json", False)
        output: Path | None = kwargs.pop("output", None)
        file_output: Path | None = kwargs.pop("file_output", None)
        window = kwargs.pop("window_pct") if ep.per_strike else None
        source = kwargs.get("source")

        async def work(service: GexService) -> Any:
            if "symbol" in kwargs:
                kwargs["symbol"] = _symbol(kwargs["symbol"], service)
            if chain is not None:
                kwargs["source"] = None
            if ep.kind != "scan":
                return await service.call(ep.name, **kwargs)
            with _scan_progress() as progress:  # a terminal may scan a whole universe
                return await service.call(ep.name, progress=progress,
                                          max_symbols=MAX_LOCAL_SCAN_SYMBOLS, **kwargs)

        result = _run(work, source=source, chain=chain, snapshot_time=snapshot_time)
        if output is not None:
            _write_chart(result, output)
            return
        if ep.file and not as_json:
            _write_file(result, file_output)
            return
        def view() -> Callable[[BaseModel], Any]:
            from gex_mcp.terminal import views as dashboard

            table = dashboard.view_for(ep.view)
            return (lambda m: table(m, window or None)) if ep.per_strike else table

        _emit(result, as_json, view)

    params = _parameters(ep)
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = ep.name
    command.__doc__ = ep.summary[0].upper() + ep.summary[1:] + "."
    return command


for _ep in ENDPOINTS:
    app.command(_ep.command)(_command(_ep))


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _serving(source: str | None):
    """Settings, API keys and the service for a long-running server; logging to stderr."""
    settings = _settings(source)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    keys = _split(settings.http_token.get_secret_value()) if settings.http_token else ()
    return settings, keys, build_service(settings)


def _watcher(service, settings, *, every: float | None = None, near_wall: float | None = None):
    """The alert poller (`gex_mcp.alerts`): every `every` seconds, else GEX_WATCH_EVERY; near a
    wall within `near_wall` percent, else GEX_WATCH_NEAR_WALL_PCT."""
    from gex_mcp.alerts.rules import RuleConfig
    from gex_mcp.alerts.watcher import Watcher

    return Watcher(service, every=every if every is not None else settings.watch_every,
                   config=RuleConfig(near_wall_pct=near_wall or settings.watch_near_wall_pct))


@app.command("serve")
def serve(transport: Annotated[str, typer.Option(
              "--transport", help="stdio (desktop hosts), http (MCP at /mcp + REST at /v1) or rest.")] = "stdio",
          host: Annotated[str, typer.Option("--host", help="HTTP bind address.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP port.")] = 8000,
          source: SourceOpt = None,
          allowed_host: Annotated[list[str] | None, typer.Option(
              "--allowed-host", help="Also answer for this Host name (repeatable; adds GEX_ALLOWED_HOSTS).")] = None,
          insecure_no_auth: Annotated[bool, typer.Option(
              "--insecure-no-auth", help="Allow a non-loopback --host without GEX_HTTP_TOKEN.")] = False,
          stateless: Annotated[bool, typer.Option(
              "--stateless", help="MCP over HTTP without sessions, for replicas behind a load balancer.")] = False,
          toolsets: Annotated[str | None, typer.Option(
              "--toolsets", help="MCP toolsets to list: core, exposures, expiries, scenarios, history, "
                                 "alerts or all (default: GEX_TOOLSETS, else core,alerts).")] = None,
          ) -> None:
    """Run the MCP server (stdio or streamable HTTP) and/or the REST API."""
    resume_gc = pause_gc(freeze=True)  # while the SDK loads and the server is built (~0.05-0.1 s)
    try:
        with exit_on_error():
            if transport not in ("stdio", "http", "rest"):
                raise InputError(f"--transport must be stdio, http or rest, got {transport!r}")
            from gex_mcp.mcp_server.run import ServeOptions, run_server
            from gex_mcp.mcp_server.toolsets import parse_toolsets

            settings, keys, service = _serving(source)
            options = ServeOptions(
                toolsets=parse_toolsets(toolsets if toolsets is not None else settings.toolsets),
                transport=transport, host=host, port=port, keys=keys,  # type: ignore[arg-type]
                rate_limit_per_minute=settings.rate_limit_per_minute or None,
                allowed_hosts=_split(settings.allowed_hosts) + tuple(allowed_host or ()),
                cors_origins=_split(settings.cors_origins), insecure_no_auth=insecure_no_auth,
                stateless=stateless, session_idle_seconds=settings.session_idle_seconds,
                max_sessions_per_key=settings.max_sessions_per_key,
                max_sessions=settings.max_sessions,
                max_connections=settings.http_max_connections,
                log_level=settings.log_level, access_log=settings.access_log)
            run_server(service, options, watcher=_watcher(service, settings), on_ready=resume_gc)
    finally:
        gc.enable()  # a server that failed to start (in-process callers, tests)


@app.command("dashboard")
def dashboard(symbol: Annotated[str, typer.Argument(help="Symbol to open, e.g. SPX.")] = "SPY",
              port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP port on 127.0.0.1.")] = 8000,
              source: SourceOpt = None,
              no_browser: Annotated[bool, typer.Option(
                  "--no-browser", help="Print the page's address instead of opening a browser.")] = False,
              ) -> None:
    """Serve the GEX dashboard on loopback (MCP + REST + the page at /) and open it."""
    import threading
    import webbrowser

    resume_gc = pause_gc(freeze=True)  # while the SDK loads and the server is built (~0.05-0.1 s)
    from gex_mcp.mcp_server.run import ServeOptions, run_server
    from gex_mcp.mcp_server.toolsets import parse_toolsets

    try:
        with exit_on_error():
            url = f"http://127.0.0.1:{port}/?symbol={normalize_symbol(symbol)}"
            settings, keys, service = _serving(source)
            typer.echo(f"GEX dashboard: {url}  (Ctrl-C stops it)")
            if not no_browser:
                threading.Timer(1.0, webbrowser.open, (url,)).start()
            options = ServeOptions(transport="http", port=port, keys=keys,
                                   session_idle_seconds=settings.session_idle_seconds,
                                   toolsets=parse_toolsets(settings.toolsets))
            run_server(service, options, watcher=_watcher(service, settings), on_ready=resume_gc)
    finally:
        gc.enable()


@app.command("watch")
def watch(symbols: Annotated[list[str], typer.Argument(help="Symbols to watch, e.g. SPY QQQ SPX.")],
          every: Annotated[float | None, typer.Option(
              "--every", min=1.0, help="Seconds between polls; also the cache lifetime for this run "
                                       "(default: GEX_CACHE_TTL).")] = None,
          rules: Annotated[str | None, typer.Option(
              "--rules", help="Comma-separated: flip_cross, near_wall, net_gex_sign, regime_change, "
                              "wall_move (default: all).")] = None,
          near_wall: Annotated[float | None, typer.Option(
              "--near-wall", min=0.01, max=20.0, help="near_wall fires within this percent of a "
                                                      "wall (default: GEX_WATCH_NEAR_WALL_PCT, 0.5).")] = None,
          source: SourceOpt = None) -> None:
    """Print alerts as they fire (flip crossed, spot near a wall, regime change...) until Ctrl-C."""
    from rich.console import Console

    from gex_mcp.alerts.watcher import Watcher
    from gex_mcp.terminal.alerts import run_watch

    out, err = Console(soft_wrap=True), Console(stderr=True)
    seen: list[Watcher] = []

    async def main() -> None:
        settings = _settings(source)
        if every is not None:
            settings = settings.model_copy(update={"cache_ttl": every, "cache_ttl_closed": every})
        service = build_service(settings)
        async with service:
            watcher = _watcher(service, settings, every=every, near_wall=near_wall)
            watcher.watch(symbols, rules)
            seen.append(watcher)
            err.print(f"watching {', '.join(watcher.hub.watches)} on {service.default_source} "
                      f"every {watcher.interval():g}s; alerts print below", style="dim")
            await run_watch(watcher, out, err)

    with exit_on_error():
        try:
            anyio.run(main)
        except KeyboardInterrupt:
            status = seen[0].status() if seen else None
            if status is not None:
                err.print(f"stopped after {status.ticks} polls; {status.alerts_fired} alerts")
            raise typer.Exit(0) from None


def main() -> None:
    app()


__all__ = ["app", "main"]
