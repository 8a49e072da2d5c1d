"""The Claude Desktop bundle: Anthropic's own `mcpb` tool (npm, run through npx at a pinned
version) accepts bundle/manifest.json and packs it into a `.mcpb`.

Needs node and npx (the README's Test section); npm fetches the tool into its cache once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "bundle"
#: The mcpb CLI the bundle is checked and packed with (also in the README).
MCPB = "@anthropic-ai/mcpb@2.1.2"
TIMEOUT = 300  # the first npx run downloads the tool


def _mcpb(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("npx is missing: install node and npm (apt-get install nodejs npm)")
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false",
           "npm_config_audit": "false"}
    return subprocess.run([npx, "--yes", MCPB, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


def test_mcpb_validates_the_manifest(tmp_path: Path):
    done = _mcpb("validate", BUNDLE / "manifest.json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Manifest schema validation passes" in done.stdout


def test_mcpb_rejects_a_manifest_without_its_server(tmp_path: Path):
    """The check can fail: the same manifest less its `server` entry is refused."""
    manifest = json.loads((BUNDLE / "manifest.json").read_text(encoding="utf-8"))
    del manifest["server"]
    broken = tmp_path / "manifest.json"
    broken.write_text(json.dumps(manifest), encoding="utf-8")
    done = _mcpb("validate", broken, cwd=tmp_path)
    assert done.returncode != 0 and "server" in done.stdout, done.stdout + done.stderr


def test_mcpb_packs_the_bundle(tmp_path: Path):
    """`mcpb pack bundle/ gex-mcp-<version>.mcpb`: a zip holding the manifest unchanged, and
    only what the bundle folder has (the server itself comes from PyPI through uvx)."""
    manifest = json.loads((BUNDLE / "manifest.json").read_text(encoding="utf-8"))
    out = tmp_path / f"{manifest['name']}-{manifest['version']}.mcpb"
    done = _mcpb("pack", BUNDLE, out, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out) as archive:
        names = sorted(archive.namelist())
        packed = json.loads(archive.read("manifest.json"))
    expected = sorted(p.relative_to(BUNDLE).as_posix() for p in BUNDLE.rglob("*") if p.is_file())
    assert names == expected
    assert packed == manifest
    assert 0 < out.stat().st_size < 64 * 1024
