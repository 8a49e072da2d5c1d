"""The CLI contract: exactly one JSON object per --json call, exit codes per error class."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gex_mcp.cli import app

SPX = "cboe_quotedata_SPX_2023-09-14.csv"
STRIKE_FIELDS = {"strike", "call_gex", "put_gex", "net_gex", "call_oi", "put_oi", "call_volume",
                 "put_volume", "call_oi_change", "put_oi_change"}


@pytest.fixture
def run(monkeypatch, tmp_path):
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))
    return invoke


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_gex_json_is_one_object_in_the_guides_shape(run, chains_dir):
    """gex --json prints the guide's fields and strike rows whose sum is net_gex."""
    out = _json(run("gex", "--chain", str(chains_dir / SPX), "--json"))
    for key in ("symbol", "underlying_price", "as_of", "gamma_flip", "net_gex", "net_gex_label", "strikes"):
        assert key in out
    assert out["symbol"] == "SPX" and out["underlying_price"] == pytest.approx(4505.1001)
    assert all(set(row) == STRIKE_FIELDS for row in out["strikes"])
    assert sum(r["net_gex"] for r in out["strikes"]) == pytest.approx(out["net_gex"], rel=1e-9)
    assert out["as_of"].endswith("-04:00")


def test_levels_and_summary_json_carry_the_guides_fields(run, chains_dir):
    """levels and summary print every field the guide names."""
    levels = _json(run("levels", "--chain", str(chains_dir / SPX), "--json"))
    for key in ("gamma_flip", "call_wall", "put_wall", "max_positive_gamma", "max_negative_gamma",
                "highest_oi_strike", "zero_dte_magnet"):
        assert key in levels
    summary = _json(run("summary", "--chain", str(chains_dir / SPX), "--json"))
    for key in ("gamma_regime", "net_gex", "net_gex_label", "net_dex", "net_dex_label", "net_vex",
                "net_vex_label", "net_chex", "net_chex_label", "interpretation",
                "dealer_hedge_up_1pct", "dealer_hedge_down_1pct"):
        assert key in summary
    assert summary["gamma_flip"] == pytest.approx(levels["gamma_flip"])


@pytest.mark.parametrize("kind", ["dex", "vex", "chex"])
def test_greek_commands_print_net_and_strikes(run, chains_dir, kind):
    """dex/vex/chex --json give net_<kind> equal to the strike sum."""
    out = _json(run(kind, "--chain", str(chains_dir / SPX), "--json"))
    assert sum(r[f"net_{kind}"] for r in out["strikes"]) == pytest.approx(out[f"net_{kind}"], rel=1e-9)


def test_expiration_filter_keeps_one_expiry(run, chains_dir):
    """--expiration restricts the analysis to that date."""
    whole = _json(run("gex", "--chain", str(chains_dir / SPX), "--json"))
    one = _json(run("gex", "--chain", str(chains_dir / SPX), "--expiration", "2023-09-15", "--json"))
    assert one["expiration"] == "2023-09-15"
    assert abs(one["net_gex"]) < abs(whole["call_gex"])
    assert one["data_quality"]["contracts_used"] < whole["data_quality"]["contracts_used"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (["gex", "--expiration", "2023-13-45"], 2,
     "InvalidExpiryError: '2023-13-45' is not an expiration date. Use YYYY-MM-DD, e.g. '2026-12-18', "
     "or leave it out for all expirations.\n"),
    (["gex", "--expiration", "2023-09-16"], 2,
     "InvalidExpiryError: SPX has no options expiring 2023-09-16. Nearest listed: 2023-09-14, "
     "2023-09-15, 2023-09-18, 2023-09-19, 2023-09-20.\n"),
    (["gex", "--expiration", "2020-01-17"], 2,
     "InvalidExpiryError: Expiration 2020-01-17 is in the past for the SPX snapshot of 2023-09-14. "
     "Listed expirations start at 2023-09-14.\n"),
    (["levels", "--expiration", "2023-09-14"], 2,
     "InvalidExpiryError: SPX options expiring 2023-09-14 settled at 16:00 New York, before this "
     "snapshot of 2023-09-14 16:15. Expirations still trading start at 2023-09-15.\n"),
    (["gex", "--min-oi", "-5"], 2,
     "InputError: min_oi must be a whole number of contracts >= 0, got -5. Use 0 to keep every strike.\n"),
    (["levels", "SPY"], 2,
     "UnknownSymbolError: cboe_quotedata_SPX_2023-09-14.csv holds SPX options, not SPY. "
     "Leave SYMBOL out or pass SPX.\n"),
])
def test_bad_input_exits_2_with_a_message_that_says_what_to_do(run, chains_dir, args, code, message):
    """Input errors exit 2 and print ClassName: message on stderr."""
    result = run(*args, "--chain", str(chains_dir / SPX))
    assert result.exit_code == code
    assert result.stderr == message


