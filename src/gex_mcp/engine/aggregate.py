"""Sums per (strike, side): the one bincount every per-strike table is built from."""

from __future__ import annotations

import numpy as np


def sum_by_strike(index: np.ndarray, n_strikes: int, is_call: np.ndarray,
                  values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(call sums, put sums) of `values` per strike slot `index` in [0, n_strikes)."""
    slot = np.asarray(index, dtype=np.int64) * 2 + np.asarray(is_call, dtype=np.int64)
    sums = np.bincount(slot, weights=values, minlength=2 * n_strikes).reshape(n_strikes, 2)
    return sums[:, 1], sums[:, 0]


def oi_change_by_strike(change_strike: np.ndarray, change_is_call: np.ndarray,
                        change_value: np.ndarray):
    """Per distinct strike of the change rows: (strikes, call change, put change,
    call known, put known); "known" is False where no row of that side was reported."""
    strikes, idx = np.unique(change_strike, return_inverse=True)
    n = len(strikes)
    call, put = sum_by_strike(idx, n, change_is_call, change_value)
    call_rows, put_rows = sum_by_strike(idx, n, change_is_call, np.ones(len(idx)))
    return strikes, call, put, call_rows > 0, put_rows > 0
