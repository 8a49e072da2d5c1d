"""Bounded decoding of an upstream body: inflated bytes are capped as they are produced.

httpx decodes `Content-Encoding` one network chunk at a time, and one 64 kB chunk of a
gzip bomb inflates to tens of MB before any cap can look at it, on the event loop. Here
the raw (still compressed) bytes are fed to a `zlib` decompressor that is given a maximum
output per call (`SLICE_BYTES`), so the body never holds more than `max_bytes + SLICE_BYTES`
and inflating runs in a worker thread, not on the event loop.

Encodings handled: identity, gzip (x-gzip) and deflate (zlib-wrapped or raw, as httpx
accepts). `ACCEPT_ENCODING` advertises only those, so an upstream has no reason to send
another; `decoder_for()` answers None for one it does not know and the caller falls back.
"""

from __future__ import annotations

import zlib

ACCEPT_ENCODING = "gzip, deflate"
SLICE_BYTES = 256 * 1024  # most inflated bytes produced by one decompress call


class BodyTooLargeError(Exception):
    """The answer's decoded body passed the byte cap; reading stopped there."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class BadEncodingError(Exception):
    """The body does not decode as its Content-Encoding says (zlib's reason in the message)."""

    def __init__(self, encoding: str, reason: str) -> None:
        super().__init__(f"not valid {encoding}: {reason}")
        self.encoding = encoding


class BoundedBody:
    """Accumulates one decoded body, inflating raw chunks in slices of at most `SLICE_BYTES`.

    `feed(raw)` raises `BodyTooLargeError` once the decoded size passes `max_bytes`, and
    frees what it held first, so the exception (kept alive by logs and `__cause__`
    chains) never keeps the buffer reachable.
    """

    def __init__(self, encoding: str, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._encoding = encoding
        self._inflater = _new_inflater(encoding)
        self._parts: list[bytes] = []
        self._size = 0
        self._sniffing = encoding == "deflate"
        self._held = b""  # deflate's first bytes, until two tell zlib from raw

    @property
    def inflates(self) -> bool:
        """True when decoding costs CPU (worth a worker thread), False for identity."""
        return self._inflater is not None

    def feed(self, raw: bytes) -> None:
        """Decode one raw chunk, keeping at most `max_bytes` decoded bytes.

        Raises:
            BodyTooLargeError: past `max_bytes`. BadEncodingError: not gzip/deflate data.
        """
        try:
            self._feed(raw)
        except zlib.error as exc:
            self._parts, self._inflater = [], None
            raise BadEncodingError(self._encoding, str(exc)) from None

    def _feed(self, raw: bytes) -> None:
        if self._inflater is None:
            self._keep(raw)
            return
        if self._sniffing:
            raw = self._held + raw
            if len(raw) < 2:
                self._held = raw
                return
            self._sniffing, self._held = False, b""
            self._sniff_deflate(raw)
        data = raw
        while data:
            room = self.max_bytes - self._size + 1  # one past the cap proves it is passed
            out = self._inflater.decompress(data, min(SLICE_BYTES, room))
            self._keep(out)
            data = self._inflater.unconsumed_tail
            if self._inflater.eof:
                break

    def finish(self) -> bytes:
        """The whole decoded body (flushing what the decompressor still holds)."""
        if self._held:
            held, self._held, self._sniffing = self._held, b"", False
            self._sniff_deflate(held)
            self.feed(held)
        if self._inflater is not None:
            room = self.max_bytes - self._size + 1
            try:
                self._keep(self._inflater.flush(min(SLICE_BYTES, room)))
            except zlib.error as exc:
                raise BadEncodingError(self._encoding, str(exc)) from None
        body = b"".join(self._parts)
        self._parts = []
        return body

    def _keep(self, out: bytes) -> None:
        if not out:
            return
        self._size += len(out)
        if self._size > self.max_bytes:
            self._parts = []  # released before raising: nothing big outlives the error
            self._inflater = None
            raise BodyTooLargeError(self.max_bytes)
        self._parts.append(out)

    def _sniff_deflate(self, raw: bytes) -> None:
        # "deflate" is zlib-wrapped by the RFC but raw in practice as often; httpx tries both.
        try:
            zlib.decompressobj().decompress(raw[:2])
        except zlib.error:
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)


def _new_inflater(encoding: str) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise ValueError(encoding)


def decoder_for(content_encoding: str | None, max_bytes: int) -> BoundedBody | None:
    """A bounded decoder for the response's `Content-Encoding`, or None for one not handled."""
    encoding = (content_encoding or "").strip().lower()
    try:
        return BoundedBody(encoding, max_bytes)
    except ValueError:
        return None
