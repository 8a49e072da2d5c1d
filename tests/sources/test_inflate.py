"""Inflating is bounded as it is produced: `_inflate.BoundedBody` against zlib itself."""

from __future__ import annotations

import gzip
import zlib

import pytest

from gex_mcp.sources import _inflate
from gex_mcp.sources._inflate import SLICE_BYTES, BadEncodingError, BodyTooLargeError, decoder_for
from tests.bombs import gzip_bomb

PAYLOAD = bytes(range(256)) * 4000  # 1 MB, compressible but not trivially


def _encoded(encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(PAYLOAD)
    if encoding == "deflate":
        return zlib.compress(PAYLOAD)
    if encoding == "raw-deflate":
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return packer.compress(PAYLOAD) + packer.flush()
    return PAYLOAD


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "identity", ""])
@pytest.mark.parametrize("chunk", [1, 7, 65_536])
def test_every_encoding_decodes_to_the_original_in_any_chunking(encoding, chunk):
    raw = _encoded(encoding)
    header = "deflate" if encoding == "raw-deflate" else encoding
    body = decoder_for(header, 10_000_000)
    head = min(len(raw), 2000)  # small chunks only at the start: they are slow in Python
    for i in range(0, head, chunk):
        body.feed(raw[i:min(i + chunk, head)])
    for i in range(head, len(raw), 65_536):
        body.feed(raw[i:i + 65_536])
    assert body.finish() == PAYLOAD


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_bytes_that_are_not_the_encoding_are_a_bad_encoding(encoding):
    body = decoder_for(encoding, 1000)
    with pytest.raises(BadEncodingError, match=f"not valid {encoding}"):
        body.feed(b"\xff\xfe plain text, not compressed" * 3)
        body.finish()


def test_an_unknown_encoding_is_left_to_the_caller():
    assert decoder_for("br", 1000) is None


def test_a_bomb_never_yields_more_than_one_slice_past_the_cap(monkeypatch):
    """256 MB of zeros in ~250 kB of gzip, fed as one network chunk: every decompress call
    returns at most SLICE_BYTES, and what was kept is released before the error."""
    bomb = gzip_bomb(256)
    assert len(bomb) < 300_000
    largest = 0
    real = zlib.decompressobj

    class Spy:
        def __init__(self, *args):
            self._inner = real(*args)

        def decompress(self, data, max_length=0):
            nonlocal largest
            assert 0 < max_length <= SLICE_BYTES  # always bounded, never "all of it"
            out = self._inner.decompress(data, max_length)
            largest = max(largest, len(out))
            return out

        def __getattr__(self, name):
            return getattr(self._inner, name)

    monkeypatch.setattr(_inflate.zlib, "decompressobj", Spy)
    body = decoder_for("gzip", 4 * 1_048_576)
    with pytest.raises(BodyTooLargeError) as info:
        body.feed(bomb)
    assert info.value.limit == 4 * 1_048_576
    assert largest <= SLICE_BYTES
    assert body._parts == []  # nothing big reachable from the decoder once it failed
