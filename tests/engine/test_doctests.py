"""The textbook examples in engine docstrings are run, so they stay true."""

from __future__ import annotations

import doctest

import pytest

from gex_mcp import labels
from gex_mcp.engine import greeks, roots


@pytest.mark.parametrize("module", [greeks, labels, roots])
def test_docstring_examples_hold(module):
    """doctest finds examples in the module and they all pass."""
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
