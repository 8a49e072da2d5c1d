"""Bytes to text for the table loaders, with a clear error for files that are not text."""

from __future__ import annotations

import numpy as np

from gex_mcp.errors import SourceDataError

_CR, _LF = ord("\r"), ord("\n")

_BINARY_SIGNATURES = {
    b"\x1f\x8b": "gzip-compressed data; decompress it first",
    b"PK\x03\x04": "a zip archive; extract the chain file first",
    b"%PDF": "a PDF document, not a CBOE option chain",
}


def check_text(data: bytes, *, name: str) -> None:
    """Raise `SourceDataError` for an empty file or one that is not text (a known binary
    signature, or NUL bytes in its first 64 KiB)."""
    if not data or data.isspace():
        raise SourceDataError(f"{name}: empty file")
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise SourceDataError(f"{name}: {what}")
    if b"\x00" in data[:65536]:
        raise SourceDataError(f"{name}: binary data (NUL bytes), not a CBOE option chain")


def decode_text(data: bytes, *, name: str) -> tuple[str, bytes, list[str]]:
    """Decode a downloaded table: UTF-8 (BOM allowed), else Windows-1252, newlines as \\n.

    Line breaks are normalised on the bytes, before decoding (`\\r` and `\\n` are single
    bytes in both encodings, never part of another character).

    Returns:
        The text, the bytes with the same line breaks, and loader notes (the fallback
        encoding, when used).

    Raises:
        SourceDataError: empty, or binary rather than text (`check_text`).
    """
    check_text(data, name=name)
    if b"\r" in data:
        data = _unix_line_breaks(data)
    notes: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        notes.append("file is not UTF-8; read it as Windows-1252")
    return text, data, notes


def _unix_line_breaks(data: bytes) -> bytes:
    """`\\r\\n` and lone `\\r` as `\\n`; deleting the `\\r`s when each is followed by `\\n`
    (the usual CRLF file) is several times faster than `bytes.replace`."""
    codes = np.frombuffer(data, dtype=np.uint8)
    returns = np.flatnonzero(codes == _CR)
    if returns[-1] + 1 < len(data) and (codes[returns + 1] == _LF).all():
        return data.translate(None, b"\r")
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
