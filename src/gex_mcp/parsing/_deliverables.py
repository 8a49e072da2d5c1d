"""Dropping adjusted contracts: roots ending in a digit ("AMD1") after a split or merger.

Their deliverable is not 100 shares of the underlying (cash, other shares, odd lots), so
their gamma is not the underlying's gamma; every loader drops them and says so in a note.
"""

from __future__ import annotations

import numpy as np

from gex_mcp.errors import SourceDataError
from gex_mcp.parsing.occ import is_adjusted_root


def drop_adjusted(columns: dict[str, np.ndarray], *, name: str, notes: list[str],
                  roots: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The same columns without rows whose `root` is adjusted; appends a note when any go.

    `roots`: the distinct values of `columns["root"]`, when the caller knows them already.

    Raises:
        SourceDataError: every row is adjusted, so nothing is left.
    """
    root = columns["root"]
    distinct = sorted(roots) if roots is not None else np.unique(root).tolist()
    adjusted = [r for r in distinct if is_adjusted_root(r)]
    if not adjusted:
        return columns
    keep = ~np.isin(root, adjusted)
    if not keep.any():
        raise SourceDataError(f"{name}: no options with a standard deliverable (all roots "
                              f"are adjusted: {', '.join(adjusted)})")
    notes.append(f"dropped {int((~keep).sum())} contracts of adjusted roots "
                 f"{', '.join(adjusted)} (non-standard deliverables)")
    return {key: value[keep] for key, value in columns.items()}
