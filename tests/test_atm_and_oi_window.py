"""The expected move's ATM strike is the one nearest the expiration's forward, and the highest
OI strike looks within the walls' window (±20% of spot): both against the raw files."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import datetime

import anyio
import pytest

from gex_mcp.engine.levels import LEVEL_WINDOW_PCT
from gex_mcp.service import build_service
from gex_mcp.settings import Settings

# quotedata columns: call bid 4, ask 5, OI 10, strike 11, put bid 15, ask 16, OI 21
C_BID, C_ASK, C_OI, STRIKE, P_BID, P_ASK, P_OI = 4, 5, 10, 11, 15, 16, 21


def quotedata(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Expiration Date,")) + 1
    return [r for r in csv.reader(lines[start:]) if r and r[0]]


def ask(chains_dir, name, endpoint, **args):
    async def go():
        async with build_service(Settings(_env_file=None), chain_file=chains_dir / name) as service:
            return await service.call(endpoint, symbol=service.default_symbol(), **args)
    return anyio.run(go)


def test_spy_atm_straddle_is_at_the_forward_before_a_dividend(chains_dir):
    """SPY 2023-09-14, expiring 09-15 (ex-dividend 09-15): the parity forward is ~449.45, so the
    ATM strike is 449, not 451 (nearest spot 450.36), whose straddle carries ~1.5 of intrinsic."""
    name = "cboe_quotedata_SPY_2023-09-14.csv"
    rows = [r for r in quotedata(chains_dir / name)
            if datetime.strptime(r[0], "%a %b %d %Y").date().isoformat() == "2023-09-15"]
    quoted = []
    for r in rows:
        cb, ca, pb, pa = (float(r[i]) for i in (C_BID, C_ASK, P_BID, P_ASK))
        if cb > 0 and ca >= cb and pb > 0 and pa >= pb:
            quoted.append((float(r[STRIKE]), (cb + ca) / 2, (pb + pa) / 2))
    # parity, one day out (discounting is below a cent): F = K + C - P where |C - P| is least
    k, c, p = min(quoted, key=lambda q: abs(q[1] - q[2]))
    forward = k + c - p
    assert forward == pytest.approx(449.45, abs=0.1)
    atm = min((q[0] for q in quoted), key=lambda s: (abs(s - forward), s))
    move = ask(chains_dir, name, "expected_move", expiration="2023-09-15").moves[0]
    assert move.forward == pytest.approx(forward, abs=0.05)
    assert move.atm_strike == atm == 449
    straddle = next(q[1] + q[2] for q in quoted if q[0] == atm)
    assert move.straddle == pytest.approx(straddle, abs=0.005)


def _occ(symbol: str) -> tuple[str, bool, float]:
    m = re.fullmatch(r"([A-Z]+)(\d{6})([CP])(\d{8})", symbol)
    return m.group(2), m.group(3) == "C", int(m.group(4)) / 1000


def test_meta_highest_oi_strike_is_within_the_window(chains_dir):
    """META 2025-09-05: $5 (spot 750) is never the highest OI strike; within ±20% it is the
    strike the raw JSON's open interest says."""
    name = "cboe_delayed_META_2025-09-05.json"
    with open(chains_dir / name, encoding="utf-8") as f:
        data = json.load(f)["data"]
    levels = ask(chains_dir, name, "levels")
    spot = levels.underlying_price
    # saved after the session: its quotes are the close's, and so is the spot the loader takes
    # (current_price is the after-hours price; see parsing/delayed_json.py)
    assert spot == pytest.approx(data["close"], rel=1e-3)
    oi: dict[float, float] = defaultdict(float)
    for o in data["options"]:
        _, _, strike = _occ(o["option"])
        if abs(strike - spot) <= spot * LEVEL_WINDOW_PCT / 100 and o["open_interest"]:
            oi[strike] += o["open_interest"]
    assert levels.highest_oi_strike == max(oi, key=oi.get)
    assert abs(levels.highest_oi_strike - spot) <= spot * 0.2
    for wall in (levels.call_wall, levels.put_wall, levels.max_positive_gamma, levels.max_negative_gamma):
        assert wall is None or abs(wall - spot) <= spot * 0.2


def test_spx_highest_oi_strike_is_within_the_window(chains_dir):
    name = "cboe_quotedata_SPX_2023-09-14.csv"
    levels = ask(chains_dir, name, "levels")
    spot = levels.underlying_price
    oi: dict[float, float] = defaultdict(float)
    for r in quotedata(chains_dir / name):
        if datetime.strptime(r[0], "%a %b %d %Y").date().isoformat() <= "2023-09-14":
            continue  # settled at the 16:15 snapshot
        strike = float(r[STRIKE])
        if abs(strike - spot) <= spot * LEVEL_WINDOW_PCT / 100:
            oi[strike] += float(r[C_OI] or 0) + float(r[P_OI] or 0)
    assert levels.highest_oi_strike == max(oi, key=oi.get)
