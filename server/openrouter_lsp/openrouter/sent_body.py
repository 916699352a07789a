"""A request body that httpx lets go of once it is sent.

httpx's `Response` and its stream refer to each other, and the response holds its request, so a
request made with `content=<bytes>` keeps those bytes until the cyclic GC finds the pair (gen1,
every ~10 gen0 passes). A 400,000-character prompt's body is 0.4 MB and mapped on its own (above
`memory.MMAP_THRESHOLD` while orjson writes it): 60 big chats in a row held 49-58 MB resident
depending on when the GC last ran, and each pass unmapped several bodies at once in some
request's time. `SentOnce` hands httpx the bytes as an async iterable that drops them as they
are sent; `Content-Length` is given, so httpx sends them as it sends `bytes` (not chunked).
"""

from __future__ import annotations

from collections.abc import AsyncIterator


class SentOnce:
    """`content` for one request: its only chunk, then nothing held."""

    def __init__(self, content: bytes) -> None:
        self._content = content
        self.headers = {"Content-Length": str(len(content))}

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        content, self._content = self._content, b""
        if content:
            yield content
