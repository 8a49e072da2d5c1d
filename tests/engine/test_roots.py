"""Brent's method: brackets respected, roots to tolerance, on smooth and nasty functions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gex_mcp.engine.roots import brent_root


@given(st.floats(-50, 50), st.floats(0.05, 20), st.floats(0.01, 10), st.floats(0.01, 10))
@settings(max_examples=300, deadline=None)
def test_the_root_of_a_monotone_function_is_found_to_tolerance(center, slope, left, right):
    def f(x: float) -> float:
        return math.tanh(slope * (x - center)) + 1e-3 * (x - center) ** 3

    root = brent_root(f, center - left, center + right, xtol=1e-12, rtol=1e-12)
    assert center - left <= root <= center + right
    assert abs(root - center) <= 1e-10 * (1 + abs(center))


def test_a_step_function_converges_on_the_jump():
    """No derivative to speak of: Brent falls back to bisection and still lands on the jump."""
    root = brent_root(lambda x: -1.0 if x < math.pi else 1.0, 0.0, 10.0, xtol=1e-12)
    assert abs(root - math.pi) < 1e-11


def test_an_exact_zero_at_an_end_is_returned_and_no_bracket_is_an_error():
    assert brent_root(lambda x: x - 2.0, 2.0, 5.0) == 2.0
    with pytest.raises(ValueError) as info:
        brent_root(lambda x: x * x + 1.0, -1.0, 1.0)
    assert str(info.value) == "f(a) and f(b) must have opposite signs"
