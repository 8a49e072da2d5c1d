"""Level history: storage per symbol per day at a one-minute poll, and the time of a
`history` (and `level_accuracy`) query over 30 days.

    .venv/bin/python benchmarks/bench_history.py [--symbols SPY SPX] [--runs 20]

For each symbol, one session of the demo market is analysed every minute (09:30-15:59 New
York, 390 snapshots) and each analysis's `LevelRecord` stored in a fresh SQLite file, as a
live source polled each minute would leave them; bytes per day = the file's growth (page
count x page size, after a checkpoint) / 1. That day's records are then repeated over the
30 days before (21 trading sessions, 8,190 records) and `history` (days=30, interval auto)
and `level_accuracy` (days=30) are timed through `GexService`, median and worst of --runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import anyio

from gex_mcp.backends.options import Stores
from gex_mcp.engine.analysis import analyze_chain
from gex_mcp.engine.calendar import NEW_YORK, is_trading_day
from gex_mcp.models.level_record import level_record
from gex_mcp.service import GexService
from gex_mcp.sources.cboe import CboeSource
from gex_mcp.sources.demo import generate_chain
from gex_mcp.store import open_database
from gex_mcp.store.cache import ChainCache
from gex_mcp.store.levels import SqliteLevelStore

LAST_DAY = datetime(2026, 11, 20).date()  # a Friday


def db_bytes(conn) -> int:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    return pages * conn.execute("PRAGMA page_size").fetchone()[0]


def one_session(symbol: str, day) -> list:
    start = datetime.combine(day, datetime.min.time(), NEW_YORK) + timedelta(hours=9, minutes=30)
    return [level_record(analyze_chain(generate_chain(symbol, start + timedelta(minutes=m))))
            for m in range(390)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", nargs="+", default=["SPY", "SPX"])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(not set)')}")
    sessions = []
    day = LAST_DAY
    while len(sessions) < 21:
        if is_trading_day(day):
            sessions.append(day)
        day -= timedelta(days=1)
    for symbol in args.symbols:
        started = time.perf_counter()
        records = one_session(symbol, LAST_DAY)
        made = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            conn = open_database(Path(folder) / "gex.db")
            store = SqliteLevelStore(conn)
            empty = db_bytes(conn)
            for r in records:
                store.record(symbol, "cboe", r)
            per_day = db_bytes(conn) - empty
            strikes = len(records[0].strikes)
            for back in sessions[1:]:
                shift = datetime.combine(back, datetime.min.time()) - datetime.combine(LAST_DAY, datetime.min.time())
                for r in records:
                    store.record(symbol, "cboe", replace(r, as_of=r.as_of + shift))
            total = len(store.records(symbol, "cboe"))
            service = GexService(sources={"cboe": CboeSource(base_url="http://127.0.0.1:9")},
                                 default_source="cboe", cache=ChainCache(None), stores=Stores(levels=store))

            async def timed(name: str, service=service, symbol=symbol) -> tuple[list[float], object]:
                times = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    answer = await service.call(name, symbol=symbol, source="cboe", days=30)
                    times.append(time.perf_counter() - t)
                return times, answer

            hist, answer = anyio.run(timed, "history")
            acc, _ = anyio.run(timed, "level_accuracy")
            conn.close()
        print(f"{symbol}: {strikes} strikes per record; 390 one-minute records per day = "
              f"{per_day / 1024:,.0f} KiB/day ({per_day / 390:,.0f} B per record; made in {made:.1f} s)")
        print(f"  history over 30 days ({total:,} records -> {len(answer.points)} points, "
              f"interval {answer.interval}): median {statistics.median(hist) * 1000:.1f} ms, "
              f"worst {max(hist) * 1000:.1f} ms of {args.runs}")
        print(f"  level_accuracy over 30 days: median {statistics.median(acc) * 1000:.1f} ms, "
              f"worst {max(acc) * 1000:.1f} ms of {args.runs}")


if __name__ == "__main__":
    main()