def test_missing_chain_file_is_a_source_error(run, tmp_path):
    """A missing file exits 3 and names the file."""
    result = run("gex", "--chain", str(tmp_path / "nope.csv"))
    assert result.exit_code == 3
    assert "nope.csv" in result.stderr and "Traceback" not in result.output


def test_flashalpha_without_a_key_is_a_config_error(run):
    """Choosing flashalpha with no key exits 5 before any request."""
    result = run("levels", "SPY", "--source", "flashalpha")
    assert result.exit_code == 5
    assert result.stderr.startswith("ConfigError: GEX_SOURCE is flashalpha but FLASHALPHA_API_KEY is not set.")


def test_demo_dashboard_says_it_is_demo_data(run):
    """The offline dashboard runs and labels its numbers as demo data."""
    result = run("summary", "SPY", "--source", "demo")
    assert result.exit_code == 0, result.output
    assert "DEMO DATA" in result.stdout and "POSITIVE GAMMA" in result.stdout


def test_scan_reports_each_symbol_and_isolates_failures(run):
    """A failing symbol shows its error in its row; the others still answer."""
    out = _json(run("scan", "SPY", "TSLA", "ZZZZ", "--source", "demo", "--json"))
    rows = {r["symbol"]: r for r in out["rows"]}
    assert rows["SPY"]["gamma_regime"] == "positive_gamma"
    assert rows["TSLA"]["gamma_regime"] == "negative_gamma" and rows["TSLA"]["below_flip"] is True
    assert rows["ZZZZ"]["error"].startswith("UnknownSymbolError: No demo data for 'ZZZZ'.")
    assert out["failed"] == ["ZZZZ"] and "TSLA" in out["negative_gamma"]


def test_a_terminal_scan_may_pass_the_agents_limit_of_25(run):
    """The CLI scans up to 1000 symbols from any source (here 30 on the demo, 17 unknown):
    one row per symbol in the order given, full rows (not the agent's compact table)."""
    from gex_mcp.sources.demo import DEMO_SYMBOLS

    watchlist = [*DEMO_SYMBOLS, *(f"ZZ{chr(65 + i)}" for i in range(30 - len(DEMO_SYMBOLS)))]
    out = _json(run("scan", *watchlist, "--source", "demo", "--json"))
    assert [r["symbol"] for r in out["rows"]] == watchlist
    assert out["failed"] == watchlist[len(DEMO_SYMBOLS):]


def test_chart_writes_a_png(run, chains_dir, tmp_path):
    """chart -o writes a PNG file of the chain."""
    target = tmp_path / "spx.png"
    result = run("chart", "--chain", str(chains_dir / SPX), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_serve_on_a_port_in_use_is_a_configuration_error(run):
    """A busy port exits 5 (configuration) with what to do, not 3 (source) or a traceback."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--transport", "rest", "--port", str(port), "--source", "demo")
    assert result.exit_code == 5
    assert result.stderr.startswith(f"ConfigError: Cannot listen on 127.0.0.1:{port} (")
    assert result.stderr.endswith("Choose another --port or --host, or stop the program using it.\n")


def test_serve_rejects_an_impossible_port_as_usage(run):
    result = run("serve", "--transport", "rest", "--port", "99999")
    assert result.exit_code == 2
    assert "Invalid value for '--port': Input should be less than or equal to 65535" in result.output
    assert "Traceback" not in result.output


def test_serve_on_a_public_address_without_a_key_is_refused(run):
    result = run("serve", "--transport", "http", "--host", "0.0.0.0", "--source", "demo")
    assert result.exit_code == 5
    assert result.stderr == ("ConfigError: Refusing to serve on 0.0.0.0 without a key: anyone who "
                             "can reach it could call the API. Set GEX_HTTP_TOKEN, or bind "
                             "127.0.0.1.\n")


def test_an_unreadable_date_line_names_the_override_and_the_override_works(run, chains_dir, tmp_path):
    """A Date line in an unknown spelling fails with file, line and --snapshot-time; given
    that, the file analyses as if its line had been read (same as_of, same numbers)."""
    original = chains_dir / "cboe_quotedata_AMD_2023-08-20.csv"
    broken = tmp_path / "amd.csv"
    broken.write_text(original.read_text(encoding="utf-8").replace(
        "Date: August 20, 2023 at 10:35 PM EDT", "Datum: Sonntag 20/08/2023 22h35"), encoding="utf-8")
    failed = run("levels", "--chain", str(broken))
    assert failed.exit_code == 3
    assert failed.stderr.startswith("SourceDataError: amd.csv: line 3: cannot read the snapshot date")
    assert "--snapshot-time 'YYYY-MM-DD HH:MM'" in failed.stderr
    fixed = run("levels", "--chain", str(broken), "--snapshot-time", "2023-08-20 22:35", "--json")
    expected = run("levels", "--chain", str(original), "--json")
    assert fixed.exit_code == 0, fixed.stderr
    got, want = json.loads(fixed.stdout), json.loads(expected.stdout)
    assert (got["as_of"], got["retrieved_at"]) == (want["as_of"], want["retrieved_at"])
    assert got["gamma_flip"] == want["gamma_flip"] and got["call_wall"] == want["call_wall"]
    wrong = run("levels", "--chain", str(broken), "--snapshot-time", "Sunday night")
    assert wrong.exit_code == 2 and "'YYYY-MM-DD HH:MM'" in wrong.stderr


def test_dashboard_refuses_a_look_alike_symbol_before_serving(run):
    """'ſpy' would open the page on SPY; it is a usage error instead. The port is busy so a
    regression fails on it (exit 5) rather than serving forever."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run("dashboard", "ſpy", "--no-browser", "--source", "demo",
                     "--port", str(busy.getsockname()[1]))
    assert result.exit_code == 2, result.output
    assert result.stderr == ("UnknownSymbolError: 'ſpy' is not a ticker symbol. Use letters only, "
                             "e.g. 'SPY' or 'SPX'.\n")


