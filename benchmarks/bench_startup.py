"""Start-up time of whole processes, beside the cost of importing numpy alone.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7] [--before OLD/src]

Five figures, each the median (and min / max) of `--runs` fresh processes, measured in
the same run so they share the machine's load:
  - baseline: `python -c "import numpy"`;
  - floor: the MCP SDK alone, an empty `MCPServer` on stdio, launch to its `initialize`
    answer (what any server built on this SDK pays before it can answer);
  - `gex-mcp levels SPY --source demo --json`, launch to exit (the answer printed);
  - `gex-mcp serve --source demo` (stdio), launch to the `initialize` answer on stdout;
  - the same server, launch to the answer of the `tools/list` sent right after the
    handshake (the tools are built on that first request: this shows the whole wait).
With `--before`, each gex-mcp figure is also taken with PYTHONPATH set to another checkout's
`src` (e.g. `git archive OLD src | tar -x -C /tmp/old`), interleaved in the same run so both
versions share the machine's load; that `src` must provide the `gex-mcp` script's entry
module (`gex_mcp.launch`; for code older than it, a one-line `launch.py` importing
`main` from `gex_mcp.cli`, which is what the script ran then).
Beside the wall time, the CPU seconds the process had used by then (user + system, all its
threads; from /proc for a server still running), which depend far less on other load.
Each process gets a fresh temporary GEX_DATA_DIR (an empty cache, as on a first run);
the interpreter is this one, its `gex-mcp` entry point beside it. Goals (issue 15): levels
at most 0.6 s, initialize at most 0.8 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.processes import wait_or_kill  # noqa: E402

BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
Timing = tuple[float, float]  # wall seconds, CPU seconds
INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "bench", "version": "0"}}}) + "\n"
TOOLS_LIST = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n" + json.dumps(
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}) + "\n"
EMPTY_SERVER = ("from mcp.server.mcpserver import MCPServer\n"
                "MCPServer('empty').run()\n")


def environment(data_dir: str, src: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GEX_", "FLASHALPHA_")) and k != "PYTHONPATH"}
    env.update(GEX_DATA_DIR=data_dir, MPLCONFIGDIR=str(Path(data_dir) / "mpl"),
               GEX_LOG_LEVEL="WARNING")
    if src is not None:
        env["PYTHONPATH"] = src
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_to_exit(argv: list[str], src: str | None = None) -> Callable[[str], Timing]:
    def once(data_dir: str) -> Timing:
        cpu, start = children_cpu(), time.perf_counter()
        done = subprocess.run(argv, env=environment(data_dir, src), capture_output=True,
                              check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[-500:]}")
        return elapsed, children_cpu() - cpu
    return once


def stdio_answer(argv: list[str], *, tools: bool = False, src: str | None = None
                 ) -> Callable[[str], Timing]:
    """Launch to the `initialize` answer (or, with `tools`, to the `tools/list` answer
    that follows the handshake)."""
    def once(data_dir: str) -> Timing:
        start = time.perf_counter()
        server = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=environment(data_dir, src))
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
            return time.perf_counter() - start, process_cpu(server.pid)
        finally:
            server.stdin.close()
            wait_or_kill(server, 10)
            server.stdout.close()
    return once


def measure(runs: int, before: str | None = None) -> dict[str, list[Timing]]:
    serve = [str(BIN / "gex-mcp"), "serve", "--source", "demo"]
    levels = [str(BIN / "gex-mcp"), "levels", "SPY", "--source", "demo", "--json"]
    cases: dict[str, Callable[[str], Timing]] = {
        'python -c "import numpy"': run_to_exit([sys.executable, "-c", "import numpy"]),
        "MCP SDK alone: empty MCPServer -> initialize": stdio_answer(
            [sys.executable, "-c", EMPTY_SERVER]),
    }
    for label, src in [("", None)] + ([(" (before)", before)] if before else []):
        cases.update({
            "gex-mcp levels SPY --source demo --json" + label: run_to_exit(levels, src),
            "gex-mcp serve --source demo -> initialize" + label: stdio_answer(serve, src=src),
            "gex-mcp serve --source demo -> tools/list" + label: stdio_answer(
                serve, tools=True, src=src),
        })
    times: dict[str, list[Timing]] = {name: [] for name in cases}
    for _ in range(runs):  # interleaved, so a burst of load hits every case alike
        for name, once in cases.items():
            with tempfile.TemporaryDirectory(prefix="gex-bench-startup-") as data_dir:
                times[name].append(once(data_dir))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", metavar="SRC", help="also time the `src` folder of other "
                                                        "code, interleaved (see above)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(not set)')}; {args.runs} runs each, interleaved; "
          f"load average before {os.getloadavg()[0]:.2f}")
    for name, timings in measure(args.runs, args.before).items():
        wall, cpu = (list(values) for values in zip(*timings, strict=True))
        print(f"{name:55s} median {statistics.median(wall):.3f} s  "
              f"(min {min(wall):.3f}, max {max(wall):.3f}); CPU {statistics.median(cpu):.2f} s")
    print(f"load average after {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
