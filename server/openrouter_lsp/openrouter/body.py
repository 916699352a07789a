"""Response bodies read with a cap on their decompressed size, a bounded step at a time.

httpx decompresses each network read in one call with no bound on the output: one 64 KiB read of
a gzip bomb becomes ~64 MB at once, and a 1 MB bomb holds the event loop for seconds. So bodies
are read raw and inflated here with zlib's `max_length`, `STEP` bytes of output at a time,
counted against the cap as they come, giving the event loop a turn between steps. Requests
offer only the encodings decoded here (`ACCEPT_ENCODING`).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

ACCEPT_ENCODING = "gzip, deflate"
STEP = 64 * 1024
_IDENTITY = frozenset({"", "identity"})
_ZLIB = frozenset({"gzip", "x-gzip", "deflate"})
_GZIP_OR_ZLIB_HEADER = zlib.MAX_WBITS | 32  # zlib detects which of the two wraps the data


class BodyTooLarge(Exception):
    """The body is larger than the cap (counted after decompression)."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"more than {cap:,} bytes")
        self.cap = cap


class BadEncoding(Exception):
    """The body's Content-Encoding is one we did not offer, or its data does not decode."""


def declared_too_large(response: httpx.Response, cap: int) -> bool:
    """True when an uncompressed body announces more than `cap` bytes: refused unread."""
    if response.headers.get("content-encoding", "").strip().lower() not in _IDENTITY:
        return False
    length = response.headers.get("content-length", "")
    return length.isdigit() and len(length) < 20 and int(length) > cap


async def iter_body(response: httpx.Response, cap: int) -> AsyncIterator[bytes]:
    """The decoded body in pieces; BodyTooLarge past `cap` bytes, BadEncoding when undecodable."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in _IDENTITY:
        if declared_too_large(response, cap):
            raise BodyTooLarge(cap)
        size = 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > cap:
                raise BodyTooLarge(cap)
            yield chunk
        return
    if encoding not in _ZLIB:
        raise BadEncoding(f"a body encoded as {encoding[:40]!r}, which was not offered")
    inflater = zlib.decompressobj(_GZIP_OR_ZLIB_HEADER)
    size = 0
    try:
        async for raw in response.aiter_raw():
            pending = raw
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, STEP)
                pending = inflater.unconsumed_tail
                size += len(piece)
                if size > cap:
                    raise BodyTooLarge(cap)
                if piece:
                    yield piece
                if pending:
                    await asyncio.sleep(0)  # a long inflate must not hold the event loop
        rest = inflater.flush()
    except zlib.error as exc:
        raise BadEncoding(f"a {encoding} body that does not decode ({exc})") from None
    size += len(rest)
    if size > cap:
        raise BodyTooLarge(cap)
    if rest:
        yield rest


def stream_body(response: httpx.Response) -> AsyncIterator[bytes]:
    """A streamed answer's decoded body, with no byte cap (its events and its answer are capped
    instead). An uncompressed body is httpx's own chunks, with no generator of ours around each
    read (a 20,000-token stream is ~60 of them); a compressed one is inflated as in `iter_body`.
    """
    if response.headers.get("content-encoding", "").strip().lower() in _IDENTITY:
        return response.aiter_raw()
    return iter_body(response, _NO_CAP)


_NO_CAP = 1 << 62


async def read_body(response: httpx.Response, cap: int) -> bytes:
    """The whole decoded body; BodyTooLarge past `cap` bytes."""
    parts = [piece async for piece in iter_body(response, cap)]
    return b"".join(parts)


async def read_prefix(response: httpx.Response, cap: int) -> bytes:
    """At most `cap` bytes of the decoded body (an error body: its start is enough)."""
    parts: list[bytes] = []
    size = 0
    try:
        async for piece in iter_body(response, cap):
            parts.append(piece)
            size += len(piece)
    except BodyTooLarge:
        pass
    return b"".join(parts)[:cap]
