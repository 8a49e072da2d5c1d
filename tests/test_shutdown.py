"""SIGTERM exits within 5 s whatever is in flight (issue 26, point 5).

The campaign's shutdown waited 45 s for an upstream fetch. Here the loopback upstream sits
on AAPL's chain for 60 s while a REST client waits, and on GOOGL's while an MCP tool call
waits; the served process gets SIGTERM.
"""

from __future__ import annotations

from tests.shutdown_run import seconds_to_exit_with_a_fetch_in_flight


def test_sigterm_with_a_hanging_upstream_fetch_exits_within_5_s():
    took, code, log = seconds_to_exit_with_a_fetch_in_flight(hang_seconds=60, wait_limit=20)
    assert took < 5, (took, log)
    assert code == 0, log
    assert "Traceback" not in log, log
    assert "a request in flight was cancelled at shutdown" in log
    assert "gex-mcp stopped; data source and cache closed" in log
