"""The quotes' clock read from the file's own evidence: its vendor IV column.

A download holds quotes made at one moment: the download time itself (a session was open,
the overnight one included) or the last session's close. The calendar guesses which from the
download time alone, and guesses wrong when a session was open but the file was not refreshed:
`cboe_quotedata_SPX_2023-08-20.csv`, saved on Sunday at 22:42 (SPX trades from 20:15), holds
Friday's closing quotes. Where the file quotes an IV per option, the vendor computed it from
that option's mid at the quotes' time, so the candidate time from which the mids reproduce the
quoted IVs is the quotes' time:

    misfit(t0) = median over sampled rows of |σ(mid; T = settle - t0) - σ_quoted|   (vol, decimal)

σ(mid; T) is the Black-Scholes-Merton IV of the mid at the file's spot (r = DEFAULT_RATE,
q = 0, the same for every candidate, so carry errors cancel in the comparison). Rows: two-sided
quotes, quoted IV within the engine's band, strike within `MONEYNESS` of spot in log terms,
more than an hour and at most `HORIZON_DAYS` from every candidate (where a few hours or days
change T the most); at most `SAMPLE` of them, spread evenly. The calendar's choice stands
unless another candidate's misfit is below `MARGIN` times its own.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np

from gex_mcp.engine.calendar import NEW_YORK, SECONDS_PER_YEAR, last_close
from gex_mcp.engine.chain import OptionChain, two_sided
from gex_mcp.engine.greeks import IV_CAP, IV_FLOOR, implied_vol
from gex_mcp.engine.prepare import DEFAULT_RATE

MONEYNESS = 0.15  # |ln(K/S)|
HORIZON_DAYS = 60.0
SAMPLE = 200
MIN_ROWS = 20
MARGIN = 0.5


def _misfit(chain: OptionChain, rows: np.ndarray, mid: np.ndarray, start: datetime,
            ) -> tuple[float, float]:
    """(median |σ(mid) - σ_quoted|, median σ(mid)/σ_quoted) with T measured from `start`."""
    t = (chain.settle_time[rows] - start.timestamp()) / SECONDS_PER_YEAR
    implied = implied_vol(mid, chain.spot, chain.strike[rows], t, chain.is_call[rows], DEFAULT_RATE)
    quoted = chain.iv[rows]
    ok = np.isfinite(implied)
    if np.count_nonzero(ok) < MIN_ROWS // 2:
        return float("inf"), float("nan")
    return (float(np.median(np.abs(implied[ok] - quoted[ok]))),
            float(np.median(implied[ok] / quoted[ok])))


def clock_from_ivs(chain: OptionChain, seen: datetime) -> OptionChain:
    """`chain` with `as_of` (and `retrieved_at`) set to the candidate time whose time to expiry
    best reproduces its quoted IVs (module doc); `quote_clock` says which and how well, and a
    note when that overrules the calendar. Misfits in vol points, ratio = median implied/quoted.

    Candidates: the calendar's `chain.as_of`, the download time `seen`, and the last session's
    close at or before `seen`. The chain is returned unchanged without enough rows to judge
    by or with a single candidate.
    """
    candidates = {"the calendar's choice": chain.as_of, "the download time": seen,
                  "the last session's close": last_close(seen, chain.symbol)}
    distinct: dict[datetime, str] = {}
    for label, moment in candidates.items():
        distinct.setdefault(moment, label)
    if len(distinct) < 2:
        return chain
    latest = max(distinct).timestamp()
    earliest = min(distinct).timestamp()
    rows = (two_sided(chain.bid, chain.ask) & np.isfinite(chain.iv)
            & (chain.iv >= IV_FLOOR) & (chain.iv <= IV_CAP)
            & (np.abs(np.log(chain.strike / chain.spot)) <= MONEYNESS)
            & (chain.settle_time - latest > 3600.0)
            & (chain.settle_time - earliest <= HORIZON_DAYS * 86400.0))
    idx = np.flatnonzero(rows)
    if len(idx) < MIN_ROWS:
        return chain
    if len(idx) > SAMPLE:
        idx = idx[np.linspace(0, len(idx) - 1, SAMPLE).astype(np.int64)]
    mid = 0.5 * (chain.bid[idx] + chain.ask[idx])
    fits = {moment: _misfit(chain, idx, mid, moment) for moment in distinct}
    best = min(fits, key=lambda m: fits[m][0])
    if not fits[best][0] < MARGIN * fits[chain.as_of][0]:
        best = chain.as_of
    misfit, ratio = fits[best]
    others = "; ".join(f"{distinct[m].removeprefix('the ')} {_when(m)}: {fits[m][0] * 100:.2f}"
                       for m in sorted(distinct) if m != best)
    evidence = (f"{_when(best)} ({distinct[best].removeprefix('the ')}): IVs fit to "
                f"{misfit * 100:.2f} vol pts ({len(idx)} rows, ratio {ratio:.3f}); {others}")
    notes = chain.notes
    if best != chain.as_of:
        notes = (*notes, f"quotes timed {_when(best)}, not {_when(chain.as_of)}: {evidence}")
    return replace(chain, as_of=best, retrieved_at=None if best == seen else seen,
                   notes=notes, quote_clock=evidence)


def _when(moment: datetime) -> str:
    return moment.astimezone(NEW_YORK).strftime("%a %Y-%m-%d %H:%M")
