"""ParsePool: chain files parsed in worker processes inside `bulk_loads()`."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from gex_mcp.errors import SourceDataError
from gex_mcp.parsing import load_chain_file
from gex_mcp.sources.file import FileSource
from gex_mcp.sources.parse_pool import ParsePool, bulk_loads
from tests.sources.test_file import CHAINS, assert_same_chain

pytestmark = pytest.mark.anyio

FIXTURES = ["cboe_quotedata_SPX_2023-09-14.csv", "cboe_legacy_SPX_2020-09-04.dat",
            "cboe_delayed_AAPL_2025-09-05.json", "cboe_legacy_SPY_2020-07-04.dat"]


@pytest.fixture
def pool():
    pool = ParsePool(workers=2)
    yield pool
    pool.shutdown()


async def test_bulk_loads_parse_in_workers_to_the_same_chains(pool: ParsePool) -> None:
    """Each format parsed by a worker equals the file parsed here, to the last bit."""
    with bulk_loads():
        async with anyio.create_task_group() as tg:
            got: dict[str, object] = {}

            async def one(name: str) -> None:
                got[name] = await pool.load(CHAINS / name)

            for name in FIXTURES:
                tg.start_soon(one, name)
        assert pool.started == 2
    assert pool.started == 0 and pool.spawned == 2  # the last bulk block closed: they stopped
    for name in FIXTURES:
        assert_same_chain(got[name], load_chain_file(CHAINS / name))  # type: ignore[arg-type]


async def test_outside_bulk_loads_no_process_starts(pool: ParsePool) -> None:
    chain = await pool.load(CHAINS / FIXTURES[2])
    assert len(chain) > 0 and pool.started == 0


async def test_a_malformed_file_raises_the_workers_error_naming_it(pool: ParsePool,
                                                                  tmp_path: Path) -> None:
    """The worker's SourceDataError crosses the pipe; the worker stays usable."""
    bad = tmp_path / "cboe_quotedata_BAD_2023-09-14.csv"
    bad.write_bytes(b"\x00\x01garbage")
    with bulk_loads():
        with pytest.raises(SourceDataError, match="cboe_quotedata_BAD_2023-09-14.csv"):
            await pool.load(bad)
        assert len(await pool.load(CHAINS / FIXTURES[2])) > 0
        assert pool.spawned == pool.started == 1


async def test_a_killed_worker_costs_no_answer(pool: ParsePool, caplog) -> None:
    """kill -9 of a worker: the next load parses here, says so, and a new worker starts."""
    path = CHAINS / FIXTURES[2]
    with bulk_loads():
        await pool.load(path)
        (worker,) = pool._all
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait()
        with caplog.at_level(logging.WARNING, logger="gex_mcp.sources.parse_pool"):
            assert_same_chain(await pool.load(path), load_chain_file(path))
        assert "chain-parsing worker stopped" in caplog.text
        await pool.load(path)
        assert (pool.started, pool.spawned) == (1, 2)


async def test_workers_stop_when_the_last_bulk_block_closes() -> None:
    """Nested or concurrent blocks keep them; the last one out stops them; so does shutdown."""
    pool = ParsePool(workers=1)
    with bulk_loads():
        with bulk_loads():
            await pool.load(CHAINS / FIXTURES[2])
        (worker,) = pool._all
        assert worker.process.poll() is None
        await pool.load(CHAINS / FIXTURES[2])
        assert pool.spawned == 1
    assert worker.process.poll() is not None and pool.started == 0
    with bulk_loads():
        await pool.load(CHAINS / FIXTURES[2])
        assert pool.started == 1
        pool.shutdown()
        assert pool.started == 0


async def test_file_source_reads_through_workers_and_closes_them(tmp_path: Path) -> None:
    (tmp_path / FIXTURES[0]).symlink_to(CHAINS / FIXTURES[0])
    source = FileSource(tmp_path)
    with bulk_loads():
        chain = await source.fetch_chain("SPX")
        assert source._parser.started == 1
        await source.aclose()
        assert source._parser.started == 0
    assert_same_chain(chain, load_chain_file(CHAINS / FIXTURES[0]))


def test_a_caller_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """Workers do not import the caller's script again (multiprocessing's spawn would run
    this one in every worker, and fail there)."""
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        import anyio
        from gex_mcp.sources.parse_pool import ParsePool, bulk_loads
        print("script ran", flush=True)

        async def main():
            pool = ParsePool(workers=1)
            with bulk_loads():
                chain = await pool.load({str(CHAINS / FIXTURES[2])!r})
            print("parsed", len(chain), "spawned", pool.spawned, flush=True)
            pool.shutdown()

        anyio.run(main)
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("script ran") == 1
    assert done.stdout.splitlines()[-1] == (
        f"parsed {len(load_chain_file(CHAINS / FIXTURES[2]))} spawned 1")
