"""Start-up time of whole processes, beside the cost of importing numpy alone.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7]

Five figures, each the median (and min / max) of `--runs` fresh processes, measured in
the same run so they share the machine's load:
  - baseline: `python -c "import numpy"`;
  - floor: the MCP SDK alone, an empty `MCPServer` on stdio, launch to its `initialize`
    answer (what any server built on this SDK pays before it can answer);
  - `gex-mcp levels SPY --source demo --json`, launch to exit (the answer printed);
  - `gex-mcp serve --source demo` (stdio), launch to the `initialize` answer on stdout;
  - the same server, launch to the answer of the `tools/list` sent right after the
    handshake (the tools are built on that first request: this shows the whole wait).
Each process gets a fresh temporary GEX_DATA_DIR (an empty cache, as on a first run);
the interpreter is this one, its `gex-mcp` entry point beside it. Goals (issue 15): levels
at most 0.6 s, initialize at most 0.8 s.
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
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "bench", "version": "0"}}}) + "\n"
TOOLS_LIST = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n" + json.dumps(
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}) + "\n"
EMPTY_SERVER = ("from mcp.server.mcpserver import MCPServer\n"
                "MCPServer('empty').run()\n")


def environment(data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEX_", "FLASHALPHA_"))}
    env.update(GEX_DATA_DIR=data_dir, MPLCONFIGDIR=str(Path(data_dir) / "mpl"),
               GEX_LOG_LEVEL="WARNING")
    return env


def run_to_exit(argv: list[str]) -> Callable[[str], float]:
    def once(data_dir: str) -> float:
        start = time.perf_counter()
        done = subprocess.run(argv, env=environment(data_dir), capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[-500:]}")
        return elapsed
    return once


def stdio_answer(argv: list[str], *, tools: bool = False) -> Callable[[str], float]:
    """Launch to the `initialize` answer (or, with `tools`, to the `tools/list` answer
    that follows the handshake)."""
    def once(data_dir: str) -> float:
        start = time.perf_counter()
        server = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=environment(data_dir))
        try:
            server.stdin.write(INITIALIZE.encode())
            server.stdin.flush()
            line = server.stdout.readline()
            if b'"serverInfo"' not in line:
                raise SystemExit(f"no initialize answer: {line[:300]!r}")
            if tools:
                server.stdin.write(TOOLS_LIST.encode())
                server.stdin.flush()
                line = server.stdout.readline()
                if b'"tools"' not in line:
                    raise SystemExit(f"no tools/list answer: {line[:300]!r}")
            return time.perf_counter() - start
        finally:
            server.stdin.close()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            server.stdout.close()
    return once


def measure(runs: int) -> dict[str, list[float]]:
    serve = [str(BIN / "gex-mcp"), "serve", "--source", "demo"]
    cases: dict[str, Callable[[str], float]] = {
        'python -c "import numpy"': run_to_exit([sys.executable, "-c", "import numpy"]),
        "gex-mcp levels SPY --source demo --json": run_to_exit(
            [str(BIN / "gex-mcp"), "levels", "SPY", "--source", "demo", "--json"]),
        "MCP SDK alone: empty MCPServer -> initialize": stdio_answer(
            [sys.executable, "-c", EMPTY_SERVER]),
        "gex-mcp serve --source demo -> initialize": stdio_answer(serve),
        "gex-mcp serve --source demo -> tools/list": stdio_answer(serve, tools=True),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):  # interleaved, so a burst of load hits every case alike
        for name, once in cases.items():
            with tempfile.TemporaryDirectory(prefix="gex-bench-startup-") as data_dir:
                times[name].append(once(data_dir))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(not set)')}; {args.runs} runs each, interleaved")
    for name, values in measure(args.runs).items():
        print(f"{name:46s} median {statistics.median(values):.3f} s  "
              f"(min {min(values):.3f}, max {max(values):.3f})")


if __name__ == "__main__":
    main()
