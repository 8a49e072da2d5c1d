"""level_export: the Pine v6 and thinkScript outputs parsed back (every level, its price and
label; valid identifiers; balanced syntax), the CSV read back, each price checked against the
levels and expected_move answers, and the CLI writing the file."""

from __future__ import annotations

import csv
import io
import keyword
import math
import re

import anyio
import pytest
from typer.testing import CliRunner

from gex_mcp.cli import app
from gex_mcp.service import build_service
from gex_mcp.settings import Settings

pytestmark = pytest.mark.anyio

FILES = ["cboe_quotedata_SPX_2023-02-07.csv", "cboe_quotedata_SPX_2022-07-12_intraday.csv"]
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PINE_KEYWORDS = {"and", "or", "not", "if", "else", "for", "while", "var", "varip", "true", "false",
                 "switch", "import", "export", "method", "type", "na", "close", "open", "high",
                 "low", "volume", "time", "color", "line", "label", "hline"}


async def answers(path, fmt):
    async with build_service(Settings(_env_file=None), chain_file=path) as service:
        with anyio.fail_after(60):
            export = await service.call("level_export", symbol="SPX", format=fmt)
            levels = await service.call("levels", symbol="SPX")
            moves = await service.call("expected_move", symbol="SPX")
    return export, levels, moves


def expected_prices(levels, moves) -> dict[str, float]:
    """What must be drawn: the levels answer's numbers and spot ± S·σ_ATM·√T of the nearest
    expiration with an ATM IV."""
    spot = levels.underlying_price
    want = {"spot": spot, "gamma_flip": levels.gamma_flip, "call_wall": levels.call_wall,
            "put_wall": levels.put_wall, "max_pos_gamma": levels.max_positive_gamma,
            "max_neg_gamma": levels.max_negative_gamma, "zero_dte_magnet": levels.zero_dte_magnet}
    row = next(m for m in moves.moves if m.atm_iv is not None)
    sigma = spot * row.atm_iv * math.sqrt(row.days_to_expiry / 365.0)
    want["em_upper"], want["em_lower"] = spot + sigma, spot - sigma
    return {k: v for k, v in want.items() if v is not None}


def tol(name: str) -> float:
    """Cents, and for the band the rounding of the expected_move answer's IV and days."""
    return 0.05 if name.startswith("em_") else 0.0051


def balanced(line: str) -> bool:
    text = re.sub(r'"[^"]*"', '""', line)
    return line.count('"') % 2 == 0 and text.count("(") == text.count(")")


@pytest.mark.parametrize("name", FILES)
async def test_pine_v6_parses_back_to_every_level(chains_dir, name):
    export, levels, moves = await answers(chains_dir / name, "pine")
    want = expected_prices(levels, moves)
    lines = export.content.splitlines()
    assert lines[0] == "//@version=6"
    assert re.fullmatch(r'indicator\("GEX levels SPX".*overlay = true.*\)', lines[2])
    assigned = {}
    for line in lines:
        assert balanced(line), line
        if m := re.fullmatch(r"(\w+) = (-?\d+\.\d{2})", line):
            assigned[m[1]] = float(m[2])
    assert set(assigned) == set(want)
    hlines = {m[1]: m[2] for m in re.finditer(r'^hline\((\w+), title = "([^"]+)"', export.content, re.M)}
    labels = {m[1]: m[2] for m in re.finditer(r'^    label\.new\(bar_index, (\w+), "([^"]+)"',
                                             export.content, re.M)}
    assert "if barstate.islastconfirmedhistory" in lines
    for name_, price in want.items():
        assert IDENT.match(name_) and name_ not in PINE_KEYWORDS
        assert abs(assigned[name_] - price) <= tol(name_), name_
        assert hlines[name_] == labels[name_] and hlines[name_].endswith(f"{assigned[name_]:.2f}")
    assert [lv.name for lv in export.levels] == list(assigned)
    if levels.zero_dte_magnet is None:
        assert any(m.startswith("zero_dte_magnet") for m in export.missing)
    assert export.filename == "spx_gex_levels.pine"


@pytest.mark.parametrize("name", FILES)
async def test_thinkscript_parses_back_to_every_level(chains_dir, name):
    export, levels, moves = await answers(chains_dir / name, "thinkscript")
    want = expected_prices(levels, moves)
    statements = [s for s in export.content.splitlines() if s and not s.startswith("#")]
    assert all(s.endswith(";") and balanced(s) for s in statements)
    assert "declare upper;" in statements
    plots = {m[1]: float(m[2]) for m in re.finditer(r"^plot (\w+) = (-?\d+\.\d{2});$",
                                                   export.content, re.M)}
    bubbles = {m[1]: m[2] for m in re.finditer(r'^AddChartBubble\(lastBar, (\w+), "([^"]+)", Color\.\w+, yes\);$',
                                              export.content, re.M)}
    assert len(plots) == len(want) == len(bubbles)
    by_label = {lv.name: lv for lv in export.levels}
    for name_, price in want.items():
        plot = "".join(p.capitalize() for p in name_.split("_"))
        assert IDENT.match(plot) and not keyword.iskeyword(plot)
        assert abs(plots[plot] - price) <= tol(name_), name_
        assert bubbles[plot] == by_label[name_].label
        for call in ("SetDefaultColor", "SetPaintingStrategy(PaintingStrategy.HORIZONTAL)", "SetStyle"):
            assert f"{plot}.{call}" in export.content


async def test_csv_reads_back(chains_dir):
    export, levels, moves = await answers(chains_dir / FILES[0], "csv")
    rows = list(csv.DictReader(io.StringIO(export.content)))
    want = expected_prices(levels, moves)
    assert {r["name"] for r in rows} == set(want)
    for r in rows:
        assert abs(float(r["price"]) - want[r["name"]]) <= tol(r["name"])
        assert r["symbol"] == "SPX" and r["as_of"] == levels.as_of.isoformat()


def test_cli_writes_the_file(chains_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "spx.pine"
    result = CliRunner().invoke(app, ["export-levels", "--chain", str(chains_dir / FILES[0]),
                                      "--format", "pine", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("//@version=6\n") and "wrote" in result.output
    bad = CliRunner().invoke(app, ["export-levels", "--chain", str(chains_dir / FILES[0]),
                                   "--format", "xls"])
    assert bad.exit_code == 2 and "format must be one of pine, thinkscript, csv" in bad.output
