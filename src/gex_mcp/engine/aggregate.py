"""Sums per (strike, side): the one bincount every per-strike table is built from."""

from __future__ import annotations

import numpy as np


def sum_by_strike(index: np.ndarray, n_strikes: int, is_call: np.ndarray,
                  values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(call sums, put sums) of `values` per strike slot `index` in [0, n_strikes)."""
    slot = np.asarray(index, dtype=np.int64) * 2 + np.asarray(is_call, dtype=np.int64)
    sums = np.bincount(slot, weights=values, minlength=2 * n_strikes).reshape(n_strikes, 2)
    return sums[:, 1], sums[:, 0]


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each one's first row, slot of every row): what
    `np.unique(values, return_index=True, return_inverse=True)` gives, by a stable sort,
    which is 3-4x faster on chain columns (already sorted within each expiry: timsort merges
    the runs) than np.unique's quicksort."""
    values = np.asarray(values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(len(ordered), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], order[first], inverse


def oi_change_by_strike(change_strike: np.ndarray, change_is_call: np.ndarray,
                        change_value: np.ndarray):
    """Per distinct strike of the change rows: (strikes, call change, put change,
    call known, put known); "known" is False where no row of that side was reported."""
    strikes, idx = np.unique(change_strike, return_inverse=True)
    n = len(strikes)
    call, put = sum_by_strike(idx, n, change_is_call, change_value)
    call_rows, put_rows = sum_by_strike(idx, n, change_is_call, np.ones(len(idx)))
    return strikes, call, put, call_rows > 0, put_rows > 0
