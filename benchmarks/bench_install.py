"""What a user installing gex-mcp gets: the wheel's size, the bundle's size, and the time from
`uvx` (warm cache) to the first answer.

    .venv/bin/python benchmarks/bench_install.py [--runs 7] [--wheel dist/gex_mcp-X-py3-none-any.whl]

Builds the wheel (`python -m build --wheel`) unless `--wheel` names one, and packs the Claude
Desktop bundle with `npx @anthropic-ai/mcpb pack bundle/` (as tests/test_bundle.py does).
Then, after one warm-up run that fills uv's cache, `--runs` fresh processes of each, in turn
so they share the machine's load, each with an empty temporary GEX_DATA_DIR and run from an
empty folder:
  - `uvx --from WHEEL gex-mcp levels SPY --source demo --json`, launch to exit;
  - the same with `--offline` (uv resolves from its cache without asking the index);
  - `uvx --from WHEEL gex-mcp serve --source demo`, launch to the `initialize` answer,
    with and without `--offline`;
  - baselines: this venv's own `gex-mcp`, the same two commands, no uv in between.
Prints medians (min-max) in seconds. `uvx` is `uv tool run`; uv comes from the test extra.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MCPB = "@anthropic-ai/mcpb@2.1.2"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}


def _env(data: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE (set on some development machines) is dropped, as on a user's:
    # uv installs without .pyc files and the first run writes them into its cached
    # environment; with it set, every uvx start would compile ~50 packages' sources again.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
           and not k.startswith("GEX_")}
    env.update({"GEX_DATA_DIR": str(data), "MPLCONFIGDIR": str(data / "mpl"),
                "UV_PYTHON_DOWNLOADS": "never"})
    return env


def _timed_exit(command: list[str]) -> float:
    """Seconds from launch to exit of `command` (its JSON answer printed)."""
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as empty:
        started = time.perf_counter()
        done = subprocess.run(command, cwd=empty, env=_env(Path(data)), capture_output=True, text=True)
        took = time.perf_counter() - started
    if done.returncode != 0 or not json.loads(done.stdout).get("symbol"):
        raise SystemExit(f"{command} failed:\n{done.stderr[-2000:]}")
    return took


def _timed_initialize(command: list[str]) -> float:
    """Seconds from launch to the `initialize` answer on stdout of a stdio server."""
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as empty:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=empty, env=_env(Path(data)), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        process.stdin.flush()
        line = process.stdout.readline()
        took = time.perf_counter() - started
        process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if b'"serverInfo"' not in line:
        raise SystemExit(f"{command} gave no initialize answer: {line[:300]!r}")
    return took


def _build_wheel(out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = out.glob("*.whl")
    return wheel


def _bundle_size(out: Path) -> int:
    target = out / "gex-mcp.mcpb"
    subprocess.run(["npx", "--yes", MCPB, "pack", str(ROOT / "bundle"), str(target)], check=True,
                   capture_output=True)
    return target.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--wheel", type=Path, help="a built wheel (default: build one)")
    args = parser.parse_args()
    from uv import find_uv_bin

    uv = find_uv_bin()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel.resolve() if args.wheel else _build_wheel(Path(tmp))
        files = len(zipfile.ZipFile(wheel).namelist())
        print(f"wheel {wheel.name}: {wheel.stat().st_size:,} bytes "
              f"({wheel.stat().st_size / 1024:.0f} KiB), {files} files")
        print(f"bundle (mcpb pack bundle/): {_bundle_size(Path(tmp)):,} bytes")
        uvx = [uv, "tool", "run", "--python", sys.executable, "--from", str(wheel), "gex-mcp"]
        uvx_offline = [uv, "tool", "run", "--offline", "--python", sys.executable, "--from",
                       str(wheel), "gex-mcp"]
        local = [str(Path(sys.executable).parent / "gex-mcp")]
        levels = ["levels", "SPY", "--source", "demo", "--json"]
        serve = ["serve", "--source", "demo"]
        _timed_exit(uvx + levels)  # warm-up: uv builds its environment once, then caches it
        _timed_initialize(uvx + serve)  # ... and the first import of the SDK writes its .pyc
        cases = {
            "uvx levels --json (launch to exit)": lambda: _timed_exit(uvx + levels),
            "uvx --offline levels --json": lambda: _timed_exit(uvx_offline + levels),
            "uvx serve (launch to initialize answer)": lambda: _timed_initialize(uvx + serve),
            "uvx --offline serve to initialize": lambda: _timed_initialize(uvx_offline + serve),
            "venv gex-mcp levels --json (baseline)": lambda: _timed_exit(local + levels),
            "venv gex-mcp serve to initialize (baseline)": lambda: _timed_initialize(local + serve),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, case in cases.items():
                times[name].append(case())
    load = os.getloadavg()[0]
    print(f"{args.runs} runs each, interleaved; 1-minute load average at the end {load:.2f}")
    for name, values in times.items():
        print(f"  {name:45s} {statistics.median(values):.3f} s  ({min(values):.3f}-{max(values):.3f})")


if __name__ == "__main__":
    main()
