"""The quotes' clock: a file downloaded outside a session holds the last close's quotes.

CBOE's quote table writes the download time in its Date line. A file saved on a Sunday
evening carries Friday's closing IVs and mids; measuring time to expiry from Sunday would mix
two clocks. `as_of` is the quotes' market time and `retrieved_at` the download time.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.calendar import NEW_YORK, SECONDS_PER_YEAR
from gex_mcp.engine.greeks import implied_vol
from gex_mcp.engine.prepare import DEFAULT_RATE, MAX_PLAUSIBLE_IV, MIN_PLAUSIBLE_IV
from gex_mcp.parsing import load_chain_file

AMD = "cboe_quotedata_AMD_2023-08-20.csv"
CSV_FIXTURES = sorted(p.name for p in (Path(__file__).resolve().parents[2].parent / "shared" / "chains")
                      .glob("cboe_quotedata_*.csv"))


def test_a_sunday_download_is_timed_at_fridays_close(chains_dir):
    chain = load_chain_file(chains_dir / AMD)
    assert chain.as_of == datetime(2023, 8, 18, 16, 0, tzinfo=NEW_YORK)
    assert chain.retrieved_at == datetime(2023, 8, 20, 22, 35, tzinfo=NEW_YORK)


def test_the_amd_file_equals_itself_with_the_date_line_moved_to_friday_close(chains_dir, tmp_path):
    text = (chains_dir / AMD).read_text(encoding="utf-8")
    moved = text.replace("Date: August 20, 2023 at 10:35 PM EDT", "Date: August 18, 2023 at 4:00 PM EDT")
    assert moved != text
    (tmp_path / AMD).write_text(moved, encoding="utf-8")
    downloaded, at_close = analyze_chain(load_chain_file(chains_dir / AMD)), analyze_chain(
        load_chain_file(tmp_path / AMD))
    assert downloaded.chain.as_of == at_close.chain.as_of
    assert at_close.chain.retrieved_at is None  # downloaded at the close: one clock
    for key, value in at_close.totals.items():
        assert downloaded.totals[key] == pytest.approx(value, rel=1e-12), key
    assert downloaded.flip.price == at_close.flip.price


def iv_misfit(chain, seconds_from: float) -> float:
    """Median |quoted IV - IV implied by the mid| over two-sided, plausible rows more than a
    day from expiry, time to expiry measured from `seconds_from` (Unix seconds)."""
    t = (chain.settle_time - seconds_from) / SECONDS_PER_YEAR
    mid = (chain.bid + chain.ask) / 2
    rows = (np.isfinite(chain.iv) & (chain.iv >= MIN_PLAUSIBLE_IV) & (chain.iv <= MAX_PLAUSIBLE_IV)
            & (chain.bid > 0) & (chain.ask > chain.bid) & (t > 1 / 365))
    implied = implied_vol(mid[rows], chain.spot, chain.strike[rows], t[rows], chain.is_call[rows], DEFAULT_RATE)
    ok = np.isfinite(implied)
    return float(np.median(np.abs(implied[ok] - chain.iv[rows][ok])))


@pytest.mark.parametrize("name", CSV_FIXTURES)
def test_quoted_ivs_fit_the_mids_better_at_the_quote_time_than_at_the_download_time(chains_dir, name):
    chain = load_chain_file(chains_dir / name)
    if chain.retrieved_at is None:  # downloaded while its options traded: one clock
        return
    at_quote = iv_misfit(chain, chain.as_of.timestamp())
    at_download = iv_misfit(chain, chain.retrieved_at.timestamp())
    gap_hours = (chain.retrieved_at - chain.as_of).total_seconds() / 3600
    if gap_hours > 6:  # an evening or weekend download: the wrong clock is clearly worse
        assert at_quote < at_download
    else:  # minutes to hours after the close: no worse, to 0.05 vol points
        assert at_quote <= at_download + 0.0005


def test_a_sunday_evening_spx_file_is_timed_by_its_ivs_at_fridays_close(chains_dir):
    """SPX 2023-08-20, saved on Sunday at 22:42 while the overnight session was open: the
    calendar alone would call its quotes live, but its own IV column is reproduced from the
    mids with Friday's 16:15 close and not with 22:42 (measured here by `iv_misfit`)."""
    chain = load_chain_file(chains_dir / "cboe_quotedata_SPX_2023-08-20.csv")
    friday = datetime(2023, 8, 18, 16, 15, tzinfo=NEW_YORK)
    sunday = datetime(2023, 8, 20, 22, 42, tzinfo=NEW_YORK)
    assert chain.as_of == friday and chain.retrieved_at == sunday
    assert iv_misfit(chain, friday.timestamp()) < 0.5 * iv_misfit(chain, sunday.timestamp())
    assert "last session's close" in chain.quote_clock
    assert any(note.startswith("quotes timed Fri 2023-08-18 16:15, not Sun 2023-08-20 22:42")
               for note in chain.notes)
    prepared = analyze_chain(chain).prepared
    assert prepared.quality.quote_clock == chain.quote_clock  # reaches data_quality


def test_a_weekday_evening_spx_file_keeps_its_live_overnight_clock(chains_dir):
    """SPX 2025-01-06 saved at 21:26, an overnight session open: its IVs fit 21:26 at least as
    well as the 16:15 close, so the quotes stay live."""
    chain = load_chain_file(chains_dir / "cboe_quotedata_SPX_2025-01-06_JAN-expiries.csv")
    live = datetime(2025, 1, 6, 21, 26, tzinfo=NEW_YORK)
    close = datetime(2025, 1, 6, 16, 15, tzinfo=NEW_YORK)
    assert chain.as_of == live and chain.retrieved_at is None
    assert iv_misfit(chain, live.timestamp()) <= iv_misfit(chain, close.timestamp())
    assert chain.quote_clock.startswith("Mon 2025-01-06 21:26")


def test_without_an_iv_column_the_calendar_decides(chains_dir, tmp_path):
    """The same Sunday SPX file with every IV blanked has no evidence: the calendar's
    overnight rule (SPX trades from 20:15 on Sunday) stands, and nothing is claimed."""
    lines = (chains_dir / "cboe_quotedata_SPX_2023-08-20.csv").read_text(encoding="utf-8").splitlines()
    header = lines[3].split(",")
    iv_columns = [i for i, name in enumerate(header) if name == "IV"]
    body = []
    for line in lines[4:]:
        cells = line.split(",")
        for i in iv_columns:
            cells[i] = "0"
        body.append(",".join(cells))
    (tmp_path / "spx.csv").write_text("\n".join(lines[:4] + body) + "\n", encoding="utf-8")
    chain = load_chain_file(tmp_path / "spx.csv")
    assert chain.as_of == datetime(2023, 8, 20, 22, 42, tzinfo=NEW_YORK)
    assert chain.quote_clock is None
