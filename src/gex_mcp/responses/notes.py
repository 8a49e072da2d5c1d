"""The notes that change how to read an answer: short sentences every answer carries.

`data_quality` (on the per-strike answers and the summary) holds the complete counts; the
`notes` of every answer (and of every scan row and chart) say in words what matters:

- the engine's own remarks (partial listing or a single expiration, forward fallbacks,
  implausible or percent IVs) and the loader's about contracts (absurd OI); the loader's
  remarks about the file's spelling stay in `data_quality.notes` alone;
- skipped contracts: iv_missing_skipped / contracts_total x 100 above `SKIPPED_SHARE_PCT`;
- implausible carry: an expiration `CARRY_MIN_DAYS` or more out whose parity forward implies
  |ln(F/S)/T| x 100 above `CARRY_MAX_PCT` percent a year (a stale spot, a dividend or borrow);
- the snapshot's age (see `gex_mcp.responses.age`), added per call.
"""

from __future__ import annotations

from gex_mcp.engine.analysis import ChainAnalysis

SKIPPED_SHARE_PCT = 5.0  # percent of the snapshot's contracts
CARRY_MAX_PCT = 20.0  # percent a year
CARRY_MIN_DAYS = 7.0  # shorter expirations turn a cent of basis into a large annual rate


def reading_notes(a: ChainAnalysis) -> list[str]:
    """The data-quality notes of one analysis, in order of weight (see the module docstring)."""
    q = a.prepared.quality
    spelling = {n for n in a.chain.notes if "contract" not in n}
    notes = [n for n in q.notes if n not in spelling]
    if q.contracts_total and q.iv_missing_skipped / q.contracts_total * 100 > SKIPPED_SHARE_PCT:
        share = q.iv_missing_skipped / q.contracts_total * 100
        notes.append(f"{share:.0f}% of the snapshot's contracts ({q.iv_missing_skipped:,} of "
                     f"{q.contracts_total:,}) were skipped for a missing IV: totals and levels "
                     "leave them out.")
    odd = [e for e in a.expiries if e.implied_carry_pct is not None
           and e.days_to_expiry >= CARRY_MIN_DAYS and abs(e.implied_carry_pct) > CARRY_MAX_PCT]
    if odd:
        listed = ", ".join(f"{e.expiration} ({e.implied_carry_pct:+.1f}%)" for e in odd[:3])
        more = f" and {len(odd) - 3} more" if len(odd) > 3 else ""
        notes.append(f"{len(odd)} expiration{'s' if len(odd) > 1 else ''} {CARRY_MIN_DAYS:g} or "
                     f"more days out imply a carry beyond ±{CARRY_MAX_PCT:g}% a year from "
                     f"put-call parity: {listed}{more}; a stale spot, a dividend or borrow "
                     "cost; their greeks are priced off that forward.")
    return notes


__all__ = ["CARRY_MAX_PCT", "SKIPPED_SHARE_PCT", "reading_notes"]
