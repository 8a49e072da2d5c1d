"""The built package, not the checkout, runs: a wheel and an sdist built from this checkout,
installed into a fresh environment outside it, answer on the demo market.

One build per test session (`python -m build`: the sdist, then the wheel from the sdist, so
a file missing from the sdist fails too). Installs use `uv` (from the `test` extra), which
fetches the dependencies from the package index into its cache once and links them from
there afterwards; the program itself only ever talks to 127.0.0.1 here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from email.parser import HeaderParser
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from tests.processes import wait_or_kill

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "src" / "gex_mcp"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME, VERSION = PROJECT["name"], PROJECT["version"]
#: Building (an isolated hatchling env), installing (~60 MB of dependencies on a cold uv
#: cache) and first starts on a busy 2-core machine; generous, but a hang still fails.
BUILD_TIMEOUT = 300
RUN_TIMEOUT = 120
SERVE_TIMEOUT = 60


def _uv() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:
        pytest.fail("uv is missing: install the test extra (pip install -e '.[test]')")
    return find_uv_bin()


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str],
         timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {done.returncode}:\n"
                    f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def _program_env(home: Path) -> dict[str, str]:
    """What a host passes: a PATH and a data folder; no PYTHONPATH, no venv of ours."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not k.startswith("GEX_")}
    env.update({"GEX_DATA_DIR": str(home / "data"), "MPLCONFIGDIR": str(home / "mpl"),
                "UV_PYTHON_DOWNLOADS": "never"})  # use this interpreter, never fetch one
    return env


def _package_files() -> set[str]:
    """Every file the checkout's package has (code, the page, uPlot, ...), as wheel paths."""
    return {"gex_mcp/" + p.relative_to(PACKAGE_DIR).as_posix()
            for p in PACKAGE_DIR.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ with the sdist and the wheel, built once from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=out, env=dict(os.environ),
         timeout=BUILD_TIMEOUT)
    return out


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob(f"{NAME.replace('-', '_')}-{VERSION}-py3-none-any.whl")
    return found


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout with the wheel (and its dependencies) installed;
    returns its bin folder."""
    where = tmp_path_factory.mktemp("installed")
    env = _program_env(where)
    _run([_uv(), "venv", "--quiet", "--python", sys.executable, where / "venv"], cwd=where, env=env)
    python = where / "venv" / "bin" / "python"
    _run([_uv(), "pip", "install", "--quiet", "--python", python, wheel], cwd=where, env=env,
         timeout=BUILD_TIMEOUT)
    return python.parent


def test_the_wheel_holds_every_file_of_the_package(wheel: Path):
    """Code, the page, its vendored chart library and licence: exactly the package's files."""
    names = zipfile.ZipFile(wheel).namelist()
    in_package = {n for n in names if n.startswith("gex_mcp/")}
    assert in_package == _package_files()
    assert {"gex_mcp/web/dashboard.html", "gex_mcp/web/vendor/uplot/uPlot.iife.min.js",
            "gex_mcp/web/vendor/uplot/LICENSE"} <= in_package
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "src/"))]


def test_the_wheel_metadata(wheel: Path):
    """Name, version, the `gex-mcp` command, Python floor, and the README as description
    (with the registry's `mcp-name:` line, which proves ownership on PyPI)."""
    with zipfile.ZipFile(wheel) as archive:
        info = f"{NAME.replace('-', '_')}-{VERSION}.dist-info"
        metadata = HeaderParser().parsestr(archive.read(f"{info}/METADATA").decode())
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    server_json = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    assert (metadata["Name"], metadata["Version"]) == (NAME, VERSION)
    assert metadata["Requires-Python"] == PROJECT["requires-python"]
    assert "gex-mcp = gex_mcp.launch:main" in entry_points
    assert f"mcp-name: {server_json['name']}" in metadata.get_payload()


def test_the_sdist_holds_the_package_and_the_install_files(dist: Path):
    (sdist,) = dist.glob("*.tar.gz")
    top = f"{NAME.replace('-', '_')}-{VERSION}/"
    with tarfile.open(sdist) as archive:
        names = {n.removeprefix(top) for n in archive.getnames()}
    assert {"src/" + f for f in _package_files()} <= names
    assert {"pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "server.json",
            "bundle/manifest.json"} <= names


