"""Waiting for and stopping a child process in tests and benchmarks."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_or_kill(process: subprocess.Popen, timeout: float) -> None:
    """Wait up to `timeout` seconds for `process` to exit (after a signal or closed input);
    kill it if it has not, so a hung server never outlives its test."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_healthy(url: str, process: subprocess.Popen, seconds: float) -> bool:
    """Poll `url`/health until it answers 200 (True), or until `process` exits or `seconds`
    pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url + "/health", timeout=1).raise_for_status()
            return True
        except httpx.HTTPError:
            time.sleep(0.1)
    return False
