"""Engine benchmark: parse time and full-analysis time per SPX fixture.

Run: .venv/bin/python benchmarks/bench_engine.py [--repeat N] [--chains DIR]

Prints, per SPX snapshot in ../shared/chains: contracts, parse time (median), analysis
time (median of N runs of analyze_chain: preparation incl. parity forwards and IV
re-implication, greeks, per-strike exposures, levels, regime and the gamma flip: what every
answer, a scan row included, needs), the same plus the parts computed on first use (the ±1%
hedging flows, the expiry breakdown, the OI movers: what `summary` reads), the parity
forwards alone (part of the analysis), the flip alone, and nanoseconds per option evaluation
in the flip's float32 lattice scan (contracts scanned x spot points).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.calendar import MIN_T_YEARS, years_to_expiry
from gex_mcp.engine.flip import LATTICE_STEP, GammaProfile
from gex_mcp.engine.forwards import parity_forwards
from gex_mcp.engine.prepare import prepare_chain
from gex_mcp.parsing import load_chain_file

DEFAULT_CHAINS = Path(__file__).resolve().parents[1].parent / "shared" / "chains"


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def full_analysis(chain):
    """analyze_chain and the parts it computes on first use."""
    a = analyze_chain(chain, rate=0.04)
    return a.hedge_up, a.hedge_down, a.expiries, a.oi_movers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--chains", type=Path, default=DEFAULT_CHAINS)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(not set)')}")
    print(f"{'file':<48} {'contracts':>9} {'parse ms':>9} {'analyse ms':>10} {'+lazy ms':>9} "
          f"{'fwd ms':>7} {'flip ms':>8} {'ns/eval':>8}")
    for path in sorted(args.chains.glob("*SPX*")):
        parse_s, chain = timed(lambda p=path: load_chain_file(p), max(3, args.repeat // 5))
        analyse_s, analysis = timed(lambda c=chain: analyze_chain(c, rate=0.04), args.repeat)
        full_s, _ = timed(lambda c=chain: full_analysis(c), args.repeat)
        prepared = prepare_chain(chain, rate=0.04)
        lo, hi = chain.spot * 0.8, chain.spot * 1.2
        profile = GammaProfile(prepared, lo, hi)
        n_points = int(np.log(hi / lo) / LATTICE_STEP) + 2
        grid = np.exp(np.linspace(np.log(lo), np.log(hi), n_points))
        scan_s, _ = timed(lambda f=profile, g=grid: f.scan(g), args.repeat)
        from gex_mcp.engine.flip import find_gamma_flip
        flip_s, _ = timed(lambda p=prepared: find_gamma_flip(p), args.repeat)
        t = years_to_expiry(chain.settle_time, chain.as_of)
        live, t = t > 0, np.maximum(t, MIN_T_YEARS)
        fwd_s, _ = timed(lambda c=chain, m=live, y=t: parity_forwards(c, m, y, 0.04, c.spot),
                         args.repeat)
        ns_per_eval = scan_s / (profile.contracts_scanned * n_points) * 1e9
        print(f"{path.name:<48} {len(chain):>9} {parse_s * 1e3:>9.1f} {analyse_s * 1e3:>10.2f} "
              f"{full_s * 1e3:>9.2f} {fwd_s * 1e3:>7.2f} {flip_s * 1e3:>8.2f} {ns_per_eval:>8.2f}")
        _ = analysis


if __name__ == "__main__":
    main()
