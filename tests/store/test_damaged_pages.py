"""A store whose header is intact but whose data pages are damaged is found at open
(`PRAGMA quick_check`), moved aside and rebuilt (issue 26, point 4).

Before, it opened fine and then failed on use: the CLI exited 1 with "database disk image is
malformed" and the server answered 500 on every levels, account and history call.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest

from gex_mcp.service import build_service
from gex_mcp.settings import Settings
from gex_mcp.store.migrations import check_pages, open_database
from tests.rest.conftest import running

PAGE = 4096


def damaged_store(folder: Path) -> Path:
    """A store with a few analysed symbols in it, every page after the first scrambled."""
    settings = Settings(_env_file=None, source="demo", data_dir=folder)

    async def fill() -> None:
        async with build_service(settings) as service:
            for symbol in ("SPY", "QQQ", "IWM", "SPX"):
                await service.levels(symbol)

    anyio.run(fill)
    db = folder / "gex.db"
    data = bytearray(db.read_bytes())
    assert len(data) >= 4 * PAGE, len(data)  # something behind the header to damage
    noise = random.Random(26)
    data[PAGE:] = bytes(noise.randrange(256) for _ in range(len(data) - PAGE))
    db.write_bytes(bytes(data))
    header = sqlite3.connect(db)  # the header still reads: the damage hides until use
    assert header.execute("PRAGMA user_version").fetchone()[0] > 0
    header.close()
    return db


def test_quick_check_reports_the_damage(tmp_path):
    db = damaged_store(tmp_path)
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError):
        check_pages(conn)
    conn.close()
    check_pages(open_database(tmp_path / "fresh.db"))  # a healthy store passes


def test_the_cli_moves_it_aside_and_answers(tmp_path):
    damaged_store(tmp_path)
    env = {**os.environ, "GEX_DATA_DIR": str(tmp_path)}
    env.pop("GEX_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "gex_mcp", "levels", "SPY", "--source", "demo",
                           "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "malformed" not in done.stderr
    assert "damaged pages" in done.stderr and "moved it to gex.db.corrupt-" in done.stderr
    assert len(list(tmp_path.glob("gex.db.corrupt-*"))) == 1
    check_pages(sqlite3.connect(tmp_path / "gex.db"))  # the rebuilt store is sound


def test_the_server_answers_levels_account_and_history(tmp_path):
    damaged_store(tmp_path)
    service = build_service(Settings(_env_file=None, source="demo", data_dir=tmp_path))
    with running(service, close=True) as url, httpx.Client(base_url=url, timeout=30) as http:
        for path in ("/v1/exposure/levels/SPY", "/v1/account", "/v1/exposure/history/SPY"):
            answer = http.get(path)
            assert answer.status_code < 500, (path, answer.status_code, answer.text)
        assert http.get("/v1/exposure/levels/SPY").json()["symbol"] == "SPY"
    assert len(list(tmp_path.glob("gex.db.corrupt-*"))) == 1
