"""Full-size gzip bombs against `gex-mcp serve --transport http` (issue 26, point 1).

    .venv/bin/python benchmarks/bench_gzip_bomb.py [inflated_mb=1024]

1 MiB of gzip inflating to 1 GiB, served by the loopback upstream for every AAPL chain
request: 8 levels requests in a row, then 2 rounds of 4 at once, /health polled every
20 ms. Prints the server's RSS (start, peak, end) and /health latency.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _http_server import machine_line, percentile  # noqa: E402

from tests.bombs import run_bombs  # noqa: E402


def main() -> None:
    inflated_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    f = run_bombs(inflated_mb=inflated_mb, sequential=8, concurrent=4, rounds=2)
    print(machine_line())
    print(f"{inflated_mb} MB bombs, 8 sequential + 2 x 4 concurrent: statuses {sorted(set(f.statuses))}")
    print(f"RSS start {f.start_rss_mb:.0f} MB, peak {f.peak_rss_mb:.0f} MB, end {f.end_rss_mb:.0f} MB")
    print(f"/health: {len(f.health_ms)} probes, p50 {percentile(f.health_ms, 0.5):.1f} ms, "
          f"max {max(f.health_ms):.1f} ms, failures {f.health_failures}")


if __name__ == "__main__":
    main()
