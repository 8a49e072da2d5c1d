"""Loaders for CBOE option-chain downloads: bytes in, `OptionChain` out, no network.

Three formats, told apart by content rather than by file name:

- CBOE delayed-quotes JSON (starts with `{`): `delayed_json`.
- quote-table CSV, 2022+ (header says "Open Interest"): `quote_table`.
- legacy quote-table `.dat`, 2019-2020 (header says "Open Int"): `quote_table`.

Every failure is a `SourceDataError` whose message starts with the file name.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from gex_mcp.engine.chain import OptionChain
from gex_mcp.errors import SourceDataError
from gex_mcp.parsing.delayed_json import parse_cboe_delayed_json, parse_delayed_json
from gex_mcp.parsing.quote_table import parse_cboe_quote_table

__all__ = ["load_chain_file", "parse_cboe_delayed_json", "parse_chain_bytes"]

# A leading "[" goes to the JSON parser too, which rejects it as "not an object".
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*[{\[]")


def parse_chain_bytes(data: bytes, *, name: str, snapshot_time: datetime | None = None) -> OptionChain:
    """Parse any of the three CBOE chain formats, sniffed from the content.

    Args:
        data: the file's bytes.
        name: file name; starts every error message, and the chain's source is "file:NAME".
        snapshot_time: the download time, overriding the one the file states (quote tables'
            Date line, the JSON timestamps); naive means New York time.

    Raises:
        SourceDataError: empty, binary, truncated or malformed.
    """
    source = f"file:{name}"
    if _JSON_START.match(data):
        return parse_delayed_json(data, name=name, source=source, snapshot_time=snapshot_time)
    return parse_cboe_quote_table(data, name=name, source=source, snapshot_time=snapshot_time)


def load_chain_file(path: str | os.PathLike[str], *, snapshot_time: datetime | None = None) -> OptionChain:
    """Read and parse a chain file; its name (without folders) labels errors and the source.

    Raises:
        SourceDataError: the file is missing or unreadable, or does not parse.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise SourceDataError(f"file not found: {file}") from None
    except OSError as exc:
        raise SourceDataError(f"cannot read {file}: {exc.strerror or exc}") from None
    return parse_chain_bytes(data, name=file.name, snapshot_time=snapshot_time)
