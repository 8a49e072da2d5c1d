"""Stopping a child process in tests and benchmarks."""

from __future__ import annotations

import subprocess


def wait_or_kill(process: subprocess.Popen, timeout: float) -> None:
    """Wait up to `timeout` seconds for `process` to exit (after a signal or closed input);
    kill it if it has not, so a hung server never outlives its test."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
