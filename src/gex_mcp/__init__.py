"""gex-mcp: gamma-exposure analytics for US options, as an MCP server and a CLI.

`__version__` has one source, the installed package's metadata (`version` in pyproject.toml):
`gex-mcp --version`, the MCP `serverInfo.version`, the REST `/health` body, the page and the
HTTP User-Agent all read it here. It is looked up on first use, not at import, so commands
that never show it do not pay for reading the metadata.
"""

from __future__ import annotations

DISTRIBUTION = "gex-mcp"


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a bare source tree (PYTHONPATH=src), never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        value = _installed_version()
        globals()["__version__"] = value  # later reads skip __getattr__
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DISTRIBUTION", "__version__"]
