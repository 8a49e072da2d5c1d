"""The scan's progress bar (`cli._scan_progress`): drawn on a terminal's stderr, never on
stdout and never when stderr is not a terminal.

The real `gex-mcp scan ... --source file --json` runs in a fresh process over a folder of
snapshot files linked from ../shared/chains under generated tickers (tests/universe.py),
once with stderr on a pseudo-terminal (stdout on a pipe, as `gex-mcp scan --json > out`
from a shell) and once with both on pipes.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.universe import make_universe

SYMBOLS = 48  # about a second of cold scanning: several frames at rich's 10 per second
TIMEOUT = 60
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: Variables with which rich decides by itself whether it writes to a terminal.
RICH_OVERRIDES = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS",
                  "LINES", "TERM")


@pytest.fixture
def universe(tmp_path: Path) -> tuple[list[str], dict[str, str], Path]:
    chains = tmp_path / "chains"
    chains.mkdir()
    symbols = make_universe(chains, SYMBOLS)
    env = {k: v for k, v in os.environ.items() if k not in RICH_OVERRIDES}
    env.update(GEX_DATA_DIR=str(tmp_path / "data"), GEX_CHAINS_DIR=str(chains),
               MPLCONFIGDIR=str(tmp_path / "mpl"))
    return symbols, env, chains


def _command(symbols: list[str]) -> list[str]:
    return [sys.executable, "-m", "gex_mcp", "scan", *symbols, "--source", "file", "--json"]


def _check_json(stdout: bytes, symbols: list[str], chains: Path) -> None:
    """stdout is one JSON document (nothing before or after it), a row per symbol, in order:
    each row names the underlying of the fixture its file links to (the chain's own symbol)."""
    answer = json.loads(stdout.decode())
    linked = {f.name.split("_")[2]: f.resolve().name.split("_")[2] for f in chains.iterdir()}
    assert [row["symbol"] for row in answer["rows"]] == [linked[s] for s in symbols]
    assert answer["failed"] == []
    assert all(isinstance(row["net_gex"], float) for row in answer["rows"])


def test_a_terminal_sees_the_bar_count_up_to_every_symbol_on_stderr_only(universe):
    symbols, env, chains = universe
    env["TERM"] = "xterm-256color"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(_command(symbols), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=slave, env=env)
    os.close(slave)  # the child holds the only copy: reading past its exit ends with EIO
    terminal = bytearray()
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            terminal += chunk
        stdout = process.stdout.read()
        code = process.wait(timeout=TIMEOUT)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    screen = ANSI.sub("", terminal.decode(errors="replace"))
    assert code == 0, screen[-2000:]
    _check_json(stdout, symbols, chains)
    assert "scanning" in screen and "━" in screen  # the bar itself, not only a count
    counts = [(int(done), int(total)) for done, total in re.findall(r"(\d+)/(\d+)", screen)]
    assert {total for _, total in counts} == {SYMBOLS}, counts
    done = [d for d, _ in counts]
    assert done == sorted(done), done  # it only grows
    assert done[-1] == SYMBOLS  # and reaches every symbol
    assert any(0 < d < SYMBOLS for d in done), done  # seen in between, not only at the end
    assert "\x1b[" in terminal.decode(errors="replace")  # drawn with terminal control codes


def test_without_a_terminal_nothing_but_the_json_is_written(universe):
    symbols, env, chains = universe
    done = subprocess.run(_command(symbols), stdin=subprocess.DEVNULL, capture_output=True,
                          env=env, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    _check_json(done.stdout, symbols, chains)
    assert done.stderr == b""  # no bar, no control codes, no count
