"""`gex-mcp watch`: printed alert lines on a stepped replay, and its argument errors."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from rich.console import Console
from typer.testing import CliRunner

from gex_mcp.alerts.watcher import Watcher
from gex_mcp.cli import app
from gex_mcp.engine.calendar import NEW_YORK
from gex_mcp.service import GexService
from gex_mcp.sources.file import FileSource
from gex_mcp.store.cache import ChainCache
from gex_mcp.terminal.alerts import run_watch
from tests.conftest import CHAINS_DIR


@pytest.mark.anyio
async def test_alert_lines_print_on_stdout_and_the_status_stays_off_it():
    source = FileSource(CHAINS_DIR, as_of=datetime(2020, 6, 23, tzinfo=NEW_YORK))
    service = GexService(sources={"file": source}, default_source="file", cache=ChainCache(None))
    watcher = Watcher(service, every=0.05)
    watcher.watch(["SPY"], ["near_wall"])
    out, err = io.StringIO(), io.StringIO()
    await run_watch(watcher, Console(file=out, width=200), Console(file=err, width=200), max_ticks=1)
    source.as_of = datetime(2020, 6, 29, tzinfo=NEW_YORK)
    await run_watch(watcher, Console(file=out, width=200), Console(file=err, width=200), max_ticks=2)
    lines = out.getvalue().splitlines()
    assert lines == ["2020-06-26 16:00:00 SPY   near_wall     SPY is within 0.00% of the put wall 300 "
                     "(spot 300.01)."]
    assert "tick" not in out.getvalue()


@pytest.mark.parametrize(("args", "code", "message"), [
    (["watch", "SPY", "--rules", "flip", "--source", "demo"], 2, "InputError: Unknown alert rule 'flip'"),
    (["watch", "../etc", "--source", "demo"], 2, "UnknownSymbolError: '../etc' is not a ticker symbol"),
    (["watch", "SPY", "--every", "0.2", "--source", "demo"], 2,
     "Invalid value for '--every': Input should be greater than or equal to 1"),
])
def test_bad_watch_arguments_exit_with_one_sentence(monkeypatch, tmp_path, args, code, message):
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    assert message in result.output
