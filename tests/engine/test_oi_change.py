"""Day-over-day OI change from a stored per-strike snapshot, against a dictionary definition."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gex_mcp.engine.prepare import _strike_oi_change

oi_books = st.dictionaries(
    st.integers(700, 1300).map(lambda k: k * 0.5),
    st.tuples(st.integers(0, 50_000).map(float), st.integers(0, 50_000).map(float)),
    max_size=25)


def dict_oi_change(current, previous):
    """The definition: every strike seen on either day; a missing day counts as zero OI."""
    zero = (0.0, 0.0)
    return {k: (current.get(k, zero)[0] - previous.get(k, zero)[0],
                current.get(k, zero)[1] - previous.get(k, zero)[1])
            for k in set(current) | set(previous)}


@given(current=oi_books, previous=oi_books, seed=st.integers(0, 2**32 - 1))
def test_strike_oi_change_matches_a_dictionary_computation(current, previous, seed):
    """Contract rows today minus a per-strike snapshot equals the per-strike definition."""
    rng = np.random.default_rng(seed)
    # today's OI as contract rows: each side split over two expiries, in random order
    rows = [(k, side, part) for k, (c, p) in current.items()
            for side, total in ((True, c), (False, p)) for part in (total * 0.25, total * 0.75)]
    order = rng.permutation(len(rows))
    strike = np.array([rows[i][0] for i in order], dtype=float)
    is_call = np.array([rows[i][1] for i in order], dtype=bool)
    oi = np.array([rows[i][2] for i in order], dtype=float)
    prev_k = np.array(sorted(previous), dtype=float)
    previous_arrays = (prev_k, np.array([previous[k][0] for k in prev_k]),
                       np.array([previous[k][1] for k in prev_k]))
    k, calls, value = _strike_oi_change(strike, is_call, oi, previous_arrays)
    got: dict[float, list[float]] = {}
    for kk, c, v in zip(k.tolist(), calls.tolist(), value.tolist(), strict=True):
        got.setdefault(kk, [0.0, 0.0])[0 if c else 1] += v
    expected = dict_oi_change(current, previous)
    assert set(got) == set(expected)
    for kk, (c, p) in expected.items():
        assert got[kk][0] == c and got[kk][1] == p