def test_the_installed_program_runs_outside_the_checkout(installed: Path, tmp_path: Path):
    """`--version` is the package's; `summary` answers on the demo market; the code that ran
    is the venv's copy, not this checkout's."""
    env = _program_env(tmp_path)
    version = _run([installed / "gex-mcp", "--version"], cwd=tmp_path, env=env)
    assert version.stdout.strip() == f"gex-mcp {VERSION}"
    summary = _run([installed / "gex-mcp", "summary", "SPY", "--source", "demo"], cwd=tmp_path, env=env)
    assert "SPY" in summary.stdout and "DEMO" in summary.stdout
    levels = json.loads(_run([installed / "gex-mcp", "levels", "SPY", "--source", "demo", "--json"],
                             cwd=tmp_path, env=env).stdout)
    assert levels["symbol"] == "SPY" and levels["is_demo"] is True
    assert levels["put_wall"] < levels["call_wall"]
    where = _run([installed / "python", "-c", "import gex_mcp; print(gex_mcp.__file__)"],
                 cwd=tmp_path, env=env).stdout.strip()
    assert Path(where).is_relative_to(installed.parent) and not Path(where).is_relative_to(ROOT)


@pytest.mark.anyio
async def test_the_installed_server_answers_initialize_over_stdio(installed: Path, tmp_path: Path):
    """A real MCP client starts `gex-mcp serve` as a host does: serverInfo carries the
    package's version, and a tool answers."""
    params = StdioServerParameters(command=str(installed / "gex-mcp"),
                                   args=["serve", "--source", "demo"],
                                   env=_program_env(tmp_path), cwd=tmp_path)
    with anyio.fail_after(SERVE_TIMEOUT):
        async with Client(params) as client:
            info = client.server_info
            levels = await client.call_tool("levels", {"symbol": "QQQ"})
    assert (info.name, info.version) == (NAME, VERSION)
    assert not levels.is_error and levels.structured_content["symbol"] == "QQQ"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def installed_http(installed: Path, tmp_path: Path) -> Iterator[int]:
    """The installed `gex-mcp serve --transport http` on a loopback port; yields the port."""
    port = _free_port()
    process = subprocess.Popen(
        [installed / "gex-mcp", "serve", "--transport", "http", "--port", str(port),
         "--source", "demo"], cwd=tmp_path, env=_program_env(tmp_path),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        for line in process.stdout:
            log.append(line)
            if "Uvicorn running on" in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not ready.wait(SERVE_TIMEOUT) or process.poll() is not None:
            pytest.fail("the installed HTTP server did not start:\n" + "".join(log))
        yield port
    finally:
        process.terminate()
        wait_or_kill(process, 15)
        reader.join(15)
        process.stdout.close()
    assert "Traceback" not in "".join(log), "".join(log)


def test_the_installed_server_serves_the_page(installed_http: int):
    """`/` is the dashboard with the checkout's uPlot and script inlined: the package data
    made it into the wheel and is read from the install."""
    answer = httpx.get(f"http://127.0.0.1:{installed_http}/", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    uplot = (PACKAGE_DIR / "web" / "vendor" / "uplot" / "uPlot.iife.min.js").read_text(encoding="utf-8")
    script = (PACKAGE_DIR / "web" / "dashboard.js").read_text(encoding="utf-8")
    assert uplot.strip() in answer.text and script.strip() in answer.text
    health = httpx.get(f"http://127.0.0.1:{installed_http}/health", timeout=30).json()
    assert health["version"] == VERSION


def test_uvx_runs_the_wheel_from_an_empty_folder(wheel: Path, tmp_path: Path):
    """`uvx --from dist/<wheel> gex-mcp summary SPY --source demo` (uvx is `uv tool run`) in
    a folder with nothing in it: uv makes its own environment from the wheel."""
    empty = tmp_path / "empty"
    empty.mkdir()
    env = _program_env(tmp_path)
    done = _run([_uv(), "tool", "run", "--python", sys.executable, "--from", wheel,
                 "gex-mcp", "summary", "SPY", "--source", "demo"], cwd=empty, env=env,
                timeout=BUILD_TIMEOUT)
    assert "SPY" in done.stdout and "DEMO" in done.stdout, done.stdout
    version = _run([_uv(), "tool", "run", "--python", sys.executable, "--from", wheel,
                    "gex-mcp", "--version"], cwd=empty, env=env)
    assert version.stdout.strip() == f"gex-mcp {VERSION}"
    assert list(empty.iterdir()) == []  # nothing written where it ran


def test_the_build_tools_are_installed():
    """The test extra brings `build` and `uv`: a missing one is a clear failure, not a skip."""
    import build  # noqa: F401

    assert Path(_uv()).is_file()
