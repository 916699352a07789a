"""Server-sent events, reduced to what a chat stream needs: the `data` of each event.

Comment lines (OpenRouter's `: OPENROUTER PROCESSING` keep-alives), `event:`/`id:`/`retry:`
fields and blank lines carry nothing for us. Works on bytes: `json.loads` takes them as they
are, and decoding every line to text first would be wasted work on the hot path.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

DONE = b"[DONE]"
# A line this long without a newline is not SSE: stop before it eats the memory.
MAX_LINE_BYTES = 16 * 1024 * 1024


class MalformedStream(Exception):
    """The bytes are not a server-sent event stream."""


class SSEDecoder:
    """Incremental decoder: feed it bytes, get back the data of each complete event."""

    def __init__(self) -> None:
        self._tail = b""
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        if self._tail:
            chunk = self._tail + chunk
        lines = chunk.split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > MAX_LINE_BYTES:
            raise MalformedStream(f"a line of more than {MAX_LINE_BYTES:,} bytes")
        events: list[bytes] = []
        for line in lines:
            self._line(line, events)
        return events

    def close(self) -> list[bytes]:
        """The data still pending when the stream ends (a last event without its blank line)."""
        events: list[bytes] = []
        if self._tail:
            self._line(self._tail, events)
            self._tail = b""
        if self._data:
            events.append(b"\n".join(self._data))
            self._data = []
        return events

    def _line(self, line: bytes, events: list[bytes]) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            if self._data:
                events.append(self._data[0] if len(self._data) == 1 else b"\n".join(self._data))
                self._data = []
            return
        if line.startswith(b"data:"):
            value = line[5:]
            if value.startswith(b" "):
                value = value[1:]
            self._data.append(value)
        # ":" comments, other fields and unknown lines are ignored, as the SSE standard says.


async def event_data(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """The data of each event of a byte stream, in order."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for data in decoder.feed(chunk):
            yield data
    for data in decoder.close():
        yield data
