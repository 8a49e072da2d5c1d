"""The README stays true to the code: settings, tools and the two commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gex_mcp.endpoints.docs import readme_block
from gex_mcp.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
CI = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")


def _env_name(name: str, field) -> str:
    alias = field.validation_alias
    if alias is not None:
        return alias.choices[0]
    return f"GEX_{name.upper()}"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_the_configuration_table(name):
    """Each Settings field has a row `| `ENV_NAME` |` in the README."""
    env = _env_name(name, Settings.model_fields[name])
    assert f"| `{env}` |" in README


def test_settings_read_the_documented_variable_names(monkeypatch, tmp_path):
    """The names in the table are the ones Settings actually reads."""
    monkeypatch.setenv("GEX_SOURCE", "demo")
    monkeypatch.setenv("FLASHALPHA_API_KEY", "k-123")
    monkeypatch.setenv("GEX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GEX_CACHE_TTL", "7")
    monkeypatch.setenv("GEX_CBOE_BASE_URL", "http://127.0.0.1:9")
    s = Settings(_env_file=None)
    assert (s.source, s.data_dir, s.cache_ttl, s.cboe_base_url) == ("demo", tmp_path, 7.0, "http://127.0.0.1:9")
    assert s.flashalpha_api_key.get_secret_value() == "k-123"
    assert "k-123" not in repr(s)


def test_ci_runs_the_readmes_test_command():
    """.ci/run contains the command under the README's Test heading."""
    test_section = README.split("## Test", 1)[1].split("##", 1)[0]
    command = next(line.strip() for line in test_section.splitlines() if line.startswith("    "))
    assert command in CI


def test_run_command_uses_the_offline_demo_source():
    """The README's run command asks for the demo source explicitly."""
    run_section = README.split("## Run", 1)[1].split("##", 1)[0]
    assert re.search(r"gex-mcp \w+ \w+ --source demo", run_section)


def test_readme_tools_table_is_the_one_generated_from_the_endpoint_table():
    """The README's Tools block equals `tools_table()`; regenerate with the command it names."""
    assert readme_block() in README


def test_every_tool_has_a_row_in_the_readme_tools_table():
    """The README's Tools table names exactly the tools the server lists."""
    from tests.tool_calls import EVERY_TOOL_CALL

    tools_section = README.split("## Tools", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", tools_section, flags=re.M))
    assert documented == set(EVERY_TOOL_CALL)


def test_an_empty_data_dir_setting_means_the_default_not_the_working_directory(monkeypatch):
    from gex_mcp.settings import DEFAULT_DATA_DIR

    monkeypatch.setenv("GEX_DATA_DIR", "")
    assert Settings(_env_file=None).data_dir == DEFAULT_DATA_DIR


@pytest.mark.parametrize("name", ["GEX_CHAINS_DIR", "GEX_FILE_AS_OF", "GEX_CACHE_TTL", "GEX_SOURCE",
                                  "FLASHALPHA_API_KEY"])
def test_an_empty_variable_means_its_default(monkeypatch, name):
    """GEX_CHAINS_DIR="" would read the working directory, the others fail validation."""
    monkeypatch.setenv(name, "")
    defaults = Settings(_env_file=None).model_dump()
    monkeypatch.delenv(name)
    assert defaults == Settings(_env_file=None).model_dump()
