"""Server-sent events, reduced to what a chat stream needs: the `data` of each event.

Comment lines (OpenRouter's `: OPENROUTER PROCESSING` keep-alives), `event:`/`id:`/`retry:`
fields and blank lines carry nothing for us.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator

DONE = "[DONE]"
# A line this long without a newline is not SSE: stop before it eats the memory.
MAX_LINE_CHARS = 16 * 1024 * 1024


class MalformedStream(Exception):
    """The bytes are not a server-sent event stream."""


class SSEDecoder:
    """Incremental decoder: feed it bytes, get back the data of each complete event.

    Bytes are decoded once per read (a UTF-8 character split across reads is kept for the next
    one) and split into lines as text: cheaper than decoding line by line.
    """

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        self._tail = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[str]:
        text = self._utf8.decode(chunk)
        if self._tail:
            text = self._tail + text
        lines = text.split("\n")
        self._tail = lines.pop()
        if len(self._tail) > MAX_LINE_CHARS:
            raise MalformedStream(f"a line of more than {MAX_LINE_CHARS:,} characters")
        return self._events(lines)

    def close(self) -> list[str]:
        """The data still pending when the stream ends (a last event without its blank line)."""
        text = self._tail + self._utf8.decode(b"", final=True)
        self._tail = ""
        return self._events([*text.split("\n"), ""])

    def _events(self, lines: list[str]) -> list[str]:
        events: list[str] = []
        data = self._data
        for line in lines:
            if line.startswith("data:"):
                if line.endswith("\r"):
                    line = line[:-1]
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif (not line or line == "\r") and data:
                events.append(data[0] if len(data) == 1 else "\n".join(data))
                data.clear()
            # ":" comments, other fields and unknown lines are ignored, as the SSE standard says.
        return events


async def event_data(chunks: AsyncIterable[bytes]) -> AsyncIterator[str]:
    """The data of each event of a byte stream, in order."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for data in decoder.feed(chunk):
            yield data
    for data in decoder.close():
        yield data