def test_an_absurd_open_interest_is_read_as_unknown_and_said(run, chains_dir, tmp_path):
    """One contract with OI 1e300 (a corrupt feed) is no position: every view leaves it out
    (no 300-digit integer in a table or in JSON) and data_quality says why."""
    import re

    document = json.loads((chains_dir / "cboe_delayed_AAPL_2025-09-05.json").read_text())
    options = document["data"]["options"]
    spot = document["data"]["current_price"]
    calls = [o for o in options if o["option"].startswith("AAPL250912C")]
    near = min(calls, key=lambda o: abs(int(o["option"][-8:]) / 1000 - spot))
    near["open_interest"] = 1e300
    chain = tmp_path / "cboe_delayed_AAPL_2025-09-05.json"
    chain.write_text(json.dumps(document))
    long_number = re.compile(r"\d(?:,?\d){15}")  # 16 digits or more, separators allowed
    for command in ("gex", "summary", "expiries", "expirations", "max-pain", "hedging"):
        result = run(command, "--chain", str(chain))
        assert result.exit_code == 0, result.output
        assert not long_number.search(result.stdout), (command, long_number.search(result.stdout))
        as_json = run(command, "--chain", str(chain), "--json")
        assert not re.search(r"(?<![.\d])\d{16,}", as_json.stdout), command  # no huge integer
    notes = json.loads(run("gex", "--chain", str(chain), "--json").stdout)["data_quality"]["notes"]
    assert any("open interest above 50,000,000" in n for n in notes)


def test_a_one_shot_command_imports_only_what_it_uses(tmp_path):
    """Start-up cost is imports: `levels --json` on the demo must not load scipy, matplotlib,
    rich, the MCP SDK, the HTTP server stack or the HTTP client (checked in a fresh
    interpreter, as a property rather than a timing)."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import gex_mcp.cli\n"
        "on_import = set(sys.modules)\n"
        "try:\n"
        "    gex_mcp.cli.app(['levels', 'SPY', '--source', 'demo', '--json'])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "heavy = ('scipy', 'matplotlib', 'rich', 'mcp', 'uvicorn', 'starlette', 'httpx', 'pandas')\n"
        "for label, names in (('import', on_import), ('levels', set(sys.modules))):\n"
        "    print(label, sorted({n.split('.')[0] for n in names} & set(heavy)), file=sys.stderr)\n")
    env = {**os.environ, "GEX_DATA_DIR": str(tmp_path), "MPLCONFIGDIR": str(tmp_path / "mpl")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["symbol"] == "SPY"
    assert done.stderr.splitlines() == ["import []", "levels []"]


def test_insecure_no_auth_lets_a_public_bind_past_the_key_check(run):
    """--insecure-no-auth is the explicit way to bind 0.0.0.0 without a key: the refusal is
    skipped and the next check (here: the port is taken) speaks instead."""
    import socket

    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        refused = run("serve", "--transport", "rest", "--host", "0.0.0.0", "--port", port,
                      "--source", "demo")
        allowed = run("serve", "--transport", "rest", "--host", "0.0.0.0", "--port", port,
                      "--source", "demo", "--insecure-no-auth")
    assert refused.exit_code == 5 and "Refusing to serve on 0.0.0.0 without a key" in refused.stderr
    assert allowed.exit_code == 5
    assert allowed.stderr.startswith(f"ConfigError: Cannot listen on 0.0.0.0:{port} (")
