"""The three install descriptions agree: pyproject.toml (the package), bundle/manifest.json (the
Claude Desktop bundle) and server.json (the MCP registry entry), with the settings they name.

Nothing is built here (tests/test_packaging.py and tests/test_bundle.py build); these are
the cheap checks that catch a version bumped in one file only, a variable renamed in the
settings but not in the host's config, or a secret not marked as one.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
from pydantic import SecretStr

import gex_mcp
from gex_mcp.models import SOURCE_NAMES
from gex_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
MANIFEST = json.loads((ROOT / "bundle" / "manifest.json").read_text(encoding="utf-8"))
SERVER_JSON = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
PACKAGE = SERVER_JSON["packages"][0]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
NAME, VERSION = PYPROJECT["name"], PYPROJECT["version"]

#: What the host sets, by variable: {"GEX_SOURCE": "source", ...} from the manifest's env
#: entries "${user_config.source}".
MANIFEST_ENV = {env: re.fullmatch(r"\$\{user_config\.(\w+)\}", value).group(1)
                for env, value in MANIFEST["server"]["mcp_config"]["env"].items()}
REGISTRY_ENV = {entry["name"]: entry for entry in PACKAGE["environmentVariables"]}


def _field_read_from(env: str) -> str:
    """The Settings field that variable `env` sets (GEX_<FIELD>, or a validation alias)."""
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names = alias.choices if alias is not None else [f"GEX_{name.upper()}"]
        if env in names:
            return name
    raise AssertionError(f"{env} is not read by Settings: no field takes it")


def test_one_name_and_version_everywhere():
    """pyproject's name and version in the manifest, the registry entry, its package, the
    uvx pin the bundle runs, and the CHANGELOG's newest heading."""
    assert MANIFEST["name"] == PACKAGE["identifier"] == NAME
    assert MANIFEST["version"] == SERVER_JSON["version"] == PACKAGE["version"] == VERSION
    assert MANIFEST["server"]["mcp_config"]["command"] == "uvx"
    assert MANIFEST["server"]["mcp_config"]["args"] == [f"{NAME}@{VERSION}", "serve"]
    newest = re.search(r"^## \[?([^\]\s]+)\]?", CHANGELOG, re.MULTILINE)
    assert newest is not None and newest.group(1) == VERSION


def test_the_version_comes_from_the_package_metadata():
    """`gex_mcp.__version__` (serverInfo, --version, /health) is the installed metadata, which
    is pyproject's version: a mismatch here means the checkout was not reinstalled."""
    assert gex_mcp.__version__ == installed_version(NAME) == VERSION


def test_the_registry_entry_runs_serve_over_stdio_from_pypi():
    assert PACKAGE["registryType"] == "pypi" and PACKAGE["registryBaseUrl"] == "https://pypi.org"
    assert PACKAGE["transport"] == {"type": "stdio"}
    assert PACKAGE["runtimeHint"] == "uvx"
    assert PACKAGE["packageArguments"] == [{"type": "positional", "value": "serve"}]
    # the registry's limits: one slash in the name, a description of at most 100 characters
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", SERVER_JSON["name"])
    assert 0 < len(SERVER_JSON["description"]) <= 100


def test_the_readme_names_the_registry_entry_for_pypi_ownership():
    """The registry checks that the PyPI package's description (the README) says
    `mcp-name: <server.json name>`."""
    assert f"mcp-name: {SERVER_JSON['name']}" in README


def test_bundle_and_registry_set_the_same_variables():
    assert set(MANIFEST_ENV) == set(REGISTRY_ENV)
    assert set(MANIFEST_ENV.values()) == set(MANIFEST["user_config"])


@pytest.mark.parametrize("env", sorted(REGISTRY_ENV))
def test_each_variable_is_described_and_read_by_the_settings(env, monkeypatch, tmp_path):
    """Setting the variable changes the field it names; secret exactly when the field is a
    SecretStr, in both files; described in both."""
    field = _field_read_from(env)
    value = {"GEX_SOURCE": "demo"}.get(env, str(tmp_path))
    monkeypatch.setenv(env, value)
    settings = Settings(_env_file=None)
    read = getattr(settings, field)
    secret = isinstance(read, SecretStr)
    assert (read.get_secret_value() if secret else str(read)) == value
    entry, option = REGISTRY_ENV[env], MANIFEST["user_config"][MANIFEST_ENV[env]]
    assert entry["isSecret"] is secret
    assert option.get("sensitive", False) is secret
    assert len(entry["description"]) > 20 and len(option["description"]) > 20
    assert entry["isRequired"] is False and option["required"] is False  # every one has a default


def test_the_source_choices_and_default_are_the_settings():
    entry, option = REGISTRY_ENV["GEX_SOURCE"], MANIFEST["user_config"][MANIFEST_ENV["GEX_SOURCE"]]
    default = Settings.model_fields["source"].default
    assert entry["choices"] == list(SOURCE_NAMES)
    assert entry["default"] == option["default"] == default
    assert all(name in option["description"] for name in SOURCE_NAMES)


def test_folders_are_paths_in_both_files():
    for env, field in ((e, _field_read_from(e)) for e in REGISTRY_ENV):
        if field in ("data_dir", "chains_dir"):
            assert REGISTRY_ENV[env]["format"] == "filepath"
            assert MANIFEST["user_config"][MANIFEST_ENV[env]]["type"] == "directory"


def test_host_configs_show_uvx_first_and_the_venv_path_second():
    """The README's stdio blocks under Connect a host, and mcp.json.example, in that order."""
    section = README.split("## Connect a host", 1)[1].split("\n## ", 1)[0]
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", section, re.DOTALL)]
    commands = [next(iter(b["mcpServers"].values()))["command"] for b in blocks]
    assert commands[0] == "uvx" and commands[1].endswith("/.venv/bin/gex-mcp")
    assert next(iter(blocks[0]["mcpServers"].values()))["args"] == [NAME, "serve"]
    example = json.loads((ROOT / "mcp.json.example").read_text(encoding="utf-8"))["mcpServers"]
    first, second = list(example.values())[:2]
    assert (first["command"], first["args"]) == ("uvx", [NAME, "serve"])
    assert second["command"].endswith("/.venv/bin/gex-mcp")


def test_the_readme_install_section_names_every_way():
    section = README.split("## Install", 1)[1].split("\n## ", 1)[0]
    for way in ("uvx gex-mcp", "pipx install", ".mcpb", "server.json", "pip install .",
                "python -m build"):
        assert way in section, way
