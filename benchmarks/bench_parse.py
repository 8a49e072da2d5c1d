"""Parse-speed benchmark: our chain parser beside pandas on the same bytes, in one run.

Run: .venv/bin/python benchmarks/bench_parse.py [--repeat N] [--chains DIR] [--only TEXT]

For every fixture in ../shared/chains (quote-table CSV, legacy .dat, delayed-quotes JSON) the
file's bytes are read once into memory, then timed N times each, interleaved (ours, pandas,
ours, pandas, ...) so both see the same machine load:

- ours: `gex_mcp.parsing.parse_chain_bytes` (decode, split, numbers, OCC symbols, dates,
  every strictness check, the finished `OptionChain`);
- pandas, tables: `pandas.read_csv` of the same bytes from the column header on (the
  preamble skipped by a zero-copy slice; it decodes no OCC symbols or dates, checks nothing);
- pandas, JSON: `json.loads` + `pandas.DataFrame` of `data.options`.

Prints medians in ms, throughput in MB/s (MB = 10^6 bytes) and ours / pandas. pandas is only
for this benchmark (`.venv/bin/pip install pandas`), never a dependency of gex-mcp; without
it the script still times our parser and says that pandas is missing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from gex_mcp.parsing import parse_chain_bytes

DEFAULT_CHAINS = Path(__file__).resolve().parents[1].parent / "shared" / "chains"

try:
    import pandas as pd
except ImportError:  # benchmark-only dependency
    pd = None


def header_offset(data: bytes) -> int:
    """Byte offset of the "Expiration Date,..." column header (start of its line)."""
    return data.rindex(b"\n", 0, data.index(b"Expiration Date")) + 1


def pandas_reader(path: Path, data: bytes):
    """A zero-argument function parsing `data` with pandas the closest way to ours."""
    if path.suffix == ".json":
        def read_json():
            return pd.DataFrame(json.loads(data)["data"]["options"])
        return read_json
    table = memoryview(data)[header_offset(data):]  # skiprows miscounts quoted preambles

    def read_table():
        return pd.read_csv(io.BytesIO(table))
    return read_table


def interleaved(functions: list, repeat: int) -> list[float]:
    """Median seconds of each function, run round-robin `repeat` times after one warm-up."""
    for fn in functions:
        fn()
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for fn, bucket in zip(functions, times, strict=True):
            t0 = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - t0)
    return [statistics.median(bucket) for bucket in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--chains", type=Path, default=DEFAULT_CHAINS)
    parser.add_argument("--only", default="", help="only files whose name contains this")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__ if pd else 'MISSING'}, {os.cpu_count()} cpus, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(not set)')}, "
          f"median of {args.repeat}, interleaved")
    if pd is None:
        print("pandas is not installed: timing our parser only. For the side-by-side figures: "
              ".venv/bin/pip install pandas (benchmark only, not a gex-mcp dependency)")
    paths = sorted(p for p in args.chains.iterdir()
                   if p.suffix in (".csv", ".dat", ".json") and args.only in p.name)
    print(f"{'file':<46} {'MB':>5} {'contracts':>9} {'ours ms':>8} {'MB/s':>6} "
          f"{'pandas ms':>9} {'MB/s':>6} {'ratio':>6}")
    ratios: dict[str, list[float]] = {}
    for path in paths:
        data = path.read_bytes()
        megabytes = len(data) / 1e6
        ours = lambda d=data, n=path.name: parse_chain_bytes(d, name=n)  # noqa: E731
        contracts = len(ours())
        if pd is None:
            (ours_s,) = interleaved([ours], args.repeat)
            print(f"{path.name:<46} {megabytes:>5.2f} {contracts:>9,} {ours_s * 1e3:>8.1f} "
                  f"{megabytes / ours_s:>6.1f}")
            continue
        ours_s, pandas_s = interleaved([ours, pandas_reader(path, data)], args.repeat)
        ratio = ours_s / pandas_s
        ratios.setdefault(path.suffix, []).append(ratio)
        print(f"{path.name:<46} {megabytes:>5.2f} {contracts:>9,} {ours_s * 1e3:>8.1f} "
              f"{megabytes / ours_s:>6.1f} {pandas_s * 1e3:>9.1f} {megabytes / pandas_s:>6.1f} "
              f"{ratio:>6.2f}")
    for suffix, values in ratios.items():
        print(f"{suffix}: ours / pandas median {statistics.median(values):.2f} "
              f"(range {min(values):.2f}-{max(values):.2f}, {len(values)} files)")


if __name__ == "__main__":
    main()
