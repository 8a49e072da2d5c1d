"""Gzip bombs asked for by the served REST API: memory and /health stay bounded (issue 26, point 1).

Scaled down from the campaign (1 GiB bombs): 256 MB bombs, 8 in a row then 2 rounds of 4
at once, against the default 32 MB cap. Before bounded inflating this took the server
from ~110 MB to ~770 MB, never given back, and stalled /health ~300 ms.
`benchmarks/bench_gzip_bomb.py` runs the full size.
"""

from __future__ import annotations

from tests.bombs import run_bombs


def test_bombs_leave_memory_and_health_alone():
    figures = run_bombs(inflated_mb=256, sequential=8, concurrent=4, rounds=2)
    assert figures.statuses == [502] * 16  # each a clear upstream error, never a 500
    assert figures.peak_rss_mb - figures.start_rss_mb < 50, figures
    assert figures.end_rss_mb - figures.start_rss_mb < 50, figures
    assert figures.health_failures == 0
    slow = [ms for ms in figures.health_ms if ms > 100]
    assert len(slow) <= 1, figures.health_ms  # one scheduling hiccup on a shared machine at most
    assert len(figures.health_ms) > 10
