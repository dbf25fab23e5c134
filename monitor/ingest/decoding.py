"""Bounded Content-Encoding decoding for the fetcher: output never grows past the cap."""

from __future__ import annotations

import zlib

from monitor.errors import FetchError


class Decoder:
    """Bounded Content-Encoding decoding: output never grows past max_bytes + 1."""

    def __init__(self, wbits: int | None, *, deflate: bool = False) -> None:
        self._wbits = wbits
        self._deflate = deflate  # "deflate" may be zlib-wrapped or raw; decided on first bytes
        self._inflater = zlib.decompressobj(wbits) if wbits is not None else None
        self._started = False

    @classmethod
    def for_encoding(cls, shown: str, header: str) -> Decoder:
        encodings = [part.strip().lower() for part in header.split(",") if part.strip()]
        encodings = [part for part in encodings if part != "identity"]
        if not encodings:
            return cls(None)
        if encodings in (["gzip"], ["x-gzip"]):
            return cls(16 + zlib.MAX_WBITS)
        if encodings == ["deflate"]:
            return cls(zlib.MAX_WBITS, deflate=True)
        raise FetchError(
            f"fetch: {shown}: unsupported Content-Encoding {header[:100]!r}; "
            "the server ignored our Accept-Encoding: gzip, deflate"
        )

    def feed(self, chunk: bytes, body: bytearray, max_bytes: int) -> None:
        if self._inflater is None:
            body += chunk
            return
        if self._deflate and not self._started and chunk:
            self._started = True
            if (chunk[0] & 0x0F) != 8:  # not a zlib header: raw deflate
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        data = chunk
        while data and len(body) <= max_bytes and not self._inflater.eof:
            body += self._inflater.decompress(data, max_bytes + 1 - len(body))
            data = self._inflater.unconsumed_tail

    def finish(self, body: bytearray, max_bytes: int) -> None:
        if self._inflater is not None and len(body) <= max_bytes:
            body += self._inflater.flush(max_bytes + 1 - len(body))
