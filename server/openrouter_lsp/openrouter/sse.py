"""Server-sent events, reduced to what a chat stream needs: the `data` of each event.

Comment lines (OpenRouter's `: OPENROUTER PROCESSING` keep-alives), `event:`/`id:`/`retry:`
fields and blank lines carry nothing for us.
"""

from __future__ import annotations

import codecs

from .limits import MAX_SSE_LINE_CHARS

DONE = "[DONE]"


class MalformedStream(Exception):
    """The bytes are not a server-sent event stream."""


class SSEDecoder:
    """Incremental decoder: feed it bytes, get back the data of each complete event.

    Bytes are decoded once per read (a UTF-8 character split across reads is kept for the next
    one) and split into lines as text: cheaper than decoding line by line. A line, or an event
    of many `data:` lines, longer than `max_event_chars` is not a chat chunk: it is refused
    before it eats the memory.
    """

    def __init__(self, max_event_chars: int | None = None) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        # The line still arriving, in pieces: joined once, when its newline comes (appending
        # each read to one string would copy a long line once per read).
        self._tail: list[str] = []
        self._tail_chars = 0
        self._data: list[str] = []
        self._data_chars = 0
        self._max = max_event_chars or MAX_SSE_LINE_CHARS.count()

    def feed(self, chunk: bytes) -> list[str]:
        text = self._utf8.decode(chunk)
        if "\n" not in text:
            self._keep(text)
            return []
        if self._tail:
            self._tail.append(text)
            text = "".join(self._tail)
            self._tail = []
            self._tail_chars = 0
        lines = text.split("\n")
        self._keep(lines.pop())
        return self._events(lines)

    def _keep(self, partial_line: str) -> None:
        if partial_line:
            self._tail.append(partial_line)
            self._tail_chars += len(partial_line)
            if self._tail_chars > self._max:
                raise MalformedStream(f"a line of more than {self._max:,} characters")

    def close(self) -> list[str]:
        """The data still pending when the stream ends (a last event without its blank line)."""
        text = "".join(self._tail) + self._utf8.decode(b"", final=True)
        self._tail = []
        self._tail_chars = 0
        return self._events([*text.split("\n"), ""])

    def _events(self, lines: list[str]) -> list[str]:
        events: list[str] = []
        data = self._data
        for line in lines:
            if line.startswith("data:"):
                if line.endswith("\r"):
                    line = line[:-1]
                data.append(line[6:] if line.startswith("data: ") else line[5:])
                self._data_chars += len(line)
                if self._data_chars > self._max:
                    raise MalformedStream(f"an event of more than {self._max:,} characters")
            elif (not line or line == "\r") and data:
                events.append(data[0] if len(data) == 1 else "\n".join(data))
                data.clear()
                self._data_chars = 0
            # ":" comments, other fields and unknown lines are ignored, as the SSE standard says.
        return events
